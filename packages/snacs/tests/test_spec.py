"""Decoding specs: the structs, leniency, and errors that name the offending field."""

from __future__ import annotations

import json

import msgspec
import pytest

import snacs
from snacs import (
    Conv,
    Dense,
    Dropout,
    Flatten,
    Generic,
    Input,
    MaxPool,
    ReLU,
    Spec,
    SpecError,
)


def test_public_names_resolve():
    for name in snacs.__all__:
        assert getattr(snacs, name) is not None, name


def test_design_example_decodes(m17):
    spec = snacs.decode(m17)
    assert spec == Spec(
        name="m17",
        input=Input(shape=(1, 8, 8), classes=10),
        layers=(
            Conv(filters=32, kernel=3),
            ReLU(),
            MaxPool(pool=2),
            Dropout(rate=0.25),
            Flatten(),
            Dense(units=10),
        ),
    )


@pytest.mark.parametrize("form", ["dict", "str", "bytes", "bytearray", "struct"])
def test_every_input_form_gives_the_same_spec(m17, form):
    text = json.dumps(m17)
    value = {
        "dict": m17,
        "str": text,
        "bytes": text.encode(),
        "bytearray": bytearray(text.encode()),
        "struct": snacs.decode(m17),
    }[form]
    assert snacs.decode(value) == snacs.decode(m17)


def test_unknown_types_become_generic_blocks_with_their_fields(m17):
    m17["layers"].insert(1, {"type": "lstm", "units": 64, "return_sequences": False})
    m17["layers"].append({"type": "softmax"})
    spec = snacs.decode(json.dumps(m17))
    assert spec.layers[1] == Generic(kind="lstm", fields={"units": 64, "return_sequences": False})
    assert spec.layers[-1] == Generic(kind="softmax")
    assert spec.layers[0] == Conv(filters=32)


def test_encode_round_trips_including_generic_layers(m17):
    m17["layers"].insert(2, {"type": "gelu", "approximate": "tanh"})
    m17["skips"] = [[0, 3]]
    spec = snacs.decode(m17)
    assert snacs.decode(snacs.encode(spec)) == spec
    assert snacs.to_builtins(spec)["layers"][2] == {"type": "gelu", "approximate": "tanh"}


def test_defaults_are_omitted_when_encoding(m17):
    out = json.loads(snacs.encode(snacs.decode(m17)))
    assert out["layers"][0] == {"type": "conv", "filters": 32}
    assert "skips" not in out


def test_a_nas_core_export_with_every_field_decodes():
    # What REMAP's trainer writes: strides and kernels spelled out, no extras.
    exported = {
        "name": "m3",
        "input": {"shape": [1, 8, 8], "classes": 10},
        "layers": [
            {"type": "conv", "filters": 16, "kernel": 5, "stride": 1},
            {"type": "batchnorm"},
            {"type": "tanh"},
            {"type": "avgpool", "pool": 2},
            {"type": "conv", "filters": 8, "kernel": 7, "stride": 1},
            {"type": "sigmoid"},
            {"type": "flatten"},
            {"type": "dense", "units": 32},
            {"type": "dropout", "rate": 0.5},
            {"type": "dense", "units": 10},
        ],
    }
    spec = snacs.decode(exported)
    assert [snacs.infer(spec)[i].type for i in (0, 1, 2, 3)] == [
        "conv",
        "batchnorm",
        "tanh",
        "avgpool",
    ]
    assert snacs.render(exported).startswith("<svg")


def test_unknown_top_level_fields_are_ignored(m17):
    m17["created_by"] = "someone"
    assert snacs.decode(m17).name == "m17"


# Errors carry snacs' own wording (never msgspec's) and the JSON path of the offending field.
@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            lambda d: d["layers"][3].update(rate=1.5),
            "must be at most 1.0 - at `$.layers[3].rate`",
        ),
        (
            lambda d: d["layers"][3].update(rate=-0.1),
            "must be at least 0.0 - at `$.layers[3].rate`",
        ),
        (
            lambda d: d["layers"][0].update(filters=0),
            "must be at least 1 - at `$.layers[0].filters`",
        ),
        (
            lambda d: d["layers"][0].update(kernel="3"),
            "must be an integer, not a string - at `$.layers[0].kernel`",
        ),
        (
            lambda d: d["layers"][0].update(padding="full"),
            "'full' is not an allowed value - at `$.layers[0].padding`",
        ),
        (
            lambda d: d["layers"][5].pop("units"),
            "is required - at `$.layers[5].units`",
        ),
        (
            lambda d: d["layers"][2].pop("type"),
            "is required - at `$.layers[2].type`",
        ),
        (
            lambda d: d["input"].update(shape=[1, 8, 8, 8]),
            "must have at most 3 items - at `$.input.shape`",
        ),
        (lambda d: d.pop("layers"), "is required - at `$.layers`"),
        (
            lambda d: d.update(skips=[[0, 1, 2]]),
            "must have exactly 2 items - at `$.skips[0]`",
        ),
    ],
)
def test_errors_name_the_field(m17, patch, message):
    patch(m17)
    for form in (m17, json.dumps(m17), json.dumps(m17).encode()):
        with pytest.raises(SpecError) as info:
            snacs.decode(form)
        assert str(info.value) == message


