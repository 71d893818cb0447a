"""A Gaussian process on a distance: k(x, x') = a * exp(-beta * d(x, x')), as NASBOT
builds its kernel on OTMANN (Kandasamy et al. 2018; one distance, one scale).

beta and the noise ratio are chosen on a small grid by the marginal likelihood, the
amplitude a in closed form (its maximum-likelihood value y' K^-1 y / n for each grid
point), on targets centred at their mean. exp(-beta d) of a distance that is not
Euclidean need not be positive definite: a grid point whose matrix Cholesky refuses
is skipped (and a jitter of 1e-8 is always added).

Speed (the grid is 24 points at 500 models): exp(-beta d) is computed once per beta,
and a beta twice the last one squares the last kernel instead (exp(-2x) = exp(-x)^2:
the grid's betas are doublings); each Cholesky is LAPACK's, in place on a copy, its
upper triangle left as it is (only the lower is read) and zeroed for the fit returned.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.linalg import cho_solve, solve_triangular
from scipy.linalg.lapack import dpotrf
from scipy.special import ndtr
from threadpoolctl import threadpool_limits

__all__ = ["BETAS", "NOISES", "Fit", "expected_improvement", "fit", "posterior"]

BETAS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
"""beta times the median distance between observed models (so the grid is scale-free)."""
NOISES = (1e-4, 1e-3, 1e-2, 1e-1)
"""Noise variance as a fraction of the amplitude."""
_JITTER = 1e-8


class Fit(NamedTuple):
    beta: float
    noise: float
    """Noise variance (absolute)."""
    amplitude: float
    mean: float
    chol: np.ndarray
    alpha: np.ndarray
    log_likelihood: float


def _one(kernel: np.ndarray, yc: np.ndarray, beta: float, ratio: float) -> Fit | None:
    """The fit at one grid point, `kernel` = exp(-beta d) (not changed)."""
    n = len(yc)
    k = kernel.copy()
    k[np.diag_indices(n)] += ratio + _JITTER
    chol, info = dpotrf(k, lower=1, clean=0, overwrite_a=1)
    if info != 0:  # not positive definite at this point
        return None
    alpha = cho_solve((chol, True), yc, check_finite=False)
    amp = max(float(yc @ alpha) / n, 1e-12)
    logdet = 2.0 * float(np.log(np.diag(chol)).sum())
    ll = -0.5 * n * (math.log(2 * math.pi * amp) + 1.0) - 0.5 * logdet
    return Fit(beta, ratio * amp, amp, 0.0, chol, alpha, ll)


def fit(d: np.ndarray, y: np.ndarray, betas=BETAS, noises=NOISES) -> Fit:
    """The GP on the observed models' distances `d` (n × n) and scores `y`, with the
    (beta, noise) of the grid that maximises the marginal likelihood."""
    y = np.asarray(y, dtype=float)
    mean = float(y.mean())
    yc = y - mean
    off = d[np.triu_indices(len(y), 1)]
    scale = float(np.median(off[off > 0])) if np.any(off > 0) else 1.0
    best = None
    with threadpool_limits(1, "blas"):  # 24 small Choleskys: threads only contend
        best = _grid(d, yc, scale, betas, noises)
    return best._replace(mean=mean)


def _grid(d, yc, scale, betas, noises) -> Fit:
    best = None
    kernel, last = None, 0.0
    for b in betas:
        beta = b / scale
        doubled = kernel is not None and beta == 2.0 * last
        kernel = kernel * kernel if doubled else np.exp(-beta * d)
        last = beta
        for r in noises:
            f = _one(kernel, yc, beta, r)
            if f is not None and (best is None or f.log_likelihood > best.log_likelihood):
                best = f
    if best is None:  # no grid point is positive definite: the largest noise, more jitter
        beta = betas[-1] / scale
        best = _one(np.exp(-beta * d), yc, beta, 1.0)
        assert best is not None
    return best._replace(chol=np.tril(best.chol))


def posterior(f: Fit, d_new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation (of the function, noise excluded) at points with
    distances `d_new` (m × n) to the observed."""
    ks = f.amplitude * np.exp(-f.beta * d_new)
    mu = f.mean + ks @ f.alpha / f.amplitude
    v = solve_triangular(f.chol, ks.T, lower=True, check_finite=False)
    var = f.amplitude - (v * v).sum(axis=0) / f.amplitude
    return mu, np.sqrt(np.maximum(var, 0.0))


def expected_improvement(mu: np.ndarray, sigma: np.ndarray, best: float) -> np.ndarray:
    """E[max(f - best, 0)] under N(mu, sigma^2) (maximising); 0 where sigma is 0 and
    mu <= best."""
    gain = mu - best
    sure = sigma <= 1e-12  # no spread left: the improvement is the gain itself
    safe = np.where(sure, 1.0, sigma)
    z = np.clip(gain / safe, -40.0, 40.0)
    ei = gain * ndtr(z) + safe * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return np.where(sure, np.maximum(gain, 0.0), np.maximum(ei, 0.0))
