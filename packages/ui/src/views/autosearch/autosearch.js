// <remap-autosearch>: start an automated search and steer it (issue 21) — strategy,
// budget (models and / or model-epochs), epochs per model, seed, a parameter cap and the
// layer kinds it must not or must use, a region of the structure projection to stay in
// (the box round the drawer's models: brush them in the overview, "Add all to drawer"),
// the median stopping rule; then per search: pause / resume / stop, change its budget,
// add the drawer's models to its population, constrain it with the form's cap, kinds and
// region ("Constrain as above"). Each is one command; what the list shows
// (status, budget used, trainings stopped early) is folded from the log
// (core/fold-auto-search.js). The MAST view draws each search's proposals in a colour.

import { html, nothing } from "lit-html";
import { RemapElement } from "../../core/element.js";
import { searchUsed } from "../../core/fold-auto-search.js";
import { regionAround } from "./region.js";

export { regionAround };

export const STRATEGIES = [
  ["evolution", "Evolution (aging)"],
  ["random", "Random chain"],
  ["hyperband", "Hyperband"],
  ["bayesopt", "Bayesian opt. (OTMANN GP)"],
  ["metaqnn", "MetaQNN (Q-learning)"],
];
const KINDS = ["conv", "maxpool", "avgpool", "dense", "dropout", "batchnorm", "relu", "tanh", "sigmoid"];

const styles = `
:host { display: block; font-size: 12px; margin-bottom: 8px; }
.box { border: 1px solid var(--remap-border); border-radius: var(--remap-radius); background: var(--remap-panel); padding: 6px 8px; }
h3 { font-size: 12px; margin: 0 0 6px; letter-spacing: .02em; }
form { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 6px 12px; align-items: end; }
label { display: flex; flex-direction: column; gap: 2px; color: var(--remap-muted); }
label input, label select { font: inherit; color: var(--remap-fg, inherit); }
input[type=number] { width: 100%; box-sizing: border-box; }
.kinds { grid-column: 1 / -1; display: flex; flex-wrap: wrap; gap: 4px 6px; align-items: center; color: var(--remap-muted); }
.kind { display: inline-flex; align-items: center; gap: 3px; padding: 1px 6px; border: 1px solid var(--remap-border); border-radius: 10px; cursor: pointer; color: inherit; }
.kind[data-mode="forbid"] { background: color-mix(in srgb, var(--remap-warn, #b26b00) 18%, transparent); border-color: var(--remap-warn, #b26b00); text-decoration: line-through; }
.kind[data-mode="require"] { background: color-mix(in srgb, var(--remap-ok) 18%, transparent); border-color: var(--remap-ok); font-weight: 600; }
.actions { grid-column: 1 / -1; display: flex; gap: 8px; align-items: center; }
button.primary { font-weight: 600; }
table { width: 100%; border-collapse: collapse; margin-top: 8px; font-variant-numeric: tabular-nums; table-layout: fixed; }
col.search { width: 48%; } col.status { width: 14%; }
th, td { text-align: left; padding: 3px 6px; border-top: 1px solid var(--remap-border); vertical-align: middle; white-space: normal; overflow-wrap: anywhere; }
th { color: var(--remap-muted); font-weight: 500; }
.status { font-weight: 600; }
.status.running { color: var(--remap-ok); }
.status.paused { color: var(--remap-warn, #b26b00); }
.status.stopped, .status.done { color: var(--remap-muted); }
.bar { display: inline-block; width: 60px; height: 6px; border-radius: 3px; background: var(--remap-border); vertical-align: middle; margin-right: 6px; overflow: hidden; }
.bar > span { display: block; height: 100%; background: var(--remap-accent); }
td.steer { border-top: none; padding-top: 0; }
td.steer > * { margin: 1px 0; }
td.steer input { width: 52px; }
.muted { color: var(--remap-muted); }
label.check { flex-direction: row; align-items: center; gap: 4px; }
`;

