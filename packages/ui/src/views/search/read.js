// What the one-shot views read from the folded session (core/fold.js's `state.oneshot`,
// shaped as /tmp/helpers/oneshot-contract.md §4 and nas_core's SessionState.oneshot), in
// one place: the supernet the Lego view edits, its blocks, the sampled space and the
// evaluations, the current search and its history, the region, the candidates and the
// rank checks. The views read these helpers, never the fold's shape directly.

/** A value of a Map or a plain object by key (the fold may keep either). */
export function get(table, key) {
  if (!table || key === null || key === undefined) return undefined;
  return table instanceof Map ? table.get(key) : table[key];
}

/** The values of a Map or a plain object. */
export function valuesOf(table) {
  if (!table) return [];
  return table instanceof Map ? [...table.values()] : Object.values(table);
}

/** The fold's one-shot part, or null before anything one-shot happened. */
export const oneshotOf = (state) => state.oneshot ?? null;

/** A mask's key (its ids joined with commas, as the fold keys evaluations). */
export const maskKey = (mask) => mask.join(",");

/** The supernet the Lego view shows and edits (the last defined), or null. */
export function currentSupernet(state) {
  const o = oneshotOf(state);
  return o ? (get(o.supernets, o.supernet) ?? null) : null;
}

/** Every block of `arch` in order: [{id, layer, layerId, index, components}]. */
export function blocksOf(arch) {
  const out = [];
  arch?.layers.forEach((l, li) =>
    l.blocks.forEach((b, bi) => out.push({ id: b.id, layer: li, layerId: l.id, index: bi, components: b.components })),
  );
  return out;
}

/** The search the views follow: the current one, or null. Its `history`:
 * [{iteration, population, losses, fitness, loss_stats, block_fitness, marginal}]. */
export function currentSearch(state) {
  const o = oneshotOf(state);
  return o ? (get(o.searches, o.search) ?? null) : null;
}

/** The latest block fitness and marginal score: {fitness: Map id -> f, marginal: Map
 * id -> m | null} (empty before the first iteration completed). */
export function blockScores(search) {
  const last = search?.history?.[search.history.length - 1];
  return {
    fitness: new Map(Object.entries(last?.block_fitness ?? {})),
    marginal: new Map(Object.entries(last?.marginal ?? {})),
  };
}

/** The sampled space of `supernet` ({masks, positions, …}) or null. */
export function spaceOf(state, supernet) {
  const o = oneshotOf(state);
  return o ? (get(o.spaces, supernet) ?? null) : null;
}

/** The evaluations of `supernet`: Map mask key -> {mask, val_loss, val_acc, position, seq}. */
export function evaluationsOf(state, supernet) {
  const o = oneshotOf(state);
  const table = o ? get(o.evaluations, supernet) : null;
  if (!table) return new Map();
  return table instanceof Map ? table : new Map(Object.entries(table));
}

/** The rank check of `supernet` last started, or null ({check, status, result}). */
export function rankCheckOf(state, supernet) {
  const o = oneshotOf(state);
  const checks = valuesOf(o?.rank_checks).filter((c) => c.supernet === supernet);
  return checks[checks.length - 1] ?? null;
}

/** The candidates assembled so far ({search, supernet, rule, threshold, mask, model}). */
export const candidatesOf = (state) => oneshotOf(state)?.candidates ?? [];

/** The subgraph `mask` (block ids) of `arch` as a REMAP architecture when it is one
 * path (one block per layer), else null. */
export function subgraphArch(arch, mask, name = "subgraph") {
  const on = new Set(mask);
  const layers = [];
  for (const layer of arch.layers) {
    const active = layer.blocks.filter((b) => on.has(b.id));
    if (active.length !== 1) return null;
    layers.push(...active[0].components);
  }
  return { name, input: arch.input, layers };
}
