// What the lineage writes on a node and an edge: the plotted accuracy, Δacc (points of
// the page's metric, child − parent) and Δparams, and a model's notes and tags. Pure.

import { metricValue } from "../../core/metrics.js";
import { formatCount, formatDelta } from "../../core/theme.js";

/** A node's accuracy text: the metric's figure, else where the model stands. */
export function accText(m, metric) {
  const v = metricValue(m, metric);
  if (v !== null) return `${(100 * v).toFixed(1)} %`;
  if (m.status === "failed") return "failed";
  if (m.status === "cancelled") return "cancelled";
  return m.status === "running" ? "training" : m.status === "queued" ? "queued" : "—";
}

/** The label of the edge parent → child: {acc, accSign, params, paramsSign, title}.
 * `acc` is "" while either has no figure yet. */
export function edgeLabel(parent, child, metric) {
  const a = metricValue(parent, metric);
  const b = metricValue(child, metric);
  const dAcc = a === null || b === null ? null : 100 * (b - a);
  const dParams = child.params - parent.params;
  const acc = dAcc === null ? "" : formatDelta(Math.round(dAcc * 10) / 10, (x) => `${x.toFixed(1)} pt`);
  const params = formatDelta(dParams, formatCount);
  const title = `${parent.id} → ${child.id}: ${child.description || child.origin?.type || ""}`
    + (acc ? `\nΔacc ${acc}` : "") + `\nΔparams ${dParams > 0 ? "+" : ""}${dParams.toLocaleString("en")}`;
  return { acc, accSign: Math.sign(dAcc ?? 0), params, paramsSign: Math.sign(dParams), title, dAcc, dParams };
}

/** A model's notes (texts) and tags, if the state has them. The hook for notes and tags
 * as events (issue 22): whatever fold puts `model.notes` (strings or {text}) and
 * `model.tags` (strings) there is shown on the node. */
export function annotationsOf(m) {
  const tags = Array.isArray(m?.tags) ? m.tags.map(String) : [];
  const notes = Array.isArray(m?.notes)
    ? m.notes.map((n) => (typeof n === "string" ? n : (n?.text ?? ""))).filter(Boolean)
    : [];
  return { tags, notes };
}
