// Inline SVG charts of the inspector: training curves (train vs validation, by epoch or
// by wall time) with axes and ticks. Colours are Okabe–Ito and the lines also differ by
// dash, so they stay apart without colour.

import { svg, nothing } from "lit-html";
import { OKABE_ITO, formatSeconds } from "../../core/theme.js";

/** Seconds on an axis that may span only milliseconds (tiny models train fast). */
export function timeFormat(max) {
  if (max < 1) return (v) => `${Math.round(v * 1000)} ms`;
  if (max < 90) return (v) => `${+v.toFixed(max < 10 ? 1 : 0)} s`;
  return (v) => formatSeconds(v);
}

export const SERIES = {
  train: { label: "train", color: OKABE_ITO.blue, dash: "" },
  val: { label: "validation", color: OKABE_ITO.orange, dash: "5 3" },
};

const W = 280;
const H = 150;
const PAD = { left: 40, right: 10, top: 8, bottom: 30 };

/** Ticks at 1, 2 or 5 × 10^k from `min` to `max`, about `count` of them. */
export function niceTicks(min, max, count = 4) {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(+v.toPrecision(12));
  }
  return ticks;
}

/** The points of one metric: [x, y] per epoch, x the epoch or the cumulative seconds. */
export function curvePoints(curve, key, byTime) {
  let elapsed = 0;
  return curve.map((e) => {
    elapsed += e.seconds;
    return [byTime ? elapsed : e.epoch, e[key]];
  });
}

/**
 * One chart: `lines` [{series, points}], `y` {min, max, format, ticks?}, `x` {min, max,
 * format, ticks?, label}, `label` (the chart's accessible name).
 */
export function lineChart({ lines, x, y, label }) {
  const sx = (v) => PAD.left + ((v - x.min) / (x.max - x.min || 1)) * (W - PAD.left - PAD.right);
  const sy = (v) => H - PAD.bottom - ((v - y.min) / (y.max - y.min || 1)) * (H - PAD.top - PAD.bottom);
  const yTicks = y.ticks ?? niceTicks(y.min, y.max, 4);
  if (!y.ticks && yTicks[yTicks.length - 1] < y.max) {
    const step = yTicks.length > 1 ? yTicks[1] - yTicks[0] : y.max - y.min;
    yTicks.push(+(yTicks[yTicks.length - 1] + step).toPrecision(12));
    y = { ...y, max: yTicks[yTicks.length - 1] }; // the top gridline is labelled
  }
  const xTicks = x.ticks ?? niceTicks(x.min, x.max, 4);
  return svg`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label=${label}>
    <g class="grid">
      ${yTicks.map((t) => svg`<line x1=${PAD.left} x2=${W - PAD.right} y1=${sy(t)} y2=${sy(t)}></line>`)}
    </g>
    <g class="axis">
      <line x1=${PAD.left} x2=${PAD.left} y1=${PAD.top} y2=${H - PAD.bottom}></line>
      <line x1=${PAD.left} x2=${W - PAD.right} y1=${H - PAD.bottom} y2=${H - PAD.bottom}></line>
      ${yTicks.map((t) => svg`<text x=${PAD.left - 4} y=${sy(t) + 3.5} text-anchor="end">${y.format(t)}</text>`)}
      ${xTicks.map((t) => svg`<line x1=${sx(t)} x2=${sx(t)} y1=${H - PAD.bottom} y2=${H - PAD.bottom + 3}></line>
        <text x=${sx(t)} y=${H - PAD.bottom + 13} text-anchor="middle">${x.format(t)}</text>`)}
      <text class="title" x=${(PAD.left + W - PAD.right) / 2} y=${H - 3} text-anchor="middle">${x.label}</text>
    </g>
    ${lines.map(({ series, points }) =>
      points.length
        ? svg`<g class="line" data-series=${series.label}>
            <polyline fill="none" stroke=${series.color} stroke-width="2" stroke-dasharray=${series.dash || nothing}
              points=${points.map(([a, b]) => `${sx(a).toFixed(1)},${sy(b).toFixed(1)}`).join(" ")}></polyline>
            ${points.map(([a, b]) => svg`<circle cx=${sx(a)} cy=${sy(b)} r="2.5" fill=${series.color}>
              <title>${series.label}: ${y.format(b, true)} at ${x.format(a, true)}</title></circle>`)}
          </g>`
        : nothing,
    )}
  </svg>`;
}

/** The loss and accuracy charts of a model's curve. */
export function trainingCurves(curve, byTime) {
  const points = (key) => curvePoints(curve, key, byTime);
  const last = byTime ? curve.reduce((s, e) => s + e.seconds, 0) : curve.length;
  const x = byTime
    ? { min: 0, max: last > 0 ? last : 1, format: timeFormat(last > 0 ? last : 1), label: "wall time" }
    : {
        min: curve.length > 1 ? 1 : 0,
        max: Math.max(curve.length, 1),
        format: (v, exact) => (exact ? `epoch ${v}` : String(v)),
        ticks: epochTicks(curve.length),
        label: "epoch",
      };
  const losses = curve.flatMap((e) => [e.train_loss, e.val_loss]).filter(Number.isFinite);
  const lossMax = Math.max(0.1, ...losses) * 1.02;
  const loss = lineChart({
    label: "Loss per epoch, train and validation",
    x,
    y: { min: 0, max: lossMax, format: (v, exact) => (exact ? v.toFixed(3) : `${+v.toFixed(2)}`) },
    lines: [
      { series: SERIES.train, points: points("train_loss") },
      { series: SERIES.val, points: points("val_loss") },
    ],
  });
  const acc = lineChart({
    label: "Accuracy per epoch, train and validation",
    x,
    y: {
      min: 0,
      max: 1,
      ticks: [0, 0.25, 0.5, 0.75, 1],
      format: (v, exact) => (exact ? `${(100 * v).toFixed(1)} %` : `${Math.round(100 * v)}%`),
    },
    lines: [
      { series: SERIES.train, points: points("train_acc") },
      { series: SERIES.val, points: points("val_acc") },
    ],
  });
  return { loss, acc };
}

function epochTicks(n) {
  if (n <= 1) return [0, 1];
  const step = Math.max(1, Math.ceil((n - 1) / 6));
  const ticks = [];
  for (let e = 1; e <= n; e += step) ticks.push(e);
  if (ticks[ticks.length - 1] !== n) ticks.push(n);
  return ticks;
}
