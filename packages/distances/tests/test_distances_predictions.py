"""prediction_matrix against a plain loop, on every path it takes, and its errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import distances._predictions as impl
from distances import DistancesError, prediction_matrix


def loop(a, b=None) -> np.ndarray:
    """The definition, one pair and one example at a time."""
    b = a if b is None else b
    out = np.zeros((len(a), len(b)))
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i, j] = sum(int(u) != int(v) for u, v in zip(x, y, strict=True)) / len(x)
    return out


def trained_like(n: int, m: int, classes: int = 10, seed: int = 0) -> np.ndarray:
    """Predictions of models that mostly agree, and err on hard examples among a few
    confusable labels."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, classes, m)
    confusable = (truth[:, None] + rng.integers(1, classes, (m, 2))) % classes
    hard = rng.gamma(0.4, 1.0, m)
    skill = rng.uniform(0.6, 0.98, n)
    wrong = rng.random((n, m)) < np.clip((1 - skill)[:, None] * hard / hard.mean(), 0, 1)
    pick = rng.integers(0, 2, (n, m))
    return np.where(wrong, confusable[np.arange(m), pick], truth)


@pytest.fixture
def small_blocks(monkeypatch):
    """Force the product path on small inputs, with several blocks of examples, few
    columns counted pair by pair and small batches of pairs."""
    monkeypatch.setattr(impl, "_DIRECT_MAX_ROWS", 0)
    monkeypatch.setattr(impl, "_PRODUCT_BUDGET", 40_000)
    monkeypatch.setattr(impl, "_LIGHT_SHARE", 8)
    monkeypatch.setattr(impl, "_PAIR_BATCH", 50)
    monkeypatch.setattr(impl, "_REFERENCE_SAMPLE", 3)


def test_direct_path_matches_the_loop():
    a = trained_like(5, 40, seed=1)
    b = trained_like(30, 40, seed=2)
    assert np.array_equal(prediction_matrix(a, b), loop(a, b))
    assert np.array_equal(prediction_matrix(b, a), loop(b, a))  # few rows on the b side
    assert np.array_equal(prediction_matrix(a), loop(a))


@pytest.mark.usefixtures("small_blocks")
def test_product_path_matches_the_loop():
    a = trained_like(40, 90, seed=3)
    b = trained_like(25, 90, seed=4)
    assert np.array_equal(prediction_matrix(a), loop(a))
    assert np.array_equal(prediction_matrix(a, b), loop(a, b))
    uniform = np.random.default_rng(5).integers(-3, 4, (30, 50))
    assert np.array_equal(prediction_matrix(uniform), loop(uniform))


def test_product_path_at_default_settings_matches_scipy():
    from scipy.spatial.distance import cdist, pdist, squareform

    a = trained_like(300, 500, seed=6).astype(np.uint8)
    b = trained_like(150, 500, seed=7).astype(np.int16)
    assert np.array_equal(prediction_matrix(a), squareform(pdist(a, "hamming")))
    assert np.array_equal(prediction_matrix(a, b), cdist(a, b, "hamming"))


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.int64, st.tuples(st.integers(0, 7), st.integers(1, 12)), elements=st.integers(-2, 3)
    ),
    st.integers(0, 6),
    st.booleans(),
    st.integers(0, 2**31),
)
def test_both_paths_match_the_loop_on_random_labels(a, k, symmetric, seed):
    b = None if symmetric else np.random.default_rng(seed).integers(-2, 4, (k, a.shape[1]))
    want = loop(a, b)
    assert np.array_equal(prediction_matrix(a, b), want)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(impl, "_DIRECT_MAX_ROWS", 0)
        patch.setattr(impl, "_PRODUCT_BUDGET", 2_000)
        patch.setattr(impl, "_LIGHT_SHARE", seed % 5 + 1)
        patch.setattr(impl, "_PAIR_BATCH", 7)
        assert np.array_equal(prediction_matrix(a, b), want)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.uint16, np.int32, np.uint64])
def test_any_integer_dtype(dtype):
    a = trained_like(120, 60, seed=8).astype(dtype)
    want = loop(a)
    assert np.array_equal(prediction_matrix(a), want)
    assert np.array_equal(prediction_matrix(a[:3], a), want[:3])


def test_labels_far_apart_negative_or_bool():
    a = trained_like(110, 30, seed=9).astype(np.int64) * 10**12 - 5
    assert np.array_equal(prediction_matrix(a), loop(a))
    flags = np.random.default_rng(10).random((100, 30)) < 0.3
    assert np.array_equal(prediction_matrix(flags), loop(flags))
    assert np.array_equal(prediction_matrix(flags[:2].tolist(), flags), loop(flags[:2], flags))


def test_symmetric_with_zero_diagonal_and_fractions():
    a = trained_like(130, 77, seed=11)
    d = prediction_matrix(a)
    assert np.array_equal(d, d.T)
    assert np.all(np.diag(d) == 0)
    assert np.all((d >= 0) & (d <= 1))
    assert np.allclose(d * 77, np.round(d * 77))


def test_no_models_gives_an_empty_matrix():
    assert prediction_matrix(np.zeros((0, 5), int), np.zeros((3, 5), int)).shape == (0, 3)
    assert prediction_matrix(np.zeros((0, 5), int)).shape == (0, 0)


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        (np.zeros((2, 5), int), np.zeros((2, 6), int),
         "preds_a has 5 test examples per model but preds_b has 6"),
        (np.zeros((2, 5)), None, "preds_a must hold integer class labels, got dtype float64"),
        (np.zeros((2, 5), int), np.zeros((2, 5), np.float32),
         "preds_b must hold integer class labels"),
        (np.zeros(5, int), None, r"preds_a must be 2-D .* got shape \(5,\); for one model"),
        (np.zeros((2, 2, 2), int), None, r"preds_a must be 2-D"),
        (np.zeros((2, 0), int), None, "preds_a has no test examples"),
        ([[1, 2], [3]], None, "same number of predictions per model"),
    ],
)  # fmt: skip
def test_bad_input_raises_clear_errors(a, b, message):
    with pytest.raises(ValueError, match=message) as caught:
        prediction_matrix(a, b)
    assert isinstance(caught.value, DistancesError)
