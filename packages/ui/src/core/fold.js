// The client's read model: a fold of a session's events, the same rules as
// nas_core.events.fold (Python). `tests/test_ui_fold.py` folds one log both ways
// and compares the results field by field.
//
// Unlike the Python fold this one mutates `state` in place (a browser folds tens of
// thousands of events as they stream; copying per event would be waste). Anything
// that needs the state at an earlier seq folds a fresh one (`foldUpTo`).
//
// Shape (field names as in the server's JSON, so `GET /state` and this agree):
//   state.models: Map id -> model (creation order); model fields as ModelState, with
//     `queued_at`, `started_at`, `finished_at` (ISO times of the current attempt; the
//     search view plots accuracy over wall time) and `epoch_at` (per curve entry).
//   `fromJSON` makes a state of the server's `GET /state`: a page folds on from there.
//   state.queue, state.drawer: arrays of ids; state.view {projection, selected_class};
//   state.embeddings: {structure: Map id -> [x, y], predictions: Map};
//   state.layouts: {projection: {seq, reason}}; state.last_seq; state.version (bumped
//   by every fold that changed something: cheap change detection for views);
//   state.paused (the queue is paused), state.concurrency (the live limit once changed,
//   else null: the settings' concurrency); state.median_rule (the session's median
//   stopping rule: the others it needs, else null: off) and state.median_stopped.
//   Issue 22: model.tags / model.notes and state.tags / state.notes (the session's own):
//   tags in the order first given, notes {id, text, created_at, edited_at} (fold-notes.js).

import { AUTO_SEARCH_HANDLERS } from "./fold-auto-search.js";
import { ONESHOT_HANDLERS, cancelSupernet, emptyOneShot } from "./fold-oneshot.js";
import { NOTES_HANDLERS } from "./fold-notes.js";

export const PROJECTIONS = ["accuracy", "structure", "predictions", "search"];
export const STATUSES = ["created", "queued", "running", "done", "failed", "cancelled"];

export function emptyState() {
  return {
    session: "",
    name: "",
    created_at: null,
    data: null,
    settings: null,
    class_names: [],
    split: null,
    input: null,
    search_space_hash: "",
    models: new Map(),
    queue: [],
    drawer: [],
    view: { projection: "accuracy", selected_class: null },
    embeddings: { structure: new Map(), predictions: new Map() },
    layouts: {},
    last_seq: 0,
    paused: false,
    concurrency: null,
    oneshot: emptyOneShot(), // issue 18: fold-oneshot.js
    auto_searches: {}, // issue 21: fold-auto-search.js
    tags: [], // issue 22: the session's own tags and notes (fold-notes.js)
    notes: [],
    median_rule: null, // issue 21: the session's median rule (min others) or null: off
    median_stopped: [], // the models it stopped, in order
    version: 0,
  };
}

