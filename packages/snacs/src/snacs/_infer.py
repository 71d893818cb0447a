"""Shape inference and parameter counts.

Shapes are (C, H, W) for images and (N,) for vectors, without the batch axis. The rules
are those of PyTorch and Keras with REMAP's conventions:

* ``conv``: ``"same"`` padding keeps ceil(H / stride) (PyTorch ``padding=k // 2`` for odd
  kernels), ``"valid"`` gives floor((H - k) / stride) + 1; parameters
  ``filters·C·k·k + filters`` (no ``+ filters`` without bias);
* ``maxpool`` / ``avgpool``: stride = pool unless given, floor mode
  (floor((H - pool) / stride) + 1), or ceil(H / stride) with ``"same"``;
* ``flatten``: C·H·W; ``dense``: ``in·units + units``, flattening C×H×W data first;
* ``batchnorm``: 2 parameters per channel (C×H×W data) or per feature (vectors), the
  trainable γ and β (PyTorch's count; Keras also lists 2 non-trainable statistics);
* activations and dropout keep the shape and have no parameters;
* a :class:`~snacs.Generic` layer keeps the shape unless it says ``"shape"``, and has
  ``"params"`` parameters when it says so, none if it is a well-known parameter-free
  layer (``softmax``, ``elu``, ``gelu`` … and Keras' global poolings, which also reduce
  C×H×W to C), and an unknown number (``None``) otherwise.
"""

from __future__ import annotations

from math import prod

from msgspec import Struct

from ._errors import SpecError
from ._spec import (
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Generic,
    MaxPool,
    ReLU,
    Sigmoid,
    Spec,
    Tanh,
)

__all__ = ["LayerInfo", "infer", "layer_type", "total_params"]

_TYPE_NAMES = {
    Conv: "conv",
    MaxPool: "maxpool",
    AvgPool: "avgpool",
    Dense: "dense",
    Dropout: "dropout",
    BatchNorm: "batchnorm",
    ReLU: "relu",
    Tanh: "tanh",
    Sigmoid: "sigmoid",
    Flatten: "flatten",
}


def layer_type(layer: object) -> str:
    """The ``type`` of a layer as written in JSON (``kind`` for generic layers)."""
    if isinstance(layer, Generic):
        return layer.kind
    return _TYPE_NAMES[type(layer)]


class LayerInfo(Struct, frozen=True):
    """What inference found for one layer."""

    index: int
    type: str
    shape: tuple[int, ...]  # the output shape, without the batch axis
    size: int  # number of values leaving the layer (product of ``shape``)
    params: int | None  # None: unknown (a generic layer that does not say)


