// From the folded state to typed arrays: everything the scatter draws, computed once
// per state version (and projection / class / k), never per frame.

import { DEFAULT_METRIC, describeAccuracy, METRICS, metricValue } from "../../core/metrics.js";
import { formatAcc, formatCount, formatSeconds } from "../../core/theme.js";
import { groupBars } from "./groups.js";
import { BUCKETS, idleGaps } from "./scales.js";

/** Where the accuracy projection puts accuracies (v ∈ [BAND_TOP, 1]); models still
 * training without a validation figure sit on a band below, at v = BAND. */
export const BAND_TOP = 0.1;
export const BAND = 0.035;

const PENDING = new Set(["created", "queued", "running"]);

/** Per-model arrays independent of the projection. `cls`: the selected class (darkness
 * becomes that class's accuracy) or null; `metric`: which accuracy is plotted
 * (core/metrics.js); `cap`: leave out the models of more parameters (null: none);
 * `keep`: leave out the models it says no to (the page's filter, Hide; null: none). */
export function modelArrays(state, cls, metric = DEFAULT_METRIC, cap = null, keep = null) {
  const ids = [];
  for (const [id, m] of state.models) {
    if (cap !== null && m.params > cap) continue;
    if (keep !== null && !keep(m)) continue;
    if (m.result || PENDING.has(m.status)) ids.push(id);
  }
  const n = ids.length;
  const index = new Map();
  const logParams = new Float32Array(n);
  const acc = new Float32Array(n).fill(NaN);
  const value = new Float32Array(n).fill(NaN);
  const pending = new Uint8Array(n);
  const finishedS = new Float32Array(n).fill(NaN);
  const t0 = state.created_at ? Date.parse(state.created_at) : NaN;
  let lo = Infinity;
  let hi = -Infinity;
  let pLo = Infinity;
  let pHi = -Infinity;
  for (let i = 0; i < n; i++) {
    const m = state.models.get(ids[i]);
    index.set(ids[i], i);
    const lp = Math.log10(Math.max(1, m.params));
    logParams[i] = lp;
    if (lp < pLo) pLo = lp;
    if (lp > pHi) pHi = lp;
    pending[i] = m.result ? 0 : 1;
    const a = metricValue(m, metric);
    if (a !== null) acc[i] = a;
    let d = a;
    if (cls !== null && cls !== undefined) d = m.result ? (m.result.per_class_acc[cls] ?? null) : null;
    if (d !== null && Number.isFinite(d)) {
      value[i] = d;
      if (d < lo) lo = d;
      if (d > hi) hi = d;
    }
    if (m.result && m.finished_at && Number.isFinite(t0)) finishedS[i] = (Date.parse(m.finished_at) - t0) / 1000;
  }
  // darkness and radius are relative to the session's range, so contrast is used well
  const bucket = new Uint8Array(n);
  const radius = new Float32Array(n);
  const span = hi - lo > 1e-6 ? hi - lo : 1;
  const pSpan = pHi - pLo > 1e-6 ? pHi - pLo : 1;
  const rMax = n > 2000 ? 5 : n > 300 ? 7 : 10;
  const rMin = n > 2000 ? 1.8 : 3.5;
  for (let i = 0; i < n; i++) {
    const t = Number.isNaN(value[i]) ? 0 : hi - lo > 1e-6 ? (value[i] - lo) / span : 1;
    bucket[i] = Math.round(t * (BUCKETS - 1));
    radius[i] = rMin + (rMax - rMin) * (pHi - pLo > 1e-6 ? (logParams[i] - pLo) / pSpan : 0.5);
  }
  // drawing order: by darkness, so the most accurate models sit on top
  const order = new Uint32Array(n);
  const starts = new Uint32Array(BUCKETS + 1);
  for (let i = 0; i < n; i++) starts[bucket[i] + 1]++;
  for (let b = 0; b < BUCKETS; b++) starts[b + 1] += starts[b];
  for (let i = 0; i < n; i++) order[starts[bucket[i]]++] = i;
  return {
    n, ids, index, order, logParams, acc, value, pending, finishedS, bucket, radius,
    valueRange: Number.isFinite(lo) ? [lo, hi] : null,
    paramRange: Number.isFinite(pLo) ? [10 ** pLo, 10 ** pHi] : null,
    rRange: [rMin, rMax],
    metric,
  }; // prettier-ignore
}

