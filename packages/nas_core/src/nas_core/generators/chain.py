"""The pieces the generators share: a portable seeded random stream, the chain's
next-kind weights, and drawing a layer's hyper-parameters from the grids.

Determinism: every draw goes through `Stream`, which uses only
``random.Random(seed).random()`` (Mersenne Twister, the same double on every
platform and Python version) and plain float arithmetic, and every choice walks its
options in a fixed order (never a dict's or a set's iteration order). The same seed,
table, input and limits give the same architectures on any machine.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

from nas_core.arch.layers import (
    ACTIVATION_TYPES,
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    MaxPool,
)
from nas_core.arch.shapes import layer_type

from .search_space import AFTER_DENSE_KINDS, BEFORE_DENSE_KINDS, SearchSpace

T = TypeVar("T")

# the chain's name for each layer type; flatten is not a state of the chain
CHAIN_KIND: dict[str, str | None] = {
    "conv": "conv",
    "maxpool": "maxpool",
    "avgpool": "avgpool",
    "dense": "dense",
    "dropout": "dropout",
    "batchnorm": "batchnorm",
    "relu": "activation",
    "tanh": "activation",
    "sigmoid": "activation",
    "flatten": None,
}


class Stream:
    """A seeded stream of draws (see the module for why only ``random()`` is used)."""

    def __init__(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"a seed is a non-negative integer, not {seed!r}")
        self._random = random.Random(seed).random

    def below(self, n: int) -> int:
        """A uniform integer in ``range(n)``."""
        return min(int(self._random() * n), n - 1)

    def choice(self, options: Sequence[T]) -> T:
        """A uniform choice among `options`, in their order."""
        return options[self.below(len(options))]

    def weighted(self, options: Sequence[tuple[T, float]]) -> T:
        """A choice among ``(option, weight)`` pairs with positive total weight."""
        total = sum(w for _, w in options)
        u = self._random() * total
        acc = 0.0
        for option, weight in options:
            acc += weight
            if u < acc and weight > 0:
                return option
        return next(o for o, w in reversed(options) if w > 0)  # u rounded up to total

    def distinct(self, options: Sequence[T], k: int) -> list[T]:
        """`k` distinct options, drawn one by one without replacement."""
        pool = list(options)
        return [pool.pop(self.below(len(pool))) for _ in range(min(k, len(pool)))]


def chain_kind(layer: object) -> str | None:
    """The chain's kind of a layer (``activation`` for relu/tanh/sigmoid), or ``None``
    for flatten."""
    return CHAIN_KIND[layer_type(layer)]


def next_weights(space: SearchSpace, prev: str, flat: bool) -> list[tuple[str, float]]:
    """The row for state `prev` (``"start"`` or a chain kind) as ``(kind, weight)`` in
    the fixed kind order. A state without a row of its own (a handcrafted parent may
    hold one) uses the row of ``dense`` once the data is flat, else ``start``."""
    if flat:
        row = space.transitions_after_dense.get(prev) or space.transitions_after_dense["dense"]
        return [(k, row.get(k, 0.0)) for k in AFTER_DENSE_KINDS]
    row = space.transitions.get(prev) or space.transitions["start"]
    return [(k, row.get(k, 0.0)) for k in BEFORE_DENSE_KINDS]


def fitting(values: Sequence[int], shape: tuple[int, ...]) -> list[int]:
    """The window sizes (pools, kernels) no larger than the spatial size of `shape`."""
    if len(shape) != 3:
        return []
    return [v for v in values if v <= shape[1] and v <= shape[2]]


def fits(space: SearchSpace, kind: str, shape: tuple[int, ...]) -> bool:
    """Whether a layer of `kind` can be drawn on an input of `shape`: convs and pools
    need an image and a kernel / pool size from the grid that fits it."""
    if kind == "conv":
        return bool(fitting(space.grids.kernel, shape))
    if kind in ("maxpool", "avgpool"):
        return bool(fitting(space.grids.pool, shape))
    return True


def draw_layer(
    stream: Stream, space: SearchSpace, kind: str, shape: tuple[int, ...], classes: int
) -> object:
    """A layer of `kind` with hyper-parameters drawn from the grids (uniformly, in the
    order filters then kernel); kernels and pools only among those that fit `shape`."""
    grids = space.grids
    if kind == "conv":
        filters = stream.choice(grids.filters)
        return Conv(filters=filters, kernel=stream.choice(fitting(grids.kernel, shape)))
    if kind == "maxpool":
        return MaxPool(pool=stream.choice(fitting(grids.pool, shape)))
    if kind == "avgpool":
        return AvgPool(pool=stream.choice(fitting(grids.pool, shape)))
    if kind == "dense":
        return Dense(units=stream.choice(grids.units))
    if kind == "dropout":
        return Dropout(rate=stream.choice(grids.rate))
    if kind == "activation":
        return ACTIVATION_TYPES[stream.choice(grids.activation)]()
    if kind == "batchnorm":
        return BatchNorm()
    if kind == "classifier":
        return Dense(units=classes)
    raise ValueError(f"unknown layer kind {kind!r}")
