// <remap-queue>: every training of the session (the REMAP paper's Queue tab, 5.3) —
// what trains now (live epoch progress), what waits (in queue order, next first, with
// estimated times; reorder by drag and drop or Alt+↑/↓, cancel one, the selected or
// all), and the history (done, failed with the error, cancelled), where a failed or
// cancelled model is queued again by Retry ({type: "enqueue", models}).
//
// Reordering is shown at once (optimistic) and posted as {type: "reorder", order}; the
// log stays the truth: the next queue change from the server replaces the guess.

import { html, nothing } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { RemapElement } from "../../core/element.js";
import { STATUS_COLORS, formatAcc, formatCount, formatSeconds } from "../../core/theme.js";
import { schedule } from "./schedule.js";
import { oneshotRowStyles, oneshotSection } from "./oneshot-rows.js";

const FILTERS = [
  ["all", "All"],
  ["queued", "Queued"],
  ["running", "Running"],
  ["done", "Done"],
  ["failed", "Failed"],
  ["cancelled", "Cancelled"],
];

const styles = `
${oneshotRowStyles}
:host { min-width: 0; }
.bar { display: flex; align-items: center; gap: 4px; flex-wrap: wrap; margin-bottom: 8px; }
.bar button { padding: 2px 9px; font-size: 12px; }
.bar .count { color: var(--remap-muted); font-variant-numeric: tabular-nums; margin-left: 3px; }
.bar button[aria-pressed="true"] .count { color: var(--remap-accent); }
.replaying { margin-left: auto; font-size: 12px; color: var(--remap-accent); }
section { margin-bottom: 12px; }
h2 { display: flex; gap: 8px; align-items: baseline; }
h2 .sub { text-transform: none; letter-spacing: 0; font-weight: 400; font-size: 12px; }
ol { list-style: none; margin: 0; padding: 0; }
li.row {
  display: grid; align-items: center; gap: 8px; min-height: 36px; padding: 3px 6px;
  border: 1px solid var(--remap-border); border-left: 4px solid var(--c, var(--remap-border));
  border-radius: var(--remap-radius); margin-bottom: 4px; background: var(--remap-bg);
}
li.queued { grid-template-columns: 16px 10px 34px 52px 48px minmax(0, 1fr) 62px 70px 86px; cursor: grab; }
.cols { display: grid; gap: 8px; padding: 0 6px 2px 10px; font-size: 11px; color: var(--remap-muted); text-transform: lowercase; }
.cols.queued { grid-template-columns: 16px 10px 34px 52px 48px minmax(0, 1fr) 62px 70px 86px; }
li.running { grid-template-columns: 52px 140px minmax(0, 1fr) 100px 30px; }
li.done { grid-template-columns: 52px 140px minmax(0, 1fr) 72px; }
li.failed, li.cancelled { grid-template-columns: 52px 140px minmax(0, 1fr) 72px 54px; }
.pick { margin: 0; cursor: pointer; }
.section-actions { display: flex; gap: 4px; flex-wrap: wrap; margin: 0 0 6px; }
.section-actions button, button.retry { padding: 1px 8px; font-size: 12px; }
li.row:focus-visible { outline: 2px solid var(--remap-accent); outline-offset: 1px; }
li.dragging { opacity: .45; }
li.drop-before { box-shadow: 0 -3px 0 0 var(--remap-accent); }
li.drop-after { box-shadow: 0 3px 0 0 var(--remap-accent); }
/* the grip: two columns of dots drawn in its own 10 px column (a "⋮⋮" glyph's width
   depends on the font and ran into the position number) */
.grip { display: block; width: 10px; height: 16px; color: var(--remap-muted); user-select: none;
  background: radial-gradient(circle, currentColor 1.1px, transparent 1.5px) 0 1px / 5px 5px; }
/* the position: up to five digits fit its 34 px column, right-aligned, clear of the grip */
.pos { color: var(--remap-muted); font-variant-numeric: tabular-nums; text-align: right; font-size: 12px;
  white-space: nowrap; overflow: hidden; }
.snac { width: 140px; max-width: 100%; height: 28px; display: block; object-fit: scale-down; object-position: left center; }
.id { font-weight: 600; font-family: var(--remap-mono); font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.desc { color: var(--remap-muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 12px; min-width: 0; }
.actions { display: flex; gap: 3px; justify-content: flex-end; }
.actions button { padding: 0; width: 26px; height: 24px; }
.actions button.cancel, .section-actions button.cancel { color: var(--remap-danger); }
.progress { display: flex; flex-direction: column; gap: 2px; min-width: 0; }
.track { height: 8px; border-radius: 4px; background: #eceef1; overflow: hidden; }
.fill { height: 100%; background: ${STATUS_COLORS.running}; transition: width .3s; }
.progress .label { font-size: 12px; color: var(--remap-muted); font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.err { color: var(--remap-danger); font-size: 12px; white-space: normal; overflow-wrap: anywhere; min-width: 0; }
.status { font-size: 12px; text-align: right; white-space: nowrap; }
.hint { color: var(--remap-muted); font-size: 12px; margin: 0 0 6px; }
.empty { padding: 8px; text-align: left; }
`;

