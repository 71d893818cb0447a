// <remap-lego>: the one-shot paper's Lego View (§5.1) — the supernet as layers > blocks >
// components. Each layer is a row of blocks the search ranks against each other; each
// block is a short sequence of components, drawn as a small SNAC, with its components
// listed below it and their parameters typed comma-separated ("16, 5": filters, kernel).
//
// Editing, by mouse or keyboard, each edit one `edit_supernet` command (lego/ops.js):
// - add: pick a component type in the palette, then "Add layer", a layer's "+ block"
//   or a block's "+ component"; or drag the palette's type onto a layer, block or
//   component (it goes before or after it, by which half it is dropped on) or onto an
//   "add" zone at the end of a list;
// - move: drag a layer, block or component onto another of its level, or focus it and
//   press Alt+arrows (lego/ops.js keyMove: blocks go up and down between layers,
//   components past their block's ends into the next block); arrows alone move the focus;
// - remove: its × button, or Delete on the focused item;
// - parameters: Enter or leaving the field sends what changed. A value the server
//   refuses is kept in the field and named with the refusal's path, and the nearest
//   value it accepts is *offered* as a button (lego/params.js), never applied unasked.
//
// Without a supernet the view offers the bundled templates and an empty one
// (`define_supernet`); "Train supernet" posts `train_supernet`.

import { html, nothing } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { RemapElement } from "../../core/element.js";
import { formatCount } from "../../core/theme.js";
import { describeLayer, styleOf } from "../generate/layers.js";
import { cellStyles } from "../generate/cells.js";
import { currentSupernet } from "../search/read.js";
import * as cmd from "../search/commands.js";
import * as ops from "./ops.js";
import { COMPONENT_TYPES, FIELDS, nearestValid, newComponent, offeredBy, paramText, parseParams, refusedKey } from "./params.js";
import { blockSpec, layerInputs } from "./shapes.js";

