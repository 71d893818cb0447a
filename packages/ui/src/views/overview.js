// <remap-overview>: the model overview of the REMAP paper (Fig. 1A, 4b) with MAST's
// search view. One canvas scatter of every model in the session, in one of four
// projections (accuracy × log params with the Pareto front; OTMANN structure MDS;
// prediction MDS; accuracy over wall time with best-so-far and a rolling mean ± sd).
//
// Darkness = accuracy (or the selected class's accuracy), radius = log #params; models
// still training are hollow dashed circles. Hover: a tooltip with the SNAC; click: into
// the drawer; shift-drag (or brush mode): select a rectangle; wheel/drag: zoom and pan;
// arrows/Enter/+/-: the same from the keyboard.
//
// Speed at 10,000 models: positions, colours and radii are typed arrays rebuilt when
// the state's version changes (points.js), never per frame; circles of one colour are
// filled in one path; hover and brush query a uniform grid (grid.js); the canvas draws
// in requestAnimationFrame only when something changed.
//
// For tests and benchmarks: `el.stats` ({drawn, lastFrameMs, frames, projection,
// animating, zoom}) and `el.pointOf(id)` (a model's centre in client CSS pixels).

import { html, nothing, svg } from "lit-html";
import { ref } from "lit-html/directives/ref.js";
import { RemapElement } from "../core/element.js";
import { PROJECTIONS } from "../core/fold.js";
import { formatCount } from "../core/theme.js";
import { SpatialGrid } from "./overview/grid.js";
import { describe, layoutFor, modelArrays } from "./overview/points.js";
import { PointRaster } from "./overview/raster.js";
import { BUCKET_COLORS, BUCKET_RGB, BUCKETS, ease, linearTicks, logTicks, rampCSS } from "./overview/scales.js";

const LABELS = { accuracy: "Accuracy", structure: "Structure", predictions: "Predictions", search: "Search" };
const TITLES = {
  accuracy: "Validation accuracy against the number of parameters (log), with the Pareto front",
  structure: "MDS of the OTMANN structural distance between architectures",
  predictions: "MDS of the distance between the models' test-set predictions",
  search: "Accuracy over wall time: best so far and the rolling mean ± sd of the k most recent models",
};
const MARGIN = { left: 52, right: 14, top: 12, bottom: 40 };
const HOVER_PX = 12;
const SWITCH_MS = 400;
const UPDATE_MS = 260;
const ZOOM_MIN = 1;
const ZOOM_MAX = 200;
const MINI = { w: 150, h: 96 };
const SELECTED = "#E69F00";
const BEST = "#009E73";
const ROLLING = "#CC79A7";
const INK = "#1d2330";

const styles = `
:host { display: flex; flex-direction: column; height: 100%; min-height: 320px; }
.bar { display: flex; align-items: center; gap: 6px; padding: 6px 8px; flex-wrap: wrap; border-bottom: 1px solid var(--remap-border); }
.bar [role="group"] { display: flex; gap: 2px; }
.bar [role="group"] button { border-radius: 0; margin-left: -1px; }
.bar [role="group"] button:first-child { border-radius: var(--remap-radius) 0 0 var(--remap-radius); margin-left: 0; }
.bar [role="group"] button:last-child { border-radius: 0 var(--remap-radius) var(--remap-radius) 0; }
.bar .spacer { flex: 1; }
.bar label { display: inline-flex; align-items: center; gap: 4px; color: var(--remap-muted); }
.bar input[type="number"] { width: 4.5em; padding: 2px 4px; border: 1px solid var(--remap-border); border-radius: var(--remap-radius); }
.count { color: var(--remap-muted); font-variant-numeric: tabular-nums; min-width: 9ch; }
.chip { background: var(--remap-accent-soft); color: var(--remap-accent); border-radius: 10px; padding: 1px 8px; font-size: 12px; }
.plot { position: relative; flex: 1; min-height: 200px; overflow: hidden; }
.plot canvas.main { position: absolute; inset: 0; width: 100%; height: 100%; touch-action: none; cursor: crosshair; }
.plot canvas.main.panning { cursor: grabbing; }
.plot canvas.main:focus-visible { outline: 2px solid var(--remap-accent); outline-offset: -2px; }
canvas.mini {
  position: absolute; right: ${MARGIN.right + 6}px; bottom: ${MARGIN.bottom + 6}px; width: ${MINI.w}px; height: ${MINI.h}px;
  background: rgba(255,255,255,.92); border: 1px solid var(--remap-border); border-radius: 4px; cursor: move;
  box-shadow: 0 1px 4px rgba(0,0,0,.12);
}
canvas.mini[hidden] { display: none; }
.tip {
  position: absolute; pointer-events: none; z-index: 2; background: #fff; border: 1px solid var(--remap-border);
  border-radius: var(--remap-radius); box-shadow: 0 2px 10px rgba(0,0,0,.15); padding: 6px 8px; max-width: 320px;
  font-size: 12px;
}
.tip img { display: block; height: 40px; max-width: 300px; margin-bottom: 4px; }
.tip .id { font-weight: 600; font-family: var(--remap-mono); }
.tip .desc { color: var(--remap-muted); white-space: normal; }
.tip dl { display: grid; grid-template-columns: auto auto; gap: 0 10px; margin: 2px 0 0; }
.tip dt { color: var(--remap-muted); }
.tip dd { margin: 0; font-variant-numeric: tabular-nums; text-align: right; }
.brushbar { position: absolute; top: 8px; left: 50%; transform: translateX(-50%); z-index: 3; display: flex; gap: 6px;
  align-items: center; background: #fff; border: 1px solid var(--remap-border); border-radius: var(--remap-radius);
  padding: 4px 6px; box-shadow: 0 2px 8px rgba(0,0,0,.12); }
.empty-plot { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; pointer-events: none; }
.legend { display: flex; align-items: center; gap: 14px; padding: 4px 10px 6px; color: var(--remap-muted); font-size: 12px;
  flex-wrap: wrap; min-height: 30px; border-top: 1px solid var(--remap-border); }
.legend span { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }
.legend svg { overflow: visible; }
`;

