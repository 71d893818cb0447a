// <remap-filter-bar>: the page's filter of the overview and the drawer (issue 22) — one
// chip per clause (all of them must hold), a field to type more (`depth:3..8 has:dropout`,
// Enter adds them; Backspace in the empty field takes the last chip off), Dim / Hide for
// the models that do not match, and how many do. The filter is the page's own view
// state: the URL keeps it (core/session.js `setFilter`, core/filters.js for the syntax),
// every change is a step back / forward goes through, and a part of the URL that cannot be
// read is said in words here while the rest applies.

import { html, nothing } from "lit-html";
import { RemapElement } from "../../core/element.js";
import { describeClause, formatClause, matcher, parseFilter, sameClause } from "../../core/filters.js";

const EXAMPLES = [
  "depth:3..8", "conv:>=2", "dense:1", "has:batchnorm", "has:dropout", "no:dropout", "params:<20k",
  "flops:<1M", "acc:>=90%", "test:0.9..", "origin:variation", "origin:ablation,handcraft", "status:done", "tag:",
]; // prettier-ignore

const styles = `
:host { display: block; }
form { position: relative; display: flex; flex-wrap: wrap; align-items: center; gap: 3px 6px; padding: 3px 8px; }
.label { font-weight: 600; color: var(--remap-muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
ul { display: contents; list-style: none; margin: 0; padding: 0; }
.chip { display: inline-flex; align-items: center; gap: 2px; padding: 0 0 0 8px; border-radius: 12px; line-height: 22px;
  background: var(--remap-accent-soft); border: 1px solid var(--remap-accent); color: var(--remap-text); font-size: 12px; }
.chip code { display: none; }
.chip button { border: none; background: none; padding: 0 7px; border-radius: 0 12px 12px 0; line-height: 22px; color: var(--remap-muted); }
.chip button:hover, .chip button:focus-visible { color: var(--remap-danger); }
input { flex: 1 1 120px; min-width: 100px; max-width: 340px; padding: 1px 6px; line-height: 20px; border: 1px solid var(--remap-border);
  border-radius: var(--remap-radius); font-family: var(--remap-mono); font-size: 12px; }
input[aria-invalid="true"] { border-color: var(--remap-danger); }
.mode { display: inline-flex; }
.mode button { border-radius: 0; padding: 0 8px; font-size: 12px; line-height: 22px; }
.mode button:first-child { border-radius: var(--remap-radius) 0 0 var(--remap-radius); }
.mode button:last-child { border-radius: 0 var(--remap-radius) var(--remap-radius) 0; margin-left: -1px; }
.count { color: var(--remap-muted); font-size: 12px; font-variant-numeric: tabular-nums; white-space: nowrap; }
.count b { color: var(--remap-text); }
.small { font-size: 12px; padding: 0 8px; line-height: 22px; }
details { font-size: 12px; }
details summary { cursor: pointer; color: var(--remap-accent); list-style: none; padding: 0 4px; }
details summary::-webkit-details-marker { display: none; }
details .help { position: absolute; right: 8px; top: calc(100% + 2px); z-index: 5; width: min(400px, calc(100% - 16px)); background: var(--remap-bg);
  border: 1px solid var(--remap-border); border-radius: var(--remap-radius); padding: 8px 10px; box-shadow: 0 2px 8px rgba(0,0,0,.12); }
.help dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 0; }
.help dt { font-family: var(--remap-mono); }
.help dd { margin: 0; color: var(--remap-muted); }
.problem { flex-basis: 100%; color: var(--remap-danger); font-size: 12px; }
.problem code { font-family: var(--remap-mono); background: #fbeee6; padding: 0 3px; border-radius: 3px; }
.problem button { font-size: 12px; padding: 0 8px; margin-left: 6px; }
`;

