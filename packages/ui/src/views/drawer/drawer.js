// <remap-drawer>: the models the builder kept (REMAP Fig. 1B; the model drawer of MAST):
// one row per model with its SNAC, sortable by any attribute or by a composite such as
// accuracy per log10 parameters (MAST 3); click a row to inspect it, tick two to
// compare them, ✕ to take one out.

import { exportMenu, modelOutStyles } from "../inspector/model-out.js";
import { html, nothing } from "lit-html";
import { live } from "lit-html/directives/live.js";
import { repeat } from "lit-html/directives/repeat.js";
import { RemapElement } from "../../core/element.js";
import { describeAccuracy, metricValue } from "../../core/metrics.js";
import { describeGroup, groupStats } from "../../core/replicates.js";
import { STATUS_COLORS, accuracyOf, formatAcc, formatCount } from "../../core/theme.js";
import { readView, writeView } from "../../core/view-state.js";
import { figureMenu, figureMenuStyles } from "../../core/figure-menu.js";
import { matcher } from "../../core/filters.js";
import { tagStyles, tagsCell } from "./tags.js";
import { COMPARE_MAX } from "../../core/session.js";

/** The best validation accuracy a model reached (null before its first epoch). */
const bestVal = (m) => metricValue(m, "val_best");

/** The drawer's sort from the page's URL ("params:-1"), or null. */
function sortFromUrl() {
  const [key, dir] = (readView("sort") ?? "").split(":");
  return COLUMNS.some((c) => c.key === key) && (dir === "1" || dir === "-1") ? { key, dir: Number(dir) } : null;
}

/** The compared models that exist in `state` (a replay before one was made drops it). */
export function comparedIn(state, compare) {
  return compare.filter((id) => state.models.has(id));
}

const log10 = (x) => (x > 1 ? Math.log10(x) : null);

/** Scores that weigh accuracy against cost (MAST: "validation accuracy divided by the
 * log of the number of parameters"). */
export const COMPOSITES = {
  acc_log_params: {
    label: "acc / log₁₀ params",
    value: (m) => {
      const a = accuracyOf(m);
      const l = log10(m.params);
      return a === null || l === null ? null : a / l;
    },
  },
  acc_log_flops: {
    label: "acc / log₁₀ FLOPs",
    value: (m) => {
      const a = accuracyOf(m);
      const l = log10(m.flops);
      return a === null || l === null ? null : a / l;
    },
  },
  val_log_params: {
    label: "val acc / log₁₀ params",
    value: (m) => {
      const a = bestVal(m);
      const l = log10(m.params);
      return a === null || l === null ? null : a / l;
    },
  },
  acc_per_ms: {
    label: "acc / forward ms",
    value: (m) => {
      const a = accuracyOf(m);
      const ms = m.result?.forward_ms;
      return a === null || !ms ? null : a / ms;
    },
  },
};

const COLUMNS = [
  { key: "id", label: "Model", value: (m) => m.id, text: true },
  { key: "params", label: "Params", value: (m) => m.params },
  { key: "flops", label: "FLOPs", value: (m) => m.flops },
  { key: "val_acc", label: "Val best", title: "validation accuracy of the best epoch", value: bestVal },
  { key: "test_acc", label: "Test", title: "test accuracy (of the best epoch's weights)", value: (m) => accuracyOf(m) },
  { key: "forward_ms", label: "Fwd ms", title: "forward time per batch (ms)", value: (m) => m.result?.forward_ms ?? null },
  { key: "backward_ms", label: "Bwd ms", title: "backward time per batch (ms)", value: (m) => m.result?.backward_ms ?? null },
  { key: "composite", label: "Score", value: null },
];

const SNAC_W = 160;
const SNAC_H = 32;

/** The URL of model `id`'s chip at the drawer's size (fixed layout: exactly that box). */
function snacSrc(session, id) {
  const u = new URL(session.snacUrl(id, { height: SNAC_H, layout: "fixed" }));
  u.searchParams.set("width", String(SNAC_W));
  return u.href;
}

