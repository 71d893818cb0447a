"""The chip's structure, read back from the SVG through its CSS hooks."""

from __future__ import annotations

import itertools
import json
import math
import re

import pytest

import snacs
from snacs import SnacsError
from snacs._svg import block_height

LAYOUTS = ("fixed", "variable", "squished")


def test_the_design_example(m17, parse):
    chip = parse(snacs.render(m17))
    root = chip.root
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert root.get("class") == "snac snac-fixed"
    assert [b.get("class") for b in chip.blocks] == [
        "snac-layer snac-conv",
        "snac-layer snac-relu",
        "snac-layer snac-maxpool",
        "snac-layer snac-dropout",
        "snac-layer snac-flatten",
        "snac-layer snac-dense",
    ]
    assert [int(b.get("data-size")) for b in chip.blocks] == [2048, 2048, 512, 512, 512, 10]
    assert chip.plates == []
    assert chip.skips == []
    assert len(chip.by_class("snac-bg")) == 1


def test_every_block_has_a_title_with_type_parameters_shape_and_count(m17, parse):
    chip = parse(snacs.render(m17))
    titles = [parse.title(b) for b in chip.blocks]
    assert titles[0] == (
        "conv 3×3, 32 filters\nlayer 0\noutput 32×8×8 (2,048 values)\n320 parameters"
    )
    assert titles[3] == "dropout, rate 0.25\nlayer 3\noutput 32×4×4 (512 values)\n0 parameters"
    assert titles[5] == "dense, 10 units\nlayer 5\noutput 10 (10 values)\n5,130 parameters"
    assert parse.title(chip.root) == "m17: 6 layers, 5,450 parameters"


def test_only_dropout_has_a_dotted_border(m17, parse):
    chip = parse(snacs.render(m17))
    for block in chip.blocks:
        dashed = parse.rect(block).get("stroke-dasharray")
        if "snac-dropout" in block.get("class"):
            assert dashed
            assert all(float(x) > 0 for x in dashed.split())
        else:
            assert dashed is None


def test_activations_are_glyphs_and_other_blocks_letters(parse):
    spec = {
        "input": {"shape": [3, 32, 32]},
        "layers": [
            {"type": "conv", "filters": 8},
            {"type": "relu"},
            {"type": "tanh"},
            {"type": "sigmoid"},
            {"type": "lstm"},
        ],
    }
    chip = parse(snacs.render(spec, height=48))
    svg = "{http://www.w3.org/2000/svg}"
    letters = [b.findtext(f"{svg}text") for b in chip.blocks]
    assert letters == ["C", None, None, None, "L"]
    curves = [len(b.findall(f"{svg}path")) for b in chip.blocks]
    assert curves == [0, 1, 2, 2, 0]  # tanh and sigmoid also draw a faint axis
    assert "snac-generic" in chip.blocks[4].get("class").split()
    assert "snac-lstm" in chip.blocks[4].get("class").split()


def test_vgg16_plates_and_repeat_counts(examples, parse):
    chip = parse(snacs.render(examples["vgg16"]))
    assert len(chip.blocks) == 17
    assert sorted(int(p.get("data-repeat")) for p in chip.plates) == [2, 2, 2, 2, 3, 3]
    # the conv-512 plate (x3) sits inside the x2 plate
    outer = [p for p in chip.plates if p.get("data-period") == "7"]
    assert len(outer) == 1
    assert outer[0].get("data-repeat") == "2"
    inner = [
        p
        for p in outer[0].iter()
        if "snac-plate" in p.get("class", "").split() and p is not outer[0]
    ]
    assert [p.get("data-repeat") for p in inner] == ["3"]
    counts = [p.findtext("{http://www.w3.org/2000/svg}text") for p in chip.plates]
    assert sorted(counts) == ["×2", "×2", "×2", "×2", "×3", "×3"]
    # a block standing for several layers says so
    conv512 = next(b for b in chip.blocks if b.get("data-index") == "17")
    assert "layers 17, 19, 21, 24, 26, 28 (×6)" in parse.title(conv512)
    assert "outputs 512×28×28, 512×14×14" in parse.title(conv512)
    assert "1,180,160 to 2,359,808 parameters, 12,979,200 in all" in parse.title(conv512)
    relu = next(b for b in chip.blocks if b.get("data-index") == "1")
    assert parse.title(relu).endswith("\n0 parameters")
    conv64 = next(b for b in chip.blocks if b.get("data-index") == "0")
    assert parse.title(conv64).endswith("\n1,792 to 36,928 parameters, 38,720 in all")
    dense = next(b for b in chip.blocks if b.get("data-index") == "32")
    assert parse.title(dense).endswith("\n16,781,312 to 102,764,544 parameters, 119,545,856 in all")
    resnet = parse(snacs.render(examples["resnet20"]))
    conv16 = next(b for b in resnet.blocks if b.get("data-index") == "3")
    assert parse.title(conv16) == (
        "conv 3×3, 16 filters, no bias\nlayers 3, 9, 15 (×3)\noutput 16×32×32 (16,384 values)\n"
        "2,304 parameters each, 6,912 in all"
    )


