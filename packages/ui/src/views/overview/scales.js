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
