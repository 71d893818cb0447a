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
// This element holds the state and its life cycle; the rest is in this folder:
//   points.js, transition.js  the state as typed arrays, and their moves between layouts
//   viewport.js               zoom, pan and the unit ↔ pixel transforms
//   input.js                  pointer, wheel, keys, brush and minimap handlers
//   paint.js, paint-*.js      the canvas, painted by pure functions from a scene
//   template.js, styles.js    the controls, tooltip and legend around the canvas
//
// Speed at 10,000 models: positions, colours and radii are typed arrays rebuilt when
// the state's version changes (points.js), never per frame; trained models are
// rasterised into one pixel buffer (raster.js); hover and brush query a uniform grid
// (grid.js); the canvas draws in requestAnimationFrame only when something changed.
//
// For tests and benchmarks: `el.stats` ({drawn, lastFrameMs, frames, projection,
// animating, zoom, lineageEdges: the selected model's parent / child edges drawn,
// paint-lineage.js}) and `el.pointOf(id)` (a model's centre in client CSS pixels).

import { RemapElement } from "../../core/element.js";
import { canvasHost } from "./canvas-host.js";
import { PROJECTIONS } from "../../core/fold.js";
import { matcher } from "../../core/filters.js";
import { paintFrame } from "./paint.js";
import { GLYPH, GlyphImages } from "./paint-glyphs.js";
import { paintMinimap } from "./paint-minimap.js";
import { PointRaster } from "./raster.js";
import { styles } from "./styles.js";
import { isZoomed, overviewTemplate } from "./template.js";
import { interpolate, progress, rebuild, reindex, SWITCH_MS } from "./transition.js";
import { FULL_VIEW, plotBox, toScreen, viewShowing, zoomView } from "./viewport.js";

export class RemapOverview extends canvasHost(RemapElement) {
  static styles = styles;
  static watches = ["events", "cursor", "selection", "hover", "connection"];

