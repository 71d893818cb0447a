"""Handcrafted edits: applied in order, validated as a whole, errors with their path."""

from __future__ import annotations

import pytest
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
    Prepend,
    ReLU,
    Remove,
    Reparameterize,
    Tanh,
    apply_changes,
    arch_hash,
    validate,
)
from nas_core.generators import (
    HandcraftError,
    Insert,
    RemoveEdit,
    Reparam,
    decode_edits,
    handcraft,
)

from nas_core_strategies import valid_architectures

PARENT = Architecture(
    "m3",
    Input((1, 28, 28), 10),
    (MaxPool(2), Conv(32), MaxPool(2), ReLU(), Flatten(), Dense(10)),
)
LIMITS = Limits()


def test_fig7_fourth_row() -> None:
    edits = decode_edits(
        b"""[{"op": "remove", "index": 0},
             {"op": "insert", "index": 1, "layer": {"type": "relu"}},
             {"op": "reparam", "index": 0, "params": {"filters": 16}},
             {"op": "insert", "index": 0, "layer": {"type": "conv", "filters": 32}},
             {"op": "insert", "index": 1, "layer": {"type": "relu"}}]"""
    )
    child = handcraft(PARENT, edits, limits=LIMITS)
    assert child.description == (
        "Removed MaxPool layer at index 0",
        "Added ReLU layer at index 1",
        "filters at 0 from 32 to 16",
        "Added Conv2D layer at index 0",
        "Added ReLU layer at index 1",
    )
    assert child.changes == (
        Remove(0),
        Prepend(1, ReLU()),
        Reparameterize(0, "filters", 32, 16),
        Prepend(0, Conv(32)),
        Prepend(1, ReLU()),
    )
    assert child.arch.layers == (
        Conv(32), ReLU(), Conv(16), ReLU(), MaxPool(2), ReLU(), Flatten(), Dense(10),
    )  # fmt: skip
    assert child.arch.name == "m3-h"
    assert apply_changes(PARENT, child.changes).layers == child.arch.layers


def test_fig7_fifth_row_reparameterizes_one_layer_twice() -> None:
    edits = [
        RemoveEdit(0),
        Reparam(0, {"filters": 64}),
        Reparam(0, {"filters": 128}),
        Reparam(1, {"pool": 3}),
    ]
    child = handcraft(PARENT, edits, limits=LIMITS)
    assert ", ".join(child.description) == (
        "Removed MaxPool layer at index 0, filters at 0 from 32 to 64, "
        "filters at 0 from 64 to 128, pool_size at 1 from 2 to 3"
    )


def test_several_parameters_and_an_activation_swap_in_one_edit() -> None:
    child = handcraft(
        PARENT, [Reparam(1, {"filters": 8, "kernel": 5}), Reparam(3, {"activation": "tanh"})],
        limits=LIMITS,
    )  # fmt: skip
    assert child.arch.layers[1] == Conv(8, 5)
    assert child.arch.layers[3] == Tanh()
    assert child.description == (
        "filters at 1 from 32 to 8",
        "kernel_size at 1 from 3 to 5",
        "activation at 3 from relu to tanh",
    )


