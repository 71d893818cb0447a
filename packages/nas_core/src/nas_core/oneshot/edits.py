"""Lego View edits of a super-architecture (§5.1): add a layer, block or component,
remove and move any of them, set a component's parameters. Pure.

New layers and blocks get the next free number (``L8``, ``b13``) past every id the
template has, so ids are never reused and masks keep their meaning. `apply_edits`
raises `SupernetError` with the path into the edit list (``$.edits[1].block``), or, for
a result that does not validate, at the edit with the template's path in its reason.
A parameter that is not an integer where one is needed is refused with the nearest
valid value offered in the reason, never applied rounded.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from nas_core.arch.layers import Layer

from .errors import SupernetError
from .space import validate_super
from .types import Block, SuperArchitecture, SuperLayer

__all__ = [
    "AddBlock",
    "AddComponent",
    "AddLayer",
    "LegoEdit",
    "MoveBlock",
    "MoveComponent",
    "MoveLayer",
    "RemoveBlock",
    "RemoveComponent",
    "RemoveLayer",
    "SetParams",
    "apply_edits",
]

Pos = Annotated[int, msgspec.Meta(ge=0)]
Components = Annotated[tuple[Layer, ...], msgspec.Meta(min_length=1)]


class _Edit(msgspec.Struct, tag_field="op", forbid_unknown_fields=True, frozen=True, gc=False):
    pass


class AddLayer(_Edit, tag="add_layer"):
    at: Pos
    components: Components


class AddBlock(_Edit, tag="add_block"):
    layer: str
    components: Components


class AddComponent(_Edit, tag="add_component"):
    block: str
    component: Layer
    at: Pos | None = None


class RemoveLayer(_Edit, tag="remove_layer"):
    layer: str


class RemoveBlock(_Edit, tag="remove_block"):
    block: str


class RemoveComponent(_Edit, tag="remove_component"):
    block: str
    index: Pos


class MoveLayer(_Edit, tag="move_layer"):
    layer: str
    to: Pos


class MoveBlock(_Edit, tag="move_block"):
    block: str
    layer: str
    to: Pos


class MoveComponent(_Edit, tag="move_component"):
    block: str
    index: Pos
    to_block: str
    to: Pos


class SetParams(_Edit, tag="set_params"):
    block: str
    index: Pos
    params: dict[str, Any]


LegoEdit = (
    AddLayer | AddBlock | AddComponent | RemoveLayer | RemoveBlock | RemoveComponent
    | MoveLayer | MoveBlock | MoveComponent | SetParams
)  # fmt: skip


class _Tree:
    """A mutable copy of the template: layers as [id, [[block id, [components]]]]."""

    def __init__(self, sa: SuperArchitecture) -> None:
        self.sa = sa
        self.layers = [
            [layer.id, [[b.id, list(b.components)] for b in layer.blocks]] for layer in sa.layers
        ]
        self.next_layer = 1 + max(int(layer.id[1:]) for layer in sa.layers)
        self.next_block = 1 + max(int(b.id[1:]) for layer in sa.layers for b in layer.blocks)

    def new_block(self, components) -> list:
        b = [f"b{self.next_block}", list(components)]
        self.next_block += 1
        return b

    def layer(self, ident: str, path: str) -> int:
        for i, (lid, _) in enumerate(self.layers):
            if lid == ident:
                return i
        raise SupernetError(path, f"no layer {ident!r} in the supernet")

    def block(self, ident: str, path: str) -> tuple[int, int]:
        for i, (_, blocks) in enumerate(self.layers):
            for j, (bid, _) in enumerate(blocks):
                if bid == ident:
                    return i, j
        raise SupernetError(path, f"no block {ident!r} in the supernet")

    def build(self) -> SuperArchitecture:
        layers = tuple(
            SuperLayer(lid, tuple(Block(bid, tuple(c)) for bid, c in blocks))
            for lid, blocks in self.layers
        )
        return msgspec.structs.replace(self.sa, layers=layers)


def _index(at: int, n: int, path: str) -> int:
    if at > n:
        raise SupernetError(path, f"position {at} is past the end (0 to {n})")
    return at


def _component(block: list, index: int, path: str):
    if index >= len(block[1]):
        raise SupernetError(path, f"block {block[0]} has components 0 to {len(block[1]) - 1}")
    return block[1][index]


def _set_params(component, params: dict[str, Any], path: str):
    body = msgspec.to_builtins(component)
    for key, value in params.items():
        if key == "type" or (key not in body and key not in type(component).__struct_fields__):
            raise SupernetError(f"{path}.{key}", f"{body['type']} has no parameter {key!r}")
        current = body.get(key)
        wants_int = isinstance(current, int) and not isinstance(current, bool)
        if wants_int and isinstance(value, float) and not value.is_integer():
            raise SupernetError(
                f"{path}.{key}",
                f"expected an integer, got {value:g} (nearest valid value: {round(value)})",
            )
        body[key] = int(value) if wants_int and isinstance(value, float) else value
    try:
        return msgspec.convert(body, Layer)
    except msgspec.ValidationError as exc:
        from snacs import explain_decode_error

        reason, where = explain_decode_error(exc)
        raise SupernetError(path + where[1:], reason) from exc


def apply_edits(sa: SuperArchitecture, edits, path: str = "$.edits") -> SuperArchitecture:
    """`sa` with `edits` applied in order (see the module)."""
    tree = _Tree(sa)
    for k, edit in enumerate(edits):
        at = f"{path}[{k}]"
        if isinstance(edit, AddLayer):
            i = _index(edit.at, len(tree.layers), f"{at}.at")
            tree.layers.insert(i, [f"L{tree.next_layer}", [tree.new_block(edit.components)]])
            tree.next_layer += 1
        elif isinstance(edit, AddBlock):
            i = tree.layer(edit.layer, f"{at}.layer")
            tree.layers[i][1].append(tree.new_block(edit.components))
        elif isinstance(edit, AddComponent):
            i, j = tree.block(edit.block, f"{at}.block")
            comps = tree.layers[i][1][j][1]
            pos = len(comps) if edit.at is None else _index(edit.at, len(comps), f"{at}.at")
            comps.insert(pos, edit.component)
        elif isinstance(edit, RemoveLayer):
            i = tree.layer(edit.layer, f"{at}.layer")
            if len(tree.layers) == 1:
                raise SupernetError(f"{at}.layer", "the supernet's only layer cannot be removed")
            del tree.layers[i]
        elif isinstance(edit, RemoveBlock):
            i, j = tree.block(edit.block, f"{at}.block")
            if len(tree.layers[i][1]) == 1:
                raise SupernetError(
                    f"{at}.block",
                    f"{edit.block} is the only block of layer {tree.layers[i][0]}: remove the "
                    f"layer instead",
                )
            del tree.layers[i][1][j]
        elif isinstance(edit, RemoveComponent):
            i, j = tree.block(edit.block, f"{at}.block")
            block = tree.layers[i][1][j]
            _component(block, edit.index, f"{at}.index")
            if len(block[1]) == 1:
                raise SupernetError(
                    f"{at}.index", f"the only component of {edit.block}: remove the block instead"
                )
            del block[1][edit.index]
        elif isinstance(edit, MoveLayer):
            i = tree.layer(edit.layer, f"{at}.layer")
            moved = tree.layers.pop(i)
            tree.layers.insert(_index(edit.to, len(tree.layers), f"{at}.to"), moved)
        elif isinstance(edit, MoveBlock):
            i, j = tree.block(edit.block, f"{at}.block")
            target = tree.layer(edit.layer, f"{at}.layer")
            if len(tree.layers[i][1]) == 1 and target != i:
                raise SupernetError(
                    f"{at}.block", f"{edit.block} is the only block of layer {tree.layers[i][0]}"
                )
            moved = tree.layers[i][1].pop(j)
            blocks = tree.layers[target][1]
            blocks.insert(_index(edit.to, len(blocks), f"{at}.to"), moved)
        elif isinstance(edit, MoveComponent):
            i, j = tree.block(edit.block, f"{at}.block")
            src = tree.layers[i][1][j]
            comp = _component(src, edit.index, f"{at}.index")
            ti, tj = tree.block(edit.to_block, f"{at}.to_block")
            dst = tree.layers[ti][1][tj]
            if src is not dst and len(src[1]) == 1:
                raise SupernetError(f"{at}.index", f"the only component of {edit.block}")
            del src[1][edit.index]
            dst[1].insert(_index(edit.to, len(dst[1]), f"{at}.to"), comp)
        else:
            assert isinstance(edit, SetParams)
            i, j = tree.block(edit.block, f"{at}.block")
            block = tree.layers[i][1][j]
            comp = _component(block, edit.index, f"{at}.index")
            block[1][edit.index] = _set_params(comp, edit.params, f"{at}.params")
    result = tree.build()
    try:
        validate_super(result)
    except SupernetError as exc:
        raise SupernetError(path, f"the result is invalid at {exc.path}: {exc.reason}") from None
    return result
