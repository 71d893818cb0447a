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

/** One <select> per parameter in `values`; `onChange(key, value)`. */
export function paramFields(values, classes, onChange, idPrefix) {
  return Object.entries(values).map(([key, value]) => {
    const choices = choicesFor(key, value, classes);
    const id = `${idPrefix}-${key}`;
    return html`<label class="field" for=${id}><span>${key}</span>
      <select id=${id} aria-label=${key} .value=${live(String(value))}
          @change=${(e) => onChange(key, typeof value === "number" ? Number(e.target.value) : e.target.value)}>
        ${choices.map((c) => html`<option value=${String(c)} ?selected=${c === value}>${c}</option>`)}
      </select></label>`;
  });
}

/** A bounded integer from an <input type=number> (clamped; NaN -> fallback). */
export function clampInt(text, lo, hi, fallback) {
  const v = Math.round(Number(text));
  if (!Number.isFinite(v) || text === "") return fallback;
  return Math.min(hi, Math.max(lo, v));
}
