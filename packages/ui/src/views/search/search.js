// <remap-search>: the Search tab of <remap-app> — the one-shot supernet search of the
// third paper (ONESHOT.md) in one panel: the Lego view (build the supernet) beside the
// supergraph (blocks by fitness), the search-space scatter (brush a region) and the
// block information charts, with the steps along the top: train the supernet, sample
// the space, start / continue / pause the search, assemble the candidate (which then
// trains as an ordinary REMAP model: overview, drawer, inspector, timeline).

import { html, nothing } from "lit-html";
import { RemapElement } from "../../core/element.js";
import { describeAccuracy } from "../../core/metrics.js";
import { STATUS_COLORS } from "../../core/theme.js";
import * as cmd from "./commands.js";
import { candidatesOf, currentSearch, currentSupernet, evaluationsOf, maskKey, spaceOf } from "./read.js";
import "../lego/lego.js";
import "../supergraph/supergraph.js";
import "../searchspace/searchspace.js";
import "../blockinfo/blockinfo.js";

const styles = `
:host { display: flex; flex-direction: column; height: 100%; min-height: 0; gap: 6px; }
.steps { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 6px; padding: 2px 0 6px; border-bottom: 1px solid var(--remap-border); }
.steps .step { display: inline-flex; align-items: center; gap: 5px; }
.steps .n { display: inline-grid; place-items: center; width: 18px; height: 18px; border-radius: 50%; background: var(--remap-accent-soft); color: var(--remap-accent); font-size: 11px; font-weight: 700; }
.steps .n.done { background: var(--remap-ok); color: #fff; }
.steps .arrow { color: var(--remap-border); }
.steps .state { color: var(--remap-muted); font-size: 12px; font-variant-numeric: tabular-nums; }
.steps input[type="number"] { width: 4em; padding: 1px 4px; border: 1px solid var(--remap-border); border-radius: 4px; }
.steps select { padding: 1px 2px; border: 1px solid var(--remap-border); border-radius: 4px; background: var(--remap-bg); font-size: 12px; }
.body { flex: 1; min-height: 0; display: grid; gap: 8px; grid-template-columns: minmax(340px, 0.95fr) minmax(420px, 1.45fr); }
.col { min-height: 0; overflow: auto; }
.right { display: grid; gap: 6px; min-height: 0; overflow: auto; align-content: start;
  grid-template-columns: minmax(0, 1.55fr) minmax(240px, 1fr); grid-template-rows: auto auto auto;
  grid-template-areas: "graph graph" "space info" "cands cands"; }
.right > .graph { grid-area: graph; }
.right > remap-searchspace { grid-area: space; height: clamp(340px, calc(100vh - 430px), 760px); border: 1px solid var(--remap-border); border-radius: var(--remap-radius); }
.right > .info { grid-area: info; min-width: 0; }
.right > .cands-card { grid-area: cands; }
/* below ~1500 px the scatter needs the column's width: block info goes under it */
@media (max-width: 1500px) { .right { grid-template-columns: minmax(0, 1fr); grid-template-areas: "graph" "space" "info" "cands"; } }
.card { border: 1px solid var(--remap-border); border-radius: var(--remap-radius); padding: 6px 8px; }
.cands { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; font-size: 12px; }
.cand { display: inline-flex; align-items: center; gap: 6px; border: 1px solid var(--remap-border); border-left: 4px solid var(--c); border-radius: var(--remap-radius); padding: 2px 6px; }
.cand .id { font-family: var(--remap-mono); font-weight: 600; }
button.link { border: none; background: none; padding: 0; color: var(--remap-accent); cursor: pointer; font-size: 12px; }
@media (max-width: 1100px) { .body { grid-template-columns: minmax(0, 1fr); } .col { overflow: visible; } .body { overflow: auto; } }
`;

const RULES = [
  ["fitness", "fitness ≥ τ"],
  ["argmax", "argmax per layer"],
  ["best", "best evaluated"],
];

