"""Test-set summaries from labels and predictions (pure numpy)."""

from __future__ import annotations

import numpy as np

__all__ = ["confusion_matrix", "per_class_accuracy"]


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    """``m[t, p]``: how many examples of class t were predicted as p."""
    flat = np.bincount(y_true * classes + y_pred, minlength=classes * classes)
    return flat.reshape(classes, classes)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """The recall of each class (0.0 for a class with no test examples)."""
    totals = confusion.sum(axis=1)
    hits = np.diag(confusion).astype(np.float64)
    return np.divide(hits, totals, out=np.zeros_like(hits), where=totals > 0)
