// The one-shot part of the client's read model (`state.oneshot`): the same rules as
// nas_core.events.fold_oneshot (Python), field by field (tests/test_ui_fold.py).
// Records are plain objects replaced or mutated in place (the client fold mutates).
// A mask is an array of block ids; its key in `evaluations[supernet]` is ids joined by ",".

export function emptyOneShot() {
  return {
    supernet: null,
    supernets: {},
    spaces: {},
    evaluations: {},
    search: null,
    searches: {},
    highlight: null,
    candidates: [],
    rank_checks: {},
  };
}

export const maskKey = (mask) => mask.join(",");

function supernetOf(s, e, wanted) {
  const r = s.oneshot.supernets[e.supernet];
  if (!r) return null;
  if (wanted === "running" && (r.status !== "running" || r.attempts !== e.attempt)) return null;
  return r;
}

function dropFromQueue(s, id) {
  const i = s.queue.indexOf(id);
  if (i >= 0) s.queue.splice(i, 1);
}

/** A "training cancelled" of a supernet (its queue entry); whether it applied. */
export function cancelSupernet(s, id, attempt) {
  const r = s.oneshot.supernets[id];
  if (!r || (r.status !== "queued" && r.status !== "running")) return false;
  if (attempt != null) {
    if (attempt < r.attempts || (r.status === "running" && attempt !== r.attempts)) return false;
    r.attempts = attempt;
  }
  r.status = "cancelled";
  dropFromQueue(s, id);
  return true;
}

