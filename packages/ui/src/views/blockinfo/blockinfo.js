// <remap-blockinfo>: the one-shot paper's Block Information View (Fig. 10), updated at
// every search iteration — two line charts over block id: each block's frequency in
// the selected region (members holding it / members) and its fitness (the share of the
// population holding it, a multiple of 1/P; the previous iteration's line faint behind
// it, so a move shows), with the marginal score (mean one-shot accuracy of evaluated
// subgraphs with the block minus those without, ONESHOT.md §4.4) as numbers below; and
// the population's loss max / mean / min per iteration. Hovering a block's mark rings it
// in the supergraph.

import { html, nothing, svg } from "lit-html";
import { ref } from "lit-html/directives/ref.js";
import { RemapElement } from "../../core/element.js";
import { followsWidth } from "../search/follows-width.js";
import { blocksOf, currentSearch, currentSupernet } from "../search/read.js";
import { hoverBlock, searchUi } from "../search/ui.js";
import { linearTicks } from "../overview/scales.js";

const styles = `
:host { display: block; min-width: 0; }
.charts { display: grid; grid-template-columns: repeat(var(--cols, 3), minmax(0, 1fr)); gap: 8px 10px; }
figure { margin: 0; min-width: 0; }
figcaption { font-size: 12px; color: var(--remap-muted); display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
figcaption b { color: var(--remap-text); font-weight: 600; }
svg { display: block; width: 100%; overflow: visible; }
svg text { font: 10px var(--remap-font); fill: #5f6b7a; }
.key { display: inline-flex; align-items: center; gap: 3px; }
.empty { padding: 8px; font-size: 12px; }
`;

const H = 104;
const M = { l: 30, r: 6, t: 8, b: 30 };
const FIT = "#0072B2";
const FREQ = "#E69F00";
const MEAN = "#1d2330";

export class RemapBlockinfo extends followsWidth(RemapElement, 900) {
  static styles = styles;
  static watches = ["events", "cursor", "hover"];

  template() {
    const state = this.session.state;
    const net = currentSupernet(state);
    const search = currentSearch(state);
    const blocks = net ? blocksOf(net.arch) : [];
    const history = search && search.supernet === net?.id ? (search.history ?? []) : [];
    const last = history[history.length - 1];
    const prev = history[history.length - 2];
    const members = search?.region?.members ?? null;
    const freq = blocks.map((b) => (members?.length ? members.filter((m) => m.includes(b.id)).length / members.length : null));
    const fit = blocks.map((b) => last?.block_fitness?.[b.id] ?? null);
    const before = blocks.map((b) => prev?.block_fitness?.[b.id] ?? null);
    const marginal = blocks.map((b) => last?.marginal?.[b.id] ?? null);
    // side by side when there is room, else stacked (the Search tab puts it in a narrow column)
    const cols = Math.max(1, Math.min(3, Math.floor(this._width / 250)));
    const wide = Math.max(180, (this._width - 10 * (cols - 1)) / cols);
    const narrow = wide;
    const hovered = searchUi(this.session).block;
    return html`<div class="charts" style="--cols:${cols}" ${ref((el) => this._setBox(el))}>
      <figure>
        <figcaption><b>Frequency in region</b>
          ${members ? html`<span>${members.length} subgraphs in the region</span>` : html`<span>brush a region and press Search here</span>`}</figcaption>
        ${this._blockChart(blocks, [{ values: freq, color: FREQ }], wide, hovered, "frequency")}
      </figure>
      <figure>
        <figcaption><b>Block fitness</b>
          ${last ? html`<span>iteration ${last.iteration}, P = ${search.population}</span>
            ${prev ? html`<span class="key"><svg width="16" height="6" aria-hidden="true">${svg`<path d="M0 3H16" stroke=${FIT} stroke-opacity=".35" stroke-width="2" stroke-dasharray="3 2"></path>`}</svg>${prev.iteration}</span>` : nothing}`
            : html`<span>after the first iteration</span>`}</figcaption>
        ${this._blockChart(blocks, [{ values: before, color: FIT, faint: true }, { values: fit, color: FIT }], wide, hovered, "fitness", marginal)}
      </figure>
      <figure>
        <figcaption><b>Population loss</b><span>max / mean / min per iteration</span></figcaption>
        ${this._lossChart(history, narrow)}
      </figure>
    </div>`;
  }

