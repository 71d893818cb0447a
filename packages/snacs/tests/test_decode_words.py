"""`snacs.explain_decode_error`: every message form msgspec (0.19 to 0.23) produces for a
bad document, retold in REMAP's words with the JSON path kept; and the raw-byte checks
for UTF-8 and duplicate keys."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec import Meta, Struct

import snacs
from snacs import DecodeProblem, duplicate_key_problem, explain_decode_error, utf8_problem

STOCK = (
    "Expected `",
    "Object missing",
    "Object contains",
    "JSON is malformed",
    "Invalid enum",
    "Invalid value",
    "Invalid UTF-8",
    "Input data was truncated",
    "maximum recursion",
)


class Inner(Struct, forbid_unknown_fields=True):
    units: Annotated[int, Meta(ge=1)]


class Kind(Struct, tag_field="type", tag="a", forbid_unknown_fields=True):
    x: int = 0


class Other(Struct, tag_field="type", tag="b"):
    y: int = 0


class Odd(Struct):
    n: int = 1

    def __post_init__(self) -> None:
        if self.n % 2 == 0:
            raise ValueError(f"n must be odd, not {self.n}")


class Doc(Struct, forbid_unknown_fields=True):
    rate: Annotated[float, Meta(ge=0.0, le=1.0)] = 0.5
    frac: Annotated[float, Meta(gt=0.0, lt=0.5)] = 0.1
    step: Annotated[int, Meta(multiple_of=3)] = 3
    name: Annotated[str, Meta(pattern="^[a-z]+$", min_length=2, max_length=4)] = "ab"
    shape: Annotated[list[int], Meta(min_length=1, max_length=3)] = msgspec.field(
        default_factory=lambda: [1]
    )
    table: Annotated[dict[str, int], Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: {"a": 1}
    )
    allowed: dict[Annotated[int, Meta(ge=0)], int] = {}
    padding: Literal["same", "valid"] = "same"
    maybe: int | None = None
    pair: tuple[int, int] = (1, 2)
    blob: bytes = b""
    layers: list[Kind | Other] = []
    inner: Inner | None = None
    odd: Odd | None = None


DOC = msgspec.json.Decoder(Doc)


def problem(data: bytes) -> DecodeProblem:
    with pytest.raises((msgspec.DecodeError, RecursionError)) as info:
        DOC.decode(data)
    return explain_decode_error(info.value)


@pytest.mark.parametrize(
    ("data", "reason", "path"),
    [
        (b'{"rate": "x"}', "must be a number, not a string", "$.rate"),
        (b'{"rate": 2}', "must be at most 1.0", "$.rate"),
        (b'{"rate": -1}', "must be at least 0.0", "$.rate"),
        (b'{"frac": 0}', "must be more than 0.0", "$.frac"),
        (b'{"frac": 0.5}', "must be less than 0.5", "$.frac"),
        (b'{"step": 4}', "must be a multiple of 3", "$.step"),
        (b'{"inner": {"units": 0}}', "must be at least 1", "$.inner.units"),
        (b'{"name": "A1"}', "must match the pattern '^[a-z]+$'", "$.name"),
        (b'{"name": "a"}', "must be at least 2 characters long", "$.name"),
        (b'{"name": "abcdef"}', "must be at most 4 characters long", "$.name"),
        (b'{"shape": []}', "must have at least 1 item", "$.shape"),
        (b'{"shape": [1, 2, 3, 4]}', "must have at most 3 items", "$.shape"),
        (b'{"table": {}}', "must have at least 1 entry", "$.table"),
        (b'{"pair": [1]}', "must have exactly 2 items", "$.pair"),
        (b'{"shape": [1, "x"]}', "must be an integer, not a string", "$.shape[1]"),
        (b'{"table": {"a": "x"}}', "must be an integer, not a string", "$.table[...]"),
        (b'{"allowed": {"x": 1}}', "has a key that must be an integer, not a string", "$.allowed"),
        (b'{"allowed": {"-1": 1}}', "has a key that must be at least 0", "$.allowed"),
        (b'{"padding": "full"}', "'full' is not an allowed value", "$.padding"),
        (b'{"maybe": "x"}', "must be an integer or null, not a string", "$.maybe"),
        (b'{"maybe": 1.5}', "must be an integer or null, not a number with a fraction", "$.maybe"),
        (b'{"maybe": 1e400}', "is a number too large to read", "$.maybe"),
        (b'{"blob": "!!"}', "must be base64 text", "$.blob"),
        (b'{"layers": [{"type": "c"}]}', "'c' is not an allowed value", "$.layers[0].type"),
        (b'{"layers": [{"type": 1}]}', "must be a string", "$.layers[0].type"),
        (b'{"layers": [{}]}', "is required", "$.layers[0].type"),
        (b'{"layers": [{"type": "a", "z": 1}]}', "is not a field of this object", "$.layers[0].z"),
        (b'{"inner": {}}', "is required", "$.inner.units"),
        (b'{"odd": {"n": 2}}', "n must be odd, not 2", "$.odd"),
        (b'{"a b": 1}', "is not a field of this object", '$["a b"]'),
        (b"[]", "must be an object, not a list", "$"),
        (b"null", "must be an object, not null", "$"),
        (b'{"rate": ', "ends early (truncated JSON)", "$"),
        (b"", "ends early (truncated JSON)", "$"),
        (b'{"rate": }', "is not valid JSON (at byte 9: an unexpected character)", "$"),
        (b'{"rate": 1} x', "is not valid JSON (at byte 13: something follows the JSON value)",
         "$"),
        (b'{"shape": [1,]}', "is not valid JSON (at byte 13: a comma before the closing bracket)",
         "$"),
        (b'{"rate" 1}', "is not valid JSON (at byte 8: a ':' is missing after a key)", "$"),
        (b'{rate: 1}', "is not valid JSON (at byte 1: a key must be a string in double quotes)",
         "$"),
        (b'{"name": "\\q"}', "is not valid JSON (at byte 12: a bad escape (\\) in a string)", "$"),
    ],
)  # fmt: skip
def test_msgspec_errors_in_remaps_words(data: bytes, reason: str, path: str) -> None:
    assert problem(data) == (reason, path)


@pytest.mark.parametrize(
    ("message", "reason", "path"),
    [
        # forms of msgspec releases other than the installed one
        ("Expected `array` of length 3, got 2 - at `$.input.shape`",
         "must have exactly 3 items (it has 2)", "$.input.shape"),
        ("Expected `array` of at least length 1, got 0 - at `$.l`",
         "must have at least 1 item (it has 0)", "$.l"),
        ("Expected `array` of at most length 3, got 4 - at `$.l`",
         "must have at most 3 items (it has 4)", "$.l"),
        ("Expected `array` of length 2 to 3, got 5 - at `$.t`", "must have 2 to 3 items (it has 5)",
         "$.t"),
        ("Expected `array` of length >= 1 - at `$.l`", "must have at least 1 item", "$.l"),
        ("Invalid UTF-8 encoded string", "is not UTF-8 text", "$"),
        ("Invalid enum value 4 - at `$.layers[0].kernel`", "4 is not an allowed value",
         "$.layers[0].kernel"),
        ("Invalid value 'lstm' - at `$.layers[2].type`", "'lstm' is not an allowed value",
         "$.layers[2].type"),
        ("Invalid enum value 'x' - at `key` in `$.allowed`", "has a key 'x' that is not allowed",
         "$.allowed"),
        ("Object missing required field `type` - at `$.layers[2]`", "is required",
         "$.layers[2].type"),
        ("Object contains unknown field `stride` - at `$.layers[2]`",
         "is not a field of this object", "$.layers[2].stride"),
        ("Expected `int` >= 1 - at `$.input.shape[0]`", "must be at least 1", "$.input.shape[0]"),
        ("Expected `datetime`, got `str` - at `$.at`", "must be a date and time, not a string",
         "$.at"),
        ("Invalid RFC3339 encoded datetime - at `$.at`",
         "must be a date and time like 2025-01-31T12:34:56Z", "$.at"),
        ("Expected `datetime` with a timezone component - at `$.at`",
         "must have a time zone (like Z or +01:00)", "$.at"),
        ("Expected a hashable value, got `array` - at `$.s[0]`",
         "must be a string, a number or true/false, not a list", "$.s[0]"),
        ("Integer value out of range - at `$.n`", "is a number too large to read", "$.n"),
        ("JSON is malformed: invalid utf-16 surrogate pair (byte 7)",
         "is not valid JSON (at byte 7: a \\u escape that is half of a character)", "$"),
        ("JSON is malformed: something new (byte 3)", "is not valid JSON (at byte 3)", "$"),
        ("A message no release has written - at `$.x`", "does not have the expected form", "$.x"),
        ("Expected `frobnicator`, got `str` - at `$.x`",
         "must be a value of another type, not a string", "$.x"),
    ],
)  # fmt: skip
def test_every_message_form(message: str, reason: str, path: str) -> None:
    cls = msgspec.DecodeError if message.startswith(("JSON", "Invalid UTF")) else None
    exc = (cls or msgspec.ValidationError)(message)
    assert explain_decode_error(exc) == (reason, path)


def test_bad_utf8_reads_the_same_whichever_msgspec_raised_it() -> None:
    old = UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")  # msgspec < 0.23
    new = msgspec.DecodeError("Invalid UTF-8 encoded string")  # msgspec 0.23
    assert explain_decode_error(old) == explain_decode_error(new) == ("is not UTF-8 text", "$")
    # the installed msgspec, whichever: < 0.23 lets UnicodeDecodeError through
    with pytest.raises((msgspec.DecodeError, UnicodeDecodeError)) as info:
        msgspec.json.decode(b'{"name": "\xff"}')
    assert explain_decode_error(info.value).reason == "is not UTF-8 text"


def test_recursion_and_lone_surrogates() -> None:
    with pytest.raises(RecursionError) as info:
        msgspec.json.decode(b"[" * 200_000)
    assert explain_decode_error(info.value) == ("nests too deeply to read", "$")
    with pytest.raises(UnicodeEncodeError) as caught:
        msgspec.json.decode('"\ud800"')
    assert "lone surrogate" in explain_decode_error(caught.value).reason


def test_prefix_replaces_the_root() -> None:
    exc = msgspec.ValidationError("Expected `int` >= 0 - at `$[1].index`")
    assert explain_decode_error(exc, "$.edits") == ("must be at least 0", "$.edits[1].index")
    assert explain_decode_error(RecursionError(), "$.event") == (
        "nests too deeply to read",
        "$.event",
    )
    assert str(DecodeProblem("is required", "$.a")) == "is required - at `$.a`"


# --- raw bytes ------------------------------------------------------------------------


def test_utf8_problem_names_the_first_bad_byte() -> None:
    assert utf8_problem(b'{"a": "\xc3\xa9"}') is None
    assert utf8_problem(b"") is None
    assert utf8_problem(b'{"a": "\xc3\x28"}') == (
        "is not UTF-8 text (byte 0xc3 at offset 7)",
        "$",
    )
    # a character split across the chunks of the incremental decoder is fine
    text = ("é" * 10).encode()
    assert utf8_problem(text, chunk=3) is None
    assert snacs.first_bad_utf8(text + b"\xff", chunk=3) == len(text)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"a": 1, "a": 2}', ("`a` appears twice", "$")),
        (b'{"layers": [{"type": "relu"}, {"type": "dropout", "rate": 0.5, "rate": 1}]}',
         ("`rate` appears twice", "$.layers[1]")),
        (b'{"x": {"a b": {"c": 1, "c": 2}}}', ("`c` appears twice", '$.x["a b"]')),
        (b'{"a": 1.50, "b": "\\u00e9", "a": 3}', ("`a` appears twice", "$")),  # the slow path
        (b'[{"a": 1}, {"b": {"a": 1, "a": 1}}]', ("`a` appears twice", "$[1].b")),
        (b'{"a": {"k": 1}, "b": {"k": 1}}', None),  # the same key in two objects is fine
        (b'{"a": 1.50, "b": "\\u00e9"}', None),
        (b' {\n "a" : [1, 2] } ', None),
        (b'{"a": ', None),  # malformed: the caller's decoder says why
    ],
)  # fmt: skip
def test_duplicate_key_problem(data: bytes, expected) -> None:
    assert duplicate_key_problem(data) == expected
    assert duplicate_key_problem(data.decode()) == expected


def test_duplicate_keys_of_a_deep_document_do_not_crash() -> None:
    assert duplicate_key_problem(b"[" * 200_000 + b"]" * 200_000) == (
        "nests too deeply to read",
        "$",
    )


def _objects(keys: st.SearchStrategy[str]) -> st.SearchStrategy:
    leaves = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text()
    )
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.lists(st.tuples(keys, inner), max_size=4),
        max_leaves=20,
    )


def _dump(value) -> str:
    """JSON of `value`, where a list of (key, value) tuples is an object (keys may repeat)."""
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        return "{" + ", ".join(f"{json.dumps(k)}: {_dump(v)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v) for v in value) + "]"
    return json.dumps(value)


def _has_repeat(value) -> bool:
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        keys = [k for k, _ in value]
        return len(keys) != len(set(keys)) or any(_has_repeat(v) for _, v in value)
    return isinstance(value, list) and any(_has_repeat(v) for v in value)


@settings(max_examples=300, deadline=None)
@given(_objects(st.sampled_from(["a", "b", "c", "d e", "é"])))
def test_duplicate_key_problem_agrees_with_a_plain_count(value) -> None:
    found = duplicate_key_problem(_dump(value))
    assert (found is not None) == _has_repeat(value)
    if found is not None:
        assert found.path.startswith("$")
        assert found.reason.endswith("appears twice")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64) | st.text(max_size=64).map(str.encode))
def test_arbitrary_bytes_never_show_msgspecs_words(data: bytes) -> None:
    try:
        DOC.decode(data)
    except (msgspec.DecodeError, RecursionError) as exc:
        reason, path = explain_decode_error(exc)
        assert path.startswith("$")
        assert not any(phrase in reason for phrase in STOCK), reason
