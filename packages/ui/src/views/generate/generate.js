// <remap-generate>: make children of the chosen model (the paper's Fig. 1C) — ablations
// over a brushed range of layers (Fig. 3a), constrained variations (Fig. 3b), or a
// handcrafted model edited on its SNAC (Fig. 5) — and follow them in the children table
// (Fig. 7) as they train.
//
// The chosen model, the base, is the page's `session.ui.base` (set with the selection
// when a model is clicked in the overview or drawer, or picked here; the children table
// selects a child without re-basing: "Generate from this" does that). Without one the
// view offers the drawer's and the trained models. Commands: ablate {model, indices},
// vary {model, count, max_changes, seed?, allowed {index: [kinds]}}, handcraft {model,
// edits}. The handcraft preview is the server's SNAC renderer on the edited
// architecture, computed here as the server will (generate/layers.js applyEdits).

import { html, nothing } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { RemapElement } from "../../core/element.js";
import { describeAccuracy } from "../../core/metrics.js";
import { formatAcc, formatCount, formatDelta } from "../../core/theme.js";
import { ablationProblems, checkArch } from "./arch-check.js";
import { block, cellStyles } from "./cells.js";
import { capField, capStyles } from "./cap.js";
import { childrenStyles, childrenTable } from "./children.js";
import { diffUrl } from "../snac-chip/snac-diff.js";
import { boundedInt, freshForms, KIND_HINTS, paramFields, VARIATION_KINDS } from "./forms.js";
import { applyEdits, describeEdit, describeLayer, LAYER_TYPES, makeLayer, paramsOf, styleOf } from "./layers.js";
import { emptyTraining, trainingFields, trainingOverrides, trainingStyles } from "./training.js";

const MODES = [
  ["ablate", "Ablations"],
  ["vary", "Variations"],
  ["handcraft", "Handcraft"],
];

