"""Snapshots of opened sessions beside the log, so that opening one is O(new events)
(issue 20, item 2; DESIGN.md: "Opening a session reads a snapshot of its fold plus the
tail").

A `Snapshot` is what `restore` made of a session up to seq `seq`: its folded state, its
embedder's state (`EmbedderSnapshot`), and the training times the throughput model is
fitted on. `SnapshotStore` keeps one per session in a SQLite file beside the event
store's (``remap.db`` → ``remap.db.snapshots``), msgpack-encoded, with the seq, the id
of the event at that seq and a code digest in columns beside the body.

A snapshot is never trusted blindly. It is used only when
- its code digest is this program's (the digest of the snapshot's JSON Schema and the
  event versions: a program whose fold or events differ rebuilds it),
- the log still holds an event at its seq with the id it recorded (a session deleted
  and imported again under the same id is not the session it covered),
- and its body decodes (a corrupt row is dropped and rebuilt).
Otherwise the session is restored from its whole log and a fresh snapshot written. The
log stays the source of truth: deleting the file loses nothing.

The store's `heads` is the cheap query a server's start uses: which sessions have a
fresh snapshot with nothing queued or running (those need not be opened until someone
asks for them).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from pathlib import Path

import msgspec

from nas_core.events.fold import SessionState
from nas_core.events.kinds import VERSIONS, Envelope
from nas_core.events.store_memory import MemoryEventStore

from .embedding import EmbedderSnapshot
from .restore import Restored

__all__ = [
    "CODE",
    "SNAPSHOT_EVERY",
    "Head",
    "Snapshot",
    "SnapshotStore",
    "snapshot_of",
    "valid_for",
]

log = logging.getLogger(__name__)

SNAPSHOT_EVERY = 2_000
"""A session opened with at least this many events after its snapshot (or with no
snapshot and at least this many events) gets a new snapshot."""


class Snapshot(msgspec.Struct, frozen=True, gc=False):
    """A session as `restore` opened it, up to seq `seq`; `event_id` is the id and the
    time of the event at that seq."""

    session: str
    seq: int
    event_id: str
    state: SessionState
    embedder: EmbedderSnapshot
    seconds: dict[str, float]
    started: tuple[tuple[str, int, str], ...]  # (model, attempt, at) of running attempts

    @property
    def active(self) -> bool:
        """Whether a server's start must open the session: models queued or running
        (it resumes them), or any one-shot record (issue 18: its runner resumes what it
        finds; conservatively, every session that has one is opened)."""
        oneshot = getattr(self.state, "oneshot", None)
        if oneshot is not None and oneshot != type(oneshot)():
            return True
        return any(m.status in ("queued", "running") for m in self.state.models.values())


class Head(msgspec.Struct, frozen=True):
    """A stored snapshot's columns: its seq, its event's id, and whether it was active."""

    seq: int
    event_id: str
    active: bool


def _code() -> str:
    schema = msgspec.json.encode(msgspec.json.schema(Snapshot))
    versions = msgspec.json.encode(sorted(VERSIONS.items()))
    return hashlib.sha256(schema + versions).hexdigest()[:16]


CODE = _code()
"""This program's snapshot digest: a snapshot written by a program whose snapshot
schema or event versions differ is rebuilt, not read."""

_SCHEMA = """CREATE TABLE IF NOT EXISTS snapshots (
    session TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    code TEXT NOT NULL,
    active INTEGER NOT NULL,
    body BLOB NOT NULL
)"""
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Snapshot).decode


def snapshot_of(session: str, last: Envelope, restored: Restored) -> Snapshot:
    """The snapshot of `restored`, the session up to the envelope `last`."""
    return Snapshot(
        session=session,
        seq=last.seq,
        event_id=_stamp(last),
        state=restored.state,
        embedder=restored.embedder.snapshot(),
        seconds=restored.seconds,
        started=tuple((m, a, at) for (m, a), at in restored.started.items()),
    )


class SnapshotStore:
    """Snapshots in one SQLite file (see the module). Thread-safe; a failure to read or
    write one is logged and costs only the time to fold the log again."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None  # opened (the file made) when needed

    @classmethod
    def beside(cls, store: object) -> SnapshotStore | None:
        """The snapshots beside `store`'s file (``<file>.snapshots``); None for a store
        with no file (in memory)."""
        path = getattr(store, "path", None)
        # a memory store's `path` is only its name in messages ("<memory>"), not a file
        if path is None or str(path) == ":memory:" or isinstance(store, MemoryEventStore):
            return None
        return cls(Path(path).with_name(Path(path).name + ".snapshots"))

    def _db(self, *, create: bool) -> sqlite3.Connection | None:
        if self._conn is None and (create or self.path.exists()):
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def heads(self) -> dict[str, Head]:
        """Every session's snapshot columns (this program's snapshots only): the cheap
        query, no body is read."""
        try:
            with self._lock:
                db = self._db(create=False)
                rows = [] if db is None else db.execute(
                    "SELECT session, seq, event_id, active FROM snapshots WHERE code = ?", (CODE,)
                ).fetchall()  # fmt: skip
        except sqlite3.Error as error:
            log.warning("snapshots in %s do not read (%s): logs are read", self.path, error)
            return {}
        return {s: Head(seq, event_id, bool(active)) for s, seq, event_id, active in rows}

    def load(self, session: str) -> Snapshot | None:
        """`session`'s snapshot, or None (none, another program's, or corrupt: dropped)."""
        try:
            with self._lock:
                db = self._db(create=False)
                row = None if db is None else db.execute(
                    "SELECT code, body FROM snapshots WHERE session = ?", (session,)
                ).fetchone()  # fmt: skip
        except sqlite3.Error as error:
            log.warning("session %s: its snapshot does not read (%s): rebuilt", session, error)
            return None
        if row is None or row[0] != CODE:
            return None
        try:
            snapshot = _decode(row[1])
        except (msgspec.DecodeError, ValueError) as error:
            log.warning("session %s: its snapshot does not read (%s): rebuilt", session, error)
            self.drop(session)
            return None
        if snapshot.session != session:
            self.drop(session)
            return None
        return snapshot

    def save(self, snapshot: Snapshot) -> None:
        body = _encode(snapshot)
        try:
            with self._lock:
                self._db(create=True).execute(  # type: ignore[union-attr]
                    "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?, ?, ?)",
                    (snapshot.session, snapshot.seq, snapshot.event_id, CODE,
                     int(snapshot.active), body),
                )  # fmt: skip
        except sqlite3.Error as error:
            log.warning("session %s: its snapshot is not written (%s)", snapshot.session, error)

    def drop(self, session: str) -> None:
        try:
            with self._lock:
                db = self._db(create=False)
                if db is not None:
                    db.execute("DELETE FROM snapshots WHERE session = ?", (session,))
        except sqlite3.Error as error:
            log.warning("session %s: its snapshot is not dropped (%s)", session, error)


def valid_for(snapshot: Snapshot, at_seq: Envelope | None) -> bool:
    """Whether `snapshot` covers the log whose event at its seq is `at_seq`."""
    return at_seq is not None and at_seq.seq == snapshot.seq and _stamp(at_seq) == snapshot.event_id


def _stamp(envelope: Envelope) -> str:
    """An event told apart from any other at its seq: its id and its time."""
    return f"{envelope.id} {envelope.at}"
