// Painting the overview's lines: the Pareto front (accuracy view), and the search
// view's best-so-far step line over the rolling mean ± sd band. Pure: given a 2D
// context in CSS px, the layout's overlays (in unit coordinates), the view and the plot box.

import { formatSeconds } from "../../core/theme.js";
import { paintGroups } from "./groups.js";
import { BEST, ROLLING } from "./scales.js";
import { toScreen } from "./viewport.js";

/** A polyline through unit points `pts` ([u, v] pairs). */
function line(ctx, view, p, pts) {
  ctx.beginPath();
  pts.forEach(([u, v], j) => {
    const [sx, sy] = toScreen(view, p, u, v);
    if (j) ctx.lineTo(sx, sy);
    else ctx.moveTo(sx, sy);
  });
  ctx.stroke();
}

export function paintOverlays(ctx, overlays, view, p) {
  const o = overlays;
  ctx.lineJoin = "round";
  if (o.pareto?.length) {
    ctx.strokeStyle = "rgba(29,35,48,0.55)";
    ctx.lineWidth = 1.5;
    ctx.setLineDash([5, 3]);
    line(ctx, view, p, o.pareto);
    ctx.setLineDash([]);
  }
  for (const [u0, u1, seconds] of o.gaps ?? []) {
    // an idle stretch: shaded, labelled, and no band across it
    const [x0] = toScreen(view, p, u0, 0);
    const [x1] = toScreen(view, p, u1, 0);
    const left = Math.max(p.x, x0);
    const right = Math.min(p.x + p.w, x1);
    if (right <= left) continue;
    ctx.fillStyle = "rgba(95,107,122,0.08)";
    ctx.fillRect(left, p.y, right - left, p.h);
    if (right - left > 60) {
      ctx.fillStyle = "#5f6b7a";
      ctx.font = "italic 11px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      ctx.fillText(`idle ${formatSeconds(seconds)}`, (left + right) / 2, p.y + 6);
    }
  }
  for (const seg of o.rolling ?? []) {
    ctx.fillStyle = "rgba(204,121,167,0.18)";
    ctx.beginPath();
    seg.forEach(([u, , lo], j) => {
      const [sx, sy] = toScreen(view, p, u, lo);
      if (j) ctx.lineTo(sx, sy);
      else ctx.moveTo(sx, sy);
    });
    for (let j = seg.length - 1; j >= 0; j--) {
      const [sx, sy] = toScreen(view, p, seg[j][0], seg[j][3]);
      ctx.lineTo(sx, sy);
    }
    ctx.closePath();
    ctx.fill();
    ctx.strokeStyle = ROLLING;
    ctx.lineWidth = 1.5;
    line(ctx, view, p, seg.map(([u, mean]) => [u, mean]));
  }
  if (o.best?.length) {
    ctx.strokeStyle = BEST;
    ctx.lineWidth = 2;
    line(ctx, view, p, o.best);
  }
  if (o.groups?.length) paintGroups(ctx, o.groups, view, p);
}
