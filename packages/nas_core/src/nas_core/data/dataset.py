"""A loaded data set: three labelled splits as numpy arrays, and what they are."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from nas_core.specs import DatasetInfo, DataSpec

__all__ = ["Dataset"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train, validation and test examples: ``x_*`` float32 (N, C, H, W), ``y_*`` int64
    labels in ``0..classes - 1``. ``spec`` is the request it was loaded from, ``source``
    the file or folder it came from (``"sklearn:digits"`` for the bundled digits).
    Compared by identity, so that a trainer can key per-device copies by it."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    spec: DataSpec
    source: str

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one example."""
        c, h, w = self.x_train.shape[1:]
        return (int(c), int(h), int(w))

    @property
    def classes(self) -> int:
        """The number of classes (labels are ``0..classes - 1``)."""
        return len(self.class_names)

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the six split arrays (shapes and bytes, in a fixed order)."""
        h = hashlib.sha256()
        for a in (self.x_train, self.y_train, self.x_val, self.y_val, self.x_test, self.y_test):
            h.update(repr((a.dtype.str, a.shape)).encode())
            h.update(np.ascontiguousarray(a).data)
        return h.hexdigest()

    def info(self) -> DatasetInfo:
        """Sizes, input shape, class names and digest (recorded in "session created")."""
        return DatasetInfo(
            n_train=len(self.y_train),
            n_val=len(self.y_val),
            n_test=len(self.y_test),
            input_shape=self.input_shape,
            class_names=self.class_names,
            digest=self.digest,
        )
