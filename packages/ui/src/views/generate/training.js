// Per-child training settings (issue 19): the optional overrides of epochs, learning
// rate, batch size, gamma and patience that every model-making command takes as
// `train` (nas_core.train_overrides.TrainOverrides). An empty box keeps what the
// children inherit (the parent's config; the session's for a sample); patience 0 turns
// early stopping off. The browser does not clamp: the server checks each field and a
// bad one comes back with its path (`$.train.epochs`), shown beside the form.

import { html, nothing } from "lit-html";
import { live } from "lit-html/directives/live.js";

export const TRAIN_FIELDS = [
  // key, label, min, max, step, title
  ["epochs", "epochs", 1, 1000, 1, "epochs to train (1–1000)"],
  ["lr", "learning rate", 0.000001, 10, "any", "Adam's learning rate (0–10]"],
  ["batch_size", "batch size", 1, 65536, 1, "examples per batch (1–65536)"],
  ["gamma", "gamma", 0.01, 1, "any", "the learning rate is multiplied by gamma after every epoch (0–1]"],
  ["patience", "patience", 0, 1000, 1, "stop after this many epochs without a better validation loss (0: never stop early)"],
];

/** The form's state: one text per field ("" keeps the inherited value). */
export function emptyTraining() {
  return Object.fromEntries(TRAIN_FIELDS.map(([key]) => [key, ""]));
}

/** The `train` object of a command from the form's state, or null when nothing is set.
 * A box that is not a number is sent as its text, so the server names it. */
export function trainingOverrides(form) {
  const out = {};
  for (const [key] of TRAIN_FIELDS) {
    const text = String(form?.[key] ?? "").trim();
    if (text === "") continue;
    const v = Number(text);
    out[key] = Number.isFinite(v) ? v : text;
  }
  return Object.keys(out).length ? out : null;
}

function inheritedText(key, config) {
  const v = config?.[key];
  if (key === "patience") return v === null || v === undefined ? "off" : String(v);
  return v === null || v === undefined ? "" : String(v);
}

/** "20 epochs · lr 0.01": the overrides a child's origin records, or "". */
export function trainingNote(train) {
  if (!train) return "";
  const parts = [];
  if (train.epochs != null) parts.push(`${train.epochs} epochs`);
  if (train.lr != null) parts.push(`lr ${train.lr}`);
  if (train.batch_size != null) parts.push(`batch ${train.batch_size}`);
  if (train.gamma != null) parts.push(`γ ${train.gamma}`);
  if (train.patience != null) parts.push(train.patience === 0 ? "no early stop" : `patience ${train.patience}`);
  return parts.join(" · ");
}

/** The collapsible "Training" fieldset; `inherited`: the config the children would
 * train with (shown as placeholders); `onChange(key, text)`. */
export function trainingFields(form, inherited, onChange, idPrefix = "train") {
  const set = trainingOverrides(form);
  const summary = set ? `Training: ${trainingNote(set)}` : "Training: as inherited";
  return html`<details class="training" ?open=${set !== null}>
    <summary title="override how the new models train">${summary}</summary>
    <div class="train-fields" role="group" aria-label="training settings of the new models">
      ${TRAIN_FIELDS.map(([key, label, min, max, step, title]) => html`<label class="field" title=${title}>
        <span>${label}</span>
        <input type="number" name=${key} id="${idPrefix}-${key}" aria-label="${label} of the new models"
          min=${min} max=${max} step=${step} placeholder=${inheritedText(key, inherited)}
          .value=${live(form[key])} @input=${(e) => onChange(key, e.target.value)}>
      </label>`)}
      ${set ? html`<button type="button" class="link" @click=${() => TRAIN_FIELDS.forEach(([k]) => onChange(k, ""))}>clear</button>` : nothing}
    </div>
  </details>`;
}

export const trainingStyles = `
details.training { margin: 6px 0; font-size: 12px; }
details.training summary { cursor: pointer; color: var(--remap-muted); }
details.training[open] summary { color: var(--remap-text); }
.train-fields { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: end; padding: 6px 0 2px; }
.train-fields .field { display: flex; flex-direction: column; gap: 2px; font-size: 11px; color: var(--remap-muted); }
.train-fields input { width: 84px; }
`;