const styles = `
${cellStyles}
${childrenStyles}
${capStyles}
${trainingStyles}
:host { min-width: 0; }
.head { display: flex; gap: 12px; align-items: center; margin-bottom: 8px; min-height: 64px; }
.head .snac { flex: 0 1 auto; min-width: 0; height: 56px; display: flex; align-items: center; }
.head .snac img { max-height: 56px; max-width: 100%; display: block; }
.head .facts { display: flex; flex-direction: column; gap: 3px; margin-left: auto; flex: 0 0 auto; align-items: flex-end; }
.head .facts .stats { color: var(--remap-muted); font-variant-numeric: tabular-nums; font-size: 12px; }
select.model-picker { max-width: 240px; padding: 2px 4px; border: 1px solid var(--remap-border); border-radius: 4px; background: var(--remap-bg); }
button.link { border: none; background: none; padding: 0; color: var(--remap-accent); cursor: pointer; }
button.link:hover { text-decoration: underline; }
.choose { padding: 18px 12px; border: 1px dashed var(--remap-border); border-radius: var(--remap-radius); text-align: center; }
.choose p { margin: 0 0 8px; color: var(--remap-muted); }
[role="radiogroup"] {
  display: inline-flex; border: 1px solid var(--remap-border); border-radius: var(--remap-radius); overflow: hidden; margin-bottom: 8px;
}
[role="radio"] { border: none; border-radius: 0; padding: 4px 14px; background: var(--remap-bg); }
[role="radio"] + [role="radio"] { border-left: 1px solid var(--remap-border); }
[role="radio"][aria-checked="true"] { background: var(--remap-accent); color: #fff; }
.mode { border: 1px solid var(--remap-border); border-radius: var(--remap-radius); background: var(--remap-panel); padding: 8px 10px; margin-bottom: 12px; }
.hint { margin: 0 0 6px; color: var(--remap-muted); font-size: 12px; }
.actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-top: 8px; }
.actions .spacer { flex: 1; }
.actions .count { color: var(--remap-muted); font-variant-numeric: tabular-nums; }
.brush .cell[aria-pressed="true"] { background: var(--remap-accent-soft); border-color: var(--remap-accent); }
.brush .cell[aria-pressed="false"] .block { opacity: .35; }
.brush .cell { cursor: pointer; }
.note { margin: 8px 0 0; padding: 6px 8px; border-radius: var(--remap-radius); background: var(--remap-bg); border: 1px solid var(--remap-border); font-size: 12px; }
.note ul { margin: 4px 0 0; padding-left: 18px; }
.inline-error { margin: 8px 0 0; padding: 6px 8px; border-radius: var(--remap-radius); background: #fff4ec; border: 1px solid var(--remap-danger); color: var(--remap-danger); font-size: 12px; }
code { font-family: var(--remap-mono); font-size: 11px; background: rgba(0,0,0,.05); padding: 0 3px; border-radius: 3px; color: var(--remap-text); }
.vary-grid { overflow-x: auto; padding-bottom: 2px; }
.vary-grid table { width: auto; border-collapse: separate; border-spacing: 0; }
.vary-grid th, .vary-grid td { border: none; padding: 1px 0; text-align: center; font-weight: 400; }
.vary-grid th.kind { text-align: left; padding-right: 6px; font-weight: 400; color: var(--remap-text); position: sticky; left: 0; background: var(--remap-panel); }
.vary-grid th.kind button { padding: 0 6px; font-size: 12px; width: 112px; text-align: left; }
.vary-grid td { width: 40px; }
.vary-grid input { width: 15px; height: 15px; margin: 2px; accent-color: var(--remap-accent); cursor: pointer; }
.vary-grid .cell { cursor: default; }
.numbers { display: flex; gap: 12px; flex-wrap: wrap; align-items: end; margin-top: 8px; }
.numbers label, .field { display: inline-flex; flex-direction: column; gap: 2px; font-size: 11px; color: var(--remap-muted); }
.numbers input { color: var(--remap-text); width: 76px; padding: 2px 4px; border: 1px solid var(--remap-border); border-radius: 4px; background: var(--remap-bg); }
.field select { color: var(--remap-text); min-width: 64px; padding: 2px; border: 1px solid var(--remap-border); border-radius: 4px; background: var(--remap-bg); }
.editor { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 4px 0; }
.editor .cell { cursor: pointer; }
.editor .cell.new { border: 1px dashed var(--remap-ok); }
.editor .cell.changed .index::after { content: " •"; color: var(--remap-accent); font-weight: 700; }
.editor .cell[aria-expanded="true"] { background: var(--remap-accent-soft); border-color: var(--remap-accent); }
.handle {
  width: 14px; height: 30px; padding: 0; margin-top: 1px; border: 1px dashed transparent; background: none;
  color: var(--remap-muted); font-weight: 700; line-height: 1; border-radius: 3px;
}
.handle:hover, .handle[aria-expanded="true"] { border-color: var(--remap-accent); color: var(--remap-accent); background: var(--remap-accent-soft); }
.popover { margin-top: 8px; padding: 8px; background: var(--remap-bg); border: 1px solid var(--remap-accent); border-radius: var(--remap-radius); }
.popover .title { font-weight: 600; margin-bottom: 6px; }
.popover .fields { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; }
.edits { margin: 8px 0 0; padding: 0; list-style: none; counter-reset: edit; }
.edits li { display: flex; align-items: center; gap: 6px; padding: 2px 0; counter-increment: edit; font-size: 12px; }
.edits li::before { content: counter(edit) "."; color: var(--remap-muted); width: 16px; text-align: right; }
.edits li.bad { color: var(--remap-danger); }
.edits li button { padding: 0 6px; line-height: 1.3; }
.preview { margin-top: 8px; display: grid; grid-template-columns: 64px 1fr; gap: 4px 8px; align-items: center; min-height: 60px; }
.preview .label { color: var(--remap-muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; }
.preview .frame { height: 60px; display: flex; align-items: center; min-width: 0; }
.preview img { max-height: 56px; max-width: 100%; display: block; }
.preview .cost { font-variant-numeric: tabular-nums; font-size: 12px; }
.preview .invalid { font-size: 12px; }
.cell.invalid { border-style: dashed; }
.cell.invalid .index { color: var(--remap-danger); }
.note details summary { cursor: pointer; color: var(--remap-accent); margin-top: 4px; }
.note ul { max-height: 220px; overflow: auto; }
.field input { color: var(--remap-text); width: 72px; padding: 2px 4px; border: 1px solid var(--remap-border); border-radius: 4px; background: var(--remap-bg); }
.field-note { margin: 6px 0 0; color: var(--remap-warn); }
.children-head { display: flex; align-items: baseline; gap: 8px; }
.children-head .muted { font-size: 12px; }
`;

export class RemapGenerate extends RemapElement {
  static styles = styles;

  constructor() {
    super();
    this.mode = "ablate";
    this.forms = freshForms(null);
    this.training = emptyTraining(); // per-child training overrides, kept across models
    this.brush = null; // {anchor, base, moved, additive} while a pointer drags over the cells
    this.preview = { key: null, url: null, error: null, pending: false, version: 0 };
    this._previewTimer = 0;
    this._previewAsk = 0;
    this._endBrush = () => this.endBrush();
    this.childView = { sort: null, open: new Set() }; // the children table's sort {key, dir} and expanded rows
  }

