// The overview's template: the bar (projection buttons, the search view's k, the class
// chip, the count, Brush, Reset zoom), the plot with its two canvases (they paint
// themselves: paint.js), the tooltip, the brushed models' bar, and the legend. Each
// function takes the <remap-overview> element and reads its state.

import { html, nothing, svg } from "lit-html";
import { ref } from "lit-html/directives/ref.js";
import { PROJECTIONS } from "../../core/fold.js";
import { METRICS } from "../../core/metrics.js";
import { formatCount } from "../../core/theme.js";
import { figureMenu } from "../../core/figure-menu.js";
import { GROUP } from "./groups.js";
import * as input from "./input.js";
import { diffUrl } from "../snac-chip/snac-diff.js";
import { describe } from "./points.js";
import { BEST, INK, rampCSS, ROLLING, SELECTED } from "./scales.js";
import { plotBox, toScreen } from "./viewport.js";

const LABELS = { accuracy: "Accuracy", structure: "Structure", predictions: "Predictions", search: "Search" };
const TITLES = {
  accuracy: "Accuracy (the metric chosen beside) against the number of parameters (log), with the Pareto front",
  structure: "MDS of the OTMANN structural distance between architectures",
  predictions: "MDS of the distance between the models' test-set predictions",
  search: "Accuracy over wall time: best so far and the rolling mean ± sd of the k most recent models",
};

/** Whether `view` is zoomed in (the minimap and Reset zoom show then). */
export const isZoomed = (view) => view.k > 1.001;

export function overviewTemplate(el) {
  const state = el.session.state;
  const m = el._models;
  const projection = el._projection;
  const zoomed = isZoomed(el._view);
  const drawn = el._shown;
  const cls = el._cls;
  const className = cls === null ? null : (state.class_names[cls] ?? String(cls));
  const focusId = el._focus >= 0 ? m.ids[el._focus] : null;
  const label = `${drawn} models, projection ${projection}${focusId ? `; focused ${focusId}` : ""}`;
  return html`
    <div class="bar">
      <div role="group" aria-label="Projection">
        ${PROJECTIONS.map(
          (p) => html`<button aria-pressed=${p === projection ? "true" : "false"} title=${TITLES[p]}
            @click=${() => el._setProjection(p)}>${LABELS[p]}</button>`,
        )}
      </div>
      ${projection === "accuracy" || projection === "search"
        ? html`<label class="metric" title="Which accuracy is plotted (and is the header's best)">
            <select aria-label="Plotted accuracy" @change=${(e) => el.session.setMetric(e.target.value)}>
              ${Object.entries(METRICS).map(([k, m]) => html`<option value=${k} ?selected=${k === el.session.ui.metric}>${m.label}</option>`)}
            </select></label>`
        : nothing}
      ${projection === "search"
        ? html`<label title="The rolling mean ± sd uses the k most recent models">k
            <input type="number" min="2" max="1000" .value=${String(el.k)} aria-label="Rolling window k"
              @change=${(e) => el._setK(e.target.value)} /></label>`
        : nothing}
      ${className !== null ? html`<span class="chip" title="Darkness shows this class's accuracy">class ${className}</span>` : nothing}
      <span class="spacer"></span>
      ${capToggle(el, state)}
      <span class="count" aria-live="polite">${drawn} / ${m?.n ?? 0} shown</span>
      <button aria-pressed=${el.brushMode ? "true" : "false"} title="Drag to select a rectangle (or shift-drag)"
        @click=${() => {
          el.brushMode = !el.brushMode;
          el.requestRender();
        }}>Brush</button>
      <button data-glyphs aria-pressed=${el.glyphMode ? "true" : "false"}
        title="Draw models as their SNAC chips where the zoom leaves room (zoom in to see more)"
        @click=${() => el.setGlyphMode(!el.glyphMode)}>Glyphs</button>
      <button ?disabled=${!zoomed} @click=${() => el.resetZoom()} aria-label="Reset zoom">Reset zoom</button>
      ${figureMenu(el.session, "overview", { projection, models: [...new Set([...state.drawer, ...(el.session.ui.selected ? [el.session.ui.selected] : [])])] })}
    </div>
    <div class="plot" ${ref((plot) => el._setPlot(plot))}>
      <canvas class="main" tabindex="0" role="img" aria-label=${label}
        ${ref((canvas) => el._setCanvas(canvas))}
        @pointerdown=${(e) => input.pointerDown(el, e)} @pointermove=${(e) => input.pointerMove(el, e)}
        @pointerup=${(e) => input.pointerUp(el, e)} @pointercancel=${() => input.pointerCancel(el)}
        @pointerleave=${() => input.pointerLeave(el)} @wheel=${(e) => input.wheel(el, e)}
        @keydown=${(e) => input.keyDown(el, e)} @blur=${() => input.canvasBlur(el)}></canvas>
      <canvas class="mini" aria-label="Minimap: the whole plot and the visible part; drag to pan" ?hidden=${!zoomed}
        ${ref((mini) => el._setMini(mini))}
        @pointerdown=${(e) => input.minimapPointer(el, e)} @pointermove=${(e) => input.minimapPointer(el, e)}></canvas>
      ${drawn === 0 ? html`<div class="empty-plot muted">${emptyText(state, projection)}</div>` : nothing}
      ${tooltip(el, state)}
      ${el._brushed.length || el._brush
        ? html`<div class="brushbar" role="region" aria-label="Brushed models">
            <span>${el._brushed.length} selected</span>
            <button class="primary" ?disabled=${!el._brushed.length}
              @click=${() => {
                el._add(el._brushed, false);
                el._clearBrush();
              }}>Add all to drawer</button>
            ${cancellable(el, state)}
            <button aria-label="Clear the selection" @click=${() => el._clearBrush()}>✕</button>
          </div>`
        : nothing}
    </div>
    ${legend(m, projection, className, el.k, el._layout?.overlays?.groups?.length ?? 0)}
  `;
}

