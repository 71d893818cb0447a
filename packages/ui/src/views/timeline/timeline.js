// <remap-timeline>: a scrubber over the session's log. Dragging it (or the arrow keys,
// PageUp/PageDown, Home/End) sets the session's cursor, so every view on the page shows
// the session as it was at that event; ▶ replays the log (a whole session in about
// ten seconds); "Live" returns to the end, where the thumb follows new events.
//
// The strip above the slider shows the log's shape over seq: a tick per model created
// (grey), trained (green) and failed (vermillion), and the count of trained models
// rising as a shaded step curve.

import { html, nothing } from "lit-html";
import { live } from "lit-html/directives/live.js";
import { ref } from "lit-html/directives/ref.js";
import { RemapElement } from "../../core/element.js";
import { STATUS_COLORS } from "../../core/theme.js";

const REPLAY_MS = 10000; // a whole session replays in about this long

const styles = `
:host { height: 40px; min-width: 0; }
.wrap { display: flex; align-items: center; gap: 8px; height: 100%; }
button { padding: 0; width: 30px; height: 26px; display: inline-flex; align-items: center; justify-content: center; flex: none; }
button.live { width: auto; padding: 0 9px; gap: 5px; font-size: 12px; }
button.live .dot { width: 7px; height: 7px; border-radius: 50%; background: var(--remap-muted); }
button.live[aria-pressed="true"] { color: var(--remap-ok); border-color: var(--remap-ok); background: #e6f5f0; }
button.live[aria-pressed="true"] .dot { background: var(--remap-ok); }
.track { flex: 1; min-width: 120px; position: relative; height: 36px; }
canvas { position: absolute; left: 7px; right: 7px; top: 2px; height: 16px; width: calc(100% - 14px); display: block; }
input[type=range] {
  position: absolute; left: 0; right: 0; bottom: 0; width: 100%; margin: 0; height: 18px;
  -webkit-appearance: none; appearance: none; background: transparent; cursor: pointer;
}
input[type=range]::-webkit-slider-runnable-track { height: 4px; border-radius: 2px; background: linear-gradient(to right, var(--remap-accent) var(--p, 100%), var(--remap-border) var(--p, 100%)); }
input[type=range]::-webkit-slider-thumb {
  -webkit-appearance: none; width: 14px; height: 14px; border-radius: 50%; margin-top: -5px;
  background: var(--remap-bg); border: 2px solid var(--remap-accent); box-shadow: 0 1px 2px rgba(0,0,0,.2);
}
input[type=range]::-moz-range-track { height: 4px; border-radius: 2px; background: var(--remap-border); }
input[type=range]::-moz-range-progress { height: 4px; border-radius: 2px; background: var(--remap-accent); }
input[type=range]::-moz-range-thumb { width: 12px; height: 12px; border-radius: 50%; background: var(--remap-bg); border: 2px solid var(--remap-accent); }
input[type=range]:focus-visible { outline: none; }
input[type=range]:focus-visible::-webkit-slider-thumb { box-shadow: 0 0 0 3px var(--remap-accent-soft), 0 0 0 4px var(--remap-accent); }
.readout { flex: none; width: 250px; font-variant-numeric: tabular-nums; font-size: 12px; line-height: 1.3; white-space: nowrap; overflow: hidden; }
.readout .seq { font-weight: 600; }
.readout .when { color: var(--remap-muted); }
.readout .what { color: var(--remap-muted); display: block; overflow: hidden; text-overflow: ellipsis; }
`;