/** The last epoch's validation accuracy (or null). */
function lastVal(m) {
  return m.curve.length ? m.curve[m.curve.length - 1].val_acc : null;
}

/** Seconds a finished training took: its report, or its start and finish times. */
function wallOf(m) {
  if (m.result?.wall_s) return m.result.wall_s;
  const s = (Date.parse(m.finished_at) - Date.parse(m.started_at)) / 1000;
  return Number.isFinite(s) ? s : null;
}

function epochsOf(m) {
  return m.config?.epochs ?? m.result?.epochs ?? null;
}

export class RemapQueue extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor"];

  constructor() {
    super();
    this.filter = "all";
    this._order = null; // an optimistic queue order, until the server's next queue change
    this._drag = null; // {id, target, after}
    this._focusId = null; // the row to focus after the next render (keyboard reorder)
    this._picked = new Set(); // queued models ticked for "Cancel selected"
  }

  changed({ what, envelopes }) {
    if (what !== "events" || !this._order) return;
    const touches = envelopes.some((e) =>
      ["queue_reordered", "training_started", "training_queued", "training_cancelled", "training_failed"].includes(
        e.event.kind,
      ),
    );
    if (touches) this._order = null;
  }

  /** The queued ids as shown: the server's order, or the pending optimistic one. */
  queued(state) {
    const truth = state.queue;
    if (!this._order || this.session.cursor !== null) return truth;
    const queued = new Set(truth);
    const order = this._order.filter((id) => queued.has(id));
    const placed = new Set(order);
    return order.concat(truth.filter((id) => !placed.has(id)));
  }

  /** Post `order` (the server passes over models that left the queue meanwhile, and
   * keeps the turn of models queued since, so a stale order is never refused). */
  async reorder(order) {
    this._order = order;
    this.requestRender();
    if ((await this.post({ type: "reorder", order })) === null) {
      this._order = null; // refused: the toast says why; show the server's order again
      this.requestRender();
    }
  }

  move(id, delta) {
    const order = [...this.queued(this.session.live)];
    const i = order.indexOf(id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= order.length) return;
    order.splice(i, 1);
    order.splice(j, 0, id);
    this._focusId = id;
    this.reorder(order);
  }

  cancel(id) {
    this.post({ type: "cancel", model: id });
  }

  /** Cancel each of `ids` still queued or training (one command each, in turn). */
  async cancelMany(ids) {
    for (const id of ids) {
      const status = this.session.live.models.get(id)?.status;
      if (status === "queued" || status === "running") await this.post({ type: "cancel", model: id });
      this._picked.delete(id);
    }
    this.requestRender();
  }

  /** Queue failed or cancelled models again (one command: they train from the start). */
  retry(ids) {
    if (ids.length) this.post({ type: "enqueue", models: ids });
  }

  pick(id, on) {
    if (on) this._picked.add(id);
    else this._picked.delete(id);
    this.requestRender();
  }

  // --- keyboard ------------------------------------------------------------------------

  onRowKey(e, id) {
    if (e.target !== e.currentTarget) return; // a button inside the row
    if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
      e.preventDefault();
      this.move(id, e.key === "ArrowUp" ? -1 : 1);
    } else if (e.key === "ArrowUp" || e.key === "ArrowDown") {
      e.preventDefault();
      const rows = [...this.shadowRoot.querySelectorAll("li.row[tabindex]")];
      const i = rows.indexOf(e.currentTarget);
      rows[i + (e.key === "ArrowUp" ? -1 : 1)]?.focus();
    } else if (e.key === "Delete") {
      e.preventDefault();
      this.cancel(id);
    }
  }

  rendered() {
    if (this._focusId === null) return;
    const row = this.shadowRoot.querySelector(`li.row[data-id="${CSS.escape(this._focusId)}"]`);
    this._focusId = null;
    row?.focus();
  }

  // --- drag and drop -------------------------------------------------------------------

  onDragStart(e, id) {
    this._drag = { id, target: null, after: false };
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", id);
    this.requestRender();
  }

  onDragOver(e, id) {
    if (!this._drag) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    const box = e.currentTarget.getBoundingClientRect();
    const after = e.clientY > box.top + box.height / 2;
    if (this._drag.target !== id || this._drag.after !== after) {
      this._drag.target = id;
      this._drag.after = after;
      this.requestRender();
    }
  }

  onDrop(e, id) {
    if (!this._drag) return;
    e.preventDefault();
    const { id: moved } = this._drag;
    const box = e.currentTarget.getBoundingClientRect();
    const after = e.clientY > box.top + box.height / 2;
    this._drag = null;
    const order = this.queued(this.session.live).filter((m) => m !== moved);
    if (moved === id) {
      this.requestRender();
      return;
    }
    const k = order.indexOf(id);
    if (k < 0) return this.requestRender();
    order.splice(after ? k + 1 : k, 0, moved);
    this.reorder(order);
  }

  onDragEnd() {
    if (!this._drag) return;
    this._drag = null;
    this.requestRender();
  }

  // --- rendering -----------------------------------------------------------------------

  /** Model `id`'s chip drawn at its box's size (fixed layout): 28 px high however deep
   * the model, not a long chip scaled down to a thin strip. */
  snac(id) {
    const u = new URL(this.session.snacUrl(id, { height: 28, layout: "fixed" }));
    u.searchParams.set("width", "140");
    return html`<img class="snac" alt="" width="140" height="28" loading="lazy" src=${u.href}>`;
  }

  template() {
    const s = this.session;
    const state = s.state;
    const replay = s.cursor !== null;
    const by = { queued: [], running: [], done: [], failed: [], cancelled: [] };
    for (const m of state.models.values()) by[m.status]?.push(m);
    by.queued = this.queued(state).map((id) => state.models.get(id)).filter(Boolean);
    // the history, the latest first
    for (const k of ["done", "failed", "cancelled"]) {
      by[k].sort((a, b) => (b.finished_at ?? "").localeCompare(a.finished_at ?? ""));
    }
    const counts = Object.fromEntries(Object.entries(by).map(([k, v]) => [k, v.length]));
    counts.all = Object.values(counts).reduce((a, b) => a + b, 0);
    const show = (k) => this.filter === "all" || this.filter === k;

    return html`
      <div class="bar" role="group" aria-label="Show trainings">
        ${FILTERS.map(
          ([k, label]) => html`<button aria-pressed=${this.filter === k ? "true" : "false"}
            @click=${() => {
              this.filter = k;
              this.requestRender();
            }}>${label}<span class="count">${counts[k]}</span></button>`,
        )}
        ${replay ? html`<span class="replaying">replay at seq ${s.cursor}: read-only</span>` : nothing}
      </div>
      ${oneshotSection(state)}
      ${counts.all === 0 ? html`<p class="empty">No trainings yet: sample, ablate or vary models and they queue here.</p>` : nothing}
      ${show("running") && (by.running.length || this.filter === "running") ? this.runningSection(by.running, replay) : nothing}
      ${show("queued") && (by.queued.length || this.filter === "queued") ? this.queuedSection(by.queued, by.running, replay) : nothing}
      ${["done", "failed", "cancelled"].map((k) =>
        show(k) && (by[k].length || this.filter === k) ? this.historySection(k, by[k]) : nothing,
      )}
    `;
  }

  runningSection(models, replay) {
    return html`<section aria-label="Running">
      <h2>Running <span class="sub">${models.length}</span></h2>
      ${models.length ? nothing : html`<p class="empty">Nothing is training.</p>`}
      <ol>
        ${repeat(models, (m) => m.id, (m) => {
          const total = epochsOf(m);
          const done = m.curve.length;
          const frac = total ? Math.min(1, done / total) : 0;
          const val = lastVal(m);
          return html`<li class="row running" data-id=${m.id} style="--c:${STATUS_COLORS.running}">
            <span class="id" title=${m.description ?? m.id}>${m.id}</span>
            ${this.snac(m.id)}
            <div class="progress">
              <div class="track" role="progressbar" aria-label="Training progress of ${m.id}"
                aria-valuemin="0" aria-valuemax=${total ?? 0} aria-valuenow=${done}>
                <div class="fill" style="width:${(100 * frac).toFixed(1)}%"></div>
              </div>
              <span class="label">epoch ${done}/${total ?? "?"}${val === null ? "" : ` · val ${formatAcc(val)}`}${m.attempts > 1 ? ` · attempt ${m.attempts}` : ""}</span>
            </div>
            <span class="desc" title=${m.worker ?? ""}>${m.worker ?? ""}</span>
            <div class="actions">
              <button class="cancel" ?disabled=${replay} aria-label="Cancel ${m.id}" title="Stop this training"
                @click=${() => this.cancel(m.id)}>✕</button>
            </div>
          </li>`;
        })}
      </ol>
    </section>`;
  }

  queuedSection(models, running, replay) {
    // what trains now holds its slots for its time left; each queued model then takes
    // the slot that frees first, `concurrency` of them side by side
    const left = running.map((m) => {
      const total = epochsOf(m);
      if (m.estimate_s === null || !total) return null;
      return m.estimate_s * Math.max(0, 1 - m.curve.length / total);
    });
    const slots = this.session.state.settings?.concurrency ?? 1;
    const plan = schedule(left, models.map((m) => m.estimate_s), slots);
    const unknown = models.filter((m) => m.estimate_s === null).length;
    const totalEstimate = plan.total ?? 0;
    const drag = this._drag;
    return html`<section aria-label="Queued">
      <h2>Queued <span class="sub">${models.length} waiting${this.totalText(models.length, totalEstimate, unknown)}</span></h2>
      ${models.length ? this.queuedActions(models, replay) : nothing}
      ${models.length > 1 && !replay ? html`<p class="hint">Drag a row, or focus it and press Alt+↑/↓, to change the order. The top one trains next.</p>` : nothing}
      ${models.length ? nothing : html`<p class="empty">The queue is empty.</p>`}
      ${models.length ? html`<div class="cols queued" aria-hidden="true"><span></span><span></span><span>#</span><span>model</span>
        <span class="num">params</span><span>SNAC</span><span class="num">trains</span><span class="num">starts</span><span></span></div>` : nothing}
      <ol aria-label="Training queue, next first">
        ${repeat(models, (m) => m.id, (m, i) => {
          const starts = plan.starts[i];
          const cls = [
            "row queued",
            drag?.id === m.id ? "dragging" : "",
            drag && drag.target === m.id && drag.id !== m.id ? (drag.after ? "drop-after" : "drop-before") : "",
          ].join(" ");
          return html`<li class=${cls} data-id=${m.id} tabindex="0" style="--c:${STATUS_COLORS.queued}"
            draggable=${replay ? "false" : "true"}
            aria-label="${m.id}, position ${i + 1} of ${models.length}"
            @keydown=${(e) => !replay && this.onRowKey(e, m.id)}
            @dragstart=${(e) => this.onDragStart(e, m.id)}
            @dragover=${(e) => this.onDragOver(e, m.id)}
            @drop=${(e) => this.onDrop(e, m.id)}
            @dragend=${() => this.onDragEnd()}>
            <input type="checkbox" class="pick" aria-label="Select ${m.id}" ?disabled=${replay}
              .checked=${this._picked.has(m.id)} @change=${(e) => this.pick(m.id, e.target.checked)}>
            <span class="grip" aria-hidden="true"></span>
            <span class="pos">${i + 1}</span>
            <span class="id" title=${m.description ?? m.id}>${m.id}</span>
            <span class="num" title="parameters">${formatCount(m.params)}</span>
            ${this.snac(m.id)}
            <span class="num" title="estimated training time">${m.estimate_s === null ? "—" : `≈ ${formatSeconds(m.estimate_s)}`}</span>
            <span class="num muted" title="estimated wait before it starts">${starts === 0 ? "next" : starts === null ? "—" : `in ${formatSeconds(starts)}`}</span>
            <div class="actions">
              <button ?disabled=${replay || i === 0} aria-label="Move ${m.id} up" title="Move up (Alt+↑)"
                @click=${() => this.move(m.id, -1)}>↑</button>
              <button ?disabled=${replay || i === models.length - 1} aria-label="Move ${m.id} down" title="Move down (Alt+↓)"
                @click=${() => this.move(m.id, 1)}>↓</button>
              <button class="cancel" ?disabled=${replay} aria-label="Cancel ${m.id}" title="Take off the queue"
                @click=${() => this.cancel(m.id)}>✕</button>
            </div>
          </li>`;
        })}
      </ol>
    </section>`;
  }

  queuedActions(models, replay) {
    const picked = models.filter((m) => this._picked.has(m.id)).map((m) => m.id);
    return html`<div class="section-actions" role="group" aria-label="Cancel waiting models">
      <button class="cancel" ?disabled=${replay || !picked.length} title="Take the ticked models off the queue"
        @click=${() => this.cancelMany(picked)}>Cancel selected${picked.length ? ` (${picked.length})` : ""}</button>
      <button class="cancel" ?disabled=${replay} title="Take every waiting model off the queue (what trains now goes on)"
        @click=${() => this.cancelMany(models.map((m) => m.id))}>Cancel all</button>
    </div>`;
  }

  totalText(n, seconds, unknown) {
    if (!n) return "";
    if (unknown === n) return " · no time estimates yet";
    return ` · ≈ ${formatSeconds(seconds)} in all${unknown ? ` (${unknown} not estimated)` : ""}`;
  }

  historySection(kind, models) {
    const title = { done: "Done", failed: "Failed", cancelled: "Cancelled" }[kind];
    const again = kind !== "done"; // a failed or cancelled model can be queued again
    const replay = this.session.cursor !== null;
    return html`<section aria-label=${title}>
      <h2>${title} <span class="sub">${models.length}</span></h2>
      ${again && models.length > 1
        ? html`<div class="section-actions" role="group" aria-label="Queue ${kind} models again">
            <button ?disabled=${replay} title="Queue every ${kind} model again"
              @click=${() => this.retry(models.map((m) => m.id))}>Retry all</button></div>`
        : nothing}
      ${models.length ? nothing : html`<p class="empty">None.</p>`}
      <ol>
        ${repeat(models, (m) => m.id, (m) => html`<li class="row ${kind}" data-id=${m.id} style="--c:${STATUS_COLORS[kind]}">
          <span class="id" title=${m.description ?? m.id}>${m.id}</span>
          ${this.snac(m.id)}
          ${kind === "failed"
            ? html`<span class="err">${m.error ?? "failed"}</span>`
            : kind === "done"
              ? html`<span class="desc">${m.result.epochs} ${m.result.epochs === 1 ? "epoch" : "epochs"} · ${formatSeconds(wallOf(m))} · ${formatCount(m.params)} params</span>`
              : html`<span class="desc">${m.curve.length ? `stopped after epoch ${m.curve.length}` : "before it started"}</span>`}
          <span class="status" style="color:${kind === "done" ? "inherit" : STATUS_COLORS[kind]}">${kind === "done" ? html`<b>${formatAcc(m.result.test_acc)}</b>` : title.toLowerCase()}</span>
          ${again
            ? html`<button class="retry" ?disabled=${replay} aria-label="Retry ${m.id}" title="Queue it again: it trains from the start"
                @click=${() => this.retry([m.id])}>Retry</button>`
            : nothing}
        </li>`)}
      </ol>
    </section>`;
  }
}

customElements.define("remap-queue", RemapQueue);
