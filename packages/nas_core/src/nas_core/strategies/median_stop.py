"""The median stopping rule (Golovin et al., "Google Vizier", KDD 2017), for any
training: stop a training at an epoch when its best validation accuracy so far is
below the median of the other trainings' running averages at that epoch."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

__all__ = ["median_stop"]


def median_stop(
    curves: Sequence[Sequence[float]], curve: Sequence[float], epoch: int, min_models: int = 5
) -> bool:
    """Whether to stop the training of `curve` after `epoch` epochs (from 1). `curves`
    are the other trainings' validation accuracies per epoch; only those that reached
    `epoch` count, and with fewer than `min_models` of them it never stops."""
    if epoch < 1 or len(curve) < epoch:
        return False
    averages = [sum(c[:epoch]) / epoch for c in curves if len(c) >= epoch]
    if len(averages) < min_models:
        return False
    return max(curve[:epoch]) < statistics.median(averages)