/** "Hide over cap": leave out the models over the session's parameter cap (the cap may
 * have been lowered after they were made); this page's choice, kept in its URL. Shown
 * only while some model exceeds the cap. */
function capToggle(el, state) {
  const cap = state.settings?.limits?.max_params;
  if (!cap) return nothing;
  // counted once a state version, not on every render (a hover renders; 100,000 models)
  const key = `${state.last_seq}:${state.version}:${cap}`;
  if (el._overCap?.key !== key || el._overCap.state !== state) {
    let n = 0;
    for (const model of state.models.values()) if (model.params > cap) n += 1;
    el._overCap = { key, state, n };
  }
  const over = el._overCap.n;
  const hidden = el.session.ui.hideOverCap;
  if (!over && !hidden) return nothing;
  return html`<button data-hide-over-cap aria-pressed=${hidden ? "true" : "false"}
    title="Hide the ${over} model(s) of more than ${formatCount(cap)} parameters (the session's cap)"
    @click=${() => el.session.setHideOverCap(!hidden)}>Hide ${over} over cap</button>`;
}

/** "Cancel N": every brushed model still queued or training (issue 19; one
 * "cancel_models" command; the others are passed over). Hidden when none is. */
function cancellable(el, state) {
  const ids = el._brushed.filter((id) => {
    const status = state.models.get(id)?.status;
    return status === "queued" || status === "running";
  });
  if (!ids.length || el.session.cursor !== null) return nothing;
  return html`<button class="danger" data-cancel-brushed title="cancel ${ids.join(", ")}"
    @click=${async () => {
      if (await el.post({ type: "cancel_models", models: ids })) el._clearBrush();
    }}>Cancel ${ids.length} queued / training</button>`;
}

function emptyText(state, projection) {
  if (!state.models.size) return "No models yet";
  if (projection === "search") return "No model has finished training yet";
  if (projection !== "accuracy") return "No model is embedded in this projection yet";
  return "No models to show";
}

/** The hovered (else the focused) model's SNAC and figures, beside it. */
function tooltip(el, state) {
  const i = el._hover >= 0 ? el._hover : el._focus;
  if (i < 0 || !el._models || !(el._ta[i] > 0) || el._drag) return nothing;
  const id = el._models.ids[i];
  const d = describe(state, id, el._cls, el.session.ui.metric);
  if (!d) return nothing;
  const [sx, sy] = toScreen(el._view, plotBox(el._size), el._layout.u[i], el._layout.v[i]);
  const { w, h } = el._size;
  const right = sx > w - 330;
  const below = sy < 150;
  const style = `${right ? `right:${w - sx + 14}px` : `left:${sx + 14}px`};${below ? `top:${sy + 14}px` : `bottom:${h - sy + 14}px`}`;
  const parent = state.models.get(id)?.parent; // issue 22: the diff against the parent
  const inParent = parent && state.models.has(parent);
  return html`<div class="tip" role="tooltip" style=${style}>
    ${inParent
      ? html`<div class="diff-head muted">vs parent <span class="id">${parent}</span></div>
          <snac-diff class="tip-diff" url=${diffUrl(el.session, parent, id, { height: 32, words: false })}></snac-diff>`
      : html`<img src=${el.session.snacUrl(id, { height: 40 })} alt="SNAC of ${id}" />`}
    <div><span class="id">${id}</span> <span class="muted">${d.status}</span></div>
    ${d.description ? html`<div class="desc">${d.description}</div>` : nothing}
    <dl>
      <dt>params</dt><dd>${d.params}</dd>
      <dt>${d.accLabel}</dt><dd title=${d.accTitle}>${d.acc}${d.accCI ? html` <span class="ci">(95 % CI ${d.accCI})</span>` : nothing}</dd>
      ${d.classAcc !== null ? html`<dt>class ${d.className}</dt><dd>${d.classAcc}</dd>` : nothing}
    </dl>
  </div>`;
}

