// The search-space scatter's data, as the overview's painters take it (the shape of
// overview/points.js modelArrays + layoutFor), built once per state version: one point
// per subgraph — the sampled space plus every evaluated subgraph placed into it —
// darkness = one-shot validation accuracy, hollow dashed = not evaluated yet, radius =
// log #params. Positions are the recorded MDS of the graph edit distance (never
// recomputed here), on one scale for both axes.

import { checkArch } from "../generate/arch-check.js";
import { layerInputs } from "../lego/shapes.js";
import { BUCKETS } from "../overview/scales.js";
import { maskKey } from "../search/read.js";

/** Params of each block of `arch` on its layer's input: Map id -> count (0 if unknown). */
export function blockParams(arch) {
  const inputs = layerInputs(arch);
  const out = new Map();
  arch.layers.forEach((layer, li) => {
    for (const b of layer.blocks) {
      const shape = inputs[li];
      const p = shape ? checkArch({ shape, classes: arch.input?.classes ?? 10 }, b.components).params : null;
      out.set(b.id, p ?? 0);
    }
  });
  return out;
}

/** The points: {n, ids (mask keys), masks, index, x, y (recorded units), value (val acc
 * or NaN), pending, logParams, bucket, radius, order, valueRange, paramRange, rRange}. */
export function spacePoints(arch, space, evaluations) {
  const masks = [];
  const xs = [];
  const ys = [];
  const seen = new Map();
  const add = (mask, pos) => {
    const key = maskKey(mask);
    if (seen.has(key) || !pos || !Number.isFinite(pos[0]) || !Number.isFinite(pos[1])) return;
    seen.set(key, masks.length);
    masks.push(mask);
    xs.push(pos[0]);
    ys.push(pos[1]);
  };
  space?.masks.forEach((mask, i) => add(mask, space.positions?.[i]));
  for (const e of evaluations.values()) add(e.mask, e.position);
  const n = masks.length;
  const params = blockParams(arch);
  const ids = masks.map(maskKey);
  const value = new Float32Array(n).fill(NaN);
  const pending = new Uint8Array(n);
  const logParams = new Float32Array(n);
  let lo = Infinity;
  let hi = -Infinity;
  let pLo = Infinity;
  let pHi = -Infinity;
  for (let i = 0; i < n; i++) {
    const e = evaluations.get(ids[i]);
    if (e && Number.isFinite(e.val_acc)) {
      value[i] = e.val_acc;
      lo = Math.min(lo, e.val_acc);
      hi = Math.max(hi, e.val_acc);
    } else pending[i] = 1;
    const p = masks[i].reduce((a, id) => a + (params.get(id) ?? 0), 0);
    logParams[i] = Math.log10(Math.max(1, p));
    pLo = Math.min(pLo, logParams[i]);
    pHi = Math.max(pHi, logParams[i]);
  }
  const bucket = new Uint8Array(n);
  const radius = new Float32Array(n);
  const rMin = 3.5;
  const rMax = 9;
  for (let i = 0; i < n; i++) {
    const t = Number.isNaN(value[i]) ? 0 : hi - lo > 1e-6 ? (value[i] - lo) / (hi - lo) : 1;
    bucket[i] = Math.round(t * (BUCKETS - 1));
    radius[i] = rMin + (rMax - rMin) * (pHi - pLo > 1e-6 ? (logParams[i] - pLo) / (pHi - pLo) : 0.5);
  }
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => bucket[a] - bucket[b]);
  return {
    n, ids, masks, index: seen, x: Float32Array.from(xs), y: Float32Array.from(ys), value, pending, logParams,
    bucket, radius, order,
    valueRange: Number.isFinite(lo) ? [lo, hi] : null,
    paramRange: Number.isFinite(pLo) ? [10 ** pLo, 10 ** pHi] : null,
    rRange: [rMin, rMax],
    evaluated: n - pending.reduce((a, b) => a + b, 0),
  }; // prettier-ignore
}

const linear = (d0, d1) => ({
  to: (d) => (d - d0) / (d1 - d0 || 1),
  from: (v) => d0 + v * (d1 - d0),
});

/** Unit-square positions on one scale for both axes (MDS distances mean the same along
 * x and y): {u, v, live, axes, overlays, sx, sy}. */
export function spaceLayout(points) {
  const { n, x, y } = points;
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, x[i]);
    x1 = Math.max(x1, x[i]);
    y0 = Math.min(y0, y[i]);
    y1 = Math.max(y1, y[i]);
  }
  if (!n) [x0, x1, y0, y1] = [0, 1, 0, 1];
  const half = (Math.max(x1 - x0, y1 - y0) || 1) * 0.56;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const sx = linear(cx - half, cx + half);
  const sy = linear(cy - half, cy + half);
  const u = new Float32Array(n);
  const v = new Float32Array(n);
  const live = new Uint8Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    u[i] = sx.to(x[i]);
    v[i] = sy.to(y[i]);
  }
  const axes = {
    x: { kind: "none", scale: sx, label: "MDS of the graph edit distance between subgraphs (axis 1)" },
    y: { kind: "none", scale: sy, label: "axis 2" },
  };
  return { projection: "oneshot", u, v, live, axes, overlays: {}, sx, sy };
}

/** Which blocks are on in every, in some, and in none of `masks` (ids of `all`). */
export function blockSets(masks, all) {
  const count = new Map(all.map((id) => [id, 0]));
  for (const m of masks) for (const id of m) count.set(id, (count.get(id) ?? 0) + 1);
  const union = all.filter((id) => count.get(id) > 0);
  const intersection = masks.length ? all.filter((id) => count.get(id) === masks.length) : [];
  const complement = all.filter((id) => count.get(id) === 0);
  return { union, intersection, complement, count };
}

/** `spacePoints` with plain inputs and outputs (evaluations as [key, value] entries,
 * arrays for typed arrays, NaN as null): for tests and for a look from the console. */
export function spacePointsJSON(arch, space, evaluations) {
  const p = spacePoints(arch, space, new Map(evaluations));
  const plain = (a) => Array.from(a, (x) => (Number.isNaN(x) ? null : x));
  return { ...p, index: Object.fromEntries(p.index), x: plain(p.x), y: plain(p.y), value: plain(p.value),
    pending: plain(p.pending), logParams: plain(p.logParams), bucket: plain(p.bucket), radius: plain(p.radius), order: plain(p.order) }; // prettier-ignore
}
