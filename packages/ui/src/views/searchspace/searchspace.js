// <remap-searchspace>: the one-shot paper's Search Space View (Fig. 8, §5.3) on the
// overview's canvas machinery — the same painters (overview/paint*.js, the point raster,
// the darkness ramp of overview/scales.js), viewport (zoom, pan, minimap), spatial grid
// and input handlers (overview/input.js), so it reads and handles like the overview.
//
// One dot per subgraph: the sampled space and every evaluated subgraph placed into it
// (recorded positions: MDS of the graph edit distance). Darkness = one-shot validation
// accuracy; hollow dashed = not evaluated yet; radius = log #params. Hover a dot: the
// supergraph outlines that subgraph and draws it as a SNAC (a click pins it). Brush
// (the Brush button or shift-drag) a region, then:
//   Search here   select_region {shape: "rect", points, mode: "pool"} — the search's
//                 children come from that region (drawn grey while it is active);
//   Union / Intersection / Complement   highlight_blocks {op, masks} of the brushed
//                 subgraphs — the supergraph rings those blocks.
// The rank-check badge (Kendall τ-b of one-shot vs stand-alone accuracy, its 95 %
// interval and the seed-to-seed noise ceiling) sits in the bar; "Rank check" starts one.

import { html, nothing, svg } from "lit-html";
import { ref } from "lit-html/directives/ref.js";
import { RemapElement } from "../../core/element.js";
import { canvasHost } from "../overview/canvas-host.js";
import { formatCount } from "../../core/theme.js";
import { SpatialGrid } from "../overview/grid.js";
import * as input from "../overview/input.js";
import { paintFrame } from "../overview/paint.js";
import { paintMinimap } from "../overview/paint-minimap.js";
import { PointRaster } from "../overview/raster.js";
import { rampCSS } from "../overview/scales.js";
import { styles as overviewStyles } from "../overview/styles.js";
import { FULL_VIEW, plotBox, toScreen, zoomView } from "../overview/viewport.js";
import * as cmd from "../search/commands.js";
import { blocksOf, currentSearch, currentSupernet, evaluationsOf, rankCheckOf, spaceOf } from "../search/read.js";
import { hoverMask, lightBlocks, searchUi } from "../search/ui.js";
import { blockSets, spaceLayout, spacePoints } from "./points.js";

const styles = `${overviewStyles}
:host { height: auto; min-height: 300px; }
.bar h2 { margin: 0; }
.badge { display: inline-flex; gap: 6px; align-items: baseline; border: 1px solid var(--remap-border); border-radius: 10px; padding: 1px 8px; font-size: 12px; font-variant-numeric: tabular-nums; background: var(--remap-panel); }
.badge.good { border-color: var(--remap-ok); }
.badge.weak { border-color: var(--remap-danger); }
.badge b { font-weight: 600; }
.brushbar .sep { width: 1px; align-self: stretch; background: var(--remap-border); }
.region { font-size: 12px; color: var(--remap-muted); display: inline-flex; gap: 6px; align-items: center; }
.meta { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; padding: 3px 8px; border-bottom: 1px solid var(--remap-border); }
button.small { padding: 0 8px; font-size: 12px; }
`;

export class RemapSearchspace extends canvasHost(RemapElement) {
  static styles = styles;
  static watches = ["events", "cursor", "hover", "connection"];

  constructor() {
    super();
    this.brushMode = false;
    this._key = "";
    this._models = null; // the points, in the overview's shape (input.js reads it)
    this._layout = null;
    this._ta = new Float32Array(0);
    this._grid = null;
    this._view = FULL_VIEW;
    this._size = { w: 0, h: 0, dpr: 1 };
    this._hover = -1;
    this._focus = -1;
    this._pinned = null; // a clicked subgraph (mask) the supergraph keeps showing
    this._brush = null;
    this._brushed = [];
    this._drag = null;
    this._dirty = true;
    this._raf = 0;
    this._cache = { raster: new PointRaster(), base: document.createElement("canvas"), baseKey: null, mini: null };
    this._syncs = 0;
    this._canvas = null;
    this._mini = null;
    this._plot = null;
    this._resize = new ResizeObserver(() => this._measure());
    this._stats = { drawn: 0, frames: 0 };
  }

