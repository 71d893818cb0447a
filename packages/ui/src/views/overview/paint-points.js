// Painting the models: trained ones as filled discs rasterised into one pixel buffer
// (raster.js; a canvas path of 10,000 arcs is too slow), the most accurate on top;
// models still training as hollow dashed circles over them. Pure: given a 2D context in
// CSS px, the point raster to draw into, and the scene (see paint.js).

import { BUCKET_RGB, BUCKETS, rampCSS } from "./scales.js";
import { zoomGrowth } from "./viewport.js";

/** Above how many models a moving frame draws dots (`PointRaster.dot`), not discs. */
export const FAST_ABOVE = 20_000;

/** Draws every model with an opacity above 0; returns how many (on screen or just off it). */
export function paintPoints(ctx, raster, scene) {
  const { models: m, view, box: p, cu, cv, ca } = scene;
  const { k, x, y } = view;
  const { dpr } = scene.size;
  // device pixels of the plot box: the raster covers it and nothing else (the clip)
  const ox = (-x * k * p.w) * dpr;
  const oy = (p.h + y * k * p.h) * dpr;
  const kx = k * p.w * dpr;
  const ky = k * p.h * dpr;
  const zr = zoomGrowth(view) * dpr; // circles grow a little as one zooms in
  raster.begin(p.w * dpr, p.h * dpr);
  const rim = 0.75 * dpr;
  const order = m.order; // the most accurate last, on top
  // a big session's points move as small square dots and land as discs: 100,000
  // antialiased discs cost ~100 ms a frame in software, the dots a few
  const fast = scene.animating && m.n > FAST_ABOVE;
  const side = Math.max(2, Math.round(2 * dpr));
  const hollow = [];
  let drawn = 0;
  for (let j = 0; j < m.n; j++) {
    const i = order[j];
    const a = ca[i];
    if (a <= 0) continue;
    drawn += 1;
    if (m.pending[i]) {
      hollow.push(i);
      continue;
    }
    if (fast) raster.dot(ox + cu[i] * kx, oy - cv[i] * ky, side, BUCKET_RGB[m.bucket[i]]);
    else raster.disc(ox + cu[i] * kx, oy - cv[i] * ky, m.radius[i] * zr, BUCKET_RGB[m.bucket[i]], a < 1 ? a : 1, rim);
  }
  raster.blit(ctx, p.x, p.y, p.w, p.h);
  const sox = p.x - x * k * p.w;
  const soy = p.y + p.h + y * k * p.h;
  const skx = k * p.w;
  const sky = k * p.h;
  const szr = zr / dpr;
  ctx.globalAlpha = 1;
  if (hollow.length) {
    ctx.setLineDash([2.5, 2]);
    ctx.lineWidth = 1.5;
    for (const i of hollow) {
      ctx.globalAlpha = ca[i];
      ctx.beginPath();
      ctx.arc(sox + cu[i] * skx, soy - cv[i] * sky, m.radius[i] * szr, 0, 2 * Math.PI);
      ctx.fillStyle = "rgba(255,255,255,0.9)";
      ctx.fill();
      ctx.strokeStyle = Number.isNaN(m.value[i]) ? "#5f6b7a" : rampCSS(Math.max(0.45, m.bucket[i] / (BUCKETS - 1)));
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
  }
  return drawn;
}
