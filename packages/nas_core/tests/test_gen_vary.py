"""Variations: per-layer allowed kinds, indices of 10 and more, every child valid and new."""

from __future__ import annotations

import json
import os
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from nas_core.arch import (
    Architecture,
    AvgPool,
    BatchNorm,
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
    Replace,
    Tanh,
    apply_changes,
    arch_hash,
    describe_change_list,
    validate,
)
from nas_core.generators import (
    VARIATION_KINDS,
    GeneratorError,
    allow_all,
    load_search_space,
    vary,
)

from nas_core_strategies import valid_architectures

SPACE = load_search_space()
LIMITS = Limits()
PARENT = Architecture(
    "p",
    Input((1, 16, 16), 10),
    (
        Conv(16), ReLU(), Conv(32, 5), BatchNorm(), Tanh(), AvgPool(2), Dropout(0.25),  # 0-6
        Conv(64), ReLU(), MaxPool(2), Dropout(0.5), Flatten(), Dense(64), ReLU(),  # 7-13
        Dropout(0.5), Dense(10),  # 14-15: the classifier is 15
    ),
)  # fmt: skip


def run(allowed, count=10, seed=1, **kw):
    return vary(PARENT, count, seed=seed, allowed=allowed, space=SPACE, limits=LIMITS, **kw)


def check_children(children, parent=PARENT, existing=frozenset(), max_changes=2, limits=LIMITS):
    hashes = [arch_hash(c.arch) for c in children]
    assert len(set(hashes)) == len(hashes)
    assert arch_hash(parent) not in hashes
    assert not set(hashes) & existing
    for c in children:
        validate(c.arch, limits)
        assert 1 <= len(c.changes) <= max_changes
        assert apply_changes(parent, c.changes).layers == c.arch.layers
        assert list(c.description) == describe_change_list(parent, c.changes)
        indices = [ch.index for ch in c.changes]
        assert indices == sorted(set(indices), reverse=True)  # distinct, last layer first


def test_only_the_allowed_layer_and_kind_change_at_index_eleven_and_more() -> None:
    # the original server ignored per-layer choices and read "layer-11" as layer 1
    children, _ = run({14: frozenset({"reparameterize"})}, count=6)
    check_children(children)
    assert len(children) == 6  # dropout 0.5 → the grid's six other rates
    for c in children:
        (change,) = c.changes
        assert isinstance(change, Reparameterize)
        assert (change.index, change.field, change.old) == (14, "rate", 0.5)
    assert {c.changes[0].new for c in children} == {0.125, 0.25, 0.375, 0.625, 0.75, 0.875}


def test_each_layer_gets_only_its_own_kinds() -> None:
    allowed = {
        12: frozenset({"reparameterize"}),
        10: frozenset({"remove"}),
        13: frozenset({"replace", "prepend"}),
        2: frozenset({"prepend"}),
    }
    children, _ = run(allowed, count=25, seed=4)
    check_children(children)
    seen = set()
    for c in children:
        for change in c.changes:
            kind = {Prepend: "prepend", Remove: "remove", Replace: "replace"}.get(
                type(change), "reparameterize"
            )
            assert kind in allowed[change.index], change
            seen.add((change.index, kind))
            if isinstance(change, Reparameterize):
                assert change.field == "units"
    assert seen == {(i, k) for i, kinds in allowed.items() for k in kinds}


def test_allowed_decoded_from_json_keys() -> None:
    # a command arrives as JSON, whose object keys are strings: "10", "11", "12"
    allowed = msgspec.json.decode(
        b'{"12": ["reparameterize"], "10": ["remove"], "1": ["remove"]}',
        type=dict[int, frozenset[str]],
    )
    children, _ = run(allowed, count=4, seed=2)
    check_children(children)
    assert {ch.index for c in children for ch in c.changes} <= {12, 10, 1}
    assert any(ch.index == 12 for c in children for ch in c.changes)


def test_the_classifier_and_the_flatten_take_only_prepend() -> None:
    children, _ = run({15: frozenset(VARIATION_KINDS), 11: frozenset(VARIATION_KINDS)}, count=8)
    check_children(children)
    assert all(isinstance(ch, Prepend) for c in children for ch in c.changes)
    with pytest.raises(
        GeneratorError, match=r"layer 15 \(dense\) takes none of remove, reparameterize, replace"
    ):
        run({15: frozenset({"remove", "replace", "reparameterize"})})


def test_new_layers_come_from_the_chain_and_fit_where_they_go() -> None:
    children, _ = run({11: frozenset({"prepend"}), 12: frozenset({"prepend"})}, count=12, seed=3)
    check_children(children)
    for c in children:
        for change in c.changes:
            # between the last pool (4×4 image) and the flatten: image layers; after
            # it: flat ones (no conv, no pool; a dense needs no new flatten)
            if change.index == 11:
                assert not isinstance(change.layer, Dense)
            else:
                assert not isinstance(change.layer, Conv | MaxPool | AvgPool)
            if isinstance(change.layer, Conv):
                assert change.layer.kernel == 3  # the only kernel of the grid that fits 4×4


