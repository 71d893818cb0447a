// <snac-chip>: one architecture's SNAC, drawn by the server's renderer (packages/snacs),
// shown as an <img> so that nothing in a spec (a hostile layer or model name) can ever
// become markup on the page.
//
// Two ways to use it:
//   <snac-chip src="…/api/sessions/ID/events" model="m3" height="40"></snac-chip>
//     a session's model (GET …/models/m3/snac.svg); alt text "SNAC of m3: <description>".
//   <snac-chip server="http://host:8000" height="40">{"name": …, "layers": […]}</snac-chip>
//     no session: the architecture JSON (REMAP or Keras) as the element's text, or set as
//     its `spec` property (an object or JSON text), rendered by POST /api/snacs/render.
//     `server` defaults to the page's origin.
//
// Attributes: height (px, default 40), layout ("fixed", "variable" or "squished", as
// snacs.LAYOUTS), width (px; fixed chips default to ten times the height), fold ("false"
// draws every layer instead of folding repeats into plates). The box is sized before the
// image arrives (no layout jump); a rejected spec shows the server's error and its JSON
// path inline. Events: "snac-rendered" {svg} and "snac-error" {message, path} (server
// form only: the session form's image is fetched by the browser).
//
// Per-layer parameters on hover (issue 22): an <img> shows no <title> of the SVG's
// blocks, so on the first hover the chip reads the same SVG as text (parsed, never
// inserted), keeps each block's horizontal extent and title, and shows the title of the
// block under the pointer (kind, settings, output, parameters) in a tooltip of its own.

import { html, nothing, render } from "lit-html";
import { styleMap } from "lit-html/directives/style-map.js";
import { RemapElement } from "../../core/element.js";

export const LAYOUTS = ["fixed", "variable", "squished"];
const DEFAULT_HEIGHT = 40;

function number(value, fallback, low, high) {
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? Math.min(high, Math.max(low, n)) : fallback;
}