  constructor() {
    super();
    this.k = 10; // the search view's rolling window
    this.brushMode = false;
    this.glyphMode = false; // MAST Fig. 5c: chips where the zoom leaves room (paint-glyphs.js)
    this._glyphImages = null;
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
    this._from = { u: this._cu, v: this._cv, a: this._ca };
    this._ta = new Float32Array(0);
    this._anim = null; // {start, ms}
    this._view = FULL_VIEW; // visible unit window: [x, x + 1/k] × [y, y + 1/k]
    this._size = { w: 0, h: 0, dpr: 1 };
    this._hover = -1;
    this._focus = -1;
    this._brush = null; // {x0, y0, x1, y1} in canvas CSS px while dragging
    this._brushed = []; // ids
    this._drag = null;
    this._dirty = true;
    this._raf = 0;
    this._stats = { drawn: 0, lastFrameMs: 0, frames: 0, paintedAt: 0 };
    // the painters' caches: the point raster, the last grid + points, the minimap's dots
    this._cache = { raster: new PointRaster(), base: document.createElement("canvas"), baseKey: null, mini: null };
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
      dimmed: this._dimmed ?? 0, // models the page's filter dims (issue 22)
      lineageEdges: this._cache.lineageEdges ?? 0, // the selected model's edges drawn (issue 22)
      glyphs: this._cache.glyphs?.length ?? 0, // chips drawn in glyph mode
    };
  }

  /** Client (CSS pixel) coordinates of model `id`'s centre, or null if not drawn. */
  pointOf(id) {
    const i = this._models?.index.get(id);
    if (i === undefined || !this._canvas || !(this._ta[i] > 0)) return null;
    const box = this._canvas.getBoundingClientRect();
    const [x, y] = toScreen(this._view, plotBox(this._size), this._layout.u[i], this._layout.v[i]);
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

  _invalidate() {
    this._dirty = true;
    if (!this._raf && this.isConnected) this._raf = requestAnimationFrame((t) => this._paint(t));
  }

  // --- data: rebuilt when the state changes, not per frame -----------------------------------

  _sync() {
    const state = this.session.state;
    const view = this.session.viewOf(state);
    const projection = PROJECTIONS.includes(view.projection) ? view.projection : "accuracy";
    const cls = view.selected_class ?? null;
    const metric = this.session.ui.metric;
    const cap = this.session.ui.hideOverCap ? (state.settings?.limits?.max_params ?? null) : null;
    const f = this.session.ui.filter; // issue 22: the page's filter (core/filters.js)
    const filter = { keep: matcher(f.clauses, { metric }), mode: f.mode };
    // the state at the timeline's cursor is a fresh object whose version counts from 0:
    // the cache keys on the object as well as its version
    const key = `${state.last_seq}:${state.version}:${projection}:${cls}:${this.k}:${metric}:${cap}:${f.mode}:${f.text}`;
    if (key === this._key && state === this._state) return;
    this._state = state;
    this._syncs += 1;
    const switching = this._layout !== null && projection !== this._projection;
    this._key = key;
    const previous = this._models;
    const current = { u: this._cu, v: this._cv, a: this._ca };
    const next = rebuild(state, previous, current, projection, cls, this.k, switching, metric, cap, filter);
    this._dimmed = next.filteredOut;
    this._models = next.models;
    this._layout = next.layout;
    this._projection = projection;
    this._cls = cls;
    this._drawer = new Set(state.drawer);
    this._parents = lineageOf(state); // issue 22: the selected model's edges (paint-lineage.js)
    this._from = next.from;
    this._ta = next.ta;
    this._cu = next.cu;
    this._cv = next.cv;
    this._ca = next.ca;
    this._anim = next.ms ? { start: performance.now(), ms: next.ms } : null;
    this._grid = next.grid;
    this._shown = next.shown;
    this._cache.mini = null;
    if (this._hover >= 0 && previous) this._hover = reindex(previous, this._models, this._ta, this._hover);
    if (this._focus >= 0 && previous) this._focus = reindex(previous, this._models, this._ta, this._focus);
    this._invalidate();
  }

  // --- actions: from the input handlers (input.js) and the template -------------------------

  /** Zoom by `factor` keeping the unit point under canvas pixel (sx, sy) in place. */
  zoomAt(factor, sx, sy) {
    this._view = zoomView(this._view, plotBox(this._size), factor, sx, sy);
    this._invalidate();
    this.requestRender();
  }

  resetZoom() {
    this._view = FULL_VIEW;
    this._invalidate();
    this.requestRender();
  }

  _setHover(i) {
    if (i === this._hover) return;
    this._hover = i;
    this.requestRender();
    this._invalidate();
    this.session.setHover(i >= 0 ? this._models.ids[i] : null);
  }

  /** Keyboard focus on model i (-1: none), kept in view. */
  _setFocus(i) {
    const before = this._focus >= 0 ? this._models.ids[this._focus] : null;
    this._focus = i;
    // the focus set the shared hover: leaving it clears that too (else a ring stays)
    if (i < 0 && before !== null && this.session.ui.hover === before && this._hover < 0) this.session.setHover(null);
    if (i >= 0) {
      this._view = viewShowing(this._view, plotBox(this._size), this._layout.u[i], this._layout.v[i]);
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

  /** This page shows `projection` (its URL keeps it); the session records the change
   * as "view changed" for the replay, which does not move another page's view. */
  _setProjection(projection) {
    const s = this.session;
    const view = s.viewOf(s.live);
    if (view.projection === projection && s.ui.projection === projection) return;
    s.setView({ projection });
    this.post({ type: "change_view", projection, selected_class: view.selected_class ?? null });
  }

  /** Glyph mode on or off: each model as its SNAC chip where the zoom leaves room. */
  setGlyphMode(on) {
    this.glyphMode = Boolean(on);
    this._glyphImages ??= new GlyphImages(
      (id) => {
        const u = new URL(this.session.snacUrl(id, { height: GLYPH.h - 4, layout: "fixed" }));
        u.searchParams.set("width", String(GLYPH.w - 4));
        return u.href;
      },
      () => {
        this._cache.baseKey = null; // a chip arrived: the kept picture lacks it
        this._invalidate();
      },
    );
    this._cache.baseKey = null;
    this._invalidate();
    this.requestRender();
  }

  _setK(value) {
    const k = Math.round(Number(value));
    if (!Number.isFinite(k) || k < 2 || k > 1000 || k === this.k) return;
    this.k = k;
    this.requestRender();
  }

  // --- painting: the frame loop; what a frame shows is paint.js's ----------------------------

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

  /** One step of the transition: where each model is at this frame. */
  _step(now) {
    const t = progress(this._anim, Math.max(now, performance.now()));
    const { u, v } = this._layout;
    if (this._cu === u) {
      // drawing the layout itself: the steps go to arrays of their own
      const n = this._models.n;
      this._cu = new Float32Array(n);
      this._cv = new Float32Array(n);
      this._ca = new Float32Array(n);
    }
    interpolate(this._from, this._layout, this._ta, t, { u: this._cu, v: this._cv, a: this._ca });
    if (t >= 1) {
      this._anim = null;
      this._cu = u;
      this._cv = v;
      this._ca = this._ta;
      this._cache.mini = null;
    }
  }

  _draw() {
    const c = this._canvas;
    if (!c || !this._models || !this._size.w) return;
    const scene = this._scene();
    const drawn = paintFrame(c.getContext("2d"), scene, this._cache);
    if (drawn !== null) this._stats.drawn = drawn;
    if (this._mini && !this._mini.hidden) paintMinimap(this._mini.getContext("2d"), scene, this._cache);
  }

  /** What a frame shows (see paint.js). */
  _scene() {
    const m = this._models;
    const ui = this.session.ui;
    return {
      models: m,
      layout: this._layout,
      view: this._view,
      size: this._size,
      box: plotBox(this._size),
      cu: this._cu,
      cv: this._cv,
      ca: this._ca,
      animating: this._anim !== null,
      switching: this._anim !== null && this._anim.ms === SWITCH_MS,
      syncs: this._syncs,
      drawer: this._drawer,
      brushed: this._brushed,
      selected: m.index.get(ui.selected) ?? -1,
      // the hovered model: by this view's pointer, or another view's hover
      hover: this._hover >= 0 ? this._hover : (m.index.get(ui.hover) ?? -1),
      focus: this._focus,
      brush: this._brush,
      lineage: this._lineage(m, ui.selected),
      glyphs: this.glyphMode ? this._glyphImages : null,
    };
  }

  /** The selected model's parent and children as model indices (-1 / none if not drawn). */
  _lineage(m, selected) {
    const p = this._parents;
    if (!p || selected === null || !m.index.has(selected)) return null;
    const parent = p.parent.get(selected);
    const children = (p.children.get(selected) ?? []).map((id) => m.index.get(id) ?? -1);
    return { parent: parent == null ? -1 : (m.index.get(parent) ?? -1), children };
  }

  // --- the template (controls, tooltip, legend: template.js); the canvas paints itself -------

  template() {
    this._sync();
    if (this._mini) {
      const hidden = !isZoomed(this._view);
      if (this._mini.hidden !== hidden) {
        this._mini.hidden = hidden;
        this._invalidate();
      }
    }
    return overviewTemplate(this);
  }
}

/** Each model's parent, and each parent's children (ids), of `state`. */
function lineageOf(state) {
  const parent = new Map();
  const children = new Map();
  for (const mm of state.models.values()) {
    parent.set(mm.id, mm.parent ?? null);
    if (mm.parent == null) continue;
    if (!children.has(mm.parent)) children.set(mm.parent, []);
    children.get(mm.parent).push(mm.id);
  }
  return { parent, children };
}

customElements.define("remap-overview", RemapOverview);
