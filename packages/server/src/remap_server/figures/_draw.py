"""The pieces every figure is drawn with: text escaping, numbers, linear scales with
round ticks, axes, and the document around a figure.

Figures are SVG in CSS pixels (96 per inch), one font family that Debian ships
(DejaVu Sans), so that cairosvg's PDF (which embeds the fonts it draws with) and PNG
look like the SVG everywhere."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

__all__ = [
    "FONT",
    "GRID",
    "INK",
    "MUTED",
    "OKABE_ITO",
    "Scale",
    "axes",
    "document",
    "esc",
    "num",
    "percent",
    "polyline",
]

FONT = "DejaVu Sans"
INK = "#1f2328"
MUTED = "#6e7781"
GRID = "#e6e8eb"
# Okabe & Ito's colour-blind-safe palette (the UI's): blue, orange, green, vermillion…
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")


def esc(text: object) -> str:
    """`text` safe inside an SVG element or a double-quoted attribute."""
    return escape(str(text), {'"': "&quot;"})


def num(x: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(x: float) -> str:
    return f"{round(x * 1000) / 10:g} %"


class Scale:
    """A linear map of the data interval [d0, d1] onto the pixels [p0, p1]."""

    def __init__(self, d0: float, d1: float, p0: float, p1: float) -> None:
        if not (math.isfinite(d0) and math.isfinite(d1)) or d1 - d0 < 1e-12:
            d0, d1 = (d0 - 0.5, d0 + 0.5) if math.isfinite(d0) else (0.0, 1.0)
        self.d0, self.d1, self.p0, self.p1 = d0, d1, p0, p1

    def __call__(self, d: float) -> float:
        return self.p0 + (d - self.d0) / (self.d1 - self.d0) * (self.p1 - self.p0)

    def ticks(self, count: int = 5) -> list[float]:
        """Round values inside the domain, about `count` of them (1, 2, 5 × 10^k)."""
        span = self.d1 - self.d0
        raw = span / max(count, 1)
        step = 10 ** math.floor(math.log10(raw))
        for m in (1, 2, 5, 10):
            if raw <= m * step:
                step *= m
                break
        first = math.ceil(self.d0 / step - 1e-9)
        return [k * step for k in range(first, math.floor(self.d1 / step + 1e-9) + 1)]


def padded(values: Iterable[float], pad: float = 0.06) -> tuple[float, float]:
    """The extent of `values` widened by `pad` of its span on each side."""
    vs = [v for v in values if math.isfinite(v)]
    if not vs:
        return 0.0, 1.0
    lo, hi = min(vs), max(vs)
    span = hi - lo if hi - lo > 1e-12 else max(abs(lo), 1.0) * 0.1
    return lo - pad * span, hi + pad * span


def polyline(points: Sequence[tuple[float, float]], cls: str, style: str) -> str:
    if len(points) < 2:
        return ""
    pts = " ".join(f"{num(x)},{num(y)}" for x, y in points)
    return f'<polyline class="{cls}" points="{pts}" fill="none" {style}/>'


def axes(
    x: Scale,
    y: Scale,
    *,
    x_label: str,
    y_label: str,
    x_format=None,
    y_format=None,
    x_ticks: Sequence[float] | None = None,
    y_ticks: Sequence[float] | None = None,
) -> str:
    """The frame, grid lines, ticks and labels of a plot whose area the scales span;
    a format of None draws no tick labels (an MDS axis has no unit)."""
    left, right = min(x.p0, x.p1), max(x.p0, x.p1)
    top, bottom = min(y.p0, y.p1), max(y.p0, y.p1)
    out = ['<g class="axes" font-size="11" fill="' + MUTED + '">']
    for t in x_ticks if x_ticks is not None else (x.ticks() if x_format else []):
        px = x(t)
        out.append(
            f'<line x1="{num(px)}" y1="{num(top)}" x2="{num(px)}" y2="{num(bottom)}" '
            f'stroke="{GRID}"/>'
            f'<text x="{num(px)}" y="{num(bottom + 15)}" text-anchor="middle">'
            f"{esc(x_format(t))}</text>"
        )
    for t in y_ticks if y_ticks is not None else (y.ticks() if y_format else []):
        py = y(t)
        out.append(
            f'<line x1="{num(left)}" y1="{num(py)}" x2="{num(right)}" y2="{num(py)}" '
            f'stroke="{GRID}"/>'
            f'<text x="{num(left - 6)}" y="{num(py + 4)}" text-anchor="end">'
            f"{esc(y_format(t))}</text>"
        )
    out.append(
        f'<rect x="{num(left)}" y="{num(top)}" width="{num(right - left)}" '
        f'height="{num(bottom - top)}" fill="none" stroke="{MUTED}"/>'
        f'<text x="{num((left + right) / 2)}" y="{num(bottom + 34)}" text-anchor="middle" '
        f'font-size="12" fill="{INK}">{esc(x_label)}</text>'
        f'<text transform="translate({num(left - 48)} {num((top + bottom) / 2)}) rotate(-90)" '
        f'text-anchor="middle" font-size="12" fill="{INK}">{esc(y_label)}</text>'
    )
    out.append("</g>")
    return "".join(out)


def document(width: float, height: float, body: str, *, title: str, view: str) -> str:
    """A standalone SVG of `width` × `height` CSS pixels with a white background."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="remap-figure" data-view="{esc(view)}" '
        f'width="{num(width)}" height="{num(height)}" viewBox="0 0 {num(width)} {num(height)}" '
        f'font-family="{FONT}" role="img" aria-label="{esc(title)}">'
        f"<title>{esc(title)}</title>"
        f'<rect width="100%" height="100%" fill="#ffffff"/>'
        f'<text x="16" y="22" font-size="14" font-weight="bold" fill="{INK}">{esc(title)}</text>'
        f"{body}</svg>"
    )
