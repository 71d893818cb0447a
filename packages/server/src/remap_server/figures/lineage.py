"""The lineage as a figure (the ``<remap-lineage>`` view's): every model of the session
as a forest left to right — sampled, imported and one-shot models as roots; ablations,
variations, handcrafted, continued, replicated models and search proposals under their
parent — each edge labelled with Δ test accuracy (points) and Δ parameters; the chosen
models and their paths from their roots drawn in the accent colour.

The layout is the view's (packages/ui/src/views/lineage/layout.js): a column per depth,
a node's first child on its row, each later child on a new row below the previous
sibling's subtree, so no edge crosses a node."""

from __future__ import annotations

from collections.abc import Sequence

from nas_core.events import ModelState, SessionState

from ._draw import INK, MUTED, document, esc, num
from ._select import test_acc

__all__ = ["lineage_rows", "lineage_svg"]

ROW, COL, NODE_W, NODE_H, TRUNK = 46.0, 214.0, 128.0, 34.0, 15.0
LEFT, TOP = 16.0, 64.0
ACCENT = "#0072B2"
EDGE = "#aab2bd"
BORDER = "#dde1e6"
UP, DOWN = "#007a5a", "#b34700"
# the view's words and colours per origin kind (layout.js ORIGIN_KINDS)
KINDS = {
    "sampled": ("sample", "#0072B2"),
    "ablation": ("ablation", "#D55E00"),
    "variation": ("variation", "#E69F00"),
    "handcraft": ("handcraft", "#CC79A7"),
    "continued": ("continued", "#009E73"),
    "replicate": ("replicate", "#56B4E9"),
    "auto_search": ("search proposal", "#7a5195"),
    "imported": ("imported", "#5f6b7a"),
    "oneshot": ("one-shot candidate", "#1d2330"),
}


def _kind(m: ModelState) -> tuple[str, str]:
    tag = str(type(m.origin).__struct_config__.tag)
    return KINDS.get(tag, (tag, "#8a8f98"))


def lineage_rows(state: SessionState) -> list[tuple[str, str | None, int, int]]:
    """(id, parent, depth, row) of every model in preorder (as layout.js lays it out
    with nothing collapsed); a parent unknown or made later counts as none."""
    order = {mid: i for i, mid in enumerate(state.models)}
    children: dict[str, list[str]] = {mid: [] for mid in state.models}
    roots: list[str] = []
    parent_of: dict[str, str | None] = {}
    for mid, m in state.models.items():
        p = m.parent
        if p is not None and p in order and order[p] < order[mid]:
            children[p].append(mid)
            parent_of[mid] = p
        else:
            roots.append(mid)
            parent_of[mid] = None
    out: list[tuple[str, str | None, int, int]] = []
    max_row = -1
    stack: list[tuple[str, int, int | None]] = [(r, 0, None) for r in reversed(roots)]
    while stack:
        mid, depth, row = stack.pop()
        if row is None:
            max_row += 1
            row = max_row
        out.append((mid, parent_of[mid], depth, row))
        kids = children[mid]
        for k in range(len(kids) - 1, -1, -1):
            stack.append((kids[k], depth + 1, row if k == 0 else None))
    return out


def _delta_acc(parent: ModelState, child: ModelState) -> str:
    a, b = test_acc(parent), test_acc(child)
    if a is None or b is None:
        return ""
    d = round((b - a) * 1000) / 10
    return "±0" if d == 0 else f"{'+' if d > 0 else '−'}{abs(d):.1f} pt"


def _count(n: int) -> str:
    n = abs(n)
    if n < 1000:
        return str(n)
    if n < 1e6:
        return f"{n / 1e3:.{1 if n < 1e4 else 0}f}k".replace(".0k", "k")
    return f"{n / 1e6:.{1 if n < 1e7 else 0}f}M".replace(".0M", "M")


def _delta_params(d: int) -> str:
    return "±0" if d == 0 else f"{'+' if d > 0 else '−'}{_count(d)}"


