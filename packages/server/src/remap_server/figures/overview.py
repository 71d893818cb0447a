"""The overview as a figure: one circle per model in a projection (REMAP Fig. 1A) —
``accuracy`` (test accuracy against log parameters, with the Pareto front),
``structure`` and ``predictions`` (the recorded MDS positions), ``search`` (accuracy
over wall time with the best so far) — the chosen models ringed and their parent →
child edges drawn."""

from __future__ import annotations

import math
from collections.abc import Sequence

from nas_core.events import PROJECTIONS, SessionState

from ._draw import INK, MUTED, OKABE_ITO, Scale, axes, document, esc, num, padded, percent
from ._select import FigureError, finished_s, lineage_edges, test_acc

__all__ = ["overview_svg", "pareto_front"]

W, H = 640.0, 460.0
LEFT, RIGHT, TOP, BOTTOM = 76.0, 620.0, 40.0, 392.0
BLUE = OKABE_ITO[0]
SELECTED = OKABE_ITO[3]
EDGE = OKABE_ITO[1]


def pareto_front(points: Sequence[tuple[str, float, float]]) -> list[str]:
    """The ids on the Pareto front of (id, cost, accuracy): no other model is both
    smaller (or as small) and more accurate; smallest first."""
    front: list[str] = []
    best = -math.inf
    for mid, _, acc in sorted(points, key=lambda p: (p[1], -p[2])):
        if acc > best:
            front.append(mid)
            best = acc
    return front


def _count(d: float) -> str:
    n = 10**d
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.3g}{unit}"
    return f"{n:.3g}"


def _seconds(s: float) -> str:
    return f"{s:g} s" if s < 120 else f"{s / 60:g} min"


def _positions(state: SessionState, projection: str) -> tuple[dict[str, tuple[float, float]], dict]:
    """Data coordinates of every model the projection shows, and its axes' words."""
    models = state.models
    if projection == "accuracy":
        pos = {
            m.id: (math.log10(max(1, m.params)), a)
            for m in models.values()
            if (a := test_acc(m)) is not None
        }
        return pos, {
            "x": "parameters (log scale)",
            "y": "test accuracy",
            "xf": _count,
            "yf": percent,
        }
    if projection == "search":
        pos = {
            m.id: (t, a)
            for m in models.values()
            if (a := test_acc(m)) is not None and (t := finished_s(m)) is not None
        }
        return pos, {"x": "wall time since the session started", "y": "test accuracy",
                     "xf": _seconds, "yf": percent}  # fmt: skip
    recorded = state.embeddings.get(projection, {})
    pos = {mid: (p[0], p[1]) for mid, p in recorded.items() if mid in models}
    name = "OTMANN structure distance" if projection == "structure" else "prediction distance"
    return pos, {"x": f"MDS of {name} (axis 1)", "y": "axis 2", "xf": None, "yf": None}


