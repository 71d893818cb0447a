"""Property tests: any valid spec renders to well-formed, deterministic SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import snacs
from snacs import (
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Generic,
    Input,
    MaxPool,
    ReLU,
    Sigmoid,
    Spec,
    Tanh,
)
from snacs._spec import KNOWN_TYPES

names = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["<script>alert(1)</script>", "a & b", '"q"', "'s'", "]]>", "\x00\x1f"]),
)
kinds = st.text(min_size=1, max_size=12).filter(lambda k: k not in KNOWN_TYPES)
field_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
generic = st.builds(
    Generic,
    kind=kinds,
    fields=st.dictionaries(
        st.text(max_size=6).filter(lambda k: k not in ("type", "shape", "params")),
        field_values,
        max_size=3,
    ),
)
cheap = st.sampled_from(
    [ReLU(), Tanh(), Sigmoid(), BatchNorm(), Dropout(rate=0.5), Dropout(rate=0.0)]
)


@st.composite
def specs(draw):
    if draw(st.booleans()):
        size = draw(st.integers(1, 64))
        input_shape: tuple[int, ...] = (draw(st.integers(1, 16)), size, size)
    else:
        size = 0
        input_shape = (draw(st.integers(1, 5000)),)
    shape = input_shape
    layers: list = []
    motif_len = draw(st.integers(1, 3))
    for _ in range(draw(st.integers(0, 14))):
        choice = draw(st.integers(0, 9))
        if len(shape) == 3 and choice <= 3:
            if choice <= 1:
                conv = Conv(
                    filters=draw(st.sampled_from([8, 16])),
                    kernel=draw(st.sampled_from([1, 3, 5, 7])),
                )
                layers.append(conv)
                shape = (conv.filters, size, size)
            elif size >= 2:
                layers.append(draw(st.sampled_from([MaxPool, AvgPool]))(pool=2))
                size //= 2
                shape = (shape[0], size, size)
        elif choice <= 5:
            layers.append(draw(cheap))
        elif choice == 6:
            layers.append(draw(generic))
        elif choice == 7 and len(layers) >= motif_len:
            # repeat a shape-preserving motif, so that plates (and nested plates) appear
            motif = layers[-motif_len:]
            if not any(isinstance(la, MaxPool | AvgPool | Conv | Flatten | Dense) for la in motif):
                layers.extend(motif * draw(st.integers(1, 3)))
        else:
            if len(shape) == 3:
                layers.append(Flatten())
            dense = Dense(units=draw(st.integers(1, 300)))
            layers.append(dense)
            shape = (dense.units,)
    n = len(layers)
    skips: tuple = ()
    if n >= 2:
        pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4))
        skips = tuple(sorted({(min(u, v), max(u, v)) for u, v in pairs if u != v}))
    return Spec(
        name=draw(names),
        description=draw(names),
        input=Input(shape=input_shape),
        layers=tuple(layers),
        skips=skips,
        accuracy=draw(st.none() | st.floats(0, 1)),
    )


def blocks(root):
    return [e for e in root.iter() if "snac-layer" in e.get("class", "").split()]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs(),
    st.sampled_from(["fixed", "variable", "squished"]),
    st.sampled_from([8, 16, 24, 40, 64]),
    st.booleans(),
)
def test_any_valid_spec_renders_valid_deterministic_svg(spec, layout, height, fold):
    svg = snacs.render(spec, layout=layout, height=height, fold=fold)
    root = ET.fromstring(svg)
    assert root.get("viewBox")
    assert svg == snacs.render(spec, layout=layout, height=height, fold=fold)
    found = blocks(root)
    if not fold:
        assert len(found) == len(spec.layers)
    assert len(found) <= len(spec.layers)
    assert all(b.find("{http://www.w3.org/2000/svg}title") is not None for b in found)
    # every layer is accounted for: drawn, or folded into a drawn block
    assert {int(b.get("data-index")) for b in found} <= set(range(len(spec.layers)))
    if spec.layers:
        assert "0" in {b.get("data-index") for b in found}
    if layout == "fixed":
        assert root.get("width") == str(10 * height)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_json_round_trip_renders_the_same(spec):
    assert snacs.decode(snacs.encode(spec)) == spec
    assert snacs.render(snacs.encode(spec)) == snacs.render(spec)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(specs(), min_size=1, max_size=4))
def test_any_valid_specs_make_a_valid_sheet(many):
    ET.fromstring(snacs.sheet(many))
