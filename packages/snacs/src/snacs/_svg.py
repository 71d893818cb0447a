"""Layout and SVG output of one chip.

A chip is a row of blocks, one per layer, left to right, vertically centred. Colour and
symbol give the layer type; block height is the number of values leaving the layer on a
bounded log scale (so up- and down-sampling show as the silhouette widening and
narrowing); repeats are folded into plates (a frame with the repeat count at its bottom
right, as in plate notation); skip connections are semi-transparent arcs that stay
inside the chip's bounding box.

Layouts:

``fixed``
    every chip has the same width (``width``, default 10 × height): blocks keep their
    natural width when they fit and are narrowed evenly when they do not, so chips line
    up in tables; the light background shows the fixed footprint.
``variable``
    blocks have their natural width (half the height), so the chip's width grows with
    the number of drawn blocks: deep models look long.
``squished``
    thin slivers without symbols, for glyphs in scatter plots and tooltips.

Output is deterministic (same input, same bytes), self-contained (no ids, no styles,
no external references: chips can be inlined many times in one HTML page), and every
element carries a class for CSS: ``snac`` (root), ``snac-bg``, ``snac-layer
snac-<type>`` (one group per block, with a ``<title>``), ``snac-plate`` (with
``data-repeat``), ``snac-skip``.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from ._decode import decode
from ._errors import SnacsError
from ._fold import Plate, fold
from ._infer import LayerInfo, infer, total_params
from ._spec import (
    AvgPool,
    Conv,
    Dense,
    Dropout,
    Generic,
    MaxPool,
    Spec,
)
from ._style import FONT, GLYPHS, css_class, esc, fmt_int, num, style_for

__all__ = ["DEFAULT_HEIGHT", "LAYOUTS", "SIZE_RANGE", "Chip", "chip", "render"]

LAYOUTS = ("fixed", "variable", "squished")
DEFAULT_HEIGHT = 40
#: Data sizes mapped to the shortest and the tallest block (values leaving a layer).
#: Fixed, so that chips drawn separately stay comparable; sizes outside are clamped.
SIZE_RANGE = (8, 1 << 22)


def check_options(
    layout: str,
    height: float,
    width: float | None,
    size_range: tuple[float, float] = SIZE_RANGE,
) -> None:
    """Raise :class:`SnacsError` for a bad drawing option."""
    try:
        lo, hi = size_range
        ok = 0 < lo < hi
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise SnacsError(
            f"size_range must be (smallest, largest) with 0 < smallest < largest, "
            f"not {size_range!r}"
        )
    if layout not in LAYOUTS:
        raise SnacsError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    if not (isinstance(height, int | float) and 4 <= height <= 4096):
        raise SnacsError(f"height must be a number of pixels from 4 to 4096, not {height!r}")
    if width is not None and not (isinstance(width, int | float) and 4 <= width <= 100_000):
        raise SnacsError(f"width must be a number of pixels from 4 to 100000, not {width!r}")


def block_height(size: int, height: float, size_range: tuple[float, float] = SIZE_RANGE) -> float:
    """Height of the block of a layer whose output has ``size`` values, in a chip of
    ``height`` pixels: from 0.26 to 1 times 72 % of the height, by log(size) clamped to
    ``size_range``."""
    m = _Metrics("fixed", float(height))
    lo, hi = size_range
    llo = math.log(lo)
    span = math.log(hi) - llo
    f = (math.log(size) - llo) / span if size > 0 else 0.0
    return m.hmin + (m.hmax - m.hmin) * (0.0 if f < 0 else 1.0 if f > 1 else f)


class _Metrics:
    __slots__ = (
        "H",
        "arc_top",
        "bw",
        "cy",
        "fl",
        "gap",
        "head",
        "hmax",
        "hmin",
        "letters",
        "padx",
        "pl",
        "pr",
        "pv",
        "radius",
        "rx",
        "skip_w",
        "squished",
        "stroke",
        "top",
    )

    def __init__(self, layout: str, H: float) -> None:
        self.H = H
        self.cy = H / 2
        self.hmax = 0.72 * H
        self.hmin = 0.26 * self.hmax
        self.padx = max(1.5, 0.08 * H)
        self.radius = min(0.14 * H, 6.0)
        self.top = max(0.75, 0.045 * H)
        self.pv = 0.05 * H
        self.stroke = max(0.5, 0.02 * H)
        self.skip_w = max(0.8, 0.03 * H)
        self.head = max(1.4, 0.055 * H)
        self.arc_top = max(0.5, 0.025 * H)
        self.squished = layout == "squished"
        if self.squished:
            self.bw = max(1.5, 0.14 * H)
            self.gap = max(0.5, 0.025 * H)
            self.pl = max(1.0, 0.07 * H)
            self.fl = min(max(4.5, 0.24 * H), 11.0)
            self.rx = 0.0
            self.letters = False
        else:
            self.bw = 0.5 * H
            self.gap = max(1.0, 0.07 * H)
            self.pl = max(1.5, 0.1 * H)
            self.fl = min(max(5.0, 0.24 * H), 12.0)
            self.rx = min(0.08 * H, 3.0)
            self.letters = True
        self.pr = max(1.5, 0.08 * H)  # right of a plate's count


def _label_w(count: int, fl: float) -> float:
    return fl * 0.6 * (1 + len(str(count)))


def _measure(items: tuple, m: _Metrics) -> tuple[float, int, int]:
    """Natural width, number of blocks and number of gaps of a folded sequence."""
    w = 0.0
    blocks = 0
    gaps = max(0, len(items) - 1)
    for it in items:
        if type(it) is int:
            blocks += 1
        else:
            bw_, b, g = _measure(it.body, m)
            blocks += b
            gaps += g
            w += m.pl + m.pr + _label_w(it.count, m.fl) + bw_ - (b * m.bw + g * m.gap)
    return w + blocks * m.bw + gaps * m.gap, blocks, gaps


def _max_depth(items: tuple) -> int:
    d = 0
    for it in items:
        if type(it) is not int:
            d = max(d, 1 + _max_depth(it.body))
    return d


def _describe(layer: Any, t: str) -> str:
    cls = type(layer)
    if cls is Conv:
        k = layer.kernel
        s = f"conv {k}×{k}, {layer.filters} filters"
        if layer.stride != 1:
            s += f", stride {layer.stride}"
        if layer.padding != "same":
            s += ", valid padding"
        if not layer.bias:
            s += ", no bias"
        return s
    if cls is MaxPool or cls is AvgPool:
        p = layer.pool
        s = f"{t} {p}×{p}"
        if layer.stride is not None and layer.stride != p:
            s += f", stride {layer.stride}"
        if layer.padding != "valid":
            s += ", same padding"
        return s
    if cls is Dense:
        return f"dense, {layer.units} units" + ("" if layer.bias else ", no bias")
    if cls is Dropout:
        return f"dropout, rate {layer.rate:g}"
    if cls is Generic:
        if not layer.fields:
            return t
        parts = []
        for k, v in layer.fields.items():
            try:
                text = msgspec.json.encode(v).decode()
            except (TypeError, msgspec.EncodeError):
                text = repr(v)
            parts.append(f"{k}={text}")
        s = f"{t}: " + ", ".join(parts)
        return s if len(s) <= 160 else s[:159] + "…"
    return t


_shape_cache: dict[tuple[int, ...], str] = {}
_desc_cache: dict[Any, str] = {}


def _shape(shape: tuple[int, ...]) -> str:
    s = _shape_cache.get(shape)
    if s is None:
        s = "×".join(map(str, shape))
        if len(_shape_cache) < 4096:
            _shape_cache[shape] = s
    return s


def _desc(layer: Any, t: str) -> str:
    """The escaped one-line description of a layer (cached: layers are immutable)."""
    if type(layer) is Generic:
        return esc(_describe(layer, t))
    s = _desc_cache.get(layer)
    if s is None:
        s = esc(_describe(layer, t))
        if len(_desc_cache) < 4096:
            _desc_cache[layer] = s
    return s


def _output(info: LayerInfo) -> str:
    """The output line of a block's title."""
    if not info.shape:
        return "output size unknown (no input shape)"
    return f"output {_shape(info.shape)} ({info.size:,} values)"


