// <remap-inspector>: the model inspection tab of REMAP (Fig. 2a). It shows the selected
// model (session.ui.selected) or, when two drawer models are compared (session.ui.compare),
// both side by side: SNACs of the model and its parent, size and speed, the training
// curves (by epoch or by wall time), the accuracy of each class and the confusion matrix,
// whose cells show the test images of that confusion on hover or keyboard focus.

import { html, nothing } from "lit-html";
import { RemapElement } from "../../core/element.js";
import { describeAccuracy } from "../../core/metrics.js";
import { STATUS_COLORS, formatAcc, formatCount, formatDelta, formatSeconds } from "../../core/theme.js";
import { SERIES, trainingCurves } from "./charts.js";
import { cellPopover, confusionMatrix, perClassBars } from "./confusion.js";
import { loadClassData, NO_DATA } from "../../core/class-data.js";
import { cellExamples } from "./data.js";
import { unpackLabels } from "../../core/packed.js";
import { replicatesPart, replicatesStyles } from "./replicates.js";
import { modelOutPart, modelOutStyles } from "./model-out.js";
import { diffUrl } from "../snac-chip/snac-diff.js";
import { figureMenu, figureMenuStyles } from "../../core/figure-menu.js";
import { compareStyles, compareView } from "./compare.js"; // issue 22: 3 to 8 side by side
import { notesPart, notesStyles, tagsLine } from "./notes.js"; // issue 22: notes and tags

