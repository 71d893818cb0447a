"""REMAP's own words for what goes wrong while decoding JSON, with the JSON path.

msgspec reports a bad document in its own phrasing ("Expected `float` <= 1.0 - at
`$.layers[2].rate`", "Object missing required field `type`", "JSON is malformed: …"),
and that phrasing changes between its releases (0.23 reports bad UTF-8 itself, older
releases let a ``UnicodeDecodeError`` through). `explain_decode_error` turns any of
them into a `DecodeProblem`: a sentence of ours and the path it is about::

    >>> explain_decode_error(exc)          # Expected `float` <= 1.0 - at `$.layers[2].rate`
    DecodeProblem(reason='must be at most 1.0', path='$.layers[2].rate')

A message it does not recognise becomes "does not have the expected form": a library
message is never passed through. A ``ValueError`` raised by a struct's own
``__post_init__`` is ours already and is kept as it is.

Two checks run on the raw bytes, so that their wording never depends on the library:
`utf8_problem` (the first byte that is not UTF-8) and `duplicate_key_problem` (an
object that has the same key twice, which msgspec would silently resolve to the last).

Every module that decodes JSON a user wrote (snacs, nas_core, the server) uses these.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any, NamedTuple

import msgspec

__all__ = [
    "DecodeProblem",
    "duplicate_key_problem",
    "explain_decode_error",
    "first_bad_utf8",
    "utf8_problem",
]


class DecodeProblem(NamedTuple):
    """What is wrong (`reason`, a sentence that reads after the thing at `path`) and
    where (`path`, a JSON path starting with ``$``). ``str()`` gives
    ``"<reason> - at `<path>`"``, the convention of REMAP's error messages."""

    reason: str
    path: str = "$"

    def __str__(self) -> str:
        return f"{self.reason} - at `{self.path}`"


GENERIC = "does not have the expected form"

# --- msgspec's messages -----------------------------------------------------------------

_SUFFIX = re.compile(r"^(?P<head>.*) - at (?P<where>`[^`]*`(?: in `[^`]*`)*)$", re.S)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_TYPES = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "bool": "true or false",
    "null": "null",
    "array": "a list",
    "object": "an object",
    "bytes": "base64 text",
    "datetime": "a date and time",
    "date": "a date",
    "time": "a time",
    "timedelta": "a duration",
    "uuid": "a UUID",
    "decimal": "a decimal number",
    "set": "a set",
    "ext": "a MessagePack extension",
    "raw": "raw JSON",
}
_GOT = {**_TYPES, "float": "a number with a fraction", "bytes": "bytes"}

_UNITS = {"array": "items", "str": "characters", "object": "entries", "bytes": "bytes"}
_COMPARE = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}

_FIXED = {
    "Integer value out of range": "is a number too large to read",
    "Number out of range": "is a number too large to read",
    "Invalid RFC3339 encoded datetime": "must be a date and time like 2025-01-31T12:34:56Z",
    "Invalid RFC3339 encoded date": "must be a date like 2025-01-31",
    "Invalid RFC3339 encoded time": "must be a time like 12:34:56",
    "Invalid epoch timestamp": "is not a valid time",
    "Timestamp is out of range": "is a time out of range",
    "Invalid ISO8601 duration": "must be a duration like P1DT2H",
    "Duration is out of range": "is a duration out of range",
    "Invalid UUID": "must be a UUID",
    "Invalid UUID bytes": "must be a UUID",
    "Invalid base64 encoded string": "must be base64 text",
    "Invalid decimal string": "must be a decimal number",
    "Input data was truncated": "ends early (truncated JSON)",
    "Invalid UTF-8 encoded string": "is not UTF-8 text",
}

# msgspec's detail of malformed JSON ("JSON is malformed: <detail> (byte 12)"), retold.
_MALFORMED = {
    "trailing characters": "something follows the JSON value",
    "trailing comma in array": "a comma before the closing bracket",
    "trailing comma in object": "a comma before the closing brace",
    "expected ':'": "a ':' is missing after a key",
    "expected ',' or ']'": "a ',' or ']' is missing",
    "expected ',' or '}'": "a ',' or '}' is missing",
    "expected '\"'": "a key must be a string in double quotes",
    "object keys must be strings": "a key must be a string in double quotes",
    "invalid number": "a number is not written as JSON writes numbers",
    "invalid character": "an unexpected character",
    "invalid escape character in string": "a bad escape (\\) in a string",
    "invalid escaped character": "a bad escape (\\) in a string",
    "invalid character in unicode escape": "a bad \\u escape in a string",
    "unexpected end of hex escape": "a bad \\u escape in a string",
    "invalid utf-16 surrogate pair": "a \\u escape that is half of a character",
    "unexpected end of escaped utf-16 surrogate pair": "a \\u escape that is half of a character",
}


GENERIC_TYPE = "a value of another type"
_ONE = {"items": "item", "characters": "character", "entries": "entry", "bytes": "byte"}