/** The envelope with seq `seq` (or the last one before it) in `envelopes` (seq order). */
function envelopeAt(envelopes, seq) {
  let lo = 0;
  let hi = envelopes.length - 1;
  let found = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (envelopes[mid].seq <= seq) {
      found = envelopes[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function clock(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
}

/** Seconds as "+1:05" / "+1:02:03" (time since the session began). */
function elapsed(fromIso, toIso) {
  const s = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
  if (!Number.isFinite(s)) return "";
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `+${h}:${String(m).padStart(2, "0")}:${sec}` : `+${m}:${sec}`;
}

const KIND_WORDS = {
  session_created: "session created",
  model_created: "model created",
  training_queued: "queued",
  training_started: "training started",
  epoch_completed: "epoch done",
  training_finished: "training finished",
  training_failed: "training failed",
  training_cancelled: "cancelled",
  queue_reordered: "queue reordered",
  drawer_changed: "drawer changed",
  view_changed: "view changed",
  model_embedded: "model embedded",
  layout_recomputed: "layout recomputed",
  note_written: "note written",
  note_removed: "note removed",
  tags_changed: "tags changed",
  auto_search_median_stopped: "stopped early (median rule)",
};

/** A kind in words: its own, else its name with spaces (every other kind reads so). */
const kindWords = (kind) => KIND_WORDS[kind] ?? kind.replaceAll("_", " ");

export class RemapTimeline extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor", "connection"];

  constructor() {
    super();
    this.playing = false;
    this._play = { frame: 0, last: 0, pos: 0 };
    this._canvas = null;
    this._drawn = "";
    this._resize = new ResizeObserver(() => this.requestRender());
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.pause(); // the observer stays: the same canvas comes back if the element does
  }

  // --- moving the cursor ---------------------------------------------------------------

  get seq() {
    return this.session.cursor ?? this.session.lastSeq;
  }

  seek(seq) {
    const last = this.session.lastSeq;
    const next = Math.round(Math.min(last, Math.max(0, seq)));
    this.session.setCursor(next >= last ? null : next);
  }

  onInput(e) {
    this.pause();
    this.seek(Number(e.target.value));
  }

  onKey(e) {
    const last = this.session.lastSeq;
    const page = Math.max(1, Math.round(last / 10));
    const steps = {
      ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1,
      PageDown: -page, PageUp: page,
    }; // prettier-ignore
    if (e.key in steps) {
      e.preventDefault();
      this.pause();
      this.seek(this.seq + steps[e.key]);
    } else if (e.key === "Home") {
      e.preventDefault();
      this.pause();
      this.seek(0);
    } else if (e.key === "End") {
      e.preventDefault();
      this.pause();
      this.seek(last);
    }
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  play() {
    const s = this.session;
    if (!s.lastSeq) return;
    if (s.cursor === null) s.setCursor(0); // from live: replay from the start
    this.playing = true;
    this._play.pos = s.cursor ?? 0;
    this._play.last = performance.now();
    const step = (now) => {
      if (!this.playing) return;
      const dt = now - this._play.last;
      this._play.last = now;
      const last = s.lastSeq;
      this._play.pos += (last * dt) / REPLAY_MS;
      if (this._play.pos >= last) {
        this.pause();
        s.setCursor(null);
        return;
      }
      this.seek(Math.floor(this._play.pos));
      this._play.frame = requestAnimationFrame(step);
    };
    this._play.frame = requestAnimationFrame(step);
    this.requestRender();
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this._play.frame);
    this.requestRender();
  }

  goLive() {
    this.pause();
    this.session.setCursor(null);
  }

  // --- the density strip -----------------------------------------------------------------

  canvasRef(el) {
    if (el === this._canvas) return;
    if (this._canvas) this._resize.unobserve(this._canvas);
    this._canvas = el ?? null;
    if (el) this._resize.observe(el);
  }

  rendered() {
    const c = this._canvas;
    if (!c) return;
    const s = this.session;
    const w = c.clientWidth;
    const h = c.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    const key = `${w}x${h}@${dpr}:${s.lastSeq}:${s.base}`; // base: older events came
    if (key === this._drawn || !w || !h) return;
    this._drawn = key;
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const last = s.lastSeq;
    if (!last) return;
    const x = (seq) => (seq / last) * w;
    // trained models so far, as a step curve scaled to the session's total
    let total = 0;
    for (const e of s.envelopes) if (e.event.kind === "training_finished") total += 1;
    if (total) {
      g.beginPath();
      g.moveTo(0, h);
      let done = 0;
      for (const e of s.envelopes) {
        if (e.event.kind !== "training_finished") continue;
        g.lineTo(x(e.seq), h - (done / total) * (h - 2));
        done += 1;
        g.lineTo(x(e.seq), h - (done / total) * (h - 2));
      }
      g.lineTo(w, h - (done / total) * (h - 2));
      g.lineTo(w, h);
      g.closePath();
      g.fillStyle = "rgba(0, 158, 115, 0.14)";
      g.fill();
    }
    const tick = (seq, colour, top) => {
      g.fillStyle = colour;
      g.fillRect(Math.min(w - 1.5, Math.floor(x(seq))), top, 1.5, h - top);
    };
    for (const e of s.envelopes) {
      const k = e.event.kind;
      if (k === "model_created") tick(e.seq, "rgba(95, 107, 122, 0.6)", h * 0.5);
      else if (k === "training_finished") tick(e.seq, STATUS_COLORS.done, 0);
      else if (k === "training_failed") tick(e.seq, STATUS_COLORS.failed, 0);
    }
  }

  // --- rendering -----------------------------------------------------------------------

  template() {
    const s = this.session;
    const last = s.lastSeq;
    const seq = this.seq;
    const isLive = s.cursor === null;
    const env = envelopeAt(s.envelopes, seq);
    const start = s.live.created_at ?? s.envelopes[0]?.at ?? null; // opened from a snapshot: no seq 1
    const when = env ? clock(env.at) : "";
    const since = env && start ? elapsed(start, env.at) : "";
    const what = env ? kindWords(env.event.kind) : "";
    const pct = last ? (100 * seq) / last : 100;
    return html`<div class="wrap">
      <button @click=${() => this.toggle()} ?disabled=${!last} aria-label=${this.playing ? "Pause replay" : "Replay the session"}
        aria-pressed=${this.playing ? "true" : "false"} title=${this.playing ? "Pause" : "Replay the session (about 10 s)"}>
        ${this.playing
          ? html`<svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true"><rect x="2" y="1" width="3" height="10" fill="currentColor"/><rect x="7" y="1" width="3" height="10" fill="currentColor"/></svg>`
          : html`<svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true"><path d="M2.5 1 L11 6 L2.5 11 Z" fill="currentColor"/></svg>`}
      </button>
      <button class="live" @click=${() => this.goLive()} aria-pressed=${isLive ? "true" : "false"}
        aria-label="Go live" title="Show the session as it is now">
        <span class="dot" aria-hidden="true"></span>Live
      </button>
      <div class="track">
        <canvas ${ref((el) => this.canvasRef(el))} role="img"
          aria-label="Events over the session: grey ticks models created, green ticks models trained, shaded the count trained"></canvas>
        <input type="range" min="0" max=${last} step="1" .value=${live(String(seq))}
          style="--p:${pct.toFixed(2)}%"
          aria-label="Session timeline" aria-valuetext="event ${seq} of ${last}${when ? `, ${when}` : ""}"
          @input=${(e) => this.onInput(e)} @keydown=${(e) => this.onKey(e)}>
      </div>
      <div class="readout" aria-live="off">
        <span class="seq">${isLive ? "live" : "seq"} ${seq}</span><span class="when"> / ${last}${when ? html` · ${when}` : nothing}${since ? ` (${since})` : ""}</span>
        <span class="what">${what}${s.connected || !s.error ? "" : ` · ${s.error}`}</span>
      </div>
    </div>`;
  }
}

customElements.define("remap-timeline", RemapTimeline);
