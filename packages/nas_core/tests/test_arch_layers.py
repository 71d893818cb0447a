"""The architecture JSON: decoding, its errors, the JSON Schema."""

from __future__ import annotations

import json

import msgspec
import pytest

from nas_core.arch import (
    Architecture,
    ArchitectureError,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Input,
    MaxPool,
    ReLU,
    architecture_schema,
    canonical_json,
    decode_architecture,
)
from nas_core.arch.schema import SCHEMA_PATH, schema_text

DESIGN_EXAMPLE = """
{"name": "m17", "input": {"shape": [1, 8, 8], "classes": 10},
 "layers": [{"type": "conv", "filters": 32, "kernel": 3},
            {"type": "relu"}, {"type": "maxpool", "pool": 2},
            {"type": "dropout", "rate": 0.25}, {"type": "flatten"},
            {"type": "dense", "units": 10}]}
"""


def test_design_example_decodes_to_the_structs() -> None:
    arch = decode_architecture(DESIGN_EXAMPLE)
    assert arch == Architecture(
        name="m17",
        input=Input(shape=(1, 8, 8), classes=10),
        layers=(Conv(32, 3), ReLU(), MaxPool(2), Dropout(0.25), Flatten(), Dense(10)),
    )
    assert arch.layers[0].stride == 1


@pytest.mark.parametrize("form", ["bytes", "str", "dict"])
def test_decode_accepts_bytes_str_and_dicts(form: str) -> None:
    data = {"bytes": DESIGN_EXAMPLE.encode(), "str": DESIGN_EXAMPLE}.get(
        form, json.loads(DESIGN_EXAMPLE)
    )
    assert decode_architecture(data) == decode_architecture(DESIGN_EXAMPLE)


def test_encoding_round_trips() -> None:
    arch = decode_architecture(DESIGN_EXAMPLE)
    assert decode_architecture(canonical_json(arch)) == arch
    assert decode_architecture(msgspec.json.encode(arch)) == arch


def _bad(layer_patch: dict, index: int = 2) -> dict:
    data = json.loads(DESIGN_EXAMPLE)
    data["layers"][index] = layer_patch
    return data


@pytest.mark.parametrize(
    ("data", "message", "path", "index"),
    [
        (
            _bad({"type": "dropout", "rate": 1.5}, 3),
            "must be less than 1.0 - at `$.layers[3].rate`",
            "$.layers[3].rate",
            3,
        ),
        (
            _bad({"type": "conv", "filters": 0}, 0),
            "must be at least 1 - at `$.layers[0].filters`",
            "$.layers[0].filters",
            0,
        ),
        (
            _bad({"type": "conv", "filters": 8, "kernel": 4}, 0),
            "4 is not an allowed value - at `$.layers[0].kernel`",
            "$.layers[0].kernel",
            0,
        ),
        (
            _bad({"type": "lstm", "units": 8}),
            "'lstm' is not an allowed value - at `$.layers[2].type`",
            "$.layers[2].type",
            2,
        ),
        (
            _bad({"type": "maxpool", "pool": 2, "stride": 1}),
            "is not a field of this object - at `$.layers[2].stride`",
            "$.layers[2].stride",
            2,
        ),
        (
            {"name": "x", "input": {"shape": [1, 8], "classes": 10}, "layers": []},
            "must have exactly 3 items (it has 2) - at `$.input.shape`",
            "$.input.shape",
            None,
        ),
        (
            {"name": "x", "input": {"shape": [1, 8, 8], "classes": 1}, "layers": []},
            "must be at least 2 - at `$.input.classes`",
            "$.input.classes",
            None,
        ),
    ],
)
def test_decode_errors_name_the_path_and_the_layer(data, message, path, index) -> None:
    with pytest.raises(ArchitectureError) as info:
        decode_architecture(data)
    assert str(info.value) == message
    assert info.value.path == path
    assert info.value.index == index


def test_decode_error_of_a_layer_at_index_ten_or_more() -> None:
    data = json.loads(DESIGN_EXAMPLE)
    data["layers"] = [{"type": "relu"}] * 11 + [{"type": "dropout", "rate": 0}]
    with pytest.raises(ArchitectureError) as info:
        decode_architecture(data)
    assert info.value.index == 11
    assert info.value.path == "$.layers[11].rate"


def test_malformed_json_is_an_architecture_error() -> None:
    with pytest.raises(ArchitectureError, match="ends early") as info:
        decode_architecture(b'{"name": ')
    assert info.value.path == "$"
    with pytest.raises(ArchitectureError, match=r"is not valid JSON \(at byte 9") as info:
        decode_architecture(b'{"name": }')
    assert info.value.path == "$"


def test_structs_are_frozen_and_hashable() -> None:
    arch = decode_architecture(DESIGN_EXAMPLE)
    with pytest.raises(AttributeError):
        arch.name = "other"  # type: ignore[misc]
    assert {arch: 1}[decode_architecture(DESIGN_EXAMPLE)] == 1


def test_the_committed_json_schema_is_current() -> None:
    committed = SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == schema_text(), (
        "nas_core/schema/architecture.schema.json is out of date: run "
        "`python -m nas_core.arch` and commit the result"
    )


def test_the_schema_describes_the_layer_union() -> None:
    schema = architecture_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    layers = schema["$defs"]["Architecture"]["properties"]["layers"]["items"]
    assert set(layers["discriminator"]["mapping"]) == {
        "conv", "maxpool", "avgpool", "dense", "dropout", "batchnorm",
        "relu", "tanh", "sigmoid", "flatten",
    }  # fmt: skip
    assert schema["$defs"]["Conv"]["properties"]["kernel"]["enum"] == [3, 5, 7]
