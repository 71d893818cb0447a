"""Seeded, stratified splits of a labelled set (pure numpy).

A split takes ``k`` of ``n`` examples so that every class contributes its share
(``k · n_c / n``, rounded by largest remainder, ties to the lower class index) and the
examples of a class are drawn by a seeded permutation. Both halves come back as sorted
index arrays, so the order of the data never depends on the seed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["class_quotas", "hold_out", "stratified_take", "stream"]


def stream(seed: int, stage: int) -> np.random.Generator:
    """An independent generator for one stage (test split, limit, validation split) of
    the split drawn with `seed`, so that changing one stage leaves the others alone."""
    return np.random.default_rng(np.random.SeedSequence([seed, stage]))


def class_quotas(counts: np.ndarray, k: int) -> np.ndarray:
    """How many of each class's ``counts`` to take for ``k`` in all (largest remainder)."""
    n = int(counts.sum())
    if not 0 <= k <= n:
        raise ValueError(f"cannot take {k} of {n} examples")
    if n == 0:
        return np.zeros_like(counts)
    exact = counts * (k / n)
    quotas = np.floor(exact).astype(np.int64)
    short = k - int(quotas.sum())
    # the classes with the largest remainders get one more; stable sort: lower index first
    order = np.argsort(-(exact - quotas), kind="stable")
    quotas[order[:short]] += 1
    return quotas


def stratified_take(
    labels: np.ndarray, k: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``(taken, rest)``: sorted indices of ``k`` examples drawn per class, and the others."""
    labels = np.asarray(labels)
    n = len(labels)
    _classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    quotas = class_quotas(counts, k)
    perm = rng.permutation(n)
    by_class = perm[np.argsort(inverse[perm], kind="stable")]  # each class in random order
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    mask = np.zeros(n, dtype=bool)
    for start, quota in zip(starts, quotas, strict=True):
        mask[by_class[start : start + quota]] = True
    return np.flatnonzero(mask), np.flatnonzero(~mask)


def hold_out(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(test, train)``: the seeded, stratified test split of a source that has none of
    its own (``fraction`` of the examples, drawn as the bundled digits' is)."""
    return stratified_take(labels, round(fraction * len(labels)), stream(seed, 0))
