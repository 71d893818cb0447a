"""The torch module of an architecture, with the semantics of `nas_core.arch.layers`."""

from __future__ import annotations

from torch import nn

from nas_core.arch import (
    Architecture,
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    MaxPool,
    ReLU,
    Sigmoid,
    Tanh,
    infer,
)

__all__ = ["build_module"]

_ACTIVATIONS = {ReLU: nn.ReLU, Tanh: nn.Tanh, Sigmoid: nn.Sigmoid}


def build_module(arch: Architecture) -> nn.Sequential:
    """An ``nn.Sequential`` with one module per layer of `arch`, in order: convolutions
    with a bias and padding ``kernel // 2`` at their stride, pools with stride = pool
    size (floor mode), ``Linear`` dense layers sized by shape inference, ``BatchNorm2d``
    on images and ``BatchNorm1d`` on vectors. The last dense gives the logits (no
    softmax: the loss is ``CrossEntropyLoss``). Its parameter count is
    `nas_core.arch.count_params`. Weights are torch's default initialisation, drawn
    from torch's global generator (seed it for a reproducible model).

    Raises `ArchitectureError` where the shapes are undefined (as `infer` does).
    """
    infos = infer(arch)
    shapes = [tuple(arch.input.shape), *(info.out_shape for info in infos)]
    modules: list[nn.Module] = []
    for layer, in_shape in zip(arch.layers, shapes, strict=False):
        if isinstance(layer, Conv):
            k = layer.kernel
            modules.append(nn.Conv2d(in_shape[0], layer.filters, k, layer.stride, padding=k // 2))
        elif isinstance(layer, MaxPool):
            modules.append(nn.MaxPool2d(layer.pool, stride=layer.pool))
        elif isinstance(layer, AvgPool):
            modules.append(nn.AvgPool2d(layer.pool, stride=layer.pool))
        elif isinstance(layer, Dense):
            modules.append(nn.Linear(in_shape[0], layer.units))
        elif isinstance(layer, BatchNorm):
            norm = nn.BatchNorm2d if len(in_shape) == 3 else nn.BatchNorm1d
            modules.append(norm(in_shape[0]))
        elif isinstance(layer, Dropout):
            modules.append(nn.Dropout(layer.rate))
        elif isinstance(layer, Flatten):
            modules.append(nn.Flatten())
        else:
            modules.append(_ACTIVATIONS[type(layer)]())
    return nn.Sequential(*modules)
