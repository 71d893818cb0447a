"""The architecture JSON of REMAP as msgspec structs, and its decoding.

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
* unknown top-level fields are ignored.

Anything REMAP exports is therefore a valid spec, unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

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
    "decode",
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
KNOWN_TYPES: frozenset[str] = frozenset(
    {
        "conv",
        "maxpool",
        "avgpool",
        "dense",
        "dropout",
        "batchnorm",
        "relu",
        "tanh",
        "sigmoid",
        "flatten",
    }
)


class Spec(Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A sequential architecture: what :func:`snacs.render` draws."""

    name: str = ""
    description: str = ""
    input: Input
    layers: tuple[Layer_, ...]
    skips: tuple[tuple[Index, Index], ...] = ()
    accuracy: Annotated[float, Meta(ge=0.0)] | None = None


# Decoding targets. The fast one knows only the real layer types, so a document with an
# unknown type fails it and takes the slow path, which wraps unknown layers first.
class _KnownSpec(Struct, frozen=True, kw_only=True):
    name: str = ""
    description: str = ""
    input: Input
    layers: tuple[KnownLayer, ...]
    skips: tuple[tuple[Index, Index], ...] = ()
    accuracy: Annotated[float, Meta(ge=0.0)] | None = None


_FAST_DECODER = msgspec.json.Decoder(_KnownSpec)
_ANY_DECODER = msgspec.json.Decoder()


def _promote(k: _KnownSpec | Spec) -> Spec:
    return Spec(
        name=k.name,
        description=k.description,
        input=k.input,
        layers=k.layers,
        skips=k.skips,
        accuracy=k.accuracy,
    )


def _wrap_unknown(obj: Any) -> Any:
    """Rewrite layers of unknown type as ``{"type": "generic", "kind": …, "fields": …}``.

    List positions do not change, so msgspec's error paths still point at the user's
    own document.
    """
    if not isinstance(obj, dict):
        return obj
    layers = obj.get("layers")
    if not isinstance(layers, list):
        return obj
    new_layers = []
    changed = False
    for layer in layers:
        if isinstance(layer, dict):
            t = layer.get("type")
            if isinstance(t, str) and t not in KNOWN_TYPES:
                fields = {k: v for k, v in layer.items() if k != "type"}
                layer = {"type": "generic", "kind": t, "fields": fields}
                changed = True
        new_layers.append(layer)
    if not changed:
        return obj
    out = dict(obj)
    out["layers"] = new_layers
    return out


def _looks_like_keras(obj: Any) -> bool:
    return isinstance(obj, dict) and "class_name" in obj and "config" in obj and "layers" not in obj


def _check_skips(spec: Spec) -> Spec:
    n = len(spec.layers)
    for j, (u, v) in enumerate(spec.skips):
        if not u < v < n:
            raise SpecError(
                f"skip [{u}, {v}] must go forward from one layer to a later one "
                f"(indices 0..{n - 1})",
                f"$.skips[{j}]",
            )
    return spec


_SPEC_DECODER = msgspec.json.Decoder(Spec)


def _decode_wrapped(obj: Any) -> Spec:
    # Through JSON rather than msgspec.convert: the error wording is then the same
    # whatever form the spec came in.
    try:
        data = msgspec.json.encode(_wrap_unknown(obj))
    except (TypeError, msgspec.EncodeError) as e:
        raise SpecError(f"Not JSON data: {e}") from None
    try:
        return _check_skips(_SPEC_DECODER.decode(data))
    except msgspec.ValidationError as e:
        raise SpecError.from_msgspec(e) from None


def _from_builtins(obj: Any) -> Spec:
    if _looks_like_keras(obj):
        from ._keras import from_keras

        return from_keras(obj)
    return _decode_wrapped(obj)


def decode(data: Spec | dict[str, Any] | str | bytes | bytearray | memoryview) -> Spec:
    """Return the :class:`Spec` for a dict, JSON text or bytes (or a Spec, unchanged).

    A Keras ``model.to_json()`` document is recognised and converted (see
    :func:`snacs.from_keras`). Raises :class:`SpecError` with msgspec's message and the
    JSON path of the offending field, e.g. ``Expected `float` <= 1.0 - at
    `$.layers[2].rate```.
    """
    if isinstance(data, Spec):
        return _check_skips(data)
    if not isinstance(data, dict | str | bytes | bytearray | memoryview):
        raise SnacsTypeError(data)
    try:
        return _decode(data)
    except UnicodeDecodeError as e:  # msgspec's, for bad UTF-8 inside a JSON string
        raise SpecError(f"not UTF-8 text ({e.reason})", "$") from None
    except RecursionError:  # JSON nested deeper than the interpreter's stack
        raise SpecError("JSON nested too deeply to read", "$") from None


def _decode(data: dict[str, Any] | str | bytes | bytearray | memoryview) -> Spec:
    if isinstance(data, dict):
        return _from_builtins(data)
    if isinstance(data, str):
        data = data.encode()
    try:
        return _check_skips(_promote(_FAST_DECODER.decode(data)))
    except msgspec.ValidationError as e:
        first = e  # unknown layer types, Keras JSON, or a real error
    except msgspec.DecodeError as e:
        raise SpecError.from_msgspec(e) from None
    obj = _ANY_DECODER.decode(data)
    if _looks_like_keras(obj):
        return _from_builtins(obj)
    if _wrap_unknown(obj) is obj:  # nothing unknown: the first error is the real one
        raise SpecError.from_msgspec(first) from None
    return _decode_wrapped(obj)


class SnacsTypeError(SpecError, TypeError):
    """Raised when a spec is neither a Spec, a dict, nor JSON text or bytes."""

    def __init__(self, data: object) -> None:
        super().__init__(
            f"a spec must be a snacs.Spec, a dict, or JSON text or bytes, not {type(data).__name__}"
        )


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
