"""SVG → PDF or PNG through cairosvg (the edge of the figures: the views are SVG).

Sizes: an SVG's CSS pixels are 1/96 inch, so a PDF page is 0.75 pt per pixel and a PNG
at `dpi` is `dpi / 96` device pixels per CSS pixel. Text is drawn in DejaVu Sans
(every font-family is rewritten to it first), whose glyphs cairo embeds in the PDF, so
the page looks the same on a machine without the font."""

from __future__ import annotations

import re

from ._draw import FONT
from ._select import FigureError

__all__ = ["DPI_RANGE", "FORMATS", "MEDIA_TYPES", "convert"]

FORMATS = ("svg", "pdf", "png")
MEDIA_TYPES = {"svg": "image/svg+xml", "pdf": "application/pdf", "png": "image/png"}
DPI_RANGE = (24, 1200)
_FAMILY = re.compile(r'font-family="[^"]*"')


def convert(svg: str, fmt: str, dpi: int = 96) -> bytes:
    """`svg` as the bytes of `fmt` (svg, pdf or png); `dpi` sets a PNG's resolution."""
    if fmt not in FORMATS:
        raise FigureError(f"no figure format {fmt!r}: one of {', '.join(FORMATS)}")
    lo, hi = DPI_RANGE
    if not lo <= dpi <= hi:
        raise FigureError(f"dpi must be from {lo} to {hi}, not {dpi}")
    if fmt == "svg":
        return svg.encode()
    import cairosvg

    fixed = _FAMILY.sub(f'font-family="{FONT}"', svg).encode()
    if fmt == "pdf":
        return cairosvg.svg2pdf(bytestring=fixed, unsafe=False)
    return cairosvg.svg2png(bytestring=fixed, dpi=dpi, scale=dpi / 96, unsafe=False)
