"""Every strategy's proposals: valid, new, within the constraints, and the same for the
same inputs; Hyperband's promotions continue the best of a finished rung."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.arch import Limits, arch_hash, count_params, layer_type, validate
from nas_core.generators import load_search_space
from nas_core.strategies import (
    STRATEGY_NAMES,
    Constraints,
    DistanceCache,
    Observed,
    SearchSpec,
    StrategyError,
    estimate_position,
    inside,
    propose,
)

SPACE = load_search_space()
SMALL = {"candidates": 40, "parents": 3, "initial": 3, "population": 4, "sample": 2, "budget": 12}
LIMITS = Limits(max_params=200_000)
REGION = ((0.0, 0.0), (0.8, 0.0), (0.8, 0.8), (0.0, 0.8))


def run(spec: SearchSpec, rounds: int, count: int, seed: int = 0):
    """Proposals of `rounds` calls, each model 'trained' with made-up accuracies."""
    rng = random.Random(seed)
    cache = DistanceCache()
    obs = [  # a person's two models, placed, so a region can be checked from the start
        Observed(f"u{i}", a, count_params(a), 2, (0.5, 0.6), True, (0.3 * i, 0.2), None)
        for i, a in enumerate(
            propose(
                SearchSpec("random", 99, 2),
                [],
                0,
                2,
                space=SPACE,
                input_shape=(1, 8, 8),
                num_classes=10,
                limits=LIMITS,
            )
        )
        for a in [a.arch]
    ]
    made, step = [], 0
    for _ in range(rounds):
        props = propose(
            spec, obs, step, count, space=SPACE, input_shape=(1, 8, 8), num_classes=10,
            limits=LIMITS, distance=cache,
        )  # fmt: skip
        made.extend(props)
        for p in props:
            if p.kind == "new":
                acc = tuple(rng.random() for _ in range(p.epochs))
                pos = (rng.random(), rng.random())
                obs.append(Observed(f"m{p.step}", p.arch, count_params(p.arch), p.epochs, acc,
                                    True, pos, p.step))  # fmt: skip
            else:
                i = next(i for i, o in enumerate(obs) if o.model_id == p.parent)
                o = obs[i]
                more = tuple(rng.random() for _ in range(p.epochs))
                obs[i] = Observed(
                    o.model_id,
                    o.arch,
                    o.params,
                    o.epochs + p.epochs,
                    o.val_acc + more,
                    True,
                    o.position,
                    o.proposed_by_step,
                )
        step = (props[-1].step + 1) if props else step
    return made, obs


constraints = st.builds(
    Constraints,
    max_params=st.sampled_from([None, 20_000, 80_000]),
    forbid_kinds=st.sampled_from([(), ("dropout",), ("avgpool", "tanh")]),
    require_kinds=st.sampled_from([(), ("conv",)]),
    region=st.sampled_from([None, REGION]),
)


@given(
    strategy=st.sampled_from(STRATEGY_NAMES),
    seed=st.integers(0, 2**32),
    c=constraints,
)
@settings(max_examples=25, deadline=None)
def test_every_proposal_is_valid_new_and_within_the_constraints(strategy, seed, c):
    spec = SearchSpec(strategy, seed, 3, options=SMALL, constraints=c)
    made, obs = run(spec, rounds=4, count=3)
    by_id = {o.model_id: o for o in obs}
    hashes = set()
    for p in made:
        arch = p.arch if p.kind == "new" else by_id[p.parent].arch
        validate(arch, LIMITS)
        kinds = {layer_type(x) for x in arch.layers}
        assert not kinds & set(c.forbid_kinds)
        assert set(c.require_kinds) <= kinds
        if c.max_params is not None:
            assert count_params(arch) <= c.max_params
        if p.kind == "new":
            assert arch_hash(arch) not in hashes
            hashes.add(arch_hash(arch))
        elif c.region is not None:
            assert inside(by_id[p.parent].position, c.region)
        assert p.why
        assert p.epochs >= 1


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_same_inputs_give_the_same_proposals(strategy):
    spec = SearchSpec(strategy, 7, 3, options=SMALL, constraints=Constraints(max_params=50_000))
    assert run(spec, 3, 2)[0] == run(spec, 3, 2)[0]
    other = SearchSpec(strategy, 8, 3, options=SMALL, constraints=Constraints(max_params=50_000))
    assert run(spec, 3, 2)[0] != run(other, 3, 2)[0]


@pytest.mark.parametrize("strategy", ["random", "evolution", "bayesopt", "metaqnn"])
def test_new_proposals_are_estimated_inside_the_region(strategy):
    _, obs = run(SearchSpec("random", 5, 2), rounds=2, count=4)
    spec = SearchSpec(strategy, 3, 2, options=SMALL, constraints=Constraints(region=REGION))
    made = propose(spec, obs, 0, 3, space=SPACE, input_shape=(1, 8, 8), num_classes=10,
                   limits=LIMITS)  # fmt: skip
    assert made  # the constraint does not stop the search
    cache = DistanceCache()
    assert all(inside(estimate_position(p.arch, obs, cache), REGION) for p in made)
    unplaced = [Observed(o.model_id, o.arch, o.params, o.epochs, o.val_acc, True, None,
                         o.proposed_by_step) for o in obs]  # fmt: skip
    assert propose(spec, unplaced, 0, 3, space=SPACE, input_shape=(1, 8, 8), num_classes=10) == []


def test_hyperband_promotes_the_best_of_a_finished_rung():
    spec = SearchSpec("hyperband", 1, 9, options={"eta": 3})  # rungs 9@1, 3@3, 1@9
    made, obs = run(spec, rounds=6, count=4)
    first = [p for p in made if p.kind == "continue"][:3]
    assert [p.step for p in first] == [9, 10, 11]
    assert all(p.epochs == 2 for p in first)
    rung0 = [o for o in obs if o.proposed_by_step in range(9)]
    best = sorted(rung0, key=lambda o: (-o.val_acc[0], o.model_id))[:3]
    assert [p.parent for p in first] == [o.model_id for o in best]
    assert "promote" in first[0].why


def test_hyperband_waits_while_a_rung_trains():
    spec = SearchSpec("hyperband", 1, 9)
    _made, obs = run(spec, rounds=1, count=9)
    training = [Observed(o.model_id, o.arch, o.params, o.epochs, (), False, o.position,
                         o.proposed_by_step) for o in obs]  # fmt: skip
    assert propose(spec, training, 9, 3, space=SPACE, input_shape=(1, 8, 8), num_classes=10) == []


def test_bayesopt_says_why_with_its_ei():
    spec = SearchSpec("bayesopt", 2, 2, options=SMALL)
    made, _ = run(spec, rounds=4, count=2)
    gp = [p for p in made if "ei" in p.scores]
    assert gp
    assert all(p.scores["ei"] >= 0 and p.parent for p in gp)
    assert "EI" in gp[0].why
    assert gp[0].parent in gp[0].why


def test_unknown_strategy_is_refused_in_remaps_words():
    with pytest.raises(StrategyError, match="unknown strategy 'annealing'"):
        propose(SearchSpec("annealing", 0, 1), [], 0, 1, space=SPACE, input_shape=(1, 8, 8),
                num_classes=10)  # fmt: skip
