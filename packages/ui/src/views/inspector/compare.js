// The inspector's N-way compare (issue 22): 3 to 8 drawer models side by side (two are
// the pair view of inspector.js, with its chip diff). Their layers aligned by layer on
// the first (the server's GET …/compare: REMAP's own diff, a star alignment), their
// validation curves overlaid, their accuracy per class as grouped bars, and their
// confusion matrices side by side. Each model keeps one Okabe–Ito colour and one dash
// everywhere, and every mark has a symbol or a text too, so nothing depends on colour.

import { html, svg, nothing } from "lit-html";
import { OKABE_ITO, formatAcc, formatCount } from "../../core/theme.js";
import { curvePoints, lineChart, timeFormat } from "./charts.js";
import { confusionMatrix } from "./confusion.js";
import { shortParams, styleOf } from "../generate/layers.js";

const COLORS = [OKABE_ITO.blue, OKABE_ITO.orange, OKABE_ITO.green, OKABE_ITO.vermillion,
  OKABE_ITO.purple, OKABE_ITO.sky, OKABE_ITO.black, "#9C7A00"]; // prettier-ignore
const DASHES = ["", "6 3", "2 2", "8 3 2 3", "1 3", "10 4", "4 2 1 2", "3 5"];
const MARKS = {
  same: { symbol: "", words: "same as the reference" },
  changed: { symbol: "Δ", words: "changed settings" },
  replaced: { symbol: "⇄", words: "another kind of layer" },
  added: { symbol: "+", words: "not in the reference" },
  removed: { symbol: "−", words: "the reference's layer is not here" },
};

export const compareStyles = `
.cmp { display: flex; flex-direction: column; gap: 14px; }
.cmp-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; margin: 0; }
.cmp-legend button { all: unset; cursor: pointer; font-family: var(--remap-mono); font-weight: 600; display: inline-flex; align-items: center; gap: 5px; }
.cmp-legend button:hover { color: var(--remap-accent); }
.cmp-legend button:focus-visible { outline: 2px solid var(--remap-accent); outline-offset: 2px; }
.cmp-legend small { font-family: var(--remap-font); font-weight: normal; color: var(--remap-muted); }
.align { display: grid; gap: 3px 2px; align-items: center; overflow-x: auto; padding-bottom: 2px; }
.align .who { font-family: var(--remap-mono); font-size: 12px; font-weight: 600; display: flex; align-items: center; gap: 4px; padding-right: 12px; white-space: nowrap; }
.align .col-head { font-size: 9.5px; color: var(--remap-muted); text-align: center; }
.blk { position: relative; height: 24px; min-width: 18px; border-radius: 3px; display: flex; align-items: center; justify-content: center;
  font-size: 11px; font-weight: 700; background: var(--fill); color: var(--ink); border: 1px solid var(--stroke); box-sizing: border-box; }
.blk.gap { background: transparent; border: none; }
.blk.removed { background: repeating-linear-gradient(135deg, transparent 0 3px, var(--remap-border) 3px 4px); border: 1px dashed var(--remap-muted); color: var(--remap-muted); }
.blk.changed, .blk.replaced, .blk.added { box-shadow: 0 0 0 2px var(--remap-text); }
.blk .mk { position: absolute; top: -7px; right: -5px; font-size: 9.5px; line-height: 12px; min-width: 12px; padding: 0 1px; border-radius: 6px;
  background: var(--remap-text); color: var(--remap-bg); text-align: center; font-weight: 700; }
.align-key { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 11px; color: var(--remap-muted); margin-top: 6px; }
.align-key b { display: inline-block; min-width: 12px; text-align: center; border-radius: 6px; background: var(--remap-text); color: var(--remap-bg); margin-right: 3px; }
.cmp .charts { grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); }
.swatch { display: inline-block; vertical-align: middle; }
.bar-key { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 11px; font-family: var(--remap-mono); margin-bottom: 2px; }
.bar-key i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.bar-key .muted { font-family: var(--remap-font); }
svg.groups { width: 100%; height: auto; display: block; }
svg.groups text { font-size: 10px; fill: var(--remap-muted); font-family: var(--remap-font); }
svg.groups .grid line { stroke: var(--remap-border); }
.cms { display: flex; flex-wrap: wrap; gap: 12px 18px; align-items: flex-start; }
.cms figure { margin: 0; --cell: 15px; }
.cms figcaption { font-family: var(--remap-mono); font-weight: 600; font-size: 12px; margin-bottom: 4px; display: flex; gap: 6px; align-items: center; }
.cms .cm { --cell: 15px; font-size: 8.5px; }
table.cmp-stats { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; }
table.cmp-stats th, table.cmp-stats td { padding: 2px 10px 2px 0; text-align: right; white-space: nowrap; }
table.cmp-stats th:first-child, table.cmp-stats td:first-child { text-align: left; }
table.cmp-stats tbody tr { border-top: 1px solid var(--remap-border); }
`;