/** "message (at $.layers[2])": the server's error and where in the spec it is. */
export function errorText(message, path) {
  const bare = message.replace(/ - at `[^`]*`$/s, ""); // msgspec's own "- at `$.x`" suffix
  return path && path !== "$" ? `${bare} (at ${path})` : bare;
}

async function errorOf(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    return { message: body.error ?? `HTTP ${response.status}`, path: body.path ?? null };
  } catch {
    return { message: text || `HTTP ${response.status}`, path: null };
  }
}

export class SnacChip extends RemapElement {
  static observedAttributes = ["src", "model", "height", "layout", "width", "fold", "server"];
  static watches = ["events"];
  static styles = `
    :host { display: inline-block; vertical-align: middle; line-height: 0; }
    .box { position: relative; display: inline-flex; align-items: center; max-width: 100%;
      overflow: hidden; }
    .box.pending { background: var(--remap-panel); border-radius: 3px; }
    img { display: block; height: 100%; max-width: 100%; object-fit: contain;
      object-position: left center; }
    .msg { line-height: 1.25; font-size: 11px; padding: 0 4px; overflow: hidden;
      overflow-wrap: anywhere; max-height: 100%; }
    .msg.error { color: var(--remap-danger); }
    .layer-tip { position: fixed; z-index: 10; pointer-events: none; white-space: pre-line;
      background: #fff; color: var(--remap-text, #111827); border: 1px solid var(--remap-border, #d1d5db);
      border-radius: 4px; box-shadow: 0 2px 8px rgba(0,0,0,.15); padding: 4px 7px;
      font-size: 11.5px; line-height: 1.35; max-width: 280px; }
  `;

  constructor() {
    super();
    this._spec = undefined; // set through the `spec` property (wins over the text)
    this._remote = { key: null, status: "idle", url: null, svg: null, error: null, alt: "" };
    this._abort = null;
    this._imageError = null; // {url, message, path}: the session form's failed image
    this._layers = null; // {url, width, height, blocks: [{x0, x1, title}]} of the image shown
    this._layerTip = null; // {x, y, title}: the hovered block's tooltip
    this._observer = new MutationObserver(() => this.requestRender());
  }

  connectedCallback() {
    super.connectedCallback();
    this._observer.observe(this, { childList: true, characterData: true, subtree: true });
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this._observer.disconnect();
    this._abort?.abort();
    this._abort = null;
    this._forget();
  }

  // --- options ---------------------------------------------------------------------------

  /** The architecture of the server form: an object, JSON text, or undefined (then the
   * element's text content is used). */
  get spec() {
    return this._spec;
  }

  set spec(value) {
    this._spec = value;
    this.requestRender();
  }

  /** The last rendered SVG text (server form), or null. */
  get svg() {
    return this._remote.svg;
  }

  get options() {
    const height = number(this.getAttribute("height"), DEFAULT_HEIGHT, 4, 4096);
    const requested = this.getAttribute("layout");
    const layout = LAYOUTS.includes(requested) ? requested : "fixed";
    const width = this.hasAttribute("width")
      ? number(this.getAttribute("width"), null, 4, 100_000)
      : null;
    const fold = this.getAttribute("fold") !== "false";
    return { height, layout, width, fold };
  }

  /** The box reserved before the image arrives: the height always, the width when it is
   * known (a fixed chip, or a given width). */
  _boxStyle({ height, layout, width }) {
    const w = width ?? (layout === "fixed" ? 10 * height : null);
    return styleMap({ height: `${height}px`, width: w === null ? null : `${w}px`,
      minWidth: w === null ? `${height}px` : null });
  }

  _query(url, { height, layout, width, fold }) {
    url.searchParams.set("height", String(height));
    url.searchParams.set("layout", layout);
    if (width !== null) url.searchParams.set("width", String(width));
    if (!fold) url.searchParams.set("fold", "false");
    return url;
  }

  // --- rendering -------------------------------------------------------------------------

  renderNow() {
    if (this.session) {
      super.renderNow();
      return;
    }
    this._refresh();
    render(this._remoteTemplate(), this.shadowRoot, { host: this });
  }

  placeholder() {
    return nothing;
  }

  /** The session form. */
  template() {
    const options = this.options;
    const model = this.getAttribute("model");
    if (!model) return this._message(options, "snac-chip: no model attribute", true);
    const m = this.session.live.models.get(model); // the server draws the latest, not the cursor
    if (!m) {
      // the stream may not have reached the model yet (or it is not in this session)
      if (this.session.live.last_seq === 0) {
        return html`<div class="box pending" style=${this._boxStyle(options)} role="img"
          aria-label=${`SNAC of ${model}: loading`} aria-busy="true"></div>`;
      }
      return this._message(options, `${model}: not in the session yet`, false);
    }
    const url = this._query(new URL(this.session.snacUrl(model, options)), options).href;
    const alt = `SNAC of ${model}: ${m.description}`;
    const failed = this._imageError?.url === url ? this._imageError : null;
    if (failed) return this._message(options, errorText(failed.message, failed.path), true);
    return html`<div class="box" style=${this._boxStyle(options)}>
      <img src=${url} alt=${alt} title=${this._layerTip ? "" : alt} height=${options.height} decoding="async"
        @error=${() => this._explain(url)} @mousemove=${(e) => this._hover(e, url)}
        @mouseleave=${() => this._unhover()}>
    </div>${this._tipTemplate()}`;
  }

  // --- per-layer tooltips --------------------------------------------------------------

  _tipTemplate() {
    const t = this._layerTip;
    return t ? html`<div class="layer-tip" role="tooltip" style=${styleMap({ left: `${t.x}px`, top: `${t.y}px` })}>${t.title}</div>` : nothing;
  }

  /** The blocks of the SVG text: horizontal extent (in SVG units) and title. */
  static layersOf(text) {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const root = doc.documentElement;
    if (!root || root.localName !== "svg") return null;
    const box = (root.getAttribute("viewBox") ?? "").split(/[\s,]+/).map(Number);
    const blocks = [];
    for (const g of root.querySelectorAll("g.snac-layer")) {
      const rect = g.querySelector(":scope > rect");
      const title = g.querySelector(":scope > title")?.textContent ?? "";
      const x = Number(rect?.getAttribute("x"));
      const w = Number(rect?.getAttribute("width"));
      if (Number.isFinite(x) && Number.isFinite(w)) blocks.push({ x0: x, x1: x + w, title });
    }
    return { width: box[2] || 1, height: box[3] || 1, blocks };
  }

  async _layersFor(url, text = null) {
    if (this._layers?.url === url) return this._layers;
    if (this._layersLoading === url) return null;
    this._layersLoading = url;
    try {
      const svg = text ?? (await (await fetch(url)).text());
      const found = SnacChip.layersOf(svg);
      this._layers = found ? { url, ...found } : null;
    } catch {
      this._layers = null; // no tooltips: the image's own alt text remains
    }
    this._layersLoading = null;
    return this._layers;
  }

  async _hover(event, url, text = null) {
    const img = event.currentTarget;
    const { clientX, clientY } = event;
    const layers = this._layers?.url === url ? this._layers : await this._layersFor(url, text);
    if (!layers || !img.isConnected) return;
    const r = img.getBoundingClientRect();
    // object-fit: contain, left aligned: one scale for both axes
    const scale = Math.min(r.width / layers.width, r.height / layers.height);
    const vx = (clientX - r.left) / scale;
    let best = null;
    for (const b of layers.blocks) {
      const d = vx < b.x0 ? b.x0 - vx : vx > b.x1 ? vx - b.x1 : 0;
      if (d <= 1.5 && (!best || d < best.d)) best = { d, title: b.title };
    }
    const next = best ? { x: clientX + 12, y: clientY + 14, title: best.title } : null;
    if (next?.title === this._layerTip?.title && next?.x === this._layerTip?.x) return;
    this._layerTip = next;
    this.requestRender();
  }

  _unhover() {
    if (!this._layerTip) return;
    this._layerTip = null;
    this.requestRender();
  }

  _message(options, text, isError) {
    return html`<div class="box" style=${this._boxStyle(options)} title=${text}>
      <span class="msg ${isError ? "error" : "muted"}" role=${isError ? "alert" : nothing}>${text}</span>
    </div>`;
  }

  /** The image did not load: ask the same URL why (the server answers JSON). */
  async _explain(url) {
    let failure;
    try {
      const response = await fetch(url);
      failure = response.ok ? { message: "the SNAC did not load", path: null } : await errorOf(response);
    } catch (error) {
      failure = { message: `the server did not answer: ${error.message}`, path: null };
    }
    this._imageError = { url, ...failure };
    this.requestRender();
  }

  // --- the server form -------------------------------------------------------------------

  _body() {
    const spec = this._spec;
    if (spec === undefined || spec === null) return this.textContent.trim();
    return typeof spec === "string" ? spec.trim() : JSON.stringify(spec);
  }

  _endpoint(options) {
    const server = this.getAttribute("server") || "/";
    const base = new URL(server, document.baseURI);
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    return this._query(new URL("api/snacs/render", base), options).href;
  }

  /** Fetch the chip when the spec or an option changed since the last request. */
  _refresh() {
    const options = this.options;
    const body = this._body();
    const endpoint = this._endpoint(options);
    const key = `${endpoint}\n${body}`;
    if (key === this._remote.key) return;
    this._abort?.abort();
    if (!body) {
      this._abort = null;
      this._settle({ key, status: "idle" });
      return;
    }
    const abort = (this._abort = new AbortController());
    this._remote = { ...this._remote, key, status: "loading" };
    const alt = this._altOf(body);
    fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: abort.signal,
    })
      .then(async (response) => {
        if (!response.ok) return { status: "error", error: await errorOf(response) };
        const svg = await response.text();
        const url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
        return { status: "ok", svg, url };
      })
      .catch((error) => ({
        status: "error",
        error: { message: `the SNAC server did not answer: ${error.message}`, path: null },
      }))
      .then((result) => {
        if (abort.signal.aborted) {
          if (result.url) URL.revokeObjectURL(result.url);
          return;
        }
        this._settle({ key, alt, ...result });
      });
  }

  _settle(next) {
    this._forget();
    this._remote = { url: null, svg: null, error: null, alt: "", ...next };
    if (next.status === "ok") this.emit("snac-rendered", { svg: next.svg });
    if (next.status === "error") this.emit("snac-error", next.error);
    this.requestRender();
  }

  _forget() {
    if (this._remote.url) URL.revokeObjectURL(this._remote.url);
    this._remote = { ...this._remote, url: null };
  }

  _altOf(body) {
    try {
      const spec = JSON.parse(body);
      const name = typeof spec?.name === "string" ? spec.name : spec?.config?.name;
      const about = typeof spec?.description === "string" ? spec.description : "";
      if (typeof name === "string" && name) return `SNAC of ${name}${about ? `: ${about}` : ""}`;
    } catch {
      // not JSON: the server's error says so
    }
    return "SNAC";
  }

  _remoteTemplate() {
    const options = this.options;
    const r = this._remote;
    if (r.status === "error") return this._message(options, errorText(r.error.message, r.error.path), true);
    if (r.status === "idle") return this._message(options, "no architecture", false);
    if (!r.url) {
      return html`<div class="box pending" style=${this._boxStyle(options)} role="img"
        aria-label="SNAC: rendering" aria-busy="true"></div>`;
    }
    return html`<div class="box" style=${this._boxStyle(options)}>
      <img src=${r.url} alt=${r.alt} title=${this._layerTip ? "" : r.alt} height=${options.height}
        @mousemove=${(e) => this._hover(e, r.url, r.svg)} @mouseleave=${() => this._unhover()}>
    </div>${this._tipTemplate()}`;
  }
}

customElements.define("snac-chip", SnacChip);
