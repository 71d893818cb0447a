"""The activation glyphs tell tanh from sigmoid by their shape (issue 17: both were
green S-curves across the block and hard to tell apart): tanh a steep step between flat
arms, odd about the crossing of its axes; sigmoid a gentle slope across the whole width
above a baseline. Read from the rendered SVG, at a size with axes and at one without."""

from __future__ import annotations

import re

import pytest

import snacs

SVG = "{http://www.w3.org/2000/svg}"
SPEC = {
    "input": {"shape": [3, 32, 32]},
    "layers": [{"type": "conv", "filters": 8}, {"type": "tanh"}, {"type": "sigmoid"}],
}


def _points(d: str, steps: int = 40) -> list[tuple[float, float]]:
    """The polyline of an SVG path of M, H, V, L and C commands (absolute)."""
    tokens = re.findall(r"[MHVLC]|-?\d*\.?\d+", d)
    pts: list[tuple[float, float]] = []
    x = y = 0.0
    i = 0
    while i < len(tokens):
        cmd = tokens[i]
        i += 1
        args = []
        while i < len(tokens) and not tokens[i].isalpha():
            args.append(float(tokens[i]))
            i += 1
        if cmd in "ML":
            x, y = args
        elif cmd == "H":
            (x,) = args
        elif cmd == "V":
            (y,) = args
        elif cmd == "C":
            x1, y1, x2, y2, x3, y3 = args
            x0, y0 = x, y
            for k in range(1, steps + 1):
                t = k / steps
                s = 1 - t
                pts.append((
                    s**3 * x0 + 3 * s * s * t * x1 + 3 * s * t * t * x2 + t**3 * x3,
                    s**3 * y0 + 3 * s * s * t * y1 + 3 * s * t * t * y2 + t**3 * y3,
                ))  # fmt: skip
            x, y = x3, y3
            continue
        pts.append((x, y))
    return pts


def _glyphs(height: float) -> dict[str, list[str]]:
    """Each activation block's path `d`s (axis first when drawn, the curve last)."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(snacs.render(SPEC, height=height))
    out = {}
    for block in root.iter(f"{SVG}g"):
        classes = (block.get("class") or "").split()
        for kind in ("tanh", "sigmoid"):
            if f"snac-{kind}" in classes:
                out[kind] = [p.get("d") for p in block.findall(f"{SVG}path")]
    return out


def _rise_width(curve: str) -> float:
    """How much of the width the curve takes to go from 10 % to 90 % of its rise."""
    pts = _points(curve)
    ys = [1 - y for _, y in pts]  # y down in the glyph box
    lo, hi = min(ys), max(ys)
    xs10 = next(x for (x, _), y in zip(pts, ys, strict=True) if y >= lo + 0.1 * (hi - lo))
    xs90 = next(x for (x, _), y in zip(pts, ys, strict=True) if y >= lo + 0.9 * (hi - lo))
    return xs90 - xs10


@pytest.mark.parametrize("height", [48, 24])
def test_tanh_and_sigmoid_curves_have_different_shapes(height) -> None:
    glyphs = _glyphs(height)
    tanh, sigmoid = glyphs["tanh"][-1], glyphs["sigmoid"][-1]
    assert tanh != sigmoid
    # tanh climbs in a narrow middle between flat arms; sigmoid over the whole width
    assert _rise_width(tanh) <= 0.35
    assert _rise_width(sigmoid) >= 0.6
    assert _rise_width(sigmoid) >= 2 * _rise_width(tanh)
    flat = [(a, b) for a, b in zip(_points(tanh), _points(tanh)[1:], strict=False) if a[1] == b[1]]
    assert sum(b[0] - a[0] for a, b in flat) >= 0.5  # flat arms: half its width
    # tanh is odd: its curve turns about the middle of the box
    pts = _points(tanh)
    mid = min(pts, key=lambda p: abs(p[0] - 0.5))
    assert mid[1] == pytest.approx(0.5, abs=0.05)


def test_with_axes_tanh_crosses_them_at_its_centre_and_sigmoid_sits_on_a_baseline() -> None:
    glyphs = _glyphs(48)
    tanh_axis, sigmoid_axis = glyphs["tanh"][0], glyphs["sigmoid"][0]
    assert len(glyphs["tanh"]) == len(glyphs["sigmoid"]) == 2
    assert "V" in tanh_axis  # a cross…
    assert "V" not in sigmoid_axis  # …vs a floor
    base = _points(sigmoid_axis)
    assert all(y > 0.85 for _, y in base)  # the floor under the curve
    assert min(y for _, y in _points(glyphs["sigmoid"][-1])) < 0.2