  toggleChild(id) {
    const open = this.childView.open;
    if (open.has(id)) open.delete(id);
    else open.add(id);
    this.requestRender();
  }

  /** Click a header: sort by it (numbers high first), again to reverse, again: newest first. */
  sortChildren(key) {
    const s = this.childView.sort;
    const first = key === "id" || key === "changes" || key === "status" ? 1 : -1;
    this.childView.sort = !s || s.key !== key ? { key, dir: first } : s.dir === first ? { key, dir: -first } : null;
    this.requestRender();
  }

  connectedCallback() {
    super.connectedCallback();
    window.addEventListener("pointerup", this._endBrush);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener("pointerup", this._endBrush);
    clearTimeout(this._previewTimer);
    if (this.preview.url) URL.revokeObjectURL(this.preview.url);
  }

  /** The base model (null: none, or not in the state the timeline shows). */
  get model() {
    const id = this.session?.ui.base ?? this.session?.ui.selected;
    return id ? this.session.state.models.get(id) ?? null : null;
  }

  /** Reset the forms when another model is chosen. */
  sync(model) {
    if ((model?.id ?? null) === this.forms.model) return;
    this.forms = freshForms(model);
    this.brush = null;
    this.schedulePreview();
  }

  setMode(mode) {
    this.mode = mode;
    this.requestRender();
    if (mode === "handcraft") this.schedulePreview();
  }

  // --- commands --------------------------------------------------------------------

  async send(command, onDone) {
    const train = trainingOverrides(this.training);
    if (train) command.train = train; // issue 19: how these children train
    const f = this.forms;
    f.error = null;
    f.note = null;
    this.busy = true;
    this.requestRender();
    try {
      const accepted = await this.session.post(command);
      if (this.forms === f) {
        onDone(accepted);
        if (f.note) f.note.mode = command.type;
      }
    } catch (error) {
      this.emit("remap-error", { error }); // the page's toast
      if (this.forms === f) f.error = { mode: command.type, message: error.message ?? String(error), path: error.path ?? null };
    } finally {
      this.busy = false;
      this.requestRender();
    }
  }

  /** The note after an ablate or vary command: how many children it made (counted in
   * the state from the seqs it appended, so it is the truth, not the request), and what
   * it skipped, collapsed when long. */
  resultNote(kind, model, accepted) {
    const skipped = accepted?.skipped ?? [];
    const what = kind === "ablate" ? "layer" : "try";
    return {
      kind,
      model: model.id,
      first: accepted?.first_seq ?? null,
      last: accepted?.last_seq ?? null,
      skipped: skipped.map((x) => `${what} ${x.index_or_attempt}: ${x.reason}`),
      items: [],
    };
  }

  /** The note's text, from the models the command made that the state holds now. */
  noteText(note) {
    if (!note.kind) return note.text;
    let made = 0;
    if (note.first !== null) {
      for (const m of this.session.live.models.values()) {
        if (m.parent === note.model && m.created_seq >= note.first && m.created_seq <= note.last) made += 1;
      }
    }
    const noun = note.kind === "ablate" ? "ablation" : "variation";
    const n = note.skipped.length;
    const skipped = !n
      ? ""
      : note.kind === "ablate"
        ? ` ${n} layer${n === 1 ? "" : "s"} skipped (the model would be invalid or a duplicate).`
        : ` ${n} ${n === 1 ? "try was" : "tries were"} discarded on the way (invalid or duplicate models).`;
    return `Queued ${made} ${noun}${made === 1 ? "" : "s"} of ${note.model}.${skipped}`;
  }

  runAblations(model) {
    const indices = [...this.forms.ablate].sort((a, b) => a - b);
    if (!indices.length) return;
    this.send({ type: "ablate", model: model.id, indices }, (accepted) => {
      this.forms.note = this.resultNote("ablate", model, accepted);
    });
  }

  allowedMap() {
    const allowed = {};
    this.forms.allowed.forEach((kinds, i) => {
      if (kinds.size) allowed[i] = VARIATION_KINDS.filter((k) => kinds.has(k));
    });
    return allowed;
  }

  runVariations(model) {
    const f = this.forms;
    const command = { type: "vary", model: model.id, count: f.count, max_changes: f.maxChanges, allowed: this.allowedMap() };
    if (f.seed !== "") command.seed = Number(f.seed);
    this.send(command, (accepted) => {
      this.forms.note = this.resultNote("vary", model, accepted);
    });
  }

