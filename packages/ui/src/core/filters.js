// Filters of the overview and the drawer (issue 22): a line of clauses, all of which a
// model must meet (AND), written the same way in the filter bar and in the page's URL
// (`#filter=depth:3..8 conv:>=2 has:batchnorm params:<20k acc:>=90% origin:variation`).
// Pure: parse, serialise, match; the page's copy lives in core/session.js (`ui.filter`).
//
// A clause is `field:value`:
//   numbers  depth (layers in the architecture), conv, dense (layers of that kind),
//            params, flops (per example, as the server counts them), acc (the page's
//            plotted accuracy, core/metrics.js), val (best validation), test
//            value: `3..8` (inclusive; `..8`, `3..` open), `>=3`, `>3`, `<=8`, `<8`, `5`;
//            counts take k / M / G (20k), accuracies 0.9 or 90%
//   kinds    has:KIND / no:KIND (a layer type: conv, dense, dropout, …)
//   words    origin:TYPE[,TYPE] (one of them: sampled, ablation, …), status:S[,S],
//            tag:NAME[,NAME] (the model carries one of these tags; models without tags
//            match none)
// `parseFilter(text)` never throws: it returns the clauses it could read and, for each
// part it could not, an error naming the part and what that field takes; so a bad URL
// shows a message, not a blank page. `formatFilter(parseFilter(t).clauses)` is the
// canonical text, and parsing it gives the same clauses back (tests/test_ui_filters.py).

import { DEFAULT_METRIC, metricValue } from "./metrics.js";

export const LAYER_KINDS = ["conv", "maxpool", "avgpool", "dense", "dropout", "batchnorm", "relu", "tanh", "sigmoid", "flatten"];
export const ORIGINS = ["sampled", "ablation", "variation", "handcraft", "replicate", "continued", "oneshot", "imported", "auto_search"];
export const STATUSES = ["created", "queued", "running", "done", "failed", "cancelled"];

const COUNT = "count"; // an integer, k / M / G allowed
const ACC = "accuracy"; // a fraction, or a percentage with %

/** Numeric fields: what a value is, its label and how to read it off a model. */
export const NUMERIC = {
  depth: { unit: COUNT, label: "depth", get: (m) => features(m).depth },
  conv: { unit: COUNT, label: "conv layers", get: (m) => features(m).counts.conv ?? 0 },
  dense: { unit: COUNT, label: "dense layers", get: (m) => features(m).counts.dense ?? 0 },
  params: { unit: COUNT, label: "params", get: (m) => m.params ?? null },
  flops: { unit: COUNT, label: "FLOPs", get: (m) => m.flops ?? null },
  acc: { unit: ACC, label: "acc", get: (m, ctx) => metricValue(m, ctx.metric ?? DEFAULT_METRIC) },
  val: { unit: ACC, label: "val acc", get: (m) => metricValue(m, "val_best") },
  test: { unit: ACC, label: "test acc", get: (m) => metricValue(m, "test") },
};

/** Fields whose value is a list of words, one of which the model must have. */
export const WORDS = {
  origin: { label: "origin", allowed: ORIGINS, get: (m) => (m.origin?.type ? [m.origin.type] : []) },
  status: { label: "status", allowed: STATUSES, get: (m) => [m.status] },
  tag: { label: "tag", allowed: null, get: (m) => tagsOf(m) },
};

export const FIELDS = [...Object.keys(NUMERIC), "has", "no", ...Object.keys(WORDS)];

/** A model's tags as an array of strings, whatever the fold keeps (array, Set, object). */
export function tagsOf(m) {
  const t = m?.tags;
  if (!t) return [];
  if (Array.isArray(t)) return t.map(String);
  if (t instanceof Set) return [...t].map(String);
  if (typeof t === "object") return Object.keys(t).filter((k) => t[k]);
  return [];
}

const featureCache = new WeakMap();

/** The architecture's features: depth (layers), layers per kind, the kinds present.
 * Computed once per architecture object (the fold never changes one). */
