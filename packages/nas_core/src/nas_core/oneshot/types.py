"""The value types of a one-shot search (no torch): the super-architecture (layers >
blocks > components, §5.1 of the one-shot paper), masks, and the records of a search.

A component is one of REMAP's `Layer` structs; a block is a short sequence of them; a
layer holds the blocks the search ranks against each other. Ids name layers (``L3``)
and blocks (``b7``) in the whole template and are never reused after an edit, so a mask
(a sorted tuple of block ids) keeps its meaning across edits.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from nas_core.arch.layers import Input, Layer

__all__ = [
    "Block",
    "Constraint",
    "Mask",
    "PlannedChild",
    "Recalibration",
    "Region",
    "SuperArchitecture",
    "SuperLayer",
    "SupernetConfig",
    "block_number",
    "mask_key",
    "sort_mask",
]

BlockId = Annotated[str, msgspec.Meta(pattern=r"^b[1-9][0-9]{0,5}$")]
LayerId = Annotated[str, msgspec.Meta(pattern=r"^L[1-9][0-9]{0,5}$")]
Mask = tuple[str, ...]
"""The active blocks of a subgraph, sorted by block number (`sort_mask`)."""

PathMode = Literal["single", "multi"]


class _Value(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    pass


class Block(_Value):
    """A candidate of a layer: its components, applied in order."""

    id: BlockId
    components: Annotated[tuple[Layer, ...], msgspec.Meta(min_length=1)]


class SuperLayer(_Value):
    """A layer of the super-graph: the blocks the search compares (>= 1)."""

    id: LayerId
    blocks: Annotated[tuple[Block, ...], msgspec.Meta(min_length=1)]


class SuperArchitecture(_Value):
    """The template (super-graph): the input, the layers in order, how a layer's
    active blocks merge (their outputs are summed), and the path mode: ``"single"``
    (one block per layer: every subgraph is an ordinary REMAP architecture) or
    ``"multi"`` (the paper's: any non-empty set of blocks per layer)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    input: Input
    layers: Annotated[tuple[SuperLayer, ...], msgspec.Meta(min_length=1)]
    merge: Literal["sum"] = "sum"
    path_mode: PathMode = "single"


class SupernetConfig(_Value):
    """How a supernet trains: SGD with `momentum` at `lr` on a cosine schedule over
    `epochs`, batches of `batch_size`. Path dropout by `routing`:

    - ``"sample"`` (the default): every example of a batch takes its own path. Single
      mode deals a batch's rows to each layer's blocks in equal shares, so every block
      trains on every batch at the FLOPs of one path; multi mode keeps each block per
      row with `keep_prob` (at least one). Per block the same number of examples as
      ``"batch"`` at a third of the batch size, in a third of the steps. Defaults (15
      epochs of batch 64 at 0.1), measured on digits: LeNet's 18 subgraphs at mean
      validation accuracy 0.93 (per-batch 30 epochs of 32: 0.94) for 0.40x the CPU
      time; 10 epochs of 128 at 0.2 costs 0.25x but leaves 0.86, and near chance on
      a 510-example training set (docs/oneshot-training.md).
    - ``"batch"``: the paper's scheme, one keep-mask per batch (each block kept with
      `keep_prob`, at least one per layer; single mode: one block per layer, uniformly).
      Logs written before `routing` existed (event version 1) trained this way with
      30 epochs of batch 32 at 0.05.

    ``optimizer="adam"`` (at `lr`, no momentum) is offered beside the paper's SGD."""

    epochs: Annotated[int, msgspec.Meta(ge=1, le=500)] = 15
    lr: Annotated[float, msgspec.Meta(gt=0.0, le=10.0)] = 0.1
    momentum: Annotated[float, msgspec.Meta(ge=0.0, lt=1.0)] = 0.9
    batch_size: Annotated[int, msgspec.Meta(ge=2, le=4096)] = 64
    keep_prob: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 0.5
    schedule: Literal["cosine"] = "cosine"
    optimizer: Literal["sgd", "adam"] = "sgd"
    weight_decay: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 1e-4
    routing: Literal["sample", "batch"] = "sample"


class Recalibration(_Value):
    """Batch-norm statistics re-estimated per subgraph before it is scored, on
    `examples` training examples drawn with `seed` (ONESHOT.md §4.2)."""

    examples: Annotated[int, msgspec.Meta(ge=1)] = 512
    seed: int = 0


class Region(_Value):
    """A region of the search-space scatter: a rectangle (two corners) or a polygon,
    and how it steers the search (``"pool"``: children must fall inside it;
    ``"blocks"``: blocks on in every member are forced on, blocks on in none off)."""

    shape: Literal["rect", "polygon"]
    points: Annotated[tuple[tuple[float, float], ...], msgspec.Meta(min_length=2)]
    mode: Literal["pool", "blocks"] = "pool"


class Constraint(_Value):
    """Blocks a child must have on (`on`) and must not have (`off`)."""

    on: tuple[str, ...] = ()
    off: tuple[str, ...] = ()


class PlannedChild(_Value):
    """A subgraph an iteration will evaluate, with its lineage: its `parents` (none for
    a random one), the `crossover` bits (1: the bit came from the second parent), the
    blocks mutation flipped, what repair changed to make it valid, and how many draws
    it took (duplicates and region misses are drawn again)."""

    mask: Mask
    parents: tuple[Mask, ...] = ()
    crossover: tuple[int, ...] = ()
    flips: tuple[str, ...] = ()
    repairs: tuple[str, ...] = ()
    tries: int = 1


def block_number(block: str) -> int:
    """The number of a block id (``"b12"`` -> 12)."""
    return int(block[1:])


def sort_mask(blocks) -> Mask:
    """Block ids as a mask: unique and sorted by number."""
    return tuple(sorted(set(blocks), key=block_number))


def mask_key(mask) -> str:
    """A mask's key in dictionaries (``"b1,b4,b7"``)."""
    return ",".join(mask)
