// <remap-supergraph>: the supernet as a graph (the one-shot paper's Graph View, Fig. 7):
// layers as columns, blocks as nodes filled by their fitness (the share of the search's
// population holding the block, §3.1.6) on a colour-blind-safe single-hue ramp, with
// the number written in the node; every block feeds every block of the next layer
// (the sum merge). The hovered subgraph (a scatter dot, elsewhere on the page) is
// outlined and its path drawn dark, and drawn below as a SNAC; blocks lit by a set
// operation (union / intersection / complement) get a dashed ring; the hovered block
// (the block-info view's marks) a thick one. No skip connections: REMAP is sequential.

import { html, nothing, svg } from "lit-html";
import { ref } from "lit-html/directives/ref.js";
import { RemapElement } from "../../core/element.js";
import { followsWidth } from "../search/follows-width.js";
import { shortParams, styleOf } from "../generate/layers.js";
import { rampCSS, rampRGB, SELECTED } from "../overview/scales.js";
import { blockScores, currentSearch, currentSupernet, evaluationsOf, maskKey, oneshotOf, subgraphArch } from "../search/read.js";
import { hoverBlock, searchUi } from "../search/ui.js";

const styles = `
:host { display: flex; flex-direction: column; min-height: 0; }
.head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; padding: 0 2px 2px; }
.head h2 { margin: 0; }
.head .muted { font-size: 12px; }
.graph { position: relative; min-height: 120px; }
svg.g { display: block; width: 100%; overflow: visible; }
svg.g text { font: 11px var(--remap-font); }
.node { cursor: default; }
.node:focus-visible { outline: none; }
.node:focus-visible rect.box { stroke: var(--remap-accent); stroke-width: 3; }
.legend { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; font-size: 12px; color: var(--remap-muted); margin-left: auto; }
.legend span { display: inline-flex; align-items: center; gap: 5px; }
.sub { display: flex; align-items: center; gap: 8px; min-height: 40px; padding: 2px 2px 0; border-top: 1px solid var(--remap-border); margin-top: 4px; }
.sub .label { font-size: 12px; color: var(--remap-muted); white-space: nowrap; }
.sub .mask { font-family: var(--remap-mono); font-size: 11px; }
`;

/** Dark or light ink on a ramp colour (the number inside a node stays readable). */
function inkOn(t) {
  const [r, g, b] = rampRGB(t);
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#1d2330" : "#ffffff";
}

const COL_GAP = 26; // px between columns (the edges run there)
const NODE_H = 34;
const ROW_GAP = 8;

export class RemapSupergraph extends followsWidth(RemapElement, 600) {
  static styles = styles;
  static watches = ["events", "cursor", "hover"];

  placeholder() {
    return nothing;
  }

  template() {
    const state = this.session.state;
    const net = currentSupernet(state);
    if (!net) return html`<p class="empty">No supernet yet: build one in the Lego view.</p>`;
    const arch = net.arch;
    const search = currentSearch(state);
    const scores = search?.supernet === net.id ? blockScores(search) : { fitness: new Map(), marginal: new Map() };
    const ui = searchUi(this.session);
    const o = oneshotOf(state);
    const lit = ui.lit ?? (o?.highlight ? { op: o.highlight.op, blocks: o.highlight.blocks } : null);
    const litSet = new Set(lit?.blocks ?? []);
    const mask = ui.mask ? new Set(ui.mask) : null;
    const n = arch.layers.length;
    const rows = Math.max(1, ...arch.layers.map((l) => l.blocks.length));
    const width = Math.max(200, this._width);
    const colW = Math.max(54, (width - COL_GAP * (n - 1)) / Math.max(1, n));
    const height = rows * NODE_H + (rows - 1) * ROW_GAP + 24;
    const x = (li) => li * (colW + COL_GAP);
    const y = (li, bi) => {
      const k = arch.layers[li].blocks.length;
      const top = (rows - k) * (NODE_H + ROW_GAP) / 2; // a column's blocks centred
      return 20 + top + bi * (NODE_H + ROW_GAP);
    };
    const edges = [];
    for (let li = 0; li + 1 < n; li++) {
      arch.layers[li].blocks.forEach((a, ai) =>
        arch.layers[li + 1].blocks.forEach((b, bi) => {
          const on = mask && mask.has(a.id) && mask.has(b.id);
          const x0 = x(li) + colW;
          const y0 = y(li, ai) + NODE_H / 2;
          const x1 = x(li + 1);
          const y1 = y(li + 1, bi) + NODE_H / 2;
          const mid = (x0 + x1) / 2;
          edges.push(svg`<path d="M${x0} ${y0} C${mid} ${y0} ${mid} ${y1} ${x1} ${y1}" fill="none"
            stroke=${on ? "#1d2330" : "#c3c9d1"} stroke-width=${on ? 2.5 : 1} stroke-opacity=${mask && !on ? 0.45 : 1}></path>`);
        }),
      );
    }
    const P = search?.population ?? null;
    const nodes = arch.layers.flatMap((layer, li) => layer.blocks.map((b, bi) => this._node(b, li, x(li), y(li, bi), colW, scores, mask, litSet, ui.block)));
    const labels = arch.layers.map((l, li) => svg`<text x=${x(li) + colW / 2} y="10" text-anchor="middle" fill="#5f6b7a">${l.id}</text>`);
    return html`
      <div class="head">
        <h2>Supergraph</h2>
        <span class="muted">${net.id} · ${arch.layers.reduce((a, l) => a + l.blocks.length, 0)} blocks${scores.fitness.size ? ` · iteration ${search.history[search.history.length - 1].iteration}` : " · fitness after the first iteration"}</span>
        ${this._legend(lit, P)}
      </div>
      <div class="graph" ${ref((el) => this._setBox(el))}>
        <svg class="g" width=${width} height=${height} viewBox="0 0 ${width} ${height}" role="group"
          aria-label="Supergraph: ${n} layers as columns, blocks as nodes shaded by fitness">
          ${labels}${edges}${nodes}
        </svg>
      </div>
      ${this._subgraph(arch, ui.mask, state, net)}
    `;
  }

