"""Handcrafted children: a list of edits applied to a parent (paper 6.2, C1, Fig. 5).

Edits are applied in order, each index referring to the architecture as the edits
before it left it (as a person clicks through the handles of Fig. 5):

- ``{"op": "insert", "index": 0, "layer": {"type": "conv", "filters": 16}}`` inserts a
  layer before the one at ``index`` (``index`` = number of layers: at the end);
- ``{"op": "remove", "index": 2}`` removes a layer;
- ``{"op": "reparam", "index": 1, "params": {"filters": 64, "kernel": 5}}`` changes
  parameters of a layer (an activation's ``"activation"`` swaps relu/tanh/sigmoid).

The whole list is checked before anything is returned: an edit that cannot apply
fails with its path (``$.edits[1].index``), and the edited architecture must be valid
and new. Nothing is recorded unless `handcraft` returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import msgspec

from nas_core.arch.canonical import arch_hash
from nas_core.arch.diff import (
    Change,
    Prepend,
    Remove,
    Reparameterize,
    describe_change_list,
    layer_fields,
)
from nas_core.arch.layers import ACTIVATION_TYPES, LAYER_TYPES, Architecture, Layer, Limits
from nas_core.arch.shapes import layer_type
from nas_core.arch.validate import validate
from nas_core.errors import ArchitectureError, HandcraftError
from snacs import explain_decode_error

from ._common import checked_parent
from .results import Child

__all__ = ["Edit", "Insert", "RemoveEdit", "Reparam", "decode_edits", "handcraft"]

Index = Annotated[int, msgspec.Meta(ge=0)]


class _Edit(msgspec.Struct, tag_field="op", forbid_unknown_fields=True, frozen=True, gc=False):
    """Base of the handcraft edits (tagged on ``"op"``)."""


class Insert(_Edit, tag="insert"):
    """Insert ``layer`` before the layer at ``index`` (at the end when ``index`` equals
    the number of layers)."""

    index: Index
    layer: Layer


class RemoveEdit(_Edit, tag="remove"):
    """Remove the layer at ``index``."""

    index: Index


class Reparam(_Edit, tag="reparam"):
    """Set parameters of the layer at ``index`` (``{"filters": 64}``; an activation
    takes ``{"activation": "tanh"}``)."""

    index: Index
    params: dict[str, int | float | str]


Edit = Insert | RemoveEdit | Reparam

_EDITS = msgspec.json.Decoder(list[Edit])


def decode_edits(data: bytes | str | list[Any]) -> list[Edit]:
    """Decode an edit list from JSON or builtins; a `HandcraftError` names the path
    inside the list as ``$.edits[...]``."""
    try:
        if isinstance(data, bytes | bytearray | str):
            return _EDITS.decode(data)
        return msgspec.convert(data, list[Edit])
    except (msgspec.DecodeError, UnicodeError, RecursionError) as exc:
        reason, path = explain_decode_error(exc, prefix="$.edits")
        raise HandcraftError(path, reason) from exc


def _reparam(
    layer: object, params: dict[str, Any], path: str
) -> tuple[object, list[tuple[str, Any, Any]]]:
    if not params:
        raise HandcraftError(f"{path}.params", "no parameters to change")
    kind = layer_type(layer)
    fields = layer_fields(layer)
    changed = []
    for key, value in params.items():
        where = f"{path}.params.{key}"
        if key not in fields:
            has = ", ".join(fields) or "none"
            raise HandcraftError(where, f"{kind} has no parameter {key!r} (it has: {has})")
        if key == "activation":
            if value not in ACTIVATION_TYPES:
                raise HandcraftError(
                    where, f"activation must be one of {', '.join(ACTIVATION_TYPES)}, not {value!r}"
                )
            if value != kind:
                changed.append((key, kind, value))
                layer = ACTIVATION_TYPES[value]()
                kind = value
            continue
        data = {**msgspec.to_builtins(layer), key: value}
        try:
            new = msgspec.convert(data, LAYER_TYPES[kind])
        except msgspec.ValidationError as exc:
            raise HandcraftError(where, explain_decode_error(exc).reason) from exc
        if getattr(new, key) != fields[key]:
            changed.append((key, fields[key], getattr(new, key)))
        layer = new
    return layer, changed


def handcraft(
    parent: Architecture,
    edits: Sequence[Edit],
    *,
    limits: Limits,
    existing: frozenset[str] = frozenset(),
) -> Child:
    """The child that `edits` make of `parent` (named ``f"{parent.name}-h"``, a
    placeholder), its changes and their descriptions.

    Raises `HandcraftError` with the path of the offending edit (``$.edits[1].index``)
    when an edit cannot apply, with ``$.edits`` when the edited architecture is
    invalid or not new (the parent itself, or a model in `existing`).
    """
    checked_parent(parent, limits)
    if not edits:
        raise HandcraftError("$.edits", "no edits: the child would be the parent itself")
    layers = list(parent.layers)
    changes: list[Change] = []
    for j, edit in enumerate(edits):
        path = f"$.edits[{j}]"
        n = len(layers)
        after = "" if j == 0 else " after the edits before it"
        if isinstance(edit, Insert):
            if not 0 <= edit.index <= n:
                raise HandcraftError(
                    f"{path}.index",
                    f"cannot insert at index {edit.index}: the architecture has {n} layers{after}",
                )
            if type(edit.layer) not in LAYER_TYPES.values():
                raise HandcraftError(f"{path}.layer", f"not a layer: {edit.layer!r}")
            layers.insert(edit.index, edit.layer)
            changes.append(Prepend(edit.index, edit.layer))
            continue
        if not isinstance(edit, RemoveEdit | Reparam):
            raise HandcraftError(path, f"not an edit: {edit!r}")
        if not 0 <= edit.index < n:
            raise HandcraftError(
                f"{path}.index",
                f"no layer at index {edit.index}: the architecture has {n} layers{after}",
            )
        if isinstance(edit, RemoveEdit):
            del layers[edit.index]
            changes.append(Remove(edit.index))
        else:
            layers[edit.index], changed = _reparam(layers[edit.index], edit.params, path)
            changes.extend(Reparameterize(edit.index, f, old, new) for f, old, new in changed)
    child = Architecture(name=f"{parent.name}-h", input=parent.input, layers=tuple(layers))
    try:
        validate(child, limits)
    except ArchitectureError as exc:
        raise HandcraftError("$.edits", f"the edited architecture is invalid: {exc}") from exc
    digest = arch_hash(child)
    if digest == arch_hash(parent):
        raise HandcraftError("$.edits", "the edits give the parent itself")
    if digest in existing:
        raise HandcraftError("$.edits", "the edits give a model that already exists")
    return Child(child, tuple(changes), tuple(describe_change_list(parent, changes)))