  createHandcrafted(model) {
    const edits = this.forms.edits.map((e) => e.edit);
    if (!edits.length) return;
    this.send({ type: "handcraft", model: model.id, edits }, () => {
      this.forms.edits = [];
      this.forms.focus = null;
      this.forms.note = { text: `Queued a handcrafted child of ${model.id} (${edits.length} edit${edits.length === 1 ? "" : "s"}).`, skipped: [] };
      this.schedulePreview();
    });
  }

  // --- ablations: the brushing selector --------------------------------------------

  cellIndex(e) {
    const cell = e.target.closest?.("[data-index]");
    return cell ? Number(cell.dataset.index) : null;
  }

  startBrush(e) {
    if (e.button !== 0) return;
    const i = this.cellIndex(e);
    if (i === null) return;
    e.preventDefault(); // no text selection while dragging
    e.target.closest("[data-index]").focus();
    this.brush = { anchor: i, base: new Set(this.forms.ablate), moved: false, additive: e.shiftKey || e.ctrlKey || e.metaKey };
  }

  moveBrush(e) {
    const b = this.brush;
    if (!b) return;
    const i = this.cellIndex(e);
    if (i === null || (i === b.anchor && !b.moved)) return;
    b.moved = true;
    const next = b.additive ? new Set(b.base) : new Set();
    for (let k = Math.min(i, b.anchor); k <= Math.max(i, b.anchor); k++) next.add(k);
    this.forms.ablate = next;
    this.requestRender();
  }

  endBrush() {
    const b = this.brush;
    if (!b) return;
    this.brush = null;
    if (!b.moved) this.toggleAblation(b.anchor);
  }

  toggleAblation(i) {
    const next = new Set(this.forms.ablate);
    if (next.has(i)) next.delete(i);
    else next.add(i);
    this.forms.ablate = next;
    this.requestRender();
  }

  cellKey(e, n) {
    const i = this.cellIndex(e);
    if (i === null) return;
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (step) {
      e.preventDefault();
      const j = Math.min(n - 1, Math.max(0, i + step));
      if (e.shiftKey) {
        this.forms.ablate = new Set([...this.forms.ablate, i, j]);
        this.requestRender();
      }
      this.shadowRoot.querySelector(`.brush [data-index="${j}"]`)?.focus();
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      this.toggleAblation(i);
    }
  }

  ablateTemplate(model) {
    const layers = model.arch.layers;
    const sel = this.forms.ablate;
    const problems = ablationProblems(model.arch.input, layers, this.session.state.settings?.limits ?? null);
    const invalid = [...sel].sort((a, b) => a - b).filter((i) => problems[i] !== null);
    const n = sel.size - invalid.length;
    return html`
      <p class="hint">Each ablation is the model with one layer removed. Drag across layers to choose a range; click toggles one (shift-drag adds).</p>
      <div class="cells brush" role="group" aria-label="layers to ablate"
          @pointerdown=${(e) => this.startBrush(e)} @pointermove=${(e) => this.moveBrush(e)}
          @keydown=${(e) => this.cellKey(e, layers.length)}>
        ${layers.map((layer, i) => html`<button class="cell ${problems[i] ? "invalid" : ""}" data-index=${i} aria-pressed=${sel.has(i) ? "true" : "false"}
            aria-label="layer ${i}: ${describeLayer(layer)}${problems[i] ? ` (removing it: ${problems[i]})` : ""}"
            title="${i}: ${describeLayer(layer)}${problems[i] ? `\nremoving it: ${problems[i]}` : ""}">
          ${block(layer)}<span class="index">${i}</span></button>`)}
      </div>
      <div class="actions">
        <button @click=${() => { this.forms.ablate = new Set(layers.map((_, i) => i)); this.requestRender(); }}>All</button>
        <button @click=${() => { this.forms.ablate = new Set(); this.requestRender(); }}>None</button>
        <span class="count">${sel.size} of ${layers.length} layers</span>
        <span class="spacer"></span>
        <button class="primary run" ?disabled=${!n || this.busy} @click=${() => this.runAblations(model)}>
          Run ${n} ablation${n === 1 ? "" : "s"}</button>
      </div>
      ${invalid.length
        ? html`<div class="note invalid-note" role="status">${invalid.length} of the ${sel.size} chosen would be invalid and are skipped:
            ${this.list(invalid.map((i) => `layer ${i}: ${problems[i]}`))}</div>`
        : nothing}`;
  }

