// The queue's one-shot part: supernet trainings (queued or running, with their epochs)
// and the search's evaluation batch (the planned iteration's children not evaluated
// yet). A supernet training is an entry of the session's queue (state.queue), handed
// out in its turn and reordered / cancelled with the queue's own commands (reorder,
// cancel with its id); it runs in the same trainer processes as the models.

import { html, nothing } from "lit-html";
import { currentSearch, evaluationsOf, maskKey, oneshotOf, valuesOf } from "../search/read.js";

export const oneshotRowStyles = `
.oneshot li.row { grid-template-columns: 84px minmax(0, 1fr) 120px; }
.oneshot .bar-track { height: 6px; border-radius: 3px; background: var(--remap-panel); overflow: hidden; }
.oneshot .bar-fill { height: 100%; background: var(--remap-warn); }
`;

/** The rows, or nothing when no supernet trains and no batch waits. */
export function oneshotSection(state) {
  const o = oneshotOf(state);
  if (!o) return nothing;
  const nets = valuesOf(o.supernets).filter((n) => n.status === "queued" || n.status === "running");
  const search = currentSearch(state);
  const planned = search?.planned?.children ?? [];
  const evals = search ? evaluationsOf(state, search.supernet) : new Map();
  const left = planned.filter((c) => !evals.has(maskKey(c.mask))).length;
  if (!nets.length && !left) return nothing;
  const fill = (done, total) => html`<div class="bar-track" aria-hidden="true"><div class="bar-fill" style="width:${total ? (100 * done) / total : 0}%"></div></div>`;
  return html`<section class="oneshot" aria-label="One-shot search">
    <h2>One-shot <span class="sub">supernet trainings and evaluation batches</span></h2>
    <ol>
      ${nets.map((n) => {
        const epochs = n.config?.epochs ?? 0;
        const done = n.curve?.length ?? 0;
        return html`<li class="row" style="--c:var(--remap-warn)" data-supernet=${n.id}>
          <span class="id">${n.id}</span>
          <span class="desc">supernet ${n.status === "queued" ? "training queued" : `training, epoch ${done}/${epochs}`} · ${n.blocks ?? ""} blocks</span>
          ${fill(done, epochs)}
        </li>`;
      })}
      ${left
        ? html`<li class="row" style="--c:var(--remap-accent)" data-batch=${search.id}>
            <span class="id">${search.id}</span>
            <span class="desc">evaluation batch, iteration ${search.planned.iteration}: ${planned.length - left}/${planned.length} subgraphs scored</span>
            ${fill(planned.length - left, planned.length)}
          </li>`
        : nothing}
    </ol>
  </section>`;
}
