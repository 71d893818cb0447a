"""The remap-search format (issue 20): valid lines round-trip through the parser, any
corruption of a line is refused naming that line, the Keras converter takes the layer
classes REMAP trains and refuses the others with their JSON path."""

from __future__ import annotations

import json

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nas_core.arch import decode_architecture
from nas_core.imports import (
    KerasError,
    SearchFileError,
    SearchModel,
    keras_to_architecture,
    parse_search_lines,
    search_file_schema,
)

ARCH = {"input": {"shape": [1, 8, 8], "classes": 10}, "layers": [
    {"type": "conv", "filters": 8, "kernel": 3}, {"type": "relu"},
    {"type": "maxpool", "pool": 2}, {"type": "flatten"}, {"type": "dense", "units": 10},
]}  # fmt: skip

unit = st.floats(0, 1, allow_nan=False)
positive = st.floats(0, 1e4, allow_nan=False)


@st.composite
def model_lines(draw) -> dict:
    n = draw(st.integers(1, 5))
    walls = sorted(draw(st.lists(positive, min_size=n, max_size=n)))
    epochs = []
    for k, wall in enumerate(walls):
        e = {"epoch": k + 1, "wall_s": wall, "val_acc": draw(unit)}
        for key, values in (("val_loss", positive), ("train_loss", positive), ("train_acc", unit)):
            if draw(st.booleans()):
                e[key] = draw(values)
        epochs.append(e)
    line = {"name": draw(st.text(min_size=1, max_size=8)), "architecture": ARCH, "epochs": epochs}
    if draw(st.booleans()):
        line["test_acc"] = draw(unit)
    if draw(st.booleans()):
        line["started_s"] = draw(positive)
    if draw(st.booleans()):
        line["params"] = draw(st.integers(0, 10**6))
    return line


files = st.lists(model_lines(), min_size=1, max_size=6)


def text_of(lines: list[dict], header: bool) -> str:
    rows = [json.dumps(x) for x in lines]
    if header:
        rows.insert(0, json.dumps({"format": "remap-search", "source": "s"}))
    return "\n".join(rows) + "\n"


@st.composite
def with_predictions(draw, lines: list[dict]) -> list[dict]:
    """Some of `lines` with test-set predictions, one width for the file; labels below
    256 (kept as bytes) or up to 2**20 (as integers)."""
    width = draw(st.integers(1, 12))
    top = draw(st.sampled_from([9, 255, 2**20]))
    out = []
    for line in lines:
        if draw(st.booleans()):
            labels = st.integers(0, top)
            line = {**line, "predictions": draw(st.lists(labels, min_size=width, max_size=width))}
        out.append(line)
    return out


@settings(max_examples=60, deadline=None)
@given(files.flatmap(with_predictions), st.booleans())
def test_valid_lines_round_trip(lines, header):
    parsed = parse_search_lines(text_of(lines, header))
    assert (parsed.header is not None) == header
    # the predictions move into the file's label table; the models are the lines' rest
    assert [msgspec.to_builtins(m) for m in parsed.models] == [
        msgspec.to_builtins(msgspec.convert({**x, "predictions": None}, SearchModel)) for x in lines
    ]
    for k, x in enumerate(lines):
        given_labels = x.get("predictions")
        assert parsed.predictions_of(k) == (None if given_labels is None else tuple(given_labels))
    if parsed.labels is not None:
        small = max(max(x.get("predictions", [0])) for x in lines) < 256
        assert parsed.labels.dtype == (np.uint8 if small else np.int64)
    assert parsed.lines == tuple(range(1 + header, len(lines) + 1 + header))


def test_models_with_one_architecture_share_one_dict():
    epochs = [{"epoch": 1, "wall_s": 1.0, "val_acc": 0.5}]
    lines = [{"name": f"t{i}", "architecture": ARCH, "epochs": epochs} for i in range(3)]
    parsed = parse_search_lines(text_of(lines, False))
    first, *rest = (m.architecture for m in parsed.models)
    assert first == ARCH
    assert all(a is first for a in rest)