function extent(values, live, pad) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (!live[i] || !Number.isFinite(values[i])) continue;
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  if (!Number.isFinite(lo)) return [0, 1];
  const span = hi - lo || Math.abs(hi) * 0.2 || 1;
  return [lo - span * pad, hi + span * pad];
}

function accuracyDomain(acc, live) {
  const [lo, hi] = extent(acc, live, 0);
  if (lo === 0 && hi === 1 && !live.some((l, i) => l && Number.isFinite(acc[i]))) return [0, 1];
  const a = Math.max(0, Math.floor((lo - 0.02) * 20) / 20);
  const b = Math.min(1, Math.ceil((hi + 0.01) * 20) / 20);
  return b > a ? [a, b] : [Math.max(0, a - 0.05), Math.min(1, a + 0.05)];
}

const linear = (d0, d1, v0 = 0, v1 = 1) => ({
  to: (d) => v0 + ((d - d0) / (d1 - d0 || 1)) * (v1 - v0),
  from: (v) => d0 + ((v - v0) / (v1 - v0)) * (d1 - d0),
});

const pct = (v) => `${Math.round(v * 1000) / 10} %`;

/** Unit-square positions of every model in `projection`, which models it shows
 * (`live`), its axes, and its overlays (Pareto front; best-so-far and rolling band). */
export function layoutFor(state, models, projection, k = 10) {
  const { n, logParams, acc, pending, finishedS } = models;
  const u = new Float32Array(n);
  const v = new Float32Array(n);
  const live = new Uint8Array(n);
  const out = { projection, u, v, live, overlays: {}, axes: null };
  if (projection === "accuracy") {
    for (let i = 0; i < n; i++) live[i] = 1;
    const [x0, x1] = extent(logParams, live, 0.06);
    const [y0, y1] = accuracyDomain(acc, live);
    const sx = linear(x0, x1);
    const sy = linear(y0, y1, BAND_TOP, 0.96);
    for (let i = 0; i < n; i++) {
      u[i] = sx.to(logParams[i]);
      v[i] = Number.isNaN(acc[i]) ? BAND : sy.to(acc[i]);
    }
    out.axes = {
      x: { kind: "log", scale: sx, label: "parameters (log scale)", format: (d) => formatCount(Math.round(10 ** d)) },
      y: { kind: "linear", scale: sy, label: METRICS[models.metric ?? DEFAULT_METRIC].label, format: pct, floor: BAND_TOP },
      band: pending.some((p, i) => p && Number.isNaN(acc[i])),
    };
    out.overlays.pareto = paretoFront(models, u, v);
    out.overlays.groups = groupBars(state, models, u, sy); // replicates: mean ± sd
  } else if (projection === "search") {
    for (let i = 0; i < n; i++) live[i] = Number.isFinite(finishedS[i]) && !Number.isNaN(acc[i]) ? 1 : 0;
    const [, t1] = extent(finishedS, live, 0.04);
    const [y0, y1] = accuracyDomain(acc, live);
    const sx = linear(0, Math.max(t1, 1));
    const sy = linear(y0, y1, 0.04, 0.96);
    for (let i = 0; i < n; i++) {
      u[i] = live[i] ? sx.to(finishedS[i]) : 0.5;
      v[i] = live[i] ? sy.to(acc[i]) : 0.5;
    }
    out.axes = {
      x: { kind: "time", scale: sx, label: "wall time since the session started", format: (d) => formatSeconds(d) },
      y: { kind: "linear", scale: sy, label: METRICS[models.metric ?? DEFAULT_METRIC].label, format: pct, floor: 0.04 },
    };
    Object.assign(out.overlays, searchLines(models, u, v, live, sy, k, sx));
  } else {
    const positions = state.embeddings[projection] ?? new Map();
    const xs = new Float32Array(n).fill(NaN);
    const ys = new Float32Array(n).fill(NaN);
    for (let i = 0; i < n; i++) {
      const p = positions.get(models.ids[i]);
      if (p && Number.isFinite(p[0]) && Number.isFinite(p[1])) {
        xs[i] = p[0];
        ys[i] = p[1];
        live[i] = 1;
      }
    }
    // one scale for both axes: MDS distances mean the same along x and y
    const [ax0, ax1] = extent(xs, live, 0.06);
    const [ay0, ay1] = extent(ys, live, 0.06);
    const half = Math.max(ax1 - ax0, ay1 - ay0) / 2;
    const cx = (ax0 + ax1) / 2;
    const cy = (ay0 + ay1) / 2;
    const sx = linear(cx - half, cx + half);
    const sy = linear(cy - half, cy + half);
    for (let i = 0; i < n; i++) {
      u[i] = live[i] ? sx.to(xs[i]) : 0.5;
      v[i] = live[i] ? sy.to(ys[i]) : 0.5;
    }
    const name = projection === "structure" ? "OTMANN structure distance" : "prediction distance";
    out.axes = {
      x: { kind: "none", scale: sx, label: `MDS of ${name} (axis 1)` },
      y: { kind: "none", scale: sy, label: "axis 2" },
    };
  }
  return out;
}

