// <snac-diff>: two models' SNACs, one above the other, the second's added (+, solid
// outline), the first's removed (−, hatched) and the re-parameterised (Δ, dashed) blocks
// marked, with the changes in words beside them (issue 22). The server draws it
// (GET …/models/{a}/diff/{b}.svg, snacs.diff with REMAP's own alignment).
//
//   <snac-diff url=${diffUrl(session, parent, id, { height: 32 })}></snac-diff>
//   diff.svgText = text  // an SVG the caller fetched (the SNAC tool page's POST)
//
// Unlike <snac-chip>'s <img>, the SVG is inlined so that each block's <title> (its kind,
// settings and parameter count, and the change) shows on hover and the marks can be
// found by class (snac-added, snac-removed, snac-changed). It is parsed as XML and
// rebuilt from an allowlist of SVG elements and attributes, so nothing in a model's name
// or a hostile server's answer can become script or a link.

const ELEMENTS = new Set(["svg", "g", "rect", "path", "text", "tspan", "title"]);
const ATTRIBUTES = new Set([
  "class", "x", "y", "width", "height", "rx", "d", "fill", "stroke", "stroke-width",
  "stroke-dasharray", "stroke-linecap", "stroke-linejoin", "stroke-opacity", "fill-opacity",
  "opacity", "transform", "font-size", "font-weight", "font-family", "text-anchor", "viewBox",
  "role", "aria-label",
]);
const SVG_NS = "http://www.w3.org/2000/svg";

/** The URL of the diff of models `a` and `b` of the session. */
export function diffUrl(session, a, b, { height = 32, words = true, layout = "variable" } = {}) {
  const u = new URL(session.apiUrl(`/models/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}.svg`));
  u.searchParams.set("height", String(height));
  u.searchParams.set("layout", layout);
  if (!words) u.searchParams.set("words", "false");
  return u.href;
}

/** A clean copy of a parsed SVG element (allowlisted elements and attributes only). */
function clean(node, doc) {
  const name = node.localName;
  if (node.namespaceURI !== SVG_NS || !ELEMENTS.has(name)) return null;
  const out = doc.createElementNS(SVG_NS, name);
  for (const attr of node.attributes) {
    if (ATTRIBUTES.has(attr.name) || /^data-[a-z-]+$/.test(attr.name)) out.setAttribute(attr.name, attr.value);
  }
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) out.append(doc.createTextNode(child.data));
    else if (child.nodeType === Node.ELEMENT_NODE) {
      const c = clean(child, doc);
      if (c) out.append(c);
    }
  }
  return out;
}

/** The SVG text as a safe element of `doc`, or null when it is not an SVG. */
export function safeSvg(text, doc = document) {
  const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = parsed.documentElement;
  if (!root || root.localName !== "svg" || parsed.querySelector("parsererror")) return null;
  return clean(root, doc);
}

const STYLE = `
  :host { display: block; min-width: 0; }
  .box { max-width: 100%; }
  svg { display: block; max-width: 100%; height: auto; }
  .snac-layer { cursor: help; }
  .snac-layer:hover rect { filter: brightness(1.12); }
  .msg { font-size: 12px; color: var(--remap-muted, #6b7280); padding: 4px 0; }
  .msg.error { color: var(--remap-danger, #b91c1c); }
`;

export class SnacDiff extends HTMLElement {
  static observedAttributes = ["url"];

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._url = null;
    this._abort = null;
    const style = document.createElement("style");
    style.textContent = STYLE;
    this._box = document.createElement("div");
    this._box.className = "box";
    this.shadowRoot.append(style, this._box);
  }

  connectedCallback() {
    this._load();
  }

  attributeChangedCallback() {
    if (this.isConnected) this._load();
  }

  disconnectedCallback() {
    this._abort?.abort();
    this._abort = null;
    this._url = null;
  }

  /** Show an SVG the caller already has (the SNAC tool page posts two specs). */
  set svgText(text) {
    this._abort?.abort();
    this._url = null;
    const svg = safeSvg(text);
    if (svg) this._box.replaceChildren(svg);
    else this._message("the diff is not an SVG", true);
  }

  /** The marked blocks, by kind (for tests and callers). */
  get marks() {
    const q = (c) => [...this.shadowRoot.querySelectorAll(`.snac-layer.${c}`)];
    return { added: q("snac-added"), removed: q("snac-removed"), changed: q("snac-changed") };
  }

  _message(text, isError) {
    const span = document.createElement("div");
    span.className = isError ? "msg error" : "msg";
    span.textContent = text;
    this._box.replaceChildren(span);
  }

  async _load() {
    const url = this.getAttribute("url");
    if (!url || url === this._url) return;
    this._url = url;
    this._abort?.abort();
    const abort = (this._abort = new AbortController());
    this.setAttribute("aria-busy", "true");
    this._message("drawing the diff…", false);
    let result;
    try {
      const response = await fetch(url, { signal: abort.signal });
      const text = await response.text();
      if (!response.ok) {
        let reason = text;
        try {
          reason = JSON.parse(text).error ?? text;
        } catch {
          /* not JSON: the text as it is */
        }
        result = { error: `the diff did not load: ${reason || `HTTP ${response.status}`}` };
      } else {
        const svg = safeSvg(text);
        result = svg ? { svg } : { error: "the diff is not an SVG" };
      }
    } catch (error) {
      if (abort.signal.aborted) return;
      result = { error: `the server did not answer: ${error.message}` };
    }
    if (abort.signal.aborted) return;
    this.removeAttribute("aria-busy");
    if (result.svg) {
      this._box.replaceChildren(result.svg);
      this.dispatchEvent(new CustomEvent("snac-diff-rendered", { bubbles: true, composed: true }));
    } else this._message(result.error, true);
  }
}

if (!customElements.get("snac-diff")) customElements.define("snac-diff", SnacDiff);