const styles = `
${cellStyles}
:host { min-width: 0; }
.bar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin-bottom: 8px; }
.bar .spacer { flex: 1; }
.bar .facts { color: var(--remap-muted); font-variant-numeric: tabular-nums; font-size: 12px; }
.palette { display: inline-flex; flex-wrap: wrap; gap: 2px; padding: 2px; border: 1px solid var(--remap-border); border-radius: var(--remap-radius); background: var(--remap-panel); }
.palette [role="radio"] { display: inline-flex; align-items: center; gap: 4px; padding: 1px 6px 1px 2px; border: 1px solid transparent; background: none; font-size: 12px; cursor: grab; }
.palette [role="radio"][aria-checked="true"] { background: var(--remap-bg); border-color: var(--remap-accent); }
.swatch { display: inline-grid; place-items: center; width: 18px; height: 18px; border: 2px solid; border-radius: 3px; font-weight: 700; font-size: 10px; line-height: 1; }
ol { list-style: none; margin: 0; padding: 0; }
.layer { display: flex; flex-direction: column; gap: 3px; padding: 3px 4px 4px; margin-bottom: 4px;
  border: 1px solid var(--remap-border); border-radius: var(--remap-radius); background: var(--remap-panel); }
.lhead { display: flex; align-items: center; gap: 8px; font-size: 12px; }
.lhead .name { font-weight: 600; }
.lhead .shape { color: var(--remap-muted); font-variant-numeric: tabular-nums; font-size: 11px; }
.lhead .tools { display: flex; gap: 3px; margin-left: auto; }
.blocks { display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-start; min-width: 0; }
.block { width: 164px; border: 1px solid var(--remap-border); border-radius: var(--remap-radius); background: var(--remap-bg); padding: 4px; }
.bhead { display: flex; align-items: center; gap: 4px; margin-bottom: 2px; }
.bhead .id { font-family: var(--remap-mono); font-size: 11px; font-weight: 600; }
.bhead .spacer { flex: 1; }
.chip { display: block; height: 30px; margin: 0 0 3px; }
.comp { display: grid; grid-template-columns: 20px 50px minmax(0, 1fr) 18px; gap: 3px; align-items: center; padding: 1px 2px; border-radius: 4px; }
.comp .type { font-size: 11px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.comp input { width: 100%; min-width: 0; padding: 0 3px; font-size: 11px; font-family: var(--remap-mono); border: 1px solid var(--remap-border); border-radius: 3px; background: var(--remap-bg); }
.comp input:disabled { border-color: transparent; background: none; }
.comp input.refused { border-color: var(--remap-danger); background: #fff4ec; }
.refusal { grid-column: 1 / -1; font-size: 11px; color: var(--remap-danger); padding: 2px 0 3px; white-space: normal; }
.refusal code { font-family: var(--remap-mono); font-size: 10.5px; background: rgba(0,0,0,.05); padding: 0 3px; border-radius: 3px; color: var(--remap-text); }
.refusal button { margin-top: 2px; padding: 0 8px; font-size: 11px; }
button.x { padding: 0; width: 18px; height: 18px; line-height: 1; border-color: transparent; background: none; color: var(--remap-muted); font-size: 14px; }
button.x:hover { color: var(--remap-danger); }
button.small { padding: 0 6px; font-size: 11px; }
.grip { color: var(--remap-muted); cursor: grab; user-select: none; letter-spacing: -2px; font-size: 12px; }
[role="treeitem"]:focus-visible { outline: 2px solid var(--remap-accent); outline-offset: 1px; }
.zone { border: 1px dashed var(--remap-border); border-radius: var(--remap-radius); color: var(--remap-muted); font-size: 11px; text-align: center; }
.blocks > .zone { width: 56px; align-self: stretch; display: grid; place-items: center; padding: 2px; }
.block .zone { padding: 0; margin-top: 2px; line-height: 14px; font-size: 10px; }
.layers > .zone { padding: 4px; }
.zone.over, .over-before { border-color: var(--remap-accent); background: var(--remap-accent-soft); }
.over-before { box-shadow: -3px 0 0 0 var(--remap-accent); }
.layer.over-before, .comp.over-before { box-shadow: 0 -3px 0 0 var(--remap-accent); }
.over-after { box-shadow: 3px 0 0 0 var(--remap-accent); }
.layer.over-after, .comp.over-after { box-shadow: 0 3px 0 0 var(--remap-accent); }
.dragging { opacity: .45; }
.start { padding: 16px; border: 1px dashed var(--remap-border); border-radius: var(--remap-radius); display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.start select { padding: 2px 4px; border: 1px solid var(--remap-border); border-radius: 4px; background: var(--remap-bg); }
.hint { margin: 6px 0 0; color: var(--remap-muted); font-size: 12px; }
.status { font-size: 12px; }
.inline-error { margin: 0 0 6px; padding: 4px 8px; border-radius: var(--remap-radius); background: #fff4ec; border: 1px solid var(--remap-danger); color: var(--remap-danger); font-size: 12px; }
`;

const swatch = (type) => {
  const s = styleOf(type);
  return html`<span class="swatch" style="background:${s.fill};color:${s.ink};border-color:${s.stroke}" aria-hidden="true">${s.initial}</span>`;
};

const shapeText = (shape) => (shape ? shape.join("×") : "?");