  /** A list, collapsed behind a summary when longer than a few lines. */
  list(items, open = 3) {
    if (!items.length) return nothing;
    const ul = html`<ul>${items.map((t) => html`<li>${t}</li>`)}</ul>`;
    return items.length <= open ? ul : html`<details><summary>show all ${items.length}</summary>${ul}</details>`;
  }

  // --- variations --------------------------------------------------------------------

  /** A number field's value as typed (the label follows it at once), kept in [lo, hi]
   * with a word when it was out of range. */
  setNumber(key, text, lo, hi, commit) {
    const f = this.forms;
    const { value, note } = boundedInt(text, lo, hi, f[key], key === "count" ? "count" : "max changes");
    f[key] = value;
    f.fieldNote = { ...(f.fieldNote ?? {}), [key]: note };
    this.requestRender();
    return commit ? value : null;
  }

  toggleKind(i, kind) {
    const kinds = this.forms.allowed[i];
    if (kinds.has(kind)) kinds.delete(kind);
    else kinds.add(kind);
    this.requestRender();
  }

  toggleRow(kind) {
    const all = this.forms.allowed.every((k) => k.has(kind));
    for (const kinds of this.forms.allowed) {
      if (all) kinds.delete(kind);
      else kinds.add(kind);
    }
    this.requestRender();
  }

  varyTemplate(model) {
    const f = this.forms;
    const layers = model.arch.layers;
    const none = f.allowed.every((k) => !k.size);
    return html`
      <p class="hint">Variations are random neighbours of the model: 1 to max changes each, only of the kinds ticked per layer.</p>
      <div class="vary-grid">
        <table aria-label="allowed changes per layer">
          <thead><tr><th class="kind"></th>
            ${layers.map((layer, i) => html`<th scope="col" title="${i}: ${describeLayer(layer)}">
              <span class="cell">${block(layer)}<span class="index">${i}</span></span></th>`)}
          </tr></thead>
          <tbody>${VARIATION_KINDS.map((kind) => html`<tr>
            <th class="kind" scope="row"><button title="toggle ${kind} at every layer" aria-label="toggle ${kind} at every layer"
              aria-pressed=${f.allowed.every((k) => k.has(kind)) ? "true" : "false"} @click=${() => this.toggleRow(kind)}>${kind}</button></th>
            ${layers.map((layer, i) => html`<td><input type="checkbox" data-kind=${kind} data-index=${i}
              .checked=${f.allowed[i].has(kind)} title="${kind} at layer ${i}: ${KIND_HINTS[kind]}"
              aria-label="${kind} at layer ${i} (${styleOf(layer.type).label})" @change=${() => this.toggleKind(i, kind)}></td>`)}
          </tr>`)}</tbody>
        </table>
      </div>
      <div class="numbers">
        <label>count<input type="number" name="count" min="1" max="200" .value=${String(f.count)} aria-label="number of variations"
          @input=${(e) => this.setNumber("count", e.target.value, 1, 200, false)}
          @change=${(e) => { e.target.value = this.setNumber("count", e.target.value, 1, 200, true); }}></label>
        <label>max changes<input type="number" name="max_changes" min="1" max="16" .value=${String(f.maxChanges)} aria-label="most changes per variation"
          @input=${(e) => this.setNumber("maxChanges", e.target.value, 1, 16, false)}
          @change=${(e) => { e.target.value = this.setNumber("maxChanges", e.target.value, 1, 16, true); }}></label>
        <label>seed (optional)<input type="number" name="seed" min="0" placeholder="random" .value=${f.seed} aria-label="seed"
          @change=${(e) => { f.seed = e.target.value === "" ? "" : String(boundedInt(e.target.value, 0, Number.MAX_SAFE_INTEGER, 0, "seed").value); e.target.value = f.seed; }}></label>
        <span class="spacer" style="flex:1"></span>
        <button class="primary run" ?disabled=${none || this.busy} title=${none ? "tick at least one change" : ""}
          @click=${() => this.runVariations(model)}>Run ${f.count} variation${f.count === 1 ? "" : "s"}</button>
      </div>
      ${Object.values(f.fieldNote ?? {}).filter(Boolean).map((t) => html`<p class="hint field-note" role="status">${t}</p>`)}`;
  }

  // --- handcraft -----------------------------------------------------------------------

  edited(model) {
    return applyEdits(model.arch.layers, this.forms.edits.map((e) => e.edit));
  }

