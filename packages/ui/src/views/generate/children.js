// The children table of the paper's Fig. 7: every model made from the chosen one
// (ablations, variations, handcrafted), newest first, with the change, its size and
// accuracy against the parent's, the estimated training time, and a loss sparkline
// that grows as epochs complete. Columns have fixed widths (table-layout: fixed) and
// the sparkline a fixed box, so rows do not jump while events stream.

import { html, svg } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { formatAcc, formatCount, formatDelta, formatSeconds, STATUS_COLORS } from "../../core/theme.js";
import { trainingNote } from "./training.js";

const TYPES = { ablation: "Ablation", variation: "Variation", handcraft: "Handcrafted", sampled: "Sampled", replicate: "Replicate", continued: "Trained longer", imported: "Imported", auto_search: "Search proposal", oneshot: "One-shot candidate" };
const SPARK_W = 64;
const SPARK_H = 20;

/** The children of `parent` in `state`, newest first. */
export function childrenOf(state, parent) {
  const out = [];
  for (const m of state.models.values()) if (m.parent === parent) out.push(m);
  return out.sort((a, b) => b.created_seq - a.created_seq);
}

/** {value, live}: the test accuracy, or while training the last epoch's validation accuracy. */
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

const COLUMNS = [
  { key: "id", label: "Model", value: (m) => m.created_seq },
  { key: "chip", label: "SNAC", value: null },
  { key: "changes", label: "Changes", value: (m) => m.description ?? "" },
  { key: "params", label: "Params", num: true, value: (m) => m.params },
  { key: "dparams", label: "Δ", num: true, title: "parameters vs the parent", value: (m, p) => m.params - p.params },
  // the split is named: test accuracy (while a child trains, its last epoch's val acc, in italics)
  { key: "acc", label: "Test acc", num: true, title: "test accuracy (val, last epoch, while training)", value: (m) => accuracy(m).value },
  { key: "dacc", label: "Δ pt", num: true, title: "accuracy change in points", value: (m, p) => dAccOf(m, p) },
  { key: "status", label: "Status", value: (m) => m.status },
  { key: "loss", label: "Loss", value: null },
];

function dAccOf(m, parent) {
  const a = accuracy(m).value;
  const b = accuracy(parent).value;
  return a !== null && b !== null ? a - b : null;
}

/** `kids` sorted by `sort` ({key, dir}; null: newest first); missing values go last. */
export function sortChildren(kids, parent, sort) {
  if (!sort) return kids;
  const col = COLUMNS.find((c) => c.key === sort.key);
  if (!col?.value) return kids;
  const keyed = kids.map((m, i) => [col.value(m, parent), i, m]);
  keyed.sort((a, b) => {
    const [x] = a;
    const [y] = b;
    if (x === null || x === undefined) return y === null || y === undefined ? a[1] - b[1] : 1;
    if (y === null || y === undefined) return -1;
    const c = typeof x === "string" ? x.localeCompare(y, undefined, { numeric: true }) : x - y;
    return c ? sort.dir * c : a[1] - b[1];
  });
  return keyed.map((k) => k[2]);
}

/** The table. `view`: {sort, open} (the table's sort and expanded rows); `on`: {select,
 * rebase, toDrawer, toggle, sort, snacUrl, diffUrl, selected, replay} (diffUrl(a, b):
 * the chip diff of the parent and the child, shown in an expanded row). A row click selects the
 * child (the inspector shows it); Generate re-bases only by "Generate from this". */