def _title_many(layer: Any, t: str, infos: tuple[LayerInfo, ...], idx: list[int]) -> str:
    """Escaped title of a block that stands for several layers (inside plates)."""
    idx.sort()
    lines = [_desc(layer, t), _indices_text(idx)]
    shapes: list[tuple[int, ...]] = []
    for j in idx:
        sh = infos[j].shape
        if sh not in shapes:
            shapes.append(sh)
    if len(shapes) == 1:
        lines.append(_output(infos[idx[0]]))
    else:
        lines.append("outputs " + ", ".join(_shape(sh) for sh in shapes))
    counts = [infos[j].params for j in idx]
    if None in counts:
        lines.append("parameters unknown")
    elif not any(counts):
        lines.append("0 parameters")
    else:
        lo, hi, total = min(counts), max(counts), sum(counts)
        each = f"{lo:,} parameters each" if lo == hi else f"{lo:,} to {hi:,} parameters"
        lines.append(f"{each}, {total:,} in all")
    return "\n".join(lines)


def _type_parts(t: str, layer: Any, m: _Metrics, bw_s: str, rx: str, sw: str) -> tuple:
    """Per-type constant pieces of a block: group head and rect attributes."""
    st = style_for(t)
    cls = css_class(t)
    if type(layer) is Generic and cls != "snac-generic":
        cls = "snac-generic " + cls
    if type(layer) is Dropout:
        dw = max(0.8, 1.6 * m.stroke)
        stroke = (
            f' stroke="#3d3a12" stroke-width="{num(dw)}" '
            f'stroke-dasharray="{num(dw * 1.1)} {num(dw)}"'
        )
    else:
        stroke = f' stroke="{st.stroke}" stroke-width="{sw}"'
    head = f'<g class="snac-layer {cls}" data-index="'
    tail = f' width="{bw_s}" rx="{rx}" fill="{st.fill}"{stroke}/>'
    return head, tail, st


