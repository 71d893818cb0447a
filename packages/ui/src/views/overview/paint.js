// Painting one frame of the overview's canvas from a scene: the grid, the lines and the
// points (kept as a picture while the data and the zoom stay, so hover frames are one
// drawImage), then the marks, the brush and the axes. Pure: no element, no DOM lookups;
// the caches it is handed are all it changes.
//
// A scene is a plain object:
//   models, layout        the typed arrays of points.js
//   view, size, box       the viewport ({k, x, y}), the canvas ({w, h, dpr}), the plot box
//   cu, cv, ca            where each model is drawn now (unit coordinates) and its opacity
//   animating, switching  a transition is running (to another projection)
//   syncs                 bumped whenever the data was rebuilt (part of the cache key)
//   drawer, brushed       ids in the drawer (a Set) and brushed (an array)
//   selected, hover, focus  model indices, -1 for none
//   brush                 the rectangle being dragged ({x0, y0, x1, y1}, CSS px) or null
//   lineage               the selected model's {parent, children} (indices, -1: none)
//   glyphs                glyph mode's chip images (paint-glyphs.js), or null: dots only

import { paintAxes, paintGrid } from "./paint-axes.js";
import { paintBrush, paintRings } from "./paint-marks.js";
import { paintGlyphs, placeGlyphs } from "./paint-glyphs.js";
import { paintLineage } from "./paint-lineage.js";
import { paintOverlays } from "./paint-overlays.js";
import { paintPoints } from "./paint-points.js";

/** Paints `scene` on `ctx` (the main canvas's context). `cache`: {raster, base,
 * baseKey}: the point raster, a canvas keeping the last grid + points, and what they
 * show. Returns how many models were drawn, or null when the kept picture was reused. */
export function paintFrame(ctx, scene, cache) {
  const c = ctx.canvas;
  const { w, h, dpr } = scene.size;
  const p = scene.box;
  // the grid, overlays and points change with the data and the zoom, not with hover,
  // focus, selection or a brush: those frames reuse them (one drawImage)
  const { k, x, y } = scene.view;
  const baseKey = scene.animating ? null : `${scene.syncs}|${k}|${x}|${y}|${w}|${h}|${dpr}|${scene.glyphs ? 1 : 0}`;
  let drawn = null;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  if (baseKey !== null && baseKey === cache.baseKey) {
    // cleared first: the kept picture is transparent around the plot, and the axes'
    // labels drawn there last frame would otherwise be painted over again (bold, blurred)
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.drawImage(cache.base, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  } else {
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    paintGrid(ctx, scene.layout.axes, scene.view, p);
    ctx.save();
    ctx.beginPath();
    ctx.rect(p.x, p.y, p.w, p.h);
    ctx.clip();
    // lines of the old projection would mislead while the points move to the new one
    if (!scene.switching) paintOverlays(ctx, scene.layout.overlays, scene.view, p);
    drawn = paintPoints(ctx, cache.raster, scene);
    // chips where the zoom leaves room (not while the points move: they would jump)
    cache.glyphs = scene.glyphs && !scene.animating ? paintGlyphs(ctx, scene, scene.glyphs, placeGlyphs(scene)) : [];
    ctx.restore();
    cache.baseKey = baseKey;
    if (baseKey !== null) {
      if (cache.base.width !== c.width || cache.base.height !== c.height) {
        cache.base.width = c.width;
        cache.base.height = c.height;
      }
      const bctx = cache.base.getContext("2d");
      bctx.clearRect(0, 0, c.width, c.height);
      bctx.drawImage(c, 0, 0);
    }
  }
  ctx.save();
  ctx.beginPath();
  ctx.rect(p.x, p.y, p.w, p.h);
  ctx.clip();
  cache.lineageEdges = paintLineage(ctx, scene); // the selected model's parent and children
  paintRings(ctx, scene);
  if (scene.brush) paintBrush(ctx, scene.brush);
  ctx.restore();
  paintAxes(ctx, scene.layout.axes, scene.view, p);
  return drawn;
}
