"""The rules of a super-architecture: validation with JSON paths, its blocks, its
subgraphs (masks), and a single-path subgraph as an ordinary REMAP architecture.

Pure; no torch. Validity of a template: ids unique; every component defined where it
stands (`nas_core.arch.shapes.step`); every block of a layer gives the same output
shape (their outputs are summed, or stand in for each other in single mode); the last
layer's blocks end in the classifier (a dense of ``input.classes`` units). A mask is
valid when it has at least one block of every layer (exactly one in single mode):
an empty layer would sum to zeros.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterator

import msgspec

from nas_core.arch.layers import Architecture, Dense
from nas_core.arch.shapes import layer_type, step
from nas_core.errors import ArchitectureError

from .errors import SupernetError
from .types import Mask, SuperArchitecture, block_number, sort_mask

__all__ = [
    "block_ids",
    "block_layers",
    "check_mask",
    "count_subgraphs",
    "decode_super",
    "enumerate_masks",
    "layer_shapes",
    "subgraph_arch",
    "super_hash",
    "super_params",
    "validate_super",
]

_ENCODE = msgspec.json.Encoder(order="sorted").encode


def _fmt(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape)


def validate_super(sa: SuperArchitecture) -> list[tuple[int, ...]]:
    """Check every rule (see the module); return each layer's output shape. Raises
    `SupernetError` with the JSON path of the first fault."""
    seen: dict[str, str] = {}
    for i, layer in enumerate(sa.layers):
        for ident, path in [(layer.id, f"$.layers[{i}].id")] + [
            (b.id, f"$.layers[{i}].blocks[{j}].id") for j, b in enumerate(layer.blocks)
        ]:
            if ident in seen:
                raise SupernetError(path, f"id {ident!r} is used twice (first at {seen[ident]})")
            seen[ident] = path
    shape: tuple[int, ...] = tuple(sa.input.shape)
    flat_by: str | None = None
    shapes: list[tuple[int, ...]] = []
    for i, layer in enumerate(sa.layers):
        first: tuple[tuple[int, ...], str | None] | None = None
        for j, block in enumerate(layer.blocks):
            s, f = shape, flat_by
            for k, component in enumerate(block.components):
                try:
                    s, f, _, _ = step(k, component, s, f)
                except ArchitectureError as exc:
                    raise SupernetError(
                        f"$.layers[{i}].blocks[{j}].components[{k}]", exc.reason
                    ) from None
            if first is None:
                first = (s, f)
            elif s != first[0]:
                raise SupernetError(
                    f"$.layers[{i}].blocks[{j}]",
                    f"output shape {_fmt(s)} differs from block {layer.blocks[0].id}'s "
                    f"{_fmt(first[0])}: the blocks of a layer must give the same shape",
                )
            elif (f is None) != (first[1] is None):
                raise SupernetError(
                    f"$.layers[{i}].blocks[{j}]",
                    f"block {block.id} {'flattens' if f else 'does not flatten'} the data "
                    f"but block {layer.blocks[0].id} {'does' if first[1] else 'does not'}",
                )
        assert first is not None
        shape, flat_by = first
        shapes.append(shape)
    classes = sa.input.classes
    last = len(sa.layers) - 1
    for j, block in enumerate(sa.layers[last].blocks):
        tail = block.components[-1]
        if not isinstance(tail, Dense) or tail.units != classes:
            what = f"a dense of {tail.units} units" if isinstance(tail, Dense) else layer_type(tail)
            raise SupernetError(
                f"$.layers[{last}].blocks[{j}]",
                f"the last layer's blocks must end in the classifier (a dense with {classes} "
                f"units), not {what}",
            )
    return shapes


def decode_super(data: object, path: str = "$") -> SuperArchitecture:
    """A super-architecture from builtins or JSON, decoded and validated; raises
    `SupernetError` with the path under `path`."""
    from snacs import explain_decode_error

    try:
        if isinstance(data, bytes | str):
            sa = msgspec.json.decode(data, type=SuperArchitecture)
        elif isinstance(data, SuperArchitecture):
            sa = data
        else:
            sa = msgspec.convert(data, SuperArchitecture)
    except (msgspec.DecodeError, RecursionError) as exc:
        reason, where = explain_decode_error(exc)
        raise SupernetError(path + where[1:], reason) from exc
    try:
        validate_super(sa)
    except SupernetError as exc:
        raise SupernetError(path + exc.path[1:], exc.reason) from None
    return sa


def layer_shapes(sa: SuperArchitecture) -> list[tuple[int, ...]]:
    """The input shape of every layer, then the output's (len = layers + 1)."""
    return [tuple(sa.input.shape), *validate_super(sa)]