const styles = `
${modelOutStyles}
${tagStyles}
.compare-go { font-size: 12px; padding: 1px 8px; white-space: nowrap; }
.bar { flex-wrap: wrap; row-gap: 4px; }
.bar > .muted { white-space: nowrap; }
.compare.refused { color: var(--remap-danger); }
${figureMenuStyles}
td.out, th.out { width: 30px; text-align: center; padding: 0; overflow: visible; }
:host { display: flex; flex-direction: column; min-height: 0; height: 100%; }
small.group-acc { display: block; font-size: 10px; color: var(--remap-muted); white-space: nowrap; font-weight: normal; }
.bar { display: flex; align-items: center; gap: 8px; padding: 6px 8px; border-bottom: 1px solid var(--remap-border); flex: none; }
.bar h2 { margin: 0; }
.bar .spacer { flex: 1; }
.bar label { color: var(--remap-muted); font-size: 12px; display: flex; gap: 4px; align-items: center; }
.bar select { font-size: 12px; padding: 1px 2px; border: 1px solid var(--remap-border); border-radius: var(--remap-radius); background: var(--remap-bg); }
.compare { font-size: 12px; color: var(--remap-muted); white-space: nowrap; }
.compare b { color: var(--remap-accent); }
.scroll { flex: 1; min-height: 0; overflow: auto; }
table { table-layout: fixed; width: 100%; min-width: 820px; }
thead th { position: sticky; top: 0; background: var(--remap-panel); z-index: 1; padding: 0; }
th button {
  all: unset; box-sizing: border-box; display: flex; width: 100%; gap: 3px; padding: 4px 6px; cursor: pointer;
  font-weight: 600; font-size: 12px; color: var(--remap-muted); white-space: nowrap;
}
th.num button { justify-content: flex-end; }
th button:hover { color: var(--remap-text); }
th button:focus-visible { outline: 2px solid var(--remap-accent); outline-offset: -2px; }
th[aria-sort="ascending"] button, th[aria-sort="descending"] button { color: var(--remap-accent); }
.arrow { width: 9px; display: inline-block; text-align: center; }
td { height: 40px; padding: 2px 6px; overflow: hidden; text-overflow: ellipsis; }
tbody tr { cursor: pointer; }
tbody tr:hover { background: #f2f5f8; }
tbody tr.hover { background: #f2f5f8; }
tbody tr.selected { background: var(--remap-accent-soft); box-shadow: inset 3px 0 0 var(--remap-accent); }
tbody tr:focus-visible { outline: 2px solid var(--remap-accent); outline-offset: -2px; }
/* a fixed-layout chip drawn at the box's own size: every chip is 32 px high and the
   blocks share the width (a natural-width chip scaled down into the box was ~14 px high
   with dense blocks as specks) */
.snac-box { width: ${SNAC_W}px; height: ${SNAC_H}px; display: block; }
.snac-box img { width: ${SNAC_W}px; height: ${SNAC_H}px; display: block; }
.id { font-family: var(--remap-mono); font-weight: 600; font-size: 12px; }
.status { font-size: 12px; }
td.pick, th.pick { width: 30px; text-align: center; padding: 0; }
td.del, th.del { width: 32px; text-align: center; padding: 0; }
.del button { border: none; background: none; color: var(--remap-muted); padding: 2px 6px; }
.del button:hover { color: var(--remap-danger); }
.empty { margin: auto; max-width: 44ch; line-height: 1.5; }
/* issue 22: a model the page's filter leaves out (filter bar: Dim) */
tbody tr.filtered-out { opacity: .38; }
tbody tr.filtered-out:hover, tbody tr.filtered-out:focus-visible { opacity: .8; }
.filtered { font-size: 12px; color: var(--remap-muted); }
.empty b { color: var(--remap-text); }
`;