/** A search's budget as words, and the share of it used (0..1, null without a cap). */
export function budgetText(record, used) {
  const [models, epochs] = used;
  const parts = [];
  if (record.models !== null) parts.push(`${models} / ${record.models} models`);
  else parts.push(`${models} models`);
  if (record.epochs !== null) parts.push(`${epochs} / ${record.epochs} epochs`);
  else parts.push(`${epochs} epochs`);
  const shares = [];
  if (record.models !== null) shares.push(models / record.models);
  if (record.epochs !== null) shares.push(epochs / record.epochs);
  return [parts.join(" · "), shares.length ? Math.min(1, Math.max(...shares)) : null];
}

const num = (v) => (v === "" || v === null || v === undefined ? undefined : Number(v));
const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export class RemapAutoSearch extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor", "connection"];

  constructor() {
    super();
    this.form = { strategy: "evolution", models: 20, budget_epochs: "", epochs: "", seed: "", max_params: "" };
    this.kinds = {}; // kind -> "forbid" | "require"
    this.inRegion = false; // stay round the drawer's models in the structure projection
    this.medianStop = false;
    this.budgets = {}; // search -> models typed
  }

  toggleKind(kind) {
    const next = { undefined: "forbid", forbid: "require", require: undefined }[this.kinds[kind]];
    if (next) this.kinds[kind] = next;
    else delete this.kinds[kind];
    this.requestRender();
  }

  field(name, label, attrs = {}) {
    return html`<label>${label}<input type="number" name=${name} min=${attrs.min ?? 1} placeholder=${attrs.placeholder ?? ""}
      .value=${String(this.form[name])} @input=${(e) => { this.form[name] = e.target.value; }}></label>`;
  }

  startCommand() {
    const f = this.form;
    const command = { type: "start_auto_search", strategy: f.strategy, models: num(f.models),
      budget_epochs: num(f.budget_epochs), epochs: num(f.epochs), seed: num(f.seed),
      ...this.constraints(), median_stop: this.medianStop || undefined };
    return defined(command);
  }

  /** The form's constraints (cap, kinds, region), as a start and a constrain take them. */
  constraints() {
    const region = this.inRegion ? this.region() : null;
    const by = (mode) => Object.keys(this.kinds).filter((k) => this.kinds[k] === mode);
    return defined({ max_params: num(this.form.max_params), forbid_kinds: by("forbid"),
      require_kinds: by("require"), region: region ?? undefined });
  }

  /** A running or paused search takes the form's constraints in place of its own. */
  constrainCommand(r) {
    return { type: "constrain_auto_search", search: r.search, ...this.constraints() };
  }

  region() {
    const s = this.session;
    return regionAround(s.live.drawer, s.state.embeddings.structure ?? new Map());
  }

  template() {
    const s = this.session;
    const state = s.state;
    if (!state.settings) return nothing;
    const replay = s.cursor !== null;
    const searches = Object.values(state.auto_searches ?? {});
    const drawer = s.live.drawer;
    return html`<div class="box" aria-label="Automated searches">
      <h3>Automated search</h3>
      <form @submit=${(e) => { e.preventDefault(); this.post(this.startCommand()); }}>
        <label>strategy<select name="strategy" @change=${(e) => { this.form.strategy = e.target.value; }}>
          ${STRATEGIES.map(([id, name]) => html`<option value=${id} ?selected=${this.form.strategy === id}>${name}</option>`)}
        </select></label>
        ${this.field("models", "budget: models")}
        ${this.field("budget_epochs", "budget: model-epochs", { placeholder: "no cap" })}
        ${this.field("epochs", "epochs per model", { placeholder: String(state.settings.train.epochs) })}
        ${this.field("seed", "seed", { min: 0, placeholder: "from the command" })}
        ${this.field("max_params", "max parameters", { placeholder: String(state.settings.limits?.max_params ?? "") })}
        <div class="kinds" title="click a kind: forbidden, then required, then free">layer kinds:
          ${KINDS.map((k) => html`<button type="button" class="kind" data-kind=${k} data-mode=${this.kinds[k] ?? "free"}
            aria-pressed=${this.kinds[k] ? "true" : "false"} @click=${() => this.toggleKind(k)}>${k}</button>`)}
          <span class="muted">(click: forbid → require → free)</span>
        </div>
        <div class="kinds">
          <label class="check" title="brush models in the overview (structure projection) and add them to the drawer: the search proposes only models estimated inside the box round them">
            <input type="checkbox" name="region" .checked=${this.inRegion} ?disabled=${!this.region()}
              @change=${(e) => { this.inRegion = e.target.checked; this.requestRender(); }}>
            stay round the drawer's ${drawer.length} models in the structure projection</label>
          <label class="check" title="stop a training whose best accuracy so far is below the median of the others' running averages at the same epoch">
            <input type="checkbox" name="median_stop" .checked=${this.medianStop}
              @change=${(e) => { this.medianStop = e.target.checked; }}>
            median stopping rule</label>
        </div>
        <div class="actions"><button class="primary" type="submit" ?disabled=${replay}>Start search</button></div>
      </form>
      ${searches.length ? this.list(state, searches, drawer, replay) : nothing}
    </div>`;
  }

  list(state, searches, drawer, replay) {
    const rows = searches.map((r) => {
      const used = searchUsed(state, r.search);
      const [text, share] = budgetText(r, used);
      const spent = share !== null && share >= 1;
      const status = r.status === "running" && spent ? "done" : r.status;
      const c = r.spec.constraints;
      const caps = [c.max_params ? `≤ ${c.max_params.toLocaleString()} params` : "",
        c.forbid_kinds.length ? `no ${c.forbid_kinds.join(", ")}` : "",
        c.require_kinds.length ? `with ${c.require_kinds.join(", ")}` : "",
        c.region ? "in a region" : "", r.median_stop ? "median stop" : ""].filter(Boolean).join(" · ");
      const early = r.stopped_early ?? [];
      const typed = this.budgets[r.search] ?? r.models ?? "";
      const toAdd = drawer.filter((m) => !r.population.includes(m));
      return html`<tbody data-search=${r.search}><tr>
        <td><b>${r.search}</b> ${r.spec.strategy}<div class="muted">${caps || "no constraints"} · seed ${r.spec.seed}</div></td>
        <td><span class="status ${status}" data-status>${status}</span></td>
        <td data-budget><span class="bar"><span style="width:${Math.round((share ?? 0) * 100)}%"></span></span>${text}
          <div class="muted">population ${r.population.length}${early.length
            ? html` · <span data-stopped-early title=${early.join(", ")}>${early.length} stopped early</span>` : nothing}</div></td>
      </tr><tr><td colspan="3" class="steer">
          ${r.status === "running" && !spent
            ? html`<button ?disabled=${replay} @click=${() => this.post({ type: "pause_auto_search", search: r.search })}>Pause</button>`
            : r.status === "paused"
              ? html`<button class="primary" ?disabled=${replay} @click=${() => this.post({ type: "resume_auto_search", search: r.search })}>Resume</button>`
              : nothing}
          ${r.status !== "stopped"
            ? html`<button ?disabled=${replay} @click=${() => this.post({ type: "stop_auto_search", search: r.search })}>Stop</button>
              <input type="number" min="1" name="budget" aria-label="budget in models" .value=${String(typed)}
                @input=${(e) => { this.budgets[r.search] = e.target.value; }}>
              <button ?disabled=${replay} @click=${() => this.setBudget(r)}>Set budget</button>
              <button ?disabled=${replay} data-constrain
                title="replace this search's constraints with the form's above: its parameter cap, layer kinds and region"
                @click=${() => this.post(this.constrainCommand(r))}>Constrain as above</button>
              <button ?disabled=${replay || !toAdd.length} data-add-drawer
                title=${toAdd.length ? `add ${toAdd.join(", ")} to its population` : "no drawer model to add"}
                @click=${() => this.post({ type: "add_to_auto_search", search: r.search, models: toAdd })}>Add ${toAdd.length} drawer models</button>`
            : nothing}
        </td>
      </tr></tbody>`;
    });
    return html`<table><colgroup><col class="search"><col class="status"><col></colgroup>
      <thead><tr><th>search</th><th>status</th><th>budget used</th></tr></thead>${rows}</table>`;
  }

  async setBudget(r) {
    const n = Number(this.budgets[r.search]);
    if (await this.post({ type: "set_auto_search_budget", search: r.search, models: Number.isFinite(n) ? n : this.budgets[r.search], epochs: r.epochs ?? undefined })) {
      delete this.budgets[r.search];
    }
    this.requestRender();
  }
}

customElements.define("remap-autosearch", RemapAutoSearch);
