"""Unit tests of the strategies' parts: Hyperband's table, the aging population, the GP,
EI, MetaQNN's epsilon schedule, the median stopping rule, the region test."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.arch import Input, Limits, count_params
from nas_core.generators import load_search_space, sample
from nas_core.strategies import (
    DistanceCache,
    Observed,
    brackets,
    epsilon,
    estimate_position,
    expected_improvement,
    fit,
    inside,
    median_stop,
    plan,
    population,
    posterior,
    slot,
    tournament,
)
from nas_core.strategies.metaqnn import learn, trajectory

SPACE = load_search_space()
INPUT = Input(shape=(1, 8, 8), classes=10)
ARCHS = sample(5, 12, input=INPUT, space=SPACE, limits=Limits())


def observed(i: int, acc: float, finished: bool = True, **kw) -> Observed:
    a = ARCHS[i % len(ARCHS)]
    return Observed(f"m{i}", a, count_params(a), 3, (acc * 0.5, acc), finished, **kw)


def test_hyperband_table_for_r27_eta3_is_the_papers():
    table = {s: [(r.models, r.epochs) for r in rungs] for s, rungs in brackets(27, 3)}
    assert table == {
        3: [(27, 1), (9, 3), (3, 9), (1, 27)],
        2: [(12, 3), (4, 9), (1, 27)],
        1: [(6, 9), (2, 27)],
        0: [(4, 27)],
    }
    assert len(plan(27, 3)) == 40 + 17 + 8 + 4


def test_hyperband_slots_walk_brackets_then_repeat():
    assert slot(0, 27, 3)[1:4] == (3, 0, 0)
    assert slot(27, 27, 3)[1:4] == (3, 1, 0)  # first promotion
    assert slot(40, 27, 3)[1:5] == (2, 0, 0, 40)
    assert slot(69, 27, 3)[:5] == (1, 3, 0, 0, 69)  # the next iteration


def test_population_is_the_last_finished_and_tournament_takes_the_best():
    obs = [observed(i, acc=i / 10) for i in range(8)] + [observed(8, 0.99, finished=False)]
    members = population(obs, 5)
    assert [m.model_id for m in members] == ["m3", "m4", "m5", "m6", "m7"]
    assert tournament(members, 5, seed=1, step=0).model_id == "m7"
    picks = {tournament(members, 2, seed=1, step=k).model_id for k in range(30)}
    assert "m3" not in picks  # the worst never wins a tournament of two


def test_gp_interpolates_and_is_unsure_away():
    rng = np.random.default_rng(0)
    x = rng.random((30, 2))
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    y = np.sin(3 * x[:, 0]) + x[:, 1]
    f = fit(d, y, noises=(1e-6,))
    mu, sd = posterior(f, d)
    assert np.allclose(mu, y, atol=1e-2)
    assert sd.max() < 0.02 * np.sqrt(f.amplitude)
    far = posterior(f, d[:1] + 10.0)[1]
    assert far[0] > 0.9 * np.sqrt(f.amplitude)


@given(st.lists(st.tuples(st.floats(-1, 1), st.floats(0, 1)), min_size=1, max_size=20))
@settings(max_examples=50, deadline=None)
def test_expected_improvement_is_never_negative(pairs):
    mu, sd = np.array(pairs).T
    ei = expected_improvement(mu, sd, 0.3)
    assert (ei >= 0).all()
    assert np.isfinite(ei).all()


def test_epsilon_follows_the_papers_schedule_over_the_budget():
    eps = [epsilon(k, 100) for k in range(100)]
    assert eps[0] == 1.0
    assert eps[-1] == 0.1
    assert all(a >= b for a, b in itertools.pairwise(eps))
    assert sum(e == 1.0 for e in eps) == 56  # 1500 of 2700 models
    assert sorted(set(eps)) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]


def test_metaqnn_replay_raises_the_q_of_a_rewarded_path():
    q = learn([observed(0, 0.95)], seed=0, replay=50)
    state, action = trajectory(ARCHS[0])[-1]
    assert q[state][action] > 0.5
    assert learn([observed(0, 0.95)], seed=0, replay=50) == q


def test_median_stop():
    others = [[0.5, 0.6, 0.7]] * 5
    assert median_stop(others, [0.2, 0.3], epoch=2)
    assert not median_stop(others, [0.2, 0.9], epoch=2)
    assert not median_stop(others[:4], [0.1, 0.1], epoch=2)  # too few others
    assert not median_stop(others, [0.1], epoch=2)  # not there yet


def test_inside_polygon():
    square = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
    assert inside((0.5, 0.5), square)
    assert inside((1.0, 0.5), square)
    assert not inside((1.5, 0.5), square)


def test_position_estimate_is_a_neighbour_mean():
    obs = [observed(i, 0.5, position=(float(i), 0.0)) for i in range(5)]
    cache = DistanceCache()
    assert estimate_position(ARCHS[2], obs, cache) == (2.0, 0.0)  # its own graph
    x, _ = estimate_position(ARCHS[7], obs, cache)
    assert 0.0 <= x <= 4.0
    assert estimate_position(ARCHS[7], [observed(0, 0.5)], cache) is None


def test_distance_cache_agrees_with_a_fresh_computation():
    cache = DistanceCache()
    full = cache.matrix(ARCHS[:6], ARCHS[:6], keep=True)
    grown = cache.matrix(ARCHS, ARCHS, keep=True)
    fresh = DistanceCache().matrix(ARCHS, ARCHS)
    assert np.allclose(grown, fresh)
    assert np.allclose(grown[:6, :6], full)
    assert np.allclose(grown, grown.T)
    assert np.allclose(np.diag(grown), 0)
