// Painting the selected model's lineage on the overview (issue 22): a line from its
// parent to it and from it to each of its children, in every projection, with an
// arrowhead at the child's end. Redrawn each frame with the rings (the selection
// changes without the data). Pure: given a 2D context in CSS px and the scene (see
// paint.js), whose `lineage` is {parent, children} (model indices; -1: none).

import { SELECTED } from "./scales.js";
import { toScreen, zoomGrowth } from "./viewport.js";

/** One edge a → b (model indices), shortened to the circles' rims; false if either is
 * not drawn. */
function edge(ctx, scene, a, b, toParent) {
  if (a < 0 || b < 0 || !(scene.ca[a] > 0) || !(scene.ca[b] > 0)) return false;
  const [x0, y0] = toScreen(scene.view, scene.box, scene.cu[a], scene.cv[a]);
  const [x1, y1] = toScreen(scene.view, scene.box, scene.cu[b], scene.cv[b]);
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len = Math.hypot(dx, dy);
  const g = zoomGrowth(scene.view);
  const ra = scene.models.radius[a] * g + 2;
  const rb = scene.models.radius[b] * g + 5;
  if (len <= ra + rb) return true; // overlapping circles: drawn, nothing to see between
  const ux = dx / len;
  const uy = dy / len;
  const sx = x0 + ux * ra;
  const sy = y0 + uy * ra;
  const ex = x1 - ux * rb;
  const ey = y1 - uy * rb;
  ctx.strokeStyle = toParent ? SELECTED : "rgba(0,114,178,0.85)";
  ctx.lineWidth = toParent ? 2 : 1.5;
  ctx.setLineDash(toParent ? [] : [5, 3]);
  ctx.beginPath();
  ctx.moveTo(sx, sy);
  ctx.lineTo(ex, ey);
  ctx.stroke();
  ctx.setLineDash([]);
  // the arrowhead: parent → child
  const h = 7;
  ctx.fillStyle = ctx.strokeStyle;
  ctx.beginPath();
  ctx.moveTo(ex, ey);
  ctx.lineTo(ex - ux * h - uy * h * 0.5, ey - uy * h + ux * h * 0.5);
  ctx.lineTo(ex - ux * h + uy * h * 0.5, ey - uy * h - ux * h * 0.5);
  ctx.closePath();
  ctx.fill();
  return true;
}

/** Paints the selected model's parent → it → children edges; how many it drew. */
export function paintLineage(ctx, scene) {
  const l = scene.lineage;
  if (!l || scene.selected < 0) return 0;
  let drawn = 0;
  ctx.save();
  ctx.lineCap = "round";
  if (edge(ctx, scene, l.parent, scene.selected, true)) drawn += 1;
  for (const c of l.children) if (edge(ctx, scene, scene.selected, c, false)) drawn += 1;
  ctx.restore();
  return drawn;
}
