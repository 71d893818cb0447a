"""Every door where a person's JSON comes in speaks REMAP's words, never msgspec's: a
SNAC spec (`snacs.decode`), an architecture (`decode_architecture`), a command
(`decode_command` / `convert_command`, the HTTP API's), a search space; each refuses an
object with a key twice, with the path of the object (issues 14 and 15)."""

from __future__ import annotations

import json

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import snacs
from nas_core.arch import decode_architecture
from nas_core.errors import ArchitectureError, SearchSpaceError
from nas_core.events import CommandError, convert_command, decode_command
from nas_core.generators import decode_search_space, load_search_space

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

ARCH = {
    "name": "m",
    "input": {"shape": [1, 8, 8], "classes": 10},
    "layers": [
        {"type": "conv", "filters": 4, "kernel": 3},
        {"type": "relu"},
        {"type": "dropout", "rate": 0.25},
        {"type": "flatten"},
        {"type": "dense", "units": 10},
    ],
}


def _raises_remaps_words(call, data, error_class) -> None:
    """`call(data)` succeeds, or raises `error_class` (and nothing else) in REMAP's words
    with a JSON path."""
    error = None
    try:
        call(data)
    except error_class as exc:
        error = exc
    if error is not None:
        message = str(error)
        assert not any(phrase in message for phrase in STOCK), message
        assert error.path is not None, message
        assert error.path.startswith("$"), (message, error.path)


def _spec(data) -> None:
    snacs.decode(data)


DOORS = [
    (_spec, snacs.SpecError),
    (decode_architecture, ArchitectureError),
    (decode_command, CommandError),
]

KEYS = st.sampled_from(
    ["type", "name", "input", "shape", "classes", "layers", "filters", "kernel", "rate",
     "units", "pool", "stride", "padding", "skips", "count", "model", "indices", "edits",
     "op", "index", "params", "layer", "allowed", "id", "settings", "data", "class_name",
     "config", "x y", "é"]
)  # fmt: skip
TYPES = st.sampled_from(
    ["conv", "dense", "dropout", "relu", "maxpool", "flatten", "lstm", "sample", "ablate",
     "vary", "handcraft", "cancel", "change_view", "create_session", "insert", "remove",
     "reparam", "Sequential"]
)  # fmt: skip
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | TYPES
)
JSONISH = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)
DOCUMENTS = st.dictionaries(KEYS, JSONISH, max_size=6) | JSONISH


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=80) | st.text(max_size=80).map(lambda t: t.encode("utf-8", "replace")))
def test_arbitrary_bytes_either_decode_or_raise_remaps_error(data: bytes) -> None:
    for call, error_class in DOORS:
        _raises_remaps_words(call, data, error_class)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_arbitrary_json_objects_either_decode_or_raise_remaps_error(value) -> None:
    text = json.dumps(value)
    for call, error_class in DOORS:
        _raises_remaps_words(call, text, error_class)
        _raises_remaps_words(call, text.encode(), error_class)
    if isinstance(value, dict):
        _raises_remaps_words(_spec, value, snacs.SpecError)
        _raises_remaps_words(decode_architecture, value, ArchitectureError)
        _raises_remaps_words(convert_command, value, CommandError)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, JSONISH, max_size=6), st.sampled_from(["conv", "dense", "dropout"]))
def test_near_valid_layers_raise_remaps_error(fields, kind) -> None:
    doc = json.loads(json.dumps(ARCH))
    doc["layers"][2] = {"type": kind, **fields}
    for call, error_class in DOORS[:2]:
        _raises_remaps_words(call, json.dumps(doc), error_class)


@pytest.mark.parametrize("data", [b"[" * 200_000, b'"\xff"', b"", b"0\x00", b"[] x"])
def test_hostile_documents_get_remaps_words_at_the_root(data: bytes) -> None:
    for call, error_class in DOORS:
        with pytest.raises(error_class) as info:
            call(data)
        assert info.value.path == "$"
        assert not any(phrase in str(info.value) for phrase in STOCK)


# --- duplicate keys, door by door ------------------------------------------------------


def _twice(text: str) -> str:
    changed = text.replace('"rate": 0.25', '"rate": 0.25, "rate": 0.9', 1)
    assert changed != text
    return changed


def test_an_architecture_with_a_key_twice() -> None:
    text = _twice(json.dumps(ARCH))
    for form in (text, text.encode()):
        with pytest.raises(ArchitectureError) as info:
            decode_architecture(form)
        assert str(info.value) == "`rate` appears twice - at `$.layers[2]`"
        assert (info.value.path, info.value.index) == ("$.layers[2]", 2)
    assert decode_architecture(json.dumps(ARCH)).layers[2].rate == 0.25


def test_an_architecture_that_is_not_utf8() -> None:
    data = json.dumps(ARCH).encode().replace(b'"m"', b'"\xc3\x28"')
    with pytest.raises(ArchitectureError) as info:
        decode_architecture(data)
    assert str(info.value) == "is not UTF-8 text (byte 0xc3 at offset 10) - at `$`"


def test_a_command_with_a_key_twice() -> None:
    with pytest.raises(CommandError) as info:
        decode_command(b'{"type": "sample", "count": 1, "count": 500}')
    assert (info.value.path, info.value.reason) == ("$", "`count` appears twice")
    body = (
        b'{"type": "handcraft", "model": "m1", "edits": [{"op": "remove", "index": 0}, '
        b'{"op": "reparam", "index": 1, "params": {"filters": 8, "filters": 9}}]}'
    )
    with pytest.raises(CommandError) as info:
        decode_command(body)
    assert str(info.value) == "`filters` appears twice - at `$.edits[1].params`"


def test_a_search_space_with_a_key_twice() -> None:
    text = json.dumps(msgspec.to_builtins(load_search_space()))
    doubled = text.replace('"grids": {', '"grids": {"units": [8], ', 1)
    assert doubled != text
    with pytest.raises(SearchSpaceError) as info:
        decode_search_space(doubled, source="mine.json")
    assert str(info.value) == "mine.json: `units` appears twice - at `$.grids`"
