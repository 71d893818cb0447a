// Scales, ticks and the colour ramp of the overview scatter (pure functions).

/** Ease in-out (cubic) for the ≈400 ms projection transitions. */
export const ease = (t) => (t < 0.5 ? 4 * t * t * t : 1 - (-2 * t + 2) ** 3 / 2);

/** "Nice" linear ticks covering [lo, hi], about `count` of them. */
export function linearTicks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toFixed(12));
  return ticks;
}

const UNITS = [
  [1, "s"],
  [60, "min"],
  [3600, "h"],
];

/** Ticks of a wall-time axis over [lo, hi] seconds, about `count`: at round values of
 * the one unit they are labelled in (s below 3 min, min below 3 h, else h), so
 * 100 s reads "100 s" and minutes fall on 5, 10, 15 … Returns [[seconds, label]]. */
export function timeTicks(lo, hi, count = 6) {
  const span = Math.max(hi, 0) - Math.max(lo, 0);
  const [unit, name] = span < 180 ? UNITS[0] : span < 3 * 3600 ? UNITS[1] : UNITS[2];
  const ticks = linearTicks(lo / unit, hi / unit, count).filter((v) => v >= 0);
  return ticks.map((v) => [v * unit, `${+v.toFixed(3)} ${name}`]);
}

/** The idle stretches of a search: gaps between consecutive finish times (`times`,
 * seconds, ascending) longer than ten times the median gap and at least a minute.
 * Returns [[from, to]] in seconds. */
export function idleGaps(times) {
  const steps = [];
  for (let j = 1; j < times.length; j++) steps.push(times[j] - times[j - 1]);
  if (!steps.length) return [];
  const median = [...steps].sort((a, b) => a - b)[Math.floor(steps.length / 2)];
  const threshold = Math.max(60, 10 * median);
  const out = [];
  for (let j = 1; j < times.length; j++) if (times[j] - times[j - 1] > threshold) out.push([times[j - 1], times[j]]);
  return out;
}

/** Ticks on a log10 axis whose domain is [lo, hi] in log10 units: the decades, and
 * 2× / 5× between them when few decades are visible. Values are exponents. */
export function logTicks(lo, hi) {
  const ticks = [];
  const span = hi - lo;
  const mults = span < 1.2 ? [1, 2, 5] : span < 3 ? [1, 3] : [1];
  for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) {
    for (const m of mults) {
      const v = d + Math.log10(m);
      if (v >= lo - 1e-9 && v <= hi + 1e-9) ticks.push(v);
    }
  }
  if (ticks.length < 2) return linearTicks(lo, hi, 3);
  return ticks;
}

// Light to dark blue (the Okabe–Ito blue #0072B2 in the middle): a single hue, so
// darkness reads as "more accurate" in any colour vision.
const RAMP = [
  [222, 235, 245],
  [130, 184, 220],
  [0, 114, 178],
  [0, 62, 110],
];

/** The ramp colour at t ∈ [0, 1] as [r, g, b]. */
export function rampRGB(t) {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  return RAMP[i].map((c, k) => Math.round(c + (RAMP[i + 1][k] - c) * f));
}

export const rampCSS = (t) => `rgb(${rampRGB(t).join(",")})`;

/** Colour buckets: circles of one bucket are filled in one path (fast at 10k). */
export const BUCKETS = 24;
export const BUCKET_COLORS = Array.from({ length: BUCKETS }, (_, b) => rampCSS(b / (BUCKETS - 1)));
export const BUCKET_RGB = Array.from({ length: BUCKETS }, (_, b) => rampRGB(b / (BUCKETS - 1)));

/** The marks' colours (Okabe–Ito): the selected model, best so far, the rolling mean,
 * and the ink of labels and the drawer's rings. */
export const SELECTED = "#E69F00";
export const BEST = "#009E73";
export const ROLLING = "#CC79A7";
export const INK = "#1d2330";
