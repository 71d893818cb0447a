// A component's parameters as the Lego view types them: comma-separated in a fixed
// order per type (the paper's §5.1 text field: "32, 5" is a conv of 32 filters, 5×5),
// parsed without correcting anything, and — when the server refuses a value — the
// nearest value it would accept, which the view *offers* (a button), never applies.

import { ACTIVATIONS } from "../generate/layers.js";

/** type -> the parameters typed into its field, in order, with their defaults. */
export const FIELDS = {
  conv: [["filters", 16], ["kernel", 3], ["stride", 1]],
  maxpool: [["pool", 2]],
  avgpool: [["pool", 2]],
  dense: [["units", 64]],
  dropout: [["rate", 0.25]],
  batchnorm: [],
  flatten: [],
  relu: [],
  tanh: [],
  sigmoid: [],
}; // prettier-ignore

export const COMPONENT_TYPES = Object.keys(FIELDS);

/** The field's text for `layer`: "16, 3" (a conv's stride is shown only when not 1). */
export function paramText(layer) {
  const fields = (FIELDS[layer.type] ?? []).filter(([key]) => key !== "stride" || (layer.stride ?? 1) !== 1);
  return fields.map(([key, fallback]) => layer[key] ?? fallback).join(", ");
}

/** A new component of `type` with its defaults ({type: "relu"} for an activation). */
export function newComponent(type) {
  if (ACTIVATIONS.includes(type)) return { type };
  const layer = { type };
  for (const [key, value] of FIELDS[type] ?? []) if (key !== "stride") layer[key] = value;
  return layer;
}

/** Parse the field's `text` for a component of `type`: {params} with what was typed
 * (a number where it reads as one, else the text itself: the server names what is
 * wrong), or {error} when there are more values than the type has parameters. Empty
 * entries keep the component's current value (`current`). */
export function parseParams(type, text, current = {}) {
  const fields = FIELDS[type] ?? [];
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length === 1 && parts[0] === "") return { params: {} };
  if (parts.length > fields.length) {
    const names = fields.map(([k]) => k).join(", ") || "no parameters";
    return { error: `${type} takes ${fields.length === 0 ? "no parameters" : `at most ${fields.length}: ${names}`}; ${parts.length} were typed` };
  }
  const params = {};
  parts.forEach((raw, i) => {
    if (raw === "") return;
    const [key, fallback] = fields[i];
    const n = Number(raw);
    const value = Number.isFinite(n) ? n : raw;
    if (value !== (current[key] ?? fallback)) params[key] = value; // only what changed is sent
  });
  return { params };
}

const KERNELS = [3, 5, 7];

/** The nearest value the server accepts for `key` of a `type` component, or null when
 * `value` is not a number at all (then the default is offered instead). */
export function nearestValid(type, key, value) {
  const fallback = (FIELDS[type] ?? []).find(([k]) => k === key)?.[1] ?? null;
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return fallback;
  if (key === "kernel") return KERNELS.reduce((a, b) => (Math.abs(b - n) < Math.abs(a - n) ? b : a));
  if (key === "rate") return Math.min(0.95, Math.max(0.05, Math.round(n * 100) / 100));
  return Math.max(1, Math.round(n)); // filters, units, pool, stride: positive integers
}

/** Which parameter a refusal is about: the last segment of its JSON `path` when it is
 * one of the sent `params`, else the only one sent, else null. */
export function refusedKey(path, params) {
  const keys = Object.keys(params);
  const tail = String(path ?? "").match(/\.?([a-z_]+)\]?$/)?.[1];
  if (tail && keys.includes(tail)) return tail;
  return keys.length === 1 ? keys[0] : null;
}

/** The value a refusal's message itself offers ("… (nearest valid value: 32)"), or null. */
export function offeredBy(message) {
  const m = String(message ?? "").match(/nearest valid value:\s*(-?[\d.]+(?:e-?\d+)?)/i);
  return m ? Number(m[1]) : null;
}
