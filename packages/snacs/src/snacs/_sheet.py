"""Comparison sheets (many chips aligned in rows) and the legend."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ._decode import decode
from ._errors import SnacsError, SpecError
from ._infer import infer
from ._spec import (
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Generic,
    Input,
    MaxPool,
    ReLU,
    Sigmoid,
    Spec,
    Tanh,
)
from ._style import FONT, STYLES, esc, fmt_count, fmt_int, num
from ._svg import DEFAULT_HEIGHT, SIZE_RANGE, Chip, block_height, check_options, chip

__all__ = ["legend", "sheet"]

_INK = "#111827"
_MUTED = "#6b7280"
_RULE = "#e5e7eb"


def _text_w(text: str, size: float, bold: bool = False) -> float:
    """Estimated width of sans-serif text (no font metrics in a pure SVG writer)."""
    return len(text) * size * (0.6 if bold else 0.55)


def _wrap(text: str, size: float, width: float, max_lines: int) -> list[str]:
    words = text.split()
    lines: list[str] = []
    cur = ""
    for w in words:
        cand = f"{cur} {w}" if cur else w
        if cur and _text_w(cand, size) > width:
            lines.append(cur)
            cur = w
        else:
            cur = cand
    if cur:
        lines.append(cur)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _text_w(last + " …", size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + " …"
    return lines


def _nested(c: Chip, x: float, y: float, layout: str) -> str:
    return (
        f'<svg class="snac snac-{layout}" x="{num(x)}" y="{num(y)}" width="{num(c.width)}" '
        f'height="{num(c.height)}" viewBox="0 0 {num(c.width)} {num(c.height)}" '
        f'aria-label="{esc(c.label)}"><title>{esc(c.label)}</title>' + "".join(c.parts) + "</svg>"
    )


def _acc_text(a: float) -> str:
    return f"{a:.2f}" if a <= 1 else f"{a:.1f}"


def sheet(
    specs: Iterable[Any],
    *,
    names: Sequence[str] | None = None,
    accuracies: Sequence[float | None] | None = None,
    layout: str = "fixed",
    height: float = 32,
    width: float | None = None,
    title: str | None = None,
    fold: bool = True,
    size_range: tuple[float, float] = SIZE_RANGE,
) -> str:
    """Render many architectures as aligned rows, for comparison by juxtaposition.

    Each row shows the model's name (and its ``description``, if any), its chip, its
    parameter count and, when any model has one, its accuracy (from ``accuracies`` or
    the spec's ``accuracy``). All chips share one height scale and, in the ``fixed``
    layout, one width, so that columns line up. Raises :class:`~snacs.SpecError` naming
    the row (``$[2].layers[1]…``) when a spec is invalid.
    """
    check_options(layout, height, width, size_range)
    decoded: list[Spec] = []
    for r, s in enumerate(specs):
        try:
            decoded.append(decode(s))
        except SpecError as e:
            path = e.path.replace("$", f"$[{r}]", 1) if e.path else f"$[{r}]"
            raise SpecError(e.reason, path) from None
    n = len(decoded)
    if names is not None and len(names) != n:
        raise SnacsError(f"got {len(names)} names for {n} specs")
    if accuracies is not None and len(accuracies) != n:
        raise SnacsError(f"got {len(accuracies)} accuracies for {n} specs")
    H = float(height)
    chips: list[Chip] = []
    for r, s in enumerate(decoded):
        try:
            infos = infer(s)
        except SpecError as e:
            raise SpecError(e.reason, (e.path or "$").replace("$", f"$[{r}]", 1)) from None
        chips.append(
            chip(
                s,
                layout=layout,
                height=H,
                width=width,
                fold_repeats=fold,
                size_range=size_range,
                infos=infos,
            )
        )
    row_names = [
        (names[r] if names is not None else "") or s.name or f"model {r + 1}"
        for r, s in enumerate(decoded)
    ]
    given = accuracies if accuracies is not None else [None] * n
    accs = [a if a is not None else s.accuracy for a, s in zip(given, decoded, strict=True)]
    show_acc = any(a is not None for a in accs)

    margin = 16.0
    fs_name, fs_desc, fs_head, fs_num = 12.5, 10.0, 9.5, 12.0
    name_w = max([_text_w(t, fs_name, True) for t in row_names] + [80.0])
    name_w = min(name_w, 260.0)
    desc_w = max(name_w, 200.0)
    descs = [_wrap(s.description, fs_desc, desc_w, 2) if s.description else [] for s in decoded]
    if any(descs):
        name_w = max(name_w, desc_w)
    chip_w = max([c.width for c in chips] + [0.0])
    params_w = 64.0
    acc_w = 92.0 if show_acc else 0.0
    col_gap = 20.0

    x_name = margin
    x_chip = x_name + name_w + col_gap
    x_params = x_chip + chip_w + col_gap + params_w  # right edge (text-anchor end)
    x_acc = x_params + col_gap
    total_w = x_acc + (acc_w if show_acc else -col_gap) + margin

    out: list[str] = []
    y = margin
    if title:
        out.append(
            f'<text class="snac-sheet-title" x="{num(margin)}" y="{num(y + 13)}" '
            f'font-size="15" font-weight="650" fill="{_INK}">{esc(title)}</text>'
        )
        y += 26
    head_y = y + 10
    head = [
        (x_name, "start", "model"),
        (x_chip, "start", "architecture"),
        (x_params, "end", "params"),
    ]
    if show_acc:
        head.append((x_acc, "start", "accuracy"))
    for hx, anchor, text in head:
        out.append(
            f'<text class="snac-sheet-head" x="{num(hx)}" y="{num(head_y)}" '
            f'font-size="{fs_head}" font-weight="600" letter-spacing=".06em" '
            f'text-anchor="{anchor}" fill="{_MUTED}">{text.upper()}</text>'
        )
    y = head_y + 7
    out.append(
        f'<path d="M{num(margin)} {num(y)}H{num(total_w - margin)}" stroke="{_INK}" '
        f'stroke-width=".8"/>'
    )
    pad = 7.0
    for r, c in enumerate(chips):
        text_h = fs_name + len(descs[r]) * (fs_desc + 3)
        row_h = max(H, text_h) + 2 * pad
        cy = y + row_h / 2
        acc = accs[r]
        out.append(f'<g class="snac-sheet-row" data-row="{r}">')
        ty = cy - text_h / 2 + fs_name * 0.8
        out.append(
            f'<text class="snac-sheet-name" x="{num(x_name)}" y="{num(ty)}" '
            f'font-size="{fs_name}" font-weight="600" fill="{_INK}">{esc(row_names[r])}</text>'
        )
        for li, line in enumerate(descs[r]):
            out.append(
                f'<text class="snac-sheet-description" x="{num(x_name)}" '
                f'y="{num(ty + (li + 1) * (fs_desc + 3))}" font-size="{fs_desc}" '
                f'fill="{_MUTED}">{esc(line)}</text>'
            )
        out.append(_nested(c, x_chip, cy - H / 2, layout))
        ptitle = "unknown" if c.params is None else fmt_int(c.params)
        out.append(
            f'<text class="snac-sheet-params" x="{num(x_params)}" y="{num(cy + fs_num * 0.36)}" '
            f'font-size="{fs_num}" text-anchor="end" fill="{_INK}" '
            f'font-variant-numeric="tabular-nums"><title>{ptitle} parameters</title>'
            f"{fmt_count(c.params)}</text>"
        )
        if show_acc and acc is not None:
            frac = acc if acc <= 1 else acc / 100
            frac = max(0.0, min(1.0, frac))
            bar_w = 44.0
            out.append(
                f'<text class="snac-sheet-accuracy" x="{num(x_acc)}" '
                f'y="{num(cy + fs_num * 0.36)}" font-size="{fs_num}" fill="{_INK}" '
                f'font-variant-numeric="tabular-nums">{_acc_text(acc)}</text>'
                f'<rect x="{num(x_acc + 36)}" y="{num(cy - 2.5)}" width="{num(bar_w)}" '
                f'height="5" rx="2.5" fill="{_RULE}"/>'
                f'<rect x="{num(x_acc + 36)}" y="{num(cy - 2.5)}" width="{num(bar_w * frac)}" '
                f'height="5" rx="2.5" fill="#4b5563"/>'
            )
        out.append("</g>")
        y += row_h
        if r < n - 1:
            out.append(
                f'<path d="M{num(margin)} {num(y)}H{num(total_w - margin)}" '
                f'stroke="{_RULE}" stroke-width=".8"/>'
            )
    out.append(
        f'<path d="M{num(margin)} {num(y)}H{num(total_w - margin)}" stroke="{_INK}" '
        f'stroke-width=".8"/>'
    )
    total_h = y + margin
    label = esc(title or f"comparison of {n} architectures")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="snac-sheet" '
        f'viewBox="0 0 {num(total_w)} {num(total_h)}" width="{num(total_w)}" '
        f'height="{num(total_h)}" role="img" aria-label="{label}" font-family="{FONT}">'
        f'<title>{label}</title><rect width="100%" height="100%" fill="#ffffff"/>'
        + "".join(out)
        + "</svg>"
    )


_SAMPLE_INPUT = Input(shape=(3, 32, 32), classes=10)


def _sample(layer: Any) -> Spec:
    return Spec(name="", input=_SAMPLE_INPUT, layers=(layer,))


def legend(*, height: float = DEFAULT_HEIGHT) -> str:
    """The key to the encoding: every layer type's colour and symbol, plates, skip
    connections and the height scale."""
    check_options("variable", height, None)
    H = float(height)
    entries: list[tuple[Any, str]] = [
        (Conv(filters=32), STYLES["conv"].label),
        (MaxPool(pool=2), STYLES["maxpool"].label),
        (AvgPool(pool=2), STYLES["avgpool"].label),
        (Dense(units=10), STYLES["dense"].label),
        (Dropout(rate=0.5), "dropout (dotted border)"),
        (BatchNorm(), STYLES["batchnorm"].label),
        (ReLU(), "ReLU activation"),
        (Tanh(), "tanh activation"),
        (Sigmoid(), "sigmoid activation"),
        (Flatten(), STYLES["flatten"].label),
        (Generic(kind="lstm"), "any other type (initial)"),
    ]
    margin = 14.0
    fs = max(10.0, min(13.0, 0.32 * H))
    cols = 3
    cell_w = 0.0
    cells: list[tuple[Chip, str]] = []
    for layer, text in entries:
        c = chip(_sample(layer), layout="variable", height=H, size_range=(1, 2), background=False)
        cells.append((c, text))
        cell_w = max(cell_w, c.width + 6 + _text_w(text, fs))
    cell_w += 18
    row_h = H + 6
    out: list[str] = []
    y = margin
    out.append(
        f'<text x="{num(margin)}" y="{num(y + 12)}" font-size="13" font-weight="650" '
        f'fill="{_INK}">Layer types: colour and symbol</text>'
    )
    y += 22
    for k, (c, text) in enumerate(cells):
        col, row = k % cols, k // cols
        x = margin + col * cell_w
        yy = y + row * row_h
        out.append(_nested(c, x, yy, "variable"))
        out.append(
            f'<text x="{num(x + c.width + 6)}" y="{num(yy + H / 2 + fs * 0.36)}" '
            f'font-size="{num(fs)}" fill="{_INK}">{esc(text)}</text>'
        )
    y += ((len(cells) + cols - 1) // cols) * row_h + 12

    # Structure: a plate and a skip connection.
    out.append(
        f'<text x="{num(margin)}" y="{num(y + 12)}" font-size="13" font-weight="650" '
        f'fill="{_INK}">Structure</text>'
    )
    y += 22
    plate_spec = Spec(
        name="plate",
        input=_SAMPLE_INPUT,
        layers=(Conv(filters=32), ReLU()) * 3 + (MaxPool(pool=2),),
    )
    skip_spec = Spec(
        name="skip",
        input=Input(shape=(1, 8, 8)),
        layers=(Conv(filters=16), ReLU(), Conv(filters=16), ReLU()),
        skips=((0, 3),),
    )
    x = margin
    for sp, text in (
        (plate_spec, "plate: the pattern inside repeats ×N times"),
        (skip_spec, "skip connection: output also feeds a later layer"),
    ):
        c = chip(sp, layout="variable", height=H, background=False)
        out.append(_nested(c, x, y, "variable"))
        out.append(
            f'<text x="{num(x + c.width + 6)}" y="{num(y + H / 2 + fs * 0.36)}" '
            f'font-size="{num(fs)}" fill="{_INK}">{esc(text)}</text>'
        )
        x += c.width + 12 + _text_w(text, fs) + 24
    structure_w = x
    y += row_h + 12

    # Height: the number of values leaving a layer, on a log scale.
    out.append(
        f'<text x="{num(margin)}" y="{num(y + 12)}" font-size="13" font-weight="650" '
        f'fill="{_INK}">Block height: values leaving the layer (log scale, clamped)</text>'
    )
    y += 22
    x = margin
    hi = SIZE_RANGE[1]
    bw = 0.5 * H
    for size in (10, 1_000, 100_000, hi):
        h = block_height(size, H)
        out.append(
            f'<rect x="{num(x)}" y="{num(y + (H - h) / 2)}" width="{num(bw)}" height="{num(h)}" '
            f'rx="{num(min(0.08 * H, 3.0))}" fill="#9ca3af"/>'
        )
        label = fmt_count(size) + (" or more" if size >= hi else "")
        out.append(
            f'<text x="{num(x + bw + 5)}" y="{num(y + H / 2 + fs * 0.36)}" '
            f'font-size="{num(fs)}" fill="{_MUTED}">{label}</text>'
        )
        x += bw + 5 + _text_w(label, fs) + 18
    y += row_h
    total_w = max(margin + cols * cell_w, structure_w, x) + margin
    total_h = y + margin
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="snac-legend" '
        f'viewBox="0 0 {num(total_w)} {num(total_h)}" width="{num(total_w)}" '
        f'height="{num(total_h)}" role="img" aria-label="SNAC legend" font-family="{FONT}">'
        f'<title>SNAC legend</title><rect width="100%" height="100%" fill="#ffffff"/>'
        + "".join(out)
        + "</svg>"
    )
