"""A table drawn as SVG, optionally with a SNAC chip per row (snacs draws it), the
form of the children table and of the drawer's sheet."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

import snacs
from nas_core.events import ModelState

from ._draw import GRID, INK, MUTED, document, esc, num

__all__ = ["Column", "table_svg"]

ROW = 40.0
CHIP_W, CHIP_H = 240.0, 30.0


class Column(msgspec.Struct, frozen=True):
    label: str
    width: float
    numeric: bool = False


def _chip(m: ModelState, x: float, y: float) -> str:
    spec = msgspec.to_builtins(m.arch)
    spec["name"] = m.id
    svg = snacs.render(spec, layout="fixed", height=CHIP_H, width=CHIP_W)
    # nested at its place: an <svg> inside an <svg> is positioned by x and y
    return svg.replace("<svg ", f'<svg x="{num(x)}" y="{num(y)}" ', 1)


def table_svg(
    *,
    title: str,
    view: str,
    columns: Sequence[Column],
    rows: Sequence[tuple[ModelState, Sequence[str]]],
    chips: bool,
    note: str = "",
) -> str:
    """One row per (model, cells); a chip column after the first column when `chips`."""
    x0, top = 16.0, 44.0
    xs, x = [], x0
    for k, col in enumerate(columns):
        xs.append(x)
        x += col.width
        if k == 0 and chips:
            x += CHIP_W + 16
    width = x + 16
    out = []
    for k, col in enumerate(columns):
        anchor, cx = ("end", xs[k] + col.width - 8) if col.numeric else ("start", xs[k])
        out.append(
            f'<text x="{num(cx)}" y="{num(top + 14)}" text-anchor="{anchor}" font-size="11" '
            f'font-weight="bold" fill="{MUTED}">{esc(col.label)}</text>'
        )
    if chips:
        out.append(
            f'<text x="{num(xs[0] + columns[0].width)}" y="{num(top + 14)}" font-size="11" '
            f'font-weight="bold" fill="{MUTED}">SNAC</text>'
        )
    y = top + 22
    for m, cells in rows:
        out.append(
            f'<g class="model-mark" data-model="{esc(m.id)}">'
            f'<line x1="{num(x0)}" y1="{num(y)}" x2="{num(width - 16)}" y2="{num(y)}" '
            f'stroke="{GRID}"/>'
        )
        if chips:
            out.append(_chip(m, xs[0] + columns[0].width, y + (ROW - CHIP_H) / 2))
        for k, (col, cell) in enumerate(zip(columns, cells, strict=True)):
            anchor, cx = ("end", xs[k] + col.width - 8) if col.numeric else ("start", xs[k])
            out.append(
                f'<text x="{num(cx)}" y="{num(y + ROW / 2 + 4)}" text-anchor="{anchor}" '
                f'font-size="11" fill="{INK}">{esc(cell)}</text>'
            )
        out.append("</g>")
        y += ROW
    if note:
        out.append(f'<text x="{num(x0)}" y="{num(y + 20)}" font-size="11" fill="{MUTED}">'
                   f"{esc(note)}</text>")  # fmt: skip
    return document(width, y + 34, "".join(out), title=title, view=view)