  _node(b, li, x0, y0, w, scores, mask, litSet, hovered) {
    const f = scores.fitness.get(b.id);
    const m = scores.marginal.get(b.id);
    const has = f !== undefined;
    const fill = has ? rampCSS(f) : "#ffffff";
    const ink = has ? inkOn(f) : "#1d2330";
    const inMask = mask?.has(b.id);
    const dim = mask && !inMask;
    const text = b.components.map((c) => `${styleOf(c.type).initial}${shortParams(c) ? shortParams(c).replace("²", "") : ""}`).join(" ");
    const title = `${b.id} (${b.components.map((c) => c.type).join(", ")})${has ? `: fitness ${f.toFixed(2)}` : ""}${m !== undefined && m !== null ? `, marginal ${m >= 0 ? "+" : ""}${(100 * m).toFixed(1)} points` : ""}`;
    const narrow = w < 78; // no room for id and number side by side: number below, layers in the title
    const stroke = b.id === hovered ? SELECTED : inMask ? "#1d2330" : "#9aa3ae";
    const sw = b.id === hovered ? 3 : inMask ? 2.5 : 1;
    return svg`<g class="node" data-block=${b.id} tabindex="0" role="img" aria-label=${title} opacity=${dim ? 0.45 : 1}
        @pointerenter=${() => hoverBlock(this.session, b.id)} @pointerleave=${() => hoverBlock(this.session, null)}
        @focus=${() => hoverBlock(this.session, b.id)} @blur=${() => hoverBlock(this.session, null)}>
      <title>${title}</title>
      ${litSet.has(b.id) ? svg`<rect x=${x0 - 4} y=${y0 - 4} width=${w + 8} height=${NODE_H + 8} rx="7" fill="none" stroke="#CC79A7" stroke-width="2.5" stroke-dasharray="5 3"></rect>` : nothing}
      <rect class="box" x=${x0} y=${y0} width=${w} height=${NODE_H} rx="5" fill=${fill} stroke=${stroke} stroke-width=${sw}></rect>
      <text x=${x0 + 6} y=${y0 + 13} fill=${ink} font-weight="600">${b.id}</text>
      ${narrow
        ? svg`<text x=${x0 + 6} y=${y0 + 28} fill=${ink} font-variant-numeric="tabular-nums">${has ? f.toFixed(2) : "–"}</text>`
        : svg`<text x=${x0 + w - 6} y=${y0 + 13} fill=${ink} text-anchor="end" font-variant-numeric="tabular-nums">${has ? f.toFixed(2) : "–"}</text>
          <text x=${x0 + 6} y=${y0 + 28} fill=${ink} opacity="0.85" font-size="10">${text.length > w / 6 ? `${text.slice(0, Math.max(3, Math.floor(w / 6) - 1))}…` : text}</text>`}
    </g>`;
  }

  _legend(lit, P) {
    const stops = [0, 0.33, 0.66, 1];
    const gradient = `linear-gradient(to right, ${stops.map((t) => rampCSS(t)).join(", ")})`;
    return html`<div class="legend">
      <span title="Block fitness: the share of the population holding the block (a multiple of 1/P)">fitness 0
        <span style="display:inline-block;width:70px;height:10px;border-radius:2px;background:${gradient}"></span>1${P ? ` (steps of 1/${P})` : ""}</span>
      <span><svg width="22" height="12" aria-hidden="true"><rect x="1" y="1" width="20" height="10" rx="3" fill="#fff" stroke="#1d2330" stroke-width="2"></rect></svg>hovered subgraph</span>
      ${lit ? html`<span><svg width="22" height="12" aria-hidden="true"><rect x="1" y="1" width="20" height="10" rx="3" fill="none" stroke="#CC79A7" stroke-width="2" stroke-dasharray="4 2"></rect></svg>${lit.op} of the region's blocks (${lit.blocks.length})</span>` : nothing}
    </div>`;
  }

  /** The hovered subgraph as a SNAC (one path), or its blocks in words (several). */
  _subgraph(arch, mask, state, net) {
    if (!mask) return html`<div class="sub"><span class="label">Hover a dot in the search space to see its subgraph here.</span></div>`;
    const ev = evaluationsOf(state, net.id).get(maskKey(mask));
    const spec = subgraphArch(arch, mask, maskKey(mask));
    const acc = ev ? `one-shot val ${(100 * ev.val_acc).toFixed(1)} %` : "not evaluated yet";
    return html`<div class="sub" role="status">
      <span class="label">Subgraph</span><span class="mask">${mask.join(" ")}</span>
      ${spec ? html`<snac-chip server=${this.session.root} height="36" layout="variable" .spec=${spec}></snac-chip>` : html`<span class="muted">several blocks per layer (summed): no single SNAC</span>`}
      <span class="label">${acc}</span>
    </div>`;
  }
}

customElements.define("remap-supergraph", RemapSupergraph);
