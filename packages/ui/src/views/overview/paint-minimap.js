// Painting the minimap (shown while zoomed in): every model as a dot over the whole
// extent, and the visible window as a rectangle. The dots are kept as pixels until the
// layout changes. Pure: given the minimap's 2D context, the scene (see paint.js) and the
// cache to keep the dots in.

import { BUCKET_COLORS, BUCKETS, SELECTED } from "./scales.js";

/** The minimap's size in CSS px. */
export const MINI = { w: 150, h: 96 };

/** `cache.mini`: the dots as ImageData, or null (cleared whenever the layout changes). */
export function paintMinimap(ctx, scene, cache) {
  const { dpr } = scene.size;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  if (!cache.mini || scene.animating) {
    // the whole extent, as dots; cached until the layout changes
    ctx.clearRect(0, 0, MINI.w, MINI.h);
    const m = scene.models;
    for (let b = 0; b < BUCKETS; b += 1) {
      ctx.fillStyle = BUCKET_COLORS[Math.max(b, 6)];
      for (let i = 0; i < m.n; i++) {
        if (m.bucket[i] !== b || !(scene.ca[i] > 0)) continue;
        ctx.fillRect(scene.cu[i] * MINI.w - 1, (1 - scene.cv[i]) * MINI.h - 1, 2, 2);
      }
    }
    if (!scene.animating) cache.mini = ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height);
  } else {
    ctx.putImageData(cache.mini, 0, 0);
  }
  const { k, x, y } = scene.view;
  ctx.strokeStyle = SELECTED;
  ctx.lineWidth = 1.5;
  ctx.strokeRect(x * MINI.w, (1 - y - 1 / k) * MINI.h, MINI.w / k, MINI.h / k);
}