def _indices_text(idx: list[int]) -> str:
    if len(idx) == 1:
        return f"layer {idx[0]}"
    if len(idx) <= 6:
        shown = ", ".join(map(str, idx))
    else:
        shown = f"{idx[0]}, {idx[1]}, {idx[2]}, …, {idx[-1]}"
    return f"layers {shown} (×{len(idx)})"


class Chip:
    """A laid-out chip: its SVG parts and size (used by render and by sheets)."""

    __slots__ = ("blocks", "height", "label", "params", "parts", "width")

    def __init__(
        self, parts: list[str], width: float, height: float, label: str, params: int | None
    ) -> None:
        self.blocks: dict[int, tuple[float, float, float, float]] = {}  # i: x, y, w, h
        self.parts = parts
        self.width = width
        self.height = height
        self.label = label
        self.params = params


def chip(
    spec: Spec,
    *,
    layout: str = "fixed",
    height: float = DEFAULT_HEIGHT,
    width: float | None = None,
    fold_repeats: bool = True,
    size_range: tuple[float, float] = SIZE_RANGE,
    background: bool = True,
    infos: tuple[LayerInfo, ...] | None = None,
    marks: dict[int, tuple[str, str]] | None = None,
) -> Chip:
    """Lay out one chip (the inner parts, without the root ``<svg>`` element).

    ``marks`` maps a layer index to (extra class, extra title line): the diff's
    ``snac-added`` / ``snac-removed`` / ``snac-changed`` and its words."""
    if infos is None:
        infos = infer(spec)
    H = float(height)
    m = _Metrics(layout, H)
    layers = spec.layers
    n = len(layers)

    # --- fold -------------------------------------------------------------------------
    if fold_repeats and n >= 3:
        intern: dict[Any, int] = {}
        ends: dict[int, list[int]] = {}
        for u, v in spec.skips:
            ends.setdefault(v, []).append(v - u)
        toks = []
        for i, layer in enumerate(layers):
            key: Any = layer
            if type(layer) is Generic:
                try:
                    fields: Any = msgspec.json.encode(layer.fields, order="sorted")
                except (TypeError, msgspec.EncodeError):
                    fields = repr(layer.fields)
                key = ("generic", layer.kind, fields)
            if i in ends:
                key = (key, tuple(sorted(set(ends[i]))))
            toks.append(intern.setdefault(key, len(intern)))
        items = fold(tuple(toks), tuple(sorted(set(spec.skips))))
    else:
        items = tuple(range(n))

    # --- horizontal metrics -------------------------------------------------------------
    nat, blocks, gaps = _measure(items, m)
    if layout == "fixed":
        W = float(width) if width is not None else 10.0 * H
        avail = W - 2 * m.padx
        if nat > avail and blocks:
            flex = blocks * m.bw + gaps * m.gap
            overhead = nat - flex
            s = (avail - overhead) / flex if flex else 0.0
            if s >= 0.3:
                m.bw *= s
                m.gap *= s
            else:
                m.bw *= 0.3
                m.gap *= 0.3
                nat2 = _measure(items, m)[0]
                t = avail / nat2
                m.bw *= t
                m.gap *= t
                m.pl *= t
                m.pr *= t
                m.fl *= t
    else:
        W = nat + 2 * m.padx if width is None else float(width)
        if width is not None and nat > W - 2 * m.padx and nat > 0:
            t = (W - 2 * m.padx) / nat
            m.bw *= t
            m.gap *= t
            m.pl *= t
            m.pr *= t
            m.fl *= t

    # --- vertical scale -------------------------------------------------------------------
    lo, hi = size_range
    llo = math.log(lo)
    span = math.log(hi) - llo
    hmin, hspan = m.hmin, m.hmax - m.hmin
    heights: list[float] = []
    for info in infos:
        # size 0: unknown (a spec without input, before any units): one middle height
        f = (math.log(info.size) - llo) / span if info.size > 0 else 0.5
        heights.append(hmin + hspan * (0.0 if f < 0 else 1.0 if f > 1 else f))

    depth = _max_depth(items)
    if depth > 1:
        m.pv = min(m.pv, max(0.0, 0.14 * H - m.top - 0.02 * H) / (depth - 1))
    fs = min(0.7 * m.bw, 0.34 * H)
    # symbols from about 20 px up: smaller ones would be specks, colour alone reads better
    show_letters = m.letters and fs >= 6.0
    glyphs = show_letters and 0.74 * m.bw >= 6.0  # activations as glyphs, else letters
    sw = num(m.stroke)
    rx = num(m.rx)

    out: list[str] = []
    if background:
        out.append(
            f'<rect class="snac-bg" x="0" y="0" width="{num(W)}" height="{num(H)}" '
            f'rx="{num(m.radius)}" fill="#f3f4f6"/>'
        )
    block_x: dict[int, float] = {}
    plate_x: dict[tuple[int, int], tuple[float, float]] = {}
    fl = m.fl
    cy = m.cy
    half = m.bw / 2
    bw_s = num(m.bw)
    type_parts: dict[tuple[str, type], tuple[str, str, Any]] = {}

    def draw(seq: tuple, x: float, d: int, offsets: list[int]) -> float:
        first = True
        for it in seq:
            if not first:
                x += m.gap
            first = False
            if type(it) is int:
                i = it
                info = infos[i]
                h = heights[i]
                block_x[i] = x
                t = info.type
                tk = (t, type(layers[i]))
                tp = type_parts.get(tk)
                if tp is None:
                    tp = type_parts[tk] = _type_parts(t, layers[i], m, bw_s, rx, sw)
                head, tail, st = tp
                mark = marks.get(i) if marks else None
                if mark is not None:
                    head = head.replace('"snac-layer ', f'"snac-layer {mark[0]} ', 1)
                if len(offsets) == 1:
                    p = info.params
                    title = f"{_desc(layers[i], t)}\nlayer {i}\n{_output(info)}\n" + (
                        "parameters unknown" if p is None else f"{p:,} parameters"
                    )
                else:
                    title = _title_many(layers[i], t, infos, [i + o for o in offsets])
                if mark is not None:
                    title += "\n" + esc(mark[1])
                out.append(
                    f'{head}{i}" data-size="{info.size}"><title>{title}</title>'
                    f'<rect x="{num(x)}" y="{num(cy - h / 2)}" height="{num(h)}"{tail}'
                )
                glyph = GLYPHS.get(t) if glyphs else None
                if glyph is not None and (gsz := min(0.74 * m.bw, 0.62 * h)) >= 3.0:
                    axis, curve = glyph
                    lw = max(0.8, 0.12 * gsz)
                    tr = (
                        f'transform="translate({num(x + half - gsz / 2)} {num(cy - gsz / 2)}) '
                        f'scale({num(gsz)})" fill="none" stroke="{st.ink}"'
                    )
                    if axis and gsz >= 9:
                        out.append(
                            f'<path d="{axis}" {tr} stroke-opacity=".4" '
                            f'stroke-width="{num(0.55 * lw / gsz)}"/>'
                        )
                    out.append(
                        f'<path d="{curve}" {tr} stroke-width="{num(lw / gsz)}" '
                        f'stroke-linecap="round" stroke-linejoin="round"/></g>'
                    )
                elif show_letters and (f_ := min(fs, 0.8 * h)) >= 4.5:
                    out.append(
                        f'<text x="{num(x + half)}" y="{num(cy + 0.36 * f_)}" '
                        f'font-size="{num(f_)}" font-weight="600" text-anchor="middle" '
                        f'fill="{st.ink}">{st.symbol_xml}</text></g>'
                    )
                else:
                    out.append("</g>")
                x += m.bw
            else:
                P: Plate = it
                x0 = x
                reps = [o + t * P.period for o in offsets for t in range(P.count)]
                reps.sort()
                top = m.top + (d - 1) * m.pv
                bottom = H - top
                k = len(out)
                out.append("")  # the plate's opening, written once its width is known
                x = draw(P.body, x + m.pl, d + 1, reps)
                lw = _label_w(P.count, fl)
                x += lw + m.pr
                plate_x[(P.start, P.period)] = (x0, x)
                kinds = []
                for j in range(P.start, P.start + P.period):
                    kinds.append(infos[j].type)
                body = ", ".join(kinds)
                if len(body) > 120:
                    body = body[:119] + "…"
                first_idx = P.start + offsets[0]
                title = (
                    f"{P.count} × [{body}]\n"
                    f"layers {first_idx}–{first_idx + P.period * P.count - 1}"
                    + (f", and {len(offsets) - 1} more times" if len(offsets) > 1 else "")
                )
                out[k] = (
                    f'<g class="snac-plate" data-repeat="{P.count}" data-start="{P.start}" '
                    f'data-period="{P.period}"><title>{esc(title)}</title>'
                    f'<rect x="{num(x0)}" y="{num(top)}" width="{num(x - x0)}" '
                    f'height="{num(bottom - top)}" rx="{num(min(0.1 * H, 4.0))}" '
                    f'fill="#111827" fill-opacity=".035" stroke="#6b7280" '
                    f'stroke-width="{num(max(0.6, 0.022 * H))}"/>'
                )
                out.append(
                    f'<text class="snac-plate-count" x="{num(x - m.pr)}" '
                    f'y="{num(bottom - max(1.0, 0.075 * H))}" font-size="{num(fl)}" '
                    f'font-weight="600" text-anchor="end" fill="#374151">×{P.count}</text></g>'
                )
        return x

    draw(items, m.padx, 1, [0])

    # --- skips ------------------------------------------------------------------------
    if spec.skips:
        out.extend(_skips(spec, items, infos, heights, m, block_x, plate_x))

    n_params = total_params(infos)
    name = spec.name or "model"
    label = (
        f"{name}: {n} layers, "
        + ("unknown parameters" if n_params is None else f"{fmt_int(n_params)} parameters")
        + (f", accuracy {spec.accuracy:g}" if spec.accuracy is not None else "")
    )
    c = Chip(out, W, H, label, n_params)
    c.blocks = {i: (x, cy - heights[i] / 2, m.bw, heights[i]) for i, x in block_x.items()}
    return c