def block_ids(sa: SuperArchitecture) -> tuple[str, ...]:
    """Every block id in template order (layer by layer): the bit order of a mask."""
    return tuple(b.id for layer in sa.layers for b in layer.blocks)


def block_layers(sa: SuperArchitecture) -> dict[str, int]:
    """The layer index of every block."""
    return {b.id: i for i, layer in enumerate(sa.layers) for b in layer.blocks}


def check_mask(sa: SuperArchitecture, mask: Mask, path: str = "$") -> Mask:
    """`mask` sorted, or `SupernetError` when it names an unknown block or leaves a
    layer empty (or, in single mode, holds two blocks of one layer)."""
    where = block_layers(sa)
    per_layer = [0] * len(sa.layers)
    for j, b in enumerate(mask):
        if b not in where:
            raise SupernetError(f"{path}[{j}]", f"no block {b!r} in the supernet")
        per_layer[where[b]] += 1
    for i, n in enumerate(per_layer):
        if n == 0:
            raise SupernetError(path, f"no block of layer {sa.layers[i].id} is on")
        if n > 1 and sa.path_mode == "single":
            raise SupernetError(
                path, f"{n} blocks of layer {sa.layers[i].id} are on: single-path needs one"
            )
    return sort_mask(mask)


def count_subgraphs(sa: SuperArchitecture) -> int:
    """The number of valid masks."""
    if sa.path_mode == "single":
        return math.prod(len(layer.blocks) for layer in sa.layers)
    return math.prod(2 ** len(layer.blocks) - 1 for layer in sa.layers)


def enumerate_masks(sa: SuperArchitecture) -> Iterator[Mask]:
    """Every valid mask, in a fixed order (layer 1's choice varies slowest)."""
    options = []
    for layer in sa.layers:
        ids = [b.id for b in layer.blocks]
        if sa.path_mode == "single":
            options.append([(b,) for b in ids])
        else:
            options.append(
                [c for r in range(1, len(ids) + 1) for c in itertools.combinations(ids, r)]
            )
    for combo in itertools.product(*options):
        yield tuple(sorted((b for part in combo for b in part), key=block_number))


def subgraph_arch(sa: SuperArchitecture, mask: Mask, name: str = "subgraph") -> Architecture:
    """A single-path mask as an ordinary architecture: its blocks' components in layer
    order. Raises `SupernetError` for a mask with more than one block in a layer."""
    chosen = set(mask)
    layers = []
    for layer in sa.layers:
        on = [b for b in layer.blocks if b.id in chosen]
        if len(on) != 1:
            raise SupernetError(
                "$.mask",
                f"{len(on)} blocks of layer {layer.id} are on: only a single-path subgraph "
                f"is a sequential architecture",
            )
        layers.extend(on[0].components)
    return Architecture(name=name, input=sa.input, layers=tuple(layers))


def super_params(sa: SuperArchitecture) -> int:
    """The parameters of every block together (torch's count)."""
    shapes = layer_shapes(sa)
    total = 0
    for i, layer in enumerate(sa.layers):
        for block in layer.blocks:
            s, f = shapes[i], ("flatten" if len(shapes[i]) == 1 else None)
            for k, c in enumerate(block.components):
                s, f, params, _ = step(k, c, s, f)
                total += params
    return total


def super_hash(sa: SuperArchitecture) -> str:
    """SHA-256 of the canonical JSON (sorted keys) of the template, name excluded."""
    body = msgspec.to_builtins(sa)
    body.pop("name", None)
    return hashlib.sha256(_ENCODE(body)).hexdigest()
