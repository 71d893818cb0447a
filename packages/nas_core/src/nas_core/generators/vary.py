"""Variations: children with a few random atomic changes (paper 5.4, Fig. 3b).

Each child gets k changes, k drawn uniformly from 1..``max_changes``, at k distinct
layers drawn uniformly among those where an allowed change applies; each layer's
change kind is drawn uniformly among the kinds the user allowed for it that apply:

- ``prepend``: a new layer before this one, its kind drawn from the chain given the
  layer before it (its row in the table; ``start`` at index 0), among the kinds that
  can stand there (no dense or classifier while the data is an image; convs and pools
  only where a size from the grid fits), its parameters from the grids;
- ``remove``: the layer removed;
- ``replace``: the layer replaced by one of another kind, drawn as for ``prepend``;
- ``reparameterize``: one parameter (filters, kernel, pool, units, rate, or which
  activation) changed to another value of its grid (kernels and pools: one that fits).

The classifier only takes ``prepend``; the flatten takes ``prepend`` alone too
(removing or replacing it can never give a valid model). The changes of a child are
applied from the last layer to the first, so every index is the parent's. A child
that is invalid or not new (same as the parent, a model in `existing`, or an earlier
child) is skipped with its reason and another attempt is made; if `count` children
cannot be made within the attempt budget, `GeneratorError` says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from nas_core.arch.canonical import arch_hash
from nas_core.arch.diff import (
    Change,
    Prepend,
    Remove,
    Reparameterize,
    Replace,
    apply_changes,
    describe_change_list,
    layer_fields,
)
from nas_core.arch.layers import Architecture, Limits
from nas_core.arch.shapes import layer_type
from nas_core.arch.validate import validate
from nas_core.errors import ArchitectureError, GeneratorError

from ._common import checked_parent, in_shapes, summarize
from .chain import KINDS, Stream, chain_kind, draw_layer, fits, grid_values, next_weights
from .results import Child, Skipped
from .search_space import SearchSpace

__all__ = ["VARIATION_KINDS", "allow_all", "vary"]

VARIATION_KINDS: tuple[str, ...] = ("prepend", "remove", "replace", "reparameterize")


def allow_all(
    parent: Architecture, kinds: Iterable[str] = VARIATION_KINDS
) -> dict[int, frozenset[str]]:
    """`kinds` allowed at every layer of `parent` (the default of the variations tab)."""
    chosen = frozenset(kinds)
    return dict.fromkeys(range(len(parent.layers)), chosen)


class _Parent:
    """What vary needs to know about the parent, computed once (its layer infos, and
    per layer what may be inserted or reparameterized there: the same questions come
    back at every attempt)."""

    def __init__(self, parent: Architecture, space: SearchSpace, limits: Limits) -> None:
        self.arch = parent
        self.space = space
        self.infos = checked_parent(parent, limits)
        self.shapes = in_shapes(parent, self.infos)
        self.last = len(parent.layers) - 1
        self._insertable: dict[tuple[int, str | None], list[tuple[str, float]]] = {}
        self._reparameterizable: dict[int, list[tuple[str, list]]] = {}

    def previous_state(self, i: int) -> str:
        for layer in reversed(self.arch.layers[:i]):
            kind = chain_kind(layer)
            if kind is not None:
                return kind
        return "start"

    def insertable(self, i: int, exclude: str | None = None) -> list[tuple[str, float]]:
        """Kinds (with their chain weights) that a new layer at position i can have."""
        known = self._insertable.get((i, exclude))
        if known is None:
            known = self._insertable[i, exclude] = self._kinds_at(i, exclude)
        return known

    def _kinds_at(self, i: int, exclude: str | None) -> list[tuple[str, float]]:
        shape = self.shapes[i]
        flat = len(shape) == 1
        return [
            (kind, weight)
            for kind, weight in next_weights(self.space, self.previous_state(i), flat)
            if weight > 0
            and kind not in ("classifier", exclude)
            and (flat or kind != "dense")
            and fits(self.space, kind, shape)
        ]

    def reparameterizable(self, i: int) -> list[tuple[str, list]]:
        """``(field, other values)`` for each parameter of layer i with another value."""
        known = self._reparameterizable.get(i)
        if known is None:
            known = self._reparameterizable[i] = self._other_values(i)
        return known

    def _other_values(self, i: int) -> list[tuple[str, list]]:
        layer = self.arch.layers[i]
        kind = chain_kind(layer)
        if kind is None or (kind == "dense" and i == self.last):
            return []  # flatten has no parameters; the classifier's units are the classes
        shape, current = self.shapes[i], layer_fields(layer)
        options = [
            (f, [v for v in grid_values(self.space, f, shape) if v != current[f]])
            for f in KINDS[kind].grids
        ]
        return [(field, values) for field, values in options if values]

    def applicable(self, i: int) -> tuple[str, ...]:
        kinds = []
        if self.insertable(i):
            kinds.append("prepend")
        fixed = i == self.last or layer_type(self.arch.layers[i]) == "flatten"
        if not fixed:
            kinds.append("remove")
            if self.insertable(i, exclude=chain_kind(self.arch.layers[i])):
                kinds.append("replace")
        if self.reparameterizable(i):
            kinds.append("reparameterize")
        return tuple(kinds)

    def change(self, stream: Stream, kind: str, i: int) -> Change:
        if kind == "remove":
            return Remove(i)
        if kind == "reparameterize":
            field, values = stream.choice(self.reparameterizable(i))
            return Reparameterize(
                i, field, layer_fields(self.arch.layers[i])[field], stream.choice(values)
            )
        exclude = chain_kind(self.arch.layers[i]) if kind == "replace" else None
        new_kind = stream.weighted(self.insertable(i, exclude))
        layer = draw_layer(stream, self.space, new_kind, self.shapes[i], self.arch.input.classes)
        return Replace(i, layer) if kind == "replace" else Prepend(i, layer)


def _options(p: _Parent, allowed: Mapping[int, Iterable[str]]) -> dict[int, tuple[str, ...]]:
    n = len(p.arch.layers)
    options: dict[int, tuple[str, ...]] = {}
    refused: list[str] = []
    for index in sorted(allowed):
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
            raise GeneratorError(
                f"allowed changes name layer {index!r}, but the parent has layers 0 to {n - 1}"
            )
        kinds = frozenset(allowed[index])
        unknown = sorted(kinds - set(VARIATION_KINDS))
        if unknown:
            raise GeneratorError(
                f"unknown change kind {', '.join(map(repr, unknown))} for layer {index}: "
                f"use {', '.join(VARIATION_KINDS)}"
            )
        applicable = p.applicable(index)
        chosen = tuple(k for k in VARIATION_KINDS if k in kinds and k in applicable)
        if chosen:
            options[index] = chosen
        elif kinds:
            what = layer_type(p.arch.layers[index])
            refused.append(f"layer {index} ({what}) takes none of {', '.join(sorted(kinds))}")
    if not options:
        detail = "; ".join(refused) if refused else "no layer allows any change"
        raise GeneratorError(f"no allowed change applies to {p.arch.name!r}: {detail}")
    return options


def vary(
    parent: Architecture,
    count: int,
    *,
    seed: int,
    allowed: Mapping[int, Iterable[str]],
    max_changes: int = 2,
    space: SearchSpace,
    limits: Limits,
    existing: frozenset[str] = frozenset(),
    max_attempts: int | None = None,
) -> tuple[list[Child], list[Skipped]]:
    """`count` new, valid variations of `parent` (see the module).

    `allowed` maps a layer index (any index: 10 and above included) to the change
    kinds allowed there; layers it leaves out are not changed. `existing` holds the
    `arch_hash` of the session's models. Returns the children (named
    ``f"{parent.name}-v{k}"``, placeholders) and the skipped attempts; raises
    `GeneratorError` when no allowed change applies or `count` children cannot be
    made in `max_attempts` (default ``50 * count + 50``) attempts.
    """
    if count < 0:
        raise GeneratorError(f"count must be >= 0, not {count}")
    if max_changes < 1:
        raise GeneratorError(f"max_changes must be >= 1, not {max_changes}")
    p = _Parent(parent, space, limits)
    options = _options(p, allowed)
    indices = sorted(options)
    stream = Stream(seed)
    budget = 50 * count + 50 if max_attempts is None else max_attempts
    seen = set(existing) | {arch_hash(parent)}
    made: dict[str, int] = {}
    children: list[Child] = []
    skipped: list[Skipped] = []
    kinds: dict[str, int] = {}
    attempt = 0
    while len(children) < count:
        if attempt >= budget:
            raise GeneratorError(
                f"made {len(children)} of {count} variations of {parent.name!r} in "
                f"{attempt} attempts; {summarize(kinds)}",
                skipped=tuple(skipped),
            )
        k = 1 + stream.below(max_changes)
        chosen = sorted(stream.distinct(indices, k), reverse=True)
        changes = tuple(p.change(stream, stream.choice(options[i]), i) for i in chosen)
        description = tuple(describe_change_list(parent, changes))
        child = apply_changes(parent, changes, name=f"{parent.name}-v{len(children) + 1}")
        kind = reason = None
        try:  # the child keeps the parent's layers before its first change
            validate(child, limits, p.infos[: min(c.index for c in changes)])
        except ArchitectureError as exc:
            kind, reason = "invalid model", f"invalid model ({exc})"
        else:
            digest = arch_hash(child)
            if digest in made:
                kind = "same model as an earlier variation"
                reason = f"same model as variation {made[digest]}"
            elif digest in seen:
                kind = reason = "duplicate of an existing model"
            else:
                made[digest] = len(children) + 1
                children.append(Child(child, changes, description))
        if kind is not None:
            skipped.append(Skipped(attempt, f"{'; '.join(description)}: {reason}"))
            kinds[kind] = kinds.get(kind, 0) + 1
        attempt += 1
    return children, skipped