def _skips(spec, items, infos, heights, m, block_x, plate_x) -> list[str]:
    """Arcs for the skip connections, on top of the blocks, inside the bounding box."""
    n = len(infos)
    rep = list(range(n))
    chains: list[tuple] = [()] * n

    def expand(seq: tuple, shift: int, chain: tuple) -> None:
        for it in seq:
            if type(it) is int:
                rep[it + shift] = it
                chains[it + shift] = chain
            else:
                for t in range(it.count):
                    s = it.start + shift + t * it.period
                    expand(it.body, shift + t * it.period, (*chain, (it, s, it.start + shift)))

    expand(items, 0, ())
    bw = m.bw
    arrows: dict[tuple[str, str, str, str], list[tuple[int, int]]] = {}
    for u, v in spec.skips:
        rv = rep[v]
        x2 = block_x[rv] + bw / 2
        y2 = m.cy - heights[rv] / 2
        x1 = y1 = None
        for P, s, _inst in reversed(chains[v]):
            if u < s:  # from the input of v's copy: the plate's left edge
                x1 = plate_x[(P.start, P.period)][0] + m.pl * 0.5
                y1 = m.cy - heights[rep[s]] / 2
                break
        if x1 is None:
            for P, _s, inst in chains[u]:
                if v >= inst + P.period * P.count:  # from the plate's output
                    x1 = plate_x[(P.start, P.period)][1]
                    y1 = m.cy - heights[rep[u]] / 2
                    break
        if x1 is None:
            ru = rep[u]
            x1 = block_x[ru] + bw / 2
            y1 = m.cy - heights[ru] / 2
        key = (num(x1), num(y1), num(x2), num(y2))
        arrows.setdefault(key, []).append((u, v))
    out = []
    a = m.head
    tops = [(x, m.cy - heights[i] / 2) for i, x in block_x.items()]
    ceiling = m.arc_top + 0.045 * m.H  # just under an outer plate's top edge
    spans = [(float(k[0]), float(k[2])) for k in arrows]
    step = max(1.0, 0.045 * m.H)
    for (sx1, sy1, sx2, sy2), pairs in arrows.items():
        x1, y1 = float(sx1), float(sy1)
        x2, y2 = float(sx2), float(sy2)
        ye = y2 - a * 1.2
        # the crest is as high as the chip allows, above the blocks it passes over, and a
        # step lower for every arc that spans this one, so nested arcs stay apart
        nested = sum(1 for u1, u2 in spans if u1 <= x1 and x2 <= u2 and (u1, u2) != (x1, x2))
        under = min([y for x, y in tops if x1 <= x <= x2] + [y1, y2]) - max(1.0, 0.03 * m.H)
        want = ceiling + nested * step
        crest = want if want <= under else max(m.arc_top, under)
        yp = max(0.0, (crest - (y1 + ye) / 8) / 0.75)
        if len(pairs) == 1:
            title = f"skip connection: layer {pairs[0][0]} → layer {pairs[0][1]}"
        else:
            title = (
                "skip connections (one per repeat): "
                + ", ".join(f"{u} → {v}" for u, v in pairs[:8])
                + (", …" if len(pairs) > 8 else "")
            )
        out.append(
            f'<g class="snac-skip" data-from="{pairs[0][0]}" data-to="{pairs[0][1]}" '
            f'opacity=".55"><title>{esc(title)}</title>'
            f'<path d="M{sx1} {sy1}C{sx1} {num(yp)} {sx2} {num(yp)} {sx2} {num(ye)}" '
            f'fill="none" stroke="#111827" stroke-width="{num(m.skip_w)}" '
            f'stroke-linecap="round"/>'
            f'<path d="M{num(x2 - a)} {num(y2 - 1.5 * a)}L{num(x2 + a)} {num(y2 - 1.5 * a)}'
            f'L{sx2} {sy2}Z" fill="#111827"/></g>'
        )
    return out


