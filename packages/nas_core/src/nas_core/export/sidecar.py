"""The JSON that travels with an exported model: what it is, what it takes and how
well it did (no torch here)."""

from __future__ import annotations

from typing import Any

import msgspec

from nas_core.events import ModelState, SessionState
from nas_core.specs import DataSpec

from .preprocessing import preprocessing

__all__ = ["FORMAT", "sidecar"]

FORMAT = "remap-model/1"


def sidecar(state: SessionState, model: ModelState) -> dict[str, Any]:
    """The sidecar of `model` of the session in `state` (a finished model)."""
    result = model.result
    assert result is not None
    shape = tuple(model.arch.input.shape)
    return {
        "format": FORMAT,
        "session": state.session,
        "model": model.id,
        "architecture": msgspec.to_builtins(model.arch),
        "input": {"shape": list(shape), "dtype": "float32", "layout": "NCHW (batch first)"},
        "output": "logits, one per class (no softmax): the prediction is their argmax",
        "preprocessing": preprocessing(state.data or DataSpec(), shape),
        "class_names": list(state.class_names),
        "metrics": {
            "test_acc": result.test_acc,
            "test_loss": result.test_loss,
            "per_class_acc": list(result.per_class_acc),
            "epochs": result.epochs,
            "best_epoch": result.best_epoch,
            "stopped_early": result.stopped_early,
            "params": result.params,
            "flops": result.flops,
        },
        "training": msgspec.to_builtins(model.config),
        "weights": msgspec.to_builtins(result.weights),
    }