/** The line sample of model `k` (its colour and dash). */
function swatch(k, w = 22) {
  return svg`<svg class="swatch" width=${w} height="8" aria-hidden="true"><line x1="0" x2=${w} y1="4" y2="4"
    stroke=${COLORS[k]} stroke-width="2.5" stroke-dasharray=${DASHES[k] || "none"}></line></svg>`;
}

/** Fetch the alignment of `ids` once (architectures never change once made). */
function loadAlignment(host, ids) {
  const key = ids.join(",");
  if (host.aligned?.key === key) return host.aligned;
  const entry = (host.aligned = { key, value: null, error: null });
  const url = `${host.session.apiUrl("/compare")}?models=${encodeURIComponent(key)}`;
  host.session
    .fetch(url)
    .then(async (r) => {
      const body = await r.json();
      if (!r.ok) throw new Error(body.error ?? `the server answered ${r.status}`);
      entry.value = body;
    })
    .catch((e) => {
      entry.error = String(e.message ?? e);
    })
    .finally(() => host.aligned === entry && host.requestRender());
  return entry;
}

function alignedLayers(host, ids, state) {
  const entry = loadAlignment(host, ids);
  if (entry.error) return html`<div class="note">The layers could not be aligned: ${entry.error}</div>`;
  if (!entry.value) return html`<div class="note">aligning the layers…</div>`;
  const { columns } = entry.value;
  const archs = ids.map((id) => state.models.get(id)?.arch);
  const block = (k, c) => {
    const j = c.layers[k];
    const mark = c.marks[k];
    if (j === null) {
      return mark === "removed"
        ? html`<span class="blk removed" title="${ids[k]}: ${MARKS.removed.words}" data-mark="removed">−</span>`
        : html`<span class="blk gap" aria-hidden="true"></span>`;
    }
    const layer = archs[k]?.layers?.[j] ?? { type: "?" };
    const st = styleOf(layer.type);
    const params = shortParams(layer);
    const m = MARKS[mark] ?? MARKS.same;
    return html`<span class="blk ${mark}" data-mark=${mark} data-layer=${j}
      style="--fill:${st.fill};--ink:${st.ink};--stroke:${st.stroke}"
      title="${ids[k]} layer ${j}: ${st.label}${params ? ` ${params}` : ""}${mark === "same" ? "" : ` (${m.words})`}">${st.initial}${m.symbol ? html`<span class="mk" aria-hidden="true">${m.symbol}</span>` : nothing}</span>`;
  };
  return html`<div class="align" role="table" aria-label="Layers aligned on ${ids[0]}"
      style="grid-template-columns: max-content repeat(${columns.length}, minmax(18px, 28px))">
    <span role="columnheader"></span>
    ${columns.map((c) => html`<span class="col-head" role="columnheader">${c.reference ?? "+"}</span>`)}
    ${ids.map((id, k) => html`<span class="who" role="rowheader" data-model=${id}>${swatch(k, 14)}${id}</span>
      ${columns.map((c) => block(k, c))}`)}
  </div>
  <div class="align-key">${["changed", "replaced", "added", "removed"].map((k) => html`<span><b>${MARKS[k].symbol}</b>${MARKS[k].words}</span>`)}
    <span>columns: the layers of ${ids[0]} (+: layers it lacks)</span></div>`;
}

