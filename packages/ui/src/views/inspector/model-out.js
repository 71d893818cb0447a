// The inspector's "model out" part (issue 19): whether the trained weights are kept
// (the server's GET …/models says "present", "missing" or "none"), an Export menu (a
// link to GET …/models/{m}/export?format=FMT for each format) and "Train longer"
// (the continue_training command with an epochs field).

import { html, nothing } from "lit-html";

export const EXPORT_FORMATS = [
  ["onnx", "ONNX (.onnx)"],
  ["torchscript", "TorchScript (.pt)"],
  ["state_dict", "state_dict + JSON (.zip)"],
  ["python", "Python file + weights (.zip)"],
];

/** The export URL of `model` in `format`. */
export function exportUrl(session, model, format) {
  return session.apiUrl(`/models/${encodeURIComponent(model)}/export?format=${format}`);
}

/** An "Export" menu (a <details> of download links) for a finished model; `compact`
 * draws the summary as one download glyph (the drawer's narrow column). */
export function exportMenu(session, m, compact = false) {
  if (m.status !== "done" || !m.result?.weights) return nothing;
  return html`<details class="export-menu ${compact ? "compact" : ""}" @click=${(e) => e.stopPropagation()}>
    <summary aria-label="Export ${m.id}" title="Export ${m.id}">${compact ? "⤓" : "Export"}</summary>
    <div class="formats" role="menu">${EXPORT_FORMATS.map(([f, label]) =>
      html`<a role="menuitem" href=${exportUrl(session, m.id, f)} download data-format=${f}>${label}</a>`)}</div>
  </details>`;
}

/** `kept`: the model's weights state from the server, or undefined while unknown;
 * `on`: {epochs(v), continue(model), retrain(model)}. */
export function modelOutPart(session, m, kept, epochs, on, replay) {
  if (m.status !== "done" || !m.result) return nothing;
  const origin = m.origin?.type === "continued"
    ? html`<span class="muted">continued from ${m.origin.parent} at epoch ${m.origin.epoch}</span>` : nothing;
  if (kept === "missing" || (kept === "none" && !m.result.weights)) {
    return html`<section class="part model-out" aria-label="Weights of ${m.id}">
      <span class="weights-missing" role="status">weights missing</span>
      <span class="muted">${kept === "missing" ? "their file is not in the data folder" : "not kept by this session"}</span>
      <button ?disabled=${replay} @click=${() => on.retrain(m.id)}>Retrain</button> ${origin}
    </section>`;
  }
  return html`<section class="part model-out" aria-label="Weights of ${m.id}">
    ${exportMenu(session, m)}
    <label>train <input type="number" min="1" max="1000" .value=${String(epochs)}
      aria-label="epochs to train ${m.id} longer" @input=${(e) => on.epochs(e.target.value)}> more epochs</label>
    <button ?disabled=${replay} @click=${() => on.continue(m.id)}>Train longer</button> ${origin}
  </section>`;
}

export const modelOutStyles = `
.model-out { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px; font-size: 12px; }
.model-out input { width: 56px; }
.weights-missing { color: #b3261e; font-weight: 600; }
.export-menu { position: relative; }
.export-menu summary { cursor: pointer; list-style: none; border: 1px solid var(--remap-border); border-radius: var(--remap-radius); padding: 1px 9px; }
.export-menu summary::-webkit-details-marker { display: none; }
.export-menu.compact summary { padding: 0 5px; }
.export-menu.compact .formats { right: 0; }
.export-menu .formats { position: absolute; z-index: 5; background: var(--remap-bg, #fff); border: 1px solid var(--remap-border);
  border-radius: var(--remap-radius); padding: 4px 0; display: flex; flex-direction: column; min-width: 190px; box-shadow: 0 4px 12px #0002; }
.export-menu .formats a { padding: 3px 10px; color: inherit; text-decoration: none; white-space: nowrap; }
.export-menu .formats a:hover, .export-menu .formats a:focus { background: var(--remap-hover, #eef); }
`;