def lineage_svg(state: SessionState, chosen: Sequence[str]) -> str:
    """The lineage of every model of `state`, the `chosen` models and their paths
    from their roots highlighted."""
    rows = lineage_rows(state)
    at = {mid: (depth, row) for mid, _, depth, row in rows}
    parents = {mid: parent for mid, parent, _, _ in rows}
    on_path: set[str] = set()
    for mid in chosen:
        while mid is not None and mid not in on_path and mid in at:
            on_path.add(mid)
            mid = parents[mid]
    ringed = set(chosen)
    depth = max((d for _, _, d, _ in rows), default=0)
    n_rows = max((r for _, _, _, r in rows), default=-1) + 1
    width = LEFT * 2 + depth * COL + NODE_W + 8
    height = TOP + max(n_rows, 1) * ROW + 40

    def x_of(mid: str) -> float:
        return LEFT + at[mid][0] * COL

    def y_of(mid: str) -> float:
        return TOP + at[mid][1] * ROW + ROW / 2

    edges, labels, nodes = [], [], []
    for mid, parent, _, _ in rows:
        m = state.models[mid]
        if parent is not None:
            p = state.models[parent]
            px, yp = x_of(parent) + NODE_W, y_of(parent)
            tx, xc, yc = px + TRUNK, x_of(mid), y_of(mid)
            if at[mid][1] == at[parent][1]:
                d = f"M{num(px)} {num(yp)}H{num(xc)}"
            else:
                d = (f"M{num(px)} {num(yp)}H{num(tx)}V{num(yc - 7)}"
                     f"Q{num(tx)} {num(yc)} {num(tx + 7)} {num(yc)}H{num(xc)}")  # fmt: skip
            path = mid in on_path and parent in on_path
            colour, width = (ACCENT, 2.6) if path else (EDGE, 1.4)
            edges.append(
                f'<path class="lineage-edge" data-parent="{esc(parent)}" '
                f'data-child="{esc(mid)}" d="{d}" fill="none" stroke="{colour}" '
                f'stroke-width="{num(width)}"/>'
            )
            da = _delta_acc(p, m)
            dp = _delta_params(m.params - p.params)
            lx = (tx + xc) / 2 + 3
            colour = UP if da.startswith("+") else DOWN if da.startswith("−") else MUTED
            weight = ' font-weight="bold"' if da and da != "±0" else ""
            up = f'<text x="{num(lx)}" y="{num(yc - 5)}" fill="{colour}"{weight}>{esc(da)}</text>'
            labels.append(
                f'<g class="edge-label" data-child="{esc(mid)}" font-size="10" '
                f'text-anchor="middle">{up if da else ""}'
                f'<text x="{num(lx)}" y="{num(yc + 12)}" fill="{MUTED}">{esc(dp)}</text></g>'
            )
        label, colour = _kind(m)
        x, y = x_of(mid), y_of(mid) - NODE_H / 2
        acc = test_acc(m)
        acc_text = f"{acc * 100:.1f} %" if acc is not None else m.status
        ring = mid in ringed
        stroke, width = (ACCENT, 2.5) if ring else (ACCENT, 1) if mid in on_path else (BORDER, 1)
        border = f'stroke="{stroke}" stroke-width="{num(width)}"'
        fill = "#e3f0f8" if ring else "#ffffff"
        nodes.append(
            f'<g class="model-mark" data-model="{esc(mid)}">'
            f'<rect x="{num(x)}" y="{num(y)}" width="{num(NODE_W)}" height="{num(NODE_H)}" rx="5" '
            f'fill="{fill}" {border}/>'
            f'<rect x="{num(x)}" y="{num(y)}" width="4" height="{num(NODE_H)}" fill="{colour}"/>'
            f'<text x="{num(x + 10)}" y="{num(y + 14)}" font-size="11.5" font-weight="bold" '
            f'fill="{INK}">{esc(mid)}</text>'
            f'<text x="{num(x + NODE_W - 7)}" y="{num(y + 14)}" font-size="11.5" text-anchor="end" '
            f'fill="{INK}">{esc(acc_text)}</text>'
            f'<text x="{num(x + 10)}" y="{num(y + 28)}" font-size="10" fill="{MUTED}">'
            f"{esc(label)}</text>"
            f'<text x="{num(x + NODE_W - 7)}" y="{num(y + 28)}" font-size="10" text-anchor="end" '
            f'fill="{MUTED}">{esc(_count(m.params))}</text></g>'
        )  # fmt: skip
    present = {str(type(m.origin).__struct_config__.tag) for m in state.models.values()}
    legend, lx = [], LEFT
    for tag, (label, colour) in KINDS.items():
        if tag in present:
            legend.append(
                f'<rect x="{num(lx)}" y="34" width="9" height="9" rx="2" fill="{colour}"/>'
                f'<text x="{num(lx + 13)}" y="42" font-size="11" fill="{MUTED}">{esc(label)}</text>'
            )
            lx += 24 + 5.9 * len(label)
    words = "Each edge: Δ test accuracy (points) over Δ parameters, child minus parent."
    at_y = height - 14
    if not rows:
        words, at_y = "No models yet.", TOP + 20
    key = (
        f'<text x="{num(LEFT)}" y="{num(at_y)}" font-size="10.5" fill="{MUTED}">{esc(words)}</text>'
    )
    title = f"{state.name or state.session}: lineage of {len(rows)} models"
    body = "".join(legend) + "".join(edges) + "".join(labels) + "".join(nodes) + key
    return document(max(width, 420.0), height, body, title=title, view="lineage")