  /** A line chart over block id (x: the blocks in order; y: [0, 1]); `marginal` numbers under the axis. */
  _blockChart(blocks, series, width, hovered, what, marginal = null) {
    if (!blocks.length) return html`<p class="empty muted">No supernet yet.</p>`;
    const pw = width - M.l - M.r;
    const ph = H - M.t - M.b;
    const x = (i) => M.l + (blocks.length === 1 ? pw / 2 : (i * pw) / (blocks.length - 1));
    const y = (v) => M.t + ph - v * ph;
    const grid = [0, 0.5, 1].map((t) => svg`<line x1=${M.l} x2=${M.l + pw} y1=${y(t)} y2=${y(t)} stroke="#eceff3"></line>
      <text x=${M.l - 4} y=${y(t) + 3} text-anchor="end">${t}</text>`);
    const lines = series.map(({ values, color, faint }) => {
      let d = "";
      values.forEach((v, i) => {
        if (v === null) return;
        d += `${d && values[i - 1] !== null && values[i - 1] !== undefined ? "L" : "M"}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
      });
      if (!d) return nothing;
      const dots = faint ? nothing : values.map((v, i) => (v === null ? nothing : svg`<circle cx=${x(i)} cy=${y(v)} r=${blocks[i].id === hovered ? 4.5 : 2.8} fill=${color}></circle>`));
      return svg`<path d=${d} fill="none" stroke=${color} stroke-width="2" stroke-opacity=${faint ? 0.35 : 1} stroke-dasharray=${faint ? "3 2" : "none"}></path>${dots}`;
    });
    const main = series[series.length - 1].values;
    const room = pw / Math.max(1, blocks.length - 1); // px between two blocks' marks
    const name = (id) => (room < 24 ? id.replace(/^b/, "") : id); // "12" for "b12" when crowded
    const labels = blocks.map((b, i) => {
      const m = marginal?.[i];
      const title = `${b.id}: ${what} ${main[i] === null ? "–" : main[i].toFixed(2)}${m !== null && m !== undefined ? `, marginal ${m >= 0 ? "+" : ""}${(100 * m).toFixed(1)} points` : ""}`;
      return svg`<g @pointerenter=${() => hoverBlock(this.session, b.id)} @pointerleave=${() => hoverBlock(this.session, null)}>
        <title>${title}</title>
        <rect x=${x(i) - pw / Math.max(2, blocks.length) / 2} y=${M.t} width=${pw / Math.max(2, blocks.length)} height=${ph + 28} fill=${b.id === hovered ? "rgba(230,159,0,.12)" : "transparent"}></rect>
        <text x=${x(i)} y=${M.t + ph + 12} text-anchor="middle" font-weight=${b.id === hovered ? 700 : 400}>${name(b.id)}</text>
        ${m !== null && m !== undefined && (room >= 24 || b.id === hovered) ? svg`<text x=${x(i)} y=${M.t + ph + 24} text-anchor="middle" fill=${m >= 0 ? "#009E73" : "#D55E00"}>${m >= 0 ? "+" : "−"}${Math.abs(100 * m).toFixed(0)}</text>` : nothing}
      </g>`;
    });
    return html`<svg width=${width} height=${H} viewBox="0 0 ${width} ${H}" role="img"
      aria-label="${what} per block: ${blocks.map((b, i) => `${b.id} ${main[i] === null ? "none" : main[i].toFixed(2)}`).join(", ")}">
      ${grid}${labels}${lines}
      ${marginal && marginal.some((m) => m !== null) ? svg`<text x=${M.l - 4} y=${M.t + ph + 24} text-anchor="end"><title>marginal score: mean one-shot accuracy with the block minus without (points)</title>Δacc</text>` : nothing}
    </svg>`;
  }

  /** Max / mean / min of the population's losses per iteration: a band and a line. */
  _lossChart(history, width) {
    if (!history.length) return html`<p class="empty muted">No iteration yet.</p>`;
    const stats = history.map((h) => h.loss_stats);
    let lo = Math.min(...stats.map((s) => s[2]));
    let hi = Math.max(...stats.map((s) => s[0]));
    if (!(hi > lo)) [lo, hi] = [lo - 0.05, hi + 0.05];
    const pw = width - M.l - M.r;
    const ph = H - M.t - M.b;
    const n = history.length;
    const x = (i) => M.l + (n === 1 ? pw / 2 : (i * pw) / (n - 1));
    const y = (v) => M.t + ph - ((v - lo) / (hi - lo)) * ph;
    const band = `M${stats.map((s, i) => `${x(i)} ${y(s[0])}`).join("L")}L${stats.map((s, i) => `${x(n - 1 - i)} ${y(stats[n - 1 - i][2])}`).join("L")}Z`;
    const mean = `M${stats.map((s, i) => `${x(i)} ${y(s[1])}`).join("L")}`;
    const ticks = linearTicks(lo, hi, 3);
    const xt = history.length <= 8 ? history.map((h, i) => [i, h.iteration]) : linearTicks(0, n - 1, 4).map((t) => [t, history[Math.round(t)]?.iteration ?? t]);
    const last = stats[n - 1];
    return html`<svg width=${width} height=${H} viewBox="0 0 ${width} ${H}" role="img"
      aria-label="Population loss per iteration; last: max ${last[0].toFixed(3)}, mean ${last[1].toFixed(3)}, min ${last[2].toFixed(3)}">
      ${ticks.map((t) => svg`<line x1=${M.l} x2=${M.l + pw} y1=${y(t)} y2=${y(t)} stroke="#eceff3"></line><text x=${M.l - 4} y=${y(t) + 3} text-anchor="end">${+t.toFixed(3)}</text>`)}
      ${xt.map(([i, label]) => svg`<text x=${x(i)} y=${M.t + ph + 12} text-anchor="middle">${label}</text>`)}
      <text x=${M.l + pw / 2} y=${M.t + ph + 25} text-anchor="middle">iteration</text>
      ${n > 1 ? svg`<path d=${band} fill="rgba(0,114,178,.15)"></path>` : nothing}
      <path d=${mean} fill="none" stroke=${MEAN} stroke-width="1.8"></path>
      ${stats.map((s, i) => svg`<circle cx=${x(i)} cy=${y(s[1])} r="2.4" fill=${MEAN}><title>iteration ${history[i].iteration}: max ${s[0].toFixed(3)}, mean ${s[1].toFixed(3)}, min ${s[2].toFixed(3)}</title></circle>`)}
    </svg>`;
  }
}

customElements.define("remap-blockinfo", RemapBlockinfo);
