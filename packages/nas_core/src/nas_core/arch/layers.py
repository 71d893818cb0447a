"""The architecture JSON of DESIGN.md as msgspec structs.

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
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

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


class Input(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """The input of a model: ``shape`` is (channels, height, width); ``classes`` the
    number of output classes."""

    shape: tuple[PositiveInt, PositiveInt, PositiveInt]
    classes: Annotated[int, msgspec.Meta(ge=2)]


class _Layer(msgspec.Struct, tag_field="type", forbid_unknown_fields=True, frozen=True, gc=False):
    """Base of every layer struct (tagged on ``"type"``)."""


class Conv(_Layer, tag="conv"):
    """2-D convolution with a bias and padding ``kernel // 2`` ("same" at stride 1)."""

    filters: PositiveInt
    kernel: Kernel = 3
    stride: PositiveInt = 1


class MaxPool(_Layer, tag="maxpool"):
    """Max pooling over ``pool`` × ``pool`` windows with stride ``pool`` (floor mode)."""

    pool: PositiveInt = 2


class AvgPool(_Layer, tag="avgpool"):
    """Average pooling over ``pool`` × ``pool`` windows with stride ``pool`` (floor mode)."""

    pool: PositiveInt = 2


class Dense(_Layer, tag="dense"):
    """Fully connected layer on a flat input; the last one is the classifier."""

    units: PositiveInt


class Dropout(_Layer, tag="dropout"):
    """Element-wise dropout with probability ``rate`` (0 < rate < 1)."""

    rate: Rate


class BatchNorm(_Layer, tag="batchnorm"):
    """Batch normalisation: ``BatchNorm2d`` on an image, ``BatchNorm1d`` on a flat input."""


class ReLU(_Layer, tag="relu"):
    """Rectified linear unit."""


class Tanh(_Layer, tag="tanh"):
    """Hyperbolic tangent."""


class Sigmoid(_Layer, tag="sigmoid"):
    """Logistic sigmoid."""


class Flatten(_Layer, tag="flatten"):
    """Flattens (channels, height, width) into one vector; required before the first dense."""


Layer = Conv | MaxPool | AvgPool | Dense | Dropout | BatchNorm | ReLU | Tanh | Sigmoid | Flatten

LAYER_TYPES: dict[str, type] = {
    cls.__struct_config__.tag: cls
    for cls in (Conv, MaxPool, AvgPool, Dense, Dropout, BatchNorm, ReLU, Tanh, Sigmoid, Flatten)
}
"""Layer struct by its ``"type"`` tag."""

ACTIVATION_TYPES: dict[str, type] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
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
