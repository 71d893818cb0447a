// Replicate groups (issue 19), as nas_core.replicates: a model and the models whose
// origin is {type: "replicate", of: it}; the mean ± sample sd (n − 1) of the test
// accuracy of its trained members (sd needs two, the mean one).

/** The group `id` belongs to: the model it replicates, or itself. */
export function groupOf(state, id) {
  const m = state.models.get(id);
  return m?.origin?.type === "replicate" ? m.origin.of : id;
}

/** Map first model -> [members in creation order], for the groups with replicates. */
export function replicateGroups(state) {
  const groups = new Map();
  for (const [id, m] of state.models) {
    if (m.origin?.type !== "replicate" || !state.models.has(m.origin.of)) continue;
    if (!groups.has(m.origin.of)) groups.set(m.origin.of, [m.origin.of]);
    groups.get(m.origin.of).push(id);
  }
  return groups;
}

/** {group, members, n, mean, sd} of `id`'s group; `value(m)` picks the figure
 * (default: the test accuracy of a trained model, else null). */
export function groupStats(state, id, value = (m) => (m.status === "done" && m.result ? m.result.test_acc : null)) {
  const group = groupOf(state, id);
  const members = replicateGroups(state).get(group) ?? [group];
  return statsOf(group, members, members.map((m) => value(state.models.get(m))));
}

export function statsOf(group, members, values) {
  const xs = values.filter((v) => v !== null && v !== undefined && Number.isFinite(v));
  const n = xs.length;
  const mean = n ? xs.reduce((a, b) => a + b, 0) / n : null;
  const sd = n >= 2 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : null;
  return { group, members, n, mean, sd };
}

/** "91.2 % ± 0.8 (n = 3)" for a group's accuracy (`short`: "91.2 ± 0.8 ×3", for a
 * table cell), or null with none trained. */
export function describeGroup(stats, short = false) {
  if (stats.mean === null) return null;
  const mean = (stats.mean * 100).toFixed(1);
  const sd = stats.sd === null ? "" : ` ± ${(stats.sd * 100).toFixed(1)}`;
  return short ? `${mean}${sd} ×${stats.n}` : `${mean} %${sd} (n = ${stats.n})`;
}