export class RemapSearch extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor", "connection"];

  constructor() {
    super();
    this.iterations = 10;
    this.more = 5;
    this.rule = "fitness";
    this.threshold = 0.5;
  }

  template() {
    const src = this.getAttribute("src");
    const state = this.session.state;
    const net = currentSupernet(state);
    const search = currentSearch(state);
    const mine = search && search.supernet === net?.id ? search : null;
    return html`
      ${net ? this._steps(state, net, mine) : nothing}
      <div class="body">
        <div class="col card"><remap-lego src=${src}></remap-lego></div>
        <div class="right">
          <div class="card graph"><remap-supergraph src=${src}></remap-supergraph></div>
          <remap-searchspace src=${src}></remap-searchspace>
          <div class="card info"><remap-blockinfo src=${src}></remap-blockinfo></div>
          ${this._candidates(state)}
        </div>
      </div>
    `;
  }

  _steps(state, net, search) {
    const replay = this.session.cursor !== null;
    const trained = net.status === "done";
    const space = spaceOf(state, net.id);
    const evals = evaluationsOf(state, net.id);
    const planned = search?.planned?.children ?? [];
    const waiting = planned.filter((c) => !evals.has(maskKey(c.mask))).length;
    const iter = search?.history?.length ?? 0;
    const running = search?.status === "running";
    const n = (k, done) => html`<span class="n ${done ? "done" : ""}" aria-hidden="true">${done ? "✓" : k}</span>`;
    const curve = net.curve ?? [];
    const lastLoss = curve[curve.length - 1];
    return html`<div class="steps" role="toolbar" aria-label="One-shot search steps">
      <span class="step">${n(1, trained)}<span>${net.id}</span>
        <span class="state" aria-live="polite">${cmd.trainingText(net)}${lastLoss ? `, val loss ${lastLoss.val_loss.toFixed(2)}` : ""}</span></span>
      <span class="arrow">›</span>
      <span class="step">${n(2, !!space)}
        <button ?disabled=${replay || !trained || !!space} @click=${() => this.post(cmd.sampleSearchSpace(net.id))}
          title="Sample 100 subgraphs and project them by graph edit distance">Sample space</button>
        ${space ? html`<span class="state">${space.masks.length}</span>` : nothing}</span>
      <span class="arrow">›</span>
      <span class="step">${n(3, search?.status === "done")}
        ${search
          ? html`<span class="state" aria-live="polite" title="Search ${search.id}: iterations completed of the target (the first is the initial population); children of the planned iteration evaluated">${search.id} · ${iter}/${search.iterations} iterations${waiting ? ` · evaluating ${planned.length - waiting}/${planned.length}` : ""} · ${search.status}</span>
              ${running
                ? html`<button ?disabled=${replay} @click=${() => this.post(cmd.pauseSearch(search.id))}>Pause</button>`
                : html`<button ?disabled=${replay} @click=${() => this.post(cmd.continueSearch(search.id, this.more))}>Continue +</button>
                    <input type="number" min="1" max="200" aria-label="More iterations" .value=${String(this.more)}
                      @change=${(e) => { this.more = Math.max(1, Math.round(Number(e.target.value) || 1)); }}>`}`
          : html`<button class="primary" ?disabled=${replay || !trained} @click=${() => this.post(cmd.startSearch(net.id, this.iterations))}>Start search</button>
              <input type="number" min="1" max="200" aria-label="Iterations" title="Iterations" .value=${String(this.iterations)}
                @change=${(e) => { this.iterations = Math.max(1, Math.round(Number(e.target.value) || 1)); }}>
              <span class="state">iterations</span>`}</span>
      <span class="arrow">›</span>
      <span class="step">${n(4, candidatesOf(state).some((c) => c.search === search?.id))}
        <select aria-label="Assemble rule" @change=${(e) => { this.rule = e.target.value; this.requestRender(); }}>
          ${RULES.map(([k, label]) => html`<option value=${k} ?selected=${k === this.rule}>${label}</option>`)}
        </select>
        ${this.rule === "fitness"
          ? html`<input type="number" min="0" max="1" step="0.05" aria-label="Fitness threshold τ" .value=${String(this.threshold)}
              @change=${(e) => { this.threshold = Math.min(1, Math.max(0, Number(e.target.value) || 0)); }}>`
          : nothing}
        <button class="primary" ?disabled=${replay || !iter} @click=${() => this.post(cmd.assembleCandidate(search.id, this.rule, this.threshold))}
          title="Combine the blocks with high fitness into a candidate, trained stand-alone from scratch">Assemble candidate</button></span>
    </div>`;
  }

  _candidates(state) {
    const cands = candidatesOf(state);
    if (!cands.length) return nothing;
    return html`<div class="card cands-card"><h2>Candidates</h2><div class="cands">
      ${cands.map((c) => {
        const m = state.models.get(c.model);
        const acc = m ? describeAccuracy(state, m, "test") : null;
        return html`<span class="cand" style="--c:${STATUS_COLORS[m?.status ?? "created"]}">
          <span class="id">${c.model}</span><span class="muted">${c.rule}${c.rule === "fitness" ? ` ≥ ${c.threshold}` : ""} · ${c.mask.join(" ")}</span>
          <span>${m?.status ?? "created"}${acc ? ` · test ${acc.text}` : ""}</span>
          <button class="link" @click=${() => { this.session.select(c.model); this.emit("remap-show", { tab: "inspect" }); }}>Inspect</button>
        </span>`;
      })}
    </div></div>`;
  }
}

customElements.define("remap-search", RemapSearch);