export function features(m) {
  const arch = m?.arch;
  if (!arch || typeof arch !== "object") return { depth: null, counts: {}, kinds: new Set() };
  let f = featureCache.get(arch);
  if (!f) {
    const layers = Array.isArray(arch.layers) ? arch.layers : [];
    const counts = {};
    for (const l of layers) counts[l?.type] = (counts[l?.type] ?? 0) + 1;
    f = { depth: layers.length, counts, kinds: new Set(Object.keys(counts)) };
    featureCache.set(arch, f);
  }
  return f;
}

// --- reading ---------------------------------------------------------------------------

const SUFFIX = { k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 };

/** A count ("20k", "1.5M", "300") as a number, or null. */
function readCount(text) {
  const match = /^(\d+(?:\.\d+)?(?:e[+-]?\d+)?)([kKmMgG]?)$/.exec(text);
  if (!match) return null;
  const n = Number(match[1]) * (match[2] ? SUFFIX[match[2]] : 1);
  return Number.isFinite(n) ? n : null;
}

/** An accuracy ("0.9", "90%", "90 %") as a fraction in [0, 1], or null. */
function readAcc(text) {
  const match = /^(\d+(?:\.\d+)?(?:e[+-]?\d+)?)(%?)$/.exec(text);
  if (!match) return null;
  const n = match[2] ? Number(match[1]) / 100 : Number(match[1]);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : null;
}

const HINT = {
  [COUNT]: "a number (20k, 1.5M) or a range: 3..8, >=2, <20k",
  [ACC]: "an accuracy (0.9 or 90%) or a range: 0.8..0.95, >=90%",
};

/** `value` of numeric field `field` as a clause, or an error message. */
function readNumeric(field, value) {
  const read = NUMERIC[field].unit === COUNT ? readCount : readAcc;
  const bad = `${field} takes ${HINT[NUMERIC[field].unit]}`;
  const range = /^([^<>=]*?)\.\.([^<>=]*)$/.exec(value);
  if (range) {
    const [lo, hi] = [range[1], range[2]].map((t) => (t === "" ? null : read(t)));
    if ((range[1] !== "" && lo === null) || (range[2] !== "" && hi === null) || (lo === null && hi === null)) return bad;
    if (lo !== null && hi !== null && lo > hi) return `${field}: the range ${value} is empty (${range[1]} is above ${range[2]})`;
    return { field, lo, hi, loOpen: false, hiOpen: false };
  }
  const cmp = /^(>=|<=|>|<|=)?(.*)$/.exec(value);
  const n = read(cmp[2]);
  if (n === null) return bad;
  switch (cmp[1]) {
    case ">=":
      return { field, lo: n, hi: null, loOpen: false, hiOpen: false };
    case ">":
      return { field, lo: n, hi: null, loOpen: true, hiOpen: false };
    case "<=":
      return { field, lo: null, hi: n, loOpen: false, hiOpen: false };
    case "<":
      return { field, lo: null, hi: n, loOpen: false, hiOpen: true };
    default:
      return { field, lo: n, hi: n, loOpen: false, hiOpen: false };
  }
}

/** One `field:value` part as a clause, or an error message. */
export function parseClause(token) {
  const colon = token.indexOf(":");
  if (colon <= 0) return `"${token}" is not a filter: write field:value (fields: ${FIELDS.join(", ")})`;
  const field = token.slice(0, colon).toLowerCase();
  const value = token.slice(colon + 1);
  if (!FIELDS.includes(field)) return `"${field}" is not a field to filter by (fields: ${FIELDS.join(", ")})`;
  if (value === "") return `${field} needs a value after the colon`;
  if (field in NUMERIC) return readNumeric(field, value);
  if (field === "has" || field === "no") {
    const kind = value.toLowerCase();
    if (!LAYER_KINDS.includes(kind)) return `${field}: "${value}" is not a layer kind (${LAYER_KINDS.join(", ")})`;
    return { field, kind };
  }
  const { allowed } = WORDS[field];
  const values = value.split(",").map((v) => (allowed ? v.toLowerCase() : v));
  if (values.some((v) => v === "")) return `${field}: an empty name in "${value}"`;
  if (allowed) {
    const unknown = values.find((v) => !allowed.includes(v));
    if (unknown !== undefined) return `${field}: "${unknown}" is not one of ${allowed.join(", ")}`;
  }
  return { field, values: [...new Set(values)] };
}

