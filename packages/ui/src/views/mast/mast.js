// <remap-mast>: MAST's overview in full (MAST Figs 1–3; SNAC supplement Fig. 5b): each
// model's validation-accuracy curve over wall time (a Hyperband search's interleaved
// trainings visible) or aligned by epoch, the best-so-far line (green), the rolling
// mean ± sd of the k most recent models (orange band); drag a rectangle to put those
// models into the drawer; hover a curve to highlight it and see its SNAC. Drawn on a
// canvas from precomputed typed arrays (curves.js), so 10,000+ models stay smooth.

import { html } from "lit-html";
import { RemapElement } from "../../core/element.js";
import { bestSoFar, brushed, buildCurves, nearest, rolling, searchesOf } from "./curves.js";

// Okabe–Ito: colour-blind-safe
const curveColour = (n) => `rgba(0,114,178,${n > 500 ? 0.2 : 0.75})`; // fainter when many overlap
const HOT = "#D55E00";
const BEST = "#009E73";
const BAND = "rgba(230,159,0,0.25)";
const MEAN = "#E69F00";
const PAD = { l: 44, r: 12, t: 10, b: 28 };
// issue 21: each automated search's proposals in a colour of their own (Okabe–Ito, then
// a few more), stopped ones ending in a cross
const SEARCH_COLOURS = ["#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C510A", "#7B3294"];
export const searchColour = (i) => SEARCH_COLOURS[i % SEARCH_COLOURS.length];

const styles = `
:host { display: flex; flex-direction: column; min-height: 260px; height: 100%; }
.bar { display: flex; gap: 10px; align-items: center; padding: 4px 8px; font-size: 12px; color: var(--remap-muted); }
.plot { position: relative; flex: 1; min-height: 200px; }
canvas { position: absolute; inset: 0; width: 100%; height: 100%; cursor: crosshair; }
canvas:focus-visible { outline: 2px solid var(--remap-accent); }
.card { position: absolute; pointer-events: none; background: #fff; border: 1px solid var(--remap-border);
  border-radius: var(--remap-radius); padding: 4px 6px; box-shadow: 0 2px 6px rgba(0,0,0,.15); font-size: 12px; }
`;

