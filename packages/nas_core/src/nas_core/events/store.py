"""The event store: an append-only log of many sessions in one SQLite file.

- WAL mode, one writer: every append is one ``BEGIN IMMEDIATE`` transaction on the one
  write connection, behind a lock, so the server's asyncio thread and Dramatiq worker
  threads may append at once. Several processes may open the same file: SQLite's write
  lock serialises them, and the last seq and the ids are read inside the transaction,
  so seqs stay gapless and ids unique. Readers use one connection per thread and never
  wait for the writer (WAL).
- ``seq`` counts from 1 per session with no gaps; an event id the session already
  holds is a no-op (the stored envelope comes back, no new seq), which makes a retried
  append harmless; a stale ``expected_seq`` raises `ConcurrencyError` and writes
  nothing (optimistic concurrency).
- Bodies are msgspec JSON with their kind and schema version in columns beside them;
  rows are never rewritten: older versions are upcast as they are read.
- Opening checks the file: not SQLite, SQLite that is not an event store (another
  program's ``application_id`` or tables), a schema version newer than this program's
  (``PRAGMA user_version``), or a failed ``PRAGMA quick_check`` each raise `StoreError`
  naming the file.

Layout, chosen for append speed (measured: each extra index costs an extra page per
commit and more checkpointing, and halved the appends per second). A session has a
small integer ``key``; an event's rowid is ``key << 32 | seq``, so a session's log is
one contiguous range of the table's own B-tree (its last seq is one seek, a replay one
range scan) and no index is written per append. Event ids have no index in the file:
the writer keeps each session's ids in memory (loaded on its first append, brought up
to date inside every write transaction from the rows other processes appended, and
dropped least recently used beyond ``id_cache`` ids). The view ``session_events``
shows the log with session ids and seqs for people reading the file with ``sqlite3``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import msgspec

from .errors import ConcurrencyError, EventDecodeError, StoreError, StoreUnwritable
from .kinds import EVENT_TYPES, VERSIONS, Envelope, Event, Pending, SessionCreated, event_kind
from .upcast import decode_event

__all__ = [
    "APPLICATION_ID",
    "MAX_SEQ",
    "SCHEMA_VERSION",
    "EventStore",
    "SessionInfo",
    "SqliteEventStore",
    "StoredRow",
    "utc_now",
]

APPLICATION_ID = 0x52454D50  # "REMP": marks our files apart from other SQLite databases
SCHEMA_VERSION = 1
MAX_SEQ = (1 << 32) - 1
"""The most events one session holds (its seq fills the low 32 bits of a rowid)."""
_SQLITE_MAGIC = b"SQLite format 3\x00"
# why SQLite refused a write, by its primary result code, in words for the user
_UNWRITABLE = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the file is read-only",
    sqlite3.SQLITE_IOERR: "an input/output error",
    sqlite3.SQLITE_BUSY: "another process held its lock for longer than the busy timeout",
    sqlite3.SQLITE_LOCKED: "it is locked",
    sqlite3.SQLITE_CANTOPEN: "its files cannot be opened",
    sqlite3.SQLITE_PERM: "permission denied",
}

_SCHEMA = (
    """CREATE TABLE sessions (
        key INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE events (
        pos INTEGER PRIMARY KEY,  -- session key << 32 | seq
        id TEXT NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        version INTEGER NOT NULL,
        body BLOB NOT NULL
    )""",
    """CREATE VIEW session_events AS
        SELECT s.id AS session, e.pos & 4294967295 AS seq, e.id AS id, e.at AS at,
               e.kind AS kind, e.version AS version, e.body AS body
        FROM events AS e JOIN sessions AS s ON s.key = e.pos >> 32""",
)
_TABLES = {"sessions", "events"}

_LAST = "SELECT pos FROM events WHERE pos > ? AND pos <= ? ORDER BY pos DESC LIMIT 1"
_IDS = "SELECT pos, id FROM events WHERE pos > ? AND pos <= ?"
_ROW = "SELECT at, kind, version, body FROM events WHERE pos = ?"
_INSERT = "INSERT INTO events (pos, id, at, kind, version, body) VALUES (?, ?, ?, ?, ?, ?)"
# The fast path's one statement (see `_append_one`): the slot after the last seq this
# writer knows of is free exactly when no other writer has appended since, and then the
# session has no ids but those this writer knows (seqs are gapless).
_INSERT_NEXT = (
    "INSERT OR IGNORE INTO events (pos, id, at, kind, version, body) VALUES (?, ?, ?, ?, ?, ?)"
)
# A replay's query leaves out `kind` (a column costs time per row): the body carries
# its kind tag, and a body that is not of its kind's current version is looked at again
# (`_read_old`) with the column.
_READ = (
    "SELECT pos - ?, id, at, version, body FROM events "
    "WHERE pos > ? AND pos <= ? ORDER BY pos LIMIT ?"
)

_ENCODE = msgspec.json.Encoder().encode
_DECODE_CURRENT = msgspec.json.Decoder(Event).decode
_CURRENT_VERSION = {cls: VERSIONS[kind] for kind, cls in EVENT_TYPES.items()}
_KIND_VERSION = {cls: (kind, VERSIONS[kind]) for kind, cls in EVENT_TYPES.items()}

_clock: tuple[int, str] = (-1, "")  # the second last formatted, and its text


def utc_now() -> str:
    """The current UTC time as ``2025-01-31T12:34:56.789Z``."""
    global _clock
    t = time.time()
    second = int(t)
    cached, text = _clock  # one tuple, swapped whole: threads never see half an update
    if cached != second:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _clock = (second, text)
    return f"{text}.{int((t - second) * 1000):03d}Z"


class SessionInfo(msgspec.Struct, frozen=True, gc=False):
    """A session in the store: its id, its name (from "session created"), when its
    first event was appended, and its last seq."""

    id: str
    name: str
    created_at: str
    last_seq: int


class StoredRow(msgspec.Struct, frozen=True, gc=False):
    """A stored event exactly as written (body bytes and version untouched): what a
    session file exports and imports."""

    seq: int
    id: str
    at: str
    kind: str
    version: int
    body: bytes


class _Write(msgspec.Struct, gc=False):
    id: str
    at: str | None
    kind: str
    version: int
    body: bytes
    name: str | None  # the session's name, if this is its "session created"


class _Ids:
    """A session's event ids (id → seq) as of seq `last`."""

    __slots__ = ("last", "seqs")

    def __init__(self) -> None:
        self.last = 0
        self.seqs: dict[str, int] = {}


class SqliteEventStore:
    """An event store in the SQLite file `path` (created when missing): the default
    adapter of `nas_core.events.event_log.EventLog`, also named `EventStore`.

    ``synchronous``: ``"FULL"`` (the default) makes every append durable on return;
    ``"NORMAL"`` (WAL) may lose the last appends on a power cut but never corrupts.
    ``check``: run ``PRAGMA quick_check`` on open. ``poll_interval``: how often
    `wait` re-reads the file for appends by other processes (appends through this
    object wake waiters at once). ``id_cache``: how many event ids the writer keeps in
    memory across sessions (see the module). Use as a context manager, or `close`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        check: bool = True,
        poll_interval: float = 0.25,
        busy_timeout: float = 30.0,
        id_cache: int = 2_000_000,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be 'FULL' or 'NORMAL', not {synchronous!r}")
        self.path = Path(path)
        self.poll_interval = poll_interval
        self._busy_timeout = busy_timeout
        self._synchronous = synchronous
        self._id_budget = id_cache
        self._lock = threading.Lock()  # the write connection and the id maps
        self._closed = False
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._keys: dict[str, int] = {}  # session id → key (keys never change)
        self._ids: OrderedDict[str, _Ids] = OrderedDict()
        self._id_count = 0
        self._changed = threading.Condition()
        self._generation = 0  # bumped by every append that wrote something
        self._blocking = 0  # threads waiting in wait_blocking
        self._waiters_lock = threading.Lock()
        self._async_waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Future]]] = {}
        self._writer = self._open(check=check)

    # --- opening --------------------------------------------------------------------

    def _fail(self, reason: str) -> StoreError:
        return StoreError(f"{self.path}: {reason}")

    def _unwritable(self, exc: sqlite3.Error) -> StoreUnwritable:
        """An append SQLite refused (disk full, read-only file, I/O error, locked for
        longer than the busy timeout): nothing of it was written, and the same append
        may be tried again once the cause is gone."""
        code = getattr(exc, "sqlite_errorcode", None)
        why = _UNWRITABLE.get(code & 0xFF if isinstance(code, int) else None, "SQLite refused it")
        return StoreUnwritable(
            f"{self.path}: cannot be written ({why}); nothing of this append was stored"
        )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        return conn

    def _open(self, *, check: bool) -> sqlite3.Connection:
        if self.path.is_dir():
            raise self._fail("is a folder, not an event store file")
        try:
            with self.path.open("rb") as f:
                head = f.read(len(_SQLITE_MAGIC))
        except FileNotFoundError:
            head = b""
        except OSError as exc:
            raise self._fail(f"cannot be read: {exc.strerror}") from exc
        if head and head != _SQLITE_MAGIC:
            raise self._fail(
                "is not an event store: not an SQLite database (a session file "
                "*.remap.jsonl is imported with import_session, not opened as a store)"
            )
        try:
            conn = self._connect()
        except sqlite3.Error as exc:
            raise self._fail(f"cannot be opened: {exc}") from exc
        try:
            self._prepare(conn, check=check)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise self._fail(f"is corrupt or not an event store: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self, conn: sqlite3.Connection, *, check: bool) -> None:
        self._check_identity(conn)
        if check:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise self._fail(f"is corrupt (quick_check: {'; '.join(problems[:5])})")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise self._fail(f"cannot use write-ahead logging (journal mode {mode})")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        conn.execute("BEGIN IMMEDIATE")  # another process may be creating it right now
        try:
            if self._check_identity(conn) == 0:
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _check_identity(self, conn: sqlite3.Connection) -> int:
        """The file's schema version (0: an empty database, ours to set up)."""
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if app == 0 and version == 0 and not tables:
            return 0
        if app != APPLICATION_ID:
            listed = ", ".join(sorted(tables)) or "none"
            raise self._fail(
                f"is an SQLite database but not an event store (application_id {app}, "
                f"tables: {listed})"
            )
        if version > SCHEMA_VERSION:
            raise self._fail(
                f"has event-store schema version {version}, newer than this program's "
                f"({SCHEMA_VERSION}): upgrade REMAP to open it"
            )
        if version < 1 or not tables >= _TABLES:
            raise self._fail(
                f"is an incomplete event store (schema version {version}, tables: "
                f"{', '.join(sorted(tables)) or 'none'})"
            )
        return version

    def _reader(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only = 1")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            with self._readers_lock:
                for conn in self._readers:
                    conn.close()
                self._readers.clear()
            self._writer.close()

    def __enter__(self) -> SqliteEventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EventStore({str(self.path)!r})"

    # --- sessions and their keys ----------------------------------------------------

    def _key(self, conn: sqlite3.Connection, session: str) -> int | None:
        key = self._keys.get(session)
        if key is None:
            row = conn.execute("SELECT key FROM sessions WHERE id = ?", (session,)).fetchone()
            if row is None:
                return None
            key = self._keys[session] = row[0]
        return key

    @staticmethod
    def _last(conn: sqlite3.Connection, base: int) -> int:
        row = conn.execute(_LAST, (base, base | MAX_SEQ)).fetchone()
        return 0 if row is None else row[0] - base

    def _id_map(self, conn: sqlite3.Connection, session: str, base: int, last: int) -> _Ids:
        """The session's ids up to `last`, read from the file where the map lags
        (called with the write lock held)."""
        ids = self._ids.get(session)
        if ids is None or ids.last > last:  # unknown, or the file was replaced
            if ids is not None:
                self._id_count -= len(ids.seqs)
            ids = _Ids()
        if ids.last < last:
            seqs = ids.seqs
            before = len(seqs)
            for pos, id_ in conn.execute(_IDS, (base | ids.last, base | last)):
                seqs[id_] = pos - base
            self._id_count += len(seqs) - before
            ids.last = last
        self._ids[session] = ids
        self._ids.move_to_end(session)
        while self._id_count > self._id_budget and len(self._ids) > 1:
            _, dropped = self._ids.popitem(last=False)
            self._id_count -= len(dropped.seqs)
        return ids

    # --- writing --------------------------------------------------------------------

    def append(
        self, session: str, events: Iterable[Pending], *, expected_seq: int | None = None
    ) -> list[Envelope]:
        """Append `events` to `session` in one transaction; their envelopes, in order.

        An event whose id the session already holds (or that came earlier in `events`)
        is not written again: its stored envelope comes back. `expected_seq` is the
        last seq the caller saw; when the session has moved on and at least one event
        is new, `ConcurrencyError` is raised and nothing is written. ``at`` is the
        append time unless the pending event carries one.
        """
        pending = events if isinstance(events, list | tuple) else list(events)
        if len(pending) == 1:
            envelope = self._append_one(session, pending[0], expected_seq)
            if envelope is not None:
                return [envelope]
        writes = []
        for p in pending:
            event = p.event
            kind = event_kind(event)
            name = event.name if type(event) is SessionCreated else None
            writes.append(_Write(p.id, p.at, kind, VERSIONS[kind], _ENCODE(event), name))
        results = self._write(session, writes, expected_seq)
        out = []
        for p, (row, new) in zip(pending, results, strict=True):
            if new:
                out.append(Envelope(row.seq, row.id, row.at, session, row.version, p.event))
            else:
                out.append(self._envelope(session, row))
        return out

    def _append_one(
        self, session: str, pending: Pending, expected_seq: int | None
    ) -> Envelope | None:
        """The common case as one plain insert (no explicit transaction): one new event
        of a session this writer has appended to before, written into the slot after
        the last seq the writer knows. ``None`` when that does not apply or the slot is
        taken (another process appended): the general path then decides, in a
        transaction of its own, from what the file holds."""
        ids = self._ids.get(session)
        key = self._keys.get(session)
        if ids is None or key is None or pending.id in ids.seqs:
            return None
        event = pending.event
        kind, version = _KIND_VERSION[type(event)]
        body = _ENCODE(event)
        at = pending.at or utc_now()
        with self._lock:
            if self._closed:
                raise StoreError(f"{self.path}: the store is closed")
            seq = ids.last + 1
            if (
                pending.id in ids.seqs  # another thread appended it meanwhile
                or self._ids.get(session) is not ids  # evicted meanwhile
                or (expected_seq is not None and expected_seq != ids.last)
                or seq > MAX_SEQ
            ):
                return None
            try:
                cursor = self._writer.execute(
                    _INSERT_NEXT, ((key << 32) | seq, pending.id, at, kind, version, body)
                )
            except sqlite3.Error as exc:  # disk full, read-only, I/O error: nothing written
                raise self._unwritable(exc) from exc
            if cursor.rowcount != 1:
                return None
            ids.seqs[pending.id] = seq
            ids.last = seq
            self._id_count += 1
        self._notify(session)
        return Envelope(seq, pending.id, at, session, version, event)

    def append_rows(
        self, session: str, rows: Sequence[StoredRow], *, expected_seq: int | None = None
    ) -> list[tuple[StoredRow, bool]]:
        """Append stored rows as they are (bodies and versions untouched, times kept);
        each row's seq is the one the store assigns (an import passes the rows after
        the session's last seq, so they match). Returns each row as stored and whether
        it was new. Bodies are not decoded here: the caller has validated them."""
        writes = [
            _Write(
                r.id,
                r.at,
                r.kind,
                r.version,
                r.body,
                _session_name(r.body) if r.kind == "session_created" else None,
            )
            for r in rows
        ]
        return self._write(session, writes, expected_seq)

    def _write(
        self, session: str, writes: list[_Write], expected_seq: int | None
    ) -> list[tuple[StoredRow, bool]]:
        if not isinstance(session, str) or not session:
            raise ValueError(f"a session id is a non-empty string, not {session!r}")
        if not writes:
            return []
        with self._lock:
            if self._closed:
                raise StoreError(f"{self.path}: the store is closed")
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    results, ids, added, last = self._write_locked(
                        conn, session, writes, expected_seq
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    # a full disk or an I/O error may have rolled back already, and a
                    # second error here would hide the first
                    if conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise self._unwritable(exc) from exc
            if added:  # only once committed: a rolled-back id must stay unknown
                ids.seqs.update(added)
                ids.last = last
                self._id_count += len(added)
                if session not in self._ids:  # the session's first events
                    self._ids[session] = ids
        if added:
            self._notify(session)
        return results

    def _write_locked(
        self,
        conn: sqlite3.Connection,
        session: str,
        writes: list[_Write],
        expected_seq: int | None,
    ) -> tuple[list[tuple[StoredRow, bool]], _Ids, dict[str, int], int]:
        key = self._key(conn, session)
        if key is None:
            base = last = 0
            ids = _Ids()
        else:
            base = key << 32
            last = self._last(conn, base)
            ids = self._id_map(conn, session, base, last)
        known = ids.seqs
        results: list = [None] * len(writes)
        first_of: dict[str, int] = {}
        fresh: list[int] = []
        for i, w in enumerate(writes):
            if w.id in first_of:  # a repeat within this batch: filled in below
                continue
            first_of[w.id] = i
            seq = known.get(w.id)
            if seq is None:
                fresh.append(i)
            else:
                at, kind, version, body = conn.execute(_ROW, (base | seq,)).fetchone()
                results[i] = (StoredRow(seq, w.id, at, kind, version, body), False)
        added: dict[str, int] = {}
        if fresh:
            if expected_seq is not None and expected_seq != last:
                raise ConcurrencyError(session, expected_seq, last)
            if last + len(fresh) > MAX_SEQ:
                raise StoreError(f"{self.path}: session {session!r} is full ({MAX_SEQ:,} events)")
            now = utc_now()
            if key is None:
                first = writes[fresh[0]]
                key = conn.execute(
                    "INSERT INTO sessions (id, name, created_at) VALUES (?, ?, ?)",
                    (session, first.name or "", first.at or now),
                ).lastrowid
                base = key << 32
            rows = []
            for i in fresh:
                w = writes[i]
                last += 1
                at = w.at or now
                rows.append((base | last, w.id, at, w.kind, w.version, w.body))
                results[i] = (StoredRow(last, w.id, at, w.kind, w.version, w.body), True)
                added[w.id] = last
            if len(rows) == 1:
                conn.execute(_INSERT, rows[0])
            else:
                conn.executemany(_INSERT, rows)
            self._keys[session] = key
        for i, w in enumerate(writes):
            if results[i] is None:
                results[i] = (results[first_of[w.id]][0], False)
        return results, ids, added, last

    # --- reading --------------------------------------------------------------------

    def read(self, session: str, after: int = 0, limit: int | None = None) -> list[Envelope]:
        """The envelopes of `session` with seq > `after`, in order (at most `limit`),
        every event decoded to its current version (``[]`` for an unknown session)."""
        conn = self._reader()
        key = self._key(conn, session)
        if key is None:
            return []
        base = key << 32
        rows = conn.execute(
            _READ, (base, base | _seq(after), base | MAX_SEQ, -1 if limit is None else limit)
        )
        decode = _DECODE_CURRENT
        current = _CURRENT_VERSION
        out: list[Envelope] = []
        append = out.append
        # Decoding allocates many tuples the collector would scan again and again while
        # none of them can be garbage yet: pause it for the loop (if it was running).
        collecting = gc.isenabled()
        gc.disable()
        try:
            for seq, id_, at, version, body in rows:
                try:
                    event = decode(body)
                    fresh = current[type(event)] == version
                except msgspec.DecodeError:
                    fresh = False
                if fresh:
                    append(Envelope(seq, id_, at, session, version, event))
                else:  # an older version (or a body that does not decode at all)
                    append(self._read_old(conn, session, base, seq, id_, at, version, body))
        finally:
            if collecting:
                gc.enable()
        return out

    def _read_old(
        self,
        conn: sqlite3.Connection,
        session: str,
        base: int,
        seq: int,
        id_: str,
        at: str,
        version: int,
        body: bytes,
    ) -> Envelope:
        (kind,) = conn.execute("SELECT kind FROM events WHERE pos = ?", (base | seq,)).fetchone()
        try:
            event = decode_event(kind, version, body)
        except EventDecodeError as exc:
            raise StoreError(f"{self.path}: session {session!r}, seq {seq}: {exc}") from exc
        return Envelope(seq, id_, at, session, VERSIONS[kind], event)

    def read_rows(self, session: str, after: int = 0, upto: int | None = None) -> list[StoredRow]:
        """The stored rows of `session` with `after` < seq <= `upto`, untouched (no
        decoding, no upcasting): what an export writes."""
        conn = self._reader()
        key = self._key(conn, session)
        if key is None:
            return []
        base = key << 32
        top = MAX_SEQ if upto is None else _seq(upto)
        rows = conn.execute(
            "SELECT pos - ?, id, at, kind, version, body FROM events "
            "WHERE pos > ? AND pos <= ? ORDER BY pos",
            (base, base | _seq(after), base | top),
        )
        return [StoredRow(*row) for row in rows]

    def last_seq(self, session: str) -> int:
        """The session's last seq (0 when it has no events)."""
        conn = self._reader()
        key = self._key(conn, session)
        return 0 if key is None else self._last(conn, key << 32)

    def sessions(self) -> list[SessionInfo]:
        """Every session in the store, oldest first."""
        conn = self._reader()
        rows = conn.execute("SELECT key, id, name, created_at FROM sessions").fetchall()
        infos = [SessionInfo(i, n, c, self._last(conn, k << 32)) for k, i, n, c in rows]
        return sorted(infos, key=lambda s: (s.created_at, s.id))

    def session(self, session: str) -> SessionInfo | None:
        """One session's info, or ``None`` when the store does not hold it."""
        row = (
            self._reader()
            .execute("SELECT key, name, created_at FROM sessions WHERE id = ?", (session,))
            .fetchone()
        )
        if row is None:
            return None
        key, name, created_at = row
        return SessionInfo(session, name, created_at, self._last(self._reader(), key << 32))

    def find(self, session: str, event_id: str) -> Envelope | None:
        """The stored envelope with `event_id` in `session`, or ``None`` (e.g. to tell
        whether a command with a client-chosen id was applied already)."""
        with self._lock:
            if self._closed:
                raise StoreError(f"{self.path}: the store is closed")
            conn = self._writer
            key = self._key(conn, session)
            if key is None:
                return None
            base = key << 32
            seq = self._id_map(conn, session, base, self._last(conn, base)).seqs.get(event_id)
            if seq is None:
                return None
            at, kind, version, body = conn.execute(_ROW, (base | seq,)).fetchone()
        return self._envelope(session, StoredRow(seq, event_id, at, kind, version, body))

    def _envelope(self, session: str, row: StoredRow) -> Envelope:
        try:
            event = decode_event(row.kind, row.version, row.body)
        except EventDecodeError as exc:
            raise StoreError(f"{self.path}: session {session!r}, seq {row.seq}: {exc}") from exc
        return Envelope(row.seq, row.id, row.at, session, VERSIONS[row.kind], event)

    # --- waiting --------------------------------------------------------------------

    def _notify(self, session: str) -> None:
        self._generation += 1
        if self._blocking:  # threads in `wait_blocking` (they count themselves first)
            with self._changed:
                self._changed.notify_all()
        if self._async_waiters:
            with self._waiters_lock:
                waiters = list(self._async_waiters.get(session, ()))
            for loop, future in waiters:
                with contextlib.suppress(RuntimeError):  # that loop has closed
                    loop.call_soon_threadsafe(_wake, future)

    async def wait(
        self, session: str, after: int, timeout: float, limit: int | None = None
    ) -> list[Envelope]:
        """The envelopes after seq `after` (at most `limit`) as soon as there are any
        (at once if there already are), or ``[]`` after `timeout` seconds.

        Appends through this store object wake the waiter at once; appends by other
        processes are seen within `poll_interval` seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            future = loop.create_future()
            entry = (loop, future)
            with self._waiters_lock:
                self._async_waiters.setdefault(session, set()).add(entry)
            try:
                found = self.read(session, after, limit)
                remaining = deadline - loop.time()
                if found or remaining <= 0:
                    return found
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(future, min(remaining, self.poll_interval))
            finally:
                with self._waiters_lock:
                    waiting = self._async_waiters.get(session)
                    if waiting is not None:
                        waiting.discard(entry)
                        if not waiting:
                            del self._async_waiters[session]

    def wait_blocking(
        self, session: str, after: int, timeout: float, limit: int | None = None
    ) -> list[Envelope]:
        """`wait` for threads that are not running an event loop."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self._blocking += 1
        try:
            while True:
                generation = self._generation
                found = self.read(session, after, limit)
                remaining = deadline - time.monotonic()
                if found or remaining <= 0:
                    return found
                with self._changed:
                    if self._generation == generation:
                        self._changed.wait(min(remaining, self.poll_interval))
        finally:
            with self._changed:
                self._blocking -= 1


def _seq(seq: int) -> int:
    """A caller's seq bound, clamped to 0..MAX_SEQ: OR-ed into a rowid, a larger one
    would spill into the session key's bits and name another session's events (there
    is nothing after MAX_SEQ, so clamping answers as the caller meant)."""
    return min(max(seq, 0), MAX_SEQ)


def _wake(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


EventStore = SqliteEventStore
"""The default event store (every caller's name for it): `SqliteEventStore`."""


class _Name(msgspec.Struct):
    name: str = ""


_NAME = msgspec.json.Decoder(_Name)


def _session_name(body: bytes) -> str:
    try:
        return _NAME.decode(body).name
    except msgspec.DecodeError:
        return ""
