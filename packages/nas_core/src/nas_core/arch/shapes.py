"""Shape inference, parameter counts and FLOPs of an architecture.

Parameters are counted as torch counts them for the module the training issue builds
(see `nas_core.arch.layers`): ``sum(p.numel() for p in module.parameters())``;
batch-norm running statistics are buffers, not parameters.

FLOPs are per example for one forward pass in inference mode, with **a multiply-add
counted as 2 FLOPs** (so FLOPs = 2 × MACs for conv and dense; the bias add is the last
add of each output's dot product, so it is included):

====================  ====================================================
conv                  2 · C_in · k² · C_out · H_out · W_out
dense                 2 · in_features · units
maxpool / avgpool     pool² per output element
relu / tanh / sigmoid 1 per element
batchnorm             2 per element (scale and shift)
dropout / flatten     0 (identity at inference)
====================  ====================================================
"""

from __future__ import annotations

import msgspec

from nas_core.errors import ArchitectureError

from .layers import (
    ACTIVATION_TYPES,
    LAYER_TYPES,
    Architecture,
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    MaxPool,
)

__all__ = ["LayerInfo", "count_flops", "count_params", "infer", "layer_type", "step"]


class LayerInfo(msgspec.Struct, frozen=True, gc=False):
    """What `infer` knows about one layer: its output shape ((C, H, W) or (N,)),
    its parameter count (torch's) and its FLOPs per example."""

    index: int
    type: str
    out_shape: tuple[int, ...]
    params: int
    flops: int


def layer_type(layer: object) -> str:
    """The ``"type"`` tag of a layer struct."""
    return type(layer).__struct_config__.tag  # type: ignore[attr-defined]


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _fmt(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape)


def _check_fields(i: int, layer: object) -> None:
    """Constraints msgspec enforces on decode but not on direct construction."""
    if type(layer) not in LAYER_TYPES.values():
        raise ArchitectureError(i, f"not a layer: {layer!r}")
    if isinstance(layer, Conv):
        if layer.kernel not in (3, 5, 7):
            raise ArchitectureError(i, f"conv kernel must be 3, 5 or 7, not {layer.kernel!r}")
        _positive(i, "conv", "filters", layer.filters)
        _positive(i, "conv", "stride", layer.stride)
    elif isinstance(layer, MaxPool | AvgPool):
        _positive(i, layer_type(layer), "pool", layer.pool)
    elif isinstance(layer, Dense):
        _positive(i, "dense", "units", layer.units)
    elif isinstance(layer, Dropout) and not (
        isinstance(layer.rate, int | float) and 0.0 < layer.rate < 1.0
    ):
        raise ArchitectureError(i, f"dropout rate must be in (0, 1), not {layer.rate!r}")


def _positive(i: int, kind: str, field: str, value: object) -> None:
    if type(value) is not int or value < 1:
        raise ArchitectureError(i, f"{kind} {field} must be a positive integer, not {value!r}")


def step(
    i: int, layer: object, shape: tuple[int, ...], flat_by: str | None
) -> tuple[tuple[int, ...], str | None, int, int]:
    """One layer of `infer`: from the input `shape` (and ``flat_by``, the type of the
    layer that made the data flat, or ``None``) to ``(out_shape, flat_by, params,
    flops)``. Raises `ArchitectureError` naming layer `i` where the shape is undefined.
    """
    _check_fields(i, layer)
    kind = layer_type(layer)
    params = flops = 0
    if isinstance(layer, Conv | MaxPool | AvgPool):
        if flat_by is not None:
            raise ArchitectureError(i, f"{kind} after {flat_by}")
        c, h, w = shape
        if isinstance(layer, Conv):
            k, s = layer.kernel, layer.stride
            pad = k // 2
            shape = (layer.filters, (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1)
            params = layer.filters * c * k * k + layer.filters
            flops = 2 * c * k * k * _size(shape)
        else:
            p = layer.pool
            if p > h or p > w:
                raise ArchitectureError(
                    i, f"{kind} of {p} on a {h}×{w} input: the spatial size would fall below 1×1"
                )
            shape = (c, h // p, w // p)
            flops = p * p * _size(shape)
    elif isinstance(layer, Dense):
        if flat_by is None:
            raise ArchitectureError(
                i, f"dense needs a flatten before it (its input is {_fmt(shape)})"
            )
        (n,) = shape
        shape = (layer.units,)
        params = n * layer.units + layer.units
        flops = 2 * n * layer.units
        flat_by = "dense"
    elif isinstance(layer, Flatten):
        if flat_by is not None:
            raise ArchitectureError(i, f"flatten after {flat_by}: the input is already flat")
        shape = (_size(shape),)
        flat_by = "flatten"
    elif isinstance(layer, BatchNorm):
        params = 2 * shape[0]
        flops = 2 * _size(shape)
    elif type(layer) in ACTIVATION_TYPES.values():
        flops = _size(shape)
    # dropout: shape unchanged, no parameters, no FLOPs at inference
    return shape, flat_by, params, flops


def infer(arch: Architecture) -> list[LayerInfo]:
    """Output shape, parameters and FLOPs of every layer, in order.

    Raises `ArchitectureError` (with the layer index) where the shapes are undefined:
    a conv or pool after flatten/dense, a pool larger than its input (the spatial size
    would fall below 1×1), a dense without a flatten before it, a second flatten.
    The classifier and size-cap rules are `validate`'s.
    """
    shape: tuple[int, ...] = tuple(arch.input.shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ArchitectureError(None, f"input shape must be 3 positive sizes, not {shape}")
    flat_by: str | None = None
    infos: list[LayerInfo] = []
    for i, layer in enumerate(arch.layers):
        shape, flat_by, params, flops = step(i, layer, shape, flat_by)
        infos.append(LayerInfo(i, layer_type(layer), shape, params, flops))
    return infos


def count_params(arch: Architecture) -> int:
    """Total parameters (torch's count); raises `ArchitectureError` like `infer`."""
    return sum(info.params for info in infer(arch))


def count_flops(arch: Architecture) -> int:
    """Total FLOPs per example (a multiply-add is 2 FLOPs); raises like `infer`."""
    return sum(info.flops for info in infer(arch))
