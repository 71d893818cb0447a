// Replicate groups in the accuracy view (issue 19): a model trained again with other
// seeds sits at the same x (the same parameters); the group is drawn as its mean (a
// short bar across the points) with a ±sd whisker, so seed noise is seen, not guessed.
// Computed with the layout (once per state version), painted with the overlays.

import { replicateGroups, statsOf } from "../../core/replicates.js";
import { toScreen } from "./viewport.js";

export const GROUP = "#E69F00"; // Okabe–Ito orange: apart from the Pareto line and the points

/** [{group, u, mean, lo, hi, n}] in unit coordinates, for each group with two or more
 * members plotted (`models.acc`: the plotted accuracy; `sy`: its unit scale). */
export function groupBars(state, models, u, sy) {
  const bars = [];
  for (const [group, members] of replicateGroups(state)) {
    const idx = members.map((id) => models.index.get(id)).filter((i) => i !== undefined);
    const stats = statsOf(group, members, idx.map((i) => models.acc[i]));
    if (stats.n < 2) continue;
    const at = idx.find((i) => Number.isFinite(models.acc[i]));
    bars.push({
      group, n: stats.n, u: u[at], mean: sy.to(stats.mean),
      lo: sy.to(stats.mean - stats.sd), hi: sy.to(stats.mean + stats.sd),
      value: stats.mean, sd: stats.sd,
    }); // prettier-ignore
  }
  return bars;
}

/** The bars on `ctx` (CSS px): whisker from mean − sd to mean + sd, caps, the mean. */
export function paintGroups(ctx, bars, view, p) {
  ctx.save();
  ctx.strokeStyle = GROUP;
  ctx.lineCap = "round";
  for (const b of bars) {
    const [x, ym] = toScreen(view, p, b.u, b.mean);
    const [, ylo] = toScreen(view, p, b.u, b.lo);
    const [, yhi] = toScreen(view, p, b.u, b.hi);
    const dx = 14;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x + dx, ylo);
    ctx.lineTo(x + dx, yhi);
    ctx.moveTo(x + dx - 4, ylo);
    ctx.lineTo(x + dx + 4, ylo);
    ctx.moveTo(x + dx - 4, yhi);
    ctx.lineTo(x + dx + 4, yhi);
    ctx.stroke();
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(x - 8, ym);
    ctx.lineTo(x + dx + 6, ym);
    ctx.stroke();
    ctx.fillStyle = GROUP;
    ctx.font = "600 11px system-ui, sans-serif";
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.fillText(`${b.group} ×${b.n}`, x + dx + 9, ym);
  }
  ctx.restore();
}
