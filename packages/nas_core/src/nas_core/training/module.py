"""The torch module of an architecture, with the semantics of `nas_core.arch.layers`."""

from __future__ import annotations

from torch import nn

from nas_core.arch import Architecture, infer

__all__ = ["build_module"]


def build_module(arch: Architecture) -> nn.Sequential:
    """An ``nn.Sequential`` with one module per layer of `arch`, in order: convolutions
    with a bias and padding ``kernel // 2`` at their stride, pools with stride = pool
    size (floor mode), ``Linear`` dense layers sized by shape inference, ``BatchNorm2d``
    on images and ``BatchNorm1d`` on vectors. The last dense gives the logits (no
    softmax: the loss is ``CrossEntropyLoss``). Its parameter count is
    `nas_core.arch.count_params`. Weights are torch's default initialisation, drawn
    from torch's global generator (seed it for a reproducible model).

    Each layer type's module is its ``torch_module`` (`nas_core.arch.layers`). Raises
    `ArchitectureError` where the shapes are undefined (as `infer` does).
    """
    infos = infer(arch)
    shapes = [tuple(arch.input.shape), *(info.out_shape for info in infos)]
    return nn.Sequential(
        *(layer.torch_module(nn, shape) for layer, shape in zip(arch.layers, shapes, strict=False))
    )
