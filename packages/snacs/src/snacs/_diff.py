"""The diff of two architectures: which layers were added, removed or re-parameterised
(`compare`), and both chips drawn one above the other with those blocks marked and the
changes in words beside them (`diff`).

The alignment is a shortest edit script over the layers with the costs of REMAP's
``nas_core.arch.diff`` (a change of k parameters costs 2 + k, at most 5; a replacement
6; an addition or a removal 4; an activation swapped for another is a change of its
``activation``), so both name the same changes. snacs cannot import REMAP: a program
that has its own alignment passes it as ``alignment`` (pairs ``(i, j)`` of aligned
layers, ``(i, None)`` removed, ``(None, j)`` added) and snacs only draws it.

Marks are colour-blind safe (Okabe-Ito blue, vermillion and orange) and never colour
alone: an added block has a solid outline and ``+`` beside it, a removed one is hatched
with ``−``, a changed one has a dashed outline and ``Δ``. The blocks carry the classes
``snac-added``, ``snac-removed`` and ``snac-changed``, their ``<title>`` says the change,
and each chip is a ``<g class="snac-diff-a">`` / ``snac-diff-b``. Like chips, the SVG
has no ids, so it can be inlined many times in one page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import msgspec
from msgspec import Struct

from ._decode import decode
from ._errors import SnacsError
from ._infer import infer, layer_type, total_params
from ._spec import Generic, ReLU, Sigmoid, Spec, Tanh
from ._style import FONT, esc, fmt_int, num
from ._svg import DEFAULT_HEIGHT, _describe, check_options, chip

__all__ = ["MARKS", "Step", "align", "compare", "diff"]

Kind = Literal["same", "changed", "added", "removed"]

#: The mark of each kind of change: (class, colour, glyph, word).
MARKS: dict[str, tuple[str, str, str, str]] = {
    "added": ("snac-added", "#0072B2", "+", "added"),
    "removed": ("snac-removed", "#D55E00", "−", "removed"),
    "changed": ("snac-changed", "#E69F00", "Δ", "changed"),
}

_ADD = _REMOVE = 4
_REPLACE = 6
_ACTIVATIONS = (ReLU, Tanh, Sigmoid)


class Step(Struct, frozen=True):
    """One step of a diff: layer ``a`` of the first architecture and/or layer ``b`` of
    the second, and how they differ in words (empty for ``same``)."""

    kind: Kind
    a: int | None
    b: int | None
    words: str = ""


def _fields(layer: Any) -> dict[str, Any]:
    if isinstance(layer, _ACTIVATIONS):
        return {"activation": layer_type(layer)}
    if isinstance(layer, Generic):
        return dict(layer.fields)
    return {f: getattr(layer, f) for f in layer.__struct_fields__}


def _same_kind(a: Any, b: Any) -> bool:
    if isinstance(a, _ACTIVATIONS) and isinstance(b, _ACTIVATIONS):
        return True
    return type(a) is type(b) and layer_type(a) == layer_type(b)


def _changed_fields(a: Any, b: Any) -> list[tuple[str, Any, Any]]:
    fa, fb = _fields(a), _fields(b)
    keys = list(fa) + [k for k in fb if k not in fa]
    return [(k, fa.get(k), fb.get(k)) for k in keys if fa.get(k) != fb.get(k)]


def _substitution(a: Any, b: Any) -> int:
    if a == b:
        return 0
    if not _same_kind(a, b):
        return _REPLACE
    return min(5, 2 + len(_changed_fields(a, b)))


def align(a: Spec, b: Spec) -> tuple[tuple[int | None, int | None], ...]:
    """A cheapest alignment of the layers of `a` and `b`, first layer first."""
    la, lb = a.layers, b.layers
    n, m = len(la), len(lb)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = i * _REMOVE
    for j in range(1, m + 1):
        cost[0][j] = j * _ADD
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(
                cost[i - 1][j - 1] + _substitution(la[i - 1], lb[j - 1]),
                cost[i - 1][j] + _REMOVE,
                cost[i][j - 1] + _ADD,
            )
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i > 0 or j > 0:  # the same tie-breaking as nas_core: pair, remove, add
        if (
            i > 0
            and j > 0
            and cost[i][j] == cost[i - 1][j - 1] + _substitution(la[i - 1], lb[j - 1])
        ):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i][j] == cost[i - 1][j] + _REMOVE:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return tuple(reversed(pairs))


def _check_alignment(pairs: Sequence[Any], n: int, m: int) -> list[tuple[int | None, int | None]]:
    out: list[tuple[int | None, int | None]] = []
    next_a = next_b = 0
    for k, pair in enumerate(pairs):
        try:
            i, j = pair
        except (TypeError, ValueError):
            raise SnacsError(f"alignment[{k}] must be a pair (i, j), not {pair!r}") from None
        for side, v, want in (("first", i, next_a), ("second", j, next_b)):
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v != want):
                raise SnacsError(
                    f"alignment[{k}]: expected layer {want} of the {side} architecture "
                    f"(or None), not {v!r}: the pairs must cover every layer once, in order"
                )
        if i is None and j is None:
            raise SnacsError(f"alignment[{k}] pairs nothing with nothing")
        next_a += i is not None
        next_b += j is not None
        out.append((i, j))
    if next_a != n or next_b != m:
        raise SnacsError(
            f"the alignment covers {next_a} of {n} layers of the first architecture and "
            f"{next_b} of {m} of the second: it must cover all of them"
        )
    return out


def _value(v: Any) -> str:
    if v is None:
        return "unset"
    if isinstance(v, str):
        return v
    try:
        return msgspec.json.encode(v).decode()
    except (TypeError, msgspec.EncodeError):
        return repr(v)


def _where(i: int, j: int) -> str:
    return f"layer {i}" if i == j else f"A layer {i} → B layer {j}"


def compare(
    a: Any, b: Any, *, alignment: Sequence[tuple[int | None, int | None]] | None = None
) -> tuple[Step, ...]:
    """The steps from `a` to `b` (specs in any form :func:`snacs.decode` takes), first
    layer first. Two aligned layers of different kinds are a removal and an addition."""
    sa, sb = decode(a), decode(b)
    la, lb = sa.layers, sb.layers
    pairs = align(sa, sb) if alignment is None else _check_alignment(alignment, len(la), len(lb))
    steps: list[Step] = []
    for i, j in pairs:
        if j is None:
            assert i is not None
            steps.append(
                Step(
                    "removed",
                    i,
                    None,
                    f"removed {_describe(la[i], layer_type(la[i]))} (A layer {i})",
                )
            )
        elif i is None:
            steps.append(
                Step("added", None, j, f"added {_describe(lb[j], layer_type(lb[j]))} (B layer {j})")
            )
        elif la[i] == lb[j]:
            steps.append(Step("same", i, j))
        elif _same_kind(la[i], lb[j]):
            parts = [f"{k} {_value(x)} → {_value(y)}" for k, x, y in _changed_fields(la[i], lb[j])]
            steps.append(Step("changed", i, j, f"{_where(i, j)}: " + ", ".join(parts)))
        else:
            old, new = la[i], lb[j]
            steps.append(
                Step(
                    "removed", i, None, f"replaced {_describe(old, layer_type(old))} (A layer {i})"
                )
            )
            steps.append(
                Step("added", None, j, f"by {_describe(new, layer_type(new))} (B layer {j})")
            )
    return tuple(steps)


def _hatch(x: float, y: float, w: float, h: float, step: float, colour: str, sw: float) -> str:
    """45° lines filling the rectangle (no <pattern>: that would need an id)."""
    d = []
    c = x + y + step / 2
    while c < x + w + y + h:
        x1 = max(x, c - (y + h))
        x2 = min(x + w, c - y)
        if x2 > x1:
            d.append(f"M{num(x1)} {num(c - x1)}L{num(x2)} {num(c - x2)}")
        c += step
    return f'<path d="{"".join(d)}" stroke="{colour}" stroke-width="{num(sw)}" fill="none"/>'


def _mark(kind: str, box: tuple[float, float, float, float], H: float, glyph_y: float) -> str:
    cls, colour, glyph, _ = MARKS[kind]
    x, y, w, h = box
    sw = max(1.2, 0.05 * H)
    o = sw  # the outline sits just outside the block
    dash = f' stroke-dasharray="{num(2.2 * sw)} {num(1.4 * sw)}"' if kind == "changed" else ""
    out = [f'<g class="snac-mark {cls}-mark">']
    if kind == "removed":
        out.append(_hatch(x, y, w, h, max(2.5, 0.12 * H), colour, 0.6 * sw))
    out.append(
        f'<rect x="{num(x - o)}" y="{num(y - o)}" width="{num(w + 2 * o)}" '
        f'height="{num(h + 2 * o)}" rx="{num(min(0.1 * H, 3.0))}" fill="none" '
        f'stroke="{colour}" stroke-width="{num(sw)}"{dash}/>'
    )
    out.append(
        f'<text x="{num(x + w / 2)}" y="{num(glyph_y)}" font-size="{num(max(9.0, 0.34 * H))}" '
        f'font-weight="700" text-anchor="middle" fill="{colour}">{glyph}</text></g>'
    )
    return "".join(out)


def _label(spec: Spec, fallback: str) -> str:
    infos = infer(spec)
    p = total_params(infos)
    name = spec.name or fallback
    return f"{name} · {len(spec.layers)} layers · " + (
        "params unknown" if p is None else f"{fmt_int(p)} params"
    )


def diff(
    a: Any,
    b: Any,
    *,
    alignment: Sequence[tuple[int | None, int | None]] | None = None,
    layout: str = "variable",
    height: float = DEFAULT_HEIGHT,
    width: float | None = None,
    words: bool = True,
    max_words: int = 24,
) -> str:
    """Both chips, `a` above `b`, the changed blocks marked, as one SVG.

    ``words=False`` leaves out the list of changes beside the chips (a hover card
    shows them as text). Every layer is drawn (no plates), so that each change has its
    own block. Raises :class:`~snacs.SpecError` / :class:`~snacs.SnacsError` as
    :func:`snacs.render` does, and for an alignment that does not fit the layers.
    """
    check_options(layout, height, width)
    sa, sb = decode(a), decode(b)
    steps = compare(sa, sb, alignment=alignment)
    marks_a: dict[int, tuple[str, str]] = {}
    marks_b: dict[int, tuple[str, str]] = {}
    for s in steps:
        if s.kind == "same":
            continue
        cls = MARKS[s.kind][0]
        if s.a is not None:
            marks_a[s.a] = (cls, s.words)
        if s.b is not None:
            marks_b[s.b] = (cls, s.words)
    H = float(height)
    ca = chip(sa, layout=layout, height=H, width=width, fold_repeats=False, marks=marks_a)
    cb = chip(sb, layout=layout, height=H, width=width, fold_repeats=False, marks=marks_b)

    pad = 8.0
    fs = 11.0
    label_h = fs + 5
    strip = max(11.0, 0.36 * H)  # room for the glyphs above chip A and below chip B
    link = max(14.0, 0.45 * H)  # the gap where aligned blocks are joined
    label_a, label_b = "A: " + _label(sa, "A"), "B: " + _label(sb, "B")
    chips_w = max(ca.width, cb.width, *(len(t) * fs * 0.56 for t in (label_a, label_b)))
    ya_label = pad + fs
    ya = pad + label_h + strip
    yb = ya + H + link
    yb_label = yb + H + strip + fs
    chips_h = yb_label + pad

    out: list[str] = []
    out.append(
        f'<text class="snac-diff-label" x="{num(pad)}" y="{num(ya_label)}" '
        f'font-size="{num(fs)}" fill="#111827">{esc(label_a)}</text>'
    )
    out.append(
        f'<g class="snac-diff-a" transform="translate({num(pad)} {num(ya)})">' + "".join(ca.parts)
    )
    for s in steps:
        if s.a is not None and s.kind != "same":
            out.append(_mark(s.kind, ca.blocks[s.a], H, -0.18 * strip))
    out.append("</g>")
    # joins between aligned layers: thin grey for the same layer, dashed orange changed
    for s in steps:
        if s.a is None or s.b is None:
            continue
        xa, ya_, wa, ha = ca.blocks[s.a]
        xb, yb_, wb, _hb = cb.blocks[s.b]
        x1, y1 = pad + xa + wa / 2, ya + ya_ + ha + 1
        x2, y2 = pad + xb + wb / 2, yb + yb_ - 1
        style = (
            f'stroke="{MARKS["changed"][1]}" stroke-width="1.4" stroke-dasharray="3 2"'
            if s.kind == "changed"
            else 'stroke="#9ca3af" stroke-width=".8"'
        )
        out.append(
            f'<path class="snac-diff-link" d="M{num(x1)} {num(y1)}L{num(x2)} {num(y2)}" {style}/>'
        )
    out.append(
        f'<g class="snac-diff-b" transform="translate({num(pad)} {num(yb)})">' + "".join(cb.parts)
    )
    for s in steps:
        if s.b is not None and s.kind != "same":
            out.append(_mark(s.kind, cb.blocks[s.b], H, H + 0.8 * strip))
    out.append("</g>")
    out.append(
        f'<text class="snac-diff-label" x="{num(pad)}" y="{num(yb_label)}" '
        f'font-size="{num(fs)}" fill="#111827">{esc(label_b)}</text>'
    )

    W = pad + chips_w + pad
    total_h = chips_h
    changes = [s for s in steps if s.kind != "same"]
    if words:
        x0 = W + 6
        lh = fs + 4
        lines: list[tuple[str, str]] = [
            (
                "",
                f"{len(changes)} change" + ("" if len(changes) == 1 else "s")
                if changes
                else "no changes",
            )
        ]
        shown = changes[:max_words]
        lines += [(s.kind, s.words) for s in shown]
        if len(changes) > len(shown):
            lines.append(("", f"… and {len(changes) - len(shown)} more"))
        text_w = 0.0
        out.append('<g class="snac-diff-words">')
        for k, (kind, text) in enumerate(lines):
            y = pad + fs + k * lh
            if kind:
                cls, colour, glyph, _ = MARKS[kind]
                out.append(
                    f'<text class="{cls}-words" x="{num(x0)}" y="{num(y)}" '
                    f'font-size="{num(fs)}" fill="#111827">'
                    f'<tspan font-weight="700" fill="{colour}">{glyph}</tspan> {esc(text)}</text>'
                )
            else:
                out.append(
                    f'<text x="{num(x0)}" y="{num(y)}" font-size="{num(fs)}" '
                    f'font-weight="600" fill="#374151">{esc(text)}</text>'
                )
            text_w = max(text_w, (len(text) + 2) * fs * 0.56)
        out.append("</g>")
        W = x0 + text_w + pad
        total_h = max(total_h, pad + fs + len(lines) * lh)
    n = {k: sum(1 for s in changes if s.kind == k) for k in MARKS}
    label = (
        f"diff of {sa.name or 'A'} and {sb.name or 'B'}: {n['added']} added, "
        f"{n['removed']} removed, {n['changed']} changed"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="snac-diff" '
        f'viewBox="0 0 {num(W)} {num(total_h)}" width="{num(W)}" height="{num(total_h)}" '
        f'role="img" aria-label="{esc(label)}" font-family="{FONT}">'
        f"<title>{esc(label)}</title>" + "".join(out) + "</svg>"
    )