def _a(kind: str, words: dict[str, str]) -> str:
    """`int | null` → "an integer or null"."""
    parts = list(dict.fromkeys(words.get(p.strip(), GENERIC_TYPE) for p in kind.split("|")))
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _size(unit: str, how: str, n: str, got: str | None = None) -> str:
    """For example "must have at least 1 item", "must be at most 4 characters long"."""
    count = f"{how} {n} {_ONE[unit] if n == '1' else unit}"
    words = f"must be {count} long" if unit == "characters" else f"must have {count}"
    return words + (f" (it has {got})" if got else "")


_INVALID = re.compile(r"^Invalid (?:enum )?value (?P<v>.+)$", re.S)

_RULES: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"^Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`$"),
        lambda m: f"must be {_a(m['want'], _TYPES)}, not {_a(m['got'], _GOT)}",
    ),
    (
        re.compile(r"^Expected `(?P<want>[^`]+)`$"),
        lambda m: f"must be {_a(m['want'], _TYPES)}",
    ),
    (
        re.compile(r"^Expected `(?:int|float)` (?P<op>>=|>|<=|<) (?P<n>\S+)$"),
        lambda m: f"must be {_COMPARE[m['op']]} {m['n']}",
    ),
    (
        re.compile(r"^Expected `(?:int|float)` that's a multiple of (?P<n>\S+)$"),
        lambda m: f"must be a multiple of {m['n']}",
    ),
    (
        re.compile(r"^Expected `str` matching regex (?P<re>.+)$", re.S),
        lambda m: f"must match the pattern {m['re']}",
    ),
    (
        re.compile(
            r"^Expected `(?P<t>array|str|object|bytes)` of length (?P<op>>=|<=) (?P<n>\d+)$"
        ),
        lambda m: _size(_UNITS[m["t"]], _COMPARE[m["op"]], m["n"]),
    ),
    (
        re.compile(
            r"^Expected `array` of at (?P<how>least|most) length (?P<n>\d+)(?:, got (?P<g>\d+))?$"
        ),
        lambda m: _size("items", f"at {m['how']}", m["n"], m["g"]),
    ),
    (
        re.compile(r"^Expected `array` of length (?P<n>\d+) to (?P<k>\d+)(?:, got (?P<g>\d+))?$"),
        lambda m: _size("items", f"{m['n']} to", m["k"], m["g"]),
    ),
    (
        re.compile(r"^Expected `array` of length (?P<n>\d+)(?:, got (?P<g>\d+))?$"),
        lambda m: _size("items", "exactly", m["n"], m["g"]),
    ),
    (
        re.compile(r"^Expected `[^`]+` with a timezone component$"),
        lambda m: "must have a time zone (like Z or +01:00)",
    ),
    (
        re.compile(r"^Expected `[^`]+` with no timezone component$"),
        lambda m: "must have no time zone",
    ),
    (
        re.compile(r"^Expected a hashable value, got `(?P<got>[^`]+)`$"),
        lambda m: f"must be a string, a number or true/false, not {_a(m['got'], _GOT)}",
    ),
    (_INVALID, lambda m: f"{m['v']} is not an allowed value"),
]