  /** For tests: points drawn, frames painted, zoom. */
  get stats() {
    return { ...this._stats, points: this._models?.n ?? 0, zoom: this._view.k };
  }

  /** Client (CSS px) coordinates of subgraph `key` (block ids joined by commas), or null. */
  pointOf(key) {
    const i = this._models?.index.get(key);
    if (i === undefined || !this._canvas) return null;
    const box = this._canvas.getBoundingClientRect();
    const [x, y] = toScreen(this._view, plotBox(this._size), this._layout.u[i], this._layout.v[i]);
    return { x: box.left + x, y: box.top + y };
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this._resize.disconnect();
    cancelAnimationFrame(this._raf);
    this._raf = 0;
  }

  changed(detail) {
    if (detail.what === "hover") this._invalidate();
  }

  rendered() {
    if (this._dirty && this._canvas) {
      cancelAnimationFrame(this._raf);
      this._raf = 0;
      this._paint();
    }
  }

  _invalidate() {
    this._dirty = true;
    if (!this._raf && this.isConnected) this._raf = requestAnimationFrame(() => this._paint());
  }

  // --- data ------------------------------------------------------------------------------

  _sync() {
    const state = this.session.state;
    const net = currentSupernet(state);
    const key = `${state.last_seq}:${state.version}:${net?.id}`;
    if (key === this._key && this._state === state) return net;
    this._key = key;
    this._state = state;
    this._syncs += 1;
    const points = net ? spacePoints(net.arch, spaceOf(state, net.id), evaluationsOf(state, net.id)) : spacePoints({ layers: [] }, null, new Map());
    const before = this._models;
    this._models = points;
    this._layout = spaceLayout(points);
    this._ta = new Float32Array(points.n).fill(1);
    this._grid = new SpatialGrid(this._layout.u, this._layout.v, () => true, 32);
    this._cache.mini = null;
    if (before && this._hover >= 0) this._hover = points.index.get(before.ids[this._hover]) ?? -1;
    if (before && this._focus >= 0) this._focus = points.index.get(before.ids[this._focus]) ?? -1;
    this._invalidate();
    return net;
  }

