"""The event store's interface: what the service, the server and session files use.

Two adapters implement it side by side: `nas_core.events.store.SqliteEventStore` (the
default, also named `EventStore`: one SQLite file, durable, shared by processes) and
`nas_core.events.store_memory.MemoryEventStore` (in memory, for tests and tools). One
contract suite, ``packages/nas_core/tests/test_events_store_contract.py``, runs against
both; a new adapter joins its fixture's parameters and passes it unchanged.

The contract, in short (the suite says it exactly): seqs count from 1 per session with
no gaps; an event id the session holds already is a no-op that returns the stored
envelope; a stale ``expected_seq`` raises `ConcurrencyError` and writes nothing; rows
keep their body and version as written and are upcast as they are read; a seq bound
past the last possible seq is empty, never another session's events; a closed store,
a full session or a row that does not decode raise a `StoreError` whose message starts
with ``f"{store.path}: "``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from .kinds import Envelope, Pending
from .store import SessionInfo, StoredRow

__all__ = ["EventLog"]


@runtime_checkable
class EventLog(Protocol):
    """An append-only log of many sessions' events (see the module).

    `path` names the store in its error messages (a file, or ``"<memory>"``).
    """

    @property
    def path(self) -> str | os.PathLike[str]: ...

    def append(
        self, session: str, events: Iterable[Pending], *, expected_seq: int | None = None
    ) -> list[Envelope]:
        """Append `events` in one step; their envelopes, in order (see the module)."""
        ...

    def append_rows(
        self, session: str, rows: Sequence[StoredRow], *, expected_seq: int | None = None
    ) -> list[tuple[StoredRow, bool]]:
        """Append stored rows as they are (an import); each as stored, and whether new."""
        ...

    def read(self, session: str, after: int = 0, limit: int | None = None) -> list[Envelope]:
        """The envelopes with seq > `after` (at most `limit`), decoded to current versions."""
        ...

    def read_rows(self, session: str, after: int = 0, upto: int | None = None) -> list[StoredRow]:
        """The stored rows with `after` < seq <= `upto`, untouched (an export)."""
        ...

    def last_seq(self, session: str) -> int:
        """The session's last seq (0 when it has no events)."""
        ...

    def sessions(self) -> list[SessionInfo]:
        """Every session, oldest first."""
        ...

    def session(self, session: str) -> SessionInfo | None:
        """One session's info, or ``None``."""
        ...

    def find(self, session: str, event_id: str) -> Envelope | None:
        """The stored envelope with `event_id`, or ``None``."""
        ...

    async def wait(
        self, session: str, after: int, timeout: float, limit: int | None = None
    ) -> list[Envelope]:
        """The envelopes after `after` as soon as there are any, or ``[]`` after `timeout`."""
        ...

    def close(self) -> None:
        """Release the store (idempotent); it refuses every use afterwards."""
        ...
