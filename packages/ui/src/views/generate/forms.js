// The small forms of the generate view: a parameter <select> per field of a layer, and
// the form state each mode keeps for the chosen model (reset when another is chosen).

import { html } from "lit-html";
import { live } from "lit-html/directives/live.js";
import { choicesFor } from "./layers.js";

export const VARIATION_KINDS = ["prepend", "remove", "replace", "reparameterize"];

export const KIND_HINTS = {
  prepend: "add a new layer before this one",
  remove: "remove this layer",
  replace: "replace this layer by another type",
  reparameterize: "change this layer's parameters",
};

/** The per-model form state of the three modes. */
export function freshForms(model) {
  const n = model?.arch?.layers?.length ?? 0;
  return {
    model: model?.id ?? null,
    ablate: new Set(Array.from({ length: n }, (_, i) => i)),
    allowed: Array.from({ length: n }, () => new Set(VARIATION_KINDS)),
    count: 8,
    maxChanges: 2,
    seed: "",
    edits: [],
    focus: null, // {kind: "layer" | "insert", index, type, values}
    note: null, // {text, items[]} after a command
    error: null, // {message, path} of a refused command
  };
}

/** One field per parameter in `values`; `onChange(key, value)`. A number takes any
 * value (the grid's values are offered as suggestions; the server validates), the
 * activation is a choice of three. */
export function paramFields(values, classes, onChange, idPrefix) {
  return Object.entries(values).map(([key, value]) => {
    const choices = choicesFor(key, value, classes);
    const id = `${idPrefix}-${key}`;
    if (typeof value !== "number") {
      return html`<label class="field" for=${id}><span>${key}</span>
        <select id=${id} aria-label=${key} .value=${live(String(value))} @change=${(e) => onChange(key, e.target.value)}>
          ${choices.map((c) => html`<option value=${String(c)} ?selected=${c === value}>${c}</option>`)}
        </select></label>`;
    }
    const integer = key !== "rate";
    return html`<label class="field" for=${id}><span>${key}</span>
      <input id=${id} type="number" aria-label=${key} list="${id}-grid" .value=${live(String(value))}
        min=${integer ? 1 : 0.001} max=${integer ? 4096 : 0.999} step=${integer ? 1 : 0.001}
        @change=${(e) => {
          const v = Number(e.target.value);
          if (e.target.value !== "" && Number.isFinite(v)) onChange(key, integer ? Math.round(v) : v);
          else e.target.value = String(value);
        }}>
      <datalist id="${id}-grid">${choices.map((c) => html`<option value=${String(c)}></option>`)}</datalist></label>`;
  });
}

/** A bounded integer from an <input type=number>: {value, note}. Out of range it is
 * clamped and `note` says so ("count is 1–200: 500 became 200"); not a number, it
 * keeps `fallback`. */
export function boundedInt(text, lo, hi, fallback, name) {
  const v = Math.round(Number(text));
  if (text === "" || !Number.isFinite(v)) return { value: fallback, note: text === "" ? null : `${name} must be a whole number` };
  const value = Math.min(hi, Math.max(lo, v));
  return { value, note: value === v ? null : `${name} is ${lo}–${hi}: ${v} became ${value}` };
}
