"""The evolutionary search (issue 18, ONESHOT.md §4.5): children always valid, within a
region's constraint, the same seed the same children; fitness and block fitness."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.oneshot import (
    Constraint,
    block_fitness,
    check_mask,
    fitness,
    initial_population,
    load_template,
    loss_stats,
    marginal_scores,
    next_generation,
)

TEMPLATES = ("lenet-digits-v1", "lenet-digits-multi-v1", "rank-digits-v1")
template = st.sampled_from(TEMPLATES)
seed = st.integers(0, 2**63 - 1)


def _losses(population) -> list[float]:
    return [0.1 + (sum(int(b[1:]) for b in m) % 17) / 10 for m in population]


@settings(max_examples=40, deadline=None)
@given(template, seed, st.floats(0, 1), st.sampled_from(["fitness", "rank"]))
def test_children_are_valid_and_seeded(name, s, mutation, selection):
    sa = load_template(name)
    size = sum(len(layer.blocks) for layer in sa.layers)
    population = [c.mask for c in initial_population(sa, size, s)]
    for m in population:
        assert check_mask(sa, m) == m
    run = lambda: next_generation(  # noqa: E731
        sa,
        population,
        _losses(population),
        keep=size // 2,
        seed=s + 1,
        mutation=mutation,
        selection=selection,
    )
    elite, children = run()
    assert (elite, children) == run()
    assert len(elite) + len(children) == size
    for child in children:
        assert check_mask(sa, child.mask) == child.mask
        assert len(child.parents) == 2
        assert len(child.crossover) == size


@settings(max_examples=40, deadline=None)
@given(template, seed, st.data())
def test_children_meet_the_regions_constraint(name, s, data):
    sa = load_template(name)
    layers = [[b.id for b in layer.blocks] for layer in sa.layers]
    multi = [ids for ids in layers if len(ids) > 1]
    ids = data.draw(st.sampled_from(multi))
    on = data.draw(st.sampled_from(ids))
    off = tuple(b for b in ids if b != on)[:1]
    constraint = Constraint(on=(on,), off=off)
    size = sum(map(len, layers))
    population = [c.mask for c in initial_population(sa, size, s, constraint)]
    _elite, children = next_generation(
        sa, population, _losses(population), keep=size // 2, seed=s, constraint=constraint
    )
    for m in [*population, *(c.mask for c in children)]:
        assert on in m
        assert not set(off) & set(m)
        check_mask(sa, m)


@settings(max_examples=20, deadline=None)
@given(seed)
def test_an_acceptance_test_with_a_fallback_holds_for_every_child(s):
    sa = load_template("lenet-digits-multi-v1")
    members = [c.mask for c in initial_population(sa, 5, s)]
    accept = lambda m: m in members  # noqa: E731
    fallback = lambda m, seen: next((x for x in members if x not in seen), members[0])  # noqa: E731
    population = [
        c.mask for c in initial_population(sa, 12, s + 1, accept=accept, fallback=fallback)
    ]
    assert all(m in members for m in population)


def test_fitness_is_normalised_inverse_loss_or_rank():
    f = fitness([1.0, 3.0])
    assert f == pytest.approx([0.75, 0.25], rel=1e-5)
    assert fitness([0.5, 0.4, 0.9], "rank") == pytest.approx([2 / 6, 3 / 6, 1 / 6])
    assert loss_stats([1.0, 2.0, 3.0]) == (3.0, 2.0, 1.0)


def test_block_fitness_is_the_share_of_the_population_holding_a_block():
    sa = load_template("lenet-digits-v1")
    pop = [
        ("b1", "b4", "b5", "b8", "b9", "b10", "b12"),
        ("b2", "b4", "b5", "b8", "b9", "b11", "b12"),
    ]
    fit = block_fitness(sa, pop)
    assert fit["b4"] == 1.0
    assert fit["b1"] == 0.5
    assert fit["b3"] == 0.0
    marginal = marginal_scores(sa, {pop[0]: 0.9, pop[1]: 0.7})
    assert marginal["b1"] == pytest.approx(0.2)
    assert marginal["b4"] is None  # in every evaluated subgraph: nothing to compare with