def test_same_seed_same_children() -> None:
    a = run(allow_all(PARENT), count=8, seed=9)
    assert a == run(allow_all(PARENT), count=8, seed=9)
    assert a != run(allow_all(PARENT), count=8, seed=10)


def test_max_changes_and_existing_models() -> None:
    children, _ = run(allow_all(PARENT), count=20, seed=5, max_changes=3)
    check_children(children, max_changes=3)
    assert {len(c.changes) for c in children} == {1, 2, 3}
    existing = frozenset(arch_hash(c.arch) for c in children[:10])
    again, skipped = run(allow_all(PARENT), count=20, seed=5, max_changes=3, existing=existing)
    check_children(again, existing=existing, max_changes=3)
    assert any(s.reason.endswith("duplicate of an existing model") for s in skipped)


def test_cannot_make_n_says_why() -> None:
    with pytest.raises(
        GeneratorError, match=r"made 6 of 8 variations of 'p' in 450 attempts"
    ) as info:
        run({14: frozenset({"reparameterize"})}, count=8)
    assert "same model as an earlier variation" in str(info.value)
    assert len(info.value.skipped) == 450 - 6


def test_bad_allowed_maps() -> None:
    with pytest.raises(GeneratorError, match="name layer 16, but the parent has layers 0 to 15"):
        run({16: frozenset({"remove"})})
    with pytest.raises(GeneratorError, match="unknown change kind 'append' for layer 3"):
        run({3: frozenset({"append"})})
    with pytest.raises(GeneratorError, match="no layer allows any change"):
        run({})
    with pytest.raises(GeneratorError, match="is invalid"):
        vary(
            Architecture("bad", PARENT.input, (Flatten(), Dense(3))), 1, seed=0,
            allowed={0: frozenset({"prepend"})}, space=SPACE, limits=LIMITS,
        )  # fmt: skip


def test_skipped_attempts_say_what_was_tried() -> None:
    children, skipped = run(allow_all(PARENT), count=30, seed=8)
    check_children(children)
    for s in skipped:
        assert (
            ": invalid model (" in s.reason or "duplicate" in s.reason or "same model" in s.reason
        )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(valid_architectures(), st.integers(0, 2**32), st.integers(1, 3), st.data())
def test_every_child_is_valid_and_new_for_any_seed_and_parent(
    parent, seed, max_changes, data
) -> None:
    n = len(parent.layers)
    allowed = data.draw(
        st.dictionaries(
            st.integers(0, n - 1), st.frozensets(st.sampled_from(VARIATION_KINDS)), min_size=1
        )
    )
    existing = frozenset({arch_hash(parent)})
    try:
        children, skipped = vary(
            parent, 4, seed=seed, allowed=allowed, max_changes=max_changes, space=SPACE,
            limits=LIMITS, existing=existing, max_attempts=60,
        )  # fmt: skip
    except GeneratorError as exc:
        error = exc
    else:
        error = None
    if error is not None:
        event("GeneratorError")
        assert str(error)  # says why: nothing applies, or too few distinct valid children
        return
    event("made")
    assert len(children) == 4
    check_children(children, parent, existing, max_changes)
    for c in children:
        for change in c.changes:
            kind = {Prepend: "prepend", Remove: "remove", Replace: "replace"}.get(
                type(change), "reparameterize"
            )
            assert kind in allowed[change.index]
    assert all(s.reason for s in skipped)


GOLDEN = Path(__file__).resolve().parent / "golden" / "vary-default-v1.json"


def test_golden_variations() -> None:
    """Same seed, same variations on any machine. Regenerate after an intended change:
    ``NAS_CORE_UPDATE_GOLDEN=1 pytest <this file>``."""
    children, skipped = run(allow_all(PARENT), count=8, seed=2024, max_changes=3)
    got = json.loads(
        msgspec.json.encode(
            {
                "children": [
                    {"changes": c.changes, "description": c.description} for c in children
                ],
                "skipped": skipped,
            }
        )
    )
    if os.environ.get("NAS_CORE_UPDATE_GOLDEN"):
        lines = [json.dumps(c) for c in got["children"]]
        skips = [json.dumps(s) for s in got["skipped"]]
        text = '{\n  "children": [\n    ' + ",\n    ".join(lines) + "\n  ],\n"
        text += '  "skipped": [' + "".join(f"\n    {x}," for x in skips).rstrip(",")
        text += ("\n  ]" if skips else "]") + "\n}\n"
        GOLDEN.write_text(text, encoding="utf-8")
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))
