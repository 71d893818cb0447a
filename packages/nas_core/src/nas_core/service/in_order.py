"""Records of one attempt appended in their own order, whatever order they arrive in.

A worker numbers the records of each training attempt (`EventRecord.n`, with `after`
the id of the one before). They can reach the server out of order: Redis restarted and
the worker sent the lost ones again, or a server that stopped had fetched some, which
Redis hands back seconds later behind newer ones. `InOrder` passes a record on (to the
store) only once the record before it is in the log, and holds the early ones of each
attempt here until the gap fills; so the log holds every curve in order and "training
finished" after its last epoch, and the fold stays a plain fold. Whether the record
before is in the log is this gate's own memory, else the store's (`stored`: a server
that started again, or records that came before the server did).

Records of an attempt that ended without them (a dead worker's, failed by the watchdog)
are dropped when `settle` learns the attempt ended. Not thread-safe: the service calls
it under its lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .messages import EventRecord

__all__ = ["HELD_PER_ATTEMPT", "InOrder"]

HELD_PER_ATTEMPT = 100_000  # early records held for one attempt at most (then dropped)

log = logging.getLogger(__name__)

Attempt = tuple[str, str, int]


class InOrder:
    """See the module. `put`: hands a record on in order (to the store); `stored`:
    whether `session`'s log holds an event id."""

    def __init__(
        self, put: Callable[[EventRecord], object], stored: Callable[[str, str], bool]
    ) -> None:
        self._put = put
        self._stored = stored
        self._next: dict[Attempt, int] = {}  # records handed on: 0 … next - 1
        self._early: dict[Attempt, dict[int, EventRecord]] = {}

    def __len__(self) -> int:
        return sum(map(len, self._early.values()))

    def waiting(self) -> set[tuple[str, str]]:
        """(session, model) of every record held for an earlier one."""
        return {(s, m) for (s, m, _), early in self._early.items() if early}

    def take(self, record: EventRecord) -> bool:
        """Hand `record` on, with the held ones it lets through; or hold it until the
        record before it is in; whether it was held."""
        key = record.attempt
        if key is None:
            self._put(record)
            return False
        n = record.n
        assert n is not None
        nxt = self._next.get(key)
        if nxt is None and (n == 0 or (record.after and self._stored(key[0], record.after))):
            nxt = self._next[key] = n  # its predecessor is in the log
        if nxt is None or n > nxt:
            early = self._early.setdefault(key, {})
            if len(early) < HELD_PER_ATTEMPT:
                early[n] = record
            return True
        if n == nxt:  # first, as putting it may settle (forget) the attempt
            self._next[key] = n + 1
        try:
            self._put(record)  # n < nxt: a repeat, which the store ignores
        except BaseException:
            if n == nxt and key in self._next:
                self._next[key] = n  # it comes again (Dramatiq retries it)
            raise
        self._release(key)
        return False

    def _release(self, key: Attempt) -> None:
        """Hand on the held records that follow (one that raised is held again)."""
        while True:
            early, nxt = self._early.get(key), self._next.get(key)
            if not early or nxt is None or nxt not in early:
                break
            record = early.pop(nxt)
            self._next[key] = nxt + 1
            try:
                self._put(record)
            except BaseException:
                early[nxt] = record
                if key in self._next:
                    self._next[key] = nxt
                raise
        if key in self._early and not self._early[key]:
            del self._early[key]

    def settle(self, session: str, model: str, ended: Callable[[int], bool]) -> None:
        """Forget `model`'s attempts that `ended(attempt)` says are over: their held
        records can no longer count (the fold would ignore them)."""
        for key in [k for k in (*self._early, *self._next) if k[:2] == (session, model)]:
            if ended(key[2]):
                dropped = self._early.pop(key, None)
                if dropped:  # repeats, or a dead worker's records after a gap
                    log.info("attempt %s is over: %d record(s) held for it dropped",
                             key, len(dropped))  # fmt: skip
                self._next.pop(key, None)

    def forget(self, session: str) -> None:
        """Drop what is held for `session` (it is set aside)."""
        for table in (self._early, self._next):
            for key in [k for k in table if k[0] == session]:
                del table[key]