export class RemapLego extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor", "connection"];

  constructor() {
    super();
    this.type = "conv"; // the palette's choice: what "add" adds
    this.template_ = cmd.TEMPLATES[0];
    this._templates = undefined; // the server's list, once fetched
    this._drag = null; // {from: address} | {type}; and {over: key, after}
    this._refusal = null; // {key: "b3:1", param, value, text, message, path, offer}
    this._problem = null; // a refusal that names no component (shown above the tree)
    this._focusAfter = null; // which item to focus once the next version lands
    this._busy = false;
  }

  // --- sending edits ---------------------------------------------------------------------

  async _edit(edit, { focus = null, field = null } = {}) {
    const net = currentSupernet(this.session.live);
    if (!net) return;
    this._busy = true;
    this._focusAfter = focus;
    // what had focus when the edit went out: if the user focuses something else before
    // the new version lands, the focus stays where they put it (see rendered)
    this._focusWas = this.shadowRoot.activeElement;
    this.requestRender();
    try {
      await this.session.post(cmd.editSupernet(net.id, Array.isArray(edit) ? edit : [edit]));
      this._refusal = null;
      this._problem = null;
    } catch (error) {
      this._focusAfter = null;
      if (field && error.status >= 400 && error.status < 500) {
        // a refused parameter: kept in the field, named, and the accepted value offered
        const { key, params, at, text } = field;
        const param = refusedKey(error.path, params);
        const value = param ? params[param] : undefined;
        const offer = param ? (offeredBy(error.message) ?? nearestValid(this._typeAt(at), param, value)) : null;
        this._refusal = { key, param, value, text, message: error.message, path: error.path, offer, at };
      } else {
        this._problem = { message: error.message, path: error.path };
      }
    } finally {
      this._busy = false;
      this.requestRender();
    }
  }

  _typeAt(at) {
    const net = currentSupernet(this.session.live);
    return net ? ops.itemAt(net.arch, at)?.type : undefined;
  }

  _add(kind, at) {
    const component = newComponent(this.type);
    const arch = currentSupernet(this.session.live)?.arch;
    if (!arch) return;
    if (kind === "layer") return this._edit(ops.addLayer(arch, at.layer, component), { focus: { layer: at.layer } });
    if (kind === "block") return this._edit(ops.addBlock(arch, at.layer, at.block, component), { focus: { layer: at.layer, block: at.block } });
    const n = arch.layers[at.layer].blocks[at.block].components.length;
    return this._edit(ops.addComponent(arch, at.layer, at.block, at.component, component), { focus: { ...at, component: Math.min(at.component, n) } });
  }

  _remove(at) {
    const arch = currentSupernet(this.session.live)?.arch;
    if (arch) this._edit(ops.remove(arch, at));
  }

  _move(from, to) {
    const arch = currentSupernet(this.session.live)?.arch;
    if (arch) this._edit(ops.move(arch, from, to), { focus: to });
  }

  /** The parameter field of the component at `at` was committed with `text`. */
  _commitParams(at, key, text) {
    const net = currentSupernet(this.session.live);
    const comp = net && ops.itemAt(net.arch, at);
    if (!comp) return;
    // Enter and the change event (Enter, then the blur when the offer is clicked) both
    // land here: a text already refused, or on its way, is not sent again
    if (this._refusal?.key === key && this._refusal.text === text) return;
    if (this._sending === `${key}\n${text}`) return;
    const parsed = parseParams(comp.type, text, comp);
    if (parsed.error) {
      this._refusal = { key, param: null, value: text, text, message: parsed.error, path: null, offer: null, at };
      this.requestRender();
      return;
    }
    if (!Object.keys(parsed.params).length) {
      if (this._refusal?.key === key) this._refusal = null;
      this.requestRender();
      return;
    }
    this._sending = `${key}\n${text}`;
    this._edit(ops.setParams(net.arch, at, parsed.params), { field: { key, params: parsed.params, at, text } }).finally(() => {
      this._sending = null;
    });
  }

  /** The offered value was taken: send it (the user asked for it). */
  _takeOffer() {
    const r = this._refusal;
    if (!r || r.param === null || r.offer === null) return;
    const arch = currentSupernet(this.session.live)?.arch;
    if (!arch) return;
    const params = { [r.param]: r.offer };
    this._edit(ops.setParams(arch, r.at, params), { field: { key: r.key, params, at: r.at, text: null } });
  }

  // --- keyboard --------------------------------------------------------------------------

  _onItemKey(e, at) {
    if (e.target !== e.currentTarget) return; // keys inside a field or button are theirs
    const net = currentSupernet(this.session.live);
    if (!net || this.session.cursor !== null) return;
    if (e.altKey && e.key.startsWith("Arrow")) {
      e.preventDefault();
      const to = ops.keyMove(net.arch, at, e.key);
      if (to) this._move(at, to);
    } else if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      this._remove(at);
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const items = [...this.shadowRoot.querySelectorAll('[role="treeitem"]')];
      const i = items.indexOf(e.currentTarget);
      items[i + (e.key === "ArrowDown" ? 1 : -1)]?.focus();
    }
  }

  // --- drag and drop ---------------------------------------------------------------------

  _dragStart(e, payload) {
    e.stopPropagation();
    this._drag = { ...payload, over: null, after: false };
    e.dataTransfer.effectAllowed = payload.type ? "copy" : "move";
    e.dataTransfer.setData("text/plain", payload.type ?? JSON.stringify(payload.from));
    this.requestRender();
  }

  _dragEnd() {
    this._drag = null;
    this.requestRender();
  }

  /** Whether the drag may drop on an item of `level` (or its zone). */
  _accepts(level) {
    const d = this._drag;
    if (!d) return false;
    return d.type !== undefined || ops.levelOf(d.from) === level;
  }

  _dragOver(e, level, overKey, horizontal) {
    if (!this._accepts(level)) return;
    e.preventDefault();
    e.stopPropagation();
    const box = e.currentTarget.getBoundingClientRect();
    const after = horizontal ? e.clientX > box.left + box.width / 2 : e.clientY > box.top + box.height / 2;
    if (this._drag.over !== overKey || this._drag.after !== after) {
      this._drag.over = overKey;
      this._drag.after = after;
      this.requestRender();
    }
  }

  /** A drop on the item at `at` (before or after it) or on a zone (`at` is then the gap). */
  _drop(e, level, at, zone) {
    const d = this._drag;
    if (!this._accepts(level)) return;
    e.preventDefault();
    e.stopPropagation();
    const gap = { ...at };
    if (!zone && d.after) gap[level] += 1;
    this._drag = null;
    if (d.type !== undefined) {
      this.type = d.type;
      this._add(level, gap);
    } else {
      const to = ops.dropTarget(d.from, gap);
      if (to) this._move(d.from, to);
      else this.requestRender();
    }
  }

  _dndClass(key, from) {
    const d = this._drag;
    if (!d) return "";
    if (from && d.from && JSON.stringify(d.from) === JSON.stringify(from)) return "dragging";
    if (d.over !== key) return "";
    return key.startsWith("zone") ? "over" : d.after ? "over-after" : "over-before";
  }

  _dragHandlers(level, at, key, horizontal, zone = false) {
    return {
      over: (e) => this._dragOver(e, level, key, horizontal),
      leave: (e) => {
        if (this._drag?.over === key && !e.currentTarget.contains(e.relatedTarget)) {
          this._drag.over = null;
          this.requestRender();
        }
      },
      drop: (e) => this._drop(e, level, at, zone),
    };
  }

  // --- rendering -------------------------------------------------------------------------

  rendered() {
    const f = this._focusAfter;
    if (!f || this._busy) return;
    const now = this.shadowRoot.activeElement;
    if (now && now !== this._focusWas) {
      this._focusAfter = null;
      return;
    }
    const el = this.shadowRoot.querySelector(`[data-at='${JSON.stringify(f)}']`);
    if (el) {
      this._focusAfter = null;
      el.focus();
    }
  }

  template() {
    const s = this.session;
    const state = s.state;
    const net = currentSupernet(state);
    const replay = s.cursor !== null;
    if (!net) return this._startTemplate(state, replay);
    const arch = net.arch;
    const inputs = layerInputs(arch);
    const nBlocks = arch.layers.reduce((a, l) => a + l.blocks.length, 0);
    const layerZone = this._dragHandlers("layer", { layer: arch.layers.length }, "zone-layers", false, true);
    return html`
      <div class="bar">
        <div class="palette" role="radiogroup" aria-label="Component to add (drag it, or choose it and press an add button)">
          ${COMPONENT_TYPES.map(
            (t) => html`<button role="radio" aria-checked=${t === this.type ? "true" : "false"} draggable="true"
              title="${styleOf(t).label}: click to choose, drag onto the supernet to add"
              @click=${() => { this.type = t; this.requestRender(); }}
              @dragstart=${(e) => this._dragStart(e, { type: t })} @dragend=${() => this._dragEnd()}>
              ${swatch(t)}${t}</button>`,
          )}
        </div>
        <button ?disabled=${replay || this._busy} @click=${() => this._add("layer", { layer: arch.layers.length })}
          title="A new layer with one block holding the chosen component">Add layer</button>
        <span class="spacer"></span>
        <span class="facts">${net.id} · ${arch.layers.length} layers · ${nBlocks} blocks${net.params ? ` · ${formatCount(net.params)} params` : ""}</span>
        ${this._trainButton(net, replay)}
      </div>
      ${this._problem ? html`<p class="inline-error" role="alert">${this._problem.message}${this._problem.path ? html` <code>${this._problem.path}</code>` : nothing}</p>` : nothing}
      <ol class="layers" role="tree" aria-label="Supernet: layers, blocks, components">
        ${repeat(arch.layers, (l) => l.id, (layer, li) => this._layerTemplate(arch, layer, li, inputs, replay))}
        <li class="zone ${this._dndClass("zone-layers")}" @dragover=${layerZone.over} @dragleave=${layerZone.leave} @drop=${layerZone.drop}>drop here: new layer</li>
      </ol>
      <p class="hint">Alt+arrows move the focused layer, block or component; Delete removes it; arrows move the focus. Parameters: comma-separated (${this.type}: ${FIELDS[this.type].map(([k]) => k).join(", ") || "none"}).</p>
    `;
  }

  _trainButton(net, replay) {
    const running = net.status === "queued" || net.status === "running";
    const label = net.status === "done" || net.status === "failed" ? "Retrain" : "Train supernet";
    return html`<span class="status" aria-live="polite">${cmd.trainingText(net)}</span>
      <button class="primary" ?disabled=${replay || running}
        @click=${() => this.post(cmd.trainSupernet(net.id))}>${label}</button>`;
  }

  /** The bundled templates (GET /api/oneshot/templates), fetched once. */
  _loadTemplates() {
    if (this._templates !== undefined) return;
    this._templates = null;
    this.session
      .fetch(this.session.url("/api/oneshot/templates"))
      .then((r) => (r.ok ? r.json() : null))
      .then((body) => {
        if (body?.templates?.length) this._templates = body.templates;
        this.requestRender();
      })
      .catch(() => {});
  }

  _startTemplate(state, replay) {
    this._loadTemplates();
    const templates = this._templates ?? cmd.TEMPLATES.map((name) => ({ name, description: "" }));
    const chosen = templates.find((t) => t.name === this.template_) ?? templates[0];
    return html`<div class="start">
      <span>No supernet yet. Start from</span>
      <select aria-label="Template" @change=${(e) => { this.template_ = e.target.value; this.requestRender(); }}>
        ${templates.map((t) => html`<option value=${t.name} ?selected=${t === chosen}>${t.name}${t.blocks ? ` (${t.blocks} blocks)` : ""}</option>`)}
      </select>
      <button class="primary" ?disabled=${replay || !state.input} @click=${() => this.post(cmd.defineFromTemplate(chosen.name))}>Start from template</button>
      <span class="muted">or</span>
      <button ?disabled=${replay || !state.input} @click=${() => this.post(cmd.defineEmpty(state))}
        title="A supernet of two layers (flatten, the classifier) to build on">Start empty</button>
      ${chosen?.description ? html`<p class="hint" style="flex-basis:100%">${chosen.description}</p>` : nothing}
    </div>`;
  }

  _layerTemplate(arch, layer, li, inputs, replay) {
    const at = { layer: li };
    const key = `L${layer.id}`;
    const h = this._dragHandlers("layer", at, key, false);
    const zoneKey = `zone-${layer.id}`;
    const z = this._dragHandlers("block", { layer: li, block: layer.blocks.length }, zoneKey, true, true);
    return html`<li class="layer ${this._dndClass(key, at)}" role="treeitem" aria-level="1" tabindex="0"
        aria-label="Layer ${li + 1}, ${layer.blocks.length} block${layer.blocks.length === 1 ? "" : "s"}"
        data-at=${JSON.stringify(at)} draggable=${replay ? "false" : "true"}
        @dragstart=${(e) => this._dragStart(e, { from: at })} @dragend=${() => this._dragEnd()}
        @dragover=${h.over} @dragleave=${h.leave} @drop=${h.drop} @keydown=${(e) => this._onItemKey(e, at)}>
      <div class="lhead">
        <span class="name"><span class="grip" aria-hidden="true">⋮⋮</span> Layer ${li + 1}</span>
        <span class="shape" title="input → output shape">${shapeText(inputs[li])} → ${shapeText(inputs[li + 1])}</span>
        <span class="tools">
          <button class="small" ?disabled=${replay || this._busy} aria-label="Add a ${this.type} block to layer ${li + 1}"
            @click=${() => this._add("block", { layer: li, block: layer.blocks.length })}>+ block</button>
          <button class="x" ?disabled=${replay || this._busy} aria-label="Remove layer ${li + 1}" title="Remove layer (Delete)"
            @click=${() => this._remove(at)}>×</button>
        </span>
      </div>
      <div class="blocks" role="group">
        ${repeat(layer.blocks, (b) => b.id, (b, bi) => this._blockTemplate(arch, b, li, bi, inputs[li], replay))}
        <div class="zone ${this._dndClass(zoneKey)}" @dragover=${z.over} @dragleave=${z.leave} @drop=${z.drop}>+ block</div>
      </div>
    </li>`;
  }

  _blockTemplate(arch, b, li, bi, input, replay) {
    const at = { layer: li, block: bi };
    const key = `B${b.id}`;
    const h = this._dragHandlers("block", at, key, true);
    const zoneKey = `zone-${b.id}`;
    const z = this._dragHandlers("component", { layer: li, block: bi, component: b.components.length }, zoneKey, false, true);
    const about = b.components.map(describeLayer).join(", ") || "empty";
    return html`<div class="block ${this._dndClass(key, at)}" role="treeitem" aria-level="2" tabindex="0"
        aria-label="Block ${b.id} of layer ${li + 1}: ${about}" data-block=${b.id}
        data-at=${JSON.stringify(at)} draggable=${replay ? "false" : "true"}
        @dragstart=${(e) => this._dragStart(e, { from: at })} @dragend=${() => this._dragEnd()}
        @dragover=${h.over} @dragleave=${h.leave} @drop=${h.drop} @keydown=${(e) => this._onItemKey(e, at)}>
      <div class="bhead">
        <span class="grip" aria-hidden="true">⋮⋮</span><span class="id">${b.id}</span><span class="spacer"></span>
        <button class="small" ?disabled=${replay || this._busy} aria-label="Add ${this.type} to block ${b.id}"
          @click=${() => this._add("component", { layer: li, block: bi, component: b.components.length })}>+ ${this.type}</button>
        <button class="x" ?disabled=${replay || this._busy} aria-label="Remove block ${b.id}" title="Remove block (Delete)"
          @click=${() => this._remove(at)}>×</button>
      </div>
      <snac-chip class="chip" server=${this.session.root} height="30" layout="variable" .spec=${blockSpec(arch, b, input)}></snac-chip>
      <ol role="group">
        ${b.components.map((c, ci) => this._componentTemplate(b, c, li, bi, ci, replay))}
        <li class="zone ${this._dndClass(zoneKey)}" @dragover=${z.over} @dragleave=${z.leave} @drop=${z.drop}>+ component</li>
      </ol>
    </div>`;
  }

  _componentTemplate(b, c, li, bi, ci, replay) {
    const at = { layer: li, block: bi, component: ci };
    const key = `C${b.id}:${ci}`;
    const h = this._dragHandlers("component", at, key, false);
    const refusal = this._refusal?.key === key ? this._refusal : null;
    const fields = FIELDS[c.type] ?? [];
    const commit = (e) => this._commitParams(at, key, e.target.value);
    return html`<li class="comp ${this._dndClass(key, at)}" role="treeitem" aria-level="3" tabindex="0"
        aria-label="${describeLayer(c)} in block ${b.id}" data-at=${JSON.stringify(at)} draggable=${replay ? "false" : "true"}
        @dragstart=${(e) => this._dragStart(e, { from: at })} @dragend=${() => this._dragEnd()}
        @dragover=${h.over} @dragleave=${h.leave} @drop=${h.drop} @keydown=${(e) => this._onItemKey(e, at)}>
      ${swatch(c.type)}
      <span class="type" title=${describeLayer(c)}>${c.type}</span>
      <input aria-label="Parameters of ${c.type} in block ${b.id}${fields.length ? ` (${fields.map(([k]) => k).join(", ")})` : ""}"
        class=${refusal ? "refused" : ""} ?disabled=${replay || !fields.length}
        .value=${refusal?.text ?? paramText(c)} placeholder=${fields.length ? "" : "—"}
        @change=${commit} @keydown=${(e) => {
          if (e.key === "Enter") { e.preventDefault(); commit(e); }
          else if (e.key === "Escape") { this._refusal = null; e.target.value = paramText(c); this.requestRender(); }
        }}>
      <button class="x" ?disabled=${replay || this._busy} aria-label="Remove ${c.type} from block ${b.id}" title="Remove (Delete)"
        @click=${() => this._remove(at)}>×</button>
      ${refusal
        ? html`<div class="refusal" role="alert">
            Refused: ${refusal.message}${refusal.path ? html` <code>${refusal.path}</code>` : nothing}
            ${refusal.offer !== null && refusal.param
              ? html`<br><button class="offer" @click=${() => this._takeOffer()}>Use ${refusal.param} ${refusal.offer}</button>`
              : nothing}
          </div>`
        : nothing}
    </li>`;
  }
}

customElements.define("remap-lego", RemapLego);
