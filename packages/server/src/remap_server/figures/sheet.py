"""The drawer (or any selection) as an aligned SNAC sheet with the drawer's metrics:
one row per model, every chip at one width and height scale so layers line up."""

from __future__ import annotations

from collections.abc import Sequence

from nas_core.events import SessionState

from ..models_table import table_rows
from ._select import FigureError
from ._table import Column, table_svg

__all__ = ["sheet_svg"]

COLUMNS = (
    Column("Model", 64),
    Column("Params", 80, True),
    Column("FLOPs", 90, True),
    Column("Val best", 72, True),
    Column("Test", 64, True),
    Column("Fwd ms", 64, True),
    Column("Origin", 220),
)


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x * 100:.1f} %"


def sheet_svg(state: SessionState, chosen: Sequence[str]) -> str:
    if not chosen:
        raise FigureError("nothing to draw: the drawer is empty (add models, or pass --models)")
    rows = {r.id: r for r in table_rows(state, None)}
    body = []
    for mid in chosen:
        r = rows[mid]
        ms = "" if r.forward_ms is None else f"{r.forward_ms:.2f}"
        cells = (r.id, f"{r.params:,}", f"{r.flops:,}", _pct(r.val_best), _pct(r.test_acc), ms,
                 r.origin)  # fmt: skip
        body.append((state.models[mid], cells))
    title = (
        f"{state.name or state.session}: {'drawer' if tuple(chosen) == state.drawer else 'models'}"
    )
    return table_svg(title=title, view="sheet", columns=COLUMNS, rows=body, chips=True)
