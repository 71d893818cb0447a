"""Visual vocabulary: palette, symbols, glyphs, and number/text formatting.

Colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), chosen
to stay distinguishable under the common colour-vision deficiencies and in print. The
layer type is encoded twice, by colour and by a symbol: the type's initial, or for the
activations a glyph of the function's graph. Colour groups related types (the pools
share one, the activations another); the symbol tells them apart.
"""

from __future__ import annotations

import re

__all__ = [
    "FONT",
    "GLYPHS",
    "STYLES",
    "BlockStyle",
    "css_class",
    "esc",
    "fmt_count",
    "fmt_int",
    "num",
    "style_for",
]

FONT = "Inter, 'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', sans-serif"


_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CLASS_BAD = re.compile(r"[^a-z0-9_-]+")
_class_cache: dict[str, str] = {}


def esc(text: str) -> str:
    """Escape text for XML content and attributes; drop characters XML cannot hold."""
    if _BAD_XML.search(text):
        text = _BAD_XML.sub("\ufffd", text)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


class BlockStyle:
    """Fill, outline and symbol colours of one layer type."""

    __slots__ = ("fill", "ink", "label", "name", "stroke", "symbol", "symbol_xml")

    def __init__(self, name: str, label: str, symbol: str, fill: str, ink: str, stroke: str):
        self.name = name  # the type, as in JSON
        self.label = label  # for legends
        self.symbol = symbol  # the initial
        self.symbol_xml = esc(symbol)
        self.fill = fill
        self.ink = ink  # colour of the symbol on the fill
        self.stroke = stroke  # outline: the fill, darker


def _darker(hex_colour: str, f: float = 0.72) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(round(c * f) for c in (r, g, b)))


def _ink(hex_colour: str) -> str:
    """White or near-black, whichever contrasts more with the fill (WCAG luminance)."""

    def lin(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(int(hex_colour[i : i + 2], 16)) for i in (1, 3, 5))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    # Symbols are large and bold: white wins from a contrast of 3 (WCAG large text).
    return "#ffffff" if 1.05 / (lum + 0.05) >= 3.2 else "#1a1a1a"


# Okabe–Ito: blue, sky blue, vermillion, yellow, reddish purple, bluish green, orange.
_OKABE_ITO = {
    "blue": "#0072B2",
    "sky": "#56B4E9",
    "vermillion": "#D55E00",
    "yellow": "#F0E442",
    "purple": "#CC79A7",
    "green": "#009E73",
    "orange": "#E69F00",
    "grey": "#A3A3A3",
}


def _style(name: str, label: str, symbol: str, colour: str) -> BlockStyle:
    fill = _OKABE_ITO[colour]
    return BlockStyle(name, label, symbol, fill, _ink(fill), _darker(fill))


STYLES: dict[str, BlockStyle] = {
    s.name: s
    for s in (
        _style("conv", "convolution", "C", "blue"),
        _style("maxpool", "max pooling", "M", "sky"),
        _style("avgpool", "average pooling", "A", "sky"),
        _style("dense", "dense (fully connected)", "D", "vermillion"),
        _style("dropout", "dropout", "D", "yellow"),
        _style("batchnorm", "batch normalisation", "B", "purple"),
        _style("relu", "ReLU", "R", "green"),
        _style("tanh", "tanh", "T", "green"),
        _style("sigmoid", "sigmoid", "S", "green"),
        _style("flatten", "flatten", "F", "orange"),
    )
}
_GENERIC_FILL = _OKABE_ITO["grey"]
_GENERIC_INK = _ink(_GENERIC_FILL)
_GENERIC_STROKE = _darker(_GENERIC_FILL)
_generic_cache: dict[str, BlockStyle] = {}


def style_for(type_: str) -> BlockStyle:
    """The style of a layer type; unknown types get a grey block with their initial."""
    s = STYLES.get(type_)
    if s is None:
        s = _generic_cache.get(type_)
        if s is None:
            initial = next((ch for ch in type_ if ch.isalnum()), "?").upper()
            s = BlockStyle(type_, type_, initial, _GENERIC_FILL, _GENERIC_INK, _GENERIC_STROKE)
            if len(_generic_cache) < 1024:
                _generic_cache[type_] = s
    return s


# Activation glyphs in a unit box (y down): (faint axis path, curve path).
GLYPHS: dict[str, tuple[str, str]] = {
    # flat at zero, then linear
    "relu": ("", "M0 .78H.5L1 .12"),
    # tanh and sigmoid are both S-shaped: their curves differ in shape, not only in
    # the faint axis (which small glyphs omit), so they stay apart at any size.
    # tanh: from -1 to 1, a steep step in the middle between long flat arms, odd about
    # the crossing of its axes
    "tanh": ("M0 .5H1M.5 .12V.88", "M0 .88H.3C.45 .88 .55 .12 .7 .12H1"),
    # sigmoid: from 0 to 1 above its baseline, a gentle slope across the whole width
    "sigmoid": ("M0 .92H1", "M0 .84C.35 .84 .65 .16 1 .16"),
}


def css_class(type_: str) -> str:
    """``snac-<type>`` with the type reduced to a safe CSS class name."""
    c = _class_cache.get(type_)
    if c is None:
        c = "snac-" + (_CLASS_BAD.sub("-", type_.lower()) or "unnamed")
        if len(_class_cache) < 1024:
            _class_cache[type_] = c
    return c


def num(x: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def fmt_int(n: int) -> str:
    return f"{n:,}"


def fmt_count(n: int | None) -> str:
    """Short parameter count: 812, 61.7k, 138.4M, 1.2B."""
    if n is None:
        return "?"
    if n < 1000:
        return str(n)
    for div, suffix in ((1_000, "k"), (1_000_000, "M"), (1_000_000_000, "B")):
        v = n / div
        text = f"{v:.1f}" if v < 99.95 else f"{v:.0f}"
        if float(text) < 1000 or suffix == "B":
            return text.removesuffix(".0") + suffix
    raise AssertionError  # unreachable