function removeFrom(list, item) {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

const HANDLERS = {
  session_created(s, e, env) {
    if (s.settings !== null) return; // a session is created once
    s.session = env.session;
    s.name = e.name;
    s.created_at = env.at;
    s.data = e.data;
    s.settings = e.settings;
    s.class_names = e.class_names;
    s.split = e.split;
    s.input = e.input;
    s.search_space_hash = e.search_space_hash;
  },
  model_created(s, e, env) {
    if (s.models.has(e.model)) return;
    s.models.set(e.model, {
      id: e.model,
      arch: e.arch,
      parent: e.parent,
      origin: e.origin,
      changes: e.changes,
      description: e.description,
      params: e.params,
      flops: e.flops,
      arch_hash: e.arch_hash,
      created_seq: env.seq,
      created_at: env.at,
      status: "created",
      config: null,
      seed: null,
      estimate_s: null,
      attempts: 0,
      tries: 0,
      worker: null,
      curve: [],
      result: null,
      error: null,
      started_s: null,
      queued_at: null,
      started_at: null,
      finished_at: null,
      tags: [], // issue 22: fold-notes.js
      notes: [],
      epoch_at: [],
    });
  },
  training_queued(s, e, env) {
    const m = s.models.get(e.model);
    if (!m || m.status === "queued" || m.status === "running") return;
    m.status = "queued";
    m.config = e.config;
    m.seed = e.seed;
    m.estimate_s = e.estimate_s ?? null;
    m.tries = 0; // queued anew: a fresh retry budget
    m.queued_at = env.at;
    if (!s.queue.includes(e.model)) s.queue.push(e.model);
  },
  training_started(s, e, env) {
    const m = s.models.get(e.model);
    if (!m || m.status !== "queued" || e.attempt <= m.attempts) return;
    m.status = "running";
    m.attempts = e.attempt;
    m.tries += 1;
    m.worker = e.worker;
    m.curve = [];
    m.epoch_at = [];
    m.result = null;
    m.started_at = env.at;
    m.started_s = secondsSince(s.created_at, env.at);
    m.finished_at = null;
    removeFrom(s.queue, e.model);
  },
  model_imported(s, e, env) {
    // issue 20: a model a search REMAP did not run trained; it comes in finished
    if (s.models.has(e.model)) return;
    s.models.set(e.model, {
      id: e.model, arch: e.arch, parent: null, origin: e.origin, changes: [],
      description: e.description, params: e.params, flops: e.flops, arch_hash: e.arch_hash,
      created_seq: env.seq, created_at: env.at, status: "done", config: null, seed: null,
      estimate_s: null, attempts: 0, tries: 0, worker: null, curve: e.curve ?? [],
      result: e.result ?? null, error: null, started_s: e.started_s ?? null,
      queued_at: null, started_at: null, finished_at: null, tags: [], notes: [], epoch_at: [],
    });
  },
  epoch_completed(s, e, env) {
    const m = s.models.get(e.model);
    if (!m || m.status !== "running" || m.attempts !== e.attempt) return;
    m.curve.push(e.metrics);
    m.epoch_at.push(env.at);
  },
  training_finished(s, e, env) {
    const m = s.models.get(e.model);
    if (!m || m.status !== "running" || m.attempts !== e.attempt) return;
    m.status = "done";
    m.result = e.result;
    m.error = null;
    m.finished_at = env.at;
  },
  training_failed(s, e, env) {
    const m = s.models.get(e.model);
    if (!m || m.status !== "running" || m.attempts !== e.attempt) return;
    m.error = e.reason;
    if (e.stopped) m.tries = Math.max(0, m.tries - 1); // a stop does not use up the retries
    if (e.will_retry) {
      m.status = "queued"; // back at the head of the queue
      removeFrom(s.queue, e.model);
      s.queue.unshift(e.model);
    } else {
      m.status = "failed";
      m.finished_at = env.at;
    }
  },
  training_cancelled(s, e, env) {
    const m = s.models.get(e.model);
    if (!m) {
      cancelSupernet(s, e.model, e.attempt); // a supernet training's queue entry, if any
      return;
    }
    if (m.status !== "queued" && m.status !== "running") return;
    if (e.attempt != null) {
      // a worker's: of this attempt, or late; one cancelled before it started uses its number up
      if (e.attempt < m.attempts || (m.status === "running" && e.attempt !== m.attempts)) return;
      m.attempts = e.attempt;
    }
    m.status = "cancelled";
    m.finished_at = env.at;
    removeFrom(s.queue, e.model);
  },
  queue_reordered(s, e) {
    const queued = new Set(s.queue);
    const order = [...new Set(e.order)].filter((m) => queued.has(m));
    const placed = new Set(order);
    s.queue = order.concat(s.queue.filter((m) => !placed.has(m)));
  },
  drawer_changed(s, e) {
    for (const m of e.removed ?? []) removeFrom(s.drawer, m);
    for (const m of e.added ?? []) {
      if (s.models.has(m) && !s.drawer.includes(m)) s.drawer.push(m);
    }
  },
  view_changed(s, e) {
    s.view = { projection: e.projection, selected_class: e.selected_class ?? null };
  },
  model_embedded(s, e) {
    if (!s.models.has(e.model)) return;
    s.embeddings[e.projection].set(e.model, [e.x, e.y]);
  },
  queue_paused(s) {
    s.paused = true;
  },
  queue_resumed(s) {
    s.paused = false;
  },
  median_rule_changed(s, e) {
    s.median_rule = e.min_models ?? null;
  },
  training_median_stopped(s, e) {
    if (s.models.has(e.model) && !s.median_stopped.includes(e.model)) s.median_stopped.push(e.model);
  },
  concurrency_changed(s, e) {
    s.concurrency = e.concurrency;
  },
  limits_changed(s, e) {
    if (s.settings !== null) s.settings = { ...s.settings, limits: e.limits };
  },
  layout_recomputed(s, e, env) {
    s.embeddings[e.projection] = new Map(Object.entries(e.positions));
    s.layouts[e.projection] = { seq: env.seq, reason: e.reason };
  },
  ...ONESHOT_HANDLERS, // issue 18: the one-shot kinds
  ...AUTO_SEARCH_HANDLERS, // issue 21: steering automated searches
  ...NOTES_HANDLERS, // issue 22: notes and tags
};

/** Seconds from the ISO time `start` to `at` (null without a start), as the server's fold. */
function secondsSince(start, at) {
  if (start === null || start === undefined) return null;
  return Math.max(0, (Date.parse(at) - Date.parse(start)) / 1000);
}

/** Fold `envelopes` (in seq order) into `state` in place; returns `state`. Envelopes
 * at or below `state.last_seq` are skipped (a stream may overlap what was folded). */
export function foldInto(state, envelopes, upto = Infinity) {
  let last = state.last_seq;
  let changed = false;
  for (const env of envelopes) {
    if (env.seq <= last) continue;
    if (env.seq > upto) break;
    const handler = HANDLERS[env.event.kind];
    if (handler) handler(state, env.event, env); // an unknown kind from a newer server: skipped
    last = env.seq;
    changed = true;
  }
  state.last_seq = last;
  if (changed) state.version += 1;
  return state;
}

/** The state at `seq` (the fold of events 1..seq) from a fresh state. */
export function foldUpTo(envelopes, seq = Infinity) {
  return foldInto(emptyState(), envelopes, seq);
}

/** The plain-JSON form of a state (Maps as objects): what the server's `GET /state`
 * returns, minus what only the server keeps (its search space). */
export function toJSON(state) {
  const models = {};
  for (const [id, m] of state.models) models[id] = m;
  const embeddings = {};
  for (const [p, map] of Object.entries(state.embeddings)) {
    if (map.size) embeddings[p] = Object.fromEntries(map);
  }
  const { version, ...rest } = state;
  return { ...rest, models, embeddings };
}

/** A state from the server's `GET /state` (the fold at its `last_seq`, issue 20): a page
 * starts its fold there and streams only the events after it, not from seq 1. Fields
 * only the server keeps are dropped; the rest is this fold's own shape. */
export function fromJSON(json) {
  const { search_space, distances, ...rest } = json;
  const state = { ...emptyState(), ...rest };
  state.models = new Map(Object.entries(json.models ?? {}));
  const embeddings = { structure: new Map(), predictions: new Map() };
  for (const [p, positions] of Object.entries(json.embeddings ?? {})) {
    embeddings[p] = new Map(Object.entries(positions));
  }
  state.embeddings = embeddings;
  state.version = 1;
  return state;
}
