"""The pieces the generators share: the generators' table (`KINDS`: each kind of the
chain, its layer types and the grids of its parameters), a portable seeded random
stream, the chain's next-kind weights, and drawing a layer's hyper-parameters from the
grids.

Determinism: every draw goes through `Stream`, which uses only
``random.Random(seed).random()`` (Mersenne Twister, the same double on every
platform and Python version) and plain float arithmetic, and every choice walks its
options in a fixed order (never a dict's or a set's iteration order). The same seed,
table, input and limits give the same architectures on any machine.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, NamedTuple, TypeVar

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


class Kind(NamedTuple):
    """One row of the generators' table: a kind of the chain."""

    types: tuple[type, ...]
    """The layer types it stands for (one, or the activations)."""
    grids: tuple[str, ...]
    """Its parameters, in the order they are drawn, each from the grid of its name
    (``"activation"``: which activation type)."""


# The generators' table: the chain's kinds but the classifier (a dense with one unit
# per class). A new layer type adds its row here, its state and kind to `search_space`
# and its weights to tables/default-v1.json.
KINDS: dict[str, Kind] = {
    "conv": Kind((Conv,), ("filters", "kernel")),
    "maxpool": Kind((MaxPool,), ("pool",)),
    "avgpool": Kind((AvgPool,), ("pool",)),
    "dense": Kind((Dense,), ("units",)),
    "dropout": Kind((Dropout,), ("rate",)),
    "batchnorm": Kind((BatchNorm,), ()),
    "activation": Kind(tuple(ACTIVATION_TYPES.values()), ("activation",)),
}

WINDOW_GRIDS = frozenset({"kernel", "pool"})
"""The grids of window sizes: only the sizes that fit the spatial size are drawn."""

# the chain's name for each layer type; flatten is not a state of the chain
CHAIN_KIND: dict[str, str | None] = {
    **{cls.__struct_config__.tag: kind for kind, row in KINDS.items() for cls in row.types},
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


def grid_values(space: SearchSpace, grid: str, shape: tuple[int, ...]) -> list[Any]:
    """The values of `grid` that can be drawn on an input of `shape` (window sizes: only
    those that fit it)."""
    values = list(getattr(space.grids, grid))
    return fitting(values, shape) if grid in WINDOW_GRIDS else values


def fits(space: SearchSpace, kind: str, shape: tuple[int, ...]) -> bool:
    """Whether a layer of `kind` can be drawn on an input of `shape`: convs and pools
    need an image and a kernel / pool size from the grid that fits it."""
    row = KINDS.get(kind)
    return row is None or all(grid_values(space, g, shape) for g in row.grids if g in WINDOW_GRIDS)


def make_layer(kind: str, values: dict[str, Any]) -> object:
    """The layer of `kind` (a row of `KINDS`) with the parameters `values`."""
    if kind == "activation":
        return ACTIVATION_TYPES[values["activation"]]()
    return KINDS[kind].types[0](**values)


def draw_layer(
    stream: Stream, space: SearchSpace, kind: str, shape: tuple[int, ...], classes: int
) -> object:
    """A layer of `kind` with hyper-parameters drawn from the grids (uniformly, in the
    order of its row of `KINDS`: filters then kernel); kernels and pools only among
    those that fit `shape`."""
    if kind == "classifier":
        return Dense(units=classes)
    if kind not in KINDS:
        raise ValueError(f"unknown layer kind {kind!r}")
    values = {g: stream.choice(grid_values(space, g, shape)) for g in KINDS[kind].grids}
    return make_layer(kind, values)
