"""The rank check: do one-shot scores order architectures as training them alone does?

Kendall τ-b (ties handled) between one-shot validation accuracy and stand-alone
accuracy, with a 95% percentile-bootstrap interval over the architectures (seeded),
Spearman's ρ, the stand-alone rank of one-shot's top-1, its regret, and the noise
ceiling: τ-b between two stand-alone seeds of the same architectures (a one-shot
ranking cannot be expected to agree with training better than training agrees with
itself). Pure (numpy, scipy).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

__all__ = ["RankCheck", "kendall_tau", "rank_check"]

BOOTSTRAP = 1000


class RankCheck(NamedTuple):
    kendall_tau: float
    tau_ci: tuple[float, float]
    spearman: float
    noise_ceiling: float | None
    top1_rank: int
    regret: float


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> float:
    """Kendall's τ-b; 0.0 where it is undefined (a constant sequence)."""
    from scipy import stats

    with warnings.catch_warnings():  # a constant resample: τ undefined, counted as 0
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        tau = stats.kendalltau(a, b).statistic
    return 0.0 if tau is None or not np.isfinite(tau) else float(tau)


def rank_check(
    oneshot: Sequence[float],
    standalone: Sequence[Sequence[float]],
    *,
    seed: int = 0,
    bootstrap: int = BOOTSTRAP,
) -> RankCheck:
    """`oneshot[i]` is architecture i's one-shot accuracy; `standalone[s][i]` its
    stand-alone accuracy with seed s (one or more seeds; their mean is the truth)."""
    from scipy import stats

    x = np.asarray(oneshot, dtype=np.float64)
    seeds = np.asarray(standalone, dtype=np.float64)
    if seeds.ndim != 2 or seeds.shape[1] != len(x) or len(x) < 3:
        raise ValueError("rank_check needs >= 3 architectures and one stand-alone row per seed")
    truth = seeds.mean(axis=0)
    tau = kendall_tau(x, truth)
    rng = np.random.Generator(np.random.PCG64(seed))
    boots = []
    for _ in range(bootstrap):
        idx = rng.integers(len(x), size=len(x))
        boots.append(kendall_tau(x[idx], truth[idx]))
    lo, hi = np.percentile(boots, [2.5, 97.5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        rho = stats.spearmanr(x, truth).statistic
    ceiling = kendall_tau(seeds[0], seeds[1]) if len(seeds) >= 2 else None
    best = int(np.argmax(x))
    top1_rank = int(1 + np.sum(truth > truth[best]))
    return RankCheck(
        tau, (float(lo), float(hi)), 0.0 if not np.isfinite(rho) else float(rho), ceiling,
        top1_rank, float(truth.max() - truth[best]),
    )  # fmt: skip
