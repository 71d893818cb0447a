// The session's parameter cap (issue 19): what the generators make from now on stays
// within it ("set_limits" → "limits changed"). The models made before stay; the
// overview's "Hide … over …" button leaves out those over the cap. Shown under the
// Generate forms, beside the training settings the children take.

import { html, nothing } from "lit-html";
import { live } from "lit-html/directives/live.js";
import { formatCount } from "../../core/theme.js";

/** The cap form of <remap-generate> `el` (its draft text is `el.capText`). */
export function capField(el) {
  const state = el.session.state;
  const limits = state.settings?.limits;
  if (!limits) return nothing;
  const text = el.capText ?? String(limits.max_params);
  const value = Number(text.trim());
  const valid = /^\d+$/.test(text.trim()) && value >= 1;
  const changed = valid && value !== limits.max_params;
  let over = 0;
  for (const m of state.models.values()) if (m.params > limits.max_params) over += 1;
  const submit = async (e) => {
    e.preventDefault();
    if (!changed) return;
    try {
      await el.session.post({ type: "set_limits", limits: { ...limits, max_params: value } });
      el.capText = undefined;
      el.capError = null;
    } catch (error) {
      el.capError = error.message ?? String(error);
      el.emit("remap-error", { error });
    }
    el.requestRender();
  };
  return html`<form class="cap" aria-label="the session's parameter cap" @submit=${submit}>
    <label title="no new model of more parameters than this (the session's limits)">Parameter cap
      <input type="number" name="max_params" min="1" step="1" aria-label="Parameter cap"
        .value=${live(text)} @input=${(e) => {
          el.capText = e.target.value;
          el.requestRender();
        }}></label>
    <button type="submit" ?disabled=${!changed || el.session.cursor !== null}>Set cap</button>
    <span class="cap-note">${valid ? `new models ≤ ${formatCount(valid ? value : limits.max_params)} params` : "a whole number of 1 or more"}${over ? ` · ${over} model${over === 1 ? "" : "s"} over the cap now` : ""}</span>
    ${el.capError ? html`<span class="inline-error" role="alert">${el.capError}</span>` : nothing}
  </form>`;
}

export const capStyles = `
form.cap { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; margin: -4px 0 12px; font-size: 12px; }
form.cap label { display: flex; align-items: center; gap: 6px; color: var(--remap-muted); }
form.cap input { width: 96px; }
form.cap .cap-note { color: var(--remap-muted); font-variant-numeric: tabular-nums; }
`;
