"""How long a model will take to train, from its FLOPs and the trainings seen so far
(the "Est. Training" column of the REMAP paper).

The model: ``seconds ≈ c + epochs · (b + a · n_train · flops ** p)``: a fixed cost per
model `c` (the worker taking the job up, loading the data, building the network, the
test evaluation), a fixed cost per epoch `b` (validation, Python, scheduling) and the
training passes, linear in the examples and growing with a model's FLOPs by a power
``p <= 1`` (on a CPU a small layer does far fewer FLOPs a second than a large one: over
a session of sampled models the time per epoch grew about as ``flops ** 0.5``). Issue
17 measured the purely linear model without `c` off by 0.39–9.0×: ablations estimated
0.5 s took 2.3–3.1 s.

Fitted on the finished trainings it has observed (the last `window`): for each `p` of a
grid, `a`, `b` and `c` by non-negative least squares on relative error (small and large
models count alike), keeping the `p` with the least squared log error; trainings the
fit misses by far more than the rest (a machine busy for a while, a process's first
training) are left out of a refit, and the coefficients are scaled so that the median
of actual / estimate over the observations is 1 (least squares on relative error leans
low). Pure: observing returns a new `Throughput`; no clock is read here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import msgspec
import numpy as np

__all__ = ["Observation", "Throughput"]

NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]

_EXPONENTS = tuple(np.round(np.arange(1.0, 0.2999, -0.05), 2).tolist())  # p's grid, 1 first
_OUTLIER_MADS = 4.0  # a log residual this many (scaled) MADs from the median is left out
_MIN_FOR_OUTLIERS = 6  # fewer trainings than this: none is called an outlier


class Observation(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One finished training: FLOPs per example, training examples, epochs, seconds."""

    flops: Annotated[int, msgspec.Meta(ge=0)]
    n_train: Annotated[int, msgspec.Meta(ge=1)]
    epochs: Annotated[int, msgspec.Meta(ge=1)]
    seconds: NonNegative


class Throughput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """The fitted time model. ``seconds_per_flop`` (a) is per example, epoch and FLOP to
    the power ``flops_exponent`` (p) of one example's forward pass (it absorbs the
    backward pass and the optimizer); ``seconds_per_epoch`` (b) the fixed cost of an
    epoch; ``seconds_per_model`` (c) the fixed cost of a training. ``observations`` are
    the trainings it was fitted on, the newest last, at most ``window``."""

    seconds_per_flop: NonNegative = 0.0
    seconds_per_epoch: NonNegative = 0.0
    observations: tuple[Observation, ...] = ()
    window: Annotated[int, msgspec.Meta(ge=1)] = 200
    # last, with defaults: an encoding from before them decodes as the linear model
    seconds_per_model: NonNegative = 0.0
    flops_exponent: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 1.0

    @property
    def ready(self) -> bool:
        """Whether it has seen a training and so can estimate."""
        return bool(self.observations)

    def observe(self, flops: int, n_train: int, epochs: int, seconds: float) -> Throughput:
        """A model refitted with one more finished training."""
        return self.observe_all([Observation(flops, n_train, epochs, seconds)])

    def observe_all(self, observations: Iterable[Observation]) -> Throughput:
        """A model refitted once with more finished trainings, the newest last (what
        `observe` one at a time ends with)."""
        obs = (*self.observations, *observations)[-self.window :]
        if not obs:
            return self
        a, b, c, p = _fit(obs)
        return Throughput(a, b, obs, self.window, c, p)

    def estimate_seconds(self, flops: int, n_train: int, epochs: int) -> float | None:
        """Predicted seconds of a training, or ``None`` before any training was seen."""
        if not self.observations:
            return None
        coef = (self.seconds_per_flop, self.seconds_per_epoch, self.seconds_per_model)
        return float(_predict(coef, n_train * float(flops) ** self.flops_exponent, epochs))