const styles = `
${compareStyles}
${notesStyles}
${replicatesStyles}
${modelOutStyles}
${figureMenuStyles}
.part h2 .figure-menu { font-weight: normal; margin-left: 6px; }
:host { min-width: 0; }
.toolbar { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; margin-bottom: 8px; }
.toolbar .title { font-weight: 600; }
.toolbar .spacer { flex: 1; }
.seg { display: inline-flex; }
.seg button { border-radius: 0; padding: 2px 9px; font-size: 12px; }
.seg button:first-child { border-radius: var(--remap-radius) 0 0 var(--remap-radius); }
.seg button:last-child { border-radius: 0 var(--remap-radius) var(--remap-radius) 0; margin-left: -1px; }
.cards { display: grid; gap: 12px; grid-template-columns: minmax(0, 1fr); }
.cards.compare { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); --cell: 19px; }
.card { min-width: 0; display: flex; flex-direction: column; gap: 10px; }
.compare .card + .card { border-left: 1px solid var(--remap-border); padding-left: 12px; }
.head { display: flex; align-items: baseline; gap: 8px; flex-wrap: wrap; }
.head h3 { margin: 0; font-size: 16px; font-family: var(--remap-mono); }
.status { display: inline-flex; align-items: center; gap: 4px; font-size: 12px; color: var(--remap-muted); }
.status i { width: 8px; height: 8px; border-radius: 50%; background: var(--c); display: inline-block; }
.desc { color: var(--remap-muted); flex-basis: 100%; overflow-wrap: anywhere; }
.snacs { display: flex; flex-direction: column; gap: 4px; }
.snac { display: grid; grid-template-columns: 64px minmax(0, 1fr); align-items: center; gap: 6px; min-height: 44px; }
.snac .who { font-size: 12px; color: var(--remap-muted); }
.snac .who button { font-family: var(--remap-mono); font-size: 12px; padding: 0 6px; }
.snac img { max-width: 100%; height: 40px; object-fit: contain; object-position: left center; }
dl.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(118px, 1fr)); gap: 6px 12px; margin: 0; }
dl.stats div { min-width: 0; }
dt { font-size: 11px; color: var(--remap-muted); text-transform: uppercase; letter-spacing: .03em; }
dd { margin: 0; font-size: 15px; font-variant-numeric: tabular-nums; white-space: nowrap; }
.compare dl.stats { grid-template-columns: repeat(auto-fill, minmax(104px, 1fr)); }
.compare dd { font-size: 13px; }
.compare .head { min-height: 42px; align-items: flex-start; }
dd small { font-size: 11px; color: var(--remap-muted); margin-left: 4px; }
dd small.up { color: var(--remap-ok); }
dd small.down { color: var(--remap-danger); }
section.part { min-width: 0; }
section.diff .diff-note { margin: 0; font-size: 12px; }
section.diff snac-diff { margin-top: 4px; }
.pair-diff { margin-bottom: 12px; }
.legend { display: flex; gap: 14px; font-size: 12px; color: var(--remap-muted); margin: -2px 0 4px; }
.legend svg { vertical-align: middle; margin-right: 4px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(210px, 1fr)); gap: 8px; }
.charts figure { margin: 0; min-width: 0; }
.charts figcaption { font-size: 12px; font-weight: 600; margin-bottom: 2px; }
svg.chart { width: 100%; height: auto; display: block; overflow: visible; }
svg.chart .grid line { stroke: var(--remap-border); stroke-width: 1; }
svg.chart .axis line { stroke: var(--remap-muted); stroke-width: 1; }
svg.chart text { font-size: 10px; fill: var(--remap-muted); font-family: var(--remap-font); }
svg.chart .title { font-size: 10.5px; }
.split { display: flex; flex-wrap: wrap; gap: 14px 18px; align-items: flex-start; }
.split > .per-class { flex: 1 1 190px; }
.split > .confusion { flex: 0 1 auto; min-width: 0; max-width: 100%; }
.bars { display: grid; gap: 2px; }
.bar-row { display: grid; grid-template-columns: minmax(2ch, 9ch) minmax(40px, 1fr) 8ch; align-items: center; gap: 6px; font-size: 12px; }
.bar-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; text-align: right; }
.track { height: 11px; background: var(--remap-panel); border: 1px solid var(--remap-border); border-radius: 2px; overflow: hidden; }
.track .bar { display: block; height: 100%; margin: 0; background: #0072B2; }
.bar-row.worst .track .bar { background: #D55E00; }
.bar-row.selected { font-weight: 700; }
.bar-row.selected .track { outline: 2px solid var(--remap-text); outline-offset: 0; }
/* its 8ch column holds "100.0 %" whole (6ch cut it at 1280 × 720) */
.bar-val { text-align: right; font-variant-numeric: tabular-nums; color: var(--remap-muted); white-space: nowrap; }
.cm-wrap { position: relative; }
.cm { --cell: 22px; display: grid; grid-template-columns: minmax(2.2ch, max-content) repeat(var(--n), var(--cell)); gap: 1px; font-size: 11px; width: max-content; }
.compare .cm { --cell: 19px; font-size: 10px; }
.cm-row, .corner { display: contents; }
.axis-t { font-size: 9.5px; color: var(--remap-muted); align-self: end; line-height: 1.1; max-width: 7ch; }
.colhead { text-align: center; color: var(--remap-muted); align-self: end; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.rotate .colhead { writing-mode: vertical-rl; transform: rotate(180deg); max-height: 64px; text-align: left; justify-self: center; }
.rowhead { color: var(--remap-muted); text-align: right; padding-right: 4px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 10ch; align-self: center; }
.cell { height: var(--cell); display: flex; align-items: center; justify-content: center; border: 1px solid var(--remap-border); border-radius: 2px; font-variant-numeric: tabular-nums; cursor: default; }
.cell.active, .cell:focus-visible { outline: 2px solid var(--remap-text); outline-offset: 0; }
.cm-key { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 11px; color: var(--remap-muted); margin-top: 4px; }
.cm-key i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; vertical-align: -1px; margin-right: 3px; }
.popover { position: absolute; z-index: 5; width: 178px; background: var(--remap-bg); border: 1px solid var(--remap-border); border-radius: var(--remap-radius); box-shadow: 0 4px 14px rgba(0,0,0,.16); padding: 6px 8px; pointer-events: none; font-size: 12px; }
.pop-title { margin-bottom: 4px; }
.thumbs { display: grid; grid-template-columns: repeat(4, 36px); gap: 4px; }
.thumbs img { width: 36px; height: 36px; image-rendering: pixelated; background: #000; border-radius: 2px; }
.note { color: var(--remap-muted); font-style: italic; }
.empty-state { padding: 24px 12px; color: var(--remap-muted); text-align: center; max-width: 46ch; margin: 0 auto; }
.empty-state h3 { color: var(--remap-text); font-size: 15px; margin: 0 0 6px; }
.empty-state .picks { display: flex; gap: 6px; justify-content: center; flex-wrap: wrap; margin-top: 10px; }
.empty-state .picks button { font-family: var(--remap-mono); }
`;

