"""An event store in memory: the SQLite store's contract without a file.

For tests whose subject is not the store, and for tools that need no durability. It
keeps the contract of `nas_core.events.event_log.EventLog` exactly as
`nas_core.events.store.SqliteEventStore` does (the contract suite runs both): gapless
seqs per session, an id the session holds already is a no-op returning the stored
envelope, a stale ``expected_seq`` raises `ConcurrencyError` and writes nothing, seq
bounds are clamped to 0..`MAX_SEQ`, a closed store refuses reads and appends with a
`StoreError`. Rows are kept as the SQLite store keeps them (the encoded body beside
its kind and version) and decoded on read, so an imported old version is upcast and an
export writes the bytes that were imported; an envelope is decoded once and kept.

One lock serialises every call: there is one process and no other writer, so `wait`
needs no polling, only the wake-up that every append sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterable, Sequence

import msgspec

from .errors import ConcurrencyError, EventDecodeError, StoreError
from .kinds import VERSIONS, Envelope, Event, Pending, SessionCreated, event_kind
from .store import MAX_SEQ, SessionInfo, StoredRow, _seq, _session_name, utc_now
from .upcast import decode_event

__all__ = ["MemoryEventStore"]

_ENCODE = msgspec.json.Encoder().encode


class _Write(msgspec.Struct, gc=False):
    id: str
    at: str | None
    kind: str
    version: int
    body: bytes
    name: str | None  # the session's name, if this is its "session created"
    event: Event | None  # the event itself when the caller has it (no decoding needed)


class _Log:
    """One session: its rows by seq - 1, their envelopes once decoded, its ids."""

    __slots__ = ("created_at", "envelopes", "ids", "name", "rows")

    def __init__(self, name: str, created_at: str) -> None:
        self.name = name
        self.created_at = created_at
        self.rows: list[StoredRow] = []
        self.envelopes: list[Envelope | None] = []
        self.ids: dict[str, int] = {}  # event id → seq


class MemoryEventStore:
    """An event store in memory (see the module). `name` is what its error messages
    call it (its `path`). Use as a context manager, or `close`."""

    def __init__(self, name: str = "<memory>") -> None:
        self.path = name
        self._lock = threading.Lock()
        self._closed = False
        self._logs: dict[str, _Log] = {}
        self._changed = threading.Condition(self._lock)
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Future]]] = {}

    def close(self) -> None:
        """Refuse every later read and append (idempotent); the events are dropped.
        Waiters wake at once, to the `StoreError` of a closed store."""
        with self._lock:
            self._closed = True
            self._logs.clear()
            for session in list(self._waiters):
                self._notify(session)

    def __enter__(self) -> MemoryEventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MemoryEventStore({self.path!r})"

    def _open(self) -> None:
        """Raise when closed (called with the lock held)."""
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed")

    # --- writing --------------------------------------------------------------------

    def append(
        self, session: str, events: Iterable[Pending], *, expected_seq: int | None = None
    ) -> list[Envelope]:
        """Append `events` to `session` at once; their envelopes, in order. An id the
        session holds already (or that came earlier in `events`) is not written again:
        its stored envelope comes back. A stale `expected_seq` raises
        `ConcurrencyError` when at least one event is new, and nothing is written."""
        pending = list(events)
        writes = []
        for p in pending:
            event = p.event
            kind = event_kind(event)
            name = event.name if type(event) is SessionCreated else None
            writes.append(_Write(p.id, p.at, kind, VERSIONS[kind], _ENCODE(event), name, event))
        with self._lock:
            results = self._write(session, writes, expected_seq)
            return [self._envelope(session, row.seq) for row, _ in results]

    def append_rows(
        self, session: str, rows: Sequence[StoredRow], *, expected_seq: int | None = None
    ) -> list[tuple[StoredRow, bool]]:
        """Append stored rows as they are (bodies and versions untouched, times kept),
        each at the seq the store assigns; each row as stored, and whether it was new.
        Bodies are not decoded here: the caller has validated them."""
        writes = [
            _Write(
                r.id,
                r.at,
                r.kind,
                r.version,
                r.body,
                _session_name(r.body) if r.kind == "session_created" else None,
                None,
            )
            for r in rows
        ]
        with self._lock:
            return self._write(session, writes, expected_seq)

    def _write(
        self, session: str, writes: list[_Write], expected_seq: int | None
    ) -> list[tuple[StoredRow, bool]]:
        """Append `writes` (called with the lock held); each row and whether it is new."""
        if not isinstance(session, str) or not session:
            raise ValueError(f"a session id is a non-empty string, not {session!r}")
        if not writes:
            return []
        self._open()
        log = self._logs.get(session)
        known = {} if log is None else log.ids
        last = 0 if log is None else len(log.rows)
        first_of: dict[str, int] = {}
        fresh: list[int] = []
        for i, w in enumerate(writes):
            if w.id not in first_of:
                first_of[w.id] = i
                if w.id not in known:
                    fresh.append(i)
        if fresh:
            if expected_seq is not None and expected_seq != last:
                raise ConcurrencyError(session, expected_seq, last)
            if last + len(fresh) > MAX_SEQ:
                raise StoreError(f"{self.path}: session {session!r} is full ({MAX_SEQ:,} events)")
            now = utc_now()
            if log is None:
                first = writes[fresh[0]]
                log = self._logs[session] = _Log(first.name or "", first.at or now)
            for i in fresh:
                w = writes[i]
                seq = len(log.rows) + 1
                row = StoredRow(seq, w.id, w.at or now, w.kind, w.version, w.body)
                log.rows.append(row)
                log.envelopes.append(
                    None
                    if w.event is None
                    else Envelope(seq, w.id, row.at, session, w.version, w.event)
                )
                log.ids[w.id] = seq
            self._notify(session)
        fresh_at = set(fresh)
        assert log is not None  # every write is fresh or known to the session's log
        return [(log.rows[log.ids[w.id] - 1], i in fresh_at) for i, w in enumerate(writes)]

    def _notify(self, session: str) -> None:
        """Wake the waiters (called with the lock held)."""
        self._changed.notify_all()
        for loop, future in self._waiters.get(session, ()):
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(_wake, future)

    # --- reading --------------------------------------------------------------------

    def _envelope(self, session: str, seq: int) -> Envelope:
        """The envelope at `seq`, decoded (and upcast) once (called with the lock held)."""
        log = self._logs[session]
        envelope = log.envelopes[seq - 1]
        if envelope is None:
            row = log.rows[seq - 1]
            try:
                event = decode_event(row.kind, row.version, row.body)
            except EventDecodeError as exc:
                raise StoreError(f"{self.path}: session {session!r}, seq {seq}: {exc}") from exc
            envelope = Envelope(seq, row.id, row.at, session, VERSIONS[row.kind], event)
            log.envelopes[seq - 1] = envelope
        return envelope

    def read(self, session: str, after: int = 0, limit: int | None = None) -> list[Envelope]:
        """The envelopes of `session` with seq > `after`, in order (at most `limit`),
        every event decoded to its current version (``[]`` for an unknown session)."""
        with self._lock:
            return self._read(session, after, limit)

    def _read(self, session: str, after: int, limit: int | None) -> list[Envelope]:
        self._open()
        log = self._logs.get(session)
        if log is None:
            return []
        top = len(log.rows)
        if limit is not None and limit >= 0:  # a negative limit is none, as in SQLite
            top = min(top, _seq(after) + limit)
        return [self._envelope(session, seq) for seq in range(_seq(after) + 1, top + 1)]

    def read_rows(self, session: str, after: int = 0, upto: int | None = None) -> list[StoredRow]:
        """The stored rows of `session` with `after` < seq <= `upto`, untouched."""
        with self._lock:
            self._open()
            log = self._logs.get(session)
            if log is None:
                return []
            top = MAX_SEQ if upto is None else _seq(upto)
            return log.rows[_seq(after) : top]

    def last_seq(self, session: str) -> int:
        """The session's last seq (0 when it has no events)."""
        with self._lock:
            self._open()
            log = self._logs.get(session)
            return 0 if log is None else len(log.rows)

    def sessions(self) -> list[SessionInfo]:
        """Every session in the store, oldest first."""
        with self._lock:
            self._open()
            infos = [
                SessionInfo(id_, log.name, log.created_at, len(log.rows))
                for id_, log in self._logs.items()
            ]
        return sorted(infos, key=lambda s: (s.created_at, s.id))

    def session(self, session: str) -> SessionInfo | None:
        """One session's info, or ``None`` when the store does not hold it."""
        with self._lock:
            self._open()
            log = self._logs.get(session)
            if log is None:
                return None
            return SessionInfo(session, log.name, log.created_at, len(log.rows))

    def find(self, session: str, event_id: str) -> Envelope | None:
        """The stored envelope with `event_id` in `session`, or ``None``."""
        with self._lock:
            self._open()
            log = self._logs.get(session)
            seq = None if log is None else log.ids.get(event_id)
            return None if seq is None else self._envelope(session, seq)

    # --- waiting --------------------------------------------------------------------

    async def wait(
        self, session: str, after: int, timeout: float, limit: int | None = None
    ) -> list[Envelope]:
        """The envelopes after seq `after` (at most `limit`) as soon as there are any
        (at once if there already are), or ``[]`` after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            future = loop.create_future()
            entry = (loop, future)
            with self._lock:
                self._waiters.setdefault(session, set()).add(entry)
            try:
                found = self.read(session, after, limit)
                remaining = deadline - loop.time()
                if found or remaining <= 0:
                    return found
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(future, remaining)
            finally:
                with self._lock:
                    waiting = self._waiters.get(session)
                    if waiting is not None:
                        waiting.discard(entry)
                        if not waiting:
                            del self._waiters[session]

    def wait_blocking(
        self, session: str, after: int, timeout: float, limit: int | None = None
    ) -> list[Envelope]:
        """`wait` for threads that are not running an event loop."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = self._read(session, after, limit)
                remaining = deadline - time.monotonic()
                if found or remaining <= 0:
                    return found
                self._changed.wait(remaining)


def _wake(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
