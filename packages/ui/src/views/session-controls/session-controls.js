// <remap-session-controls>: the controls of a running session (issue 19) — sample N
// more models, re-queue the failed and cancelled ones (the queue's Retry, for all of
// them), pause and resume the queue, change how many models train at once, and turn
// the median stopping rule on or off for every training (issue 21). Each
// is one command; the state it shows (paused, the live concurrency, the rule and what
// it stopped) is folded from the
// events they record, so every page of the session shows the same.

import { html, nothing } from "lit-html";
import { RemapElement } from "../../core/element.js";

const styles = `
:host { display: block; }
.bar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; padding: 6px 8px; margin-bottom: 8px;
  border: 1px solid var(--remap-border); border-radius: var(--remap-radius); background: var(--remap-panel); font-size: 12px; }
.group { display: inline-flex; align-items: center; gap: 5px; }
.group input[type=number] { width: 58px; }
.state { font-weight: 600; }
.state.paused { color: var(--remap-warn, #b26b00); }
.state.running { color: var(--remap-ok); }
.muted { color: var(--remap-muted); }
.sep { width: 1px; align-self: stretch; background: var(--remap-border); }
button.primary { font-weight: 600; }
`;

export class RemapSessionControls extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor", "connection"];

  constructor() {
    super();
    this.more = 10;
    this.wanted = null; // the concurrency typed, not yet set
  }

  retryable(state) {
    return [...state.models.values()].filter((m) => m.status === "failed" || m.status === "cancelled").map((m) => m.id);
  }

  template() {
    const s = this.session;
    const state = s.state;
    if (!state.settings) return nothing;
    const replay = s.cursor !== null; // controls act on the live session only
    const limit = state.concurrency ?? state.settings.concurrency;
    const retry = this.retryable(s.live);
    const wanted = this.wanted ?? limit;
    return html`<div class="bar" role="toolbar" aria-label="Session controls">
      <span class="group">Queue
        <span class="state ${state.paused ? "paused" : "running"}" data-queue-state>${state.paused ? "paused" : "running"}</span>
        ${state.paused
          ? html`<button class="primary" ?disabled=${replay} @click=${() => this.post({ type: "resume_queue" })}>Resume</button>`
          : html`<button ?disabled=${replay} @click=${() => this.post({ type: "pause_queue" })}
              title="start no new training; the running ones finish">Pause</button>`}
      </span>
      <span class="sep"></span>
      <label class="group" title="how many models train at once (the server also caps it at its trainer processes)">
        at once <input type="number" name="concurrency" min="1" max="64" .value=${String(wanted)} aria-label="models trained at once"
          @input=${(e) => { this.wanted = e.target.value; this.requestRender(); }}>
        <button ?disabled=${replay || Number(wanted) === limit} @click=${() => this.setConcurrency()}>Set</button>
      </label>
      <span class="sep"></span>
      <label class="group">sample <input type="number" name="more" min="1" max="1000" .value=${String(this.more)} aria-label="models to sample"
          @input=${(e) => { this.more = e.target.value; }}>
        <button ?disabled=${replay} @click=${() => this.sampleMore()}>more models</button>
      </label>
      <span class="sep"></span>
      ${this.medianRule(state, replay)}
      <span class="sep"></span>
      <button ?disabled=${replay || !retry.length} data-requeue
        title=${retry.length ? `queue ${retry.join(", ")} again` : "no failed or cancelled model"}
        @click=${() => this.post({ type: "enqueue", models: retry })}>Re-queue ${retry.length} failed / cancelled</button>
    </div>`;
  }

  /** The session's median stopping rule: a switch, and how many trainings it stopped. */
  medianRule(state, replay) {
    const on = state.median_rule !== null && state.median_rule !== undefined;
    // the rule's decisions; a training that finished before its stop reached the
    // worker (tiny models train an epoch in milliseconds) was not cut short
    const decided = state.median_stopped ?? [];
    const stopped = decided.filter((id) => state.models?.get?.(id)?.status !== "done");
    return html`<label class="group" title="stop any training whose best validation accuracy so far is below the median of the other models' running averages at the same epoch (once 5 others reached it); a search started with its own rule keeps that">
      <input type="checkbox" name="median_rule" .checked=${on} ?disabled=${replay}
        @change=${(e) => this.post({ type: "set_median_rule", on: e.target.checked })}>
      median stopping rule
      ${stopped.length ? html`<span class="muted" data-median-stopped title=${stopped.join(", ") + (decided.length > stopped.length ? `; ${decided.length - stopped.length} more finished before the stop reached them` : "")}>(${stopped.length} stopped)</span>` : nothing}
    </label>`;
  }

  async setConcurrency() {
    const n = Math.round(Number(this.wanted));
    if (await this.post({ type: "set_concurrency", concurrency: Number.isFinite(n) ? n : this.wanted })) this.wanted = null;
    this.requestRender();
  }

  async sampleMore() {
    const n = Math.round(Number(this.more));
    await this.post({ type: "sample", count: Number.isFinite(n) ? n : this.more });
  }
}

customElements.define("remap-session-controls", RemapSessionControls);
