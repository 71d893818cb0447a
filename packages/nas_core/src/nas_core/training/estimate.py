"""How long a model will take to train, from its FLOPs and the trainings seen so far
(the "Est. Training" column of the REMAP paper).

The model: ``seconds ≈ a · flops · n_train · epochs + b · epochs``, the compute of the
training passes plus a fixed cost per epoch (validation, Python, scheduling), both
fitted by non-negative least squares on relative error over the finished trainings it
has observed (the last `window`), so that small and large models count alike. Pure:
observing returns a new `Throughput`; no clock is read here.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
import numpy as np

__all__ = ["Observation", "Throughput"]

NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]


class Observation(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One finished training: FLOPs per example, training examples, epochs, seconds."""

    flops: Annotated[int, msgspec.Meta(ge=0)]
    n_train: Annotated[int, msgspec.Meta(ge=1)]
    epochs: Annotated[int, msgspec.Meta(ge=1)]
    seconds: NonNegative


class Throughput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """The fitted time model. ``seconds_per_flop`` (a) is per FLOP of one example's
    forward pass and one epoch (it absorbs the backward pass and the optimizer);
    ``seconds_per_epoch`` (b) the fixed cost of an epoch. ``observations`` are the
    trainings it was fitted on, the newest last, at most ``window``."""

    seconds_per_flop: NonNegative = 0.0
    seconds_per_epoch: NonNegative = 0.0
    observations: tuple[Observation, ...] = ()
    window: Annotated[int, msgspec.Meta(ge=1)] = 200

    @property
    def ready(self) -> bool:
        """Whether it has seen a training and so can estimate."""
        return bool(self.observations)

    def observe(self, flops: int, n_train: int, epochs: int, seconds: float) -> Throughput:
        """A model refitted with one more finished training."""
        obs = (*self.observations, Observation(flops, n_train, epochs, seconds))[-self.window :]
        a, b = _fit(obs)
        return Throughput(a, b, obs, self.window)

    def estimate_seconds(self, flops: int, n_train: int, epochs: int) -> float | None:
        """Predicted seconds of a training, or ``None`` before any training was seen."""
        if not self.observations:
            return None
        return self.seconds_per_flop * flops * n_train * epochs + self.seconds_per_epoch * epochs


def _fit(obs: tuple[Observation, ...]) -> tuple[float, float]:
    work = np.array([o.flops * o.n_train * o.epochs for o in obs], dtype=np.float64)
    epochs = np.array([o.epochs for o in obs], dtype=np.float64)
    seconds = np.array([o.seconds for o in obs], dtype=np.float64)
    # relative error: divide each row by its seconds (a zero-second row counts as 1 ms)
    scale = 1.0 / np.maximum(seconds, 1e-3)
    if len(obs) < 2 or np.ptp(work / epochs) == 0.0:
        # without a spread in the work per epoch the two terms cannot be told apart:
        # fit a pure rate (or, for models without FLOPs, a pure per-epoch cost)
        if not work.any():
            return 0.0, float(np.mean(seconds / epochs))
        w, s = work * scale, seconds * scale
        return float(w @ s / (w @ w)), 0.0
    from scipy.optimize import nnls  # here: importing scipy costs the pool's children

    # columns scaled to unit size so that nnls sees a well-conditioned problem
    a_cols = np.stack([work * scale, epochs * scale], axis=1)
    norms = np.linalg.norm(a_cols, axis=0)
    norms[norms == 0] = 1.0
    coef, _ = nnls(a_cols / norms, seconds * scale)
    coef = coef / norms
    return float(coef[0]), float(coef[1])
