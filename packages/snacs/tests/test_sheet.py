"""Comparison sheets and the legend."""

from __future__ import annotations

import pytest

import snacs
from snacs import SnacsError, SpecError

SVG = "{http://www.w3.org/2000/svg}"


def texts(chip, cls):
    return ["".join(e.itertext()) for e in chip.by_class(cls)]


def test_sheet_rows_line_up(examples, parse):
    specs = list(examples.values())
    chip = parse(snacs.sheet(specs, title="Examples"))
    assert chip.root.get("class") == "snac-sheet"
    rows = chip.by_class("snac-sheet-row")
    assert len(rows) == len(specs)
    assert texts(chip, "snac-sheet-name") == [s.name for s in specs]
    assert texts(chip, "snac-sheet-title") == ["Examples"]
    chips = [e for e in chip.root.iter(f"{SVG}svg") if "snac" in e.get("class", "").split()]
    assert len(chips) == len(specs)
    assert len({c.get("x") for c in chips}) == 1  # one column
    assert len({c.get("width") for c in chips}) == 1  # fixed layout: one width
    params = texts(chip, "snac-sheet-params")
    assert [p.split("parameters")[-1] for p in params][:3] == ["61.7k", "138M", "270k"]
    assert texts(chip, "snac-sheet-accuracy") == ["0.90", "0.36", "0.84", "0.91", "0.90"]


def test_accuracy_column_only_when_some_model_has_one(examples, parse):
    chip = parse(snacs.sheet([examples["lenet5"], examples["vgg16"]]))
    heads = texts(chip, "snac-sheet-head")
    assert heads == ["MODEL", "ARCHITECTURE", "PARAMS"]
    chip = parse(
        snacs.sheet(
            [examples["lenet5"], examples["vgg16"]],
            names=["a", "b"],
            accuracies=[0.5, None],
        )
    )
    assert texts(chip, "snac-sheet-head")[-1] == "ACCURACY"
    assert texts(chip, "snac-sheet-accuracy") == ["0.50"]
    assert texts(chip, "snac-sheet-name") == ["a", "b"]


def test_sheet_names_default_to_model_numbers(m17, parse):
    m17.pop("name")
    chip = parse(snacs.sheet([m17, m17]))
    assert texts(chip, "snac-sheet-name") == ["model 1", "model 2"]


def test_sheet_errors_name_the_row(m17):
    bad = {**m17, "layers": [*m17["layers"][:3], {"type": "dropout", "rate": 7}]}
    with pytest.raises(SpecError) as info:
        snacs.sheet([m17, bad])
    assert str(info.value) == "must be at most 1.0 - at `$[1].layers[3].rate`"
    impossible = {**m17, "layers": [{"type": "flatten"}, {"type": "conv", "filters": 1}]}
    with pytest.raises(SpecError) as info:
        snacs.sheet([m17, m17, impossible])
    assert str(info.value).endswith("- at `$[2].layers[1]`")
    with pytest.raises(SnacsError, match="got 1 names for 2 specs"):
        snacs.sheet([m17, m17], names=["x"])


@pytest.mark.parametrize("layout", ["fixed", "variable", "squished"])
def test_sheet_layouts(examples, parse, layout):
    parse(snacs.sheet(list(examples.values()), layout=layout, height=24))


def test_legend_shows_every_type_plates_and_skips(parse):
    chip = parse(snacs.legend())
    classes = {c for b in chip.blocks for c in b.get("class").split()}
    for t in (
        "conv",
        "maxpool",
        "avgpool",
        "dense",
        "dropout",
        "batchnorm",
        "relu",
        "tanh",
        "sigmoid",
        "flatten",
        "lstm",
    ):
        assert f"snac-{t}" in classes
    assert len(chip.plates) == 1
    assert len(chip.skips) == 1
    assert snacs.legend() == snacs.legend()
