"""The study's table (issue 21), pure: per task, budget and policy, the hypervolume of
each run's front (mean ± sd over seeds), the smallest model reaching 90 % of the best
accuracy any run reached on that task, and the best accuracy."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

import msgspec

from .front import hypervolume, size_of, smallest_reaching
from .measure import Found

__all__ = ["REACH", "REF", "Row", "RunKey", "aggregate", "mean_sd"]

REF = (0.0, size_of(1_000_000))
"""The hypervolume's reference point: accuracy 0 and 10⁶ parameters (REMAP's cap)."""
REACH = 0.9
"""The smallest model measured reaches this fraction of the task's best accuracy."""

RunKey = tuple[str, str, int, int]
"""(task, policy, seed, budget)."""


class Row(msgspec.Struct, frozen=True):
    """One line of the table: `n` runs (seeds) of `policy` on `task` within `budget`.
    `smallest_log10`: mean and sd of log₁₀ params of each run's smallest model reaching
    `threshold` (over the `reached` runs that have one; None when none does)."""

    task: str
    budget: int
    policy: str
    n: int
    hv_mean: float
    hv_sd: float
    best_mean: float
    best_sd: float
    threshold: float
    reached: int
    smallest_log10_mean: float | None
    smallest_log10_sd: float | None
    models_mean: float


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """The mean and the sample standard deviation (0 for a single value)."""
    if not values:
        return math.nan, math.nan
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) if len(values) > 1 else 0.0)


def aggregate(found: Mapping[RunKey, Found], policies: Sequence[str]) -> list[Row]:
    """The rows, by task (in the order first seen), budget, then `policies`' order."""
    tasks = list(dict.fromkeys(k[0] for k in found))
    rows: list[Row] = []
    for task in tasks:
        best = max((a for k, f in found.items() if k[0] == task for a, _ in f.models),
                   default=0.0)  # fmt: skip
        threshold = REACH * best
        budgets = sorted({k[3] for k in found if k[0] == task})
        for budget in budgets:
            for policy in policies:
                runs = [f for k, f in sorted(found.items())
                        if k[0] == task and k[1] == policy and k[3] == budget]  # fmt: skip
                if not runs:
                    continue
                hv = [hypervolume([(a, size_of(p)) for a, p in f.models], REF) for f in runs]
                bests = [max((a for a, _ in f.models), default=0.0) for f in runs]
                small = [smallest_reaching(f.models, threshold) for f in runs]
                logs = [math.log10(s) for s in small if s is not None]
                hv_m, hv_s = mean_sd(hv)
                b_m, b_s = mean_sd(bests)
                s_m, s_s = mean_sd(logs) if logs else (None, None)
                rows.append(Row(
                    task, budget, policy, len(runs), hv_m, hv_s, b_m, b_s, threshold,
                    len(logs), s_m, s_s, statistics.fmean(len(f.models) for f in runs),
                ))  # fmt: skip
    return rows
