"""Hypothesis strategies for architectures, shared by the arch and generator tests."""

from __future__ import annotations

from hypothesis import assume
from hypothesis import strategies as st

from nas_core.arch import (
    Architecture,
    ArchitectureError,
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Input,
    Limits,
    MaxPool,
    ReLU,
    Sigmoid,
    Tanh,
    validate,
)

inputs = st.builds(
    Input,
    shape=st.tuples(st.integers(1, 3), st.integers(1, 20), st.integers(1, 20)),
    classes=st.integers(2, 12),
)
rates = st.sampled_from([0.1, 0.125, 0.25, 0.5, 0.75, 0.9])
activations = st.sampled_from([ReLU(), Tanh(), Sigmoid()])
either = st.one_of(activations, st.builds(Dropout, rate=rates), st.just(BatchNorm()))
spatial = st.one_of(
    st.builds(
        Conv,
        filters=st.integers(1, 24),
        kernel=st.sampled_from([3, 5, 7]),
        stride=st.sampled_from([1, 1, 1, 2]),
    ),
    st.builds(MaxPool, pool=st.integers(1, 4)),
    st.builds(AvgPool, pool=st.integers(1, 4)),
    either,
)
flat = st.one_of(st.builds(Dense, units=st.integers(1, 40)), either)


@st.composite
def valid_architectures(draw, limits: Limits | None = None) -> Architecture:
    """Any valid architecture (not only the chain's): image layers, a flatten, flat
    layers, the classifier; invalid draws (pools too big, over the caps) are rejected."""
    inp = draw(inputs)
    layers = [
        *draw(st.lists(spatial, max_size=7)),
        Flatten(),
        *draw(st.lists(flat, max_size=5)),
        Dense(units=inp.classes),
    ]
    arch = Architecture(
        name=draw(st.sampled_from(["p", "m7", "parent"])), input=inp, layers=tuple(layers)
    )
    try:
        validate(arch, limits or Limits())
    except ArchitectureError:
        assume(False)
    return arch