  openLayer(layers, i) {
    const f = this.forms;
    if (f.focus?.kind === "layer" && f.focus.index === i) f.focus = null;
    else f.focus = { kind: "layer", index: i, values: paramsOf(layers[i]) };
    this.requestRender();
  }

  openInsert(i) {
    const f = this.forms;
    if (f.focus?.kind === "insert" && f.focus.index === i) f.focus = null;
    else f.focus = { kind: "insert", index: i, type: "conv", values: paramsOf(makeLayer("conv")) };
    this.requestRender();
  }

  addEdit(edit) {
    const f = this.forms;
    f.edits = [...f.edits, { edit, key: `${Date.now()}-${Math.random()}` }];
    f.focus = null;
    f.error = null;
    this.requestRender();
    this.schedulePreview();
  }

  dropEdit(key) {
    this.forms.edits = this.forms.edits.filter((e) => e.key !== key);
    this.forms.error = null;
    this.requestRender();
    this.schedulePreview();
  }

  popoverTemplate(model, layers) {
    const f = this.forms;
    const focus = f.focus;
    if (!focus) return nothing;
    const classes = model.arch.input.classes;
    const set = (key, value) => {
      focus.values = { ...focus.values, [key]: value };
      this.requestRender();
    };
    const cancel = html`<button @click=${() => { f.focus = null; this.requestRender(); }}>Cancel</button>`;
    if (focus.kind === "insert") {
      return html`<div class="popover" role="dialog" aria-label="insert a layer at ${focus.index}">
        <div class="title">Insert a layer at position ${focus.index}</div>
        <div class="fields">
          <label class="field" for="insert-type"><span>type</span>
            <select id="insert-type" aria-label="layer type" @change=${(e) => {
              focus.type = e.target.value;
              focus.values = paramsOf(makeLayer(focus.type));
              this.requestRender();
            }}>${LAYER_TYPES.map((t) => html`<option value=${t} ?selected=${t === focus.type}>${t}</option>`)}</select></label>
          ${paramFields(focus.type === "relu" || focus.type === "tanh" || focus.type === "sigmoid" ? {} : focus.values, classes, set, "insert")}
          <button class="primary" @click=${() => this.addEdit({ op: "insert", index: focus.index, layer: makeLayer(focus.type, focus.values) })}>Insert</button>
          ${cancel}
        </div></div>`;
    }
    const layer = layers[focus.index];
    if (!layer) return nothing;
    const before = paramsOf(layer);
    const changed = Object.fromEntries(Object.entries(focus.values).filter(([k, v]) => before[k] !== v));
    const hasParams = Object.keys(before).length > 0;
    return html`<div class="popover" role="dialog" aria-label="edit layer ${focus.index}">
      <div class="title">Layer ${focus.index}: ${describeLayer(layer)}</div>
      <div class="fields">
        ${hasParams ? paramFields(focus.values, classes, set, "reparam") : html`<span class="muted">no parameters</span>`}
        ${hasParams ? html`<button class="primary" ?disabled=${!Object.keys(changed).length}
            @click=${() => this.addEdit({ op: "reparam", index: focus.index, params: changed })}>Reparameterize</button>` : nothing}
        <button @click=${() => this.addEdit({ op: "remove", index: focus.index })}>Remove layer</button>
        ${cancel}
      </div></div>`;
  }

