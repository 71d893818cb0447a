// The lean first payload of a big session (issue 20): the server's `GET …/state/overview`
// (remap_server/state_pack.py) has every model by column, typed arrays in base64, and
// whole only the models whose record can still change (and the drawer's, and those with
// tags or notes). `fromPacked`
// makes the fold's own state of it: each packed model is a light record (`lite` set:
// what the overview, the header and the queue read; no architecture, no epochs, no
// predictions) that `mergeDetail` later replaces with the model's whole record.

import { emptyState, foldInto } from "./fold.js";

const PER_CLASS_SCALE = 65534; // as state_pack.PER_CLASS_SCALE; 65535: no result

/** The bytes of a base64 string (a buffer of its own: typed views are aligned). */
function bytes(b64) {
  const raw = atob(b64 ?? "");
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

const column = (p, name, Type) => new Type(bytes(p[name]).buffer);

/** The fold's state of a `GET …/state/overview` answer (see state_pack.PackedModels). */
export function fromPacked(json) {
  const { models: p, full = {}, ...rest } = json;
  const state = { ...emptyState(), ...rest };
  const n = p.count;
  const ids = p.ids;
  const status = column(p, "status", Uint8Array);
  const origin = column(p, "origin", Uint8Array);
  const parent = column(p, "parent", Int32Array);
  const params = column(p, "params", Float64Array);
  const flops = column(p, "flops", Float64Array);
  const createdSeq = column(p, "created_seq", Float64Array);
  const epochs = column(p, "epochs", Uint16Array);
  const valLast = column(p, "val_last", Float32Array);
  const valBest = column(p, "val_best", Float32Array);
  const testAcc = column(p, "test_acc", Float32Array);
  const startedS = column(p, "started_s", Float64Array);
  const finishedMs = column(p, "finished_ms", Float64Array);
  const k = p.classes;
  const raw = column(p, "per_class", Uint16Array);
  const perClass = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) perClass[i] = raw[i] === 65535 ? NaN : raw[i] / PER_CLASS_SCALE;
  const num = (v) => (Number.isNaN(v) ? null : v);
  const models = new Map();
  const arch = (id) => ({ name: id, input: state.input, layers: [] });
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (full[id]) {
      models.set(id, full[id]);
      continue;
    }
    const test = num(testAcc[i]);
    models.set(id, {
      id, arch: arch(id), parent: parent[i] >= 0 ? ids[parent[i]] : null,
      origin: { type: p.origin_kinds[origin[i]] }, changes: [], description: "",
      params: params[i], flops: flops[i], arch_hash: "", created_seq: createdSeq[i],
      created_at: null, status: p.statuses[status[i]], config: null, seed: null,
      estimate_s: null, attempts: 0, tries: 0, worker: null, curve: [],
      result: test === null ? null : { test_acc: test, per_class_acc: perClass.subarray(i * k, i * k + k), epochs: epochs[i] },
      error: null, started_s: num(startedS[i]), queued_at: null, started_at: null,
      finished_at: Number.isNaN(finishedMs[i]) ? null : new Date(finishedMs[i]).toISOString(),
      epoch_at: [], tags: [], notes: [], lite: { val_last: num(valLast[i]), val_best: num(valBest[i]), epochs: epochs[i] },
    }); // prettier-ignore
  }
  state.models = models;
  const embeddings = { structure: new Map(), predictions: new Map() };
  for (const [projection, b64] of Object.entries(p.positions ?? {})) {
    const xy = new Float32Array(bytes(b64).buffer);
    const placed = new Map();
    for (let i = 0; i < n; i++) if (!Number.isNaN(xy[2 * i])) placed.set(ids[i], [xy[2 * i], xy[2 * i + 1]]);
    embeddings[projection] = placed;
  }
  state.embeddings = embeddings;
  state.version = 1;
  return state;
}

/** Put model `record` (its whole record in the server's fold at `seq`) into `state` in
 * place of its light one, folding on it the events after `seq` (of `envelopes`, the
 * page's events in seq order) that the light one already had: nothing is lost or folded
 * twice. The caller waits until `state` reached `seq` (the stream's events up to it are
 * folded first). Returns whether it replaced one. */
export function mergeDetail(state, record, seq, envelopes) {
  const id = record.id;
  if (!state.models.has(id) || state.last_seq < seq) return false;
  const mini = { ...emptyState(), created_at: state.created_at, last_seq: seq, models: new Map([[id, record]]) };
  const tail = envelopes.filter((e) => e.seq > seq && e.event.model === id);
  foldInto(mini, tail);
  // the light record's figures were the same: the views' arrays (keyed on the state's
  // version) stand, so the version is not bumped
  state.models.set(id, mini.models.get(id));
  return true;
}
