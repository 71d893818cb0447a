"""The workers' records held while the event store cannot be written (the disk full).

A worker's record that cannot be appended (`StoreUnwritable`) is held, in order with
every record after it, and a thread appends them as soon as the store takes writes
again (trying again with backoff up to ``HOLD_RETRY_MAX_S``), so nothing a worker
reported is lost and the queue moves on by itself. A record is applied whole again
(`apply` is handed in by the service): its id makes a second append a no-op.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from nas_core.events import StoreUnwritable

from .messages import EventRecord

__all__ = ["HOLD_RETRY_MAX_S", "HOLD_RETRY_S", "HeldRecords"]

HOLD_RETRY_S = 0.05  # a held record is tried again after this, doubling up to the max
HOLD_RETRY_MAX_S = 2.0

log = logging.getLogger(__name__)


class HeldRecords:
    """Records waiting for a writable store. `apply` records one (raising
    `StoreUnwritable` when the store refuses it); `lock` is the service's, held while a
    record is applied."""

    def __init__(
        self, apply: Callable[[EventRecord], object], lock: threading.RLock | threading.Lock
    ) -> None:
        self._apply = apply
        self._lock = lock
        self._held: deque[EventRecord] = deque()
        self._flusher: threading.Thread | None = None
        self._closing = threading.Event()

    def __len__(self) -> int:
        return len(self._held)

    def waiting(self) -> set[tuple[str, str]]:
        """(session, model) of every held record."""
        return {(r.session, getattr(r.event, "model", "")) for r in self._held}

    def record(self, record: EventRecord) -> bool:
        """Apply `record`, or hold it (and every record after it) while the store
        cannot be written; whether it was held."""
        with self._lock:
            if not self._held:
                try:
                    self._apply(record)
                    return False
                except StoreUnwritable as error:
                    log.warning(
                        "%s; holding the workers' records from %s on until it can",
                        error,
                        record.id,
                    )
            self._held.append(record)
            if self._flusher is None and not self._closing.is_set():
                self._flusher = threading.Thread(
                    target=self._flush, name="remap-held-records", daemon=True
                )
                self._flusher.start()
            return True

    def stop(self) -> None:
        """No more trying in the background: `close` tries once more."""
        self._closing.set()

    def close(self) -> None:
        """Stop the thread, append what the store takes now; log what is lost."""
        self.stop()
        flusher = self._flusher
        if flusher is not None:
            flusher.join(timeout=30)
        with self._lock:
            self.flush()  # the last records, if the store takes them now
            if self._held:
                log.warning(
                    "the event store cannot be written: %d record(s) of the workers are "
                    "lost; the models they were about train again at the next start",
                    len(self._held),
                )

    def flush(self) -> bool:
        """Append the held records while the store takes them; whether none is left.
        Call with the lock held."""
        while self._held:
            record = self._held[0]
            try:
                self._apply(record)
            except StoreUnwritable:
                return False
            except Exception:  # the record itself is at fault: as Dramatiq would drop it
                log.exception("record %s of session %s cannot be recorded", record.id,
                              record.session)  # fmt: skip
            self._held.popleft()
        return True

    def _flush(self) -> None:
        """The thread: append the held records, oldest first, as soon as the store
        takes writes again."""
        wait = HOLD_RETRY_S
        while not self._closing.wait(wait):
            with self._lock:
                if self.flush():
                    self._flusher = None
                    log.warning("the event store takes writes again: the held records are in")
                    return
            wait = min(2 * wait, HOLD_RETRY_MAX_S)