def test_validated_as_a_whole_not_edit_by_edit() -> None:
    # moving the flatten: invalid after the first edit, valid at the end
    edits = [RemoveEdit(4), Insert(2, Flatten()), RemoveEdit(3), Insert(3, Dense(20))]
    child = handcraft(PARENT, edits, limits=LIMITS)
    assert child.arch.layers == (MaxPool(2), Conv(32), Flatten(), Dense(20), ReLU(), Dense(10))


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        (
            [RemoveEdit(0), RemoveEdit(5)],
            "no layer at index 5: the architecture has 5 layers after the edits before it"
            " - at `$.edits[1].index`",
        ),
        (
            [Insert(7, ReLU())],
            "cannot insert at index 7: the architecture has 6 layers - at `$.edits[0].index`",
        ),
        (
            [Reparam(1, {"filters": 0})],
            "must be at least 1 - at `$.edits[0].params.filters`",
        ),
        (
            [Reparam(1, {"kernel": 4})],
            "4 is not an allowed value - at `$.edits[0].params.kernel`",
        ),
        (
            [Reparam(0, {"rate": 0.5})],
            "maxpool has no parameter 'rate' (it has: pool) - at `$.edits[0].params.rate`",
        ),
        (
            [Reparam(3, {"activation": "gelu"})],
            "activation must be one of relu, tanh, sigmoid, not 'gelu'"
            " - at `$.edits[0].params.activation`",
        ),
        ([Reparam(4, {})], "no parameters to change - at `$.edits[0].params`"),
        (
            [Insert(5, Conv(8))],
            "the edited architecture is invalid: layer 5: conv after flatten - at `$.edits`",
        ),
        (
            [Reparam(0, {"pool": 5}), Reparam(2, {"pool": 6})],
            "the edited architecture is invalid: layer 2: maxpool of 6 on a 5×5 input: the "
            "spatial size would fall below 1×1 - at `$.edits`",
        ),
        (
            [Reparam(1, {"filters": 32})],
            "the edits give the parent itself - at `$.edits`",
        ),
        ([], "no edits: the child would be the parent itself - at `$.edits`"),
    ],
)
def test_errors_name_the_edit_path(edits, message) -> None:
    with pytest.raises(HandcraftError) as info:
        handcraft(PARENT, edits, limits=LIMITS)
    assert str(info.value) == message
    assert info.value.path == message.rsplit("`", 2)[1]


def test_existing_and_over_the_cap() -> None:
    first = handcraft(PARENT, [RemoveEdit(0)], limits=LIMITS)
    with pytest.raises(HandcraftError, match="the edits give a model that already exists"):
        handcraft(
            PARENT, [RemoveEdit(0)], limits=LIMITS, existing=frozenset({arch_hash(first.arch)})
        )
    with pytest.raises(HandcraftError, match="parameters exceed the cap of 20,000 - at `"):
        handcraft(PARENT, [RemoveEdit(0)], limits=Limits(max_params=20_000))


def test_decode_edits_errors_carry_the_path() -> None:
    with pytest.raises(HandcraftError) as info:
        decode_edits([{"op": "remove", "index": 1}, {"op": "remove", "index": -1}])
    assert str(info.value) == "must be at least 0 - at `$.edits[1].index`"
    move = r"'move' is not an allowed value - at `\$.edits\[0\].op`"
    with pytest.raises(HandcraftError, match=move):
        decode_edits('[{"op": "move", "index": 1}]')
    with pytest.raises(HandcraftError, match=r"at `\$.edits\[0\].layer.rate`"):
        decode_edits([{"op": "insert", "index": 0, "layer": {"type": "dropout", "rate": 2}}])
    with pytest.raises(
        HandcraftError, match=r"^is not a field of this object - at `\$.edits\[0\].layer`$"
    ):
        decode_edits([{"op": "remove", "index": 0, "layer": {"type": "relu"}}])


edits_strategy = st.lists(
    st.one_of(
        st.builds(
            Insert,
            index=st.integers(0, 12),
            layer=st.sampled_from([ReLU(), Dropout(0.5), Conv(4), MaxPool(2), Flatten(), Dense(7)]),
        ),
        st.builds(RemoveEdit, index=st.integers(0, 12)),
        st.builds(
            Reparam,
            index=st.integers(0, 12),
            params=st.dictionaries(
                st.sampled_from(["filters", "pool", "units", "rate", "activation", "kernel"]),
                st.sampled_from([1, 2, 3, 16, 0.25, "tanh", "relu", 0]),
                max_size=2,
            ),
        ),
    ),
    max_size=5,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(valid_architectures(), edits_strategy)
def test_any_edit_list_gives_a_valid_new_child_or_a_handcraft_error(parent, edits) -> None:
    try:
        child = handcraft(parent, edits, limits=LIMITS, existing=frozenset({arch_hash(parent)}))
    except HandcraftError as exc:
        error = exc
    else:
        error = None
    if error is not None:
        assert error.path.startswith("$.edits")
        return
    validate(child.arch, LIMITS)
    assert arch_hash(child.arch) != arch_hash(parent)
    assert apply_changes(parent, child.changes).layers == child.arch.layers
