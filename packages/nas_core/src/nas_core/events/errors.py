"""Errors of the event log: the store, decoding stored events, commands, session files.

All derive from `nas_core.errors.NasCoreError`. Those with several constructor
arguments define ``__reduce__`` so they pickle faithfully (a Dramatiq worker or a
process pool may carry them across processes). A caller tells the cases apart by class
(`UnknownSession`, `SessionExists`, `ConcurrencyError` …), never by the message's words.
"""

from __future__ import annotations

from nas_core.errors import NasCoreError

__all__ = [
    "CommandError",
    "ConcurrencyError",
    "EventDecodeError",
    "SessionExists",
    "SessionFileError",
    "StoreError",
    "StoreUnwritable",
    "UnknownSession",
    "UnsafeSessionFile",
]


class StoreError(NasCoreError):
    """Raised when the event store cannot be opened or used: the file is corrupt, is not an event
    store, or was written by a newer program. The message names the file."""


class StoreUnwritable(StoreError):
    """Raised when the store refuses a write that may succeed later: the disk is full, the file is
    read-only, an I/O error, or another process held the write lock past the busy
    timeout. Nothing of the append was written; the same append may be tried again."""


class ConcurrencyError(StoreError):
    """Raised when an append's `expected_seq` is stale: another writer appended in between.

    Nothing was written. Re-read the session (its last seq is `actual`), decide
    again, and retry.
    """

    def __init__(self, session: str, expected: int, actual: int) -> None:
        self.session = session
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"session {session!r} is at seq {actual}, not {expected} as the append expected: "
            "another writer appended first; re-read the session and retry"
        )

    def __reduce__(self):
        return (ConcurrencyError, (self.session, self.expected, self.actual))


class EventDecodeError(NasCoreError):
    """Raised when a stored or imported event cannot be decoded: an unknown kind, a version newer
    than this program knows, or a body that does not match its kind's schema."""

    def __init__(self, kind: str, version: int, reason: str) -> None:
        self.kind = kind
        self.version = version
        self.reason = reason
        super().__init__(f"event {kind!r} version {version}: {reason}")

    def __reduce__(self):
        return (EventDecodeError, (self.kind, self.version, self.reason))


class CommandError(NasCoreError):
    """Raised when a command is malformed or does not apply to the session's state.

    `path` is a JSON path into the command (``$.edits[1].index``; ``$`` for the
    command as a whole); ``str(error)`` reads ``"<reason> - at `<path>`"``, msgspec's
    convention. Nothing was appended.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{reason} - at `{path}`")

    def __reduce__(self):
        return (type(self), (self.path, self.reason))


class UnknownSession(CommandError):
    """Raised when a command is for a session the store does not hold (`session`, at
    `path`). Create it first (a ``create_session`` command), or list the sessions the
    store holds (``remap sessions``, ``GET /api/sessions``)."""

    def __init__(self, session: str, path: str = "$.session") -> None:
        self.session = session
        super().__init__(path, f"no session {session!r} in this store")

    def __reduce__(self):
        return (UnknownSession, (self.session, self.path))


class SessionExists(CommandError):
    """Raised when a session is to be created (or re-executed) under an id the store
    already holds; nothing was appended. Choose another id, or leave it out for a new
    one."""


class SessionFileError(NasCoreError):
    """Raised when a session file (``*.remap.jsonl``) cannot be imported; nothing was
    written.

    `line` is the 1-based line number (the header is line 1; ``None`` when the
    problem is the file as a whole) and `file` names the file.
    """

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        self.file = file
        self.line = line
        self.reason = reason
        where = file if line is None else f"{file}, line {line}"
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):
        return (SessionFileError, (self.file, self.line, self.reason))


class UnsafeSessionFile(SessionFileError):
    """Raised for a well-formed session file that no store takes: a session id that is not
    `nas_core.specs.SESSION_ID`, or a data set path that leaves the data folder. `path`
    is the JSON path of the field at fault (``$.session``, ``$.data.path``)."""

    def __init__(self, file: str, line: int | None, reason: str, path: str) -> None:
        self.path = path
        super().__init__(file, line, reason)

    def __reduce__(self):
        return (UnsafeSessionFile, (self.file, self.line, self.reason, self.path))
