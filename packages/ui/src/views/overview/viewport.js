// The overview's viewport: which part of the unit square is visible (zoom and pan) and
// the transforms between unit coordinates and canvas CSS pixels (pure functions).
//
// A view is {k, x, y}: the visible unit window [x, x + 1/k] × [y, y + 1/k]; v grows
// upwards, screen y downwards. Functions that change a view return a new one.

/** The plot box's margins inside the canvas (CSS px): room for the axes. */
export const MARGIN = { left: 52, right: 14, top: 12, bottom: 40 };
export const ZOOM_MIN = 1;
export const ZOOM_MAX = 200;
/** How near (CSS px, beyond a circle's own radius) the pointer must be to hit a model. */
export const HOVER_PX = 12;

export const FULL_VIEW = Object.freeze({ k: 1, x: 0, y: 0 });

/** The plot area of a canvas `size` ({w, h} in CSS px). */
export function plotBox(size) {
  const { w, h } = size;
  return {
    x: MARGIN.left,
    y: MARGIN.top,
    w: Math.max(10, w - MARGIN.left - MARGIN.right),
    h: Math.max(10, h - MARGIN.top - MARGIN.bottom),
  };
}

/** Unit (u, v) to canvas CSS pixels in plot box `p`. */
export function toScreen(view, p, u, v) {
  const { k, x, y } = view;
  return [p.x + (u - x) * k * p.w, p.y + p.h - (v - y) * k * p.h];
}

/** Canvas CSS pixels to unit (u, v). */
export function toUnit(view, p, sx, sy) {
  const { k, x, y } = view;
  return [x + (sx - p.x) / (k * p.w), y + (p.y + p.h - sy) / (k * p.h)];
}

/** The zoom within [ZOOM_MIN, ZOOM_MAX] and the window inside the unit square. */
export function clampView(view) {
  const k = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, view.k));
  const span = 1 / k;
  return {
    k,
    x: Math.min(1 - span, Math.max(0, view.x)),
    y: Math.min(1 - span, Math.max(0, view.y)),
  };
}

/** Zoom by `factor` keeping the unit point under canvas pixel (sx, sy) in place. */
export function zoomView(view, p, factor, sx, sy) {
  const [u, v] = toUnit(view, p, sx, sy);
  const k = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, view.k * factor));
  return clampView({ k, x: u - (sx - p.x) / (k * p.w), y: v - (p.y + p.h - sy) / (k * p.h) });
}

/** `view` panned so that what was under (sx, sy) of the `start` view follows the
 * pointer moved by (dx, dy) CSS px. */
export function panView(view, start, p, dx, dy) {
  return clampView({
    k: view.k,
    x: start.x - dx / (start.k * p.w),
    y: start.y + dy / (start.k * p.h),
  });
}

/** `view` moved (same zoom) so that unit point (u, v) is in the middle. */
export function centreView(view, u, v) {
  const span = 1 / view.k;
  return clampView({ k: view.k, x: u - span / 2, y: v - span / 2 });
}

/** `view` moved (same zoom) to show unit point (u, v) in the middle if it is outside
 * plot box `p`; `view` itself if it is inside. */
export function viewShowing(view, p, u, v) {
  const [sx, sy] = toScreen(view, p, u, v);
  const outside = sx < p.x || sx > p.x + p.w || sy < p.y || sy > p.y + p.h;
  return outside ? centreView(view, u, v) : view;
}

/** The model under canvas pixel (sx, sy) (the nearest within HOVER_PX plus its own
 * radius, by `grid`, a SpatialGrid of the layout), or -1. */
export function hitTest(grid, radius, view, p, sx, sy) {
  if (!grid) return -1;
  if (sx < p.x - HOVER_PX || sx > p.x + p.w + HOVER_PX || sy < p.y - HOVER_PX || sy > p.y + p.h + HOVER_PX) return -1;
  const [u, v] = toUnit(view, p, sx, sy);
  const ru = HOVER_PX / (view.k * p.w);
  const rv = HOVER_PX / (view.k * p.h);
  return grid.nearest(u, v, ru, rv, (i) => radius[i] / HOVER_PX);
}

/** How much circles grow as one zooms in (a factor on their radius, at most 2.5). */
export const zoomGrowth = (view) => Math.min(2.5, Math.sqrt(view.k));
