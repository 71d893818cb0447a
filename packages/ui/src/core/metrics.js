// Which accuracy a number is. A model has three: the validation accuracy of its last
// epoch, the best validation accuracy over its epochs, and the test accuracy (of the
// weights of its best epoch). Every place that shows one names it (split and epoch),
// and the overview plots the one the page chose (session.ui.metric), which the header's
// "best" follows.
//
// On small splits the figures are noisy (216 validation examples: ±3 points at 90 %),
// so a number is shown with its Wilson 95 % interval from the split's size, which the
// session's "session created" event records (state.split {train, val, test}).

export const METRICS = {
  val_last: { label: "val acc, last epoch", short: "val (last)", split: "val" },
  val_best: { label: "val acc, best epoch", short: "val (best)", split: "val" },
  test: { label: "test acc", short: "test", split: "test" },
};

export const METRIC_KEYS = Object.keys(METRICS);
export const DEFAULT_METRIC = "val_last";

/** Model `m`'s accuracy by `metric` (a key of METRICS); null when it has none yet. The
 * validation figures exist from the first epoch on, the test one once trained. */
export function metricValue(m, metric = DEFAULT_METRIC) {
  if (!m) return null;
  if (metric === "test") return m.result ? m.result.test_acc : null;
  // a model of the packed first payload (core/state-pack.js) has its curve's summary only
  if (!m.curve.length) return m.lite ? (metric === "val_best" ? m.lite.val_best : m.lite.val_last) : null;
  if (metric === "val_best") {
    let best = null;
    for (const e of m.curve) if (best === null || e.val_acc > best) best = e.val_acc;
    return best;
  }
  return m.curve[m.curve.length - 1].val_acc;
}

/** How many examples `metric` is measured on (null: unknown). */
export function splitSize(state, metric = DEFAULT_METRIC) {
  const n = state?.split?.[METRICS[metric]?.split];
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** The Wilson score interval [lo, hi] of a proportion `p` measured on `n` examples
 * (z = 1.96: 95 %); null without n. */
export function wilson(p, n, z = 1.96) {
  if (p === null || p === undefined || !n) return null;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

const pct = (x) => (100 * x).toFixed(1);

/** "91.2 %" with its interval: {text: "91.2 %", ci: "87.1–94.2 %", title: "…"}. */
export function describeAccuracy(state, m, metric = DEFAULT_METRIC) {
  const value = metricValue(m, metric);
  if (value === null) return null;
  const n = splitSize(state, metric);
  const ci = wilson(value, n);
  const { label, split } = METRICS[metric];
  const title = ci
    ? `${label}: ${pct(value)} %, 95 % interval ${pct(ci[0])}–${pct(ci[1])} % (Wilson, ${n} ${split} examples): differences inside it are noise`
    : `${label}: ${pct(value)} %`;
  return { value, text: `${pct(value)} %`, ci: ci ? `${pct(ci[0])}–${pct(ci[1])} %` : null, title, n };
}

/** The best model by `metric` in `state`: {id, value} or null. */
export function bestBy(state, metric = DEFAULT_METRIC) {
  let best = null;
  for (const m of state.models.values()) {
    const v = metricValue(m, metric);
    if (v !== null && (best === null || v > best.value)) best = { id: m.id, value: v };
  }
  return best;
}
