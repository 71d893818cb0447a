"""The study's measures of what a search found (issue 21), pure: the Pareto front of
(accuracy, −log₁₀ params), its hypervolume against a fixed reference point, and the
smallest model that reaches a given accuracy.

Both objectives are maximised: a point is ``(accuracy, size)`` with ``size =
−log₁₀(params)``. The hypervolume is the area of the region that some point of the
set dominates and that dominates the reference point ``(acc_ref, size_ref)``, in
accuracy × decades of parameters: a model of 100 parameters and accuracy 0.9 against
the reference (0, 10⁶ parameters) alone covers 0.9 × 4 = 3.6."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

__all__ = ["hypervolume", "pareto_front", "size_of", "smallest_reaching"]


def size_of(params: int) -> float:
    """The size objective of a model of `params` parameters: −log₁₀ params."""
    return -math.log10(max(1, params))


def pareto_front(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points no other point dominates (≥ in both objectives, > in one), one of
    each, in increasing accuracy (so decreasing size)."""
    front: list[tuple[float, float]] = []
    best_size = -math.inf
    for acc, size in sorted(set(points), key=lambda p: (-p[0], -p[1])):
        if size > best_size:  # the most accurate point of at least this size
            front.append((acc, size))
            best_size = size
    return front[::-1]


def hypervolume(points: Iterable[tuple[float, float]], ref: tuple[float, float]) -> float:
    """The area that `points` dominate above the reference point `ref` (points that do
    not beat it in both objectives add nothing)."""
    acc_ref, size_ref = ref
    kept = [(a, s) for a, s in points if a > acc_ref and s > size_ref]
    area, prev_acc = 0.0, acc_ref
    # the front by increasing accuracy: between the previous accuracy and this one,
    # this point is the most compact one at least as accurate (a staircase)
    for acc, size in pareto_front(kept):
        area += (acc - prev_acc) * (size - size_ref)
        prev_acc = acc
    return area


def smallest_reaching(models: Sequence[tuple[float, int]], threshold: float) -> int | None:
    """The fewest parameters among `models` ``(accuracy, params)`` whose accuracy is at
    least `threshold`; None when none reaches it."""
    sizes = [p for a, p in models if a >= threshold]
    return min(sizes) if sizes else None