export class RemapOverview extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor", "selection", "hover", "connection"];

  constructor() {
    super();
    this.k = 10; // the search view's rolling window
    this.brushMode = false;
    this._key = "";
    this._state = null;
    this._models = null;
    this._layout = null;
    this._grid = null;
    this._drawer = new Set();
    this._cls = null;
    this._projection = "accuracy";
    // what is on screen (interpolated) and where it is going
    this._cu = new Float32Array(0);
    this._cv = new Float32Array(0);
    this._ca = new Float32Array(0);
    this._fu = this._cu;
    this._fv = this._cv;
    this._fa = this._ca;
    this._ta = new Float32Array(0);
    this._anim = null; // {start, ms}
    this._view = { k: 1, x: 0, y: 0 }; // visible unit window: [x, x + 1/k] × [y, y + 1/k]
    this._size = { w: 0, h: 0, dpr: 1 };
    this._hover = -1;
    this._focus = -1;
    this._brush = null; // {x0, y0, x1, y1} in canvas CSS px while dragging
    this._brushed = []; // ids
    this._drag = null;
    this._dirty = true;
    this._raf = 0;
    this._stats = { drawn: 0, lastFrameMs: 0, frames: 0, paintedAt: 0 };
    this._miniCache = null;
    this._raster = new PointRaster();
    this._base = document.createElement("canvas"); // the last grid + points, for cheap frames
    this._baseKey = null;
    this._syncs = 0; // bumped whenever the arrays are rebuilt
    this._shown = 0;
    this._canvas = null;
    this._mini = null;
    this._plot = null;
    this._resize = new ResizeObserver(() => this._measure());
  }

  // --- read-only hooks for tests and benchmarks --------------------------------------------

  get stats() {
    return {
      ...this._stats,
      projection: this._projection,
      animating: this._anim !== null,
      zoom: this._view.k,
      models: this._models?.n ?? 0,
    };
  }

  /** Client (CSS pixel) coordinates of model `id`'s centre, or null if not drawn. */
  pointOf(id) {
    const i = this._models?.index.get(id);
    if (i === undefined || !this._canvas || !(this._ta[i] > 0)) return null;
    const box = this._canvas.getBoundingClientRect();
    const [x, y] = this._toScreen(this._layout.u[i], this._layout.v[i]);
    return { x: box.left + x, y: box.top + y };
  }

  // --- life cycle ------------------------------------------------------------------------

  disconnectedCallback() {
    super.disconnectedCallback();
    this._resize.disconnect();
    cancelAnimationFrame(this._raf);
    this._raf = 0;
  }

  changed(detail) {
    if (detail.what === "hover" || detail.what === "selection") this._invalidate();
  }

  // already inside a frame (the template's render): paint now, not a frame later
  rendered() {
    if (this._dirty && this._canvas) {
      cancelAnimationFrame(this._raf);
      this._raf = 0;
      this._paint(performance.now());
    }
  }

  _setCanvas(el) {
    if (!el || el === this._canvas) return;
    this._canvas = el;
    this._invalidate();
  }

  _setPlot(el) {
    if (!el || el === this._plot) return;
    this._plot = el;
    this._resize.observe(el);
    this._measure();
  }

  _measure() {
    if (!this._plot || !this._canvas) return;
    const w = this._plot.clientWidth;
    const h = this._plot.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    if (w === this._size.w && h === this._size.h && dpr === this._size.dpr) return;
    this._size = { w, h, dpr };
    this._canvas.width = Math.max(1, Math.round(w * dpr));
    this._canvas.height = Math.max(1, Math.round(h * dpr));
    if (this._mini) {
      this._mini.width = MINI.w * dpr;
      this._mini.height = MINI.h * dpr;
    }
    this._invalidate();
  }

  _invalidate() {
    this._dirty = true;
    if (!this._raf && this.isConnected) this._raf = requestAnimationFrame((t) => this._paint(t));
  }

  // --- data: rebuilt when the state changes, not per frame -----------------------------------

  _sync() {
    const state = this.session.state;
    const projection = PROJECTIONS.includes(state.view.projection) ? state.view.projection : "accuracy";
    const cls = state.view.selected_class ?? null;
    // the state at the timeline's cursor is a fresh object whose version counts from 0:
    // the cache keys on the object as well as its version
    const key = `${state.last_seq}:${state.version}:${projection}:${cls}:${this.k}`;
    if (key === this._key && state === this._state) return;
    this._state = state;
    this._syncs += 1;
    const switching = this._layout !== null && projection !== this._projection;
    this._key = key;
    const previous = this._models;
    const models = modelArrays(state, cls);
    const layout = layoutFor(state, models, projection, this.k);
    // where each model is drawn now, by id, so the transition starts there
    const n = models.n;
    const fu = new Float32Array(n);
    const fv = new Float32Array(n);
    const fa = new Float32Array(n);
    const ta = new Float32Array(n);
    const first = previous === null || previous.n === 0;
    for (let i = 0; i < n; i++) {
      ta[i] = layout.live[i];
      const j = previous?.index.get(models.ids[i]);
      if (j !== undefined && this._ca[j] > 0) {
        fu[i] = this._cu[j];
        fv[i] = this._cv[j];
        fa[i] = this._ca[j];
      } else {
        fu[i] = layout.u[i];
        fv[i] = layout.v[i];
        fa[i] = first ? ta[i] : 0; // new models fade in; the first paint shows all at once
      }
      if (!ta[i] && fa[i] === 0) {
        fu[i] = layout.u[i];
        fv[i] = layout.v[i];
      }
    }
    // a model leaving this projection fades where it is
    for (let i = 0; i < n; i++) {
      if (!ta[i]) {
        layout.u[i] = fu[i];
        layout.v[i] = fv[i];
      }
    }
    this._models = models;
    this._layout = layout;
    this._projection = projection;
    this._cls = cls;
    this._drawer = new Set(state.drawer);
    this._fu = fu;
    this._fv = fv;
    this._fa = fa;
    this._ta = ta;
    this._cu = fu.slice();
    this._cv = fv.slice();
    this._ca = fa.slice();
    const moved = !first && (switching || fu.some((x, i) => x !== layout.u[i] || fv[i] !== layout.v[i] || fa[i] !== ta[i]));
    this._anim = moved ? { start: performance.now(), ms: switching ? SWITCH_MS : UPDATE_MS } : null;
    if (!moved) {
      this._cu = layout.u;
      this._cv = layout.v;
      this._ca = ta;
    }
    this._grid = new SpatialGrid(layout.u, layout.v, (i) => ta[i] > 0);
    this._shown = layout.live.reduce((sum, l) => sum + l, 0);
    this._miniCache = null;
    if (this._hover >= 0 && previous) this._hover = this._remap(previous, this._hover);
    if (this._focus >= 0 && previous) this._focus = this._remap(previous, this._focus);
    this._invalidate();
  }

  _remap(previous, i) {
    const j = this._models.index.get(previous.ids[i]);
    return j === undefined || !this._ta[j] ? -1 : j;
  }

  // --- geometry -----------------------------------------------------------------------------

  _plotBox() {
    const { w, h } = this._size;
    return { x: MARGIN.left, y: MARGIN.top, w: Math.max(10, w - MARGIN.left - MARGIN.right), h: Math.max(10, h - MARGIN.top - MARGIN.bottom) };
  }

  _toScreen(u, v) {
    const p = this._plotBox();
    const { k, x, y } = this._view;
    return [p.x + (u - x) * k * p.w, p.y + p.h - (v - y) * k * p.h];
  }

  _toUnit(sx, sy) {
    const p = this._plotBox();
    const { k, x, y } = this._view;
    return [x + (sx - p.x) / (k * p.w), y + (p.y + p.h - sy) / (k * p.h)];
  }

  _clampView() {
    const v = this._view;
    v.k = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, v.k));
    const span = 1 / v.k;
    v.x = Math.min(1 - span, Math.max(0, v.x));
    v.y = Math.min(1 - span, Math.max(0, v.y));
  }

  /** Zoom by `factor` keeping the unit point under canvas pixel (sx, sy) in place. */
  zoomAt(factor, sx, sy) {
    const [u, v] = this._toUnit(sx, sy);
    const p = this._plotBox();
    this._view.k *= factor;
    this._view.k = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, this._view.k));
    this._view.x = u - (sx - p.x) / (this._view.k * p.w);
    this._view.y = v - (p.y + p.h - sy) / (this._view.k * p.h);
    this._clampView();
    this._invalidate();
    this.requestRender();
  }

  resetZoom() {
    this._view = { k: 1, x: 0, y: 0 };
    this._invalidate();
    this.requestRender();
  }

  _hit(sx, sy) {
    if (!this._grid) return -1;
    const p = this._plotBox();
    if (sx < p.x - HOVER_PX || sx > p.x + p.w + HOVER_PX || sy < p.y - HOVER_PX || sy > p.y + p.h + HOVER_PX) return -1;
    const [u, v] = this._toUnit(sx, sy);
    const ru = HOVER_PX / (this._view.k * p.w);
    const rv = HOVER_PX / (this._view.k * p.h);
    const r = this._models.radius;
    return this._grid.nearest(u, v, ru, rv, (i) => r[i] / HOVER_PX);
  }

  _local(e) {
    const box = this._canvas.getBoundingClientRect();
    return [e.clientX - box.left, e.clientY - box.top];
  }

  // --- pointer, wheel and keys --------------------------------------------------------------

  _setHover(i) {
    if (i === this._hover) return;
    this._hover = i;
    this.requestRender();
    this._invalidate();
    this.session.setHover(i >= 0 ? this._models.ids[i] : null);
  }

  _onPointerDown(e) {
    if (e.button !== 0) return;
    const [sx, sy] = this._local(e);
    this._canvas.setPointerCapture?.(e.pointerId);
    this._drag = { sx, sy, mode: e.shiftKey || this.brushMode ? "brush" : "pan", view: { ...this._view }, moved: false };
  }

  _onPointerMove(e) {
    const [sx, sy] = this._local(e);
    const d = this._drag;
    if (d) {
      if (!d.moved && Math.hypot(sx - d.sx, sy - d.sy) < 4) return;
      d.moved = true;
      if (d.mode === "pan") {
        const p = this._plotBox();
        this._view.x = d.view.x - (sx - d.sx) / (d.view.k * p.w);
        this._view.y = d.view.y + (sy - d.sy) / (d.view.k * p.h);
        this._clampView();
        this._canvas.classList.add("panning");
      } else {
        this._brush = { x0: d.sx, y0: d.sy, x1: sx, y1: sy };
      }
      this._setHover(-1);
      this._invalidate();
      return;
    }
    this._setHover(this._hit(sx, sy));
  }

  _onPointerUp(e) {
    const d = this._drag;
    this._drag = null;
    this._canvas.classList.remove("panning");
    if (!d) return;
    const [sx, sy] = this._local(e);
    if (!d.moved) {
      const i = this._hit(sx, sy);
      if (i >= 0) this._add([this._models.ids[i]], true);
      else if (this._brushed.length) this._clearBrush();
      return;
    }
    if (d.mode === "brush") {
      const [u0, v0] = this._toUnit(Math.min(d.sx, sx), Math.max(d.sy, sy));
      const [u1, v1] = this._toUnit(Math.max(d.sx, sx), Math.min(d.sy, sy));
      this._brushed = this._grid.within(u0, u1, v0, v1).map((i) => this._models.ids[i]);
      this._brush = { x0: d.sx, y0: d.sy, x1: sx, y1: sy };
      this._invalidate();
      this.requestRender();
    }
    this.requestRender();
  }

  _onLeave() {
    if (!this._drag) this._setHover(-1);
  }

  _onWheel(e) {
    e.preventDefault();
    const [sx, sy] = this._local(e);
    this.zoomAt(Math.exp(-e.deltaY * 0.0015), sx, sy);
  }

  _onKey(e) {
    const dirs = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const p = this._plotBox();
    if (dirs[e.key]) {
      e.preventDefault();
      this._moveFocus(...dirs[e.key]);
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      if (this._focus >= 0) this._add([this._models.ids[this._focus]], true);
    } else if (e.key === "+" || e.key === "=") {
      e.preventDefault();
      this.zoomAt(1.5, p.x + p.w / 2, p.y + p.h / 2);
    } else if (e.key === "-" || e.key === "_") {
      e.preventDefault();
      this.zoomAt(1 / 1.5, p.x + p.w / 2, p.y + p.h / 2);
    } else if (e.key === "0") {
      this.resetZoom();
    } else if (e.key === "Escape") {
      this._clearBrush();
      this._setFocus(-1);
    }
  }

  /** Keyboard focus to the nearest model in direction (dx, dy) (screen axes). */
  _moveFocus(dx, dy) {
    const m = this._models;
    if (!m || !m.n) return;
    const u = this._layout.u;
    const v = this._layout.v;
    const p = this._plotBox();
    const { k } = this._view;
    let best = -1;
    if (this._focus < 0) {
      // start at the model nearest the centre of what is visible
      const [cu, cv] = this._toUnit(p.x + p.w / 2, p.y + p.h / 2);
      let bestD = Infinity;
      for (let i = 0; i < m.n; i++) {
        if (!this._ta[i]) continue;
        const d = ((u[i] - cu) * p.w) ** 2 + ((v[i] - cv) * p.h) ** 2;
        if (d < bestD) [bestD, best] = [d, i];
      }
    } else {
      const f = this._focus;
      let bestS = Infinity;
      for (let i = 0; i < m.n; i++) {
        if (i === f || !this._ta[i]) continue;
        const ex = (u[i] - u[f]) * p.w * k;
        const ey = -(v[i] - v[f]) * p.h * k;
        const along = ex * dx + ey * dy;
        if (along <= 0.5) continue;
        const across = Math.abs(ex * dy - ey * dx);
        const s = along + 2 * across;
        if (s < bestS) [bestS, best] = [s, i];
      }
      if (best < 0) return;
    }
    this._setFocus(best);
  }

  _setFocus(i) {
    this._focus = i;
    if (i >= 0) {
      // keep the focused model in view
      const [sx, sy] = this._toScreen(this._layout.u[i], this._layout.v[i]);
      const p = this._plotBox();
      if (sx < p.x || sx > p.x + p.w || sy < p.y || sy > p.y + p.h) {
        const span = 1 / this._view.k;
        this._view.x = this._layout.u[i] - span / 2;
        this._view.y = this._layout.v[i] - span / 2;
        this._clampView();
      }
      this.session.setHover(this._models.ids[i]);
    }
    this._invalidate();
    this.requestRender();
  }

  /** Put `ids` into the drawer (those not in it yet: the server refuses a model that
   * is already there) and, with `select`, show the last one in the inspector. */
  _add(ids, select) {
    if (!ids.length) return;
    const inDrawer = new Set(this.session.live.drawer);
    const fresh = ids.filter((id) => !inDrawer.has(id));
    if (fresh.length) this.post({ type: "drawer_add", models: fresh });
    if (select) this.session.select(ids[ids.length - 1]);
  }

  _clearBrush() {
    this._brush = null;
    this._brushed = [];
    this._invalidate();
    this.requestRender();
  }

  _setProjection(projection) {
    const state = this.session.live; // the command applies to the live session
    if (state.view.projection === projection) return;
    this.post({ type: "change_view", projection, selected_class: state.view.selected_class ?? null });
  }

  _setK(value) {
    const k = Math.round(Number(value));
    if (!Number.isFinite(k) || k < 2 || k > 1000 || k === this.k) return;
    this.k = k;
    this.requestRender();
  }

  // minimap: click or drag to centre the viewport there
  _onMini(e) {
    if (e.type === "pointerdown") this._mini.setPointerCapture?.(e.pointerId);
    else if (!(e.buttons & 1)) return;
    const box = this._mini.getBoundingClientRect();
    const u = (e.clientX - box.left) / box.width;
    const v = 1 - (e.clientY - box.top) / box.height;
    const span = 1 / this._view.k;
    this._view.x = u - span / 2;
    this._view.y = v - span / 2;
    this._clampView();
    this._invalidate();
    e.preventDefault();
  }

  // --- drawing ------------------------------------------------------------------------------

  _paint(now) {
    this._raf = 0;
    if (!this._dirty && !this._anim) return;
    this._dirty = false;
    const t0 = performance.now();
    if (this._anim) this._step(now);
    this._draw();
    const t1 = performance.now();
    this._stats.lastFrameMs = t1 - t0;
    this._stats.paintedAt = t1;
    this._stats.frames += 1;
    if (this._anim) this._raf = requestAnimationFrame((t) => this._paint(t));
  }

  _step(now) {
    const a = this._anim;
    const t = Math.min(1, Math.max(0, (Math.max(now, performance.now()) - a.start) / a.ms));
    const e = ease(t);
    const { u, v } = this._layout;
    const n = this._models.n;
    if (this._cu === u) {
      this._cu = new Float32Array(n);
      this._cv = new Float32Array(n);
      this._ca = new Float32Array(n);
    }
    for (let i = 0; i < n; i++) {
      this._cu[i] = this._fu[i] + (u[i] - this._fu[i]) * e;
      this._cv[i] = this._fv[i] + (v[i] - this._fv[i]) * e;
      this._ca[i] = this._fa[i] + (this._ta[i] - this._fa[i]) * e;
    }
    if (t >= 1) {
      this._anim = null;
      this._cu = u;
      this._cv = v;
      this._ca = this._ta;
      this._miniCache = null;
    }
  }

  _draw() {
    const c = this._canvas;
    if (!c || !this._models || !this._size.w) return;
    const { w, h, dpr } = this._size;
    const ctx = c.getContext("2d");
    const p = this._plotBox();
    // the grid, overlays and points change with the data and the zoom, not with hover,
    // focus, selection or a brush: those frames reuse them (one drawImage)
    const { k, x, y } = this._view;
    const baseKey = this._anim ? null : `${this._syncs}|${k}|${x}|${y}|${w}|${h}|${dpr}`;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    if (baseKey !== null && baseKey === this._baseKey) {
      ctx.drawImage(this._base, 0, 0);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    } else {
      ctx.clearRect(0, 0, c.width, c.height);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      this._drawGrid(ctx, p);
      ctx.save();
      ctx.beginPath();
      ctx.rect(p.x, p.y, p.w, p.h);
      ctx.clip();
      this._drawOverlays(ctx);
      this._stats.drawn = this._drawPoints(ctx, p);
      ctx.restore();
      this._baseKey = baseKey;
      if (baseKey !== null) {
        if (this._base.width !== c.width || this._base.height !== c.height) {
          this._base.width = c.width;
          this._base.height = c.height;
        }
        const bctx = this._base.getContext("2d");
        bctx.clearRect(0, 0, c.width, c.height);
        bctx.drawImage(c, 0, 0);
      }
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(p.x, p.y, p.w, p.h);
    ctx.clip();
    this._drawRings(ctx);
    if (this._brush) {
      const b = this._brush;
      ctx.fillStyle = "rgba(0,114,178,0.08)";
      ctx.strokeStyle = "#0072B2";
      ctx.lineWidth = 1;
      ctx.setLineDash([4, 3]);
      ctx.fillRect(Math.min(b.x0, b.x1), Math.min(b.y0, b.y1), Math.abs(b.x1 - b.x0), Math.abs(b.y1 - b.y0));
      ctx.strokeRect(Math.min(b.x0, b.x1) + 0.5, Math.min(b.y0, b.y1) + 0.5, Math.abs(b.x1 - b.x0), Math.abs(b.y1 - b.y0));
      ctx.setLineDash([]);
    }
    ctx.restore();
    this._drawAxes(ctx, p);
    this._drawMini();
  }

  _drawGrid(ctx, p) {
    const axes = this._layout.axes;
    ctx.fillStyle = "#fbfcfd";
    ctx.fillRect(p.x, p.y, p.w, p.h);
    ctx.strokeStyle = "#eceff3";
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const [t] of this._ticks(axes.x, "x")) {
      const [sx] = this._toScreen(axes.x.scale.to(t), 0);
      ctx.moveTo(Math.round(sx) + 0.5, p.y);
      ctx.lineTo(Math.round(sx) + 0.5, p.y + p.h);
    }
    for (const [t] of this._ticks(axes.y, "y")) {
      const [, sy] = this._toScreen(0, axes.y.scale.to(t));
      ctx.moveTo(p.x, Math.round(sy) + 0.5);
      ctx.lineTo(p.x + p.w, Math.round(sy) + 0.5);
    }
    ctx.stroke();
    if (axes.band) {
      const [, top] = this._toScreen(0, axes.y.floor - 0.015);
      const [, bottom] = this._toScreen(0, 0);
      ctx.fillStyle = "#f1f3f6";
      ctx.fillRect(p.x, top, p.w, bottom - top);
    }
  }

  /** Visible ticks of an axis: [domain value, label]. */
  _ticks(axis, which) {
    if (axis.kind === "none") return [];
    const { k, x, y } = this._view;
    const lo = which === "x" ? x : Math.max(y, axis.floor ?? 0);
    const hi = (which === "x" ? x : y) + 1 / k;
    if (hi <= lo) return [];
    const d0 = axis.scale.from(lo);
    const d1 = axis.scale.from(hi);
    const ticks = axis.kind === "log" ? logTicks(d0, d1) : linearTicks(d0, d1, which === "x" ? 6 : 5);
    return ticks.filter((t) => t >= Math.min(d0, d1) - 1e-9 && t <= Math.max(d0, d1) + 1e-9).map((t) => [t, axis.format(t)]);
  }

  _drawAxes(ctx, p) {
    const axes = this._layout.axes;
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
    for (const [t, label] of this._ticks(axes.x, "x")) {
      const [sx] = this._toScreen(axes.x.scale.to(t), 0);
      ctx.fillRect(Math.round(sx), p.y + p.h, 1, 4);
      ctx.fillText(label, sx, p.y + p.h + 6);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const [t, label] of this._ticks(axes.y, "y")) {
      const [, sy] = this._toScreen(0, axes.y.scale.to(t));
      ctx.fillRect(p.x - 4, Math.round(sy), 4, 1);
      ctx.fillText(label, p.x - 7, sy);
    }
    if (axes.band) {
      const [, sy] = this._toScreen(0, 0.035);
      if (sy > p.y && sy < p.y + p.h) {
        ctx.font = "italic 11px system-ui, sans-serif";
        ctx.fillText("training", p.x - 7, sy);
      }
    }
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillStyle = "#1d2330";
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

  _line(ctx, pts) {
    ctx.beginPath();
    pts.forEach(([u, v], j) => {
      const [sx, sy] = this._toScreen(u, v);
      if (j) ctx.lineTo(sx, sy);
      else ctx.moveTo(sx, sy);
    });
    ctx.stroke();
  }

  _drawOverlays(ctx) {
    if (this._anim && this._anim.ms === SWITCH_MS) return; // lines of the old projection would mislead
    const o = this._layout.overlays;
    ctx.lineJoin = "round";
    if (o.pareto?.length) {
      ctx.strokeStyle = "rgba(29,35,48,0.55)";
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 3]);
      this._line(ctx, o.pareto);
      ctx.setLineDash([]);
    }
    if (o.rolling?.length) {
      ctx.fillStyle = "rgba(204,121,167,0.18)";
      ctx.beginPath();
      o.rolling.forEach(([u, , lo], j) => {
        const [sx, sy] = this._toScreen(u, lo);
        if (j) ctx.lineTo(sx, sy);
        else ctx.moveTo(sx, sy);
      });
      for (let j = o.rolling.length - 1; j >= 0; j--) {
        const [sx, sy] = this._toScreen(o.rolling[j][0], o.rolling[j][3]);
        ctx.lineTo(sx, sy);
      }
      ctx.closePath();
      ctx.fill();
      ctx.strokeStyle = ROLLING;
      ctx.lineWidth = 1.5;
      this._line(ctx, o.rolling.map(([u, mean]) => [u, mean]));
    }
    if (o.best?.length) {
      ctx.strokeStyle = BEST;
      ctx.lineWidth = 2;
      this._line(ctx, o.best);
    }
  }

  _drawPoints(ctx, p) {
    const m = this._models;
    const { k, x, y } = this._view;
    const { dpr } = this._size;
    const cu = this._cu;
    const cv = this._cv;
    const ca = this._ca;
    // device pixels of the plot box: the raster covers it and nothing else (the clip)
    const ox = (-x * k * p.w) * dpr;
    const oy = (p.h + y * k * p.h) * dpr;
    const kx = k * p.w * dpr;
    const ky = k * p.h * dpr;
    const zr = Math.min(2.5, Math.sqrt(k)) * dpr; // circles grow a little as one zooms in
    const raster = this._raster;
    raster.begin(p.w * dpr, p.h * dpr);
    const rim = 0.75 * dpr;
    const order = m.order; // the most accurate last, on top
    const hollow = [];
    let drawn = 0;
    for (let j = 0; j < m.n; j++) {
      const i = order[j];
      const a = ca[i];
      if (a <= 0) continue;
      drawn += 1; // on screen or just off it
      if (m.pending[i]) {
        hollow.push(i);
        continue;
      }
      raster.disc(ox + cu[i] * kx, oy - cv[i] * ky, m.radius[i] * zr, BUCKET_RGB[m.bucket[i]], a < 1 ? a : 1, rim);
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

  _ring(ctx, i, extra, color, width, dash = []) {
    if (i < 0 || !(this._ca[i] > 0)) return;
    const [sx, sy] = this._toScreen(this._cu[i], this._cv[i]);
    const r = this._models.radius[i] * Math.min(2.5, Math.sqrt(this._view.k)) + extra;
    ctx.beginPath();
    ctx.arc(sx, sy, r, 0, 2 * Math.PI);
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.setLineDash(dash);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  _drawRings(ctx) {
    const m = this._models;
    for (const id of this._drawer) {
      const i = m.index.get(id);
      if (i !== undefined) this._ring(ctx, i, 2.5, INK, 1.5);
    }
    for (const id of this._brushed) {
      const i = m.index.get(id);
      if (i !== undefined) this._ring(ctx, i, 1.5, "#0072B2", 1);
    }
    const selected = m.index.get(this.session.ui.selected);
    if (selected !== undefined) this._ring(ctx, selected, 4, SELECTED, 2.5);
    // the hovered model: by this view's pointer, or another view's hover
    const hover = this._hover >= 0 ? this._hover : (m.index.get(this.session.ui.hover) ?? -1);
    if (hover >= 0 && this._ca[hover] > 0) {
      const [sx, sy] = this._toScreen(this._cu[hover], this._cv[hover]);
      ctx.beginPath();
      ctx.arc(sx, sy, m.radius[hover] * Math.min(2.5, Math.sqrt(this._view.k)) + 1.5, 0, 2 * Math.PI);
      ctx.fillStyle = m.pending[hover] ? "rgba(255,255,255,0.9)" : BUCKET_COLORS[m.bucket[hover]];
      ctx.fill();
      this._ring(ctx, hover, 3, INK, 2);
    }
    if (this._focus >= 0) this._ring(ctx, this._focus, 7, "#0072B2", 2, [3, 2]);
  }

  _drawMini() {
    const mini = this._mini;
    if (!mini || mini.hidden) return;
    const { dpr } = this._size;
    const ctx = mini.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (!this._miniCache || this._anim) {
      // the whole extent, as dots; cached until the layout changes
      ctx.clearRect(0, 0, MINI.w, MINI.h);
      const m = this._models;
      for (let b = 0; b < BUCKETS; b += 1) {
        ctx.fillStyle = BUCKET_COLORS[Math.max(b, 6)];
        for (let i = 0; i < m.n; i++) {
          if (m.bucket[i] !== b || !(this._ca[i] > 0)) continue;
          ctx.fillRect(this._cu[i] * MINI.w - 1, (1 - this._cv[i]) * MINI.h - 1, 2, 2);
        }
      }
      if (!this._anim) this._miniCache = ctx.getImageData(0, 0, mini.width, mini.height);
    } else {
      ctx.putImageData(this._miniCache, 0, 0);
    }
    const { k, x, y } = this._view;
    ctx.strokeStyle = SELECTED;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(x * MINI.w, (1 - y - 1 / k) * MINI.h, MINI.w / k, MINI.h / k);
  }

  // --- the template (controls, tooltip, legend); the canvas draws itself --------------------

  template() {
    this._sync();
    const state = this.session.state;
    const m = this._models;
    const projection = this._projection;
    const zoomed = this._view.k > 1.001;
    if (this._mini) {
      const hidden = !zoomed;
      if (this._mini.hidden !== hidden) {
        this._mini.hidden = hidden;
        this._invalidate();
      }
    }
    const drawn = this._shown;
    const cls = this._cls;
    const className = cls === null ? null : (state.class_names[cls] ?? String(cls));
    const focusId = this._focus >= 0 ? m.ids[this._focus] : null;
    const label = `${drawn} models, projection ${projection}${focusId ? `; focused ${focusId}` : ""}`;
    return html`
      <div class="bar">
        <div role="group" aria-label="Projection">
          ${PROJECTIONS.map(
            (p) => html`<button aria-pressed=${p === projection ? "true" : "false"} title=${TITLES[p]}
              @click=${() => this._setProjection(p)}>${LABELS[p]}</button>`,
          )}
        </div>
        ${projection === "search"
          ? html`<label title="The rolling mean ± sd uses the k most recent models">k
              <input type="number" min="2" max="1000" .value=${String(this.k)} aria-label="Rolling window k"
                @change=${(e) => this._setK(e.target.value)} /></label>`
          : nothing}
        ${className !== null ? html`<span class="chip" title="Darkness shows this class's accuracy">class ${className}</span>` : nothing}
        <span class="spacer"></span>
        <span class="count" aria-live="polite">${drawn} / ${m?.n ?? 0} shown</span>
        <button aria-pressed=${this.brushMode ? "true" : "false"} title="Drag to select a rectangle (or shift-drag)"
          @click=${() => {
            this.brushMode = !this.brushMode;
            this.requestRender();
          }}>Brush</button>
        <button ?disabled=${!zoomed} @click=${() => this.resetZoom()} aria-label="Reset zoom">Reset zoom</button>
      </div>
      <div class="plot" ${ref((el) => this._setPlot(el))}>
        <canvas class="main" tabindex="0" role="img" aria-label=${label}
          ${ref((el) => this._setCanvas(el))}
          @pointerdown=${(e) => this._onPointerDown(e)} @pointermove=${(e) => this._onPointerMove(e)}
          @pointerup=${(e) => this._onPointerUp(e)} @pointercancel=${() => (this._drag = null)}
          @pointerleave=${() => this._onLeave()} @wheel=${(e) => this._onWheel(e)} @keydown=${(e) => this._onKey(e)}
          @blur=${() => this._focus >= 0 && this._setFocus(-1)}></canvas>
        <canvas class="mini" aria-label="Minimap: the whole plot and the visible part; drag to pan" ?hidden=${!zoomed}
          ${ref((el) => this._setMini(el))}
          @pointerdown=${(e) => this._onMini(e)} @pointermove=${(e) => this._onMini(e)}></canvas>
        ${drawn === 0 ? html`<div class="empty-plot muted">${this._emptyText(state, projection)}</div>` : nothing}
        ${this._tooltip(state)}
        ${this._brushed.length || this._brush
          ? html`<div class="brushbar" role="region" aria-label="Brushed models">
              <span>${this._brushed.length} selected</span>
              <button class="primary" ?disabled=${!this._brushed.length}
                @click=${() => {
                  this._add(this._brushed, false);
                  this._clearBrush();
                }}>Add all to drawer</button>
              <button aria-label="Clear the selection" @click=${() => this._clearBrush()}>✕</button>
            </div>`
          : nothing}
      </div>
      ${this._legend(projection, className)}
    `;
  }

  _setMini(el) {
    if (!el || el === this._mini) return;
    this._mini = el;
    const dpr = window.devicePixelRatio || 1;
    el.width = MINI.w * dpr;
    el.height = MINI.h * dpr;
  }

  _emptyText(state, projection) {
    if (!state.models.size) return "No models yet";
    if (projection === "search") return "No model has finished training yet";
    if (projection !== "accuracy") return "No model is embedded in this projection yet";
    return "No models to show";
  }

  _tooltip(state) {
    const i = this._hover >= 0 ? this._hover : this._focus;
    if (i < 0 || !this._models || !(this._ta[i] > 0) || this._drag) return nothing;
    const id = this._models.ids[i];
    const d = describe(state, id, this._cls);
    if (!d) return nothing;
    const [sx, sy] = this._toScreen(this._layout.u[i], this._layout.v[i]);
    const right = sx > this._size.w - 330;
    const below = sy < 150;
    const style = `${right ? `right:${this._size.w - sx + 14}px` : `left:${sx + 14}px`};${below ? `top:${sy + 14}px` : `bottom:${this._size.h - sy + 14}px`}`;
    return html`<div class="tip" role="tooltip" style=${style}>
      <img src=${this.session.snacUrl(id, { height: 40 })} alt="SNAC of ${id}" />
      <div><span class="id">${id}</span> <span class="muted">${d.status}</span></div>
      ${d.description ? html`<div class="desc">${d.description}</div>` : nothing}
      <dl>
        <dt>params</dt><dd>${d.params}</dd>
        <dt>accuracy</dt><dd>${d.acc}</dd>
        ${d.classAcc !== null ? html`<dt>class ${d.className}</dt><dd>${d.classAcc}</dd>` : nothing}
      </dl>
    </div>`;
  }

  _legend(projection, className) {
    const m = this._models;
    const range = m?.valueRange;
    const params = m?.paramRange;
    const stops = [0, 0.33, 0.66, 1];
    const gradient = `linear-gradient(to right, ${stops.map((t) => rampCSS(t)).join(", ")})`;
    const [rMin, rMax] = m?.rRange ?? [3, 10];
    return html`<div class="legend" aria-label="Legend">
      <span title="Darker is more accurate">
        ${className === null ? "accuracy" : `class ${className} accuracy`}
        ${range ? html`<span>${(range[0] * 100).toFixed(0)}%</span>` : nothing}
        <span style="display:inline-block;width:70px;height:10px;border-radius:2px;background:${gradient}"></span>
        ${range ? html`<span>${(range[1] * 100).toFixed(0)}%</span>` : nothing}
      </span>
      <span title="Radius is the log of the number of parameters">
        <svg width=${2 * rMax + 2 * rMin + 8} height=${2 * rMax} aria-hidden="true">
          ${svg`<circle cx=${rMin + 1} cy=${rMax} r=${rMin} fill="#82b8dc"></circle>
                <circle cx=${2 * rMin + rMax + 6} cy=${rMax} r=${rMax} fill="#82b8dc"></circle>`}
        </svg>
        params ${params ? `${formatCount(Math.round(params[0]))}–${formatCount(Math.round(params[1]))}` : ""}
      </span>
      <span><svg width="14" height="14" aria-hidden="true">${svg`<circle cx="7" cy="7" r="5.5" fill="#fff" stroke="#5f6b7a" stroke-width="1.5" stroke-dasharray="2.5 2"></circle>`}</svg>training</span>
      <span><svg width="16" height="16" aria-hidden="true">${svg`<circle cx="8" cy="8" r="4" fill="#82b8dc"></circle><circle cx="8" cy="8" r="6.5" fill="none" stroke=${INK} stroke-width="1.5"></circle>`}</svg>in drawer</span>
      <span><svg width="18" height="18" aria-hidden="true">${svg`<circle cx="9" cy="9" r="4" fill="#82b8dc"></circle><circle cx="9" cy="9" r="7.5" fill="none" stroke=${SELECTED} stroke-width="2.5"></circle>`}</svg>selected</span>
      ${projection === "accuracy"
        ? html`<span><svg width="26" height="10" aria-hidden="true">${svg`<path d="M1 8 H11 V2 H25" fill="none" stroke="rgba(29,35,48,.55)" stroke-width="1.5" stroke-dasharray="5 3"></path>`}</svg>Pareto front</span>`
        : nothing}
      ${projection === "search"
        ? html`<span><svg width="22" height="10" aria-hidden="true">${svg`<path d="M1 8 H9 V2 H21" fill="none" stroke=${BEST} stroke-width="2"></path>`}</svg>best so far</span>
            <span><svg width="22" height="12" aria-hidden="true">${svg`<rect x="1" y="1" width="20" height="10" fill="rgba(204,121,167,.18)"></rect><path d="M1 6 H21" stroke=${ROLLING} stroke-width="1.5"></path>`}</svg>mean ± sd of the last ${this.k}</span>`
        : nothing}
    </div>`;
  }
}

customElements.define("remap-overview", RemapOverview);