/** The Pareto front: the smallest models with the best accuracy (a step line in unit
 * coordinates, from the smallest model to the right edge). */
function paretoFront(models, u, v) {
  const order = [];
  for (let i = 0; i < models.n; i++) if (!models.pending[i] && !Number.isNaN(models.acc[i])) order.push(i);
  order.sort((a, b) => models.logParams[a] - models.logParams[b] || models.acc[b] - models.acc[a]);
  const pts = [];
  let best = -Infinity;
  for (const i of order) {
    if (models.acc[i] <= best) continue;
    if (pts.length) pts.push([u[i], pts[pts.length - 1][1]]);
    pts.push([u[i], v[i]]);
    best = models.acc[i];
  }
  if (pts.length) pts.push([1, pts[pts.length - 1][1]]);
  return pts;
}

/** MAST's search view: the best accuracy so far (a step line over time) and the mean
 * ± standard deviation of the `k` most recent models at each finish, as segments
 * broken across idle gaps (`gaps`: [u0, u1, seconds], marked on the plot: no model
 * finished there, so no band is drawn across). */
export function searchLines(models, u, v, live, sy, k, sx) {
  const order = [];
  for (let i = 0; i < models.n; i++) if (live[i]) order.push(i);
  order.sort((a, b) => models.finishedS[a] - models.finishedS[b]);
  const idle = idleGaps(order.map((i) => models.finishedS[i]));
  const starts = new Set(idle.map(([, to]) => to)); // a segment starts at each gap's end
  const gaps = idle.map(([from, to]) => [sx.to(from), sx.to(to), to - from]);
  const best = [];
  const rolling = [];
  let segment = [];
  let top = -Infinity;
  let sum = 0;
  let sum2 = 0;
  for (let j = 0; j < order.length; j++) {
    const i = order[j];
    const a = models.acc[i];
    if (a > top) {
      if (best.length) best.push([u[i], best[best.length - 1][1]]);
      best.push([u[i], v[i]]);
      top = a;
    }
    sum += a;
    sum2 += a * a;
    if (j >= k) {
      const old = models.acc[order[j - k]];
      sum -= old;
      sum2 -= old * old;
    }
    const w = Math.min(j + 1, k);
    const mean = sum / w;
    const sd = Math.sqrt(Math.max(0, sum2 / w - mean * mean));
    if (segment.length && starts.has(models.finishedS[i])) {
      rolling.push(segment);
      segment = [];
    }
    segment.push([u[i], sy.to(mean), sy.to(mean - sd), sy.to(mean + sd)]);
  }
  if (segment.length) rolling.push(segment);
  if (best.length) best.push([1, best[best.length - 1][1]]);
  return { best, rolling, gaps };
}

/** The tooltip's figures for model `id` (`metric`: the plotted accuracy, named). */
export function describe(state, id, cls, metric = DEFAULT_METRIC) {
  const m = state.models.get(id);
  if (!m) return null;
  const a = describeAccuracy(state, m, metric);
  const classAcc = cls !== null && cls !== undefined && m.result ? m.result.per_class_acc[cls] : null;
  return {
    id,
    status: m.status,
    params: formatCount(m.params),
    accLabel: METRICS[metric].label,
    acc: a === null ? (m.status === "running" ? "training…" : m.status) : a.text,
    accCI: a?.ci ?? null,
    accTitle: a?.title ?? "",
    classAcc: classAcc === null || classAcc === undefined ? null : formatAcc(classAcc),
    className: cls !== null && cls !== undefined ? (state.class_names[cls] ?? String(cls)) : null,
    description: m.description,
  };
}
