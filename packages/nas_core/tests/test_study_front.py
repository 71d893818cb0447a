"""The study's measures (issue 21): the Pareto front of (accuracy, −log₁₀ params), its
hypervolume (checked against an independent grid count of the union of the points'
boxes), the smallest model reaching a threshold, and the table's aggregation."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from nas_core.study import (
    Found,
    aggregate,
    hypervolume,
    mean_sd,
    pareto_front,
    size_of,
    smallest_reaching,
)

REF = (0.0, -6.0)
# accuracies and sizes on a grid of 1/20 and 1/4 decade, so the brute-force count is exact
acc = st.integers(0, 20).map(lambda k: k / 20)
size = st.integers(-24, 0).map(lambda k: k / 4)
points = st.lists(st.tuples(acc, size), max_size=12)


def grid_volume(pts, ref) -> float:
    """The area of the union of the boxes [ref, p], by counting grid cells."""
    cells = 0
    for i in range(20):  # accuracy cells [i/20, (i+1)/20]
        for j in range(24):  # size cells [-6 + j/4, -6 + (j+1)/4]
            a, s = (i + 0.5) / 20, -6 + (j + 0.5) / 4
            if a > ref[0] and s > ref[1] and any(pa >= a and ps >= s for pa, ps in pts):
                cells += 1
    return cells * (1 / 20) * (1 / 4)


@given(points)
def test_the_hypervolume_is_the_area_of_the_union_of_boxes(pts) -> None:
    assert math.isclose(hypervolume(pts, REF), grid_volume(pts, REF), abs_tol=1e-9)


@given(points, st.tuples(acc, size))
def test_a_point_more_never_lowers_the_hypervolume(pts, extra) -> None:
    assert hypervolume([*pts, extra], REF) >= hypervolume(pts, REF) - 1e-12


@given(points)
def test_only_the_front_counts_and_order_does_not(pts) -> None:
    front = pareto_front(pts)
    assert math.isclose(hypervolume(front, REF), hypervolume(pts, REF), abs_tol=1e-12)
    assert math.isclose(hypervolume(pts[::-1], REF), hypervolume(pts, REF), abs_tol=1e-12)


@given(points)
def test_the_front_is_mutually_non_dominated_and_covers_every_point(pts) -> None:
    front = pareto_front(pts)
    for p in front:
        assert not any(q != p and q[0] >= p[0] and q[1] >= p[1] for q in pts)
    for p in pts:
        assert any(f[0] >= p[0] and f[1] >= p[1] for f in front)
    assert [f[0] for f in front] == sorted(f[0] for f in front)


def test_one_point_covers_its_box_and_points_below_the_reference_nothing() -> None:
    assert math.isclose(hypervolume([(0.9, size_of(100))], REF), 0.9 * 4)
    assert hypervolume([(0.9, -7.0), (-0.1, -1.0)], REF) == 0.0
    assert hypervolume([], REF) == 0.0


def test_the_smallest_model_reaching_a_threshold() -> None:
    models = [(0.95, 50_000), (0.91, 4_000), (0.80, 300)]
    assert smallest_reaching(models, 0.9) == 4_000
    assert smallest_reaching(models, 0.96) is None


def test_mean_and_sample_sd() -> None:
    assert mean_sd([1.0, 3.0]) == (2.0, math.sqrt(2.0))
    assert mean_sd([5.0]) == (5.0, 0.0)


def test_aggregate_scores_each_policy_against_the_tasks_best() -> None:
    found = {
        ("t", "a", 0, 10): Found(((0.5, 1000),), 10, 1),
        ("t", "a", 1, 10): Found(((1.0, 10_000),), 10, 1),
        ("t", "b", 0, 10): Found(((0.95, 100),), 10, 1),
        ("t", "b", 1, 10): Found((), 10, 1),
    }
    rows = {r.policy: r for r in aggregate(found, ["a", "b"])}
    assert rows["a"].threshold == 0.9  # 90 % of the best accuracy any run reached
    assert math.isclose(rows["a"].hv_mean, (0.5 * 3 + 1.0 * 2) / 2)
    assert rows["a"].reached == 1
    assert rows["a"].smallest_log10_mean == 4.0
    assert rows["b"].reached == 1
    assert rows["b"].smallest_log10_mean == 2.0
    assert rows["b"].best_mean == 0.475
    assert rows["b"].n == 2