def test_no_fold_draws_every_layer(examples, parse):
    for spec in examples.values():
        chip = parse(snacs.render(spec, fold=False))
        assert len(chip.blocks) == len(spec.layers)
        assert chip.plates == []


def test_skip_arrows_are_semi_transparent_and_inside_the_box(examples, parse):
    chip = parse(snacs.render(examples["resnet20"], layout="variable"))
    width = float(chip.root.get("width"))
    height = float(chip.root.get("height"))
    assert len(chip.skips) == 5
    for skip in chip.skips:
        assert 0 < float(skip.get("opacity")) < 1
        for path in skip.iter("{http://www.w3.org/2000/svg}path"):
            nums = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))]
            xs, ys = nums[0::2], nums[1::2]
            assert all(0 <= x <= width for x in xs)
            assert all(0 <= y <= height for y in ys)


def test_a_skip_outside_any_plate(parse):
    spec = {
        "input": {"shape": [3, 8, 8]},
        "layers": [
            {"type": "conv", "filters": 4},
            {"type": "relu"},
            {"type": "conv", "filters": 4},
        ],
        "skips": [[0, 2]],
    }
    chip = parse(snacs.render(spec))
    assert len(chip.skips) == 1
    assert chip.skips[0].get("data-from") == "0"
    assert chip.skips[0].get("data-to") == "2"
    assert parse.title(chip.skips[0]) == "skip connection: layer 0 → layer 2"


def _blocks_with_heights(chip, parse):
    for b in chip.blocks:
        yield int(b.get("data-size")), float(parse.rect(b).get("height"))


@pytest.mark.parametrize("height", [16, 24, 40, 64])
def test_block_height_is_monotone_in_log_data_size(examples, parse, height):
    pairs = []
    for spec in examples.values():
        chip = parse(snacs.render(spec, height=height, fold=False))
        pairs.extend(_blocks_with_heights(chip, parse))
    pairs.sort()
    lo, hi = snacs.SIZE_RANGE
    for (s1, h1), (s2, h2) in itertools.pairwise(pairs):
        assert h1 <= h2 + 0.011
        if lo <= s1 and s2 <= hi and math.log(s2) - math.log(s1) > 0.05:
            assert h1 < h2
    for size, h in pairs:
        assert h == pytest.approx(block_height(size, height), abs=0.006)
    # bounded: clamped at both ends
    assert block_height(1, height) == block_height(lo, height)
    assert block_height(10**9, height) == block_height(hi, height) == pytest.approx(0.72 * height)


def test_fixed_layout_has_constant_width(examples, parse):
    widths = set()
    for spec in examples.values():
        chip = parse(snacs.render(spec, layout="fixed", height=32))
        widths.add(chip.root.get("width"))
        bg = chip.by_class("snac-bg")[0]
        assert bg.get("width") == chip.root.get("width")
        block_widths = {parse.rect(b).get("width") for b in chip.blocks}
        assert len(block_widths) == 1  # all blocks of a chip are equally wide
    assert widths == {"320"}
    chip = parse(snacs.render(examples["vgg16"], layout="fixed", width=150, height=32))
    assert chip.root.get("width") == "150"
    right = max(
        float(parse.rect(e).get("x")) + float(parse.rect(e).get("width"))
        for e in chip.blocks + chip.plates
    )
    assert right <= 150


