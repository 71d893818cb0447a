// <remap-dashboard>: a long search watched from a phone (issue 22; REMAP paper §8.3: "a
// dashboard-like experience, easily viewable in a casual setting on a small screen such
// as a phone"). Read-only: progress (trained / training / queued), the best models so far
// with their SNACs, what trains now, the queue, and each automated search's best so far.
// Nothing here edits; every figure is text on the card (no hover-only information) and a
// tap on a model opens its details in place. <remap-app> shows it instead of the tool when
// the viewport matches PHONE_QUERY; it works alone on any page as every view does.

import { html, nothing } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { RemapElement } from "../../core/element.js";
import { searchProposals, searchUsed } from "../../core/fold-auto-search.js";
import { describeAccuracy, METRICS, metricValue } from "../../core/metrics.js";
import { sampleProgress } from "../../core/progress.js";
import { formatCount, formatSeconds } from "../../core/theme.js";
import { budgetText } from "../autosearch/autosearch.js";
import { dashboardStyles } from "./styles.js";

/** Where <remap-app> becomes this dashboard: a phone held either way. */
export const PHONE_QUERY = "(max-width: 640px), (max-height: 500px) and (pointer: coarse)";

/** How many best models and queued models the cards list. */
export const BEST_N = 5;
export const QUEUE_N = 6;

const ORIGINS = {
  sampled: "sampled", ablation: "ablation", variation: "variation", handcraft: "handcrafted", replicate: "replicate",
  continued: "trained longer", imported: "imported", auto_search: "search proposal", oneshot: "one-shot",
}; // prettier-ignore

const originText = (m) => {
  const o = m.origin ?? {};
  const word = ORIGINS[o.type] ?? o.type ?? "";
  const from = o.parent ?? o.of ?? null;
  return from ? `${word} of ${from}` : word;
};

/** The session's models by status, and the trained ones best first by `metric`. */
export function summary(state, metric) {
  const count = { done: 0, running: 0, queued: 0, failed: 0, cancelled: 0, created: 0 };
  const trained = [];
  const running = [];
  for (const m of state.models.values()) {
    count[m.status] = (count[m.status] ?? 0) + 1;
    if (m.status === "done" && metricValue(m, metric) !== null) trained.push(m);
    if (m.status === "running") running.push(m);
  }
  trained.sort((a, b) => metricValue(b, metric) - metricValue(a, metric));
  return { count, total: state.models.size, best: trained, running };
}

/** The best model search `id` proposed so far by `metric` (trained ones), or null. */
export function searchBest(state, id, metric) {
  let best = null;
  for (const m of searchProposals(state, id)) {
    const v = m.status === "done" ? metricValue(m, metric) : null;
    if (v !== null && (best === null || v > metricValue(best, metric))) best = m;
  }
  return best;
}

export class RemapDashboard extends RemapElement {
  static styles = dashboardStyles;
  static watches = ["events", "cursor", "connection"];

  constructor() {
    super();
    this.open = new Set(); // the model cards tapped open
  }

  toggle(id) {
    if (this.open.has(id)) this.open.delete(id);
    else this.open.add(id);
    this.requestRender();
  }

  template() {
    const s = this.session;
    const state = s.state;
    const metric = s.ui.metric;
    const { count, total, best, running } = summary(state, metric);
    const finished = count.done + count.failed + count.cancelled;
    const share = total ? finished / total : 0;
    const progress = sampleProgress(state, s.cursor === null ? Date.now() : null);
    const searches = Object.values(state.auto_searches ?? {});
    return html`
      <header>
        <h1><span>RE</span>MAP</h1>
        <span class="name">${state.name || s.id}</span>
        <span class="live"><span class="dot ${s.connected ? "" : "off"}"></span>${s.connected ? "live" : (s.error ?? "connecting…")}</span>
      </header>
      <main>
        <section class="card progress" aria-label="Progress">
          <h2>Progress</h2>
          <div class="tiles">
            ${tile("trained", count.done, "done")}${tile("training", count.running, "running")}
            ${tile("queued", count.queued, "queued")}${count.failed ? tile("failed", count.failed, "failed") : nothing}
          </div>
          <div class="meter" role="progressbar" aria-label="Models finished" aria-valuemin="0" aria-valuemax=${total}
            aria-valuenow=${finished}><span style="width:${(100 * share).toFixed(1)}%"></span></div>
          <p class="muted">${finished} of ${total} models finished${progress ? html` · ${progress}` : nothing}${state.paused
            ? html` · <b class="paused">queue paused</b>`
            : nothing}${s.cursor !== null ? html` · replay at seq ${s.cursor}` : nothing}</p>
        </section>

        <section class="card" aria-label="Best models so far">
          <h2>Best so far <span class="muted">by ${METRICS[metric].short}</span></h2>
          ${best.length
            ? html`<ol class="models">${repeat(best.slice(0, BEST_N), (m) => m.id, (m, i) => this.modelCard(state, m, metric, i + 1))}</ol>`
            : html`<p class="muted">No model has finished training yet.</p>`}
        </section>

        ${running.length
          ? html`<section class="card" aria-label="Training now">
              <h2>Training now</h2>
              <ul class="rows">${running.map((m) => runningRow(state, m, metric))}</ul>
            </section>`
          : nothing}

        <section class="card" aria-label="Queue">
          <h2>Queue <span class="muted">${state.queue.length} waiting</span></h2>
          ${state.queue.length
            ? html`<ol class="rows">${state.queue.slice(0, QUEUE_N).map((id, i) => queueRow(state, id, i + 1))}</ol>
              ${state.queue.length > QUEUE_N ? html`<p class="muted">and ${state.queue.length - QUEUE_N} more</p>` : nothing}`
            : html`<p class="muted">Nothing is waiting.</p>`}
        </section>

        ${searches.length
          ? html`<section class="card" aria-label="Automated searches">
              <h2>Automated searches</h2>
              <ul class="searches">${searches.map((r) => this.searchCard(state, r, metric))}</ul>
            </section>`
          : nothing}
        <p class="foot muted">A read-only view for small screens. Open REMAP on a wider screen to steer the search.</p>
      </main>`;
  }

