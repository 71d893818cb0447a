// One live session on a page: its event stream, the folded state, the timeline cursor
// and the page's selection, shared by every component whose `src` names it.
//
// `src` is the session's SSE URL (…/api/sessions/ID/events), absolute or relative to
// the page; every other URL (commands, SNACs, data images) is derived from it, so a
// component works on any page that can reach the server (CORS: `--allow-origin`).

import { emptyState, foldInto, foldUpTo, fromJSON } from "./fold.js";
import { DEFAULT_METRIC, METRIC_KEYS } from "./metrics.js";
import { formatFilter, parseFilter } from "./filters.js";
import { openStream, parseFrames } from "./sse.js";
import { fromPacked, mergeDetail } from "./state-pack.js";
import { readView, writeView } from "./view-state.js";

/** The most models the inspector compares at once (issue 22; the server's compare_api). */
export const COMPARE_MAX = 8;

/** A 4xx/5xx answer of the server: `message` is its error, `path` names the field. */
export class RemapError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.path = body?.path ?? null;
    this.line = body?.line ?? null;
  }
}

function commandId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

// Seeds reach 2**63 − 1 and JSON.parse would round them past 2**53: a seed past
// Number.MAX_SAFE_INTEGER is kept exact as a string of its digits (seeds are shown and sent back,
// never computed with). An unescaped `"seed":` can only be a key — a quote inside a JSON
// string is escaped — so the rewrite never touches a name or a description.
const BIG_SEED = /(?<!\\)"(seed|split_seed)":(-?\d{16,})/g;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const keepExact = (match, key, digits) =>
  BigInt(digits) > MAX_SAFE || BigInt(digits) < -MAX_SAFE ? `"${key}":"${digits}"` : match;

export function parseEnvelope(text) {
  return JSON.parse(/\d{16}/.test(text) ? text.replace(BIG_SEED, keepExact) : text);
}

const nextFrame = (fn) =>
  typeof requestAnimationFrame === "function" && document.visibilityState !== "hidden"
    ? requestAnimationFrame(fn)
    : setTimeout(fn, 16);

