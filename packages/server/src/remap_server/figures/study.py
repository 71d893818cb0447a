"""The study's plot (issue 21): per task, the hypervolume of the (accuracy, −log₁₀
params) front against the training budget, mean ± sd over seeds, one line per policy;
scripted users drawn solid, automated searches dashed. Pure: rows in, SVG out."""

from __future__ import annotations

import math
from collections.abc import Sequence

from nas_core.study import SCRIPTED, Row

from ._draw import INK, MUTED, OKABE_ITO, Scale, axes, document, esc, num, polyline

__all__ = ["study_svg"]

PANEL_W, PANEL_H = 330.0, 300.0
LEFT, TOP, GAP, LEGEND_W = 70.0, 48.0, 70.0, 150.0


USER_COLOURS = (OKABE_ITO[0], OKABE_ITO[3])  # blue, vermillion: the strongest two
SEARCH_COLOURS = (OKABE_ITO[1], OKABE_ITO[2], OKABE_ITO[4], OKABE_ITO[5], "#000000", MUTED)


def _colours(policies: Sequence[str]) -> dict[str, str]:
    """Scripted users get the two strongest colours; yellow (too faint on white) none."""
    users = iter(USER_COLOURS * len(policies))
    searches = iter(SEARCH_COLOURS * len(policies))
    return {p: next(users) if p in SCRIPTED else next(searches) for p in policies}


def study_svg(rows: Sequence[Row], *, title: str = "Is the person worth it?") -> str:
    """The plot of `rows` (`nas_core.study.aggregate`); raises ValueError on none."""
    if not rows:
        raise ValueError("no study rows to draw")
    tasks = list(dict.fromkeys(r.task for r in rows))
    policies = list(dict.fromkeys(r.policy for r in rows))
    colour = _colours(policies)
    width = LEFT + len(tasks) * (PANEL_W + GAP) + LEGEND_W
    height = TOP + PANEL_H + 64
    body: list[str] = []
    for t, task in enumerate(tasks):
        mine = [r for r in rows if r.task == task]
        budgets = sorted({r.budget for r in mine})
        left = LEFT + t * (PANEL_W + GAP)
        lo = min(r.hv_mean - r.hv_sd for r in mine)
        hi = max(r.hv_mean + r.hv_sd for r in mine)
        pad = (hi - lo) * 0.08 or 0.1
        x0, x1 = math.log10(budgets[0]), math.log10(budgets[-1])
        if x1 - x0 < 1e-9:
            x0, x1 = x0 - 0.5, x1 + 0.5
        span = (x1 - x0) * 0.06
        sx = Scale(x0 - span, x1 + span, left, left + PANEL_W)
        sy = Scale(lo - pad, hi + pad, TOP + PANEL_H, TOP)
        best = max(r.best_mean for r in mine)
        body.append(f'<g class="study-panel" data-task="{esc(task)}">')
        body.append(axes(
            sx, sy, x_label="training budget (model-epochs)",
            y_label="hypervolume (accuracy × decades)",
            x_format=lambda v: f"{10**v:.0f}", y_format=lambda v: f"{v:.2f}",
            x_ticks=[math.log10(b) for b in budgets],
        ))  # fmt: skip
        body.append(
            f'<text x="{num(left)}" y="{num(TOP - 10)}" font-size="12" fill="{INK}">'
            f"{esc(task)} (best test accuracy {best:.3f})</text>"
        )
        for k, policy in enumerate(policies):
            line = sorted((r for r in mine if r.policy == policy), key=lambda r: r.budget)
            if not line:
                continue
            c = colour[policy]
            user = policy in SCRIPTED
            dx = (k - (len(policies) - 1) / 2) * 2.2  # error bars side by side
            pts = [(sx(math.log10(r.budget)) + dx, sy(r.hv_mean)) for r in line]
            style = f'stroke="{c}" stroke-width="{2.6 if user else 1.6}"' + (
                "" if user else ' stroke-dasharray="5 3"'
            )
            body.append(f'<g class="study-line" data-policy="{esc(policy)}">')
            body.append(polyline(pts, "hv", style))
            for (x, y), r in zip(pts, line, strict=True):
                y_lo, y_hi = sy(r.hv_mean - r.hv_sd), sy(r.hv_mean + r.hv_sd)
                body.append(
                    f'<line x1="{num(x)}" y1="{num(y_lo)}" x2="{num(x)}" y2="{num(y_hi)}" '
                    f'stroke="{c}" stroke-width="1"/>'
                    f'<circle cx="{num(x)}" cy="{num(y)}" r="{3.2 if user else 2.6}" '
                    f'fill="{c}"><title>{esc(policy)} at {r.budget}: '
                    f"{r.hv_mean:.3f} ± {r.hv_sd:.3f} (n={r.n})</title></circle>"
                )
            body.append("</g>")
        body.append("</g>")
    lx = LEFT + len(tasks) * (PANEL_W + GAP) - GAP / 2
    for k, policy in enumerate(policies):
        y = TOP + 12 + 20 * k
        user = policy in SCRIPTED
        dash = "" if user else ' stroke-dasharray="5 3"'
        body.append(
            f'<line x1="{num(lx)}" y1="{num(y - 4)}" x2="{num(lx + 22)}" y2="{num(y - 4)}" '
            f'stroke="{colour[policy]}" stroke-width="{2.6 if user else 1.6}"{dash}/>'
            f'<text x="{num(lx + 28)}" y="{num(y)}" font-size="11" fill="{INK}">'
            f"{esc(policy)}</text>"
        )
    y = TOP + 12 + 20 * len(policies) + 10
    body.append(
        f'<text x="{num(lx)}" y="{num(y)}" font-size="10" fill="{MUTED}">solid: scripted users'
        f'</text><text x="{num(lx)}" y="{num(y + 13)}" font-size="10" fill="{MUTED}">'
        f"dashed: automated</text>"
        f'<text x="{num(lx)}" y="{num(y + 26)}" font-size="10" fill="{MUTED}">bars: ± 1 sd'
        "</text>"
    )
    return document(width, height, "".join(body), title=title, view="study")
