// <remap-app>: the whole tool as in the REMAP paper's Fig. 1 — the model overview (A),
// the model drawer (B), the tabs Generate / Queue / Inspect / Data (C) — with the
// timeline along the bottom. It only lays the views out; each one folds the same shared
// session (see core/session.js) and posts its own commands.

import { html } from "lit-html";
import { RemapElement } from "../../core/element.js";
import { bestBy, describeAccuracy, METRICS } from "../../core/metrics.js";
import { readView, writeView } from "../../core/view-state.js";
import { sampleProgress } from "../../core/progress.js";
import "../search/search.js";
import "../mast/mast.js";
import "../lineage/lineage.js";
import "../filterbar/filterbar.js";
import { PHONE_QUERY } from "../dashboard/dashboard.js";
import { RemapError } from "../../core/session.js";

const TABS = [
  ["generate", "Generate"],
  ["queue", "Queue"],
  ["inspect", "Inspect"],
  ["lineage", "Lineage"],
  ["data", "Data"],
  ["search", "Search"],
  ["mast", "MAST"],
];

const styles = `
:host { height: 100vh; display: grid; grid-template-rows: auto 1fr auto; background: var(--remap-bg); }
:host([data-phone]) { height: auto; display: block; }
header {
  display: flex; align-items: center; gap: 14px; padding: 6px 14px;
  border-bottom: 1px solid var(--remap-border); background: var(--remap-panel); min-height: 40px;
}
header h1 { font-size: 15px; margin: 0; letter-spacing: .02em; }
header h1 span { color: var(--remap-accent); }
header .name { font-weight: 600; max-width: 30ch; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
header .stats { color: var(--remap-muted); font-variant-numeric: tabular-nums; }
header .progress { color: var(--remap-accent); font-variant-numeric: tabular-nums; white-space: nowrap; }
header .spacer { flex: 1; }
header a { color: var(--remap-accent); text-decoration: none; }
header a:hover { text-decoration: underline; }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 5px; background: var(--remap-ok); }
.dot.off { background: var(--remap-warn); }
main {
  display: grid; min-height: 0; gap: 8px; padding: 8px;
  grid-template-columns: minmax(420px, 1.25fr) minmax(420px, 1fr);
  grid-template-rows: auto minmax(300px, 1.35fr) minmax(160px, 1fr);
  grid-template-areas: "filter tabs" "overview tabs" "drawer tabs";
}
main.wide { grid-template-columns: minmax(300px, 0.55fr) minmax(760px, 2fr); } /* the Search tab needs the room */
section { min-height: 0; min-width: 0; border: 1px solid var(--remap-border); border-radius: var(--remap-radius); background: var(--remap-bg); display: flex; flex-direction: column; }
.overview { grid-area: overview; }
.filter { grid-area: filter; } /* issue 22: filters the overview and the drawer below it */
.drawer { grid-area: drawer; }
.tabs { grid-area: tabs; }
.letter { font-weight: 700; color: var(--remap-accent); margin-right: 4px; }
[role="tablist"] { display: flex; gap: 2px; border-bottom: 1px solid var(--remap-border); padding: 6px 8px 0; }
[role="tab"] {
  border: 1px solid transparent; border-bottom: none; border-radius: var(--remap-radius) var(--remap-radius) 0 0;
  background: none; padding: 5px 14px; color: var(--remap-muted); margin-bottom: -1px;
}
[role="tab"][aria-selected="true"] { border-color: var(--remap-border); background: var(--remap-bg); color: var(--remap-text); font-weight: 600; }
[role="tabpanel"] { flex: 1; min-height: 0; overflow: auto; padding: 8px; }
[role="tabpanel"][hidden] { display: none; }
section > remap-overview, section > remap-drawer { flex: 1; min-height: 0; }
footer { border-top: 1px solid var(--remap-border); background: var(--remap-panel); padding: 4px 14px; }
.toasts { position: fixed; right: 16px; bottom: 70px; display: flex; flex-direction: column; gap: 6px; z-index: 10; }
.toast {
  background: #fff; border: 1px solid var(--remap-danger); border-left-width: 4px; border-radius: var(--remap-radius);
  padding: 8px 12px; max-width: 420px; box-shadow: 0 2px 8px rgba(0,0,0,.12);
}
.toast code { font-family: var(--remap-mono); font-size: 12px; }
.dropzone { position: fixed; inset: 0; z-index: 20; display: flex; align-items: center; justify-content: center;
  background: color-mix(in srgb, var(--remap-accent) 12%, transparent); border: 3px dashed var(--remap-accent);
  font-size: 18px; font-weight: 600; color: var(--remap-accent); pointer-events: none; }
.replay { background: var(--remap-accent-soft); color: var(--remap-accent); border-radius: 10px; padding: 1px 8px; font-size: 12px; }
`;

