// The confusion matrix (REMAP Fig. 2a) and the per-class accuracy bars of one model.
// Rows are the true class, columns the predicted one; correct counts (the diagonal)
// shade blue by count, confusions vermillion by count relative to the largest one, so
// the worst confusion stands out however good the model is.

import { html, nothing } from "lit-html";
import { styleMap } from "lit-html/directives/style-map.js";
import { formatAcc } from "../../core/theme.js";

const BLUE = [0, 114, 178];
const VERMILLION = [213, 94, 0];

function shade(rgb, t) {
  const a = Math.max(0, Math.min(1, t));
  return {
    background: a > 0 ? `rgba(${rgb.join(",")},${(0.1 + 0.9 * a).toFixed(3)})` : "transparent",
    color: a > 0.5 ? "#fff" : "var(--remap-text)",
  };
}

/**
 * `result` a TrainResult, `names` the class names, `focus` [row, col] of the cell that
 * takes Tab, `active` [row, col] of the cell whose examples show (or null), `on`
 * {enter(row, col, el), leave(), key(event)}.
 */
export function confusionMatrix({ model, result, names, focus, active, on }) {
  const m = result.confusion;
  const n = m.length;
  let diagMax = 0;
  let offMax = 0;
  let total = 0;
  for (let r = 0; r < n; r += 1) {
    for (let c = 0; c < n; c += 1) {
      total += m[r][c];
      if (r === c) diagMax = Math.max(diagMax, m[r][c]);
      else offMax = Math.max(offMax, m[r][c]);
    }
  }
  const rotate = names.some((name) => name.length > 2);
  const cellAt = (e) => e.target.closest?.(".cell");
  const enter = (e) => {
    const cell = cellAt(e);
    if (cell) on.enter(+cell.dataset.r, +cell.dataset.c, cell);
  };
  return html`<div class="cm ${rotate ? "rotate" : ""}" role="grid" style="--n: ${n}"
      aria-label="Confusion matrix of ${model}: rows are the true class, columns the predicted class; ${total} test examples"
      data-total=${total}
      @mouseover=${enter} @focusin=${enter} @mouseleave=${() => on.leave(false)}
      @focusout=${(e) => { if (!e.currentTarget.contains(e.relatedTarget)) on.leave(true); }}
      @keydown=${on.key}>
    <div class="corner" role="row">
      <span class="axis-t" role="columnheader"><span class="sr-only">true class, predicted class</span></span>
      ${names.map((name, c) => html`<span class="colhead" role="columnheader" title=${name}>${name}</span>`)}
    </div>
    ${m.map((row, r) => html`<div class="cm-row" role="row">
      <span class="rowhead" role="rowheader" title=${name(names, r)}>${name(names, r)}</span>
      ${row.map((count, c) => {
        const isFocus = focus[0] === r && focus[1] === c;
        const isActive = active && active[0] === r && active[1] === c;
        const style = r === c ? shade(BLUE, diagMax ? count / diagMax : 0) : shade(VERMILLION, offMax ? count / offMax : 0);
        return html`<span role="gridcell" class="cell ${r === c ? "diag" : "off"} ${isActive ? "active" : ""}"
          tabindex=${isFocus ? 0 : -1} data-r=${r} data-c=${c} data-count=${count}
          aria-label="true ${name(names, r)}, predicted ${name(names, c)}: ${count}"
          style=${styleMap(style)}>${count || ""}</span>`;
      })}
    </div>`)}
  </div>`;
}

function name(names, k) {
  return names[k] ?? String(k);
}

/** Horizontal bars of `result.per_class_acc`, labelled with the class names;
 * `selectedClass` (the overview's) is marked. */
export function perClassBars({ model, result, names, selectedClass }) {
  const worst = result.per_class_acc.reduce((w, a, c, all) => (a < all[w] ? c : w), 0);
  return html`<div class="bars" role="list" aria-label="Accuracy per class of ${model}">
    ${result.per_class_acc.map((acc, c) => html`<div role="listitem"
        class="bar-row ${selectedClass === c ? "selected" : ""} ${c === worst ? "worst" : ""}"
        data-class=${c} aria-label="${name(names, c)}: ${formatAcc(acc)}">
      <span class="bar-name" title=${name(names, c)}>${name(names, c)}</span>
      <span class="track"><span class="bar" style="width: ${(100 * acc).toFixed(2)}%"></span></span>
      <span class="bar-val">${formatAcc(acc)}</span>
    </div>`)}
  </div>`;
}

/** The popover of a cell: up to `indices.length` test images and how many there are. */
export function cellPopover({ names, truth, predicted, examples, imageUrl, position }) {
  const title = truth === predicted
    ? html`<b>${name(names, truth)}</b> classified correctly`
    : html`true <b>${name(names, truth)}</b>, predicted <b>${name(names, predicted)}</b>`;
  let body;
  if (examples.error) body = html`<div class="error">${examples.error}</div>`;
  else if (!examples.ready) body = html`<div class="muted">loading examples…</div>`;
  else if (!examples.total) body = html`<div class="muted">no test example</div>`;
  else {
    body = html`<div class="thumbs">
      ${examples.indices.map((i) => html`<img src=${imageUrl(i)} alt="test example ${i}" title="test example ${i}" width="36" height="36">`)}
    </div>
    ${examples.total > examples.indices.length ? html`<div class="muted">${examples.indices.length} of ${examples.total}</div>` : nothing}`;
  }
  return html`<div class="popover" role="tooltip" style="left: ${position.left}px; top: ${position.top}px">
    <div class="pop-title">${title} · ${examples.ready ? examples.total : "…"}</div>
    ${body}
  </div>`;
}
