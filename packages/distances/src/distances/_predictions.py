"""Prediction distance: the fraction of test examples on which two models disagree.

Two exact ways to count, picked by size:

- a few rows on one side: compare each with every row of the other side, a block of
  rows at a time (the boolean block stays in cache);
- otherwise, per block of test examples, against a reference label r per example (the
  commonest among a sample of models; any label would give the same counts), two
  models differ on example t exactly when one of them deviates from r, less the
  examples where both deviate, less those where both deviate to the same label:

      differ(a, b) = n_a + n_b - #{t: both deviate} - #{t: both deviate to the same label}

  where n_a counts a's deviations. The two correlations are products of 0/1 matrices
  with one column per example ("deviates") and one per (example, label other than r).
  A column only one side uses (for b=None: only one model) adds nothing and is dropped;
  a column few models share is counted by listing its pairs of models; the rest go
  through one float32 matrix product per block (exact: whole numbers below 2**24).
  Trained models agree on most examples, so few columns remain.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._errors import DistancesError

__all__ = ["prediction_matrix"]

_DIRECT_MAX_ROWS = 96  # at most this many rows on one side: compare rows directly
_DIRECT_BLOCK_ROWS = 64  # rows of the other side compared at once
_NARROW_FROM_ROWS = 4  # comparing this many rows: first narrow wide labels to 1-2 bytes
_PRODUCT_BUDGET = 64 << 20  # bytes for the two 0/1 matrices of one block of examples
_MAX_DENSE_LABELS = 4096  # wider label ranges are renumbered with np.unique first
_MAX_KEYS = 1 << 22  # (example, label) keys in one block: bounds the label counts
_LIGHT_SHARE = 4096  # a column with at most n*k/4096 pairs of models: count its pairs
_PAIR_BATCH = 1 << 22  # pairs of models listed at once
_REFERENCE_SAMPLE = 128  # models per side that vote for each example's reference label


def prediction_matrix(preds_a: Any, preds_b: Any = None) -> np.ndarray:
    """The fraction of test examples on which each model of `a` and each of `b` differ.

    `preds_a` is an integer array of predicted class labels, one row per model and one
    column per test example, shape (n, m); `preds_b` likewise (k, m), on the same test
    set. Returns a float64 array (n, k) with entries in [0, 1]: the Hamming distance of
    the two label sequences divided by m. ``preds_b=None`` means ``preds_b=preds_a``:
    a symmetric matrix with a zero diagonal.

    Any integer (or bool) dtype works; labels need not start at 0. Compact dtypes
    (uint8, int16) read fastest, and arrays are not copied. Memory stays bounded
    (a block of test examples at a time) whatever n, k and m are.

    Raises `DistancesError` (a `ValueError`) if an input is not a 2-D integer array
    with at least one test example, or if the two have different numbers of test
    examples.
    """
    a = _labels(preds_a, "preds_a")
    if preds_b is None:
        b, symmetric = a, True
    else:
        b, symmetric = _labels(preds_b, "preds_b"), False
        if b.shape[1] != a.shape[1]:
            raise DistancesError(
                f"preds_a has {a.shape[1]} test examples per model but preds_b has "
                f"{b.shape[1]}: both must be predictions on the same test set"
            )
    n, k, m = a.shape[0], b.shape[0], a.shape[1]
    if n == 0 or k == 0:
        return np.zeros((n, k))
    if min(n, k) <= _DIRECT_MAX_ROWS:
        differ = _direct(a, b) if n <= k else _direct(b, a).T
    else:
        differ = _products(a, None if symmetric else b)
    out = differ / float(m)
    if symmetric:
        np.fill_diagonal(out, 0.0)
    return out


def _labels(preds: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(preds)
    except ValueError as exc:  # ragged nested lists
        raise DistancesError(
            f"{name} must be a 2-D array (models × test examples) with the same number "
            f"of predictions per model: {exc}"
        ) from None
    if arr.dtype == np.bool_:
        arr = arr.view(np.uint8)
    if not np.issubdtype(arr.dtype, np.integer):
        raise DistancesError(
            f"{name} must hold integer class labels, got dtype {arr.dtype} "
            "(take argmax over class scores first)"
        )
    if arr.ndim != 2:
        hint = "; for one model pass preds[None, :]" if arr.ndim == 1 else ""
        raise DistancesError(
            f"{name} must be 2-D (models × test examples), got shape {arr.shape}{hint}"
        )
    if arr.shape[1] == 0:
        raise DistancesError(f"{name} has no test examples (shape {arr.shape})")
    return arr


def _direct(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Differences of the few rows of `a` with every row of `b`, a block of `b` at a time."""
    if len(a) >= _NARROW_FROM_ROWS and b.dtype.itemsize > 2:
        b = _narrowed(b)  # one pass over b; then each row compares 2-byte labels
    a = _as_dtype_if_fits(a, b.dtype)
    m = b.shape[1]
    out = np.empty((a.shape[0], b.shape[0]), dtype=np.int64)
    rows = min(_DIRECT_BLOCK_ROWS, b.shape[0])
    mask = np.empty((rows, m), dtype=bool)
    total = np.uint16 if m < 2**16 else np.int64
    for start in range(0, b.shape[0], rows):
        block = b[start : start + rows]
        used = mask[: len(block)]
        for i, row in enumerate(a):
            np.not_equal(block, row, out=used)
            out[i, start : start + len(block)] = np.add.reduce(
                used.view(np.uint8), axis=1, dtype=total
            )
    return out


