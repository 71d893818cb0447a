"""Per-class accuracy as a figure (the inspector's bars): for each class, one bar per
chosen model, grouped."""

from __future__ import annotations

from collections.abc import Sequence

from nas_core.events import SessionState

from ._draw import INK, OKABE_ITO, Scale, axes, document, esc, num, percent
from ._select import FigureError

__all__ = ["per_class_svg"]

H = 400.0
LEFT, TOP, BOTTOM = 76.0, 40.0, 330.0


def class_names(state: SessionState, n: int) -> list[str]:
    names = list(state.class_names)
    return [names[c] if c < len(names) else str(c) for c in range(n)]


def per_class_svg(state: SessionState, chosen: Sequence[str]) -> str:
    models = [state.models[mid] for mid in chosen if state.models[mid].result is not None]
    if not models:
        raise FigureError("no trained model to draw: choose trained models (--models)")
    n = max(len(m.result.per_class_acc) for m in models)
    group = max(14.0 * len(models) + 10, 28.0)
    right = LEFT + group * n
    width = right + 130
    sx = Scale(0, n, LEFT, right)
    sy = Scale(0, 1, BOTTOM, TOP)
    body = [axes(sx, sy, x_label="class", y_label="accuracy on the class (recall)",
                 x_format=None, y_format=percent)]  # fmt: skip
    names = class_names(state, n)
    for c in range(n):
        body.append(
            f'<text x="{num(sx(c + 0.5))}" y="{num(BOTTOM + 15)}" text-anchor="middle" '
            f'font-size="11" fill="{INK}">{esc(names[c])}</text>'
        )
    bar = (group - 10) / len(models)
    for k, m in enumerate(models):
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        body.append(f'<g class="model-mark" data-model="{esc(m.id)}" fill="{colour}">')
        for c, acc in enumerate(m.result.per_class_acc):
            x = sx(c) + 5 + k * bar
            body.append(
                f'<rect class="class-bar" data-class="{c}" x="{num(x)}" y="{num(sy(acc))}" '
                f'width="{num(bar - 1)}" height="{num(BOTTOM - sy(acc))}">'
                f"<title>{esc(m.id)}, class {esc(names[c])}: {percent(acc)}</title></rect>"
            )
        ly = TOP + 14 + 18 * k
        body.append(
            f'<rect x="{num(right + 16)}" y="{num(ly - 9)}" width="10" height="10"/>'
            f'<text x="{num(right + 32)}" y="{num(ly)}" font-size="11" fill="{INK}">'
            f"{esc(m.id)} ({percent(m.result.test_acc)})</text></g>"
        )
    title = f"{state.name or state.session}: accuracy per class"
    return document(width, H, "".join(body), title=title, view="per-class")
