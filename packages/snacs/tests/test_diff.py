"""snacs.diff / snacs.compare: two architectures' chips with their changes marked, the
`snacs diff` command, and specs drawn without an input shape."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import snacs
from snacs import Conv, Dense, Dropout, Flatten, Generic, Input, MaxPool, ReLU, Spec, Tanh
from snacs.cli import main

SVG = "{http://www.w3.org/2000/svg}"
MARK_CLASSES = {"added": "snac-added", "removed": "snac-removed", "changed": "snac-changed"}


def marked(svg: str, side: str) -> dict[str, list[int]]:
    """Layer indices of the marked blocks of chip `side` ("a" or "b"), by class."""
    root = ET.fromstring(svg)
    (group,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == f"snac-diff-{side}"]
    out: dict[str, list[int]] = {c: [] for c in MARK_CLASSES.values()}
    for g in group.iter(f"{SVG}g"):
        classes = g.get("class", "").split()
        if "snac-layer" in classes:
            for c in out:
                if c in classes:
                    out[c].append(int(g.get("data-index")))
    return out


# vector models, so that any edit of one is still a valid model
vector_layers = st.one_of(
    st.builds(Dense, units=st.sampled_from([4, 16, 64])),
    st.sampled_from([ReLU(), Tanh(), Dropout(rate=0.5), Dropout(rate=0.1)]),
    st.builds(Generic, kind=st.sampled_from(["lstm", "gru"]), fields=st.just({"units": 8})),
)


@st.composite
def vector_specs(draw, name="A"):
    layers = draw(st.lists(vector_layers, max_size=10))
    return Spec(name=name, input=Input(shape=(20,)), layers=tuple(layers))


@st.composite
def edited(draw):
    a = draw(vector_specs())
    layers = list(a.layers)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["insert", "delete", "change"]))
        if op == "insert" or not layers:
            layers.insert(draw(st.integers(0, len(layers))), draw(vector_layers))
        elif op == "delete":
            del layers[draw(st.integers(0, len(layers) - 1))]
        else:
            layers[draw(st.integers(0, len(layers) - 1))] = draw(vector_layers)
    return a, Spec(name="B", input=a.input, layers=tuple(layers))


@settings(max_examples=40, deadline=None)
@given(vector_specs())
def test_a_diff_with_itself_marks_nothing(a):
    svg = snacs.diff(a, a)
    assert all(s.kind == "same" for s in snacs.compare(a, a))
    for side in "ab":
        assert marked(svg, side) == {c: [] for c in MARK_CLASSES.values()}
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if "snac-mark" in e.get("class", "").split()]
    assert "0 added, 0 removed, 0 changed" in root.get("aria-label")


@settings(max_examples=60, deadline=None)
@given(edited())
def test_every_change_has_exactly_one_marked_block(pair):
    a, b = pair
    steps = snacs.compare(a, b)
    svg = snacs.diff(a, b)
    # the steps cover every layer of each side once, in order
    assert [s.a for s in steps if s.a is not None] == list(range(len(a.layers)))
    assert [s.b for s in steps if s.b is not None] == list(range(len(b.layers)))
    ma, mb = marked(svg, "a"), marked(svg, "b")
    assert sorted(ma["snac-removed"]) == sorted(s.a for s in steps if s.kind == "removed")
    assert sorted(mb["snac-added"]) == sorted(s.b for s in steps if s.kind == "added")
    assert sorted(ma["snac-changed"]) == sorted(s.a for s in steps if s.kind == "changed")
    assert sorted(mb["snac-changed"]) == sorted(s.b for s in steps if s.kind == "changed")
    assert ma["snac-added"] == []
    assert mb["snac-removed"] == []
    for side in (ma, mb):  # one block, one mark
        every = [i for v in side.values() for i in v]
        assert len(every) == len(set(every))
    # aligned pairs that are not equal are changes; unequal kinds are remove + add
    for s in steps:
        if s.kind == "same":
            assert a.layers[s.a] == b.layers[s.b]
        else:
            assert s.words


def test_changes_in_words_and_marks_on_the_blocks():
    a = Spec(
        name="parent",
        input=Input(shape=(1, 8, 8)),
        layers=(Conv(filters=32), ReLU(), MaxPool(), Flatten(), Dense(units=10)),
    )
    b = Spec(
        name="child",
        input=Input(shape=(1, 8, 8)),
        layers=(Conv(filters=64), Tanh(), Flatten(), Dense(units=32), Dense(units=10)),
    )
    steps = snacs.compare(a, b)
    words = [s.words for s in steps if s.kind != "same"]
    assert "layer 0: filters 32 → 64" in words
    assert "layer 1: activation relu → tanh" in words
    assert "removed maxpool 2×2 (A layer 2)" in words
    assert "added dense, 32 units (B layer 3)" in words
    svg = snacs.diff(a, b)
    root = ET.fromstring(svg)
    text = "".join(root.itertext())
    for w in words:
        assert w in text  # beside the chips
    removed = [g for g in root.iter(f"{SVG}g") if "snac-removed" in g.get("class", "").split()]
    assert len(removed) == 1
    assert "removed maxpool" in removed[0].find(f"{SVG}title").text
    # not by colour alone: a glyph and (for removals) hatching in each mark
    glyphs = [t.text for t in root.iter(f"{SVG}text") if t.text in ("+", "−", "Δ")]
    assert sorted(glyphs) == sorted(["Δ"] * 4 + ["−", "+"])
    assert snacs.diff(a, b, words=False).count("filters 32 → 64") == 2  # the two titles


def test_an_alignment_given_by_the_caller_is_drawn_as_given():
    a = Spec(input=Input(shape=(8,)), layers=(Dense(units=4), Dense(units=8)))
    b = Spec(input=Input(shape=(8,)), layers=(Dense(units=8),))
    assert [s.kind for s in snacs.compare(a, b)] == ["removed", "same"]
    given_steps = snacs.compare(a, b, alignment=[(0, 0), (1, None)])
    assert [(s.kind, s.a, s.b) for s in given_steps] == [("changed", 0, 0), ("removed", 1, None)]
    with pytest.raises(snacs.SnacsError, match="must cover all of them"):
        snacs.compare(a, b, alignment=[(0, 0)])
    with pytest.raises(snacs.SnacsError, match=r"alignment\[1\]: expected layer 1"):
        snacs.compare(a, b, alignment=[(0, None), (0, 0)])


def test_cli_diff_writes_the_svg(tmp_path, capsys):
    ex = snacs.examples()
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_bytes(snacs.encode(ex["remap-fig7-1"]))
    pb.write_bytes(snacs.encode(ex["remap-fig7-2"]))
    out = tmp_path / "diff.svg"
    assert main(["diff", str(pa), str(pb), "-o", str(out)]) == 0
    root = ET.fromstring(out.read_text())
    assert root.get("class") == "snac-diff"
    assert marked(out.read_text(), "a")["snac-removed"] == [0]
    assert marked(out.read_text(), "b")["snac-added"] == [0]
    pb.write_text('{"layers": [{"type": "dropout", "rate": 2}]}')
    assert main(["diff", str(pa), str(pb), "-o", str(tmp_path / "bad.svg")]) == 1
    assert "b.json: must be at most 1.0" in capsys.readouterr().err
    assert not (tmp_path / "bad.svg").exists()


def test_render_without_input_falls_back_to_units(tmp_path):
    spec = {
        "name": "lstm-clf",
        "layers": [
            {"type": "embedding", "params": 6400},
            {"type": "lstm", "units": 128},
            {"type": "dropout", "rate": 0.2},
            {"type": "dense", "units": 64},
            {"type": "dense", "units": 2},
        ],
    }
    root = ET.fromstring(snacs.render(spec))
    blocks = [g for g in root.iter(f"{SVG}g") if "snac-layer" in g.get("class", "").split()]
    titles = [g.find(f"{SVG}title").text for g in blocks]
    heights = [float(g.find(f"{SVG}rect").get("height")) for g in blocks]
    assert "output size unknown" in titles[0]
    assert "6,400 parameters" in titles[0]
    assert "parameters unknown" in titles[1]  # an LSTM's count needs its input width
    assert "8,256 parameters" in titles[3]  # 128 · 64 + 64: the units before are known
    assert heights[1] == heights[2] > heights[3] > heights[4]  # by units: 128, 128, 64, 2
    infos = snacs.infer(snacs.decode(spec))
    assert [i.size for i in infos] == [0, 128, 128, 64, 2]
    p = tmp_path / "lstm.json"
    p.write_text(str(spec).replace("'", '"'))
    assert main(["render", str(p), "-o", str(tmp_path / "lstm.svg")]) == 0