def _predict(coef: tuple[float, float, float], work_per_epoch, epochs):
    a, b, c = coef
    return c + epochs * (b + a * work_per_epoch)


def _fit(obs: tuple[Observation, ...]) -> tuple[float, float, float, float]:
    """``(a, b, c, p)`` fitted to `obs` (see the module docstring)."""
    flops = np.array([o.flops for o in obs], dtype=np.float64)
    n_train = np.array([o.n_train for o in obs], dtype=np.float64)
    epochs = np.array([o.epochs for o in obs], dtype=np.float64)
    seconds = np.array([o.seconds for o in obs], dtype=np.float64)
    coef, p, residual = _best(flops, n_train, epochs, seconds)
    if len(obs) >= _MIN_FOR_OUTLIERS:
        centre = np.median(residual)
        spread = 1.4826 * np.median(np.abs(residual - centre))
        keep = np.abs(residual - centre) <= _OUTLIER_MADS * max(spread, 0.05)
        # a cut that leaves only trainings of no time would call every training free
        if keep.sum() >= _MIN_FOR_OUTLIERS // 2 and not keep.all() and seconds[keep].any():
            coef, p, _ = _best(flops[keep], n_train[keep], epochs[keep], seconds[keep])
    predicted = _predict(coef, n_train * flops**p, epochs)
    a, b, c = coef
    if predicted.any():
        # the median ratio, not the mean: one slow training does not move every estimate
        scale = float(np.median(seconds[predicted > 0] / predicted[predicted > 0]))
        if scale > 0:  # (most trainings taking 0 s: the fit as it is)
            a, b, c = a * scale, b * scale, c * scale
    return a, b, c, p


def _best(
    flops: np.ndarray, n_train: np.ndarray, epochs: np.ndarray, seconds: np.ndarray
) -> tuple[tuple[float, float, float], float, np.ndarray]:
    """The coefficients and exponent of the least squared log error, and its residuals.
    From ``p = 1`` down: a smaller `p` must fit better by more than rounding."""
    best = None
    for p in _EXPONENTS if np.ptp(flops) > 0 else (1.0,):
        per_epoch = n_train * flops**p
        coef = _least_squares(per_epoch, epochs, seconds)
        predicted = _predict(coef, per_epoch, epochs)
        residual = np.log(np.maximum(seconds, 1e-6) / np.maximum(predicted, 1e-6))
        error = float(residual @ residual)
        if best is None or error < best[0] * (1 - 1e-6) - 1e-12:
            best = (error, coef, p, residual)
    assert best is not None
    return best[1], best[2], best[3]


def _least_squares(
    per_epoch: np.ndarray, epochs: np.ndarray, seconds: np.ndarray
) -> tuple[float, float, float]:
    work = per_epoch * epochs
    scale = 1.0 / np.maximum(seconds, 1e-3)  # relative error: each row over its seconds
    if len(seconds) < 2 or np.ptp(per_epoch) == 0.0:
        # without a spread in the work per epoch, compute and fixed costs cannot be told
        # apart: fit a pure rate (or, for models without FLOPs, a pure per-epoch cost)
        if not work.any():
            return 0.0, float(np.mean(seconds / epochs)), 0.0
        w, s = work * scale, seconds * scale
        return float(w @ s / (w @ w)), 0.0, 0.0
    from scipy.optimize import nnls  # here: importing scipy costs the pool's children

    # when every training ran the same epochs the per-model and per-epoch columns are
    # one, and nnls gives the fixed cost to one of them
    columns = [np.ones_like(epochs), epochs, work]
    a_cols = np.stack([col * scale for col in columns], axis=1)
    norms = np.linalg.norm(a_cols, axis=0)
    norms[norms == 0] = 1.0
    coef, _ = nnls(a_cols / norms, seconds * scale)
    c, b, a = (coef / norms).tolist()
    return float(a), float(b), float(c)