def overview_svg(state: SessionState, projection: str, chosen: Sequence[str]) -> str:
    """The overview of `state` in `projection`, the `chosen` models ringed."""
    if projection not in PROJECTIONS:
        raise FigureError(
            f"no projection {projection!r}: the overview has {', '.join(PROJECTIONS)}"
        )
    pos, words = _positions(state, projection)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    x0, x1 = padded(xs)
    y0, y1 = padded(ys)
    if projection in ("structure", "predictions"):  # one scale for both axes (MDS)
        half = max(x1 - x0, y1 - y0) / 2
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        x0, x1, y0, y1 = cx - half, cx + half, cy - half, cy + half
    sx = Scale(x0, x1, LEFT, RIGHT)
    sy = Scale(y0, y1, BOTTOM, TOP)
    x_ticks = None
    if projection == "accuracy":  # decades on a log axis (3.16k is no round number)
        decades = [t for t in sx.ticks() if float(t).is_integer()]
        x_ticks = decades if len(decades) >= 2 else None
    body = [axes(sx, sy, x_label=words["x"], y_label=words["y"], x_format=words["xf"],
                 y_format=words["yf"], x_ticks=x_ticks)]  # fmt: skip
    accs = [a for m in state.models.values() if (a := test_acc(m)) is not None]
    lo, hi = (min(accs), max(accs)) if accs else (0.0, 1.0)
    at = {mid: (sx(x), sy(y)) for mid, (x, y) in pos.items()}
    # overlays under the points: the Pareto front, the best so far
    if projection == "accuracy" and pos:
        front = pareto_front([(mid, x, y) for mid, (x, y) in pos.items()])
        pts: list[tuple[float, float]] = []
        for mid in front:
            px, py = at[mid]
            if pts:
                pts.append((px, pts[-1][1]))
            pts.append((px, py))
        pts.append((RIGHT, pts[-1][1]))
        body.append(_step("pareto-front", pts, INK, "Pareto front", front))
    if projection == "search" and pos:
        best = -math.inf
        pts = []
        for x, y in sorted(pos.values()):
            if y > best:
                if pts:
                    pts.append((sx(x), pts[-1][1]))
                pts.append((sx(x), sy(y)))
                best = y
        pts.append((RIGHT, pts[-1][1]))
        body.append(_step("best-so-far", pts, INK, "best so far", []))
    for parent, child in lineage_edges(state, chosen):
        if parent in at and child in at:
            (ax, ay), (bx, by) = at[parent], at[child]
            body.append(
                f'<line class="lineage-edge" data-parent="{esc(parent)}" data-child="{esc(child)}" '
                f'x1="{num(ax)}" y1="{num(ay)}" x2="{num(bx)}" y2="{num(by)}" stroke="{EDGE}" '
                f'stroke-width="1.6" marker-end="url(#arrow)"/>'
            )
    params = [math.log10(max(1, state.models[mid].params)) for mid in pos]
    p_lo, p_hi = (min(params), max(params)) if params else (0.0, 1.0)
    order = sorted(pos, key=lambda mid: test_acc(state.models[mid]) or 0.0)  # best on top
    for mid in order:
        m = state.models[mid]
        a = test_acc(m)
        shade = 0.25 + 0.75 * ((a - lo) / (hi - lo) if a is not None and hi - lo > 1e-9 else 1)
        t = (math.log10(max(1, m.params)) - p_lo) / (p_hi - p_lo) if p_hi - p_lo > 1e-9 else 0.5
        r = 3.5 + 5.5 * t
        px, py = at[mid]
        tip = f"{mid}: {m.params:,} parameters" + ("" if a is None else f", {percent(a)}")
        body.append(
            f'<circle class="model-mark" data-model="{esc(mid)}" cx="{num(px)}" cy="{num(py)}" '
            f'r="{num(r)}" fill="{BLUE}" fill-opacity="{shade:.2f}" stroke="#ffffff" '
            f'stroke-width="0.8"><title>{esc(tip)}</title></circle>'
        )
    for mid in chosen:
        if mid in at:
            px, py = at[mid]
            body.append(
                f'<circle class="selected-ring" data-model="{esc(mid)}" cx="{num(px)}" '
                f'cy="{num(py)}" r="11" fill="none" stroke="{SELECTED}" stroke-width="2"/>'
                f'<text x="{num(px + 13)}" y="{num(py - 8)}" font-size="11" fill="{INK}">'
                f"{esc(mid)}</text>"
            )
    hidden = len(state.models) - len(pos)
    note = f"{len(pos)} models" + (
        f"; {hidden} not shown (not trained or not placed yet)" if hidden else ""
    )
    body.append(
        f'<text x="{num(LEFT)}" y="{num(H - 14)}" font-size="11" fill="{MUTED}">{esc(note)}; '
        f"ringed: {esc(', '.join(chosen) or 'none')}; circle size: parameters, darkness: "
        "accuracy</text>"
    )
    defs = (
        f'<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        f'markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
        f'fill="{EDGE}"/></marker></defs>'
    )
    title = f"{state.name or state.session}: overview ({projection})"
    return document(W, H, defs + "".join(body), title=title, view="overview")


def _step(cls: str, pts: list[tuple[float, float]], colour: str, label: str, ids) -> str:
    line = " ".join(f"{num(x)},{num(y)}" for x, y in pts)
    data = f' data-models="{esc(" ".join(ids))}"' if ids else ""
    lx, ly = pts[-1]
    return (
        f'<polyline class="{cls}"{data} points="{line}" fill="none" stroke="{colour}" '
        f'stroke-width="1.4" stroke-dasharray="5 3"/>'
        f'<text x="{num(lx - 4)}" y="{num(ly + 14)}" text-anchor="end" font-size="11" '
        f'fill="{colour}">{esc(label)}</text>'
    )