/** Darkness, radius, the marks, and the projection's lines (`k`: the rolling window). */
function legend(m, projection, className, k, groups = 0) {
  const range = m?.valueRange;
  const params = m?.paramRange;
  const stops = [0, 0.33, 0.66, 1];
  const gradient = `linear-gradient(to right, ${stops.map((t) => rampCSS(t)).join(", ")})`;
  const [rMin, rMax] = m?.rRange ?? [3, 10];
  return html`<div class="legend" aria-label="Legend">
    <span title="Darker is more accurate">
      ${className === null ? METRICS[m?.metric ?? "val_last"].label : `class ${className} test acc`}
      ${range ? html`<span>${(range[0] * 100).toFixed(0)}%</span>` : nothing}
      <span style="display:inline-block;width:70px;height:10px;border-radius:2px;background:${gradient}"></span>
      ${range ? html`<span>${(range[1] * 100).toFixed(0)}%</span>` : nothing}
    </span>
    <span title="Radius is the log of the number of parameters">
      <svg width=${2 * rMax + 2 * rMin + 8} height=${2 * rMax} aria-hidden="true">
        ${svg`<circle cx=${rMin + 1} cy=${rMax} r=${rMin} fill="#82b8dc"></circle>
              <circle cx=${2 * rMin + rMax + 6} cy=${rMax} r=${rMax} fill="#82b8dc"></circle>`}
      </svg>
      params ${params ? `${formatCount(Math.round(params[0]))}–${formatCount(Math.round(params[1]))}` : ""}
    </span>
    <span><svg width="14" height="14" aria-hidden="true">${svg`<circle cx="7" cy="7" r="5.5" fill="#fff" stroke="#5f6b7a" stroke-width="1.5" stroke-dasharray="2.5 2"></circle>`}</svg>training</span>
    <span><svg width="16" height="16" aria-hidden="true">${svg`<circle cx="8" cy="8" r="4" fill="#82b8dc"></circle><circle cx="8" cy="8" r="6.5" fill="none" stroke=${INK} stroke-width="1.5"></circle>`}</svg>in drawer</span>
    <span><svg width="18" height="18" aria-hidden="true">${svg`<circle cx="9" cy="9" r="4" fill="#82b8dc"></circle><circle cx="9" cy="9" r="7.5" fill="none" stroke=${SELECTED} stroke-width="2.5"></circle>`}</svg>selected</span>
    ${projection === "accuracy"
      ? html`<span><svg width="26" height="10" aria-hidden="true">${svg`<path d="M1 8 H11 V2 H25" fill="none" stroke="rgba(29,35,48,.55)" stroke-width="1.5" stroke-dasharray="5 3"></path>`}</svg>Pareto front</span>`
      : nothing}
    ${projection === "accuracy" && groups
      ? html`<span title="a model and its replicates (the same architecture, other seeds): their mean, and a whisker of ± one sd"><svg width="24" height="14" aria-hidden="true">${svg`<path d="M2 7 H20 M16 2 V12 M13 2 H19 M13 12 H19" fill="none" stroke=${GROUP} stroke-width="1.5"></path><path d="M2 7 H14" stroke=${GROUP} stroke-width="3"></path>`}</svg>replicates: mean ± sd</span>`
      : nothing}
    ${projection === "search"
      ? html`<span><svg width="22" height="10" aria-hidden="true">${svg`<path d="M1 8 H9 V2 H21" fill="none" stroke=${BEST} stroke-width="2"></path>`}</svg>best so far</span>
          <span><svg width="22" height="12" aria-hidden="true">${svg`<rect x="1" y="1" width="20" height="10" fill="rgba(204,121,167,.18)"></rect><path d="M1 6 H21" stroke=${ROLLING} stroke-width="1.5"></path>`}</svg>mean ± sd of the last ${k}</span>`
      : nothing}
  </div>`;
}
