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

from nas_core.specs import InputError, check_data_spec, check_session_id
from snacs import duplicate_key_problem, explain_decode_error, first_bad_utf8

from .errors import EventDecodeError, SessionFileError, StoreError, UnsafeSessionFile
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

    bad = first_bad_utf8(data)  # checked here, so the words never depend on msgspec's
    if bad is not None:
        number = data.count(b"\n", 0, bad) + 1
        offset = bad - (data.rfind(b"\n", 0, bad) + 1)
        byte = f"byte 0x{data[bad]:02x} at offset {offset} of the line"
        raise fail(number, f"the line is not UTF-8 text ({byte})")
    at = [1]  # the line being read
    try:
        return _read_lines(name, lines, fail, at)
    except (UnicodeError, RecursionError) as exc:
        # msgspec raises these, not DecodeError, for JSON nested deeper than the
        # interpreter's stack (and, before 0.23, for bad UTF-8 in a string)
        raise fail(at[0], f"the line {explain_decode_error(exc).reason}") from None


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
            raise fail(number, f"not an event line: {explain_decode_error(exc)}") from exc
        twice = duplicate_key_problem(text)  # the event body inside it too
        if twice is not None:
            raise fail(number, str(twice))
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
            reason = f"the event has no kind: {explain_decode_error(exc, '$.event')}"
            raise fail(number, reason) from exc
        if kind not in VERSIONS:
            raise fail(number, f"unknown event kind {kind!r} (written by a newer program?)")
        try:
            event = decode_event(kind, line.version, body, path="$.event")
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
        problem = explain_decode_error(exc)
        if problem.path == "$":
            raise fail(1, f"not a REMAP session file: the header line {problem.reason}") from exc
        raise fail(1, f"bad header: {problem}") from exc
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
        raise fail(1, f"bad header: {explain_decode_error(exc)}") from exc
    twice = duplicate_key_problem(text)
    if twice is not None:
        raise fail(1, f"bad header: {twice}")
    if not header.session:
        raise fail(1, "the header names no session")
    if header.last_seq < 1:
        raise fail(1, f"the header's last_seq is {header.last_seq}: a session has events")
    return header


# --- import --------------------------------------------------------------------------


def import_session(
    store: EventStore,
    file: str | os.PathLike | IO[bytes] | bytes,
    *,
    data_root: str | os.PathLike | None = None,
) -> ImportResult:
    """Validate all of `file`, then append the events that `store` lacks in one
    transaction, each keeping its seq, id, time and stored body.

    A file from outside must name its session with a `nas_core.specs.SESSION_ID` and
    its data set inside `data_root` (the data folder; ``None``: only bundled data sets),
    else `UnsafeSessionFile`: the rules of the HTTP API, checked here so that every door
    in (``remap import``, ``POST /api/import``) applies them.

    A store that holds the file's session already is extended by the events after its
    last seq (none: a no-op); one whose events differ from the file's under the same
    seq holds a different session with the same id, and is refused (`SessionFileError`).

    Before anything is written the whole log is folded and restored as the server
    opens a session (`nas_core.service.restore`): a log whose events do not fit
    together (a model embedded that never finished, embedded against other models
    than were embedded before it, …) is refused with the line that breaks it.
    """
    parsed = read_session_file(file)
    name = "<session file>" if isinstance(file, bytes | bytearray) else _name_of(file)
    _admit(parsed, name, data_root)
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
        _prove(parsed, name)  # the file's log is the whole log the store will hold
        store.append_rows(session, fresh, expected_seq=len(have))
    return ImportResult(session, parsed.header.name, len(fresh), max(len(have), len(parsed.rows)))


def _admit(parsed: SessionFile, name: str, data_root: str | os.PathLike | None) -> None:
    """Refuse what a store must not take from a file (see `import_session`)."""
    try:
        check_session_id(parsed.header.session, "$.session")
    except InputError as exc:
        raise UnsafeSessionFile(name, 1, exc.reason, exc.path) from None
    created = parsed.envelopes[0].event  # the first event is "session created" (checked)
    if isinstance(created, SessionCreated):
        try:
            check_data_spec(created.data, None if data_root is None else Path(data_root))
        except InputError as exc:
            reason = f"session_created: data.path {exc.reason}"
            raise UnsafeSessionFile(name, 2, reason, exc.path) from None


def _prove(parsed: SessionFile, name: str) -> None:
    """Refuse a log the server could not open (see `import_session`), at its line."""
    # the service's own restore: imported here, not at the top, because the service
    # package imports this one
    from nas_core.service.restore import RestoreError, restore

    try:
        restore(parsed.envelopes)
    except RestoreError as exc:
        line = None if exc.seq is None else exc.seq + 1  # line 1 is the header
        raise SessionFileError(name, line, f"the session cannot be opened: {exc.reason}") from None