export class RemapApp extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor", "connection", "selection"];

  constructor() {
    super();
    const tab = readView("tab"); // the page's view state (core/view-state.js)
    this.tab = TABS.some(([id]) => id === tab) ? tab : "generate";
    this.toasts = [];
    // issue 22: at a phone's size the tool is a read-only dashboard (views/dashboard/)
    this.phone = globalThis.matchMedia?.(PHONE_QUERY) ?? null;
    this.phone?.addEventListener("change", () => this.requestRender());
    this.addEventListener("remap-error", (e) => this.toast(e.detail.error));
    // a view asks for another tab (e.g. "inspect this model")
    this.addEventListener("remap-show", (e) => this.show(e.detail.tab));
    // issue 19: a session file dropped on the page is imported and opened
    this.dropping = false;
    const files = (e) => [...(e.dataTransfer?.types ?? [])].includes("Files");
    this.addEventListener("dragover", (e) => {
      if (!files(e)) return;
      e.preventDefault();
      if (!this.dropping) { this.dropping = true; this.requestRender(); }
    });
    this.addEventListener("dragleave", (e) => {
      if (e.relatedTarget === null && this.dropping) { this.dropping = false; this.requestRender(); }
    });
    this.addEventListener("drop", (e) => {
      if (!files(e)) return;
      e.preventDefault();
      this.dropping = false;
      this.requestRender();
      this.importFile(e.dataTransfer.files[0]);
    });
  }

  /** POST a dropped `.remap.jsonl` (or the `.zip` of `remap export --with-weights`) to
   * /api/import, then open the session it holds. */
  async importFile(file) {
    if (!file) return;
    try {
      const zip = file.name.toLowerCase().endsWith(".zip");
      const response = await this.session.fetch(this.session.url("/api/import"), {
        method: "POST",
        headers: { "content-type": zip ? "application/zip" : "application/x-ndjson" },
        body: zip ? await file.arrayBuffer() : await file.text(),
      });
      const text = await response.text();
      let body = null;
      try { body = JSON.parse(text); } catch { body = { error: text }; }
      if (!response.ok) throw new RemapError(response.status, body);
      const next = new URL(location.href);
      next.searchParams.set("session", body.session);
      this.emit("remap-imported", body);
      if (body.session !== this.session.id) location.assign(next.href);
    } catch (error) {
      const where = error.line ? ` (${file.name}, line ${error.line})` : ` (${file.name})`;
      this.toast({ message: `Import refused: ${error.message}${where}`, path: error.path });
    }
  }

  show(tab) {
    if (!TABS.some(([id]) => id === tab)) return;
    this.tab = tab;
    writeView("tab", tab === "generate" ? null : tab);
    this.requestRender();
  }

  toast(error) {
    const item = { message: error.message ?? String(error), path: error.path ?? null };
    this.toasts = [...this.toasts, item];
    this.requestRender();
    setTimeout(() => {
      this.toasts = this.toasts.filter((t) => t !== item);
      this.requestRender();
    }, 6000);
  }

  onTabKey(e) {
    const i = TABS.findIndex(([id]) => id === this.tab);
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    this.show(TABS[(i + step + TABS.length) % TABS.length][0]);
    this.shadowRoot.querySelector(`#tab-${this.tab}`)?.focus();
  }

  /** The phone's page (issue 22): the dashboard and the toasts, nothing that edits. */
  phoneTemplate(src) {
    this.toggleAttribute("data-phone", true); // the page scrolls, not a box of 100vh
    return html`<remap-dashboard src=${src}></remap-dashboard>
      <div class="toasts" role="alert">${this.toasts.map((t) => html`<div class="toast">${t.message}</div>`)}</div>`;
  }

  template() {
    const src = this.getAttribute("src");
    const s = this.session;
    if (this.phone?.matches) return this.phoneTemplate(src);
    this.toggleAttribute("data-phone", false);
    const state = s.state;
    let done = 0;
    let running = 0;
    let queued = 0;
    for (const m of state.models.values()) {
      if (m.status === "done") done += 1;
      else if (m.status === "running") running += 1;
      else if (m.status === "queued") queued += 1;
    }
    // the header's best is the plotted accuracy, named, with its interval
    const metric = s.ui.metric;
    const top = bestBy(state, metric);
    const best = top ? describeAccuracy(state, state.models.get(top.id), metric) : null;
    const progress = sampleProgress(state, s.cursor === null ? Date.now() : null);
    const tab = (id, label) => html`<button role="tab" id="tab-${id}" aria-controls="panel-${id}"
      aria-selected=${this.tab === id ? "true" : "false"} tabindex=${this.tab === id ? 0 : -1}
      @click=${() => this.show(id)}>${label}</button>`;
    const panel = (id, body) => html`<div role="tabpanel" id="panel-${id}" aria-labelledby="tab-${id}"
      ?hidden=${this.tab !== id}>${body}</div>`;
    return html`
      <header>
        <h1><span>RE</span>MAP</h1>
        <span class="name" title=${state.name}>${state.name || s.id}</span>
        <span class="stats" aria-live="polite">
          ${state.models.size} models · ${done} trained · ${running} training · ${queued} queued
          ${best === null
            ? ""
            : html` · <span class="best" title=${best.title}>best ${METRICS[metric].short} ${best.text} (${top.id})</span>`}
        </span>
        ${progress ? html`<span class="progress" role="status" title="trained models of the session's first sample, and the time left at the rate seen so far">${progress}</span>` : ""}
        ${s.cursor === null ? "" : html`<span class="replay">replay at seq ${s.cursor}</span>`}
        <span class="spacer"></span>
        <span class="muted"><span class="dot ${s.connected ? "" : "off"}"></span>${s.connected ? "live" : s.error ?? "connecting…"}</span>
        <a href=${s.apiUrl("/export")} download>Export session</a>
        <a href=${s.url("/snacs/")} target="_blank" rel="noopener">SNAC tool</a>
      </header>
      <main class=${this.tab === "search" ? "wide" : ""}>
        <section class="filter" aria-label="Filter of the overview and the drawer">
          <remap-filter-bar src=${src}></remap-filter-bar>
        </section>
        <section class="overview" aria-label="Model overview">
          <remap-overview src=${src}></remap-overview>
        </section>
        <section class="drawer" aria-label="Model drawer">
          <remap-drawer src=${src}></remap-drawer>
        </section>
        <section class="tabs" aria-label="Generate, queue, inspect and data">
          <div role="tablist" aria-label="Panels" @keydown=${(e) => this.onTabKey(e)}>
            ${TABS.map(([id, label]) => tab(id, label))}
          </div>
          ${panel("generate", html`<remap-generate src=${src}></remap-generate>`)}
          ${panel("queue", html`<remap-session-controls src=${src}></remap-session-controls><remap-autosearch src=${src}></remap-autosearch><remap-queue src=${src}></remap-queue>`)}
          ${panel("inspect", html`<remap-inspector src=${src}></remap-inspector>`)}
          ${panel("lineage", html`<remap-lineage src=${src}></remap-lineage>`)}
          ${panel("data", html`<remap-classes src=${src}></remap-classes>`)}
          ${panel("search", html`<remap-search src=${src}></remap-search>`)}
          ${panel("mast", html`<remap-mast src=${src}></remap-mast>`)}
        </section>
      </main>
      <footer><remap-timeline src=${src}></remap-timeline></footer>
      ${this.dropping ? html`<div class="dropzone" data-dropzone>Drop a .remap.jsonl session file to import it</div>` : ""}
      <div class="toasts" role="alert">
        ${this.toasts.map((t) => html`<div class="toast">${t.message}${t.path ? html` <code>${t.path}</code>` : ""}</div>`)}
      </div>
    `;
  }
}

customElements.define("remap-app", RemapApp);
