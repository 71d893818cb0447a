// The inspector's replicates part (issue 19): "retrain with N seeds" for any model, and
// the mean ± sd of its group's test accuracy once a replicate exists.

import { html, nothing } from "lit-html";
import { describeGroup, groupStats } from "../../core/replicates.js";

/** `on`: {replicate(model, seeds), select(id)}; `seeds` the number in the box. */
export function replicatesPart(state, m, seeds, on, replay) {
  const stats = groupStats(state, m.id);
  const text = describeGroup(stats);
  const grouped = stats.members.length > 1;
  return html`<section class="part replicates" aria-label="Replicates of ${m.id}" data-group=${stats.group}>
    <div class="replicate-row">
      <span class="group-acc">${grouped
        ? html`group of ${stats.group}: test acc <strong data-group-stats>${text ?? "none trained yet"}</strong>`
        : html`<span class="muted">no replicates: one training seed</span>`}</span>
      <label>retrain with <input type="number" min="1" max="100" .value=${String(seeds)} aria-label="seeds to retrain ${m.id} with"
        @input=${(e) => on.seeds(e.target.value)}> seeds</label>
      <button ?disabled=${replay} @click=${() => on.replicate(m.id)}>Retrain</button>
    </div>
    ${grouped ? html`<div class="members">${stats.members.map((id) => {
      const x = state.models.get(id);
      const acc = x?.result ? `${(x.result.test_acc * 100).toFixed(1)} %` : x?.status ?? "";
      return html`<button class="member ${id === m.id ? "me" : ""}" @click=${() => on.select(id)}
        aria-label="Inspect replicate ${id}">${id} · ${acc}</button>`;
    })}</div>` : nothing}
  </section>`;
}

export const replicatesStyles = `
.replicates { font-size: 12px; }
.replicate-row { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px; }
.replicate-row input { width: 52px; }
.replicates .members { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 4px; }
.replicates .member { font-family: var(--remap-mono); font-size: 11px; padding: 0 6px; }
.replicates .member.me { border-color: var(--remap-accent); color: var(--remap-accent); }
`;