  // --- what input.js calls -----------------------------------------------------------------

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
    hoverMask(this.session, i >= 0 ? this._models.masks[i] : this._pinned);
  }

  _setFocus(i) {
    this._focus = i;
    if (i >= 0) hoverMask(this.session, this._models.masks[i]);
    else if (this._hover < 0) hoverMask(this.session, this._pinned);
    this._invalidate();
    this.requestRender();
  }

  /** A click (or Enter) on a dot pins its subgraph in the supergraph. */
  _add(ids) {
    const i = this._models.index.get(ids[ids.length - 1]);
    this._pinned = i === undefined ? null : this._models.masks[i];
    hoverMask(this.session, this._pinned);
    this.requestRender();
  }

  _clearBrush() {
    this._brush = null;
    this._brushed = [];
    this._invalidate();
    this.requestRender();
  }

  // --- commands ----------------------------------------------------------------------------

  /** The brushed rectangle in the recorded positions' units (two corners). */
  _brushRect() {
    const b = this._brush;
    if (!b) return null;
    const p = plotBox(this._size);
    const { sx, sy } = this._layout;
    const toData = (px, py) => {
      const u = this._view.x + (px - p.x) / (this._view.k * p.w);
      const v = this._view.y + (p.y + p.h - py) / (this._view.k * p.h);
      return [sx.from(u), sy.from(v)];
    };
    const a = toData(Math.min(b.x0, b.x1), Math.max(b.y0, b.y1));
    const c = toData(Math.max(b.x0, b.x1), Math.min(b.y0, b.y1));
    return [a, c];
  }

  async _searchHere() {
    const search = currentSearch(this.session.live);
    const rect = this._brushRect();
    if (!rect) return;
    const done = await this.post(cmd.selectRegion(search?.id, rect));
    if (done) this._clearBrush();
  }

  async _setOp(op) {
    const masks = this._brushed.map((key) => this._models.masks[this._models.index.get(key)]);
    const net = currentSupernet(this.session.live);
    // shown at once; the command records it for the timeline
    const all = blocksOf(net.arch).map((b) => b.id);
    lightBlocks(this.session, { op, blocks: blockSets(masks, all)[op] });
    await this.post(cmd.highlightBlocks(op, masks));
  }

  // --- painting ----------------------------------------------------------------------------

  _paint() {
    this._raf = 0;
    if (!this._dirty) return;
    this._dirty = false;
    const c = this._canvas;
    if (!c || !this._models || !this._size.w) return;
    const scene = this._scene();
    const ctx = c.getContext("2d");
    const drawn = paintFrame(ctx, scene, this._cache);
    if (drawn !== null) this._stats.drawn = drawn;
    this._paintRegion(ctx, scene);
    this._stats.frames += 1;
    if (this._mini && !this._mini.hidden) paintMinimap(this._mini.getContext("2d"), scene, this._cache);
  }

  /** The active region: a grey area with a dashed edge (the paper's Fig. 1). */
  _paintRegion(ctx, scene) {
    const search = currentSearch(this.session.state);
    const pts = search?.region?.region?.points;
    if (!pts || pts.length < 2) return;
    const { sx, sy } = this._layout;
    const corners = pts.map(([x, y]) => toScreen(scene.view, scene.box, sx.to(x), sy.to(y)));
    const xs = corners.map((c) => c[0]);
    const ys = corners.map((c) => c[1]);
    const p = scene.box;
    ctx.save();
    ctx.beginPath();
    ctx.rect(p.x, p.y, p.w, p.h);
    ctx.clip();
    ctx.fillStyle = "rgba(95,107,122,0.14)";
    ctx.strokeStyle = "#5f6b7a";
    ctx.setLineDash([5, 3]);
    const x0 = Math.min(...xs);
    const y0 = Math.min(...ys);
    ctx.fillRect(x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0);
    ctx.strokeRect(x0 + 0.5, y0 + 0.5, Math.max(...xs) - x0, Math.max(...ys) - y0);
    ctx.restore();
  }

  _scene() {
    const m = this._models;
    const ui = searchUi(this.session);
    const hovered = ui.mask ? (m.index.get(ui.mask.join(",")) ?? -1) : -1;
    const pinned = this._pinned ? (m.index.get(this._pinned.join(",")) ?? -1) : -1;
    return {
      models: m,
      layout: this._layout,
      view: this._view,
      size: this._size,
      box: plotBox(this._size),
      cu: this._layout.u,
      cv: this._layout.v,
      ca: this._ta,
      animating: false,
      switching: false,
      syncs: this._syncs,
      drawer: new Set(),
      brushed: this._brushed,
      selected: pinned,
      hover: this._hover >= 0 ? this._hover : hovered,
      focus: this._focus,
      brush: this._brush,
    };
  }

  // --- template ----------------------------------------------------------------------------

  template() {
    const net = this._sync();
    const state = this.session.state;
    const m = this._models;
    const zoomed = this._view.k > 1.001;
    if (this._mini && this._mini.hidden === zoomed) {
      this._mini.hidden = !zoomed;
      this._invalidate();
    }
    const replay = this.session.cursor !== null;
    const search = currentSearch(state);
    const region = search?.supernet === net?.id ? search?.region : null;
    const space = net ? spaceOf(state, net.id) : null;
    return html`
      <div class="bar">
        <h2>Search space</h2>
        <span class="count" aria-live="polite">${m.evaluated} / ${m.n} evaluated</span>
        <span class="spacer"></span>
        <button aria-pressed=${this.brushMode ? "true" : "false"} title="Drag to select a region (or shift-drag)"
          @click=${() => { this.brushMode = !this.brushMode; this.requestRender(); }}>Brush</button>
        <button ?disabled=${!zoomed} @click=${() => this.resetZoom()} aria-label="Reset zoom" title="Reset zoom (0)">⟲</button>
      </div>
      ${net && (region || net.status === "done")
        ? html`<div class="meta">
            ${this._badge(state, net, replay)}
            ${region ? html`<span class="region">region: ${region.members.length} subgraph${region.members.length === 1 ? "" : "s"} (${region.region.mode})
                <button class="small" ?disabled=${replay} @click=${() => this.post(cmd.clearRegion(search.id))}>Clear region</button></span>` : nothing}
          </div>`
        : nothing}
      <div class="plot" ${ref((el) => this._setPlot(el))}>
        <canvas class="main" tabindex="0" role="img"
          aria-label="${m.n} subgraphs, ${m.evaluated} evaluated${this._focus >= 0 ? `; focused ${m.ids[this._focus]}` : ""}"
          ${ref((el) => this._setCanvas(el))}
          @pointerdown=${(e) => input.pointerDown(this, e)} @pointermove=${(e) => input.pointerMove(this, e)}
          @pointerup=${(e) => input.pointerUp(this, e)} @pointercancel=${() => input.pointerCancel(this)}
          @pointerleave=${() => input.pointerLeave(this)} @wheel=${(e) => input.wheel(this, e)}
          @keydown=${(e) => input.keyDown(this, e)} @blur=${() => input.canvasBlur(this)}></canvas>
        <canvas class="mini" aria-label="Minimap: drag to pan" ?hidden=${!zoomed} ${ref((el) => this._setMini(el))}
          @pointerdown=${(e) => input.minimapPointer(this, e)} @pointermove=${(e) => input.minimapPointer(this, e)}></canvas>
        ${m.n === 0 ? html`<div class="empty-plot muted">${this._emptyText(net, space)}</div>` : nothing}
        ${this._tooltip(state, net)}
        ${this._brushed.length || this._brush ? this._brushbar(replay, search) : nothing}
      </div>
      ${this._legend()}
    `;
  }

  _emptyText(net, space) {
    if (!net) return "No supernet yet";
    if (!space) return net.status === "done" ? "Sample the search space to see it here" : "The space is sampled once the supernet is trained";
    return "No subgraphs";
  }

  _brushbar(replay, search) {
    const n = this._brushed.length;
    return html`<div class="brushbar" role="region" aria-label="Brushed region">
      <span>${n} subgraph${n === 1 ? "" : "s"}</span>
      <button class="primary" ?disabled=${replay || !search || !this._brush}
        title="The search's children come from this region" @click=${() => this._searchHere()}>Search here</button>
      <span class="sep"></span>
      ${["union", "intersection", "complement"].map(
        (op) => html`<button ?disabled=${replay || !n} title="Ring the ${op} of these subgraphs' blocks in the supergraph"
          @click=${() => this._setOp(op)}>${op[0].toUpperCase() + op.slice(1)}</button>`,
      )}
      <button aria-label="Clear the selection" @click=${() => { this._clearBrush(); lightBlocks(this.session, null); }}>✕</button>
    </div>`;
  }

  /** The rank check: Kendall τ-b with its interval and the noise ceiling, or a button. */
  _badge(state, net, replay) {
    const check = rankCheckOf(state, net.id);
    if (!check) {
      return html`<button ?disabled=${replay || net.status !== "done" || net.arch.path_mode !== "single"}
        title="Train stand-alone models of 30 subgraphs (2 seeds) and compare their ranks with the one-shot ranks"
        @click=${() => this.post(cmd.rankCheck(net.id))}>Rank check</button>`;
    }
    const r = check.result;
    if (!r) {
      const ids = (check.models ?? []).flat();
      const done = ids.filter((id) => state.models.get(id)?.status === "done").length;
      return html`<span class="badge" role="status" title="Stand-alone trainings of the rank check">rank check ${done}/${ids.length} trained</span>`;
    }
    const tau = r.kendall_tau;
    const [lo, hi] = r.tau_ci ?? [null, null];
    const kind = lo !== null && lo > 0.2 && tau >= 0.5 ? "good" : tau < 0.3 ? "weak" : "";
    const f = (x) => (x === null || x === undefined || Number.isNaN(x) ? "–" : x.toFixed(2));
    return html`<span class="badge ${kind}" role="status"
      title="Kendall τ-b between one-shot validation accuracy and stand-alone accuracy of ${r.oneshot_acc?.length ?? "?"} subgraphs (95 % bootstrap interval); ceiling: τ between two stand-alone seeds; one-shot's top-1 is truly #${r.top1_rank}">
      rank τ <b>${f(tau)}</b> [${f(lo)}, ${f(hi)}] · ceiling ${f(r.noise_ceiling)} · n ${r.oneshot_acc?.length ?? "?"}</span>`;
  }

  _tooltip(state, net) {
    const i = this._hover >= 0 ? this._hover : this._focus;
    const m = this._models;
    if (i < 0 || !m || this._drag || !net) return nothing;
    const [sx, sy] = toScreen(this._view, plotBox(this._size), this._layout.u[i], this._layout.v[i]);
    const { w, h } = this._size;
    const right = sx > w - 260;
    const below = sy < 110;
    const style = `${right ? `right:${w - sx + 14}px` : `left:${sx + 14}px`};${below ? `top:${sy + 14}px` : `bottom:${h - sy + 14}px`}`;
    const acc = Number.isNaN(m.value[i]) ? "not evaluated" : `${(100 * m.value[i]).toFixed(1)} %`;
    return html`<div class="tip" role="tooltip" style=${style}>
      <div><span class="id">${m.masks[i].join(" ")}</span></div>
      <dl>
        <dt>one-shot val acc</dt><dd>${acc}</dd>
        <dt>params</dt><dd>${formatCount(Math.round(10 ** m.logParams[i]))}</dd>
      </dl>
    </div>`;
  }

  _legend() {
    const m = this._models;
    const range = m?.valueRange;
    const stops = [0, 0.33, 0.66, 1];
    const gradient = `linear-gradient(to right, ${stops.map((t) => rampCSS(t)).join(", ")})`;
    const [rMin, rMax] = m?.rRange ?? [3.5, 9];
    const params = m?.paramRange;
    return html`<div class="legend">
      <span title="Darkness is the subgraph's one-shot validation accuracy (shared weights, BN recalibrated)">one-shot val
        ${range ? html`<span>${(range[0] * 100).toFixed(0)}%</span>` : nothing}
        <span style="display:inline-block;width:70px;height:10px;border-radius:2px;background:${gradient}"></span>
        ${range ? html`<span>${(range[1] * 100).toFixed(0)}%</span>` : nothing}</span>
      <span title="Radius is the log of the subgraph's number of parameters">
        <svg width=${2 * rMax + 2 * rMin + 8} height=${2 * rMax} aria-hidden="true">
          ${svg`<circle cx=${rMin + 1} cy=${rMax} r=${rMin} fill="#82b8dc"></circle><circle cx=${2 * rMin + rMax + 6} cy=${rMax} r=${rMax} fill="#82b8dc"></circle>`}
        </svg>${params ? `${formatCount(Math.round(params[0]))}–${formatCount(Math.round(params[1]))}` : ""} params</span>
      <span><svg width="14" height="14" aria-hidden="true">${svg`<circle cx="7" cy="7" r="5.5" fill="#fff" stroke="#5f6b7a" stroke-width="1.5" stroke-dasharray="2.5 2"></circle>`}</svg>not evaluated</span>
      <span><svg width="18" height="12" aria-hidden="true">${svg`<rect x="1" y="1" width="16" height="10" fill="rgba(95,107,122,.14)" stroke="#5f6b7a" stroke-dasharray="3 2"></rect>`}</svg>region</span>
    </div>`;
  }
}

customElements.define("remap-searchspace", RemapSearchspace);
