// Painting the overview's frame of reference: the plot's background and grid lines
// (under the points) and the axes with their ticks and labels (over them). Pure: given
// a 2D context in CSS px, the layout's axes, the view and the plot box.

import { BAND } from "./points.js";
import { INK, linearTicks, logTicks, timeTicks } from "./scales.js";
import { toScreen } from "./viewport.js";

/** Visible ticks of an axis (`which`: "x" or "y") in `view`: [domain value, label]. */
export function visibleTicks(axis, which, view) {
  if (axis.kind === "none") return [];
  const { k, x, y } = view;
  const lo = which === "x" ? x : Math.max(y, axis.floor ?? 0);
  const hi = (which === "x" ? x : y) + 1 / k;
  if (hi <= lo) return [];
  const d0 = axis.scale.from(lo);
  const d1 = axis.scale.from(hi);
  if (axis.kind === "time") return timeTicks(Math.min(d0, d1), Math.max(d0, d1), 6);
  const ticks = axis.kind === "log" ? logTicks(d0, d1) : linearTicks(d0, d1, which === "x" ? 6 : 5);
  return ticks.filter((t) => t >= Math.min(d0, d1) - 1e-9 && t <= Math.max(d0, d1) + 1e-9).map((t) => [t, axis.format(t)]);
}

/** The plot's background, its grid lines and (accuracy view) the "training" band. */
export function paintGrid(ctx, axes, view, p) {
  ctx.fillStyle = "#fbfcfd";
  ctx.fillRect(p.x, p.y, p.w, p.h);
  ctx.strokeStyle = "#eceff3";
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const [t] of visibleTicks(axes.x, "x", view)) {
    const [sx] = toScreen(view, p, axes.x.scale.to(t), 0);
    ctx.moveTo(Math.round(sx) + 0.5, p.y);
    ctx.lineTo(Math.round(sx) + 0.5, p.y + p.h);
  }
  for (const [t] of visibleTicks(axes.y, "y", view)) {
    const [, sy] = toScreen(view, p, 0, axes.y.scale.to(t));
    ctx.moveTo(p.x, Math.round(sy) + 0.5);
    ctx.lineTo(p.x + p.w, Math.round(sy) + 0.5);
  }
  ctx.stroke();
  if (axes.band) {
    const [, top] = toScreen(view, p, 0, axes.y.floor - 0.015);
    const [, bottom] = toScreen(view, p, 0, 0);
    ctx.fillStyle = "#f1f3f6";
    ctx.fillRect(p.x, top, p.w, bottom - top);
  }
}

/** The two axis lines, the ticks with their labels, and the axis titles. */
export function paintAxes(ctx, axes, view, p) {
  ctx.fillStyle = "#5f6b7a";
  ctx.strokeStyle = "#9aa3ae";
  ctx.lineWidth = 1;
  ctx.font = "11px system-ui, sans-serif";
  ctx.beginPath();
  ctx.moveTo(p.x - 0.5, p.y);
  ctx.lineTo(p.x - 0.5, p.y + p.h + 0.5);
  ctx.lineTo(p.x + p.w, p.y + p.h + 0.5);
  ctx.stroke();
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const [t, label] of visibleTicks(axes.x, "x", view)) {
    const [sx] = toScreen(view, p, axes.x.scale.to(t), 0);
    ctx.fillRect(Math.round(sx), p.y + p.h, 1, 4);
    ctx.fillText(label, sx, p.y + p.h + 6);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const [t, label] of visibleTicks(axes.y, "y", view)) {
    const [, sy] = toScreen(view, p, 0, axes.y.scale.to(t));
    ctx.fillRect(p.x - 4, Math.round(sy), 4, 1);
    ctx.fillText(label, p.x - 7, sy);
  }
  if (axes.band) {
    const [, sy] = toScreen(view, p, 0, BAND);
    if (sy > p.y && sy < p.y + p.h) {
      ctx.font = "italic 11px system-ui, sans-serif";
      ctx.fillText("training", p.x - 7, sy);
    }
  }
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = INK;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(axes.x.label, p.x + p.w / 2, p.y + p.h + 38);
  ctx.save();
  ctx.translate(13, p.y + p.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(axes.y.label, 0, 0);
  ctx.restore();
}
