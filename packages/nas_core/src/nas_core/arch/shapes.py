"""Shape inference, parameter counts and FLOPs of an architecture.

Each layer type's rules are its class in `nas_core.arch.layers` (with the table of
its FLOPs); here they are chained over the layers.

Parameters are counted as torch counts them for the module the training issue builds
(see `nas_core.arch.layers`): ``sum(p.numel() for p in module.parameters())``;
batch-norm running statistics are buffers, not parameters.

FLOPs are per example for one forward pass in inference mode, with **a multiply-add
counted as 2 FLOPs** (so FLOPs = 2 × MACs for conv and dense; the bias add is the last
add of each output's dot product, so it is included).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import msgspec

from nas_core.errors import ArchitectureError

from .layers import LAYER_TYPES, Architecture, Layer

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


_TYPES = frozenset(LAYER_TYPES.values())


def step(
    i: int, layer: object, shape: tuple[int, ...], flat_by: str | None
) -> tuple[tuple[int, ...], str | None, int, int]:
    """One layer of `infer`: from the input `shape` (and ``flat_by``, the type of the
    layer that made the data flat, or ``None``) to ``(out_shape, flat_by, params,
    flops)``. Raises `ArchitectureError` naming layer `i` where the shape is undefined.
    """
    if type(layer) not in _TYPES:
        raise ArchitectureError(i, f"not a layer: {layer!r}")
    rules = cast(Layer, layer)  # its class holds its rules
    rules.check(i, shape, flat_by)
    out = rules.out_shape(shape)
    if rules.makes_flat:
        flat_by = layer_type(layer)
    return out, flat_by, rules.params(shape), rules.flops(shape, out)


def infer(arch: Architecture, prefix: Sequence[LayerInfo] = ()) -> list[LayerInfo]:
    """Output shape, parameters and FLOPs of every layer, in order.

    Raises `ArchitectureError` (with the layer index) where the shapes are undefined:
    a conv or pool after flatten/dense, a pool larger than its input (the spatial size
    would fall below 1×1), a dense without a flatten before it, a second flatten.
    The classifier and size-cap rules are `validate`'s.

    `prefix`: the infos of `arch`'s first layers, already inferred on the same input
    (a parent's, for a child that keeps them: the variation generator's children
    differ from their parent from one layer on); inference goes on after them.
    """
    shape: tuple[int, ...] = tuple(arch.input.shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ArchitectureError(None, f"input shape must be 3 positive sizes, not {shape}")
    flat_by: str | None = None
    infos: list[LayerInfo] = list(prefix)
    if infos:
        shape = infos[-1].out_shape
        made_flat = [layer for layer in arch.layers[: len(infos)] if layer.makes_flat]
        flat_by = layer_type(made_flat[-1]) if made_flat else None
    for i in range(len(infos), len(arch.layers)):
        layer = arch.layers[i]
        shape, flat_by, params, flops = step(i, layer, shape, flat_by)
        infos.append(LayerInfo(i, layer_type(layer), shape, params, flops))
    return infos


def count_params(arch: Architecture) -> int:
    """Total parameters (torch's count); raises `ArchitectureError` like `infer`."""
    return sum(info.params for info in infer(arch))


def count_flops(arch: Architecture) -> int:
    """Total FLOPs per example (a multiply-add is 2 FLOPs); raises like `infer`."""
    return sum(info.flops for info in infer(arch))
