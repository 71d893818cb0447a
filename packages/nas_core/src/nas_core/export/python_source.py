"""The standalone ``.py`` export: plain torch code that builds the model's
``nn.Sequential`` and loads the weights file beside it (no REMAP needed to run it).

The layer lines come from the same `torch_module` rules that build the trained model
(`nas_core.arch.layers`), called with a recorder in place of ``torch.nn`` that writes
each constructor call as source, so the file and the trainer cannot disagree.
"""

from __future__ import annotations

import json
from typing import Any

from nas_core.arch import Architecture, infer

__all__ = ["python_source"]


class _Recorder:
    """Stands in for ``torch.nn``: ``nn.Conv2d(1, 8, 3, 1, padding=1)`` returns that
    text."""

    def __getattr__(self, name: str):
        def call(*args: Any, **kwargs: Any) -> str:
            parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
            return f"nn.{name}({', '.join(parts)})"

        return call


def layer_lines(arch: Architecture) -> list[str]:
    """One constructor call a layer, in order (as `nas_core.training.build_module`)."""
    infos = infer(arch)
    shapes = [tuple(arch.input.shape), *(info.out_shape for info in infos)]
    recorder = _Recorder()
    return [
        layer.torch_module(recorder, shape)
        for layer, shape in zip(arch.layers, shapes, strict=False)
    ]


_TEMPLATE = '''"""{name}: a model exported by REMAP (session {session}), test accuracy {acc:.4f}.

Plain PyTorch: `load()` builds the network and loads the weights file beside this one
({weights}). The input is float32 of shape (batch, {shape}), {prep}.
The output is one logit per class; the prediction is its argmax (CLASS_NAMES).
"""

from pathlib import Path

import torch
from torch import nn

INPUT_SHAPE = {shape_tuple}
CLASS_NAMES = {classes}
WEIGHTS = Path(__file__).with_name({weights!r})


def build() -> nn.Sequential:
    """The network, freshly initialised."""
    return nn.Sequential(
{layers}
    )


def load(weights: str | Path = WEIGHTS) -> nn.Sequential:
    """The trained network, in eval mode."""
    model = build()
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


def predict(x: torch.Tensor) -> torch.Tensor:
    """The predicted class of each input of `x` (float32, (batch, *INPUT_SHAPE))."""
    with torch.inference_mode():
        return load()(x).argmax(dim=1)


if __name__ == "__main__":
    print(load())
    label = int(predict(torch.zeros(1, *INPUT_SHAPE))[0])
    print("prediction for an all-zero input:", CLASS_NAMES[label])
'''


def python_source(
    arch: Architecture,
    *,
    session: str,
    test_acc: float,
    class_names: tuple[str, ...],
    weights_file: str,
    preprocessing: str,
) -> str:
    """The text of the standalone module for `arch` whose weights file is named
    `weights_file` (beside it)."""
    shape = tuple(arch.input.shape)
    return _TEMPLATE.format(
        name=arch.name,
        session=session,
        acc=test_acc,
        weights=weights_file,
        shape=", ".join(map(str, shape)),
        shape_tuple=repr(shape),
        prep=preprocessing.rstrip("."),
        classes=json.dumps(list(class_names), ensure_ascii=True),
        layers="\n".join(f"        {line}," for line in layer_lines(arch)),
    )