def _narrowed(b: np.ndarray) -> np.ndarray:
    """`b` as uint8 or int16 when its labels fit, else unchanged."""
    lo, hi = int(b.min()), int(b.max())
    for dtype in (np.uint8, np.int16):
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return b.astype(dtype)
    return b


def _as_dtype_if_fits(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """`a` in `dtype` when its labels fit (comparisons then need no casting)."""
    if a.dtype == dtype:
        return a
    info = np.iinfo(dtype)
    if info.min <= a.min() and a.max() <= info.max:
        return a.astype(dtype)
    return a


class _Keys:
    """Each prediction of a block of examples as one key: example-in-block × L + label.

    Labels are renumbered 0..L-1: shifted by the smallest when they span fewer than
    `_MAX_DENSE_LABELS` values (no copy of the inputs), else through np.unique.
    """

    def __init__(self, sides: list[np.ndarray]) -> None:
        lo = min(int(s.min()) for s in sides)
        hi = max(int(s.max()) for s in sides)
        if hi - lo < _MAX_DENSE_LABELS:
            self.labels, self.lo, self.sides = hi - lo + 1, lo, sides
            return
        merged = np.concatenate([s.ravel() for s in sides])
        uniq, inverse = np.unique(merged, return_inverse=True)
        inverse = inverse.astype(np.int32)
        bounds = np.cumsum([0] + [s.size for s in sides])
        self.sides = [
            inverse[i:j].reshape(s.shape)
            for s, i, j in zip(sides, bounds[:-1], bounds[1:], strict=True)
        ]
        self.labels, self.lo = len(uniq), 0

    def __call__(self, side: int, start: int, stop: int) -> np.ndarray:
        """(models, stop - start) int32 keys; key // L is the example, key % L the label."""
        block = self.sides[side][:, start:stop]
        offsets = np.arange(0, (stop - start) * self.labels, self.labels, dtype=np.int64)
        offsets -= self.lo
        wide = np.int32 if np.can_cast(block.dtype, np.int32) else np.int64
        if wide is np.int32 and abs(self.lo) < 2**30:
            return np.add(block, offsets.astype(np.int32), dtype=np.int32)
        return np.add(block, offsets, dtype=np.int64).astype(np.int32)


def _products(a: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """Differences of every row of `a` with every row of `b` (b=None: of `a`).

    Per block of examples: the columns that many models share go through one float32
    matrix product; those that few share (where a product would mostly multiply zeros)
    are counted by listing their pairs of models.
    """
    n, m = a.shape
    k = n if b is None else b.shape[0]
    keys = _Keys([a] if b is None else [a, b])
    per_example = min(keys.labels, n + k)  # columns one example can need, at most
    sides = n if b is None else n + k  # rows of the 0/1 matrices
    step = _PRODUCT_BUDGET // (4 * sides * per_example)
    step = max(1, min(m, step, _MAX_KEYS // keys.labels))
    # Each entry counts at most two columns per example; whole numbers below 2**24 add
    # up exactly in float32.
    dense = np.zeros((n, k), dtype=np.float32 if 2 * m < 2**24 else np.float64)
    product = np.empty_like(dense)
    pairs = _PairCounter(n, k)
    deviations_a = np.zeros(n, dtype=np.int64)
    deviations_b = deviations_a if b is None else np.zeros(k, dtype=np.int64)
    few_pairs = max(1, (n * k) // _LIGHT_SHARE)
    buffers = [np.empty(n * step * per_example, np.float32)]
    if b is not None:
        buffers.append(np.empty(k * step * per_example, np.float32))
    for start in range(0, m, step):
        stop = min(m, start + step)
        flat_a = keys(0, start, stop)
        flat_b = None if b is None else keys(1, start, stop)
        reference = _reference(flat_a, flat_b, keys.labels)
        side_a = _Deviations(flat_a, reference, keys.labels)
        side_b = side_a if flat_b is None else _Deviations(flat_b, reference, keys.labels)
        deviations_a += side_a.per_model
        if b is not None:
            deviations_b += side_b.per_model
        code = _column_codes(side_a, side_b, symmetric=b is None, few_pairs=few_pairs)
        w_a, few_a = side_a.split(code, buffers[0])
        if b is None:
            np.matmul(w_a, w_a.T, out=product, dtype=product.dtype)
            pairs.within(*few_a)
        else:
            w_b, few_b = side_b.split(code, buffers[1])
            np.matmul(w_a, w_b.T, out=product, dtype=product.dtype)
            pairs.across(few_a, few_b)
        dense += product
    differ = dense.astype(np.float64)
    differ += pairs.total()
    np.subtract(deviations_a[:, None], differ, out=differ)
    differ += deviations_b[None, :]
    return differ


def _reference(flat_a: np.ndarray, flat_b: np.ndarray | None, labels: int) -> np.ndarray:
    """Each example's reference label, as a key: the commonest among a sample of models.

    Any label gives exact counts; a common one leaves few deviations to count.
    """
    sample = flat_a[:_REFERENCE_SAMPLE].ravel()
    if flat_b is not None:
        sample = np.concatenate([sample, flat_b[:_REFERENCE_SAMPLE].ravel()])
    width = flat_a.shape[1]
    counts = np.bincount(sample, minlength=width * labels).reshape(width, labels)
    reference = counts.argmax(axis=1).astype(np.int32)
    reference += np.arange(0, width * labels, labels, dtype=np.int32)
    return reference


class _Deviations:
    """Where the models of one side deviate from the reference, on one block of examples.

    Each deviation puts a one in two columns: its label's (numbered by its key) and its
    example's "deviates" column (numbered after all keys).
    """

    def __init__(self, flat: np.ndarray, reference: np.ndarray, labels: int) -> None:
        n_models, width = flat.shape
        where = np.flatnonzero(flat != reference)  # much faster than a 2-D np.nonzero
        self.keys = flat.ravel().take(where)
        self.rows = where // width
        examples = where - self.rows * width
        self.per_model = np.bincount(self.rows, minlength=n_models)
        self.per_column = np.concatenate(
            [
                np.bincount(self.keys, minlength=width * labels),
                np.bincount(examples, minlength=width),
            ]
        )
        self.n_models = n_models
        self.dev_columns = examples + width * labels

    def split(
        self, code: np.ndarray, buffer: np.ndarray
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """The 0/1 float32 matrix of the columns coded >= 0 (models × those columns, in
        `buffer`), and the (rows, columns) of the ones in the columns coded `_FEW`."""
        width = int(code.max(initial=-1)) + 1
        w = buffer[: self.n_models * width].reshape(self.n_models, width)
        w.fill(0.0)
        flat_w = w.reshape(-1)
        few_rows, few_columns = [], []
        for columns in (self.keys, self.dev_columns):
            codes = code[columns]
            many = codes >= 0
            flat_w[self.rows[many] * width + codes[many]] = 1.0
            few = codes == _FEW
            few_rows.append(self.rows[few])
            few_columns.append(columns[few])
        return w, (np.concatenate(few_rows), np.concatenate(few_columns).astype(np.int64))


_FEW = -2  # column code: count its pairs of models one by one


def _column_codes(
    side_a: _Deviations, side_b: _Deviations, *, symmetric: bool, few_pairs: int
) -> np.ndarray:
    """Per column: its index in the matrix product, `_FEW`, or -1 (adds nothing)."""
    if symmetric:
        kept = side_a.per_column >= 2  # a column of one model adds nothing off the diagonal
        pairs = side_a.per_column.astype(np.int64) ** 2
    else:
        kept = (side_a.per_column >= 1) & (side_b.per_column >= 1)
        pairs = side_a.per_column.astype(np.int64) * side_b.per_column
    few = kept & (pairs <= few_pairs)
    many = kept & ~few
    code = np.full(len(kept), -1, dtype=np.int64)
    code[many] = np.arange(int(many.sum()))
    code[few] = _FEW
    return code


class _PairCounter:
    """Counts, for every pair (i of a, j of b), the columns they share, from lists of ones."""

    def __init__(self, n: int, k: int) -> None:
        self.n, self.k = n, k
        self.counts = np.zeros(n * k, dtype=np.int64)
        self.pending: list[np.ndarray] = []
        self.pending_size = 0

    def within(self, rows: np.ndarray, columns: np.ndarray) -> None:
        """Pairs of ones (both orders, and each with itself) in the same column of `a`."""
        if not len(rows):
            return
        order = np.argsort(_sortable(columns), kind="stable")
        rows, columns = rows[order], columns[order]
        starts = np.flatnonzero(np.diff(columns, prepend=columns[0] - 1))
        lengths = np.diff(starts, append=len(columns))
        run = np.repeat(np.arange(len(starts)), lengths)
        self._expand(rows, starts[run], lengths[run], rows)

    def across(
        self, ones_a: tuple[np.ndarray, np.ndarray], ones_b: tuple[np.ndarray, np.ndarray]
    ) -> None:
        """Pairs of a one of `a` and a one of `b` in the same column."""
        rows_a, columns_a = ones_a
        rows_b, columns_b = ones_b
        if not len(rows_a) or not len(rows_b):
            return
        order = np.argsort(_sortable(columns_b), kind="stable")
        rows_b, columns_b = rows_b[order], columns_b[order]
        starts = np.flatnonzero(np.diff(columns_b, prepend=columns_b[0] - 1))
        lengths = np.diff(starts, append=len(columns_b))
        where = np.searchsorted(columns_b[starts], columns_a)  # every column is in both
        self._expand(rows_a, starts[where], lengths[where], rows_b)

    def _expand(
        self, rows_a: np.ndarray, first: np.ndarray, size: np.ndarray, rows_b: np.ndarray
    ) -> None:
        """Pair each rows_a[e] with rows_b[first[e] : first[e] + size[e]]."""
        ends = np.cumsum(size)
        done, lo = 0, 0
        while lo < len(rows_a):  # a batch of pairs at a time: memory stays bounded
            hi = int(np.searchsorted(ends, done + _PAIR_BATCH, side="right"))
            hi = max(hi, lo + 1)
            count = size[lo:hi]
            batch = int(ends[hi - 1]) - done
            pair = np.repeat(rows_a[lo:hi].astype(np.int64) * self.k, count)
            at = np.arange(done, done + batch) + np.repeat(
                first[lo:hi] - (ends[lo:hi] - count), count
            )
            pair += rows_b[at]
            self.pending.append(pair)
            self.pending_size += batch
            if self.pending_size >= _PAIR_BATCH:
                self._flush()
            done, lo = done + batch, hi

    def _flush(self) -> None:
        if self.pending:
            pairs = np.concatenate(self.pending)
            self.counts += np.bincount(pairs, minlength=len(self.counts))
            self.pending, self.pending_size = [], 0

    def total(self) -> np.ndarray:
        self._flush()
        return self.counts.reshape(self.n, self.k)


def _sortable(columns: np.ndarray) -> np.ndarray:
    """Column numbers in the narrowest type (numpy radix-sorts 16-bit integers)."""
    if len(columns) and int(columns.max()) < 2**16:
        return columns.astype(np.uint16)
    return columns