def test_error_path_is_kept_with_unknown_layers_before_the_fault(m17):
    m17["layers"].insert(0, {"type": "lstm", "units": 4})
    m17["layers"][4]["rate"] = 2
    with pytest.raises(SpecError) as info:
        snacs.decode(json.dumps(m17))
    assert str(info.value) == "must be at most 1.0 - at `$.layers[4].rate`"
    assert info.value.path == "$.layers[4].rate"
    assert info.value.reason == "must be at most 1.0"


def test_the_issue_example_rate_above_one_at_layer_two():
    doc = {
        "input": {"shape": [1, 8, 8]},
        "layers": [
            {"type": "conv", "filters": 4},
            {"type": "relu"},
            {"type": "dropout", "rate": 3},
        ],
    }
    with pytest.raises(SpecError, match=r"^must be at most 1\.0 - at `\$\.layers\[2\]\.rate`$"):
        snacs.render(doc)


@pytest.mark.parametrize(
    ("skips", "message"),
    [
        ([[2, 1]], "skip [2, 1] must go forward from one layer to a later one (indices 0..5)"),
        ([[0, 6]], "skip [0, 6] must go forward from one layer to a later one (indices 0..5)"),
        ([[1, 1]], "skip [1, 1] must go forward from one layer to a later one (indices 0..5)"),
    ],
)
def test_skips_must_point_forward_inside_the_model(m17, skips, message):
    m17["skips"] = [[0, 2], *skips]
    with pytest.raises(SpecError) as info:
        snacs.decode(m17)
    assert str(info.value) == f"{message} - at `$.skips[1]`"


def test_malformed_json_is_a_spec_error_at_the_root():
    with pytest.raises(SpecError) as info:
        snacs.decode(b'{"layers": [')
    assert info.value.path == "$"
    assert str(info.value) == "ends early (truncated JSON) - at `$`"
    with pytest.raises(SpecError) as info:
        snacs.decode(b'{"layers": }')
    assert str(info.value) == "is not valid JSON (at byte 11: an unexpected character) - at `$`"


def test_a_spec_must_be_an_object():
    with pytest.raises(SpecError) as info:
        snacs.decode("[1, 2]")
    assert str(info.value) == "must be an object, not a list - at `$`"
    with pytest.raises(SpecError, match="not int"):
        snacs.decode(3)  # type: ignore[arg-type]


def test_spec_error_is_a_snacs_error_and_a_value_error():
    assert issubclass(SpecError, snacs.SnacsError)
    assert issubclass(snacs.SnacsError, ValueError)


def test_decoding_does_not_mutate_its_input(m17):
    m17["layers"].append({"type": "lstm", "units": 3})
    before = json.dumps(m17)
    snacs.decode(m17)
    assert json.dumps(m17) == before


def test_structs_are_frozen(m17):
    spec = snacs.decode(m17)
    with pytest.raises(AttributeError):
        spec.name = "other"  # type: ignore[misc]
    assert msgspec.structs.replace(spec, name="other").name == "other"


def test_a_key_twice_is_refused_with_the_path_of_its_object(m17):
    text = json.dumps(m17).replace('"rate": 0.25', '"rate": 0.25, "rate": 0.5')
    assert '"rate": 0.5' in text
    for form in (text, text.encode()):
        with pytest.raises(SpecError) as info:
            snacs.decode(form)
        assert str(info.value) == "`rate` appears twice - at `$.layers[3]`"
        assert info.value.path == "$.layers[3]"
    keras = b'{"class_name": "Sequential", "config": {"layers": [], "layers": []}}'
    with pytest.raises(SpecError, match=r"^`layers` appears twice - at `\$\.config`$"):
        snacs.from_keras(keras)


def test_bytes_that_are_not_utf8_are_refused_before_decoding(m17):
    data = json.dumps(m17).encode().replace(b'"m17"', b'"m\xff17"')
    with pytest.raises(SpecError) as info:
        snacs.decode(data)
    assert info.value.reason.startswith("is not UTF-8 text (byte 0xff at offset ")
    assert info.value.path == "$"