def test_variable_layout_grows_with_the_number_of_blocks(examples, parse):
    w = {
        k: float(parse(snacs.render(s, layout="variable")).root.get("width"))
        for k, s in examples.items()
    }
    assert w["vgg16"] > w["lenet5"] > w["remap-fig7-2"]
    squished = float(parse(snacs.render(examples["vgg16"], layout="squished")).root.get("width"))
    assert squished < w["vgg16"]


def test_squished_layout_has_no_symbols(examples, parse):
    chip = parse(snacs.render(examples["lenet5"], layout="squished"))
    for b in chip.blocks:
        assert b.find("{http://www.w3.org/2000/svg}text") is None
        assert b.find("{http://www.w3.org/2000/svg}path") is None


@pytest.mark.parametrize("height", [12, 16, 24, 40, 64, 200])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_any_size_renders(examples, parse, height, layout):
    for spec in examples.values():
        chip = parse(snacs.render(spec, layout=layout, height=height))
        assert chip.root.get("height") == str(height)


def test_output_is_deterministic_and_independent_of_input_form(m17):
    text = json.dumps(m17)
    a = snacs.render(m17)
    assert a == snacs.render(m17)
    assert a == snacs.render(text)
    assert a == snacs.render(text.encode())
    assert a == snacs.render(snacs.decode(m17))


def test_output_is_self_contained(examples):
    for spec in examples.values():
        for layout in LAYOUTS:
            svg = snacs.render(spec, layout=layout)
            rest = svg.replace('xmlns="http://www.w3.org/2000/svg"', "", 1)
            for bad in ("href", "url(", "http:", "https:", "<script", "<style", " id=", "@import"):
                assert bad not in rest


HOSTILE = "<script>alert('x')</script> & \"quoted\" 'single' ]]> \x00\x1b end"


def test_hostile_names_and_types_are_escaped(parse):
    spec = {
        "name": HOSTILE,
        "description": HOSTILE,
        "input": {"shape": [4]},
        "layers": [
            {"type": "<img src=x onerror=alert(1)>", "note": HOSTILE},
            {"type": "dense", "units": 2},
        ],
    }
    svg = snacs.render(spec)
    chip = parse(svg)  # well-formed XML
    assert "<script" not in svg
    assert "<img" not in svg
    expected = HOSTILE.replace("\x00", "\ufffd").replace("\x1b", "\ufffd")
    assert parse.title(chip.root).startswith(expected + ":")
    generic = chip.blocks[0]
    assert generic.get("class") == "snac-layer snac-generic snac--img-src-x-onerror-alert-1-"
    assert parse.title(generic).startswith("<img src=x onerror=alert(1)>: note=")
    sheet = snacs.sheet([spec, spec])
    assert "<script" not in sheet
    parse(sheet)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layout": "wide"}, "layout must be one of fixed, variable, squished, not 'wide'"),
        ({"height": 0}, "height must be a number of pixels from 4 to 4096, not 0"),
        ({"height": "40"}, "height must be a number of pixels from 4 to 4096, not '40'"),
        ({"width": -3}, "width must be a number of pixels from 4 to 100000, not -3"),
        (
            {"size_range": (10, 1)},
            "size_range must be (smallest, largest) with 0 < smallest < largest, not (10, 1)",
        ),
        (
            {"size_range": 5},
            "size_range must be (smallest, largest) with 0 < smallest < largest, not 5",
        ),
    ],
)
def test_bad_options(m17, kwargs, message):
    with pytest.raises(SnacsError) as info:
        snacs.render(m17, **kwargs)
    assert str(info.value) == message


def test_size_range_sets_the_scale(m17, parse):
    chip = parse(snacs.render(m17, size_range=(1, 10)))
    heights = {parse.rect(b).get("height") for b in chip.blocks}
    assert len(heights) == 1  # every size at or above the top of the range


def test_css_hooks_let_people_restyle(m17):
    # Presentation attributes, not inline style: a stylesheet rule wins over them.
    svg = snacs.render(m17)
    assert "style=" not in svg
    assert 'class="snac-layer snac-conv"' in svg
