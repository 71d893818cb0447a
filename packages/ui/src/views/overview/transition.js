// The overview's data and its transitions: the typed arrays rebuilt when the state
// changes (never per frame), and where each model is drawn while it moves from its old
// place to its new one (a projection switch, or new results) (pure functions).

import { SpatialGrid } from "./grid.js";
import { layoutFor, modelArrays } from "./points.js";
import { ease } from "./scales.js";

/** How long models take to move: to another projection, and after new results. */
export const SWITCH_MS = 400;
export const UPDATE_MS = 260;
/** The opacity of a model the page's filter leaves out (filter bar: Dim). */
export const DIMMED = 0.16;

/**
 * The scene's data for `state` in `projection` (class `cls`, rolling window `k`,
 * accuracy `metric`: core/metrics.js), and
 * the transition into it from what is on screen: `previous`, the models drawn so far
 * (null at first), and `current` ({u, v, a}), where each of them is drawn now.
 *
 * Returns {models, layout, grid, shown, from, ta, cu, cv, ca, ms}: `from` ({u, v, a})
 * where the transition starts, `ta` the target opacities, `cu`/`cv`/`ca` what to draw
 * now, `ms` the transition's length (0: none, draw the layout as it is).
 */
export function rebuild(state, previous, current, projection, cls, k, switching, metric, cap = null, filter = null) {
  // the page's filter ({keep, mode}, core/filters.js): hidden models are left out, dimmed
  // ones drawn faint (and still hoverable: the tooltip says what they are)
  const keep = filter?.keep ?? null;
  const hide = keep !== null && filter.mode === "hide";
  const models = modelArrays(state, cls, metric, cap, hide ? keep : null);
  const layout = layoutFor(state, models, projection, k);
  // where each model is drawn now, by id, so the transition starts there
  const n = models.n;
  const fu = new Float32Array(n);
  const fv = new Float32Array(n);
  const fa = new Float32Array(n);
  const ta = new Float32Array(n);
  const first = previous === null || previous.n === 0;
  let filteredOut = 0;
  for (let i = 0; i < n; i++) {
    ta[i] = layout.live[i];
    if (keep !== null && !hide && ta[i] > 0 && !keep(state.models.get(models.ids[i]))) {
      ta[i] = DIMMED;
      filteredOut += 1;
    }
    const j = previous?.index.get(models.ids[i]);
    // a model that gets its first accuracy (it sat on the band below the axis, "0 %")
    // appears at it: flying up from the band would draw it dark at 0 % meanwhile, and
    // in a replay, where every step restarts the move, it would stay down there
    const arrived = j !== undefined && !switching && projection === "accuracy" && Number.isNaN(previous.acc[j]) && !Number.isNaN(models.acc[i]);
    if (j !== undefined && current.a[j] > 0 && !arrived) {
      fu[i] = current.u[j];
      fv[i] = current.v[j];
      fa[i] = current.a[j];
    } else {
      fu[i] = layout.u[i];
      fv[i] = layout.v[i];
      fa[i] = first ? ta[i] : arrived ? Math.min(ta[i], current.a[j]) : 0; // new models fade in; the first paint shows all at once
    }
    if (!ta[i] && fa[i] === 0) {
      fu[i] = layout.u[i];
      fv[i] = layout.v[i];
    }
  }
  // a model leaving this projection fades where it is
  for (let i = 0; i < n; i++) {
    if (!ta[i]) {
      layout.u[i] = fu[i];
      layout.v[i] = fv[i];
    }
  }
  const moved = !first && (switching || fu.some((x, i) => x !== layout.u[i] || fv[i] !== layout.v[i] || fa[i] !== ta[i]));
  return {
    models,
    layout,
    grid: new SpatialGrid(layout.u, layout.v, (i) => ta[i] > 0),
    shown: layout.live.reduce((sum, l) => sum + l, 0),
    from: { u: fu, v: fv, a: fa },
    ta,
    cu: moved ? fu.slice() : layout.u,
    cv: moved ? fv.slice() : layout.v,
    ca: moved ? fa.slice() : ta,
    ms: moved ? (switching ? SWITCH_MS : UPDATE_MS) : 0,
    filteredOut,
  };
}

/** The index in `models` of what was model `i` of `previous`, or -1 if it is gone or
 * not shown in this projection (`ta`: the target opacities). */
export function reindex(previous, models, ta, i) {
  const j = models.index.get(previous.ids[i]);
  return j === undefined || !ta[j] ? -1 : j;
}

/** The fraction of the transition `anim` ({start, ms}) done at time `now` (ms), in [0, 1]. */
export const progress = (anim, now) => Math.min(1, Math.max(0, (now - anim.start) / anim.ms));

/** Where each model is at fraction `t` of the transition (eased) from `from` to the
 * layout's (u, v) and opacity `ta`, written into `out` ({u, v, a}). */
export function interpolate(from, layout, ta, t, out) {
  const e = ease(t);
  const { u, v } = layout;
  for (let i = 0; i < u.length; i++) {
    out.u[i] = from.u[i] + (u[i] - from.u[i]) * e;
    out.v[i] = from.v[i] + (v[i] - from.v[i]) * e;
    out.a[i] = from.a[i] + (ta[i] - from.a[i]) * e;
  }
}