def svg_root(c: Chip, layout: str) -> str:
    label = esc(c.label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="snac snac-{layout}" '
        f'viewBox="0 0 {num(c.width)} {num(c.height)}" width="{num(c.width)}" '
        f'height="{num(c.height)}" role="img" aria-label="{label}" font-family="{FONT}">'
        f"<title>{label}</title>" + "".join(c.parts) + "</svg>"
    )


def render(
    spec: Any,
    *,
    layout: str = "fixed",
    height: float = DEFAULT_HEIGHT,
    width: float | None = None,
    fold: bool = True,
    size_range: tuple[float, float] = SIZE_RANGE,
    background: bool = True,
) -> str:
    """Render one architecture as a self-contained SVG chip.

    ``spec`` is a :class:`~snacs.Spec`, a dict, or JSON text/bytes (REMAP's architecture
    JSON, or a Keras ``model.to_json()``). ``layout`` is ``"fixed"`` (width ``width``,
    default ten times the height), ``"variable"`` (natural width; ``width`` caps it) or
    ``"squished"``. ``height`` is the chip's height in pixels (any size; symbols appear
    from about 18 px). ``fold=False`` draws every layer instead of folding repeats into
    plates. ``size_range`` is the (smallest, largest) data size of the height scale.

    Raises :class:`~snacs.SpecError` for an invalid spec and :class:`~snacs.SnacsError`
    for a bad option.
    """
    check_options(layout, height, width, size_range)
    s = decode(spec)
    c = chip(
        s,
        layout=layout,
        height=height,
        width=width,
        fold_repeats=fold,
        size_range=size_range,
        background=background,
    )
    return svg_root(c, layout)
