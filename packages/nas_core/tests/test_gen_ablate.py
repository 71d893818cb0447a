"""Ablations: one child per selected layer, skips reported with their reasons."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nas_core.arch import (
    Architecture,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Input,
    Limits,
    MaxPool,
    ReLU,
    Remove,
    Tanh,
    apply_changes,
    arch_hash,
    validate,
)
from nas_core.generators import Skipped, ablate

from nas_core_strategies import valid_architectures

PARENT = Architecture(
    "m3",
    Input((1, 28, 28), 10),
    (MaxPool(2), Conv(32), ReLU(), ReLU(), MaxPool(2), Flatten(), Dense(10)),
)


def test_one_child_per_selected_layer_in_the_papers_words() -> None:
    children, skipped = ablate(PARENT, [0, 1, 4], limits=Limits())
    assert skipped == []
    assert [c.description for c in children] == [
        ("Removed MaxPool layer at index 0",),
        ("Removed Conv2D layer at index 1",),
        ("Removed MaxPool layer at index 4",),
    ]
    assert [c.changes for c in children] == [(Remove(0),), (Remove(1),), (Remove(4),)]
    assert [c.arch.name for c in children] == ["m3-a0", "m3-a1", "m3-a4"]
    assert children[0].arch.layers == PARENT.layers[1:]


def test_invalid_duplicate_and_unknown_layers_are_skipped_with_reasons() -> None:
    existing = frozenset({arch_hash(apply_changes(PARENT, [Remove(1)]))})
    children, skipped = ablate(
        PARENT, [2, 3, 5, 6, 1, 7, 2, -1], limits=Limits(), existing=existing
    )
    assert [c.changes for c in children] == [(Remove(2),)]
    assert skipped == [
        Skipped(3, "same model as removing layer 2"),
        Skipped(
            5,
            "removing layer 5 gives an invalid model: layer 5: dense needs a flatten before "
            "it (its input is 32×7×7)",
        ),
        Skipped(
            6,
            "removing layer 6 gives an invalid model: layer 5: the last layer must be the "
            "classifier (a dense with 10 units), not flatten",
        ),
        Skipped(1, "duplicate of an existing model"),
        Skipped(7, "no layer at index 7: the parent has 7 layers"),
        Skipped(2, "index 2 is listed twice"),
        Skipped(-1, "no layer at index -1: the parent has 7 layers"),
    ]


def test_over_the_cap_is_skipped() -> None:
    parent = Architecture("p", Input((1, 8, 8), 10), (Conv(8), MaxPool(2), Flatten(), Dense(10)))
    children, skipped = ablate(parent, [1], limits=Limits(max_params=2000))  # parent: 1,370
    assert children == []
    assert skipped == [
        Skipped(
            1,
            "removing layer 1 gives an invalid model: 5,210 parameters exceed the cap of 2,000",
        )
    ]


def test_layers_at_index_ten_and_more() -> None:
    layers = (Conv(4), *([Dropout(0.5)] * 9), Tanh(), Tanh(), ReLU(), Flatten(), Dense(10))
    parent = Architecture("deep", Input((1, 8, 8), 10), layers)
    children, skipped = ablate(parent, [12, 10, 11], limits=Limits())
    assert [c.description for c in children] == [
        ("Removed ReLU layer at index 12",),
        ("Removed Tanh layer at index 10",),
    ]
    assert children[0].arch.layers == layers[:12] + layers[13:]
    assert skipped == [Skipped(11, "same model as removing layer 10")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(valid_architectures(), st.data())
def test_every_child_is_valid_and_new_or_skipped_with_a_reason(parent, data) -> None:
    indices = data.draw(st.lists(st.integers(-1, len(parent.layers) + 1), max_size=8))
    existing = frozenset({arch_hash(parent)})
    children, skipped = ablate(parent, indices, limits=Limits(), existing=existing)
    assert len(children) + len(skipped) == len(indices)
    hashes = [arch_hash(c.arch) for c in children]
    assert len(set(hashes)) == len(hashes)
    assert not set(hashes) & existing
    for c in children:
        validate(c.arch)
        assert apply_changes(parent, c.changes).layers == c.arch.layers
    assert all(s.reason for s in skipped)
