// <remap-classes>: the data selector of REMAP (Fig. 2b). Each class of the session's
// data set with its name and example training images; picking one posts "change_view"
// so that the overview shades every model by its accuracy on that class (picking it
// again, or "All classes", goes back to overall accuracy). Also what the data set is:
// its kind, split sizes and input shape.

import { html, nothing } from "lit-html";
import { RemapElement } from "../../core/element.js";
import { formatAcc } from "../../core/theme.js";
import { loadClassData, NO_DATA } from "../../core/class-data.js";

const SHOWN = 6; // example images per class

const styles = `
:host { min-width: 0; }
.about { display: flex; flex-wrap: wrap; gap: 2px 16px; align-items: baseline; margin-bottom: 10px; }
.about .kind { font-weight: 600; flex-basis: 100%; }
.about .kind small { font-weight: 400; color: var(--remap-muted); margin-left: 6px; font-size: 12px; }
.about .fig { font-variant-numeric: tabular-nums; }
.about .fig b { font-weight: 600; }
.toolbar { display: flex; align-items: center; gap: 8px; margin-bottom: 8px; flex-wrap: wrap; }
.toolbar .hint { color: var(--remap-muted); flex: 1; min-width: 20ch; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(136px, 1fr)); gap: 8px; }
button.cls {
  display: flex; flex-direction: column; align-items: stretch; gap: 5px; text-align: left;
  padding: 6px 7px 7px; border-radius: var(--remap-radius); min-width: 0;
}
button.cls[aria-pressed="true"] { box-shadow: inset 0 0 0 1px var(--remap-accent); }
.name { display: flex; align-items: baseline; gap: 6px; min-width: 0; }
.name b { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 14px; }
.name .k { color: var(--remap-muted); font-size: 11px; font-family: var(--remap-mono); }
.thumbs { display: grid; grid-template-columns: repeat(3, 1fr); gap: 3px; }
.thumbs img, .thumbs span { width: 100%; aspect-ratio: 1; display: block; image-rendering: pixelated; border-radius: 2px; background: var(--remap-panel); }
.thumbs img { background: #000; object-fit: contain; } /* any size: not stretched square */
.meta { display: flex; justify-content: space-between; gap: 6px; font-size: 11px; color: var(--remap-muted); font-variant-numeric: tabular-nums; }
.meta .acc { color: var(--remap-text); }
.error { margin: 8px 0; }
`;

export class RemapClasses extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor", "connection", "selection"];

  constructor() {
    super();
    this.data = NO_DATA;
  }

  sessionChanged() {
    loadClassData(this);
  }

  /** Shade the overview by class `k` (null: all classes). */
  pick(k) {
    const s = this.session;
    const view = s.viewOf(s.live);
    const next = k === view.selected_class ? null : k;
    s.setView({ cls: next }); // this page's; the session records it for the replay
    return this.post({ type: "change_view", projection: view.projection, selected_class: next });
  }

  onKey(e) {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
    if (!step) return;
    const buttons = [...this.shadowRoot.querySelectorAll("button.cls")];
    const i = buttons.indexOf(this.shadowRoot.activeElement);
    if (i < 0) return;
    e.preventDefault();
    buttons[(i + step + buttons.length) % buttons.length].focus();
  }

  template() {
    const state = this.session.state;
    if (!state.settings) return html`<div class="empty">waiting for the session…</div>`;
    const names = state.class_names;
    const selected = this.session.viewOf(state).selected_class;
    const value = this.data.value;
    const testCounts = names.map(() => 0);
    for (const y of value?.test_labels ?? []) if (y < testCounts.length) testCounts[y] += 1;
    const best = this.bestPerClass(state, names.length);
    return html`
      <div class="about" aria-label="The data set">
        <span class="kind">${dataName(state.data)}${dataNotes(state.data).map((note) => html`<small>${note}</small>`)}</span>
        ${state.split ? html`
          <span class="fig"><b>${state.split.train}</b> train</span>
          <span class="fig"><b>${state.split.val}</b> validation</span>
          <span class="fig"><b>${state.split.test}</b> test</span>` : nothing}
        ${state.input ? html`<span class="fig muted">${state.input.shape.join("×")} (channels×height×width)</span>` : nothing}
        <span class="fig muted">${names.length} classes</span>
      </div>
      <div class="toolbar">
        <button aria-pressed=${String(selected === null)} @click=${() => this.pick(null)}>All classes</button>
        <span class="hint">${selected === null
          ? "Pick a class to shade the overview by each model's accuracy on it."
          : html`The overview shows accuracy on <b>${names[selected] ?? selected}</b>.`}</span>
      </div>
      ${this.data.error ? html`<div class="error">Example images unavailable: ${this.data.error}</div>` : nothing}
      <div class="grid" role="group" aria-label="Classes" @keydown=${(e) => this.onKey(e)}>
        ${names.map((name, k) => this.classButton(name, k, selected === k, value?.examples?.[k], testCounts[k], best[k]))}
      </div>`;
  }

  classButton(name, k, pressed, examples, testCount, best) {
    const shown = examples ? examples.slice(0, SHOWN) : null;
    return html`<button class="cls" aria-pressed=${String(pressed)} data-class=${k}
        aria-label="Class ${name}${pressed ? " (selected; pick again to show every class)" : ""}"
        @click=${() => this.pick(k)}>
      <span class="name"><b title=${name}>${name}</b>${name !== String(k) ? html`<span class="k">#${k}</span>` : nothing}</span>
      <span class="thumbs">
        ${shown
          ? shown.map((i) => html`<img src=${this.session.imageUrl("train", i)} alt="">`)
          : Array.from({ length: SHOWN }, () => html`<span></span>`)}
      </span>
      <span class="meta">
        <span>${this.data.value ? `${testCount} test` : ""}</span>
        <span class="acc" title="the best test accuracy on this class of a trained model">${best === null ? "" : `best ${formatAcc(best)}`}</span>
      </span>
    </button>`;
  }

  bestPerClass(state, n) {
    const best = Array.from({ length: n }, () => null);
    for (const m of state.models.values()) {
      const acc = m.result?.per_class_acc;
      if (!acc) continue;
      for (let k = 0; k < n; k += 1) if (acc[k] !== undefined && (best[k] === null || acc[k] > best[k])) best[k] = acc[k];
    }
    return best;
  }
}

const KIND_NAMES = {
  digits: "Digits (scikit-learn, 8×8)",
  npz: "NPZ file",
  cifar10: "CIFAR-10",
  image_folder: "Image folder",
  quickdraw: "Quick, Draw! bitmaps",
  idx: "IDX files (MNIST-style)",
};

function dataName(data) {
  if (!data) return "";
  const kind = KIND_NAMES[data.kind] ?? data.kind;
  const path = data.path ? ` ${data.path}` : "";
  return `${kind}${path}`;
}

/** How the session's data differs from the source as it is: the options it was read with. */
function dataNotes(data) {
  if (!data) return [];
  const notes = [];
  if (data.classes) notes.push(`classes ${data.classes.join(", ")} only`);
  if (data.image_size) notes.push(`resized to ${data.image_size[0]}×${data.image_size[1]}`);
  if (data.per_class) notes.push(`${data.per_class} drawings per class`);
  if (data.limit) notes.push(`limited to ${data.limit} training examples`);
  return notes;
}

customElements.define("remap-classes", RemapClasses);
