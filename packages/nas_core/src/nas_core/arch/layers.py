"""The architecture JSON of DESIGN.md as msgspec structs, and every rule of each layer type.

How to add a layer type
-----------------------
A layer type is one class here: its struct (fields, JSON tag) and its rules, written as
class attributes and methods. Shape inference, parameter and FLOP counts, validation,
the torch module, the OTMANN graph and the diff's words all dispatch on the class
(`nas_core.arch.shapes`, `.graph`, `.diff`, `nas_core.training.module` name no type).
To add one, e.g. ``"minpool"``:

1. Here, write ``class MinPool(_Pool, tag="minpool")`` beside its siblings, with its
   fields (msgspec constraints), a docstring (it becomes the JSON Schema's description)
   and the rules that differ from `_Layer`'s defaults (an element-wise layer without
   parameters or FLOPs, such as dropout): ``check`` (where it is defined; field
   constraints), ``out_shape``, ``params`` (torch's count), ``flops``, ``makes_flat``,
   ``torch_module``, ``graph_label`` / ``graph_units`` (OTMANN's vocabularies; a new
   label must be one `distances` knows), ``keras_name`` / ``keras_fields`` (the words
   of `describe_changes`). Add it to the ``Layer`` union below: ``LAYER_TYPES``,
   ``ACTIVATION_TYPES``, the diff's names and `nas_core.arch`'s exports follow from it.
2. Regenerate the JSON Schema: ``python -m nas_core.arch``.
3. The generators' table: its row in ``nas_core.generators.chain.KINDS``, its state
   and kind in ``nas_core.generators.search_space`` and its weights in
   ``generators/tables/default-v1.json``. (A new activation subclasses `_Activation`
   and needs none of these, only its tag in the ``activation`` grid of
   ``search_space.Grids``.)

``packages/nas_core/tests/test_arch_layer_rules.py`` fails for a type that misses a rule
or a row; CONTRIBUTING.md lists what changes outside nas_core (snacs, the UI).

The JSON
--------
An architecture is a sequential model: an input (channels, height, width; classes)
and a list of layers, each a JSON object tagged by ``"type"``::

    {"name": "m17", "input": {"shape": [1, 8, 8], "classes": 10},
     "layers": [{"type": "conv", "filters": 32, "kernel": 3},
                {"type": "relu"}, {"type": "maxpool", "pool": 2},
                {"type": "dropout", "rate": 0.25}, {"type": "flatten"},
                {"type": "dense", "units": 10}]}

The semantics are torch's (the training issue builds the module from these and holds
the parameter counts of `nas_core.arch.infer` to torch's count):

- ``conv``: ``Conv2d(in, filters, kernel, stride, padding=kernel // 2)`` with a bias,
  "same" padding at stride 1.
- ``maxpool`` / ``avgpool``: ``MaxPool2d(pool, stride=pool)`` /
  ``AvgPool2d(pool, stride=pool)``, floor mode, no padding: the stride equals the pool
  size (Keras' default), so the spatial size becomes ``floor(size / pool)``.
- ``dense``: ``Linear(in_features, units)``; needs a flat input, so a ``flatten``
  precedes the first dense. The last dense is the classifier (``units == classes``,
  logits for ``CrossEntropyLoss``: no softmax layer).
- ``batchnorm``: ``BatchNorm2d(C)`` on an image, ``BatchNorm1d(N)`` on a flat input.
- ``dropout``: element-wise ``Dropout(rate)``; ``relu`` / ``tanh`` / ``sigmoid``;
  ``flatten``: ``Flatten()``.

FLOPs (per example, one forward pass, a multiply-add counted as 2; see
`nas_core.arch.shapes`):

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

from typing import Annotated, Any, ClassVar, Literal, get_args

import msgspec

from nas_core.errors import ArchitectureError

__all__ = [
    "ACTIVATION_TYPES",
    "LAYER_TYPES",
    "Architecture",
    "AvgPool",
    "BatchNorm",
    "Conv",
    "Dense",
    "Dropout",
    "Flatten",
    "Input",
    "Layer",
    "Limits",
    "MaxPool",
    "ReLU",
    "Sigmoid",
    "Tanh",
]

PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
Kernel = Literal[3, 5, 7]
Rate = Annotated[float, msgspec.Meta(gt=0.0, lt=1.0)]
Shape = tuple[int, ...]


class Input(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """The input of a model: ``shape`` is (channels, height, width); ``classes`` the
    number of output classes."""

    shape: tuple[PositiveInt, PositiveInt, PositiveInt]
    classes: Annotated[int, msgspec.Meta(ge=2)]


def _size(shape: Shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _fmt(shape: Shape) -> str:
    return "×".join(str(d) for d in shape)


def _positive(i: int, kind: str, field: str, value: object) -> None:
    if type(value) is not int or value < 1:
        raise ArchitectureError(i, f"{kind} {field} must be a positive integer, not {value!r}")


def _image_only(i: int, kind: str, flat_by: str | None) -> None:
    if flat_by is not None:
        raise ArchitectureError(i, f"{kind} after {flat_by}")


class _Layer(msgspec.Struct, tag_field="type", forbid_unknown_fields=True, frozen=True, gc=False):
    """Base of every layer struct (tagged on ``"type"``). Its class attributes and
    methods are a layer type's rules; the defaults are an element-wise layer without
    parameters or FLOPs (as dropout is at inference)."""

    keras_name: ClassVar[str]
    """Its name in the diff's words (Keras', as in the REMAP paper): ``"Conv2D"``."""
    keras_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    """``(field, Keras' name)`` of each parameter, for the diff's words."""
    makes_flat: ClassVar[bool] = False
    """Whether its output is flat (a vector): the layers after it see ``flat_by``."""

    def check(self, i: int, shape: Shape, flat_by: str | None) -> None:
        """Raise `ArchitectureError` naming layer `i` where this layer is undefined on an
        input of `shape` (``flat_by``: the type of the layer that made the data flat, or
        ``None``), or where a field breaks a constraint that msgspec checks on decoding
        but not on direct construction."""

    def out_shape(self, shape: Shape) -> Shape:
        """Its output shape on an input of `shape` (``check`` has passed)."""
        return shape

    def params(self, shape: Shape) -> int:
        """Its parameters on an input of `shape`, as torch counts them."""
        return 0

    def flops(self, shape: Shape, out: Shape) -> int:
        """Its FLOPs per example from an input of `shape` to an output of `out`."""
        return 0

    def torch_module(self, nn: Any, shape: Shape) -> Any:
        """Its torch module on an input of `shape`; `nn` is ``torch.nn`` (passed in, so
        that nas_core.arch never imports torch)."""
        raise NotImplementedError(f"{type(self).__name__} has no torch module")

    def graph_label(self, vocabulary: str) -> str | None:
        """Its node label in OTMANN's `vocabulary` (``"nasbot"`` or ``"remap"``, see
        `nas_core.arch.graph`), ``None`` for no node: by default no node in NASBOT's,
        a node named by its type in REMAP's."""
        return None if vocabulary == "nasbot" else type(self).__struct_config__.tag

    def graph_units(self) -> int | None:
        """The units of its graph node (a conv's filters, a dense's units) or ``None``."""
        return None


