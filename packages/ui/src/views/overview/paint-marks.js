// Painting what marks models out, over the points and redrawn on every frame (hover,
// focus, selection and a brush change without the data): rings round the models in the
// drawer, the brushed ones, the selected one, the hovered one (filled again, on top) and
// the keyboard focus, and the brush's rectangle. Pure: given a 2D context in CSS px and
// the scene (see paint.js).

import { BUCKET_COLORS, INK, SELECTED } from "./scales.js";
import { toScreen, zoomGrowth } from "./viewport.js";

/** A ring `extra` px outside model i's circle (none if it is not drawn). */
function ring(ctx, scene, i, extra, color, width, dash = []) {
  if (i < 0 || !(scene.ca[i] > 0)) return;
  const [sx, sy] = toScreen(scene.view, scene.box, scene.cu[i], scene.cv[i]);
  const r = scene.models.radius[i] * zoomGrowth(scene.view) + extra;
  ctx.beginPath();
  ctx.arc(sx, sy, r, 0, 2 * Math.PI);
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.stroke();
  ctx.setLineDash([]);
}

export function paintRings(ctx, scene) {
  const m = scene.models;
  for (const id of scene.drawer) {
    const i = m.index.get(id);
    if (i === undefined) continue;
    ctx.globalAlpha = Math.min(1, scene.ca[i]); // a model the filter dims has a faint ring (issue 22)
    ring(ctx, scene, i, 2.5, INK, 1.5);
  }
  ctx.globalAlpha = 1;
  for (const id of scene.brushed) {
    const i = m.index.get(id);
    if (i !== undefined) ring(ctx, scene, i, 1.5, "#0072B2", 1);
  }
  ring(ctx, scene, scene.selected, 4, SELECTED, 2.5);
  const hover = scene.hover;
  if (hover >= 0 && scene.ca[hover] > 0) {
    const [sx, sy] = toScreen(scene.view, scene.box, scene.cu[hover], scene.cv[hover]);
    ctx.beginPath();
    ctx.arc(sx, sy, m.radius[hover] * zoomGrowth(scene.view) + 1.5, 0, 2 * Math.PI);
    ctx.fillStyle = m.pending[hover] ? "rgba(255,255,255,0.9)" : BUCKET_COLORS[m.bucket[hover]];
    ctx.fill();
    ring(ctx, scene, hover, 3, "#ffffff", 4); // a halo: not the drawer's thin ink ring
    ring(ctx, scene, hover, 3, INK, 2);
  }
  if (scene.focus >= 0) ring(ctx, scene, scene.focus, 7, "#0072B2", 2, [3, 2]);
}

/** The brush's rectangle, `b` ({x0, y0, x1, y1}, canvas CSS px). */
export function paintBrush(ctx, b) {
  ctx.fillStyle = "rgba(0,114,178,0.08)";
  ctx.strokeStyle = "#0072B2";
  ctx.lineWidth = 1;
  ctx.setLineDash([4, 3]);
  ctx.fillRect(Math.min(b.x0, b.x1), Math.min(b.y0, b.y1), Math.abs(b.x1 - b.x0), Math.abs(b.y1 - b.y0));
  ctx.strokeRect(Math.min(b.x0, b.x1) + 0.5, Math.min(b.y0, b.y1) + 0.5, Math.abs(b.x1 - b.x0), Math.abs(b.y1 - b.y0));
  ctx.setLineDash([]);
}