function overlaidCurves(models, byTime) {
  const trained = models.filter((m) => m.curve?.length);
  if (!trained.length) return html`<div class="note">No epoch recorded yet.</div>`;
  const seconds = (m) => m.curve.reduce((s, e) => s + e.seconds, 0);
  const last = byTime ? Math.max(...trained.map(seconds)) : Math.max(...trained.map((m) => m.curve.length));
  const x = byTime
    ? { min: 0, max: last || 1, format: timeFormat(last || 1), label: "wall time" }
    : { min: 1, max: Math.max(2, last), format: (v, exact) => (exact ? `epoch ${v}` : String(v)), label: "epoch" };
  const lines = (key) => models.map((m, k) => ({
    series: { label: m.id, color: COLORS[k], dash: DASHES[k] },
    points: m.curve?.length ? curvePoints(m.curve, key, byTime) : [],
  })); // prettier-ignore
  const losses = trained.flatMap((m) => m.curve.map((e) => e.val_loss)).filter(Number.isFinite);
  const acc = lineChart({
    label: `Validation accuracy of ${models.map((m) => m.id).join(", ")}`,
    x,
    y: { min: 0, max: 1, ticks: [0, 0.25, 0.5, 0.75, 1], format: (v, exact) => (exact ? `${(100 * v).toFixed(1)} %` : `${Math.round(100 * v)}%`) },
    lines: lines("val_acc"),
  });
  const loss = lineChart({
    label: `Validation loss of ${models.map((m) => m.id).join(", ")}`,
    x,
    y: { min: 0, max: Math.max(0.1, ...losses) * 1.02, format: (v, exact) => (exact ? v.toFixed(3) : `${+v.toFixed(2)}`) },
    lines: lines("val_loss"),
  });
  return html`<div class="charts">
    <figure><figcaption>Validation accuracy</figcaption>${acc}</figure>
    <figure><figcaption>Validation loss</figcaption>${loss}</figure>
  </div>`;
}

function groupedBars(models, names) {
  const done = models.map((m) => m.result?.per_class_acc ?? null);
  if (!done.some(Boolean)) return html`<div class="note">Appears when a compared model finishes training.</div>`;
  const classes = Math.max(names.length, ...done.map((a) => a?.length ?? 0));
  const W = 600;
  const H = 170;
  const pad = { left: 34, right: 4, top: 6, bottom: 22 };
  const group = (W - pad.left - pad.right) / classes;
  const bar = Math.max(2, (group - 6) / models.length);
  const sy = (v) => H - pad.bottom - v * (H - pad.top - pad.bottom);
  const name = (c) => names[c] ?? String(c);
  return svg`<svg class="groups" viewBox="0 0 ${W} ${H}" role="img"
      aria-label="Accuracy per class of ${models.map((m) => m.id).join(", ")}, grouped by class">
    <g class="grid">${[0, 0.25, 0.5, 0.75, 1].map((t) => svg`<line x1=${pad.left} x2=${W - pad.right} y1=${sy(t)} y2=${sy(t)}></line>
      <text x=${pad.left - 4} y=${sy(t) + 3.5} text-anchor="end">${Math.round(100 * t)}%</text>`)}</g>
    ${Array.from({ length: classes }, (_, c) => svg`<g class="class-group" data-class=${c}>
      ${models.map((m, k) => {
        const a = done[k]?.[c];
        if (a === undefined || a === null || Number.isNaN(a)) return nothing;
        const x0 = pad.left + c * group + 3 + k * bar;
        return svg`<rect class="cls-bar" data-model=${m.id} x=${x0} y=${sy(a)} width=${Math.max(1, bar - 1)}
          height=${Math.max(0.5, sy(0) - sy(a))} fill=${COLORS[k]}><title>${m.id}, class ${name(c)}: ${formatAcc(a)}</title></rect>`;
      })}
      <text x=${pad.left + (c + 0.5) * group} y=${H - 7} text-anchor="middle">${name(c).slice(0, 8)}</text>
    </g>`)}
  </svg>`;
}

