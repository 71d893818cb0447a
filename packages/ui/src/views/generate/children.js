// The children table of the paper's Fig. 7: every model made from the chosen one
// (ablations, variations, handcrafted), newest first, with the change, its size and
// accuracy against the parent's, the estimated training time, and a loss sparkline
// that grows as epochs complete. Columns have fixed widths (table-layout: fixed) and
// the sparkline a fixed box, so rows do not jump while events stream.

import { html, svg } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { formatAcc, formatCount, formatDelta, formatSeconds, STATUS_COLORS } from "../../core/theme.js";

const TYPES = { ablation: "Ablation", variation: "Variation", handcraft: "Handcrafted", sampled: "Sampled" };
const SPARK_W = 64;
const SPARK_H = 20;

/** The children of `parent` in `state`, newest first. */
export function childrenOf(state, parent) {
  const out = [];
  for (const m of state.models.values()) if (m.parent === parent) out.push(m);
  return out.sort((a, b) => b.created_seq - a.created_seq);
}

/** {value, live}: the test accuracy, or while training the latest validation accuracy. */
export function accuracy(model) {
  if (model.result) return { value: model.result.test_acc, live: false };
  const last = model.curve.at(-1);
  return last ? { value: last.val_acc, live: true } : { value: null, live: false };
}

/** The loss curve as a fixed-size SVG polyline; x spans the planned epochs, so the line
 * grows to the right as epochs complete. */
export function sparkline(model) {
  const losses = model.curve.map((c) => c.val_loss ?? c.train_loss).filter((v) => Number.isFinite(v));
  const epochs = Math.max(model.config?.epochs ?? 0, losses.length, 2);
  const lo = Math.min(...losses);
  const hi = Math.max(...losses);
  const pad = 2;
  const x = (i) => pad + (i / (epochs - 1)) * (SPARK_W - 2 * pad);
  const y = (v) => (hi > lo ? pad + ((hi - v) / (hi - lo)) * (SPARK_H - 2 * pad) : SPARK_H / 2);
  // a higher loss is drawn higher: the line falls as the model learns
  const pts = losses.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  const last = pts.at(-1)?.split(",");
  const label = losses.length
    ? `loss over ${losses.length} of ${epochs} epochs, last ${losses.at(-1).toFixed(3)}`
    : "no epoch yet";
  return html`<svg class="spark" width=${SPARK_W} height=${SPARK_H} viewBox="0 0 ${SPARK_W} ${SPARK_H}"
      role="img" aria-label=${label}><title>${label}</title>
    ${svg`<line x1="0" x2=${SPARK_W} y1=${SPARK_H - 0.5} y2=${SPARK_H - 0.5} stroke="#dde1e6"/>`}
    ${losses.length ? svg`<polyline points=${pts.join(" ")} fill="none" stroke="#0072B2" stroke-width="1.5"
        stroke-linejoin="round" stroke-linecap="round"/>` : ""}
    ${last ? svg`<circle cx=${last[0]} cy=${last[1]} r="2" fill="#0072B2"/>` : ""}
  </svg>`;
}

function estimate(s) {
  return s === null || s === undefined ? "" : s < 0.1 ? "<0.1 s" : formatSeconds(s);
}

function deltaClass(x) {
  return x > 0 ? "up" : x < 0 ? "down" : "";
}

/** The table; `onSelect(id)` when a row is chosen. */
export function childrenTable(state, parent, onSelect) {
  const kids = childrenOf(state, parent.id);
  if (!kids.length) {
    return html`<p class="empty">No children of ${parent.id} yet: run ablations, variations or a handcrafted model above.</p>`;
  }
  const base = accuracy(parent).value;
  const row = (m) => {
    const acc = accuracy(m);
    const dAcc = acc.value !== null && base !== null ? acc.value - base : null;
    const dParams = m.params - parent.params;
    const changes = m.description || (m.changes ?? []).length + " changes";
    const status = m.status;
    return html`<tr tabindex="0" data-model=${m.id} aria-label="child ${m.id}: ${changes}"
        @click=${() => onSelect(m.id)}
        @keydown=${(e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), onSelect(m.id))}>
      <td class="id">${m.id}</td>
      <td>${TYPES[m.origin?.type] ?? m.origin?.type ?? ""}</td>
      <td class="changes" title=${changes}><span>${changes}</span></td>
      <td class="num">${formatCount(m.params)}</td>
      <td class="num ${deltaClass(-dParams)}">${formatDelta(dParams, formatCount)}</td>
      <td class="num acc ${acc.live ? "live" : ""}" title=${acc.live ? "validation accuracy so far (training)" : "test accuracy"}>
        ${acc.value === null ? "–" : formatAcc(acc.value)}${acc.live ? html`<sup>val</sup>` : ""}</td>
      <td class="num ${deltaClass(dAcc)}">${dAcc === null ? "" : formatDelta(dAcc * 100, (v) => v.toFixed(1))}</td>
      <td class="num">${estimate(m.estimate_s)}</td>
      <td><span class="status" style="--c:${STATUS_COLORS[status] ?? "#8a8f98"}">${status}</span></td>
      <td class="spark-cell">${sparkline(m)}</td>
    </tr>`;
  };
  return html`<table class="children" aria-label="children of ${parent.id}">
    <colgroup>
      <col style="width:48px"><col style="width:78px"><col><col style="width:44px"><col style="width:50px">
      <col style="width:58px"><col style="width:44px"><col style="width:44px"><col style="width:62px"><col style="width:68px">
    </colgroup>
    <thead><tr>
      <th>Model</th><th>Type</th><th>Changes</th><th class="num">Params</th><th class="num">Δ</th>
      <th class="num">Acc</th><th class="num" title="accuracy change in points">Δ pt</th>
      <th class="num" title="estimated training time">Est.</th><th>Status</th><th>Loss</th>
    </tr></thead>
    <tbody>${repeat(kids, (m) => m.id, row)}</tbody>
  </table>`;
}

export const childrenStyles = `
table.children { table-layout: fixed; font-size: 12px; }
table.children th, table.children td { padding: 3px 4px; }
table.children tbody tr { cursor: pointer; height: 36px; }
table.children tbody tr:hover { background: var(--remap-panel); }
table.children tbody tr:focus-visible { outline-offset: -2px; }
table.children td.id { font-family: var(--remap-mono); font-size: 11px; }
table.children td.changes { white-space: normal; }
table.children td.changes span {
  display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; line-height: 1.3;
}
table.children td.acc.live { font-style: italic; color: var(--remap-muted); }
table.children sup { font-size: 8px; margin-left: 1px; }
table.children td.up { color: var(--remap-ok); }
table.children td.down { color: var(--remap-danger); }
table.children .status {
  display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px; line-height: 16px;
  border: 1px solid var(--c); color: var(--remap-text); background: color-mix(in srgb, var(--c) 14%, white);
}
table.children td.spark-cell { padding: 0 4px; }
.spark { display: block; }
`;
