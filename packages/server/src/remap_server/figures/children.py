"""The children table of a model as a figure (the inspector's): each child's origin,
its changes in words, its chip, and its accuracy and size against the parent's."""

from __future__ import annotations

from collections.abc import Sequence

from nas_core.events import SessionState

from ._select import FigureError, test_acc
from ._table import Column, table_svg

__all__ = ["children_svg"]

COLUMNS = (
    Column("Model", 64),
    Column("Status", 70),
    Column("Params", 80, True),
    Column("Δ params", 84, True),
    Column("Test", 64, True),
    Column("Δ acc", 70, True),
    Column("Changes", 300),
)


def children_svg(state: SessionState, chosen: Sequence[str]) -> str:
    if not chosen:
        raise FigureError("whose children? pass --models PARENT (or put it in the drawer)")
    parent = state.models[chosen[0]]
    kids = [m for m in state.models.values() if m.parent == parent.id]
    p_acc = test_acc(parent)
    rows = []
    for m in kids:
        acc = test_acc(m)
        d_acc = "" if acc is None or p_acc is None else f"{(acc - p_acc) * 100:+.1f} pt"
        rows.append(
            (m, (m.id, m.status, f"{m.params:,}", f"{m.params - parent.params:+,}",
                 "" if acc is None else f"{acc * 100:.1f} %", d_acc, m.description or ""))
        )  # fmt: skip
    note = "" if kids else f"{parent.id} has no children yet"
    title = f"{state.name or state.session}: children of {parent.id}"
    return table_svg(title=title, view="children", columns=COLUMNS, rows=rows, chips=True,
                     note=note)  # fmt: skip