const noop = () => {};

function matrices(models, names) {
  return html`<div class="cms">${models.map((m, k) => html`<figure data-model=${m.id}>
    <figcaption>${swatch(k, 14)}${m.id}${m.result ? html`<span class="muted">${formatAcc(m.result.test_acc)}</span>` : nothing}</figcaption>
    ${m.result?.confusion
      ? confusionMatrix({ model: m.id, result: m.result, names, focus: [0, 0], active: null, on: { enter: noop, leave: noop, key: noop } })
      : html`<div class="note">not trained yet</div>`}
  </figure>`)}</div>`;
}

function statsTable(models, host) {
  const best = Math.max(...models.map((m) => m.result?.test_acc ?? -1));
  return html`<table class="cmp-stats" aria-label="The compared models' figures">
    <thead><tr><th>model</th><th>test acc</th><th>params</th><th>FLOPs</th><th>epochs</th><th>tags</th></tr></thead>
    <tbody>${models.map((m, k) => html`<tr data-model=${m.id}>
      <td><button class="link" style="all:unset;cursor:pointer;font-family:var(--remap-mono);font-weight:600"
        aria-label="Inspect ${m.id} alone" @click=${() => { host.session.setCompare([]); host.session.select(m.id); }}>${swatch(k, 14)} ${m.id}</button></td>
      <td>${m.result ? html`${m.result.test_acc === best ? html`<b>${formatAcc(m.result.test_acc)}</b> ★` : formatAcc(m.result.test_acc)}` : m.status}</td>
      <td>${formatCount(m.params)}</td><td>${formatCount(m.flops)}</td>
      <td>${m.result?.epochs ?? m.curve?.length ?? ""}</td>
      <td style="text-align:left">${(m.tags ?? []).join(", ")}</td>
    </tr>`)}</tbody>
  </table>`;
}

/** The compare of `ids` (3 to 8 models of `state`); `host` is the inspector. */
export function compareView(host, ids, state) {
  const models = ids.map((id) => state.models.get(id));
  const names = state.class_names;
  return html`<div class="cmp" data-compare=${ids.join(",")}>
    <p class="cmp-legend" aria-label="The compared models">${models.map((m, k) => html`<button
      aria-label="Inspect ${m.id} alone" title="Inspect ${m.id} alone"
      @click=${() => { host.session.setCompare([]); host.session.select(m.id); }}>${swatch(k)}${m.id}
      ${k === 0 ? html`<small>(reference)</small>` : nothing}</button>`)}</p>
    ${statsTable(models, host)}
    <section class="part cmp-chips" aria-label="Layers aligned">
      <h2>Layers, aligned by layer on ${ids[0]}</h2>
      ${alignedLayers(host, ids, state)}
    </section>
    <section class="part cmp-curves" aria-label="Training curves overlaid">
      <h2>Training curves, overlaid</h2>
      ${overlaidCurves(models, host.byTime)}
    </section>
    <section class="part cmp-classes" aria-label="Accuracy per class grouped">
      <h2>Accuracy per class</h2>
      <div class="bar-key" aria-hidden="true">${models.map((m, k) => html`<span><i style="background:${COLORS[k]}"></i>${m.id}</span>`)}
        <span class="muted">bars in this order within each class</span></div>
      ${groupedBars(models, names)}
    </section>
    <section class="part cmp-confusion" aria-label="Confusion matrices side by side">
      <h2>Confusion matrices</h2>
      ${matrices(models, names)}
    </section>
  </div>`;
}
