"""Session files (``*.remap.jsonl``): the unit of sharing and replay.

Line 1 is a header::

    {"format": "remap-session", "format_version": 1, "session": "…", "name": "…",
     "exported_at": "2025-…Z", "last_seq": 42, "settings": {…}}

then one envelope per line, in seq order, each event exactly as stored (its body and
schema version untouched, so an old event stays old and is upcast when read)::

    {"seq": 1, "id": "…", "at": "…", "session": "…", "version": 1, "event": {"kind": …}}

`read_session_file` validates every line before anything else happens: a truncated or
corrupt line, a seq out of order or with a gap, a line of another session, a
duplicate event id, an unknown kind or a body that does not decode, a file that ends
before the header's ``last_seq``, a newer format: each is a `SessionFileError` with
the line number. `import_session` writes nothing unless the whole file is valid; a
session the store already holds is extended with the events it lacks (importing a
file twice is a no-op), and a different session under the same id is refused.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import IO

import msgspec

from .errors import EventDecodeError, SessionFileError, StoreError
from .kinds import VERSIONS, Envelope, SessionCreated
from .store import EventStore, StoredRow, utc_now
from .upcast import decode_event

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "ImportResult",
    "SessionFile",
    "SessionHeader",
    "export_session",
    "import_session",
    "read_session_file",
]

FORMAT = "remap-session"
FORMAT_VERSION = 1
_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


class SessionHeader(msgspec.Struct, frozen=True, gc=False):
    """The first line of a session file. `last_seq` is the number of events that follow
    (a file cut short at a line boundary is caught by it); `settings` is the session's
    `Settings` as raw JSON, for a reader that only wants to show them (the "session
    created" event holds them too)."""

    format: str
    format_version: int
    session: str
    name: str
    exported_at: str
    last_seq: int
    settings: msgspec.Raw = msgspec.Raw(b"null")


class _Line(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    seq: int
    id: str
    at: str
    session: str
    version: int
    event: msgspec.Raw


class _Kind(msgspec.Struct, gc=False):
    kind: str


class _Format(msgspec.Struct, gc=False):
    format: str | None = None
    format_version: int | None = None


class SessionFile(msgspec.Struct, frozen=True, gc=False):
    """A validated session file: its header, the rows as stored (for an import) and
    the envelopes with every event decoded to its current version (for a replay)."""

    header: SessionHeader
    rows: tuple[StoredRow, ...]
    envelopes: tuple[Envelope, ...]


class ImportResult(msgspec.Struct, frozen=True, gc=False):
    """What `import_session` did: the session, how many events were new to the store,
    and the session's last seq."""

    session: str
    name: str
    added: int
    last_seq: int


_HEADER = msgspec.json.Decoder(SessionHeader)
_FORMAT = msgspec.json.Decoder(_Format)
_LINE = msgspec.json.Decoder(_Line)
_KIND = msgspec.json.Decoder(_Kind)
_ENCODE = msgspec.json.Encoder().encode


def _name_of(file: str | os.PathLike | IO[bytes]) -> str:
    if isinstance(file, str | os.PathLike):
        return str(file)
    return str(getattr(file, "name", "<session file>"))


# --- export --------------------------------------------------------------------------


def export_session(store: EventStore, session: str, file: str | os.PathLike | IO[bytes]) -> int:
    """Write `session` to `file` (a path, written atomically, or a binary file object);
    the number of events written. Raises `StoreError` when the store has no such
    session."""
    info = store.session(session)
    if info is None:
        raise StoreError(f"{store.path}: no session {session!r} to export")
    rows = store.read_rows(session, upto=info.last_seq)
    settings = msgspec.Raw(b"null")
    if rows and rows[0].kind == "session_created":
        created = decode_event(rows[0].kind, rows[0].version, rows[0].body)
        if isinstance(created, SessionCreated):
            settings = msgspec.Raw(_ENCODE(created.settings))
    header = SessionHeader(
        FORMAT, FORMAT_VERSION, session, info.name, utc_now(), len(rows), settings
    )
    chunks = [_ENCODE(header), b"\n"]
    for r in rows:
        chunks.append(_ENCODE(_Line(r.seq, r.id, r.at, session, r.version, msgspec.Raw(r.body))))
        chunks.append(b"\n")
    data = b"".join(chunks)
    if isinstance(file, str | os.PathLike):
        _write_atomically(Path(file), data)
    else:
        file.write(data)
    return len(rows)


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- reading and validating ----------------------------------------------------------


def read_session_file(file: str | os.PathLike | IO[bytes] | bytes) -> SessionFile:
    """Read and validate a whole session file (see the module); raises
    `SessionFileError` naming the line of the first problem."""
    if isinstance(file, bytes | bytearray):
        name, data = "<session file>", bytes(file)
    else:
        name = _name_of(file)
        try:
            data = Path(file).read_bytes() if isinstance(file, str | os.PathLike) else file.read()
        except OSError as exc:
            raise SessionFileError(name, None, f"cannot be read: {exc.strerror}") from exc
    if not data.strip():
        raise SessionFileError(name, None, "is empty: a session file starts with a header line")
    lines = data.split(b"\n")
    ends_mid_line = lines[-1] != b""
    if not ends_mid_line:
        lines.pop()
    last_number = len(lines)

    def fail(number: int, reason: str) -> SessionFileError:
        if number == last_number and ends_mid_line:
            reason += " (the file ends in the middle of this line: truncated?)"
        return SessionFileError(name, number, reason)

    at = [1]  # the line being read
    try:
        return _read_lines(name, lines, fail, at)
    except (UnicodeDecodeError, RecursionError) as exc:
        # msgspec raises these, not DecodeError, for bad UTF-8 in a string and for JSON
        # nested deeper than the interpreter's stack
        raise fail(at[0], _undecodable(exc)) from None


def _undecodable(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason})"
    return "JSON nested too deeply to read"


def _read_lines(name: str, lines: list[bytes], fail, at: list[int]) -> SessionFile:
    last_number = len(lines)
    header = _header(lines[0], fail)
    rows: list[StoredRow] = []
    envelopes: list[Envelope] = []
    ids: dict[str, int] = {}
    for number, text in enumerate(lines[1:], start=2):
        at[0] = number
        if not text.strip():
            raise fail(number, "blank line: every line after the header is one event")
        try:
            line = _LINE.decode(text)
        except msgspec.DecodeError as exc:
            raise fail(number, f"not an event line: {exc}") from exc
        expected = len(rows) + 1
        if line.session != header.session:
            raise fail(
                number,
                f"belongs to session {line.session!r}, not {header.session!r} as the header says",
            )
        if line.seq != expected:
            order = "out of order" if line.seq < expected else "a gap"
            raise fail(number, f"seq {line.seq} where {expected} was expected ({order})")
        if line.id in ids:
            raise fail(number, f"duplicate event id {line.id!r} (first on line {ids[line.id]})")
        if not _AT.match(line.at):
            raise fail(number, f"`at` is not a UTC time like 2025-01-31T12:34:56.789Z: {line.at!r}")
        body = bytes(line.event)
        try:
            kind = _KIND.decode(body).kind
        except msgspec.DecodeError as exc:
            raise fail(number, f"the event has no kind: {exc}") from exc
        if kind not in VERSIONS:
            raise fail(number, f"unknown event kind {kind!r} (written by a newer program?)")
        try:
            event = decode_event(kind, line.version, body)
        except EventDecodeError as exc:
            raise fail(number, str(exc)) from exc
        if expected == 1 and kind != "session_created":
            raise fail(number, f"the first event must be 'session_created', not {kind!r}")
        ids[line.id] = number
        rows.append(StoredRow(line.seq, line.id, line.at, kind, line.version, body))
        envelopes.append(Envelope(line.seq, line.id, line.at, line.session, VERSIONS[kind], event))
    if len(rows) != header.last_seq:
        raise SessionFileError(
            name,
            last_number,
            f"the file ends at seq {len(rows)} but its header says {header.last_seq}: truncated",
        )
    return SessionFile(header, tuple(rows), tuple(envelopes))


def _header(text: bytes, fail) -> SessionHeader:
    try:
        kind = _FORMAT.decode(text)
    except msgspec.DecodeError as exc:
        raise fail(1, f"not a REMAP session file: the header is not a JSON object ({exc})") from exc
    if kind.format != FORMAT:
        raise fail(1, f"not a REMAP session file (format {kind.format!r}, not {FORMAT!r})")
    if not isinstance(kind.format_version, int) or kind.format_version > FORMAT_VERSION:
        raise fail(
            1,
            f"format version {kind.format_version} is newer than this program reads "
            f"({FORMAT_VERSION}): upgrade REMAP",
        )
    try:
        header = _HEADER.decode(text)
    except msgspec.DecodeError as exc:
        raise fail(1, f"bad header: {exc}") from exc
    if not header.session:
        raise fail(1, "the header names no session")
    if header.last_seq < 1:
        raise fail(1, f"the header's last_seq is {header.last_seq}: a session has events")
    return header


# --- import --------------------------------------------------------------------------


def import_session(store: EventStore, file: str | os.PathLike | IO[bytes] | bytes) -> ImportResult:
    """Validate all of `file`, then append the events that `store` lacks in one
    transaction, each keeping its seq, id, time and stored body.

    A store that holds the file's session already is extended by the events after its
    last seq (none: a no-op); one whose events differ from the file's under the same
    seq holds a different session with the same id, and is refused (`SessionFileError`).
    """
    parsed = read_session_file(file)
    name = "<session file>" if isinstance(file, bytes | bytearray) else _name_of(file)
    session = parsed.header.session
    have = store.read_rows(session)
    for old, new in zip(have, parsed.rows, strict=False):
        if (old.id, old.kind, old.version, old.body) != (new.id, new.kind, new.version, new.body):
            raise SessionFileError(
                name,
                None,
                f"{store.path} holds a different session with the id {session!r}: its event "
                f"at seq {old.seq} is {old.id!r} ({old.kind}), the file's is {new.id!r} "
                f"({new.kind})",
            )
    fresh = list(parsed.rows[len(have) :])
    if fresh:
        store.append_rows(session, fresh, expected_seq=len(have))
    return ImportResult(session, parsed.header.name, len(fresh), max(len(have), len(parsed.rows)))
