"""A session's models as rows (``remap models``, ``GET /api/sessions/{id}/models``):
id, status, origin in words, parameters, test accuracy, and whether the trained
weights are in the data folder; and as a table (``remap table``, ``GET
/api/sessions/{id}/models.csv`` / ``.parquet``, issue 22): every column the drawer
shows plus origin and parent, one `TableRow` per model, whose fields are the columns
of both formats."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Literal

import msgspec

from nas_core.events import (
    Ablation,
    Continued,
    Handcrafted,
    Origin,
    Replicated,
    Sampled,
    SessionState,
    Variation,
)
from nas_core.weights import WeightStore

__all__ = [
    "ModelListed",
    "TableRow",
    "WeightsState",
    "model_rows",
    "origin_words",
    "table_csv",
    "table_parquet",
    "table_rows",
]

WeightsState = Literal["present", "missing", "none"]


class ModelListed(msgspec.Struct, omit_defaults=False):
    """One model: `weights` is ``present`` (its file is in the data folder),
    ``missing`` (recorded, but the file is gone: retrain it) or ``none`` (not trained
    yet, or trained before weights were kept)."""

    id: str
    status: str
    origin: str
    params: int
    test_acc: float | None
    weights: WeightsState
    digest: str | None = None


def origin_words(origin: Origin) -> str:
    """The origin as the UI says it (``continued from m17 at epoch 10``)."""
    match origin:
        case Sampled():
            return f"sampled (seed {origin.seed}, #{origin.index})"
        case Ablation():
            return f"ablation of {origin.parent} (layer {origin.index})"
        case Variation():
            return f"variation of {origin.parent}"
        case Handcrafted():
            return f"handcrafted from {origin.parent}"
        case Replicated():
            return f"replicate of {origin.of} (#{origin.index})"
        case Continued():
            return f"continued from {origin.parent} at epoch {origin.epoch}"
    return getattr(origin, "type", type(origin).__name__)


def model_rows(state: SessionState, weights: WeightStore | None) -> list[ModelListed]:
    """Every model of `state` in creation order; `weights`: the data folder's store
    (None: every recorded file counts as missing)."""
    rows = []
    for m in state.models.values():
        result = m.result
        recorded = None if result is None else result.weights
        if recorded is None:
            kept: WeightsState = "none"
        elif weights is not None and weights.present(recorded):
            kept = "present"
        else:
            kept = "missing"
        rows.append(
            ModelListed(
                id=m.id,
                status=m.status,
                origin=origin_words(m.origin),
                params=m.params,
                test_acc=None if result is None else result.test_acc,
                weights=kept,
                digest=None if recorded is None else recorded.digest,
            )
        )
    return rows


class TableRow(msgspec.Struct, omit_defaults=False):
    """One model as a row of ``models.csv`` / ``models.parquet``: the drawer's columns
    (params, FLOPs, best validation and test accuracy, forward ms per batch), its
    status and training, and its lineage (`origin` in words, `origin_type`, `parent`,
    `description`: its changes in words). Accuracies are fractions; empty: not yet.
    `tags` and `notes` (issue 22: the texts of its notes, oldest first): in CSV the tags
    joined by commas (as the filter's ``tag:a,b``) and the notes one a line; in Parquet
    lists of strings."""

    id: str
    status: str
    origin: str
    origin_type: str
    parent: str | None
    description: str
    params: int
    flops: int
    val_best: float | None
    test_acc: float | None
    test_loss: float | None
    forward_ms: float | None
    epochs: int | None
    wall_s: float | None
    weights: WeightsState
    tags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


_JOIN = {"tags": ",", "notes": "\n"}  # how CSV writes a list column (tags have no comma)
COLUMNS: tuple[str, ...] = TableRow.__struct_fields__


def table_rows(
    state: SessionState, weights: WeightStore | None, models: Sequence[str] | None = None
) -> list[TableRow]:
    """`models` of `state` (default: all, in creation order) as table rows."""
    listed = {r.id: r for r in model_rows(state, weights)}
    rows = []
    for mid in models if models is not None else list(state.models):
        m = state.models[mid]
        r = m.result
        vals = [e.val_acc for e in m.curve]
        rows.append(
            TableRow(
                id=m.id,
                status=m.status,
                origin=listed[mid].origin,
                origin_type=str(type(m.origin).__struct_config__.tag),
                parent=m.parent,
                description=m.description,
                params=m.params,
                flops=m.flops,
                val_best=max(vals) if vals else None,
                test_acc=None if r is None else r.test_acc,
                test_loss=None if r is None else r.test_loss,
                forward_ms=None if r is None else r.forward_ms,
                epochs=None if r is None else r.epochs,
                wall_s=None if r is None else r.wall_s,
                weights=listed[mid].weights,
                tags=m.tags,
                notes=tuple(n.text for n in m.notes),
            )
        )
    return rows


def table_csv(rows: Sequence[TableRow]) -> str:
    """The rows as CSV with a header line (None is an empty cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        cells = msgspec.structs.astuple(row)
        writer.writerow(
            [
                _JOIN[c].join(v) if c in _JOIN else "" if v is None else v
                for c, v in zip(COLUMNS, cells, strict=True)
            ]
        )
    return buffer.getvalue()


def table_parquet(rows: Sequence[TableRow]) -> bytes:
    """The rows as one Parquet file, typed (ints, floats with nulls, strings)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"params": pa.int64(), "flops": pa.int64(), "epochs": pa.int64()}
    types.update(dict.fromkeys(_JOIN, pa.list_(pa.string())))
    floats = ("val_best", "test_acc", "test_loss", "forward_ms", "wall_s")
    schema = pa.schema(
        [(c, types.get(c, pa.float64() if c in floats else pa.string())) for c in COLUMNS]
    )
    data = {
        c: [list(v) if c in _JOIN else v for v in (getattr(r, c) for r in rows)] for c in COLUMNS
    }
    buffer = io.BytesIO()
    pq.write_table(pa.table(data, schema=schema), buffer)
    return buffer.getvalue()
