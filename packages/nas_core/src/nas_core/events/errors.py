"""Errors of the event log: the store, decoding stored events, commands, session files.

All derive from `nas_core.errors.NasCoreError`. Those with several constructor
arguments define ``__reduce__`` so they pickle faithfully (a Dramatiq worker or a
process pool may carry them across processes).
"""

from __future__ import annotations

from nas_core.errors import NasCoreError

__all__ = [
    "CommandError",
    "ConcurrencyError",
    "EventDecodeError",
    "SessionFileError",
    "StoreError",
]


class StoreError(NasCoreError):
    """The event store cannot be opened or used: the file is corrupt, is not an event
    store, or was written by a newer program. The message names the file."""


class ConcurrencyError(StoreError):
    """An append's `expected_seq` is stale: another writer appended in between.

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
    """A stored or imported event cannot be decoded: an unknown kind, a version newer
    than this program knows, or a body that does not match its kind's schema."""

    def __init__(self, kind: str, version: int, reason: str) -> None:
        self.kind = kind
        self.version = version
        self.reason = reason
        super().__init__(f"event {kind!r} version {version}: {reason}")

    def __reduce__(self):
        return (EventDecodeError, (self.kind, self.version, self.reason))


class CommandError(NasCoreError):
    """A command is malformed or does not apply to the session's current state.

    `path` is a JSON path into the command (``$.edits[1].index``; ``$`` for the
    command as a whole); ``str(error)`` reads ``"<reason> - at `<path>`"``, msgspec's
    convention. Nothing was appended.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{reason} - at `{path}`")

    def __reduce__(self):
        return (CommandError, (self.path, self.reason))


class SessionFileError(NasCoreError):
    """A session file (``*.remap.jsonl``) cannot be imported; nothing was written.

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
