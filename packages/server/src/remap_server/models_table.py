"""A session's models as rows (``remap models``, ``GET /api/sessions/{id}/models``):
id, status, origin in words, parameters, test accuracy, and whether the trained
weights are in the data folder."""

from __future__ import annotations

from typing import Literal

import msgspec

from nas_core.events import (
    Ablation,
    Continued,
    Handcrafted,
    Origin,
    Replicated,
    Sampled,
    SessionState,
    Variation,
)
from nas_core.weights import WeightStore

__all__ = ["ModelListed", "WeightsState", "model_rows", "origin_words"]

WeightsState = Literal["present", "missing", "none"]


class ModelListed(msgspec.Struct, omit_defaults=False):
    """One model: `weights` is ``present`` (its file is in the data folder),
    ``missing`` (recorded, but the file is gone: retrain it) or ``none`` (not trained
    yet, or trained before weights were kept)."""

    id: str
    status: str
    origin: str
    params: int
    test_acc: float | None
    weights: WeightsState
    digest: str | None = None


def origin_words(origin: Origin) -> str:
    """The origin as the UI says it (``continued from m17 at epoch 10``)."""
    match origin:
        case Sampled():
            return f"sampled (seed {origin.seed}, #{origin.index})"
        case Ablation():
            return f"ablation of {origin.parent} (layer {origin.index})"
        case Variation():
            return f"variation of {origin.parent}"
        case Handcrafted():
            return f"handcrafted from {origin.parent}"
        case Replicated():
            return f"replicate of {origin.of} (#{origin.index})"
        case Continued():
            return f"continued from {origin.parent} at epoch {origin.epoch}"
    return getattr(origin, "type", type(origin).__name__)


def model_rows(state: SessionState, weights: WeightStore | None) -> list[ModelListed]:
    """Every model of `state` in creation order; `weights`: the data folder's store
    (None: every recorded file counts as missing)."""
    rows = []
    for m in state.models.values():
        result = m.result
        recorded = None if result is None else result.weights
        if recorded is None:
            kept: WeightsState = "none"
        elif weights is not None and weights.present(recorded):
            kept = "present"
        else:
            kept = "missing"
        rows.append(
            ModelListed(
                id=m.id,
                status=m.status,
                origin=origin_words(m.origin),
                params=m.params,
                test_acc=None if result is None else result.test_acc,
                weights=kept,
                digest=None if recorded is None else recorded.digest,
            )
        )
    return rows