  modelCard(state, m, metric, rank) {
    const acc = describeAccuracy(state, m, metric);
    const open = this.open.has(m.id);
    const details = `details-${m.id}`;
    return html`<li class="model" data-model=${m.id}>
      <button class="tap" aria-expanded=${open ? "true" : "false"} aria-controls=${details} @click=${() => this.toggle(m.id)}>
        <span class="rank">${rank}</span>
        <span class="what"><b class="id">${m.id}</b> <span class="muted">${formatCount(m.params)} params</span></span>
        <span class="acc">${acc?.text ?? ""}</span>
        <span class="chev" aria-hidden="true">${open ? "▴" : "▾"}</span>
      </button>
      <snac-chip src=${this.getAttribute("src")} model=${m.id} height="30" layout="variable"></snac-chip>
      ${open ? detailList(state, m, details) : nothing}
    </li>`;
  }

  searchCard(state, r, metric) {
    const [text, share] = budgetText(r, searchUsed(state, r.search));
    const status = r.status === "running" && share !== null && share >= 1 ? "done" : r.status; // as the Queue tab says
    const top = searchBest(state, r.search, metric);
    const acc = top ? describeAccuracy(state, top, metric) : null;
    return html`<li class="search" data-search=${r.search}>
      <div class="line"><b>${r.search}</b> <span class="muted">${r.spec?.strategy ?? ""}</span>
        <span class="status ${status}" data-status>${status}</span></div>
      <div class="meter small" role="progressbar" aria-label="Budget of ${r.search} used" aria-valuemin="0" aria-valuemax="100"
        aria-valuenow=${Math.round((share ?? 0) * 100)}><span style="width:${Math.round((share ?? 0) * 100)}%"></span></div>
      <div class="muted">${text}</div>
      ${top
        ? html`<div class="line best" data-search-best=${top.id}>best so far <b>${top.id}</b> <span class="acc">${acc?.text ?? ""}</span></div>
          <snac-chip src=${this.getAttribute("src")} model=${top.id} height="28" layout="variable"></snac-chip>`
        : html`<div class="muted">no proposal trained yet</div>`}
    </li>`;
  }
}

function tile(label, n, status) {
  return html`<div class="tile ${status}" data-tile=${status}><b>${n}</b><span>${label}</span></div>`;
}

function detailList(state, m, id) {
  const val = describeAccuracy(state, m, "val_best");
  const test = describeAccuracy(state, m, "test");
  const rows = [
    ["test acc", test ? `${test.text}${test.ci ? ` (${test.ci})` : ""}` : "—"],
    ["val acc, best epoch", val ? `${val.text}${val.ci ? ` (${val.ci})` : ""}` : "—"],
    ["parameters", m.params?.toLocaleString() ?? "—"],
    ["FLOPs", m.flops != null ? formatCount(m.flops) : "—"],
    ["layers", String(m.arch?.layers?.length ?? "—")],
    ["origin", originText(m) || "—"],
    ["epochs", String(m.curve.length)],
    ["trained in", m.result?.wall_s != null ? formatSeconds(m.result.wall_s) : "—"],
  ];
  return html`<dl class="details" id=${id}>
    ${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}
    ${m.description ? html`<dt>description</dt><dd class="desc">${m.description}</dd>` : nothing}
  </dl>`;
}

function runningRow(state, m, metric) {
  const epochs = m.config?.epochs ?? null;
  const share = epochs ? m.curve.length / epochs : 0;
  const acc = describeAccuracy(state, m, metric);
  return html`<li class="row" data-running=${m.id}>
    <span class="id">${m.id}</span>
    <span class="meter small" role="progressbar" aria-label="Epochs of ${m.id}" aria-valuemin="0" aria-valuemax=${epochs ?? 0}
      aria-valuenow=${m.curve.length}><span style="width:${(100 * share).toFixed(0)}%"></span></span>
    <span class="muted">${m.curve.length}/${epochs ?? "?"} ep${acc ? ` · ${acc.text}` : ""}</span>
  </li>`;
}

function queueRow(state, id, position) {
  const m = state.models.get(id);
  if (!m) return nothing;
  return html`<li class="row" data-queued=${id}>
    <span class="pos">${position}</span><span class="id">${id}</span>
    <span class="muted">${originText(m)}${m.estimate_s >= 1 ? ` · ≈ ${formatSeconds(m.estimate_s)}` : ""}</span>
  </li>`;
}

customElements.define("remap-dashboard", RemapDashboard);
