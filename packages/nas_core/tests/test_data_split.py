"""Seeded, stratified splits: sizes, disjointness, shares per class, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.data.split import class_quotas, stratified_take, stream

label_lists = st.lists(st.integers(0, 6), min_size=1, max_size=300).map(np.array)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=12), st.data())
def test_quotas_add_up_and_stay_within_one_of_the_exact_share(counts, data) -> None:
    counts = np.array(counts)
    k = data.draw(st.integers(0, int(counts.sum())))
    quotas = class_quotas(counts, k)
    assert quotas.sum() == k
    assert (quotas >= 0).all()
    assert (quotas <= counts).all()
    if counts.sum():
        assert (np.abs(quotas - counts * k / counts.sum()) < 1).all()


def test_quotas_refuse_more_than_there_is() -> None:
    with pytest.raises(ValueError, match="cannot take 5 of 4"):
        class_quotas(np.array([2, 2]), 5)


@settings(max_examples=150, deadline=None)
@given(label_lists, st.data(), st.integers(0, 2**32))
def test_take_partitions_the_indices_by_class_share(labels, data, seed) -> None:
    k = data.draw(st.integers(0, len(labels)))
    taken, rest = stratified_take(labels, k, stream(seed, 2))
    assert len(taken) == k
    assert np.array_equal(np.sort(np.concatenate([taken, rest])), np.arange(len(labels)))
    assert (np.diff(taken) > 0).all()
    assert (np.diff(rest) > 0).all()
    for c in np.unique(labels):
        n_c = int((labels == c).sum())
        assert abs(int((labels[taken] == c).sum()) - n_c * k / len(labels)) < 1


@settings(max_examples=50, deadline=None)
@given(label_lists, st.integers(0, 2**32))
def test_take_is_a_function_of_the_seed(labels, seed) -> None:
    k = len(labels) // 3
    a = stratified_take(labels, k, stream(seed, 1))
    b = stratified_take(labels, k, stream(seed, 1))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_different_seeds_and_stages_draw_differently() -> None:
    labels = np.repeat(np.arange(5), 40)
    draws = {tuple(stratified_take(labels, 50, stream(s, t))[0]) for s in (0, 1) for t in (1, 2)}
    assert len(draws) == 4
