"""The architecture JSON of REMAP as msgspec structs (decoded by `snacs._decode`, the
front door; encoded back by `encode` / `to_builtins` here).

A spec is the same JSON object that REMAP trains (see DESIGN.md)::

    {"name": "m17", "input": {"shape": [1, 8, 8], "classes": 10},
     "layers": [{"type": "conv", "filters": 32, "kernel": 3},
                {"type": "relu"}, {"type": "maxpool", "pool": 2},
                {"type": "dropout", "rate": 0.25}, {"type": "flatten"},
                {"type": "dense", "units": 10}],
     "skips": [[0, 2]]}

snacs is deliberately more lenient than the trainer, because people also draw models
that REMAP does not train:

* any layer ``type`` that is not one of the known ones becomes a :class:`Generic`
  layer that keeps its other fields (drawn as a grey block with the type's initial);
* ``conv`` accepts any kernel and stride, ``padding`` ``"same"`` (the default, as in
  REMAP) or ``"valid"``, and ``bias``; pools accept ``stride`` and ``padding``;
* ``skips``, ``[from, to]`` pairs of layer indices: the output of layer ``from`` is
  also fed to layer ``to``;
* an optional ``accuracy`` and ``description`` that comparison sheets show;
* ``input`` may be left out (a model with no image shape, such as an LSTM): block
  heights then follow the units where a layer says them (``units``, ``filters`` …),
  else one height, and parameter counts are known only where the units are;
* unknown top-level fields are ignored.

Anything REMAP exports is therefore a valid spec, unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

import msgspec
from msgspec import Meta, Struct

from ._decode_words import duplicate_key_problem, utf8_problem
from ._errors import SpecError

__all__ = [
    "KNOWN_TYPES",
    "AvgPool",
    "BatchNorm",
    "Conv",
    "Dense",
    "Dropout",
    "Flatten",
    "Generic",
    "Input",
    "Layer",
    "MaxPool",
    "ReLU",
    "Sigmoid",
    "Spec",
    "Tanh",
    "checked_json",
    "encode",
    "to_builtins",
]

PositiveInt = Annotated[int, Meta(ge=1)]
Index = Annotated[int, Meta(ge=0)]
Rate = Annotated[float, Meta(ge=0.0, le=1.0)]


class Input(Struct, frozen=True, omit_defaults=True):
    """The data entering the model: ``shape`` is (C, H, W) for images, (N,) for vectors.

    A two-element shape (H, W) is read as one channel.
    """

    shape: Annotated[tuple[PositiveInt, ...], Meta(min_length=1, max_length=3)]
    classes: PositiveInt | None = None


class Layer(Struct, frozen=True, tag_field="type", omit_defaults=True):
    """Base class of the layer structs (a msgspec tagged union on ``type``)."""


class Conv(Layer, tag="conv"):
    """2-D convolution, ``filters`` output channels, square ``kernel``."""

    filters: PositiveInt
    kernel: PositiveInt = 3
    stride: PositiveInt = 1
    padding: Literal["same", "valid"] = "same"
    bias: bool = True


class MaxPool(Layer, tag="maxpool"):
    """Max pooling over ``pool`` × ``pool`` windows; ``stride`` defaults to ``pool``."""

    pool: PositiveInt = 2
    stride: PositiveInt | None = None
    padding: Literal["valid", "same"] = "valid"


class AvgPool(Layer, tag="avgpool"):
    """Average pooling over ``pool`` × ``pool`` windows; ``stride`` defaults to ``pool``."""

    pool: PositiveInt = 2
    stride: PositiveInt | None = None
    padding: Literal["valid", "same"] = "valid"


class Dense(Layer, tag="dense"):
    """Fully connected layer; on C×H×W data it flattens first (as ``flatten`` would)."""

    units: PositiveInt
    bias: bool = True


class Dropout(Layer, tag="dropout"):
    """Dropout with ``rate`` in [0, 1]."""

    rate: Rate


class BatchNorm(Layer, tag="batchnorm"):
    """Batch normalisation (2 trainable parameters per channel or feature)."""


class ReLU(Layer, tag="relu"):
    """Rectified linear unit."""


class Tanh(Layer, tag="tanh"):
    """Hyperbolic tangent."""


class Sigmoid(Layer, tag="sigmoid"):
    """Logistic sigmoid."""


class Flatten(Layer, tag="flatten"):
    """Flattens C×H×W data into a vector."""


class Generic(Layer, tag="generic"):
    """A layer of a type snacs does not know (``lstm``, ``softmax`` …).

    ``kind`` is the original ``type`` and ``fields`` its other fields. It is drawn as a
    grey block labelled with the initial of ``kind``. Shape inference assumes it keeps
    the shape of its input unless ``fields`` has ``"shape"`` (the output shape, a list
    of positive integers); its parameter count is ``fields["params"]`` when given.
    In JSON it is written like any layer: ``{"type": "lstm", "units": 64}``.
    """

    kind: str
    fields: dict[str, Any] = {}


KnownLayer = (
    Conv | MaxPool | AvgPool | Dense | Dropout | BatchNorm | ReLU | Tanh | Sigmoid | Flatten
)
Layer_ = KnownLayer | Generic
KNOWN_TYPES: frozenset[str] = frozenset(cls.__struct_config__.tag for cls in get_args(KnownLayer))


class Spec(Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A sequential architecture: what :func:`snacs.render` draws."""

    name: str = ""
    description: str = ""
    # None: no image shape (an author drawing an LSTM); heights then come from the units
    input: Input | None = None
    layers: tuple[Layer_, ...]
    skips: tuple[tuple[Index, Index], ...] = ()
    accuracy: Annotated[float, Meta(ge=0.0)] | None = None


def checked_json(raw: bytes) -> bytes:
    """`raw`, once it is known to be UTF-8 with no object holding a key twice; else the
    `SpecError` saying where. (Malformed JSON is left to the decoder to name.)"""
    problem = utf8_problem(raw) or duplicate_key_problem(raw)
    if problem is not None:
        raise SpecError(*problem)
    return raw


def to_builtins(spec: Spec) -> dict[str, Any]:
    """The spec as plain JSON-ready Python objects, generic layers written back as
    ``{"type": kind, **fields}``; ``decode(to_builtins(s)) == s``."""
    out = msgspec.to_builtins(spec)
    out["layers"] = list(out["layers"])
    for i, layer in enumerate(spec.layers):
        if isinstance(layer, Generic):
            fields = msgspec.to_builtins(layer.fields)
            out["layers"][i] = {"type": layer.kind} | {
                k: v for k, v in fields.items() if k != "type"
            }
    return out


def encode(spec: Spec) -> bytes:
    """The spec as compact JSON bytes (the inverse of :func:`decode`)."""
    if not any(isinstance(layer, Generic) for layer in spec.layers):
        return msgspec.json.encode(spec)
    return msgspec.json.encode(to_builtins(spec))
