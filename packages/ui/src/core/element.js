// The base of every REMAP view: a plain custom element that renders a lit-html
// template into its shadow root whenever its session changes (at most once a frame).
//
// Attributes: `src` (the session's SSE URL). A subclass defines `template()`, reads
// `this.session.state` (live, or at the timeline's cursor) and `this.session.ui`, and
// may set `static styles` (CSS text) and `static watches` (which changes re-render it:
// "events", "cursor", "selection", "hover", "connection").

import { render } from "lit-html";
import { sessionFor } from "./session.js";
import { base } from "./theme.js";

const sheets = new Map();

function sheet(css) {
  let s = sheets.get(css);
  if (!s) {
    s = new CSSStyleSheet();
    s.replaceSync(css);
    sheets.set(css, s);
  }
  return s;
}

export class RemapElement extends HTMLElement {
  static observedAttributes = ["src"];
  static styles = "";
  static watches = ["events", "cursor", "selection", "connection"];
  // private (#) so that a subclass's own fields and methods can never collide with them
  #frame = 0;
  #onChange;

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this.shadowRoot.adoptedStyleSheets = [sheet(base), sheet(this.constructor.styles)];
    this.session = null;
    this.#onChange = (e) => {
      if (this.constructor.watches.includes(e.detail.what)) {
        this.changed?.(e.detail);
        this.requestRender();
      }
    };
  }

  connectedCallback() {
    this.#attach();
    this.requestRender();
  }

  disconnectedCallback() {
    this.session?.removeEventListener("change", this.#onChange);
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
  }

  attributeChangedCallback() {
    if (this.isConnected) {
      this.#attach();
      this.requestRender();
    }
  }

  #attach() {
    const src = this.getAttribute("src");
    const next = src ? sessionFor(src) : null;
    if (next === this.session) return;
    this.session?.removeEventListener("change", this.#onChange);
    this.session = next;
    next?.addEventListener("change", this.#onChange);
    this.sessionChanged?.();
  }

  /** Render on the next frame (many changes in one frame render once). */
  requestRender() {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.renderNow();
    });
  }

  renderNow() {
    render(this.session ? this.template() : this.placeholder(), this.shadowRoot, { host: this });
    this.rendered?.();
  }

  placeholder() {
    return "";
  }

  /** Dispatch a bubbling, composed event (crosses shadow roots): how views tell the page. */
  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  /** POST a command; a rejection is shown as a toast by <remap-app> (event
   * "remap-error") and returned as null. */
  async post(command) {
    try {
      return await this.session.post(command);
    } catch (error) {
      this.emit("remap-error", { error });
      return null;
    }
  }
}
