"""Changes between architectures, and their descriptions in the paper's words.

A change list is applied in order; each change's index refers to the architecture as
it stands after the changes before it. `diff` returns its changes from the last layer
to the first, so each index is at once the parent's index and valid in order; the
descriptions read like the REMAP paper's Fig. 7::

    Removed MaxPool layer at index 0
    pool_size at 2 from 2 to 3
    filters at 1 from 32 to 128

Layer names and parameter names are Keras' (as in the paper): ``Conv2D``,
``MaxPool``, ``AvgPool``, ``Dense`` …; ``filters``, ``kernel_size``, ``pool_size``,
``units``, ``rate``. An activation swapped for another at the same place is the
reparameterisation ``activation at 3 from relu to tanh``, as in the original REMAP,
where the activation was a parameter of one "Activation" layer. Each layer type's
names are its ``keras_name`` and ``keras_fields`` (`nas_core.arch.layers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import msgspec

from nas_core.errors import ArchitectureError

from .layers import ACTIVATION_TYPES, LAYER_TYPES, Architecture, Layer
from .shapes import layer_type

__all__ = [
    "FIELD_NAMES",
    "LAYER_NAMES",
    "Change",
    "Prepend",
    "Remove",
    "Reparameterize",
    "Replace",
    "apply_changes",
    "describe_change_list",
    "describe_changes",
    "diff",
    "layer_fields",
]

Index = Annotated[int, msgspec.Meta(ge=0)]
Value = int | float | str

LAYER_NAMES: dict[str, str] = {tag: cls.keras_name for tag, cls in LAYER_TYPES.items()}
"""Display name of each layer type in descriptions (Keras' names, as in the paper)."""

FIELD_NAMES: dict[str, str] = {
    field: name for cls in LAYER_TYPES.values() for field, name in cls.keras_fields
}
"""Display name of each parameter in descriptions (Keras' names, as in the paper)."""


class _Change(msgspec.Struct, tag_field="kind", forbid_unknown_fields=True, frozen=True, gc=False):
    """Base of the atomic changes (tagged on ``"kind"``)."""


class Prepend(_Change, tag="prepend"):
    """A new layer inserted before the layer at ``index`` (at the end when
    ``index`` equals the number of layers)."""

    index: Index
    layer: Layer


class Remove(_Change, tag="remove"):
    """The layer at ``index`` removed."""

    index: Index


class Replace(_Change, tag="replace"):
    """The layer at ``index`` replaced by a layer of another type."""

    index: Index
    layer: Layer


class Reparameterize(_Change, tag="reparameterize"):
    """One parameter of the layer at ``index`` changed from ``old`` to ``new``
    (``field`` is the JSON field, or ``"activation"`` for an activation's type)."""

    index: Index
    field: str
    old: Value
    new: Value


Change = Prepend | Remove | Replace | Reparameterize


def layer_fields(layer: object) -> dict[str, Value]:
    """The parameters of a layer: its fields, or ``{"activation": tag}`` for an
    activation."""
    kind = layer_type(layer)
    if kind in ACTIVATION_TYPES:
        return {"activation": kind}
    return {f: getattr(layer, f) for f in layer.__struct_fields__}  # type: ignore[attr-defined]


def _reparameterized(layer: object, field: str, new: Value) -> object:
    if field == "activation":
        return ACTIVATION_TYPES[str(new)]()
    return msgspec.structs.replace(layer, **{field: new})  # type: ignore[type-var]


def _apply_one(layers: list, change: Change) -> None:
    n = len(layers)
    i = change.index
    if isinstance(change, Prepend):
        if i > n:
            raise ArchitectureError(i, f"cannot add a layer at index {i}: there are {n} layers")
        layers.insert(i, change.layer)
        return
    if i >= n:
        raise ArchitectureError(i, f"no layer at index {i}: there are {n} layers")
    if isinstance(change, Remove):
        del layers[i]
    elif isinstance(change, Replace):
        layers[i] = change.layer
    else:
        fields = layer_fields(layers[i])
        if change.field not in fields:
            raise ArchitectureError(i, f"{layer_type(layers[i])} has no parameter {change.field!r}")
        if fields[change.field] != change.old:
            raise ArchitectureError(
                i,
                f"{change.field} is {fields[change.field]!r}, not {change.old!r} as the "
                "change expects",
            )
        layers[i] = _reparameterized(layers[i], change.field, change.new)


def apply_changes(
    arch: Architecture, changes: Sequence[Change], *, name: str | None = None
) -> Architecture:
    """Apply `changes` in order; the result is not validated (use `validate`)."""
    layers = list(arch.layers)
    for change in changes:
        _apply_one(layers, change)
    return Architecture(
        name=arch.name if name is None else name, input=arch.input, layers=tuple(layers)
    )


def _fmt_value(value: Value) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _describe(layers: Sequence[object], change: Change) -> str:
    i = change.index
    if isinstance(change, Prepend):
        return f"Added {LAYER_NAMES[layer_type(change.layer)]} layer at index {i}"
    old = LAYER_NAMES[layer_type(layers[i])]
    if isinstance(change, Remove):
        return f"Removed {old} layer at index {i}"
    if isinstance(change, Replace):
        return f"Replaced {old} layer at index {i} with {LAYER_NAMES[layer_type(change.layer)]}"
    field = FIELD_NAMES.get(change.field, change.field)
    return f"{field} at {i} from {_fmt_value(change.old)} to {_fmt_value(change.new)}"


def describe_change_list(arch: Architecture, changes: Sequence[Change]) -> list[str]:
    """One sentence per change, applying them to `arch` in order."""
    layers = list(arch.layers)
    out = []
    for change in changes:
        out.append(_describe(layers, change))
        _apply_one(layers, change)
    return out


# Alignment costs (integers, so ties break the same way everywhere): a layer of the
# same type with k different parameters costs 2 + k (at most 5), a replacement 6, a
# removal or an addition 4 — so a replacement beats remove + add, and a
# reparameterisation beats a replacement.
_ADD = _REMOVE = 4
_REPLACE = 6


def _substitution(a: object, b: object) -> tuple[int, list[tuple[str, Value, Value]]]:
    if a == b:
        return 0, []
    fa, fb = layer_fields(a), layer_fields(b)
    same_kind = type(a) is type(b) or (
        layer_type(a) in ACTIVATION_TYPES and layer_type(b) in ACTIVATION_TYPES
    )
    if not same_kind:
        return _REPLACE, []
    changed = [(f, fa[f], fb[f]) for f in fa if fa[f] != fb[f]]
    return 2 + len(changed), changed


def diff(parent: Architecture, child: Architecture) -> list[Change]:
    """A shortest list of changes that turns `parent`'s layers into `child`'s.

    The changes run from the last layer to the first, so every index is the parent's
    and the list is also valid when applied in order. The input is not compared.
    """
    a, b = parent.layers, child.layers
    n, m = len(a), len(b)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = i * _REMOVE
    for j in range(1, m + 1):
        cost[0][j] = j * _ADD
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub, _ = _substitution(a[i - 1], b[j - 1])
            cost[i][j] = min(
                cost[i - 1][j - 1] + sub, cost[i - 1][j] + _REMOVE, cost[i][j - 1] + _ADD
            )
    changes: list[Change] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0:
            sub, fields = _substitution(a[i - 1], b[j - 1])
            if cost[i][j] == cost[i - 1][j - 1] + sub:
                if sub == _REPLACE and not fields:
                    changes.append(Replace(i - 1, b[j - 1]))
                else:
                    # several parameters of one layer: report them in field order
                    changes.extend(Reparameterize(i - 1, f, old, new) for f, old, new in fields)
                i, j = i - 1, j - 1
                continue
        if i > 0 and cost[i][j] == cost[i - 1][j] + _REMOVE:
            changes.append(Remove(i - 1))
            i -= 1
        else:
            changes.append(Prepend(i, b[j - 1]))
            j -= 1
    return changes


def describe_changes(parent: Architecture, child: Architecture) -> list[str]:
    """How `child` differs from `parent`, in the paper's words (Fig. 7), from the last
    layer to the first: ``["pool_size at 2 from 2 to 3", "filters at 1 from 32 to 128"]``.
    A different input comes first (``"input from 1×8×8 (10 classes) to …"``).
    """
    out = []
    if parent.input != child.input:
        out.append(f"input from {_fmt_input(parent)} to {_fmt_input(child)}")
    return out + describe_change_list(parent, diff(parent, child))


def _fmt_input(arch: Architecture) -> str:
    shape = "×".join(str(d) for d in arch.input.shape)
    return f"{shape} ({arch.input.classes} classes)"