export class RemapFilterBar extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor", "selection"];

  constructor() {
    super();
    this.typed = "";
    this.problem = null; // what the typed line could not say: [{part, message}]
  }

  get filter() {
    return this.session.ui.filter;
  }

  /** Add the clauses of the typed line; the parts that cannot be read stay typed. */
  add() {
    const { clauses, errors } = parseFilter(this.typed);
    const now = this.filter.clauses;
    const next = [...now, ...clauses.filter((c) => !now.some((d) => sameClause(c, d)))];
    this.problem = errors.length ? errors : null;
    this.typed = errors.map((e) => e.part).join(" ");
    if (clauses.length) this.session.setFilter(next);
    this.requestRender();
  }

  remove(clause) {
    this.session.setFilter(this.filter.clauses.filter((c) => c !== clause));
    this.shadowRoot.querySelector("input")?.focus();
  }

  clear() {
    this.problem = null;
    this.session.setFilter([]);
  }

  onKey(e) {
    if (e.key === "Backspace" && e.target.value === "" && this.filter.clauses.length) {
      e.preventDefault();
      this.remove(this.filter.clauses[this.filter.clauses.length - 1]);
    } else if (e.key === "Escape" && e.target.value !== "") {
      this.typed = "";
      this.problem = null;
      e.target.value = "";
      this.requestRender();
    }
  }

  template() {
    const s = this.session;
    const f = this.filter;
    const keep = matcher(f.clauses, { metric: s.ui.metric });
    const models = [...s.state.models.values()];
    const shown = keep ? models.filter(keep).length : models.length;
    const problem = this.problem ?? (f.errors.length ? f.errors : null);
    const fromUrl = this.problem === null && f.errors.length > 0;
    return html`<form role="search" aria-label="Filter models" @submit=${(e) => {
      e.preventDefault();
      this.add();
    }}>
      <span class="label" id="filter-label">Filter</span>
      <ul aria-label="Active filters">
        ${f.clauses.map((c) => html`<li class="chip" data-clause=${formatClause(c)} title=${formatClause(c)}>
          <span>${describeClause(c)}</span>
          <button type="button" aria-label="Remove filter ${describeClause(c)}" @click=${() => this.remove(c)}>✕</button>
        </li>`)}
      </ul>
      <input aria-labelledby="filter-label" aria-describedby="filter-problem" list="filter-examples" autocomplete="off"
        spellcheck="false" placeholder=${f.clauses.length ? "and…" : "depth:3..8  has:dropout  params:<20k  acc:>=90%"}
        aria-invalid=${this.problem ? "true" : "false"} .value=${this.typed}
        @input=${(e) => { this.typed = e.target.value; }} @keydown=${(e) => this.onKey(e)}>
      <datalist id="filter-examples">${EXAMPLES.map((x) => html`<option value=${x}></option>`)}</datalist>
      <button type="submit" class="small">Add</button>
      ${f.clauses.length ? html`<button type="button" class="small" @click=${() => this.clear()}>Clear</button>` : nothing}
      <span class="mode" role="group" aria-label="Models that do not match">
        ${["dim", "hide"].map((m) => html`<button type="button" aria-pressed=${f.mode === m ? "true" : "false"}
          title="${m === "dim" ? "Dim" : "Hide"} the models that do not match, in the overview and the drawer"
          @click=${() => s.setFilter(f.clauses, m)}>${m === "dim" ? "Dim" : "Hide"}</button>`)}
      </span>
      <span class="count" aria-live="polite" data-count>${keep
        ? html`<b>${shown}</b> of ${models.length} models match`
        : html`${models.length} models`}</span>
      <details><summary aria-label="How to write a filter">?</summary><div class="help">${help()}</div></details>
      <div class="problem" id="filter-problem" role="alert">${problem
        ? html`${fromUrl ? "The filter in this page's URL has a part REMAP cannot read; the rest applies. " : "Not added: "}
          ${problem.map((p) => html`<code>${p.part}</code>: ${p.message}. `)}
          ${fromUrl ? html`<button type="button" @click=${() => s.setFilter(f.clauses)}>Drop it</button>` : nothing}`
        : nothing}</div>
    </form>`;
  }
}

function help() {
  return html`<dl>
    <dt>depth:3..8</dt><dd>layers in the architecture (also conv:, dense: per kind)</dd>
    <dt>conv:>=2</dt><dd>ranges: 3..8, ..8, 3.., >=, >, <=, <, or one number</dd>
    <dt>has:dropout</dt><dd>contains a layer kind; no:dropout leaves it out</dd>
    <dt>params:<20k</dt><dd>parameters; flops: FLOPs per example (k, M, G)</dd>
    <dt>acc:>=90%</dt><dd>the plotted accuracy; val: best validation, test: test (0.9 or 90%)</dd>
    <dt>origin:variation</dt><dd>sampled, ablation, variation, handcraft, replicate, continued, oneshot, imported, auto_search; a,b: either</dd>
    <dt>status:done</dt><dd>created, queued, running, done, failed, cancelled</dd>
    <dt>tag:keep</dt><dd>models tagged so</dd>
  </dl><p class="muted" style="margin:6px 0 0">Every filter must hold (AND). The page's URL keeps them: share it, reload it, go back.</p>`;
}

customElements.define("remap-filter-bar", RemapFilterBar);
