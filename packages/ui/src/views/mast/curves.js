// MAST's overview data (MAST Figs 1–3), pure: each model's validation-accuracy curve
// over wall time (from its training start, advancing by its epochs' `seconds`) or by
// epoch, the best-so-far line, and the rolling mean and variance of the k most recent
// models. Precomputed once per state so painting only maps and draws.

/** Curves of `state`'s models with at least one epoch, ordered by training start:
 * {id, t0, xs: wall seconds, es: epochs, ys: val acc, best, end, search: the automated
 * search that proposed it (null: none), step: its step there, stopped: cancelled}. */
export function buildCurves(state) {
  const out = [];
  for (const m of state.models.values()) {
    if (!m.curve?.length) continue;
    const t0 = m.started_s ?? 0;
    const xs = new Float64Array(m.curve.length + 1);
    const es = new Float64Array(m.curve.length + 1);
    const ys = new Float64Array(m.curve.length + 1);
    let t = t0;
    let best = 0;
    xs[0] = t0;
    es[0] = 0;
    ys[0] = m.curve[0].val_acc; // the curve starts at the training's start
    m.curve.forEach((c, i) => {
      t += c.seconds ?? 0;
      xs[i + 1] = t;
      es[i + 1] = c.epoch ?? i + 1;
      ys[i + 1] = c.val_acc;
      best = Math.max(best, c.val_acc);
    });
    const search = m.origin?.type === "auto_search" ? m.origin.search : null; // issue 21
    out.push({ id: m.id, t0, xs, es, ys, best, end: t, search, step: search ? m.origin.step : null,
      stopped: m.status === "cancelled" });
  }
  out.sort((a, b) => a.t0 - b.t0 || (a.id < b.id ? -1 : 1));
  return out;
}

/** The best validation accuracy reached by each wall time: [[t, acc], …], monotone. */
export function bestSoFar(curves) {
  const pts = [];
  for (const c of curves) for (let i = 1; i < c.xs.length; i++) pts.push([c.xs[i], c.ys[i]]);
  pts.sort((a, b) => a[0] - b[0]);
  const line = [];
  let best = -1;
  for (const [t, y] of pts) if (y > best) line.push([t, (best = y)]);
  return line;
}

/** Rolling mean and standard deviation of the best accuracy of the k models that
 * finished most recently, at each model's end: [{t, mean, sd}]. */
export function rolling(curves, k) {
  const done = [...curves].sort((a, b) => a.end - b.end);
  const out = [];
  for (let i = 0; i < done.length; i++) {
    const win = done.slice(Math.max(0, i - k + 1), i + 1).map((c) => c.best);
    const mean = win.reduce((s, v) => s + v, 0) / win.length;
    const sd = Math.sqrt(win.reduce((s, v) => s + (v - mean) ** 2, 0) / win.length);
    out.push({ t: done[i].end, mean, sd });
  }
  return out;
}

/** Ids of the curves with a point inside the rectangle [x0,x1]×[y0,y1] (by wall time
 * or by epoch). */
export function brushed(curves, { x0, x1, y0, y1 }, byEpoch) {
  const ids = [];
  for (const c of curves) {
    const xs = byEpoch ? c.es : c.xs;
    for (let i = 1; i < xs.length; i++) {
      if (xs[i] >= x0 && xs[i] <= x1 && c.ys[i] >= y0 && c.ys[i] <= y1) {
        ids.push(c.id);
        break;
      }
    }
  }
  return ids;
}

/** The curve nearest to (x, y) in pixels through `sx`/`sy`, within `r`; or null. */
export function nearest(curves, x, y, sx, sy, byEpoch, r = 6) {
  let best = null;
  let bd = r * r;
  for (const c of curves) {
    const xs = byEpoch ? c.es : c.xs;
    for (let i = 1; i < xs.length; i++) {
      const d = (sx(xs[i]) - x) ** 2 + (sy(c.ys[i]) - y) ** 2;
      if (d < bd) [bd, best] = [d, c.id];
    }
  }
  return best;
}

/** The automated searches with curves, in start order: [{search, strategy, count}]. */
export function searchesOf(state, curves) {
  const counts = new Map();
  for (const c of curves) if (c.search) counts.set(c.search, (counts.get(c.search) ?? 0) + 1);
  return Object.values(state.auto_searches ?? {})
    .filter((r) => counts.has(r.search))
    .map((r) => ({ search: r.search, strategy: r.spec.strategy, count: counts.get(r.search) }));
}