  handcraftTemplate(model) {
    const f = this.forms;
    const { layers, marks, error } = this.edited(model);
    const check = error ? null : checkArch(model.arch.input, layers, this.session.state.settings?.limits ?? null);
    const invalid = check?.error ?? null;
    const focus = f.focus;
    const handle = (i) => html`<button class="handle" aria-label="insert a layer at ${i}" title="insert a layer here"
      aria-expanded=${focus?.kind === "insert" && focus.index === i ? "true" : "false"} @click=${() => this.openInsert(i)}>+</button>`;
    const p = this.preview;
    return html`
      <p class="hint">Click a layer to remove or reparameterize it; click a + to insert a layer there. Edits apply in order.</p>
      <div class="editor" role="group" aria-label="edited architecture">
        ${layers.map((layer, i) => html`${handle(i)}<button class="cell ${marks[i]}" data-index=${i}
            aria-expanded=${focus?.kind === "layer" && focus.index === i ? "true" : "false"}
            aria-label="layer ${i}: ${describeLayer(layer)}${marks[i] ? ` (${marks[i]})` : ""}"
            title="${i}: ${describeLayer(layer)}${marks[i] ? ` (${marks[i]})` : ""}"
            @click=${() => this.openLayer(layers, i)}>${block(layer)}<span class="index">${i}</span></button>`)}
        ${handle(layers.length)}
      </div>
      ${this.popoverTemplate(model, layers)}
      ${f.edits.length
        ? html`<ol class="edits" aria-label="edits">${repeat(f.edits, (e) => e.key, (e, j) => html`<li class=${error && error.index <= j ? "bad" : ""}>
            <span>${describeEdit(e.edit)}${error && error.index === j ? html` — ${error.message}` : ""}</span>
            <button aria-label="undo edit ${j + 1}" title="undo this edit" @click=${() => this.dropEdit(e.key)}>×</button></li>`)}</ol>`
        : html`<p class="hint" style="margin-top:8px">No edits yet.</p>`}
      <div class="preview" aria-live="polite">
        <span class="label">Preview</span>
        <div class="frame">
          ${p.error
            ? html`<span class="preview-error error">${p.error.message}${p.error.path ? html` at <code>${p.error.path}</code>` : ""}</span>`
            : p.url
              ? html`<img class="preview-img" src=${p.url} data-version=${p.version} alt="SNAC of the edited architecture" />`
              : html`<span class="muted">${p.pending ? "rendering…" : ""}</span>`}
        </div>
        <span class="label">Cost</span>
        <div class="cost" aria-label="cost of the edited model">${check && check.params !== null
          ? html`<span>${formatCount(check.params)} params</span> · <span>${formatCount(check.flops)} FLOPs</span>
              <span class="muted">(${formatDelta(check.params - model.params, formatCount)} params vs ${model.id})</span>`
          : html`<span class="muted">—</span>`}</div>
        ${invalid ? html`<span class="label">Invalid</span><div class="invalid error" role="alert">${invalid.index === null ? "" : `layer ${invalid.index}: `}${invalid.message}</div>` : nothing}
      </div>
      <div class="actions">
        <button ?disabled=${!f.edits.length} @click=${() => { f.edits = []; f.focus = null; f.error = null; this.requestRender(); this.schedulePreview(); }}>Clear edits</button>
        <span class="spacer"></span>
        <button class="primary run" ?disabled=${!f.edits.length || this.busy || !!error || !!invalid || !!p.error || p.pending}
          title=${invalid ? `the edited model is invalid: ${invalid.message}` : p.error ? "the preview shows the edited model is invalid" : ""}
          @click=${() => this.createHandcrafted(model)}>Create handcrafted model</button>
      </div>`;
  }

  /** Render the edited architecture's SNAC (debounced; an older answer is dropped). */
  schedulePreview() {
    clearTimeout(this._previewTimer);
    this._previewTimer = setTimeout(() => this.renderPreview(), 120);
  }