export function childrenTable(state, parent, view, on) {
  const kids = sortChildren(childrenOf(state, parent.id), parent, view.sort);
  if (!kids.length) {
    return html`<p class="empty">No children of ${parent.id} yet: run ablations, variations or a handcrafted model above.</p>`;
  }
  const inDrawer = new Set(state.drawer);
  const row = (m) => {
    const acc = accuracy(m);
    const dAcc = dAccOf(m, parent);
    const dParams = m.params - parent.params;
    const changes = m.description || (m.changes ?? []).length + " changes";
    const status = m.status;
    const type = TYPES[m.origin?.type] ?? m.origin?.type ?? "";
    const open = view.open.has(m.id);
    const est = estimate(m.estimate_s);
    const train = trainingNote(m.origin?.train); // the child's training overrides, if any
    const main = html`<tr tabindex="0" data-model=${m.id} aria-label="child ${m.id}: ${changes}"
        class=${m.id === on.selected ? "selected" : ""} aria-selected=${m.id === on.selected ? "true" : "false"}
        @click=${() => on.select(m.id)}
        @keydown=${(e) => (e.key === "Enter" || e.key === " ") && e.target === e.currentTarget && (e.preventDefault(), on.select(m.id))}>
      <td class="id"><button class="expand" aria-expanded=${open ? "true" : "false"} aria-label="${open ? "collapse" : "expand"} ${m.id}"
          @click=${(e) => { e.stopPropagation(); on.toggle(m.id); }}>${open ? "▾" : "▸"}</button><span class="who"><span>${m.id}</span><small>${type}</small></span></td>
      <td class="chip"><img src=${on.snacUrl(m.id)} alt="SNAC of ${m.id}" height="20" loading="lazy"></td>
      <td class="changes" title=${train ? `${changes} · training: ${train}` : changes}><span>${changes}</span>${train ? html`<small class="train" data-train=${m.id}>⚙ ${train}</small>` : ""}</td>
      <td class="num">${formatCount(m.params)}</td>
      <td class="num ${deltaClass(-dParams)}">${formatDelta(dParams, formatCount)}</td>
      <td class="num acc ${acc.live ? "live" : ""}" title=${acc.live ? "validation accuracy of the last epoch (training)" : "test accuracy"}>
        ${acc.value === null ? "–" : formatAcc(acc.value)}${acc.live ? html`<sup>val</sup>` : ""}</td>
      <td class="num ${deltaClass(dAcc)}">${dAcc === null ? "" : formatDelta(dAcc * 100, (v) => v.toFixed(1))}</td>
      <td title=${est ? `estimated training time ${est}` : ""}><span class="status" style="--c:${STATUS_COLORS[status] ?? "#8a8f98"}">${status}</span></td>
      <td class="spark-cell">${sparkline(m)}</td>
    </tr>`;
    if (!open) return main;
    return html`${main}<tr class="detail" data-detail=${m.id}><td colspan=${COLUMNS.length}>
      <div class="detail-body">
        ${on.diffUrl
          ? html`<snac-diff class="child-diff" url=${on.diffUrl(parent.id, m.id)}
              aria-label="diff of ${parent.id} and ${m.id}"></snac-diff>`
          : html`<img src=${on.snacUrl(m.id)} alt="" height="20">`}
        <p class="full-changes">${type}: ${changes}${est ? html` <span class="muted">· est. ${est}</span>` : ""}</p>
        ${m.config ? html`<p class="full-config muted">Trains ${m.config.epochs} epochs · lr ${m.config.lr} · batch ${m.config.batch_size} · γ ${m.config.gamma} · ${m.config.patience == null ? "no early stop" : `patience ${m.config.patience}`}${train ? " (overridden)" : ""}</p>` : ""}
        <div class="detail-actions">
          <button ?disabled=${on.replay || inDrawer.has(m.id)} @click=${() => on.toDrawer(m.id)}>${inDrawer.has(m.id) ? "In the drawer" : "Add to drawer"}</button>
          <button @click=${() => on.rebase(m.id)}>Generate from ${m.id}</button>
        </div>
      </div></td></tr>`;
  };
  const th = (c) => {
    const sorted = view.sort?.key === c.key ? (view.sort.dir > 0 ? "ascending" : "descending") : "none";
    const arrow = sorted === "ascending" ? "▲" : sorted === "descending" ? "▼" : "";
    if (!c.value) return html`<th class=${c.num ? "num" : ""}>${c.label}</th>`;
    return html`<th class=${c.num ? "num" : ""} aria-sort=${sorted} title=${c.title ?? `sort by ${c.label}`}>
      <button class="sort" aria-label="Sort children by ${c.title ?? c.label}" @click=${() => on.sort(c.key)}>${c.label}<span class="arrow">${arrow}</span></button></th>`;
  };
  return html`<table class="children" aria-label="children of ${parent.id}">
    <colgroup>
      <col style="width:62px"><col style="width:46px"><col><col style="width:58px"><col style="width:44px">
      <col style="width:60px"><col style="width:44px"><col style="width:62px"><col style="width:70px">
    </colgroup>
    <thead><tr>${COLUMNS.map(th)}</tr></thead>
    <tbody>${repeat(kids, (m) => m.id, row)}</tbody>
  </table>`;
}

export const childrenStyles = `
table.children { table-layout: fixed; font-size: 12px; }
table.children th, table.children td { padding: 3px 4px; }
table.children tbody tr { cursor: pointer; height: 36px; }
table.children th button.sort { all: unset; cursor: pointer; white-space: nowrap; }
table.children th button.sort:focus-visible { outline: 2px solid var(--remap-accent); }
table.children th .arrow { display: inline-block; width: 8px; font-size: 8px; }
table.children th .arrow:empty { display: none; }
table.children th { overflow: hidden; text-overflow: ellipsis; font-size: 11px; }
table.children td.chip img { max-width: 40px; }
table.children tbody tr.selected { background: var(--remap-accent-soft); box-shadow: inset 3px 0 0 var(--remap-accent); }
table.children td.id { white-space: nowrap; }
table.children td.id .who { display: inline-flex; flex-direction: column; vertical-align: middle; line-height: 1.15; }
table.children td.id small { font-family: var(--remap-font); color: var(--remap-muted); font-size: 10px; }
table.children button.expand { border: none; background: none; padding: 0 3px 0 0; color: var(--remap-muted); vertical-align: middle; }
table.children td.chip img { height: 20px; max-width: 54px; object-fit: contain; object-position: left center; display: block; }
table.children tr.detail { cursor: default; }
table.children tr.detail td { white-space: normal; background: var(--remap-panel); }
table.children .detail-body { display: flex; flex-direction: column; gap: 6px; padding: 4px 2px; }
table.children .detail-body img { height: 28px; align-self: flex-start; }
table.children .full-changes, table.children .full-config { margin: 0; overflow-wrap: anywhere; }
table.children .detail-actions { display: flex; gap: 6px; }
table.children tbody tr:hover { background: var(--remap-panel); }
table.children tbody tr:focus-visible { outline-offset: -2px; }
table.children td.id { font-family: var(--remap-mono); font-size: 11px; }
table.children td.changes { white-space: normal; }
table.children td.changes span {
  display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; line-height: 1.3;
}
table.children td.acc.live { font-style: italic; color: var(--remap-muted); }
table.children td.changes small.train { display: block; font-size: 10px; color: var(--remap-accent); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
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
