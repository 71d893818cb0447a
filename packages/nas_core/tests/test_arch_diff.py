"""Differences between architectures, in the REMAP paper's words (Fig. 7)."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from nas_core.arch import (
    Architecture,
    ArchitectureError,
    Change,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Input,
    MaxPool,
    Prepend,
    ReLU,
    Remove,
    Reparameterize,
    Replace,
    Tanh,
    apply_changes,
    describe_change_list,
    describe_changes,
    diff,
)

from nas_core_strategies import valid_architectures

QUICKDRAW = Input((1, 28, 28), 10)
# the use case's model 3: small, with a max pool first (Fig. 7's parent)
PARENT = Architecture(
    "model3",
    QUICKDRAW,
    (MaxPool(2), Conv(32), MaxPool(2), ReLU(), Flatten(), Dense(10)),
)


def child(*layers) -> Architecture:
    return Architecture("child", QUICKDRAW, tuple(layers))


def test_fig7_ablation_wording() -> None:
    ablated = child(Conv(32), MaxPool(2), ReLU(), Flatten(), Dense(10))
    assert describe_changes(PARENT, ablated) == ["Removed MaxPool layer at index 0"]
    no_conv = child(MaxPool(2), MaxPool(2), ReLU(), Flatten(), Dense(10))
    assert describe_changes(PARENT, no_conv) == ["Removed Conv2D layer at index 1"]


def test_fig7_variation_wording() -> None:
    varied = child(MaxPool(2), Conv(128), MaxPool(3), ReLU(), Flatten(), Dense(10))
    assert ", ".join(describe_changes(PARENT, varied)) == (
        "pool_size at 2 from 2 to 3, filters at 1 from 32 to 128"
    )
    assert diff(PARENT, varied) == [
        Reparameterize(2, "pool", 2, 3),
        Reparameterize(1, "filters", 32, 128),
    ]


def test_additions_replacements_and_activation_swaps() -> None:
    other = child(Conv(16), MaxPool(2), Conv(32), MaxPool(2), Tanh(), Flatten(), Dense(10))
    assert describe_changes(PARENT, other) == [
        "activation at 3 from relu to tanh",
        "Added Conv2D layer at index 0",
    ]
    assert apply_changes(PARENT, diff(PARENT, other)).layers == other.layers
    swapped = child(MaxPool(2), Conv(32), MaxPool(2), Tanh(), Flatten(), Dense(10))
    assert describe_changes(PARENT, swapped) == ["activation at 3 from relu to tanh"]
    added = child(Conv(16), MaxPool(2), Conv(32), MaxPool(2), ReLU(), Flatten(), Dense(10))
    assert describe_changes(PARENT, added) == ["Added Conv2D layer at index 0"]
    replaced = child(MaxPool(2), Conv(32), Dropout(0.5), ReLU(), Flatten(), Dense(10))
    assert describe_changes(PARENT, replaced) == ["Replaced MaxPool layer at index 2 with Dropout"]
    kernel = child(MaxPool(2), Conv(32, 5, stride=2), MaxPool(2), ReLU(), Flatten(), Dense(10))
    assert describe_changes(PARENT, kernel) == [
        "kernel_size at 1 from 3 to 5",
        "strides at 1 from 1 to 2",
    ]


def test_fig7_handcrafted_wording_is_sequential() -> None:
    # the fourth row of Fig. 7: edits applied one after another, each index in the
    # model as the edits before it left it
    changes = [
        Remove(0),
        Prepend(1, ReLU()),
        Reparameterize(0, "filters", 32, 16),
        Prepend(0, Conv(32)),
        Prepend(1, ReLU()),
    ]
    assert describe_change_list(PARENT, changes) == [
        "Removed MaxPool layer at index 0",
        "Added ReLU layer at index 1",
        "filters at 0 from 32 to 16",
        "Added Conv2D layer at index 0",
        "Added ReLU layer at index 1",
    ]
    result = apply_changes(PARENT, changes)
    assert result.layers == (
        Conv(32), ReLU(), Conv(16), ReLU(), MaxPool(2), ReLU(), Flatten(), Dense(10),
    )  # fmt: skip


def test_identical_layers_give_no_changes_and_inputs_are_compared() -> None:
    assert describe_changes(PARENT, msgspec.structs.replace(PARENT, name="x")) == []
    other_input = msgspec.structs.replace(PARENT, input=Input((3, 32, 32), 10))
    assert describe_changes(PARENT, other_input) == [
        "input from 1×28×28 (10 classes) to 3×32×32 (10 classes)"
    ]


def test_changes_round_trip_as_json() -> None:
    changes = [
        Prepend(0, Conv(8)),
        Remove(3),
        Replace(2, Dropout(0.25)),
        Reparameterize(1, "rate", 0.5, 0.25),
    ]
    data = msgspec.json.encode(changes)
    assert msgspec.json.decode(data, type=list[Change]) == changes
    assert b'"kind":"reparameterize"' in data


def test_apply_checks_indices_and_old_values() -> None:
    with pytest.raises(ArchitectureError, match="no layer at index 6"):
        apply_changes(PARENT, [Remove(6)])
    with pytest.raises(ArchitectureError, match="filters is 32, not 64"):
        apply_changes(PARENT, [Reparameterize(1, "filters", 64, 16)])
    with pytest.raises(ArchitectureError, match="maxpool has no parameter 'units'"):
        apply_changes(PARENT, [Reparameterize(0, "units", 1, 2)])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(valid_architectures(), valid_architectures())
def test_diff_turns_the_parent_into_the_child(a: Architecture, b: Architecture) -> None:
    changes = diff(a, b)
    assert apply_changes(a, changes).layers == b.layers
    assert len(describe_changes(a, b)) >= len(changes)
    # every index is the parent's: the changes run from the last layer to the first
    indices = [c.index for c in changes]
    assert indices == sorted(indices, reverse=True)
    assert diff(a, a) == []
