"""`load_dataset`: read a data set, cap its training examples, split off validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nas_core.specs import DataSpec

from .dataset import Dataset
from .errors import DataError
from .paths import resolve_path
from .raw import Raw, read_cifar10, read_digits, read_npz
from .split import stratified_take, stream

__all__ = ["load_dataset"]


def _read(spec: DataSpec, root: Path | None) -> tuple[Raw, str]:
    if spec.kind == "digits":
        if spec.path:
            raise DataError(f"the bundled digits take no path, but DataSpec.path is {spec.path!r}")
        return read_digits(spec.test_fraction, spec.split_seed), "sklearn:digits"
    path = resolve_path(spec.path, spec.kind, root)
    if spec.kind == "npz":
        return read_npz(path), str(path)
    if spec.kind == "cifar10":
        return read_cifar10(path), str(path)
    raise DataError(f"unknown data set kind {spec.kind!r}: use digits, npz or cifar10")


def load_dataset(spec: DataSpec, *, root: Path | None = None) -> Dataset:
    """Load the data set `spec` names and split it.

    The training examples of the source (for ``digits``: what its seeded, stratified
    ``test_fraction`` split leaves) are first capped at ``spec.limit`` (a stratified
    sample), then ``spec.val_fraction`` of them become the validation set (stratified,
    at least one example on each side); the test set is the source's, never sampled.
    Every draw uses ``spec.split_seed``, so the same spec gives the same split anywhere.
    A relative ``spec.path`` is taken inside `root` (when given) and may not leave it.

    Raises `DataError` naming the file and what is wrong with it.
    """
    raw, source = _read(spec, root)
    x, y = raw.x_train, raw.y_train
    if spec.limit is not None and spec.limit < len(y):
        keep, _ = stratified_take(y, spec.limit, stream(spec.split_seed, 1))
        x, y = x[keep], y[keep]
    if len(y) < 2:
        raise DataError(
            f"{len(y)} training example(s) cannot be split into training and validation",
            path=None if spec.kind == "digits" else source,
        )
    n_val = min(max(round(spec.val_fraction * len(y)), 1), len(y) - 1)
    val, train = stratified_take(y, n_val, stream(spec.split_seed, 2))
    return Dataset(
        x_train=np.ascontiguousarray(x[train]),
        y_train=y[train],
        x_val=np.ascontiguousarray(x[val]),
        y_val=y[val],
        x_test=raw.x_test,
        y_test=raw.y_test,
        class_names=raw.class_names,
        spec=spec,
        source=source,
    )
