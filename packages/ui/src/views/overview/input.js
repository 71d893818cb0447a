// The overview's input: pointer (hover, click into the drawer, drag to pan, shift-drag or
// brush mode to select a rectangle), wheel zoom, the keyboard (arrows move a focus
// between models, Enter adds it, + / - / 0 zoom, Escape clears) and the minimap (click or
// drag to move the window there). Each handler takes the <remap-overview> element and
// the DOM event; the geometry is viewport.js's.

import { centreView, hitTest, panView, plotBox, toUnit } from "./viewport.js";

/** Pointer travel (CSS px) below which a press is a click, not a drag. */
const DRAG_PX = 4;
const KEY_ZOOM = 1.5;
const DIRECTIONS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

/** The event's position in canvas CSS px. */
function local(el, e) {
  const box = el._canvas.getBoundingClientRect();
  return [e.clientX - box.left, e.clientY - box.top];
}

const hit = (el, sx, sy) => hitTest(el._grid, el._models?.radius, el._view, plotBox(el._size), sx, sy);

export function pointerDown(el, e) {
  if (e.button !== 0) return;
  const [sx, sy] = local(el, e);
  el._canvas.setPointerCapture?.(e.pointerId);
  el._drag = { sx, sy, mode: e.shiftKey || el.brushMode ? "brush" : "pan", view: { ...el._view }, moved: false };
}

export function pointerMove(el, e) {
  const [sx, sy] = local(el, e);
  const d = el._drag;
  if (d) {
    if (!d.moved && Math.hypot(sx - d.sx, sy - d.sy) < DRAG_PX) return;
    d.moved = true;
    if (d.mode === "pan") {
      el._view = panView(el._view, d.view, plotBox(el._size), sx - d.sx, sy - d.sy);
      el._canvas.classList.add("panning");
    } else {
      el._brush = { x0: d.sx, y0: d.sy, x1: sx, y1: sy };
    }
    el._setHover(-1);
    el._invalidate();
    return;
  }
  el._setHover(hit(el, sx, sy));
}

export function pointerUp(el, e) {
  const d = el._drag;
  el._drag = null;
  el._canvas.classList.remove("panning");
  if (!d) return;
  const [sx, sy] = local(el, e);
  if (!d.moved) {
    const i = hit(el, sx, sy);
    if (i >= 0) el._add([el._models.ids[i]], true);
    else if (el._brushed.length) el._clearBrush();
    return;
  }
  if (d.mode === "brush") {
    const p = plotBox(el._size);
    const [u0, v0] = toUnit(el._view, p, Math.min(d.sx, sx), Math.max(d.sy, sy));
    const [u1, v1] = toUnit(el._view, p, Math.max(d.sx, sx), Math.min(d.sy, sy));
    el._brushed = el._grid.within(u0, u1, v0, v1).map((i) => el._models.ids[i]);
    el._brush = { x0: d.sx, y0: d.sy, x1: sx, y1: sy };
    el._invalidate();
    el.requestRender();
  }
  el.requestRender();
}

export function pointerCancel(el) {
  el._drag = null;
}

export function pointerLeave(el) {
  if (!el._drag) el._setHover(-1);
}

export function wheel(el, e) {
  e.preventDefault();
  const [sx, sy] = local(el, e);
  el.zoomAt(Math.exp(-e.deltaY * 0.0015), sx, sy);
}

export function keyDown(el, e) {
  const p = plotBox(el._size);
  if (DIRECTIONS[e.key]) {
    e.preventDefault();
    const m = el._models;
    if (!m || !m.n) return;
    const [dx, dy] = DIRECTIONS[e.key];
    const next = focusStep(el._layout, el._ta, el._focus, el._view, p, dx, dy);
    if (next !== null) el._setFocus(next);
  } else if (e.key === "Enter" || e.key === " ") {
    e.preventDefault();
    if (el._focus >= 0) el._add([el._models.ids[el._focus]], true);
  } else if (e.key === "+" || e.key === "=") {
    e.preventDefault();
    el.zoomAt(KEY_ZOOM, p.x + p.w / 2, p.y + p.h / 2);
  } else if (e.key === "-" || e.key === "_") {
    e.preventDefault();
    el.zoomAt(1 / KEY_ZOOM, p.x + p.w / 2, p.y + p.h / 2);
  } else if (e.key === "0") {
    el.resetZoom();
  } else if (e.key === "Escape") {
    el._clearBrush();
    el._setFocus(-1);
  }
}

/** Leaving the canvas drops the keyboard focus. */
export function canvasBlur(el) {
  if (el._focus >= 0) el._setFocus(-1);
}

/** Where the keyboard focus goes from model `focus` in direction (dx, dy) (screen axes):
 * the nearest shown model that way (without a focus: the one nearest the centre of what
 * is visible); null to stay. */
export function focusStep(layout, ta, focus, view, p, dx, dy) {
  const { u, v } = layout;
  const n = u.length;
  const { k } = view;
  let best = -1;
  if (focus < 0) {
    const [cu, cv] = toUnit(view, p, p.x + p.w / 2, p.y + p.h / 2);
    let bestD = Infinity;
    for (let i = 0; i < n; i++) {
      if (!ta[i]) continue;
      const d = ((u[i] - cu) * p.w) ** 2 + ((v[i] - cv) * p.h) ** 2;
      if (d < bestD) [bestD, best] = [d, i];
    }
    return best;
  }
  let bestS = Infinity;
  for (let i = 0; i < n; i++) {
    if (i === focus || !ta[i]) continue;
    const ex = (u[i] - u[focus]) * p.w * k;
    const ey = -(v[i] - v[focus]) * p.h * k;
    const along = ex * dx + ey * dy;
    if (along <= 0.5) continue;
    const across = Math.abs(ex * dy - ey * dx);
    const s = along + 2 * across;
    if (s < bestS) [bestS, best] = [s, i];
  }
  return best < 0 ? null : best;
}

/** The minimap: a press or a drag with the button down centres the window there. */
export function minimapPointer(el, e) {
  if (e.type === "pointerdown") el._mini.setPointerCapture?.(e.pointerId);
  else if (!(e.buttons & 1)) return;
  const box = el._mini.getBoundingClientRect();
  const u = (e.clientX - box.left) / box.width;
  const v = 1 - (e.clientY - box.top) / box.height;
  el._view = centreView(el._view, u, v);
  el._invalidate();
  e.preventDefault();
}
