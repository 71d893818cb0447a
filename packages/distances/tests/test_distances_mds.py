"""OutOfSampleMDS and align: exact data lands where it truly is; bad input is refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist, pdist, squareform

import distances._mds as impl
from distances import DistancesError, LayerGraph, OutOfSampleMDS, align, otmann_matrix

METHODS = ("classical", "smacof")


def points(n: int, dims: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dims)) * np.linspace(3.0, 1.0, dims)


def span(x: np.ndarray) -> float:
    return float(np.ptp(x, axis=0).max())


@pytest.mark.parametrize("method", METHODS)
def test_exact_data_new_points_land_where_they_truly_are(method):
    old, new = points(60, seed=1), points(8, seed=2)
    mds = OutOfSampleMDS(method=method).fit(cdist(old, old))
    layout = mds.embedding_.copy()
    placed = mds.transform(cdist(new, old))
    # The layout is the truth up to a rigid motion: undo it using the old points only.
    both = align(np.vstack([layout, placed]), old)
    assert np.abs(both[:60] - old).max() <= 1e-6 * span(old)
    assert np.abs(both[60:] - new).max() <= 0.01 * span(old)
    assert np.array_equal(mds.embedding_, layout)  # the fitted points did not move


@pytest.mark.parametrize("method", METHODS)
def test_a_fitted_points_own_row_places_it_on_itself(method):
    old = points(30, seed=3)
    D = cdist(old, old)
    mds = OutOfSampleMDS(method=method).fit(D)
    assert np.allclose(mds.transform(D[[4, 9]]), mds.embedding_[[4, 9]], atol=1e-6 * span(old))


def test_three_dimensions_and_more_components_than_points():
    old, new = points(40, dims=3, seed=4), points(5, dims=3, seed=5)
    mds = OutOfSampleMDS(n_components=3).fit(cdist(old, old))
    both = align(np.vstack([mds.embedding_, mds.transform(cdist(new, old))]), old)
    assert np.allclose(both[40:], new, atol=1e-9 * span(old))
    tiny = OutOfSampleMDS(n_components=4).fit(squareform(pdist(points(3, seed=6))))
    assert tiny.embedding_.shape == (3, 4)
    assert np.all(tiny.embedding_[:, 2:] == 0)
    assert np.all(np.isfinite(tiny.transform(np.ones((2, 3)))))


def test_one_point_fits_at_the_origin():
    mds = OutOfSampleMDS().fit([[0.0]])
    assert np.array_equal(mds.embedding_, np.zeros((1, 2)))
    assert mds.transform([[2.0]]).shape == (1, 2)


def test_lanczos_and_dense_eigensolvers_agree(monkeypatch):
    old = points(impl._LANCZOS_FROM + 10, seed=7)
    D = cdist(old, old)
    fast = OutOfSampleMDS().fit(D)
    monkeypatch.setattr(impl, "_LANCZOS_FROM", 10**9)
    dense = OutOfSampleMDS().fit(D)
    assert np.allclose(fast.embedding_, dense.embedding_, atol=1e-9 * span(old))
    assert np.allclose(fast.eigenvalues_, dense.eigenvalues_, rtol=1e-9)


def test_fits_are_deterministic_and_fit_transform_is_the_embedding():
    D = squareform(pdist(points(50, seed=8)))
    for method in METHODS:
        a = OutOfSampleMDS(method=method).fit(D).embedding_
        b = OutOfSampleMDS(method=method, random_state=3).fit_transform(D)
        assert np.array_equal(a, b)


def _otmann_distances() -> np.ndarray:
    data = Path(__file__).parent / "data" / "otmann_networks.json"
    nets = json.loads(data.read_text())[::6]
    graphs = [LayerGraph(n["labels"], n["units"], n["edges"]) for n in nets]
    return otmann_matrix(graphs, normalize=True)


def test_non_euclidean_distances_smacof_improves_on_classical_and_placement():
    D = _otmann_distances()
    fitted, new = D[:40, :40], D[40:, :40]
    classical = OutOfSampleMDS().fit(fitted)
    smacof = OutOfSampleMDS(method="smacof").fit(fitted)
    assert smacof.stress_ <= classical.stress_
    for mds in (classical, smacof):
        placed = mds.transform(new)
        assert placed.shape == (len(new), 2)
        assert np.all(np.isfinite(placed))
    # smacof places each point at (a local) minimum of its stress against the layout,
    # so it beats its own closed-form starting point.
    start = (new * new - smacof._offset) @ smacof._projection
    placed = smacof.transform(new)

    def stress(y):
        return ((new - cdist(y, smacof.embedding_)) ** 2).sum(axis=1)

    assert np.all(stress(placed) <= stress(start) + 1e-12)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(3, 40),  # two points leave a reflection undetermined
    st.floats(0.1, 10.0),
    st.floats(-np.pi, np.pi),
    st.booleans(),
    st.integers(0, 2**31),
)
def test_align_undoes_any_similarity(n, scale, angle, reflect, seed):
    old = points(n + 3, seed=seed)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    if reflect:
        rotation = rotation @ np.diag([1.0, -1.0])
    moved = scale * old @ rotation + np.array([5.0, -2.0])
    back = align(moved, old[:n])  # only the first n rows are known to `old`
    assert np.allclose(back, old, atol=1e-9 * span(old))


def test_align_of_one_point_only_translates():
    new = np.array([[1.0, 2.0], [3.0, 5.0]])
    assert np.allclose(align(new, [[0.0, 0.0]]), new - new[0])


def test_sklearn_parameter_protocol():
    from sklearn.base import clone

    mds = OutOfSampleMDS(n_components=3, method="smacof", random_state=1)
    assert clone(mds).get_params() == mds.get_params()
    assert mds.set_params(n_components=2).n_components == 2
    assert repr(mds) == "OutOfSampleMDS(n_components=2, method='smacof', random_state=1)"
    with pytest.raises(ValueError, match="no parameter 'metric'"):
        mds.set_params(metric=True)


GOOD = squareform(pdist(points(5, seed=9)))


def _with(value, i, j, symmetric=False):
    D = GOOD.copy()
    D[i, j] = value
    if symmetric:
        D[j, i] = value
    return D


@pytest.mark.parametrize(
    ("D", "message"),
    [
        (np.zeros((3, 4)), r"D must be a square distance matrix .* shape \(3, 4\)"),
        (np.zeros((0, 0)), "at least one point"),
        (np.zeros(4), r"D must be 2-D, got shape \(4,\)"),
        (_with(0.5, 1, 3), r"D must be symmetric: D\[1, 3\] = 0.5"),
        (_with(-1.0, 0, 2, symmetric=True), r"D must be non-negative: D\[0, 2\] = -1.0"),
        (_with(np.nan, 2, 4, symmetric=True), r"D must be finite: D\[2, 4\] = nan"),
        (_with(1.0, 3, 3), r"D must have a zero diagonal: D\[3, 3\] = 1.0"),
        ([["a"]], "D must be a 2-D array of numbers"),
    ],
)
def test_fit_refuses_bad_distance_matrices(D, message):
    with pytest.raises(ValueError, match=message) as caught:
        OutOfSampleMDS().fit(D)
    assert isinstance(caught.value, DistancesError)


def test_bad_parameters_and_transform_input():
    with pytest.raises(ValueError, match="method must be 'classical' or 'smacof'"):
        OutOfSampleMDS(method="isomap").fit(GOOD)
    with pytest.raises(ValueError, match="n_components must be a positive integer"):
        OutOfSampleMDS(n_components=0).fit(GOOD)
    with pytest.raises(ValueError, match="not fitted yet"):
        OutOfSampleMDS().transform(GOOD)
    mds = OutOfSampleMDS().fit(GOOD)
    with pytest.raises(ValueError, match=r"distances to the 5 fitted points, got shape \(1, 4\)"):
        mds.transform(np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"for one point pass D_new\[None, :\]"):
        mds.transform(np.ones(5))
    with pytest.raises(ValueError, match=r"D_new must be non-negative: D_new\[0, 1\]"):
        mds.transform([[1.0, -1.0, 1.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="new has 3 columns but old has 2"):
        align(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="new has 2 rows and old 4"):
        align(np.zeros((2, 2)), np.zeros((4, 2)))