  async renderPreview() {
    const model = this.model;
    if (!model || !this.session) return;
    const { layers } = this.edited(model);
    const spec = { name: `${model.id} edited`, input: model.arch.input, layers };
    const key = JSON.stringify(spec);
    if (key === this.preview.key) return;
    const ask = ++this._previewAsk;
    this.preview.pending = true;
    this.requestRender();
    const url = new URL(this.session.url("/api/snacs/render"));
    url.searchParams.set("height", "56");
    url.searchParams.set("layout", "variable");
    let next;
    try {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: key });
      if (response.ok) {
        next = { url: URL.createObjectURL(await response.blob()), error: null };
      } else {
        const body = await response.json().catch(() => ({}));
        const message = String(body.error ?? `HTTP ${response.status}`).replace(/ - at `[^`]*`$/, "");
        next = { url: null, error: { message, path: body.path ?? null } };
      }
    } catch (error) {
      next = { url: null, error: { message: `the REMAP server at ${this.session.root} does not answer; is it running?`, path: null } };
    }
    if (ask !== this._previewAsk) {
      if (next.url) URL.revokeObjectURL(next.url);
      return;
    }
    if (this.preview.url) URL.revokeObjectURL(this.preview.url);
    this.preview = { key, ...next, pending: false, version: this.preview.version + 1 };
    this.requestRender();
  }

  // --- the whole view --------------------------------------------------------------------

  pickerTemplate(selected) {
    const state = this.session.state;
    const drawer = state.drawer.filter((id) => state.models.has(id));
    const done = [...state.models.values()].filter((m) => m.status === "done" && !drawer.includes(m.id)).map((m) => m.id);
    const label = (id) => {
      const m = state.models.get(id);
      const acc = m.result ? ` · test ${formatAcc(m.result.test_acc)}` : "";
      return `${id} · ${formatCount(m.params)} params${acc}`;
    };
    const option = (id) => html`<option value=${id} ?selected=${id === selected}>${label(id)}</option>`;
    const others = selected && !drawer.includes(selected) && !done.includes(selected) && state.models.has(selected) ? [selected] : [];
    return html`<select class="model-picker" aria-label="model to generate from"
        @change=${(e) => e.target.value && this.session.select(e.target.value)}>
      ${selected ? nothing : html`<option value="" selected>Choose a model…</option>`}
      ${others.map(option)}
      ${drawer.length ? html`<optgroup label="Drawer">${drawer.map(option)}</optgroup>` : nothing}
      ${done.length ? html`<optgroup label="Trained">${done.map(option)}</optgroup>` : nothing}
    </select>`;
  }

  modesTemplate() {
    const key = (e) => {
      const i = MODES.findIndex(([id]) => id === this.mode);
      const step = e.key === "ArrowRight" || e.key === "ArrowDown" ? 1 : e.key === "ArrowLeft" || e.key === "ArrowUp" ? -1 : 0;
      if (!step) return;
      e.preventDefault();
      this.setMode(MODES[(i + step + MODES.length) % MODES.length][0]);
      requestAnimationFrame(() => this.shadowRoot.querySelector(`[role="radio"][data-mode="${this.mode}"]`)?.focus());
    };
    return html`<div role="radiogroup" aria-label="how to generate" @keydown=${key}>
      ${MODES.map(([id, label]) => html`<button role="radio" data-mode=${id} aria-checked=${this.mode === id ? "true" : "false"}
        tabindex=${this.mode === id ? 0 : -1} @click=${() => this.setMode(id)}>${label}</button>`)}
    </div>`;
  }

  template() {
    const model = this.model;
    this.sync(model);
    if (!model) {
      return html`<div class="choose"><p>Choose a model to generate from: click one in the overview or the drawer, or pick it here.</p>
        ${this.pickerTemplate(null)}</div>`;
    }
    const f = this.forms;
    const a = describeAccuracy(this.session.state, model, "test");
    const acc = a ? html`<span title=${a.title}>test ${a.text}</span>` : model.status;
    const body = this.mode === "ablate" ? this.ablateTemplate(model) : this.mode === "vary" ? this.varyTemplate(model) : this.handcraftTemplate(model);
    // variable layout: as wide as the model; the status in the URL refreshes it once trained
    const snac = `${this.session.snacUrl(model.id, { height: 56, layout: "variable" })}&v=${model.status}`;
    return html`
      <div class="head">
        <div class="snac"><img src=${snac} alt="SNAC of ${model.id}" height="56" /></div>
        <div class="facts">
          <span class="picker">${this.pickerTemplate(model.id)}</span>
          <span class="stats">${model.parent
            ? html`<button class="link" title="generate from the parent" @click=${() => this.session.select(model.parent)}>↑ ${model.parent}</button> · `
            : nothing}${model.arch.layers.length} layers · ${formatCount(model.params)} params · ${acc}</span>
        </div>
      </div>
      ${this.modesTemplate()}
      <div class="mode" data-mode=${this.mode}>
        ${trainingFields(this.training, model.config ?? this.session.state.settings?.train, (key, text) => {
          this.training = { ...this.training, [key]: text };
          this.requestRender();
        })}
        ${body}
        ${f.error?.mode === this.mode
          ? html`<div class="inline-error" role="alert">The server refused: ${f.error.message}${f.error.path ? html` at <code>${f.error.path}</code>` : ""}</div>`
          : nothing}
        ${f.note?.mode === this.mode
          ? html`<div class="note result-note" role="status">${this.noteText(f.note)}${this.list(f.note.skipped ?? [])}</div>`
          : nothing}
      </div>
      ${capField(this)}
      <div class="children-head"><h2>Children of ${model.id}</h2></div>
      ${childrenTable(this.session.state, model, this.childView, {
        select: (id) => this.session.select(id, { rebase: false }),
        rebase: (id) => this.session.setBase(id),
        toDrawer: (id) => this.post({ type: "drawer_add", models: [id] }),
        toggle: (id) => this.toggleChild(id),
        sort: (key) => this.sortChildren(key),
        snacUrl: (id) => this.session.snacUrl(id, { height: 20 }),
        diffUrl: (a, b) => diffUrl(this.session, a, b, { height: 26 }), // issue 22
        selected: this.session.ui.selected,
        replay: this.session.cursor !== null,
      })}`;
  }
}

customElements.define("remap-generate", RemapGenerate);
