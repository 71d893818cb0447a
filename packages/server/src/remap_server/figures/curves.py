"""Training curves as a figure (the inspector's chart): validation accuracy (solid)
and training accuracy (dashed) per epoch of each chosen model."""

from __future__ import annotations

from collections.abc import Sequence

from nas_core.events import SessionState

from ._draw import INK, OKABE_ITO, Scale, axes, document, esc, num, percent, polyline
from ._select import FigureError

__all__ = ["curves_svg"]

W, H = 640.0, 420.0
LEFT, RIGHT, TOP, BOTTOM = 76.0, 500.0, 40.0, 350.0


def curves_svg(state: SessionState, chosen: Sequence[str]) -> str:
    models = [state.models[mid] for mid in chosen if state.models[mid].curve]
    if not models:
        raise FigureError("no trained epochs to draw: choose models that have trained (--models)")
    epochs = max(e.epoch for m in models for e in m.curve)
    accs = [a for m in models for e in m.curve for a in (e.val_acc, e.train_acc) if a is not None]
    sx = Scale(1, max(epochs, 2), LEFT, RIGHT)
    sy = Scale(min([*accs, 1.0]) - 0.02, 1.0, BOTTOM, TOP)
    ticks = [t for t in sx.ticks(min(epochs, 8)) if float(t).is_integer()]
    body = [axes(sx, sy, x_label="epoch", y_label="accuracy", x_format=lambda t: f"{t:g}",
                 y_format=percent, x_ticks=ticks)]  # fmt: skip
    for k, m in enumerate(models):
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        val = [(sx(e.epoch), sy(e.val_acc)) for e in m.curve]
        train = [(sx(e.epoch), sy(e.train_acc)) for e in m.curve if e.train_acc is not None]
        body.append(f'<g class="model-mark" data-model="{esc(m.id)}">')
        body.append(polyline(val, "val-acc", f'stroke="{colour}" stroke-width="2"'))
        dashed = f'stroke="{colour}" stroke-width="1.2" stroke-dasharray="4 3"'
        body.append(polyline(train, "train-acc", dashed))
        for x, y in val:
            body.append(f'<circle cx="{num(x)}" cy="{num(y)}" r="2.5" fill="{colour}"/>')
        ly = TOP + 14 + 18 * k
        body.append(
            f'<line x1="{num(RIGHT + 16)}" y1="{num(ly - 4)}" x2="{num(RIGHT + 36)}" '
            f'y2="{num(ly - 4)}" stroke="{colour}" stroke-width="2"/>'
            f'<text x="{num(RIGHT + 42)}" y="{num(ly)}" font-size="11" fill="{INK}">'
            f"{esc(m.id)}</text></g>"
        )
    ly = TOP + 14 + 18 * len(models) + 8
    body.append(
        f'<text x="{num(RIGHT + 16)}" y="{num(ly)}" font-size="10" fill="{INK}">solid: validation'
        f'</text><text x="{num(RIGHT + 16)}" y="{num(ly + 13)}" font-size="10" fill="{INK}">'
        "dashed: training</text>"
    )
    title = f"{state.name or state.session}: training curves"
    return document(W, H, "".join(body), title=title, view="curves")