export const ONESHOT_HANDLERS = {
  supernet_defined(s, e, env) {
    const o = s.oneshot;
    if (e.supernet in o.supernets) return;
    o.supernets[e.supernet] = {
      id: e.supernet,
      arch: e.arch,
      hash: e.hash,
      params: e.params,
      blocks: e.blocks,
      subgraphs: e.subgraphs,
      parent: e.parent,
      edits: e.edits,
      template: e.template,
      defined_seq: env.seq,
      status: "defined",
      config: null,
      seed: null,
      attempts: 0,
      tries: 0,
      curve: [],
      sha256: "",
      size: 0,
      path: "",
      wall_s: null,
      error: null,
    };
    o.supernet = e.supernet;
  },
  // A supernet training is an entry of the session's queue, as a model's.
  supernet_training_queued(s, e) {
    const r = s.oneshot.supernets[e.supernet];
    if (!r || r.status === "queued" || r.status === "running") return;
    Object.assign(r, { status: "queued", config: e.config, seed: e.seed, curve: [], error: null, tries: 0 });
    if (!s.queue.includes(e.supernet)) s.queue.push(e.supernet);
  },
  supernet_training_started(s, e) {
    const r = s.oneshot.supernets[e.supernet];
    if (!r || r.status !== "queued" || e.attempt <= r.attempts) return;
    Object.assign(r, { status: "running", attempts: e.attempt, tries: (r.tries ?? 0) + 1, curve: [] });
    dropFromQueue(s, e.supernet);
  },
  supernet_epoch_completed(s, e) {
    const r = supernetOf(s, e, "running");
    if (!r) return;
    const { epoch, train_loss, val_loss, seconds, lr } = e;
    r.curve.push({ epoch, train_loss, val_loss, seconds, lr });
  },
  supernet_training_finished(s, e) {
    const r = supernetOf(s, e, "running");
    if (!r) return;
    Object.assign(r, { status: "done", sha256: e.sha256, size: e.size, path: e.path, wall_s: e.wall_s });
    s.oneshot.evaluations[e.supernet] = {}; // new weights: earlier scores do not hold
  },
  supernet_training_failed(s, e) {
    const r = supernetOf(s, e, "running");
    if (!r) return;
    dropFromQueue(s, e.supernet);
    if (e.will_retry) {
      Object.assign(r, { status: "queued", error: e.reason }); // back at the head of the queue
      s.queue.unshift(e.supernet);
    } else {
      Object.assign(r, { status: "failed", error: e.reason });
    }
  },
  search_space_sampled(s, e) {
    if (!(e.supernet in s.oneshot.supernets)) return;
    s.oneshot.spaces[e.supernet] = { seed: e.seed, masks: e.masks, positions: [], distance: "", method: "" };
  },
  search_space_projected(s, e) {
    const space = s.oneshot.spaces[e.supernet];
    if (!space || space.masks.length !== e.positions.length) return;
    Object.assign(space, { positions: e.positions, distance: e.distance, method: e.method });
  },
  search_started(s, e) {
    const o = s.oneshot;
    if (e.search in o.searches || !(e.supernet in o.supernets)) return;
    o.searches[e.search] = {
      id: e.search,
      supernet: e.supernet,
      population: e.population,
      keep: e.keep,
      mutation: e.mutation,
      selection: e.selection,
      epsilon: e.epsilon,
      iterations: e.iterations,
      seed: e.seed,
      status: e.iterations > 0 ? "running" : "done",
      planned: null,
      history: [],
      region: e.region === null ? null : { region: e.region, members: [], constraint: { on: [], off: [] } },
    };
    o.search = e.search;
  },
  search_iteration_planned(s, e) {
    const q = s.oneshot.searches[e.search];
    if (q) q.planned = { iteration: e.iteration, elite: e.elite, children: e.children };
  },
  subgraph_evaluated(s, e, env) {
    const o = s.oneshot;
    if (!(e.supernet in o.supernets)) return;
    const table = (o.evaluations[e.supernet] ??= {});
    table[maskKey(e.mask)] = {
      mask: e.mask,
      val_loss: e.val_loss,
      val_acc: e.val_acc,
      per_class_acc: e.per_class_acc,
      position: e.position,
      seq: env.seq,
    };
  },
  search_iteration_completed(s, e) {
    const q = s.oneshot.searches[e.search];
    if (!q || q.history.some((h) => h.iteration === e.iteration)) return;
    const { iteration, population, losses, fitness, loss_stats, block_fitness, marginal } = e;
    q.history.push({ iteration, population, losses, fitness, loss_stats, block_fitness, marginal });
    if (q.history.length >= q.iterations) q.status = "done";
  },
  search_paused(s, e) {
    const q = s.oneshot.searches[e.search];
    if (q && q.status === "running") q.status = "paused";
  },
  search_continued(s, e) {
    const q = s.oneshot.searches[e.search];
    if (!q) return;
    q.iterations = e.iterations;
    q.status = q.history.length < e.iterations ? "running" : "done";
  },
  region_selected(s, e) {
    const q = s.oneshot.searches[e.search];
    if (q) q.region = { region: e.region, members: e.members, constraint: e.constraint };
  },
  region_cleared(s, e) {
    const q = s.oneshot.searches[e.search];
    if (q) q.region = null;
  },
  blocks_highlighted(s, e) {
    s.oneshot.highlight = { op: e.op, blocks: e.blocks, masks: e.masks };
  },
  candidate_assembled(s, e) {
    const { search, supernet, rule, threshold, mask, model } = e;
    s.oneshot.candidates.push({ search, supernet, rule, threshold, mask, model });
  },
  rank_check_started(s, e) {
    const o = s.oneshot;
    if (e.check in o.rank_checks) return;
    o.rank_checks[e.check] = {
      check: e.check,
      supernet: e.supernet,
      masks: e.masks,
      models: e.models,
      status: "running",
      result: null,
    };
  },
  rank_check_completed(s, e) {
    const r = s.oneshot.rank_checks[e.check];
    if (!r) return;
    const { oneshot_acc, standalone_acc, kendall_tau, tau_ci, spearman, noise_ceiling, top1_rank, regret } = e;
    r.status = "done";
    r.result = { oneshot_acc, standalone_acc, kendall_tau, tau_ci, spearman, noise_ceiling, top1_rank, regret };
  },
};