/** The index of the first envelope with a seq above `seq` (envelopes in seq order). */
function firstAfter(envelopes, seq) {
  let lo = 0;
  let hi = envelopes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (envelopes[mid].seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The page's view state as its URL has it (a reload shows the same view). `projection`
 * and `cls` are the page's own once set (null / undefined: follow the session's
 * recorded view); `base` is the model Generate makes children of. */
function initialView() {
  const metric = readView("metric");
  const cls = readView("class");
  return {
    selected: readView("selected"),
    base: readView("base"),
    compare: (readView("compare") ?? "").split(",").filter(Boolean).slice(0, COMPARE_MAX),
    hover: null,
    metric: METRIC_KEYS.includes(metric) ? metric : DEFAULT_METRIC,
    projection: readView("projection"),
    cls: cls === null ? undefined : cls === "none" ? null : Number(cls),
    hideOverCap: readView("cap") === "hide", // the overview hides models over the parameter cap
    filter: filterFromUrl(),
  };
}

/** The page's filter as its URL has it (issue 22, core/filters.js): {text, clauses,
 * errors, mode}; `errors` names the parts of the URL's filter that could not be read
 * (the filter bar shows them), `mode` whether the others are dimmed or hidden. */
function filterFromUrl() {
  const text = readView("filter") ?? "";
  return { text, ...parseFilter(text), mode: readView("filtered") === "hide" ? "hide" : "dim" };
}

/** What a failed fetch (no answer at all) means, in REMAP's words. */
export function unreachable(root) {
  return new RemapError(0, { error: `the REMAP server at ${root} does not answer; is it running?` });
}

/** From how many events a page starts from the server's state rather than from seq 1
 * (issue 20): below it the whole log is cheap, and the page keeps every event (the
 * timeline's marks). A page may lower it (`window.REMAP_SNAPSHOT_FROM`) before it loads. */
export const SNAPSHOT_FROM = 20_000;
const snapshotFrom = () => globalThis.REMAP_SNAPSHOT_FROM ?? SNAPSHOT_FROM;

export class Session extends EventTarget {
  constructor(src) {
    super();
    const url = new URL(src, document.baseURI);
    const match = url.pathname.match(/^(.*)\/api\/sessions\/([^/]+)\/events\/?$/);
    if (!match) throw new Error(`src must be a session's event URL (…/api/sessions/ID/events), not ${src}`);
    this.src = url.href;
    this.root = url.origin + match[1]; // where the server's /api lives
    this.id = decodeURIComponent(match[2]);
    this.token = url.searchParams.get("token");
    this.envelopes = []; // every event received, in seq order (after `base`)
    this.live = emptyState();
    // issue 20: the page starts from the server's state at seq `base` and streams the
    // events after it; the events up to `base` are fetched when the timeline goes there
    this.base = 0;
    this._history = null; // the fetch of events 1..base, once started
    this.cursor = null; // null: live; a seq: the timeline shows the session as it was then
    this.connected = false;
    this.error = null;
    this.ui = initialView();
    // back / forward between filters (each change is a history entry): read it again
    globalThis.addEventListener?.("popstate", () => {
      const next = filterFromUrl();
      const now = this.ui.filter;
      if (next.text === now.text && next.mode === now.mode && !now.errors.length) return;
      this.ui.filter = next;
      this._changed("selection");
    });
    this._pending = [];
    this._scheduled = false;
    this._atCursor = null;
    this._atCursorSeq = null;
    this._connect();
  }

  // --- reading -------------------------------------------------------------------------

  /** The state every view shows: live, or at the timeline's cursor. */
  get state() {
    if (this.cursor === null || this.cursor >= this.live.last_seq) return this.live;
    if (this.base > 0) {
      // a replay folds from seq 1: the events before `base` come first (until they
      // do, the views show the session live)
      this._fetchHistory();
      return this.live;
    }
    if (this._atCursorSeq !== this.cursor) {
      if (this._atCursor !== null && this.cursor > this._atCursorSeq) {
        // forward (playing, scrubbing on): fold on from where the last cursor was
        const from = firstAfter(this.envelopes, this._atCursor.last_seq);
        this._atCursor = foldInto(this._atCursor, this.envelopes.slice(from), this.cursor);
        this._atCursor = { ...this._atCursor }; // a new object: views key caches on it
      } else {
        this._atCursor = foldUpTo(this.envelopes, this.cursor);
      }
      this._atCursorSeq = this.cursor; // keyed by the cursor, not the fold's last seq
    }
    return this._atCursor;
  }

  get lastSeq() {
    return this.live.last_seq;
  }

  url(path) {
    const u = new URL(this.root + path);
    if (this.token) u.searchParams.set("token", this.token);
    return u.href;
  }

  apiUrl(rest = "") {
    return this.url(`/api/sessions/${encodeURIComponent(this.id)}${rest}`);
  }

  /** The URL of a model's SNAC (an SVG from the server's renderer). */
  snacUrl(model, { height = 48, layout = "variable" } = {}) {
    const u = new URL(this.apiUrl(`/models/${encodeURIComponent(model)}/snac.svg`));
    u.searchParams.set("height", String(height));
    u.searchParams.set("layout", layout);
    return u.href;
  }

  /** A data-set example as a PNG (split: train, val or test). */
  imageUrl(split, index) {
    return this.apiUrl(`/data/${split}/${index}.png`);
  }

  // --- writing -------------------------------------------------------------------------

  /** POST one command ({type: "ablate", …}); resolves to the server's CommandAccepted,
   * rejects with a RemapError naming what was wrong. Retry-safe (Idempotency-Key). */
  async post(command) {
    return this.request(this.apiUrl("/commands"), command, { "idempotency-key": commandId() });
  }

  async request(url, body, headers = {}) {
    const response = await this.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { error: text };
    }
    if (!response.ok) throw new RemapError(response.status, parsed);
    return parsed;
  }

  /** fetch(), with "no answer" said in REMAP's words (not the browser's "Failed to fetch"). */
  async fetch(url, init) {
    try {
      return await fetch(url, init);
    } catch {
      throw unreachable(this.root);
    }
  }

  /** Render an architecture (REMAP or Keras JSON) with the server's SNAC renderer:
   * resolves to the SVG text, rejects with a RemapError naming the path. */
  async render(spec, options = {}) {
    const u = new URL(this.url("/api/snacs/render"));
    for (const [k, v] of Object.entries(options)) u.searchParams.set(k, String(v));
    const response = await this.fetch(u, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof spec === "string" ? spec : JSON.stringify(spec),
    });
    const text = await response.text();
    if (!response.ok) {
      let body = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = { error: text };
      }
      throw new RemapError(response.status, body);
    }
    return text;
  }

  // --- the page's shared view state ------------------------------------------------------

  /** Show the session as it was at `seq` (null: live). */
  setCursor(seq) {
    const next = seq === null || seq >= this.live.last_seq ? null : Math.max(0, seq);
    if (next === this.cursor) return;
    this.cursor = next;
    this._changed("cursor");
  }

  /** The model the inspector shows; with `rebase` (the default) Generate makes
   * children of it too. The children table selects without re-basing. */
  select(model, { rebase = true } = {}) {
    if (this._lite(model)) {
      // a model of the packed first payload: selected once its whole record is here
      this.detail(model).then(() => this.select(model, { rebase }));
      return;
    }
    const base = rebase ? model : (this.ui.base ?? this.ui.selected); // pinned where it was
    if (this.ui.selected === model && this.ui.base === base) return;
    this.ui.selected = model;
    this.ui.base = base;
    writeView("selected", model);
    writeView("base", base);
    this._changed("selection");
  }

  /** The model Generate makes children of (the selection stays). */
  setBase(model) {
    if (this.ui.base === model) return;
    this.ui.base = model;
    writeView("base", model);
    this._changed("selection");
  }

  /** The drawer models the inspector compares side by side, 2 to `COMPARE_MAX` (issue
   * 22; one: waiting for a second; an empty array: none). */
  setCompare(models) {
    const lite = models.filter((m) => this._lite(m));
    if (lite.length) {
      Promise.all(lite.map((m) => this.detail(m))).then(() => this.setCompare(models));
      return;
    }
    this.ui.compare = models.slice(0, COMPARE_MAX);
    writeView("compare", this.ui.compare.join(","));
    this._changed("selection");
  }

  /** Which accuracy the overview plots and the header's "best" is (core/metrics.js). */
  setMetric(metric) {
    if (!METRIC_KEYS.includes(metric) || metric === this.ui.metric) return;
    this.ui.metric = metric;
    writeView("metric", metric === DEFAULT_METRIC ? null : metric);
    this._changed("selection");
  }

  /** Whether the overview hides the models over the session's parameter cap. */
  setHideOverCap(hide) {
    if (Boolean(hide) === this.ui.hideOverCap) return;
    this.ui.hideOverCap = Boolean(hide);
    writeView("cap", hide ? "hide" : null);
    this._changed("selection");
  }

  /** This page's projection and class (the session still records "view changed" for the
   * replay; a page's own choice wins over what another page recorded). */
  setView({ projection, cls }) {
    if (projection !== undefined) {
      this.ui.projection = projection;
      writeView("projection", projection);
    }
    if (cls !== undefined) {
      this.ui.cls = cls;
      writeView("class", cls === null ? "none" : cls);
    }
    this._changed("selection");
  }

  /** The view `state` is shown in: in a replay the recorded one (that is what the
   * replay shows), live this page's own where it chose one, else the recorded one. */
  viewOf(state = this.state) {
    const recorded = state.view;
    if (this.cursor !== null) return recorded;
    return {
      projection: this.ui.projection ?? recorded.projection,
      selected_class: this.ui.cls === undefined ? (recorded.selected_class ?? null) : this.ui.cls,
    };
  }

  /** The page's filter: `clauses` (core/filters.js), all met by a shown model, and
   * `mode`, "dim" or "hide" the others. Each change is a step of the page's history. */
  setFilter(clauses, mode = this.ui.filter.mode) {
    const text = formatFilter(clauses);
    const now = this.ui.filter;
    if (text === now.text && mode === now.mode && !now.errors.length) return;
    this.ui.filter = { text, clauses: [...clauses], errors: [], mode };
    const pushed = writeView("filter", text || null, { push: true });
    writeView("filtered", mode === "hide" ? "hide" : null, { push: !pushed }); // one step either way
    this._changed("selection");
  }

  setHover(model) {
    if (this.ui.hover === model) return;
    if (this._lite(model)) this.detail(model); // its description and figures, when they come
    this.ui.hover = model;
    this._changed("hover");
  }

  // --- the stream ------------------------------------------------------------------------

  async _connect() {
    if (staticEnvelopes.has(this.src)) {
      // a session file with no server (the notebook widget, issue 22): fold the given
      // envelopes once, read-only; nothing is fetched
      this._pending.push(...staticEnvelopes.get(this.src));
      this._schedule();
      return;
    }
    const state = await this._snapshot();
    if (this._closed) return;
    if (state !== null && state.last_seq >= snapshotFrom()) {
      this.live = state;
      this.base = state.last_seq;
      this._changed("events");
    }
    this._close = openStream(this.src, {
      lastEventId: this.base || null, // the stream resumes right after the state
      onEvents: (frames) => {
        for (const f of frames) this._pending.push(parseEnvelope(f.data));
        this._schedule();
      },
      onState: ({ connected, error }) => {
        this.connected = connected;
        this.error = error;
        this._changed("connection");
      },
    });
  }

  /** The server's folded state (`GET …/state`), or null where it does not answer with one
   * (an older server, a stand-in that only streams): then the page folds from seq 1.
   * Its lean form first (`…/state/overview`, core/state-pack.js): a big session's models
   * packed by column, each model's whole record fetched when a view needs it. */
  async _snapshot() {
    try {
      const lean = await fetch(this.apiUrl("/state/overview"), { cache: "no-store" });
      if (lean.ok) return fromPacked(parseEnvelope(await lean.text()));
    } catch {
      // an older server: its whole state
    }
    try {
      const response = await fetch(this.apiUrl("/state"), { cache: "no-store" });
      if (!response.ok) return null;
      return fromJSON(parseEnvelope(await response.text()));
    } catch {
      return null;
    }
  }

  /** Fetch the events up to `base` (the timeline went before it): a bounded stream. */
  _fetchHistory() {
    if (this._history !== null || this.base === 0) return;
    this._history = (async () => {
      const u = new URL(this.src);
      u.searchParams.set("after", "0");
      u.searchParams.set("until", String(this.base));
      const older = [];
      try {
        const response = await fetch(u, { headers: { accept: "text/event-stream" }, cache: "no-store" });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const { frames } = parseFrames((await response.text()).replace(/\r\n?/g, "\n"));
        for (const f of frames) older.push(parseEnvelope(f.data));
      } catch (error) {
        this.historyError = String(error); // tried again at the next scrub
        this._history = null;
        return;
      }
      const head = older.filter((e) => e.seq <= this.base);
      this.envelopes = head.concat(this.envelopes.filter((e) => e.seq > this.base));
      this.base = 0;
      this._atCursorSeq = null;
      this._atCursor = null;
      this._changed("cursor");
    })();
  }

  /** Whether `model` is a light record of the packed first payload. */
  _lite(model) {
    return Boolean(model && this.live.models.get(model)?.lite);
  }

  /** Fetch model `model`'s whole record (once; resolves when it is in the live state):
   * a model of the packed first payload has only what the overview draws. */
  detail(model) {
    this._details ??= new Map();
    if (!this._lite(model)) return Promise.resolve();
    if (!this._details.has(model)) {
      const done = (async () => {
        const response = await fetch(this.apiUrl(`/models/${encodeURIComponent(model)}/state`), { cache: "no-store" });
        if (!response.ok) throw new RemapError(response.status, await response.json().catch(() => null));
        const { last_seq: seq, model: record } = parseEnvelope(await response.text());
        await new Promise((resolve) => {
          // the stream may be behind the server's fold: merge once it reached that seq
          const tryMerge = () => {
            if (this.live.last_seq < seq) return false;
            mergeDetail(this.live, record, seq, this.envelopes);
            this.removeEventListener("change", onChange);
            this._changed("selection"); // what the views show of one model (the overview's arrays stand)
            resolve();
            return true;
          };
          const onChange = (e) => e.detail.what === "events" && tryMerge();
          this.addEventListener("change", onChange);
          tryMerge();
        });
      })();
      done.catch(() => this._details.delete(model)); // tried again at the next ask
      this._details.set(model, done);
    }
    return this._details.get(model);
  }

  _schedule() {
    if (this._scheduled) return;
    this._scheduled = true;
    nextFrame(() => {
      this._scheduled = false;
      const batch = this._pending;
      this._pending = [];
      const fresh = batch.filter((e) => e.seq > this.live.last_seq);
      if (!fresh.length) return;
      for (const e of fresh) this.envelopes.push(e);
      foldInto(this.live, fresh);
      for (const e of fresh) if (this._lite(e.event.model) && !this._details?.has(e.event.model)) this.detail(e.event.model);
      for (const id of this.live.drawer) if (this._lite(id)) this.detail(id); // the drawer shows them whole
      this._changed("events", fresh);
    });
  }

  _changed(what, envelopes = []) {
    this.dispatchEvent(new CustomEvent("change", { detail: { what, envelopes } }));
  }

  close() {
    this._closed = true;
    this._close?.();
    sessions.delete(this.src);
  }
}

const sessions = new Map();
const staticEnvelopes = new Map(); // src → envelopes of a session file (no stream)

/** A read-only Session for `src` folded from `envelopes` (a session file's events, seq
 * order) instead of its SSE stream: components whose `src` names it show that file. */
export function staticSession(src, envelopes) {
  const href = new URL(src, document.baseURI).href;
  staticEnvelopes.set(href, envelopes);
  return sessionFor(href);
}

/** The page's Session for `src` (one per URL, however many components use it). */
export function sessionFor(src) {
  const href = new URL(src, document.baseURI).href;
  let session = sessions.get(href);
  if (!session) {
    session = new Session(href);
    sessions.set(href, session);
  }
  return session;
}