export class RemapMast extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor", "hover"];

  constructor() {
    super();
    this.byEpoch = false;
    this.k = 10;
    this.hot = null;
    this._key = null;
    this._drag = null;
  }

  _data() {
    const state = this.session.state;
    const key = `${state.last_seq}`;
    if (this._key !== key) {
      this._key = key;
      this.curves = buildCurves(state);
      this.best = bestSoFar(this.curves);
      this.searches = searchesOf(state, this.curves);
      this._band = null;
    }
    if (!this._band || this._band.k !== this.k) this._band = { k: this.k, rows: rolling(this.curves, this.k) };
    return this.curves;
  }

  _scales(w, h) {
    const curves = this.curves;
    let xmax = 1;
    for (const c of curves) xmax = Math.max(xmax, this.byEpoch ? c.es[c.es.length - 1] : c.end);
    const sx = (x) => PAD.l + (x / xmax) * (w - PAD.l - PAD.r);
    const sy = (y) => h - PAD.b - y * (h - PAD.t - PAD.b);
    const ix = (px) => ((px - PAD.l) / (w - PAD.l - PAD.r)) * xmax;
    const iy = (py) => (h - PAD.b - py) / (h - PAD.t - PAD.b);
    return { sx, sy, ix, iy, xmax };
  }

  paint() {
    const cv = this.shadowRoot.querySelector("canvas");
    if (!cv || !this.session) return;
    const curves = this._data();
    const dpr = window.devicePixelRatio || 1;
    const w = cv.clientWidth;
    const h = cv.clientHeight;
    cv.width = w * dpr;
    cv.height = h * dpr;
    const g = cv.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const { sx, sy, xmax } = this._scales(w, h);
    this._sc = this._scales(w, h);
    // axes
    g.strokeStyle = "#bbb";
    g.fillStyle = "#555";
    g.font = "11px sans-serif";
    g.beginPath();
    g.moveTo(PAD.l, PAD.t);
    g.lineTo(PAD.l, h - PAD.b);
    g.lineTo(w - PAD.r, h - PAD.b);
    g.stroke();
    for (let y = 0; y <= 1; y += 0.25) g.fillText(y.toFixed(2), 8, sy(y) + 4);
    for (let i = 0; i <= 4; i++) g.fillText(((xmax * i) / 4).toFixed(this.byEpoch ? 0 : 1), sx((xmax * i) / 4) - 6, h - 10);
    g.fillText(this.byEpoch ? "epoch" : "wall time (s)", w - PAD.r - 80, h - PAD.b - 6);
    // band
    if (!this.byEpoch && this._band.rows.length) {
      const rows = this._band.rows;
      g.fillStyle = BAND;
      g.beginPath();
      rows.forEach((r, i) => (i ? g.lineTo : g.moveTo).call(g, sx(r.t), sy(Math.min(1, r.mean + r.sd))));
      for (let i = rows.length - 1; i >= 0; i--) g.lineTo(sx(rows[i].t), sy(Math.max(0, rows[i].mean - rows[i].sd)));
      g.closePath();
      g.fill();
    }
    // curves: one path per colour (the person's, then each search's), so thousands
    // draw in a few strokes; each curve's last epoch as a dot, so a short training
    // stays visible at any scale, and a cross where the median rule stopped it
    const colourOf = new Map(this.searches.map((r, i) => [r.search, searchColour(i)]));
    const groups = [[curveColour(curves.length), curves.filter((c) => !colourOf.has(c.search))]];
    for (const [id, colour] of colourOf) groups.push([colour, curves.filter((c) => c.search === id)]);
    for (const [colour, group] of groups) {
      g.strokeStyle = colour;
      g.fillStyle = colour;
      g.lineWidth = 1.5;
      g.beginPath();
      for (const c of group) {
        const xs = this.byEpoch ? c.es : c.xs;
        g.moveTo(sx(xs[0]), sy(c.ys[0]));
        for (let i = 1; i < xs.length; i++) g.lineTo(sx(xs[i]), sy(c.ys[i]));
      }
      g.stroke();
      g.beginPath();
      for (const c of group) {
        const xs = this.byEpoch ? c.es : c.xs;
        const n = xs.length - 1;
        const [x, y] = [sx(xs[n]), sy(c.ys[n])];
        if (c.stopped) {
          g.moveTo(x - 3, y - 3); g.lineTo(x + 3, y + 3); g.moveTo(x + 3, y - 3); g.lineTo(x - 3, y + 3);
        } else {
          g.moveTo(x + 2.5, y);
          g.arc(x, y, 2.5, 0, 2 * Math.PI);
        }
      }
      g.fill();
      g.stroke();
    }
    if (!this.byEpoch) {
      g.strokeStyle = MEAN;
      g.lineWidth = 2;
      g.beginPath();
      this._band.rows.forEach((r, i) => (i ? g.lineTo : g.moveTo).call(g, sx(r.t), sy(r.mean)));
      g.stroke();
      g.strokeStyle = BEST;
      g.beginPath();
      let prev = null;
      for (const [t, y] of this.best) {
        if (prev === null) g.moveTo(sx(t), sy(y));
        else g.lineTo(sx(t), sy(prev));
        g.lineTo(sx(t), sy(y));
        prev = y;
      }
      if (prev !== null) g.lineTo(sx(xmax), sy(prev));
      g.stroke();
    }
    const hot = curves.find((c) => c.id === (this.hot ?? this.session.ui.hover));
    if (hot) {
      const xs = this.byEpoch ? hot.es : hot.xs;
      g.strokeStyle = HOT;
      g.lineWidth = 2.5;
      g.beginPath();
      g.moveTo(sx(xs[0]), sy(hot.ys[0]));
      for (let i = 1; i < xs.length; i++) g.lineTo(sx(xs[i]), sy(hot.ys[i]));
      g.stroke();
    }
    if (this._drag?.to) {
      const { from, to } = this._drag;
      g.strokeStyle = "#333";
      g.setLineDash([4, 3]);
      g.strokeRect(from[0], from[1], to[0] - from[0], to[1] - from[1]);
      g.setLineDash([]);
    }
    cv.dataset.curves = String(curves.length);
    cv.dataset.searches = this.searches.map((r) => `${r.search}:${r.count}`).join(",");
    cv.dataset.band = this._band.rows.map((r) => r.sd.toFixed(4)).join(",");
  }

  rendered() {
    // painted while its tab was hidden (no size): paint again once it has one
    const cv = this.shadowRoot.querySelector("canvas");
    if (cv && !this._resize) (this._resize = new ResizeObserver(() => this.paint())).observe(cv);
    this.paint();
  }

  _pos(e) {
    const r = e.currentTarget.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  _move(e) {
    const [x, y] = this._pos(e);
    if (this._drag) {
      this._drag.to = [x, y];
      this.paint();
      return;
    }
    const { sx, sy } = this._sc;
    const id = nearest(this.curves, x, y, sx, sy, this.byEpoch);
    if (id !== this.hot) {
      this.hot = id;
      this.hoverAt = [x, y];
      this.session.setHover(id);
      this.requestRender();
    }
  }

  _up() {
    const d = this._drag;
    this._drag = null;
    if (!d?.to) return this.paint();
    const { ix, iy } = this._sc;
    const [x0, x1] = [ix(Math.min(d.from[0], d.to[0])), ix(Math.max(d.from[0], d.to[0]))];
    const [y0, y1] = [iy(Math.max(d.from[1], d.to[1])), iy(Math.min(d.from[1], d.to[1]))];
    const ids = brushed(this.curves, { x0, x1, y0, y1 }, this.byEpoch);
    const inDrawer = new Set(this.session.live.drawer);
    const fresh = ids.filter((id) => !inDrawer.has(id));
    if (fresh.length) this.post({ type: "drawer_add", models: fresh });
    this.paint();
  }

  _key_(e) {
    // keyboard: e toggles epoch/wall time, +/- change k, arrows step through models
    if (e.key === "e") this.byEpoch = !this.byEpoch;
    else if (e.key === "+") this.k += 1;
    else if (e.key === "-") this.k = Math.max(1, this.k - 1);
    else if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      const i = this.curves.findIndex((c) => c.id === this.hot);
      const n = this.curves.length;
      if (!n) return;
      const j = e.key === "ArrowRight" ? (i + 1) % n : (i - 1 + n) % n;
      this.hot = this.curves[j].id;
      this.session.setHover(this.hot);
    } else if (e.key === "Enter" && this.hot) this.post({ type: "drawer_add", models: [this.hot] });
    else return;
    e.preventDefault();
    this.requestRender();
  }

  template() {
    if (!this.session) return html``;
    this._data(); // the legend's searches
    const [hx, hy] = this.hoverAt ?? [0, 0];
    const hot = this.hot ? this.curves.find((c) => c.id === this.hot) : null;
    return html`
      <div class="bar">
        <label><input type="checkbox" data-by-epoch .checked=${this.byEpoch}
          @change=${(e) => { this.byEpoch = e.target.checked; this.requestRender(); }}> aligned by epoch</label>
        <label>k <input type="number" data-k min="1" max="1000" .value=${String(this.k)} style="width:5em"
          @input=${(e) => { this.k = Math.max(1, Number(e.target.value) || 1); this.requestRender(); }}></label>
        <span><b style="color:${BEST}">━</b> best so far · <b style="color:${MEAN}">━</b> rolling mean ± sd of the k most recent</span>
        ${(this.searches ?? []).map((r, i) => html`<span data-search-legend=${r.search} title="proposals of automated search ${r.search} (× : stopped by the median rule)"><b style="color:${searchColour(i)}">━</b> ${r.search} ${r.strategy} (${r.count})</span>`)}
      </div>
      <div class="plot">
        <canvas tabindex="0" role="img" aria-label="Validation accuracy curves of every model over wall time; drag to put models into the drawer"
          @pointermove=${(e) => this._move(e)}
          @pointerdown=${(e) => { this._drag = { from: this._pos(e) }; e.currentTarget.setPointerCapture?.(e.pointerId); }}
          @pointerup=${() => this._up()}
          @pointerleave=${() => { this.hot = null; this.session.setHover(null); this.requestRender(); }}
          @keydown=${(e) => this._key_(e)}></canvas>
        ${this.hot
          ? html`<div class="card" data-card style="left:${hx + 12}px; top:${Math.max(0, hy - 40)}px">
              <b>${this.hot}</b>${hot?.search ? html` <span data-card-search>${hot.search}, step ${hot.step}${hot.stopped ? " (stopped)" : ""}</span>` : ""}<br /><snac-chip src=${this.getAttribute("src")} model=${this.hot} height="32"></snac-chip>
            </div>`
          : ""}
      </div>`;
  }
}

customElements.define("remap-mast", RemapMast);
