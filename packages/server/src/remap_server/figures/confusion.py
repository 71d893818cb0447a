"""Confusion matrices as a figure (the inspector's): rows the true class, columns
the predicted one, darker for more test examples; one matrix per chosen model, side
by side (at most four)."""

from __future__ import annotations

from collections.abc import Sequence

from nas_core.events import SessionState

from ._draw import INK, MUTED, document, esc, num
from ._select import FigureError
from .per_class import class_names

__all__ = ["confusion_svg"]

CELL = 22.0
MAX = 4


def confusion_svg(state: SessionState, chosen: Sequence[str]) -> str:
    models = [state.models[mid] for mid in chosen if state.models[mid].result is not None][:MAX]
    if not models:
        raise FigureError("no trained model to draw: choose trained models (--models)")
    n = max(len(m.result.confusion) for m in models)
    names = class_names(state, n)
    side = CELL * n
    block = side + 90
    body = []
    for k, m in enumerate(models):
        x0, y0 = 60 + k * block, 64.0
        rows = m.result.confusion
        top = max((v for row in rows for v in row), default=1) or 1
        body.append(
            f'<g class="model-mark" data-model="{esc(m.id)}">'
            f'<text x="{num(x0 + side / 2)}" y="{num(y0 - 22)}" text-anchor="middle" '
            f'font-size="12" fill="{INK}">{esc(m.id)}</text>'
        )
        for t, row in enumerate(rows):
            for p, v in enumerate(row):
                shade = v / top
                fill = f"rgba(0,114,178,{0.04 + 0.96 * shade:.3f})"
                text = "#ffffff" if shade > 0.55 else INK
                x, y = x0 + p * CELL, y0 + t * CELL
                body.append(
                    f'<rect class="confusion-cell" data-true="{t}" data-predicted="{p}" '
                    f'x="{num(x)}" y="{num(y)}" width="{num(CELL)}" height="{num(CELL)}" '
                    f'fill="{fill}" stroke="#ffffff" stroke-width="0.5"/>'
                )
                if v:
                    body.append(
                        f'<text x="{num(x + CELL / 2)}" y="{num(y + CELL / 2 + 3.5)}" '
                        f'text-anchor="middle" font-size="9" fill="{text}">{v}</text>'
                    )
        for c in range(n):
            body.append(
                f'<text x="{num(x0 - 4)}" y="{num(y0 + c * CELL + CELL / 2 + 4)}" '
                f'text-anchor="end" font-size="10" fill="{MUTED}">{esc(names[c])}</text>'
                f'<text x="{num(x0 + c * CELL + CELL / 2)}" y="{num(y0 - 6)}" '
                f'text-anchor="middle" font-size="10" fill="{MUTED}">{esc(names[c])}</text>'
            )
        body.append(
            f'<text x="{num(x0 + side / 2)}" y="{num(y0 + side + 18)}" text-anchor="middle" '
            f'font-size="11" fill="{MUTED}">predicted (columns) · true (rows)</text></g>'
        )
    width = 60 + block * len(models)
    title = f"{state.name or state.session}: confusion matrix"
    return document(width, 64 + side + 40, "".join(body), title=title, view="confusion")