export class RemapDrawer extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor", "selection", "hover"];

  constructor() {
    super();
    this.sort = sortFromUrl(); // {key, dir: 1 | -1}; null: the order models were added
    this.composite = "acc_log_params";
  }

  column(key) {
    const c = COLUMNS.find((col) => col.key === key);
    return key === "composite" ? { ...c, value: COMPOSITES[this.composite].value } : c;
  }

  /** Click a header: sort by it (text ascending, numbers best-first = descending),
   * again to reverse, a third time back to the order added. */
  toggleSort(key) {
    const col = this.column(key);
    const first = col.text ? 1 : -1;
    if (!this.sort || this.sort.key !== key) this.sort = { key, dir: first };
    else if (this.sort.dir === first) this.sort = { key, dir: -first };
    else this.sort = null;
    writeView("sort", this.sort ? `${this.sort.key}:${this.sort.dir}` : null);
    this.requestRender();
  }

  sorted(models) {
    if (!this.sort) return models;
    const { key, dir } = this.sort;
    const value = this.column(key).value;
    const keyed = models.map((m, i) => [value(m), i, m]);
    keyed.sort((a, b) => {
      const [x, , ] = a;
      const [y, , ] = b;
      // a model without the value (not trained yet) goes last either way
      if (x === null || x === undefined) return y === null || y === undefined ? a[1] - b[1] : 1;
      if (y === null || y === undefined) return -1;
      const c = typeof x === "string" ? x.localeCompare(y, undefined, { numeric: true }) : x - y;
      return c ? dir * c : a[1] - b[1];
    });
    return keyed.map((k) => k[2]);
  }

  open(id) {
    this.session.select(id);
    this.emit("remap-show", { tab: "inspect" });
  }

  pick(id, checked) {
    const now = this.session.ui.compare.filter((m) => m !== id);
    // issue 22: ticks add up to COMPARE_MAX models; one more is refused, not dropped
    this.refused = checked && now.length >= COMPARE_MAX ? id : null;
    if (this.refused) this.requestRender();
    else this.session.setCompare(checked ? [...now, id] : now);
  }

  /** Open the inspector's side-by-side compare of the ticked models (2 to 8). */
  compareTicked() {
    this.emit("remap-show", { tab: "inspect" });
  }

  remove(id) {
    if (this.session.ui.compare.includes(id)) this.session.setCompare(this.session.ui.compare.filter((m) => m !== id));
    this.post({ type: "drawer_remove", models: [id] });
  }

  onRowKey(e, id) {
    if (e.target !== e.currentTarget) return;
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      this.open(id);
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const rows = [...this.shadowRoot.querySelectorAll("tbody tr")];
      rows[rows.indexOf(e.currentTarget) + (e.key === "ArrowDown" ? 1 : -1)]?.focus();
    } else if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      this.remove(id);
    }
  }

  template() {
    const s = this.session;
    const state = s.state;
    const kept = state.drawer.map((id) => state.models.get(id)).filter(Boolean);
    // issue 22: the page's filter (core/filters.js), the same as the overview's
    const keep = matcher(s.ui.filter.clauses, { metric: s.ui.metric });
    const matching = keep ? kept.filter(keep) : kept;
    const models = keep && s.ui.filter.mode === "hide" ? matching : kept;
    const compare = comparedIn(state, s.ui.compare);
    const replay = s.cursor !== null;
    const header = html`<div class="bar">
      <h2>Drawer</h2><span class="muted">${kept.length} ${kept.length === 1 ? "model" : "models"}</span>
      ${keep && kept.length ? html`<span class="filtered" data-filtered>${matching.length} match the filter</span>` : nothing}
      <span class="spacer"></span>
      <span class="compare ${this.refused ? "refused" : ""}" aria-live="polite">${this.refused
        ? html`at most ${COMPARE_MAX} models compare at once: untick one to add <b>${this.refused}</b>`
        : compare.length >= 2
        ? html`comparing ${compare.slice(0, -1).map((id, k) => html`${k ? ", " : ""}<b>${id}</b>`)} and <b>${compare.at(-1)}</b>`
        : compare.length === 1
          ? html`tick one more to compare with <b>${compare[0]}</b>`
          : models.length > 1 ? `tick 2 to ${COMPARE_MAX} to compare` : ""}</span>
      ${compare.length >= 2 ? html`<button class="compare-go" @click=${() => this.compareTicked()}
        title="Show the ticked models side by side in the inspector">Compare ${compare.length}</button>` : nothing}
      <label>Score
        <select aria-label="Composite score" @change=${(e) => {
          this.composite = e.target.value;
          this.requestRender();
        }}>
          ${Object.entries(COMPOSITES).map(([k, c]) => html`<option value=${k} ?selected=${k === this.composite}>${c.label}</option>`)}
        </select>
      </label>
      ${models.length ? figureMenu(s, "sheet") : nothing}
    </div>`;
    if (!models.length && kept.length) {
      return html`${header}<div class="scroll" style="display:flex">
        <p class="empty"><b>No model in the drawer matches the filter.</b><br>Change it in the filter bar,
          or choose Dim there to see the others faded.</p>
      </div>`;
    }
    if (!models.length) {
      return html`${header}<div class="scroll" style="display:flex">
        <p class="empty"><b>No models in the drawer yet.</b><br>Click a model in the overview to keep it
          here; then sort by any column, click one to inspect it, or tick two to compare them.</p>
      </div>`;
    }
    const sortState = (key) =>
      this.sort?.key === key ? (this.sort.dir > 0 ? "ascending" : "descending") : "none";
    const th = (c) => {
      const label = c.key === "composite" ? COMPOSITES[this.composite].label : (c.title ?? c.label);
      const state = sortState(c.key);
      const width = { id: 64, params: 62, flops: 58, val_acc: 66, test_acc: 72, forward_ms: 56, backward_ms: 56, composite: 70 }[c.key];
      return html`<th scope="col" class=${c.text ? "" : "num"} aria-sort=${state} style="width:${width}px">
        <button aria-label="Sort by ${c.key === "composite" ? label : c.label}" title="Sort by ${label}" @click=${() => this.toggleSort(c.key)}>
          ${c.text ? "" : html`<span class="arrow" aria-hidden="true">${state === "ascending" ? "▲" : state === "descending" ? "▼" : ""}</span>`}
          <span>${c.key === "composite" ? "Score" : c.label}</span>
          ${c.text ? html`<span class="arrow" aria-hidden="true">${state === "ascending" ? "▲" : state === "descending" ? "▼" : ""}</span>` : ""}
        </button></th>`;
    };
    const score = COMPOSITES[this.composite].value;
    return html`${header}<div class="scroll">
      <table aria-label="Model drawer">
        <thead><tr>
          <th class="pick" scope="col"><span class="sr-only">Compare</span></th>
          <th scope="col" style="width:${SNAC_W + 12}px;padding:4px 6px">SNAC</th>
          ${COLUMNS.map(th)}
          <th class="tags" scope="col" style="padding:4px 6px">Tags</th>
          <th class="out" scope="col"><span class="sr-only">Export</span></th>
          <th class="del" scope="col"><span class="sr-only">Remove</span></th>
        </tr></thead>
        <tbody>
          ${repeat(this.sorted(models), (m) => m.id, (m) => {
            const acc = accuracyOf(m);
            const val = bestVal(m);
            const valCI = describeAccuracy(state, m, "val_best");
            const testCI = describeAccuracy(state, m, "test");
            const sc = score(m);
            const group = groupStats(state, m.id); // issue 19: replicates' mean ± sd
            const groupText = group.members.length > 1 ? describeGroup(group, true) : null;
            const out = keep !== null && !keep(m);
            const cls = [m.id === s.ui.selected ? "selected" : "", m.id === s.ui.hover ? "hover" : "", out ? "filtered-out" : ""].join(" ");
            return html`<tr class=${cls} tabindex="0" data-id=${m.id} aria-selected=${m.id === s.ui.selected ? "true" : "false"}
              aria-label="Inspect ${m.id}"
              @click=${() => this.open(m.id)} @keydown=${(e) => this.onRowKey(e, m.id)}
              @mouseenter=${() => s.setHover(m.id)} @mouseleave=${() => {
                if (s.ui.hover === m.id) s.setHover(null);
              }}>
              <td class="pick" @click=${(e) => e.stopPropagation()}>
                <input type="checkbox" aria-label="Compare ${m.id}" .checked=${live(compare.includes(m.id))}
                  @change=${(e) => this.pick(m.id, e.target.checked)}>
              </td>
              <td><span class="snac-box"><img src=${snacSrc(s, m.id)} alt="SNAC of ${m.id}"
                width=${SNAC_W} height=${SNAC_H} loading="lazy"></span></td>
              <td class="id" title=${m.description ?? ""}>${m.id}</td>
              <td class="num">${formatCount(m.params)}</td>
              <td class="num">${formatCount(m.flops)}</td>
              <td class="num" title=${valCI?.title ?? ""}>${val === null ? "" : formatAcc(val)}</td>
              <td class="num" title=${testCI?.title ?? ""}>${acc === null
                ? html`<span class="status" style="color:${STATUS_COLORS[m.status]}">${m.status}${m.status === "running" && m.config ? ` ${m.curve.length}/${m.config.epochs}` : ""}</span>`
                : html`<b>${formatAcc(acc)}</b>`}${groupText
                ? html`<small class="group-acc" data-group-stats title="test accuracy of ${group.group} and its replicates (${group.members.join(", ")}): ${describeGroup(group)}">${groupText}</small>`
                : ""}</td>
              <td class="num">${m.result?.forward_ms != null ? m.result.forward_ms.toFixed(2) : ""}</td>
              <td class="num">${m.result?.backward_ms != null ? m.result.backward_ms.toFixed(2) : ""}</td>
              <td class="num score">${sc === null ? "" : sc.toFixed(this.composite === "acc_per_ms" ? 2 : 3)}</td>
              <td class="tags" @click=${(e) => e.stopPropagation()}>${tagsCell(s, m, (c) => this.post(c), replay)}</td>
              <td class="out" @click=${(e) => e.stopPropagation()}>${exportMenu(this.session, m, true)}</td>
              <td class="del" @click=${(e) => e.stopPropagation()}>
                <button ?disabled=${replay} aria-label="Remove ${m.id} from the drawer" title="Remove from the drawer"
                  @click=${() => this.remove(m.id)}>✕</button>
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>${nothing}`;
  }
}

customElements.define("remap-drawer", RemapDrawer);
