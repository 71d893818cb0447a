// The visual style every view shares: CSS custom properties (a page that embeds a
// view can override any --remap-* on the element), the Okabe–Ito palette that the SNACs
// use (colour-blind-safe), and number formats.

export const OKABE_ITO = {
  orange: "#E69F00",
  sky: "#56B4E9",
  green: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  purple: "#CC79A7",
  black: "#000000",
};

export const STATUS_COLORS = {
  created: "#8a8f98",
  queued: "#56B4E9",
  running: "#E69F00",
  done: "#009E73",
  failed: "#D55E00",
  cancelled: "#8a8f98",
};

export const base = `
:host {
  --remap-font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  --remap-mono: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  --remap-bg: #ffffff;
  --remap-panel: #f7f8fa;
  --remap-border: #dde1e6;
  --remap-text: #1d2330;
  --remap-muted: #5f6b7a;
  --remap-accent: #0072B2;
  --remap-accent-soft: #e3f0f8;
  --remap-danger: #D55E00;
  --remap-ok: #009E73;
  --remap-warn: #E69F00;
  --remap-radius: 6px;
  display: block;
  box-sizing: border-box;
  font: 13px/1.4 var(--remap-font);
  color: var(--remap-text);
}
*, *::before, *::after { box-sizing: inherit; }
button, select, input { font: inherit; color: inherit; }
button {
  border: 1px solid var(--remap-border); background: var(--remap-bg); border-radius: var(--remap-radius);
  padding: 3px 10px; cursor: pointer; line-height: 1.5;
}
button:hover:not(:disabled) { border-color: var(--remap-accent); }
button.primary { background: var(--remap-accent); border-color: var(--remap-accent); color: #fff; }
button:disabled { opacity: 0.45; cursor: default; }
button[aria-pressed="true"] { background: var(--remap-accent-soft); border-color: var(--remap-accent); }
:focus-visible { outline: 2px solid var(--remap-accent); outline-offset: 1px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--remap-border); white-space: nowrap; }
th { font-weight: 600; color: var(--remap-muted); font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--remap-muted); }
.error { color: var(--remap-danger); }
.empty { color: var(--remap-muted); padding: 12px; text-align: center; }
h2 { font-size: 13px; font-weight: 600; margin: 0 0 6px; text-transform: uppercase; letter-spacing: .04em; color: var(--remap-muted); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

/** 21500 -> "21.5k", 1200000 -> "1.2M". */
export function formatCount(n) {
  if (n === null || n === undefined) return "";
  if (n < 1000) return String(n);
  if (n < 1e6) return `${+(n / 1e3).toFixed(n < 1e4 ? 1 : 0)}k`;
  return `${+(n / 1e6).toFixed(n < 1e7 ? 1 : 0)}M`;
}

/** 0.9534 -> "95.3 %". */
export function formatAcc(x) {
  return x === null || x === undefined ? "" : `${(100 * x).toFixed(1)} %`;
}

/** A signed difference: "+1.2k", "−3.4 %". */
export function formatDelta(x, format) {
  if (x === null || x === undefined || Number.isNaN(x)) return "";
  const text = format(Math.abs(x));
  return x > 0 ? `+${text}` : x < 0 ? `−${text}` : "±0";
}

/** Seconds as "42 s", "3 min", "1.5 h". */
export function formatSeconds(s) {
  if (s === null || s === undefined) return "";
  if (s < 90) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** A model's accuracy on `cls` (null: all classes); null if it has no result. */
export function accuracyOf(model, cls = null) {
  const r = model?.result;
  if (!r) return null;
  return cls === null || cls === undefined ? r.test_acc : r.per_class_acc[cls] ?? null;
}