def _member(path: str, key: str) -> str:
    """The path of `key` inside the object at `path`."""
    if _IDENTIFIER.match(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _with_prefix(path: str, prefix: str) -> str:
    return prefix + path[1:] if prefix != "$" and path.startswith("$") else path


def _own_words(exc: BaseException) -> str | None:
    """The message of a ``ValueError`` / ``TypeError`` that a struct's ``__post_init__``
    raised (msgspec wraps it, keeping it as the cause): REMAP's words already."""
    cause = exc.__cause__
    if isinstance(cause, ValueError | TypeError) and not isinstance(cause, msgspec.MsgspecError):
        text = str(cause)
        return text or None
    return None


def _reason(head: str) -> str:
    fixed = _FIXED.get(head)
    if fixed is not None:
        return fixed
    for pattern, words in _RULES:
        m = pattern.match(head)
        if m is not None:
            return words(m)
    return GENERIC


def _malformed(text: str) -> str | None:
    m = re.match(r"^JSON is malformed: (?P<detail>.*) \(byte (?P<n>\d+)\)$", text, re.S)
    if m is None:
        return None
    hint = _MALFORMED.get(m["detail"])
    return f"is not valid JSON (at byte {m['n']}" + (f": {hint})" if hint else ")")


def explain_decode_error(exc: BaseException, prefix: str = "$") -> DecodeProblem:
    """REMAP's reason and the JSON path for an error raised while decoding JSON.

    `exc` is a ``msgspec.DecodeError`` / ``msgspec.ValidationError``, a
    ``UnicodeDecodeError`` (bad UTF-8, as msgspec before 0.23 reported it), a
    ``UnicodeEncodeError`` (a ``str`` holding a lone surrogate) or a ``RecursionError``
    (JSON nested deeper than the interpreter's stack). `prefix` replaces the leading
    ``$`` of the path, for a document decoded as a part of a larger one
    (``"$[1]"``, ``"$.edits"``). The path of a missing or unknown field is the field's
    own (``$.layers[2].units``); a bad key of a dict is reported at the dict.
    """
    if isinstance(exc, RecursionError):
        return DecodeProblem("nests too deeply to read", prefix)
    if isinstance(exc, UnicodeDecodeError):
        return DecodeProblem("is not UTF-8 text", prefix)
    if isinstance(exc, UnicodeEncodeError):
        return DecodeProblem("is not valid Unicode text (it holds a lone surrogate)", prefix)
    text = str(exc)
    m = _SUFFIX.match(text)
    head, path, in_key = text, "$", False
    if m is not None:
        head = m["head"]
        groups = [g.strip("`") for g in m["where"].split(" in ")]
        path = groups[-1]  # the innermost key comes first: "`key` in `$.allowed`"
        in_key = len(groups) > 1
    own = _own_words(exc) if isinstance(exc, msgspec.ValidationError) else None
    if own is not None:
        return DecodeProblem(own, _with_prefix(path, prefix))
    malformed = _malformed(head)
    if malformed is not None:
        return DecodeProblem(malformed, prefix)
    field = re.match(
        r"^Object (?P<what>missing required|contains unknown) field `(?P<f>.*)`$", head, re.S
    )
    if field is not None and not in_key:
        missing = field["what"] == "missing required"
        reason = "is required" if missing else "is not a field of this object"
        return DecodeProblem(reason, _with_prefix(_member(path, field["f"]), prefix))
    reason = _reason(head)
    if in_key:
        value = _INVALID.match(head)
        if value is not None:
            reason = f"has a key {value['v']} that is not allowed"
        else:
            reason = f"has a key that {reason if reason.startswith('must') else GENERIC}"
    return DecodeProblem(reason, _with_prefix(path, prefix))


# --- checks on the raw bytes --------------------------------------------------------


def utf8_problem(
    data: bytes | bytearray | memoryview, chunk: int = 1 << 20
) -> DecodeProblem | None:
    """A `DecodeProblem` at ``$`` naming the first byte of `data` that is not UTF-8
    (``"is not UTF-8 text (byte 0xff at offset 12)"``), else ``None``.

    Decoded in chunks by an incremental decoder, so a large file never exists twice in
    memory. `offset` counts from the start of `data`.
    """
    offset = first_bad_utf8(data, chunk)
    if offset is None:
        return None
    return DecodeProblem(f"is not UTF-8 text (byte 0x{data[offset]:02x} at offset {offset})")


def first_bad_utf8(data: bytes | bytearray | memoryview, chunk: int = 1 << 20) -> int | None:
    """The offset of the first byte of `data` that is not UTF-8, else ``None``."""
    view = memoryview(data)
    decoder = codecs.getincrementaldecoder("utf-8")()
    n = len(view)
    for start in range(0, max(n, 1), chunk):
        held = len(decoder.getstate()[0])  # the start of a character split across chunks
        try:
            decoder.decode(view[start : start + chunk], final=start + chunk >= n)
        except UnicodeDecodeError as exc:
            return start - held + exc.start
    return None


_FORMAT = msgspec.json.format
_ANY = msgspec.json.Decoder()
_ENCODE = msgspec.json.Encoder().encode


class _Pairs(list):
    """A JSON object as the list of its (key, value) pairs, in document order."""


def duplicate_key_problem(data: bytes | bytearray | memoryview | str) -> DecodeProblem | None:
    """The first object in the JSON document `data` that has a key twice, as
    ``DecodeProblem("`rate` appears twice", "$.layers[2]")``; ``None`` when there is none.

    Call it on a document that decodes: it does not report malformed JSON. The usual
    answer is quick: when the document re-encoded from its decoded value equals the
    document with its whitespace stripped, no key was dropped (both steps run in C).
    Only when they differ (a duplicate, or merely a number or an escape written another
    way) is the document parsed again, in Python, to find the object.
    """
    raw = data.encode() if isinstance(data, str) else bytes(data)
    try:
        if _ENCODE(_ANY.decode(raw)) == _FORMAT(raw, indent=-1):
            return None
    except RecursionError:
        return DecodeProblem("nests too deeply to read")
    except msgspec.DecodeError:  # not JSON: the caller's decoder says why
        return None
    except (msgspec.EncodeError, OverflowError, TypeError):
        pass  # decoded to something that does not re-encode: look closer
    try:
        tree = json.loads(raw, object_pairs_hook=_Pairs)
    except RecursionError:
        return DecodeProblem("nests too deeply to read")
    except ValueError:  # not JSON: the caller's decoder says why
        return None
    return _first_duplicate(tree)


def _first_duplicate(tree: Any) -> DecodeProblem | None:
    stack: list[tuple[Any, str]] = [(tree, "$")]
    while stack:  # depth first, in document order, without recursion
        value, path = stack.pop()
        if isinstance(value, _Pairs):
            seen: set[str] = set()
            for key, _ in value:
                if key in seen:
                    return DecodeProblem(f"`{key}` appears twice", path)
                seen.add(key)
            stack.extend((v, _member(path, k)) for k, v in reversed(value))
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]") for i, v in reversed(list(enumerate(value))))
    return None