const legend = html`<div class="legend" aria-hidden="true">
  ${Object.values(SERIES).map((s) => html`<span><svg width="22" height="8"><line x1="0" x2="22" y1="4" y2="4"
    stroke=${s.color} stroke-width="2" stroke-dasharray=${s.dash || "none"}></line></svg>${s.label}</span>`)}
</div>`;

export class RemapInspector extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor", "selection"];

  constructor() {
    super();
    this.byTime = false; // the curves' x axis: epochs, or cumulative wall time
    this.data = NO_DATA;
    this.cellFocus = new Map(); // model -> [row, col] of the matrix cell that takes Tab
    this.cellPop = null; // {model, r, c, left, top}
    this.seeds = 3; // "retrain with N seeds"
    this.longer = 5; // "train longer" by this many epochs
    this.kept = new Map(); // model -> "present" | "missing" | "none" (GET …/models)
    this.keptSeq = -1;
    this.noteEdit = null; // "model:note" of the note being edited (notes.js)
    this.aligned = null; // the N-way compare's alignment, fetched once per set (compare.js)
  }

  /** What the server says of the weights files (once per change of the log). */
  async loadKept() {
    const seq = this.session.state.last_seq;
    if (seq === this.keptSeq) return;
    this.keptSeq = seq;
    try {
      const response = await this.session.fetch(this.session.apiUrl("/models"));
      if (!response.ok) return;
      this.kept = new Map((await response.json()).map((r) => [r.id, r.weights]));
      this.requestRender();
    } catch {
      /* the part shows the menu from the log alone */
    }
  }

  async trainLonger(model) {
    const n = Math.round(Number(this.longer));
    await this.post({ type: "continue_training", model, epochs: Number.isFinite(n) && n > 0 ? n : 5 });
  }

  async replicate(model) {
    const n = Math.round(Number(this.seeds));
    await this.post({ type: "replicate", model, seeds: Number.isFinite(n) ? n : this.seeds });
  }

  sessionChanged() {
    this.cellPop = null;
    loadClassData(this);
  }


  changed({ what }) {
    if (what === "selection") this.cellPop = null;
  }

  /** The models shown: the compared pair where both exist in the state shown (a
   * replay before one was made shows the other alone), else the selection. */
  shown(state = this.session.state) {
    const { selected, compare } = this.session.ui;
    const present = compare.filter((id) => state.models.has(id));
    if (present.length >= 2) return present; // issue 22: 2 to 8 side by side
    if (present.length === 1) return present;
    return selected ? [selected] : [];
  }

  template() {
    const state = this.session.state;
    const ids = this.shown(state);
    if (!ids.length) return html`${this.emptyState(state)}${this.sessionNotes(state)}`;
    const comparing = ids.length >= 2;
    const absent = this.session.ui.compare.filter((id) => !state.models.has(id));
    const models = ids.map((id) => state.models.get(id) ?? null);
    const many = ids.length > 2; // issue 22: the N-way compare (compare.js)
    const listed = html`${ids.slice(0, -1).map((id, k) => html`${k ? ", " : ""}<code>${id}</code>`)} and <code>${ids.at(-1)}</code>`;
    return html`
      <div class="toolbar">
        <span class="title">${comparing ? html`Comparing ${listed}` : "Model inspection"}</span>
        ${comparing ? html`<button @click=${() => this.session.setCompare([])} aria-label="Stop comparing">Stop comparing</button>` : nothing}
        ${(many || !comparing) && this.session.ui.compare.length >= 2 && absent.length
          ? html`<span class="muted compare-note">${absent.join(" and ")} ${absent.length === 1 ? "does" : "do"} not exist yet at this point of the timeline</span>`
          : nothing}
        <span class="spacer"></span>
        <span class="muted" id="xlabel">Curves by</span>
        <span class="seg" role="group" aria-labelledby="xlabel">
          <button aria-pressed=${String(!this.byTime)} @click=${() => this.setByTime(false)}>epoch</button>
          <button aria-pressed=${String(this.byTime)} @click=${() => this.setByTime(true)}>wall time</button>
        </span>
      </div>
      ${many ? compareView(this, ids, state) : html`
      ${comparing && models[0] && models[1] ? this.diffPart(ids[0], ids[1], "pair-diff") : nothing}
      <div class="cards ${comparing ? "compare" : ""}">
        ${models.map((m, k) => (m ? this.card(m, state, comparing && k === 1 ? models[0] : null, comparing) : this.missing(ids[k])))}
      </div>`}
      ${this.sessionNotes(state)}`;
  }

  /** The session's own notes and tags (issue 22), folded away below the models. */
  sessionNotes(state) {
    const notes = state.notes ?? [];
    const tags = state.tags ?? [];
    return html`<details class="session-notes" ?open=${this.sessionNotesOpen}
        @toggle=${(e) => { this.sessionNotesOpen = e.target.open; }}>
      <summary>Session notes${notes.length ? ` (${notes.length})` : ""}</summary>
      ${tagsLine(this.session, tags)}
      ${notesPart(this, null, notes, this.session.cursor !== null)}
    </details>`;
  }

  /** The chip diff of models `a` and `b` (issue 22): the parent and the model, or the
   * compared pair. */
  diffPart(a, b, cls = "") {
    return html`<section class="part diff ${cls}" aria-label="Diff of ${a} and ${b}">
      <h2>Changes</h2>
      <p class="diff-note muted">${a} → ${b} · <b>+</b> added, <b>−</b> removed, <b>Δ</b> changed; hover a block for its settings and parameters</p>
      <snac-diff url=${diffUrl(this.session, a, b, { height: 40 })}></snac-diff>
    </section>`;
  }

  setByTime(value) {
    this.byTime = value;
    this.requestRender();
  }

  emptyState(state) {
    const done = [...state.models.values()].filter((m) => m.result);
    done.sort((a, b) => b.result.test_acc - a.result.test_acc);
    return html`<div class="empty-state">
      <h3>No model selected</h3>
      <div>${state.models.size
        ? "Click a model in the overview or the drawer to see its architecture, training curves, accuracy per class and confusion matrix. Tick 2 to 8 drawer models to compare them side by side."
        : "This session has no models yet: sample or generate some, then select one here."}</div>
      ${done.length ? html`<div class="picks">
        ${done.slice(0, 3).map((m) => html`<button @click=${() => this.session.select(m.id)}
          aria-label="Inspect ${m.id}">${m.id} · ${formatAcc(m.result.test_acc)}</button>`)}
      </div>` : nothing}
    </div>`;
  }

  missing(id) {
    return html`<div class="card"><div class="head"><h3>${id}</h3></div>
      <div class="note">${this.session.cursor === null ? "not in this session" : "not created yet at this point of the timeline"}</div></div>`;
  }

  card(m, state, base, comparing = false) {
    const r = m.result;
    const names = state.class_names;
    return html`<article class="card" aria-label="Model ${m.id}" data-model=${m.id}>
      <div class="head">
        <h3>${m.id}</h3>
        <span class="status" style="--c: ${STATUS_COLORS[m.status] ?? "#888"}"><i></i>${m.status}${m.status === "failed" && m.error ? html`: ${m.error}` : nothing}</span>
        <span class="desc">${m.description}</span>
        ${tagsLine(this.session, m.tags)}
      </div>
      <div class="snacs">
        <div class="snac"><span class="who">model</span><img src=${this.session.snacUrl(m.id, { height: 40 })} alt="SNAC of ${m.id}"></div>
        ${m.parent ? html`<div class="snac"><span class="who">parent <button @click=${() => this.session.select(m.parent)}
            aria-label="Inspect the parent ${m.parent}">${m.parent}</button></span>
          <img src=${this.session.snacUrl(m.parent, { height: 40 })} alt="SNAC of the parent ${m.parent}"></div>`
          : comparing ? html`<div class="snac no-parent"><span class="who">parent</span><span class="muted">none (sampled)</span></div>` : nothing}
      </div>
      ${!comparing && m.parent && state.models.has(m.parent) ? this.diffPart(m.parent, m.id) : nothing}
      ${this.stats(m, base, state)}
      ${notesPart(this, m.id, m.notes ?? [], this.session.cursor !== null)}
      ${(this.loadKept(), modelOutPart(this.session, m, this.kept.get(m.id), this.longer, {
        epochs: (v) => { this.longer = v; },
        continue: (id) => this.trainLonger(id),
        retrain: (id) => this.post({ type: "enqueue", models: [id] }),
      }, this.session.cursor !== null))}
      ${replicatesPart(state, m, this.seeds, {
        seeds: (v) => { this.seeds = v; },
        replicate: (id) => this.replicate(id),
        select: (id) => this.session.select(id),
      }, this.session.cursor !== null)}
      <section class="part curves" aria-label="Training curves of ${m.id}">
        <h2>Training curves ${m.curve.length ? figureMenu(this.session, "curves", { models: [m.id] }) : nothing}</h2>
        ${m.curve.length ? this.curves(m) : html`<div class="note">${m.status === "queued" || m.status === "created" ? "not trained yet" : m.status === "running" ? "the first epoch is training…" : "no epoch recorded"}</div>`}
      </section>
      ${r ? html`<div class="split">
        <section class="part per-class" aria-label="Accuracy per class of ${m.id}">
          <h2>Accuracy per class ${figureMenu(this.session, "per-class", { models: [m.id] })}</h2>
          ${perClassBars({ model: m.id, result: r, names, selectedClass: this.session.viewOf(state).selected_class })}
        </section>
        <section class="part confusion" aria-label="Confusion matrix of ${m.id}">
          <h2>Confusion matrix ${figureMenu(this.session, "confusion", { models: [m.id] })}</h2>
          ${this.matrix(m, names)}
        </section>
      </div>` : html`<div class="note">Accuracy per class and the confusion matrix appear when the training ends.</div>`}
    </article>`;
  }

  stats(m, base, state) {
    const r = m.result;
    const test = describeAccuracy(state, m, "test");
    const val = describeAccuracy(state, m, "val_best");
    const delta = (value, baseValue, format, higherIsBetter = true) => {
      if (!base || value === null || value === undefined || baseValue === null || baseValue === undefined) return nothing;
      const d = value - baseValue;
      const good = higherIsBetter ? d > 0 : d < 0;
      return html`<small class=${d === 0 ? "" : good ? "up" : "down"} title="vs ${base.id}">${formatDelta(d, format)}</small>`;
    };
    const perLog = r && m.params > 1 ? r.test_acc / Math.log10(m.params) : null;
    const basePerLog = base?.result && base.params > 1 ? base.result.test_acc / Math.log10(base.params) : null;
    const ms = (x) => (x === null || x === undefined ? "—" : `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`);
    const stat = (label, value, extra = nothing, title = "") =>
      html`<div title=${title}><dt>${label}</dt><dd>${value}${extra}</dd></div>`;
    return html`<dl class="stats">
      ${stat("test acc", test ? test.text : "—", delta(r?.test_acc, base?.result?.test_acc, formatAcc), test?.title ?? "")}
      ${stat("val acc, best epoch", val ? val.text : "—", nothing, val?.title ?? "")}
      ${stat("95 % interval (test)", test?.ci ?? "—", nothing, test ? `Wilson interval on ${test.n} test examples: differences inside it are noise` : "")}
      ${stat("params", formatCount(m.params), delta(m.params, base?.params, formatCount, false))}
      ${stat("flops", formatCount(m.flops), delta(m.flops, base?.flops, formatCount, false))}
      ${stat("acc / log₁₀ params", perLog === null ? "—" : perLog.toFixed(3), delta(perLog, basePerLog, (x) => x.toFixed(3)),
        "test accuracy divided by log10 of the number of parameters")}
      ${stat("forward", ms(r?.forward_ms), nothing, "per batch")}
      ${stat("backward", ms(r?.backward_ms), nothing, "per batch")}
      ${stat("epochs", r ? `${r.epochs}${r.stopped_early ? " (early)" : ""}` : String(m.curve.length),
        r && r.best_epoch !== r.epochs ? html`<small>best ${r.best_epoch}</small>` : nothing)}
      ${stat("training time", r ? formatSeconds(r.wall_s) : "—")}
    </dl>`;
  }

  curves(m) {
    const { loss, acc } = trainingCurves(m.curve, this.byTime);
    return html`${legend}<div class="charts">
      <figure><figcaption>Loss</figcaption>${loss}</figure>
      <figure><figcaption>Accuracy</figcaption>${acc}</figure>
    </div>`;
  }

  matrix(m, names) {
    const focus = this.cellFocus.get(m.id) ?? [0, 0];
    const pop = this.cellPop?.model === m.id ? this.cellPop : null;
    const on = {
      enter: (r, c, el) => this.openCell(m.id, r, c, el),
      leave: (blurred) => {
        if (this.cellPop?.model === m.id && (blurred || !this.cellPop.keyboard)) this.closeCell();
      },
      key: (e) => this.onKey(e, m),
    };
    let popover = nothing;
    if (pop) {
      const d = this.data;
      const examples = d.value
        ? { ready: true, ...cellExamples(d.value.test_labels, unpackLabels(m.result.predictions), pop.r, pop.c, 8) }
        : { ready: d.ready, error: d.error && `examples unavailable: ${d.error}`, indices: [], total: 0 };
      popover = cellPopover({
        names, truth: pop.r, predicted: pop.c, examples, position: pop,
        imageUrl: (i) => this.session.imageUrl("test", i),
      });
    }
    return html`<div class="cm-wrap">
      ${confusionMatrix({ model: m.id, result: m.result, names, focus, active: pop ? [pop.r, pop.c] : null, on })}
      ${popover}
    </div>
    <div class="cm-key"><span><i style="background:#0072B2"></i>correct</span><span><i style="background:#D55E00"></i>confused</span><span>rows: true · columns: predicted</span></div>`;
  }

  openCell(model, r, c, el) {
    const wrap = el.closest(".cm-wrap");
    const width = 178;
    // below the hovered row when it is in the upper half, else above it: the row stays
    // visible; horizontally as close to the cell as the panel allows
    const room = this.getBoundingClientRect().right - wrap.getBoundingClientRect().left;
    const left = Math.max(0, Math.min(el.offsetLeft - 20, room - width - 4));
    const below = el.offsetTop + el.offsetHeight / 2 < wrap.offsetHeight / 2;
    const height = 44 + 40 * Math.min(2, Math.ceil(Math.min(8, +el.dataset.count || 1) / 4));
    const top = below ? el.offsetTop + el.offsetHeight + 4 : Math.max(0, el.offsetTop - height - 4);
    const keyboard = this.shadowRoot.activeElement === el;
    const p = this.cellPop;
    if (p && p.model === model && p.r === r && p.c === c) return;
    this.cellPop = { model, r, c, left, top, keyboard };
    this.requestRender();
  }

  closeCell() {
    if (!this.cellPop) return;
    this.cellPop = null;
    this.requestRender();
  }

  onKey(e, m) {
    const cell = e.target.closest?.(".cell");
    if (!cell) return;
    if (e.key === "Escape") {
      this.closeCell();
      return;
    }
    const n = m.result.confusion.length;
    let r = +cell.dataset.r;
    let c = +cell.dataset.c;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[e.key]) {
      r = Math.max(0, Math.min(n - 1, r + moves[e.key][0]));
      c = Math.max(0, Math.min(n - 1, c + moves[e.key][1]));
    } else if (e.key === "Home") c = 0;
    else if (e.key === "End") c = n - 1;
    else return;
    e.preventDefault();
    this.cellFocus.set(m.id, [r, c]);
    this.renderNow();
    const next = cell.parentElement.parentElement.querySelector(`.cell[data-r="${r}"][data-c="${c}"]`);
    next?.focus();
  }
}

customElements.define("remap-inspector", RemapInspector);