/** The clauses of a filter line and an error {part, message} for each part it could
 * not read (those parts are left out; the rest apply). Parts are separated by spaces. */
export function parseFilter(text) {
  const clauses = [];
  const errors = [];
  for (const part of String(text ?? "").split(/\s+/)) {
    if (!part) continue;
    const c = parseClause(part);
    if (typeof c === "string") errors.push({ part, message: c });
    else if (!clauses.some((d) => sameClause(c, d))) clauses.push(c);
  }
  return { clauses, errors };
}

// --- writing ---------------------------------------------------------------------------

/** A count written back as read: 20000 → "20k", 1500000 → "1.5M", 123 → "123". */
function writeCount(n) {
  for (const [s, f] of [["G", 1e9], ["M", 1e6], ["k", 1e3]]) {
    const q = n / f;
    if (n >= f && readCount(`${q}${s}`) === n) return `${q}${s}`;
  }
  return String(n);
}

const writeValue = (field, n) => (NUMERIC[field].unit === COUNT ? writeCount(n) : String(n));

/** The canonical text of one clause. */
export function formatClause(c) {
  if (c.field in NUMERIC) {
    const w = (n) => writeValue(c.field, n);
    if (c.lo !== null && c.hi !== null) return c.lo === c.hi ? `${c.field}:${w(c.lo)}` : `${c.field}:${w(c.lo)}..${w(c.hi)}`;
    if (c.lo !== null) return `${c.field}:${c.loOpen ? ">" : ">="}${w(c.lo)}`;
    return `${c.field}:${c.hiOpen ? "<" : "<="}${w(c.hi)}`;
  }
  if (c.field === "has" || c.field === "no") return `${c.field}:${c.kind}`;
  return `${c.field}:${c.values.join(",")}`;
}

/** The canonical filter line of `clauses` (what the URL keeps). */
export function formatFilter(clauses) {
  return clauses.map(formatClause).join(" ");
}

/** Two clauses that say the same. */
export function sameClause(a, b) {
  return formatClause(a) === formatClause(b);
}

const pct = (x) => `${+(100 * x).toFixed(2)} %`;

/** The clause in words, for its chip: "depth 3–8", "params < 20k", "has dropout". */
export function describeClause(c) {
  if (c.field in NUMERIC) {
    const { label, unit } = NUMERIC[c.field];
    const w = (n) => (unit === ACC ? pct(n) : writeCount(n));
    if (c.lo !== null && c.hi !== null) return c.lo === c.hi ? `${label} = ${w(c.lo)}` : `${label} ${w(c.lo)}–${w(c.hi)}`;
    if (c.lo !== null) return `${label} ${c.loOpen ? ">" : "≥"} ${w(c.lo)}`;
    return `${label} ${c.hiOpen ? "<" : "≤"} ${w(c.hi)}`;
  }
  if (c.field === "has") return `has ${c.kind}`;
  if (c.field === "no") return `no ${c.kind}`;
  return `${WORDS[c.field].label} ${c.values.join(" or ")}`;
}

// --- matching --------------------------------------------------------------------------

function meets(c, m, ctx) {
  if (c.field in NUMERIC) {
    const v = NUMERIC[c.field].get(m, ctx);
    if (v === null || v === undefined || Number.isNaN(v)) return false; // unknown: not shown as matching
    if (c.lo !== null && (c.loOpen ? v <= c.lo : v < c.lo)) return false;
    if (c.hi !== null && (c.hiOpen ? v >= c.hi : v > c.hi)) return false;
    return true;
  }
  if (c.field === "has") return features(m).kinds.has(c.kind);
  if (c.field === "no") return m?.arch ? !features(m).kinds.has(c.kind) : false;
  const have = WORDS[c.field].get(m);
  return c.values.some((v) => have.includes(v));
}

/** Whether model `m` meets every clause (`ctx.metric`: the page's accuracy for `acc`). */
export function matches(m, clauses, ctx = {}) {
  for (const c of clauses) if (!meets(c, m, ctx)) return false;
  return true;
}

/** A predicate for `clauses`, or null when there are none (everything matches). */
export function matcher(clauses, ctx = {}) {
  return clauses.length ? (m) => matches(m, clauses, ctx) : null;
}