def _fmt(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


def _spatial(i: int, name: str, n: int, window: int, stride: int, padding: str) -> int:
    if padding == "same":
        return -(-n // stride)
    out = (n - window) // stride + 1
    if out < 1:
        raise SpecError(
            f"layer {i}: {name} window {window} does not fit {n}×{n} data "
            f'(padding valid); use a smaller window or padding "same"',
            f"$.layers[{i}]",
        )
    return out


_PARAMETER_FREE = frozenset(
    {
        "softmax",
        "log_softmax",
        "logsoftmax",
        "elu",
        "selu",
        "celu",
        "gelu",
        "swish",
        "silu",
        "mish",
        "leaky_relu",
        "leakyrelu",
        "relu6",
        "softplus",
        "softsign",
        "exponential",
        "hard_sigmoid",
        "hardsigmoid",
        "hard_swish",
        "hardswish",
        "linear",
        "identity",
        "reshape",
        "permute",
        "zeropadding2d",
        "upsampling2d",
        "upsample",
        "spatialdropout2d",
        "gaussiannoise",
        "gaussiandropout",
        "alphadropout",
    }
)
_GLOBAL_POOLS = frozenset(
    {"globalaveragepooling2d", "globalmaxpooling2d", "globalavgpool", "globalmaxpool"}
)


def _generic_shape(layer: Generic, shape: tuple[int, ...]) -> tuple[int, ...]:
    if layer.kind.lower() in _GLOBAL_POOLS and len(shape) == 3 and "shape" not in layer.fields:
        return (shape[0],)
    s = layer.fields.get("shape")
    if (
        isinstance(s, list | tuple)
        and 1 <= len(s) <= 3
        and all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in s)
    ):
        return tuple(s)
    return shape


def _generic_params(layer: Generic) -> int | None:
    p = layer.fields.get("params")
    if isinstance(p, int) and not isinstance(p, bool) and p >= 0:
        return p
    kind = layer.kind.lower()
    return 0 if kind in _PARAMETER_FREE or kind in _GLOBAL_POOLS else None


def infer(spec: Spec) -> tuple[LayerInfo, ...]:
    """Output shape, size and parameter count of every layer.

    Raises :class:`~snacs.SpecError` (with the layer's path) where a layer cannot take
    its input, e.g. ``layer 4: conv after dense needs C×H×W data, got a vector of 120``.
    A spec without ``input`` is never an error: see :func:`_infer_unshaped`.
    """
    if spec.input is None:
        return _infer_unshaped(spec)
    shape: tuple[int, ...] = tuple(spec.input.shape)
    if len(shape) == 2:
        shape = (1, *shape)
    prev = "the input"
    out: list[LayerInfo] = []
    append = out.append
    for i, layer in enumerate(spec.layers):
        cls = type(layer)
        params: int | None = 0
        if cls is Conv or cls is MaxPool or cls is AvgPool:
            name = _TYPE_NAMES[cls]
            if len(shape) != 3:
                raise SpecError(
                    f"layer {i}: {name} after {prev} needs C×H×W data, got a vector of {shape[0]}",
                    f"$.layers[{i}]",
                )
            c, h, w = shape
            if cls is Conv:
                k, s = layer.kernel, layer.stride
                shape = (
                    layer.filters,
                    _spatial(i, "conv", h, k, s, layer.padding),
                    _spatial(i, "conv", w, k, s, layer.padding),
                )
                params = layer.filters * c * k * k + (layer.filters if layer.bias else 0)
            else:
                p = layer.pool
                s = layer.stride or p
                shape = (
                    c,
                    _spatial(i, name, h, p, s, layer.padding),
                    _spatial(i, name, w, p, s, layer.padding),
                )
        elif cls is Dense:
            n_in = prod(shape)
            params = n_in * layer.units + (layer.units if layer.bias else 0)
            shape = (layer.units,)
        elif cls is Flatten:
            shape = (prod(shape),)
        elif cls is BatchNorm:
            params = 2 * shape[0]
        elif cls is Generic:
            shape = _generic_shape(layer, shape)
            params = _generic_params(layer)
        # relu, tanh, sigmoid, dropout: shape and zero parameters unchanged
        t = layer.kind if cls is Generic else _TYPE_NAMES[cls]
        append(LayerInfo(i, t, shape, prod(shape), params))
        prev = t
    return tuple(out)


_UNIT_FIELDS = ("units", "hidden_size", "out_features", "filters", "out_channels")


def _units(layer: object) -> int | None:
    """The number of units (features, filters) a layer says it outputs, if it says."""
    if isinstance(layer, Dense):
        return layer.units
    if isinstance(layer, Conv):
        return layer.filters
    if isinstance(layer, Generic):
        for key in _UNIT_FIELDS:
            v = layer.fields.get(key)
            if isinstance(v, int) and not isinstance(v, bool) and v >= 1:
                return v
    return None


def _infer_unshaped(spec: Spec) -> tuple[LayerInfo, ...]:
    """Inference with no input shape: a layer's output is ``(units,)`` where it says its
    units (dense, conv filters, a generic layer's ``units`` …), else the size before it
    (activations, dropout, pools); the very first layers, before any units are known,
    have shape ``()`` and size 0 (drawn at one middle height). Parameters are counted
    only where the input's width is known from the layer before (dense after dense,
    conv after conv, batchnorm after units), else unknown."""
    out: list[LayerInfo] = []
    known: int | None = None  # units (or channels) leaving the previous layer
    image = False  # whether `known` counts channels of C×H×W data
    for i, layer in enumerate(spec.layers):
        cls = type(layer)
        t = layer.kind if cls is Generic else _TYPE_NAMES[cls]
        params: int | None = 0
        if cls is Conv:
            params = (
                None
                if known is None or not image
                else layer.filters * known * layer.kernel**2 + (layer.filters if layer.bias else 0)
            )
            known, image = layer.filters, True
        elif cls is Dense:
            params = (
                None
                if known is None or image
                else known * layer.units + (layer.units if layer.bias else 0)
            )
            known, image = layer.units, False
        elif cls is Flatten:
            if image:
                known = None  # C×H×W flattened, with H and W unknown
            image = False
        elif cls is BatchNorm:
            params = None if known is None else 2 * known
        elif cls is Generic:
            params = _generic_params(layer)
            units = _units(layer)
            if units is not None:
                known, image = units, False
        shape = () if known is None else (known,)
        out.append(LayerInfo(i, t, shape, 0 if known is None else known, params))
    return tuple(out)


def total_params(infos: tuple[LayerInfo, ...]) -> int | None:
    """Sum of the parameter counts, or None if a layer's count is unknown."""
    total = 0
    for info in infos:
        if info.params is None:
            return None
        total += info.params
    return total