def _corrupt(line: dict, how: int, value) -> dict:
    line = json.loads(json.dumps(line))
    if how == 0:
        del line["epochs"]
    elif how == 1:
        line["epochs"][0]["val_acc"] = 1.5 + abs(value)
    elif how == 2:
        line["epochs"][-1]["epoch"] = 0
    elif how == 3:
        line["surprise"] = value
    elif how == 4:
        line["name"] = ""
    elif how == 5:
        line["epochs"][0]["wall_s"] = -1 - abs(value)
    elif how == 6:
        line["epochs"].append(dict(line["epochs"][-1]))  # the same epoch again
    elif how == 7:
        line["test_acc"] = "high"
    return line


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files, st.data(), st.integers(0, 7), st.floats(0, 10, allow_nan=False), st.booleans())
def test_any_corruption_of_a_line_names_that_line(lines, data, how, value, header):
    k = data.draw(st.integers(0, len(lines) - 1))
    bad = [*lines[:k], _corrupt(lines[k], how, value), *lines[k + 1 :]]
    with pytest.raises(SearchFileError) as info:
        parse_search_lines(text_of(bad, header))
    line = k + 1 + header
    assert [e.line for e in info.value.errors] == [line]
    assert f"line {line}: " in str(info.value)
    assert "nothing was imported" in str(info.value)
    assert info.value.errors[0].path.startswith("$")


def test_a_broken_json_line_and_a_bad_header_are_named():
    good = json.dumps({"name": "a", "architecture": ARCH, "epochs": [
        {"epoch": 1, "wall_s": 1, "val_acc": 0.5}]})  # fmt: skip
    with pytest.raises(SearchFileError) as info:
        parse_search_lines(f'{{"format": "remap-search", "classes": 3}}\n{good}\n{{"name": \n')
    assert [(e.line, e.path) for e in info.value.errors] == [(1, "$.classes"), (3, "$")]
    with pytest.raises(SearchFileError, match="holds no model"):
        parse_search_lines("\n\n")


def test_predictions_of_different_lengths_are_refused():
    line = {"name": "a", "architecture": ARCH, "epochs": [{"epoch": 1, "wall_s": 1, "val_acc": 1}]}
    rows = [
        json.dumps({**line, "predictions": [1, 2, 3]}),
        json.dumps({**line, "predictions": [1]}),
    ]
    with pytest.raises(SearchFileError) as info:
        parse_search_lines("\n".join(rows))
    assert str(info.value.errors[0]) == (
        "line 2: has 1 labels, line 1 has 3 (one per test example) - at `$.predictions`"
    )


def test_the_schema_describes_both_lines():
    schema = search_file_schema()
    assert set(schema["$defs"]) >= {"SearchHeader", "SearchModel", "SearchEpoch"}
    model = schema["$defs"]["SearchModel"]
    assert set(model["required"]) == {"name", "architecture", "epochs"}


def keras(*layers, shape=(8, 8, 1)) -> dict:
    return {
        "class_name": "Sequential",
        "config": {
            "name": "k",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": [None, *shape]}},
                *layers,
            ],
        },
    }


def layer(cls: str, **config) -> dict:
    return {"class_name": cls, "config": config}


def test_keras_sequential_becomes_remap_json():
    arch = keras_to_architecture(keras(
        layer("Conv2D", filters=16, kernel_size=[3, 3], padding="same", activation="relu"),
        layer("BatchNormalization"), layer("MaxPooling2D", pool_size=[2, 2]),
        layer("AveragePooling2D", pool_size=[2, 2]), layer("Dropout", rate=0.25),
        layer("Flatten"), layer("Dense", units=32, activation="tanh"),
        layer("Activation", activation="sigmoid"), layer("Dense", units=10, activation="softmax"),
    ))  # fmt: skip
    decoded = decode_architecture(arch)
    assert [type(x).__struct_config__.tag for x in decoded.layers] == [
        "conv", "relu", "batchnorm", "maxpool", "avgpool", "dropout", "flatten", "dense",
        "tanh", "sigmoid", "dense",
    ]  # fmt: skip
    assert decoded.input.shape == (1, 8, 8)
    assert decoded.input.classes == 10


@pytest.mark.parametrize(
    ("extra", "path", "words"),
    [
        (layer("LSTM", units=3), "$.config.layers[2].class_name", "'LSTM' has no REMAP"),
        (layer("Dense", units=4, activation="elu"), "$.config.layers[2].config.activation",
         "'elu' has no REMAP"),
    ],
)  # fmt: skip
def test_keras_classes_without_an_equivalent_are_refused_at_their_path(extra, path, words):
    with pytest.raises(KerasError) as info:
        keras_to_architecture(keras(layer("Flatten"), extra, layer("Dense", units=10)))
    assert info.value.path == path
    assert words in info.value.reason


def test_a_model_named_format_is_a_model_not_the_header():
    epochs = [{"epoch": 1, "wall_s": 1.0, "val_acc": 0.5}]
    parsed = parse_search_lines(text_of([{"name": "format", "architecture": ARCH,
                                          "epochs": epochs}], False))  # fmt: skip
    assert parsed.header is None
    assert [m.name for m in parsed.models] == ["format"]
