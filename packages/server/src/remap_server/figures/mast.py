"""The MAST view as a figure (MAST, Fig. 2): every model's validation accuracy curve
over the session's wall time (each epoch at the time it ended), and the best so far
(the best validation accuracy any model had reached by then) as a step line."""

from __future__ import annotations

from nas_core.events import SessionState

from ._draw import MUTED, OKABE_ITO, Scale, axes, document, esc, num, percent, polyline
from ._select import FigureError

__all__ = ["mast_svg", "timed_curves"]

W, H = 640.0, 420.0
LEFT, RIGHT, TOP, BOTTOM = 76.0, 620.0, 40.0, 350.0


def timed_curves(state: SessionState) -> dict[str, list[tuple[float, float]]]:
    """(seconds since the session began, validation accuracy) per epoch per model."""
    out = {}
    for m in state.models.values():
        if m.started_s is None or not m.curve:
            continue
        t, pts = m.started_s, []
        for e in m.curve:
            t += e.seconds
            pts.append((t, e.val_acc))
        out[m.id] = pts
    return out


def mast_svg(state: SessionState) -> str:
    curves = timed_curves(state)
    if not curves:
        raise FigureError("no model has trained an epoch yet: the MAST view has nothing to draw")
    ts = [t for pts in curves.values() for t, _ in pts]
    accs = [a for pts in curves.values() for _, a in pts]
    sx = Scale(0, max(ts) * 1.02 or 1, LEFT, RIGHT)
    sy = Scale(max(0.0, min(accs) - 0.02), min(1.0, max(accs) + 0.02), BOTTOM, TOP)
    body = [axes(sx, sy, x_label="wall time since the session started (s)",
                 y_label="validation accuracy", x_format=lambda t: f"{t:g}",
                 y_format=percent)]  # fmt: skip
    for mid, pts in curves.items():
        xy = [(sx(t), sy(a)) for t, a in pts]
        body.append(f'<g class="model-mark" data-model="{esc(mid)}">')
        body.append(polyline(xy, "val-acc", f'stroke="{OKABE_ITO[0]}" stroke-opacity="0.45" '
                                            'stroke-width="1.2"'))  # fmt: skip
        x, y = xy[-1]
        body.append(f'<circle cx="{num(x)}" cy="{num(y)}" r="2.2" fill="{OKABE_ITO[0]}">'
                    f"<title>{esc(mid)}: {percent(pts[-1][1])}</title></circle></g>")  # fmt: skip
    best, step = -1.0, []
    for t, a in sorted(p for pts in curves.values() for p in pts):
        if a > best:
            if step:
                step.append((sx(t), step[-1][1]))
            step.append((sx(t), sy(a)))
            best = a
    step.append((RIGHT, step[-1][1]))
    body.append(polyline(step, "best-so-far", f'stroke="{OKABE_ITO[3]}" stroke-width="2"'))
    body.append(
        f'<text x="{num(RIGHT - 4)}" y="{num(step[-1][1] - 6)}" text-anchor="end" font-size="11" '
        f'fill="{OKABE_ITO[3]}">best so far {percent(best)}</text>'
        f'<text x="{num(LEFT)}" y="{num(H - 14)}" font-size="11" fill="{MUTED}">'
        f"{len(curves)} models; each line one model's validation accuracy per epoch</text>"
    )
    title = f"{state.name or state.session}: MAST view (accuracy over wall time)"
    return document(W, H, "".join(body), title=title, view="mast")