class Conv(_Layer, tag="conv"):
    """2-D convolution with a bias and padding ``kernel // 2`` ("same" at stride 1)."""

    filters: PositiveInt
    kernel: Kernel = 3
    stride: PositiveInt = 1

    keras_name = "Conv2D"
    keras_fields = (("filters", "filters"), ("kernel", "kernel_size"), ("stride", "strides"))

    def check(self, i: int, shape: Shape, flat_by: str | None) -> None:
        if self.kernel not in (3, 5, 7):
            raise ArchitectureError(i, f"conv kernel must be 3, 5 or 7, not {self.kernel!r}")
        _positive(i, "conv", "filters", self.filters)
        _positive(i, "conv", "stride", self.stride)
        _image_only(i, "conv", flat_by)

    def out_shape(self, shape: Shape) -> Shape:
        _, h, w = shape
        k, s = self.kernel, self.stride
        pad = k // 2
        return (self.filters, (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1)

    def params(self, shape: Shape) -> int:
        return self.filters * shape[0] * self.kernel * self.kernel + self.filters

    def flops(self, shape: Shape, out: Shape) -> int:
        return 2 * shape[0] * self.kernel * self.kernel * _size(out)

    def torch_module(self, nn: Any, shape: Shape) -> Any:
        k = self.kernel
        return nn.Conv2d(shape[0], self.filters, k, self.stride, padding=k // 2)

    def graph_label(self, vocabulary: str) -> str | None:
        return f"conv{self.kernel}"

    def graph_units(self) -> int | None:
        return self.filters


class _Pool(_Layer):
    """Base of the pools: ``pool`` × ``pool`` windows at stride ``pool``, floor mode."""

    pool: PositiveInt = 2

    keras_fields = (("pool", "pool_size"),)
    graph_name: ClassVar[str]
    """Its NASBOT label; REMAP's adds the pool size (``max-pool2``)."""

    def check(self, i: int, shape: Shape, flat_by: str | None) -> None:
        kind = type(self).__struct_config__.tag
        _positive(i, kind, "pool", self.pool)
        _image_only(i, kind, flat_by)
        _, h, w = shape
        p = self.pool
        if p > h or p > w:
            raise ArchitectureError(
                i, f"{kind} of {p} on a {h}×{w} input: the spatial size would fall below 1×1"
            )

    def out_shape(self, shape: Shape) -> Shape:
        c, h, w = shape
        return (c, h // self.pool, w // self.pool)

    def flops(self, shape: Shape, out: Shape) -> int:
        return self.pool * self.pool * _size(out)

    def graph_label(self, vocabulary: str) -> str | None:
        return self.graph_name if vocabulary == "nasbot" else f"{self.graph_name}{self.pool}"


class MaxPool(_Pool, tag="maxpool"):
    """Max pooling over ``pool`` × ``pool`` windows with stride ``pool`` (floor mode)."""

    keras_name = "MaxPool"
    graph_name = "max-pool"

    def torch_module(self, nn: Any, shape: Shape) -> Any:
        return nn.MaxPool2d(self.pool, stride=self.pool)


class AvgPool(_Pool, tag="avgpool"):
    """Average pooling over ``pool`` × ``pool`` windows with stride ``pool`` (floor mode)."""

    keras_name = "AvgPool"
    graph_name = "avg-pool"

    def torch_module(self, nn: Any, shape: Shape) -> Any:
        return nn.AvgPool2d(self.pool, stride=self.pool)


class Dense(_Layer, tag="dense"):
    """Fully connected layer on a flat input; the last one is the classifier."""

    units: PositiveInt

    keras_name = "Dense"
    keras_fields = (("units", "units"),)
    makes_flat = True

    def check(self, i: int, shape: Shape, flat_by: str | None) -> None:
        _positive(i, "dense", "units", self.units)
        if flat_by is None:
            raise ArchitectureError(
                i, f"dense needs a flatten before it (its input is {_fmt(shape)})"
            )

    def out_shape(self, shape: Shape) -> Shape:
        return (self.units,)

    def params(self, shape: Shape) -> int:
        return shape[0] * self.units + self.units

    def flops(self, shape: Shape, out: Shape) -> int:
        return 2 * shape[0] * self.units

    def torch_module(self, nn: Any, shape: Shape) -> Any:
        return nn.Linear(shape[0], self.units)

    def graph_label(self, vocabulary: str) -> str | None:
        return "fc"  # the last dense, the classifier, is "softmax" (`nas_core.arch.graph`)

    def graph_units(self) -> int | None:
        return self.units


class Dropout(_Layer, tag="dropout"):
    """Element-wise dropout with probability ``rate`` (0 < rate < 1)."""

    rate: Rate

    keras_name = "Dropout"
    keras_fields = (("rate", "rate"),)

    def check(self, i: int, shape: Shape, flat_by: str | None) -> None:
        if not (isinstance(self.rate, int | float) and 0.0 < self.rate < 1.0):
            raise ArchitectureError(i, f"dropout rate must be in (0, 1), not {self.rate!r}")

    def torch_module(self, nn: Any, shape: Shape) -> Any:
        return nn.Dropout(self.rate)


class BatchNorm(_Layer, tag="batchnorm"):
    """Batch normalisation: ``BatchNorm2d`` on an image, ``BatchNorm1d`` on a flat input."""

    keras_name = "BatchNorm"

    def params(self, shape: Shape) -> int:
        return 2 * shape[0]

    def flops(self, shape: Shape, out: Shape) -> int:
        return 2 * _size(shape)

    def torch_module(self, nn: Any, shape: Shape) -> Any:
        norm = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
        return norm(shape[0])


class _Activation(_Layer):
    """Base of the activations: one "activation" parameter in the diff's words (as the
    one Activation layer of the original REMAP) and one kind in the generators."""

    keras_fields = (("activation", "activation"),)

    def flops(self, shape: Shape, out: Shape) -> int:
        return _size(shape)


class ReLU(_Activation, tag="relu"):
    """Rectified linear unit."""

    keras_name = "ReLU"

    def torch_module(self, nn: Any, shape: Shape) -> Any:
        return nn.ReLU()


class Tanh(_Activation, tag="tanh"):
    """Hyperbolic tangent."""

    keras_name = "Tanh"

    def torch_module(self, nn: Any, shape: Shape) -> Any:
        return nn.Tanh()


class Sigmoid(_Activation, tag="sigmoid"):
    """Logistic sigmoid."""

    keras_name = "Sigmoid"

    def torch_module(self, nn: Any, shape: Shape) -> Any:
        return nn.Sigmoid()


class Flatten(_Layer, tag="flatten"):
    """Flattens (channels, height, width) into one vector; required before the first dense."""

    keras_name = "Flatten"
    makes_flat = True

    def check(self, i: int, shape: Shape, flat_by: str | None) -> None:
        if flat_by is not None:
            raise ArchitectureError(i, f"flatten after {flat_by}: the input is already flat")

    def out_shape(self, shape: Shape) -> Shape:
        return (_size(shape),)

    def torch_module(self, nn: Any, shape: Shape) -> Any:
        return nn.Flatten()

    def graph_label(self, vocabulary: str) -> str | None:
        return None


# The one list of the layer types: everything below and in the modules that use them
# (exports, diff words, generators' checks) is derived from it.
Layer = Conv | MaxPool | AvgPool | Dense | Dropout | BatchNorm | ReLU | Tanh | Sigmoid | Flatten

LAYER_TYPES: dict[str, type] = {cls.__struct_config__.tag: cls for cls in get_args(Layer)}
"""Layer struct by its ``"type"`` tag."""

ACTIVATION_TYPES: dict[str, type] = {
    tag: cls for tag, cls in LAYER_TYPES.items() if issubclass(cls, _Activation)
}
"""The activation layers by tag (they are one "activation" kind in the generators)."""


class Architecture(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """A sequential model: a name, its input, and its layers in order."""

    name: Annotated[str, msgspec.Meta(min_length=1)]
    input: Input
    layers: tuple[Layer, ...]


class Limits(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """The size cap of a session: at most ``max_params`` parameters, ``max_depth``
    layers (every entry of ``layers`` counts, flatten and activations included) and
    ``max_flops`` FLOPs per example (one forward pass, see `count_flops`).

    The FLOPs cap is ours, not the original REMAP's: REMAP looks for models small
    enough for a phone, and on small inputs the parameter cap alone lets through
    models that cost a hundred times the median's compute (a 7×7 conv from 128 to 128
    channels on 8×8 digits is 100 MFLOPs and under 1 M parameters), which would
    dominate every batch of trainings while no better than far cheaper models."""

    max_params: PositiveInt = 1_000_000
    max_depth: PositiveInt = 32
    max_flops: PositiveInt = 20_000_000
