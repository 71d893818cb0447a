// <remap-lineage>: the session's models as a forest (issue 22) — sample → ablation →
// variation → handcraft → continued / replicate / search proposal, imported and
// one-shot models as roots of their own — left to right, each edge labelled with Δacc
// (the page's plotted accuracy, child − parent) and Δparams. Subtrees fold (the round
// handle, or ← / → on a node); a click (or Enter) selects the model, the same selection
// the overview, drawer and inspector use; the selected model's path from its root is
// drawn in the accent colour, the edges to its children dashed.
//
// Scales to thousands: the layout (layout.js, pure) is computed once per state version
// and fold; only the rows in the scrolled window (plus a margin) become DOM nodes and
// SVG paths.
//
// For tests: `el.stats` ({models, shown, rows, depth, nodes, edges}: laid out, in the
// DOM) and `data-model` / `data-parent` / `data-child` on nodes, edges and labels.

import { html, nothing, svg } from "lit-html";
import { ref } from "lit-html/directives/ref.js";
import { RemapElement } from "../../core/element.js";
import { figureMenu } from "../../core/figure-menu.js";
import { METRICS } from "../../core/metrics.js";
import { formatCount } from "../../core/theme.js";
import { accText, annotationsOf, edgeLabel } from "./labels.js";
import { ORIGIN_KINDS, ancestry, lineageLayout, originKind, windowOf } from "./layout.js";
import { styles } from "./styles.js";

const ROW = 46; // px per row
const COL = 214; // px per depth column
const NODE_W = 128;
const NODE_H = 34;
const TRUNK = 15; // the trunk of a node's elbow edges, right of the node
const PAD = 12;
const MARGIN_ROWS = 6; // rows drawn beyond the visible window

const nodeX = (n) => PAD + n.depth * COL;
const rowY = (row) => PAD + row * ROW + ROW / 2; // the centre line of a row

export class RemapLineage extends RemapElement {
  static styles = styles;
  static watches = ["events", "cursor", "selection", "hover", "connection"];

  constructor() {
    super();
    this.collapsed = new Set();
    this._key = null;
    this._state = null;
    this._layout = null;
    this._parents = new Map();
    this._scroll = null;
    this._view = { top: 0, height: 600 };
    this._focus = null; // the roving tab stop (an id)
    this._wantFocus = false;
    this._scrollTo = null; // {top, left} for after the next render (reveal)
    this._selected = undefined;
    this._stats = { nodes: 0, edges: 0 };
    this._resize = new ResizeObserver(() => this._measure());
  }

  get stats() {
    const l = this._layout;
    return {
      models: this._state?.models.size ?? 0,
      shown: l?.nodes.length ?? 0,
      rows: l?.rows ?? 0,
      depth: l?.depth ?? 0,
      collapsed: [...this.collapsed],
      ...this._stats,
    };
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this._resize.disconnect();
  }

  changed(detail) {
    if (detail.what === "selection") this._selected = undefined; // reveal it on render
  }

  // --- data ------------------------------------------------------------------------------

  _sync() {
    const state = this.session.state;
    const key = `${state.last_seq}:${state.version}:${[...this.collapsed].join(",")}`;
    if (state === this._state && key === this._key) return;
    this._state = state;
    this._key = key;
    const parents = new Map();
    for (const m of state.models.values()) parents.set(m.id, m.parent ?? null);
    this._parents = parents;
    this._layout = lineageLayout(state.models.values(), this.collapsed);
  }

  /** Fold or unfold node `id`'s subtree. */
  toggle(id, fold = !this.collapsed.has(id)) {
    if (fold === this.collapsed.has(id)) return;
    if (fold) this.collapsed.add(id);
    else this.collapsed.delete(id);
    this.requestRender();
  }

  expandAll() {
    this.collapsed.clear();
    this.requestRender();
  }

  /** Fold every subtree: the roots stay, each with how many it hides. */
  collapseAll() {
    for (const n of this._layout?.nodes ?? []) if (n.kids) this.collapsed.add(n.id);
    this.requestRender();
  }

  /** Unfold `id`'s ancestors and scroll it into view (a selection made elsewhere);
   * false while there is nothing to scroll yet. */
  reveal(id) {
    const path = ancestry(this._parents, id);
    let unfolded = false;
    for (const a of path.slice(0, -1)) if (this.collapsed.delete(a)) unfolded = true;
    if (unfolded) this._sync();
    const n = this._layout?.index.get(id);
    const sc = this._scroll;
    if (!n || !sc || !sc.clientHeight) return false;
    // scrolled once this render has grown the content to the new layout (an unfolded
    // path may lie beyond the old height); the window is drawn for the scroll to come
    let top = sc.scrollTop;
    let left = sc.scrollLeft;
    const y = rowY(n.row);
    if (y - ROW / 2 < top || y + ROW / 2 > top + sc.clientHeight) top = Math.max(0, y - sc.clientHeight / 3);
    const x = nodeX(n);
    if (x < left || x + NODE_W > left + sc.clientWidth) left = Math.max(0, x - COL / 2);
    this._scrollTo = { top, left };
    this._view = { top, height: sc.clientHeight };
    return true;
  }

  // --- input -----------------------------------------------------------------------------

  _setScroll(el) {
    if (!el || el === this._scroll) return;
    this._scroll = el;
    this._resize.observe(el);
    this._measure();
    this.requestRender(); // a selection waiting to be revealed can scroll now
  }

  _measure() {
    const sc = this._scroll;
    if (!sc) return;
    const next = { top: sc.scrollTop, height: sc.clientHeight || 600 };
    const row = (v) => Math.floor(v / ROW);
    const moved = row(next.top) !== row(this._view.top) || row(next.height) !== row(this._view.height);
    this._view = next;
    if (moved) this.requestRender();
  }

  _select(id) {
    this._focus = id;
    this._selected = id; // already in view: no scroll
    this.session.select(id);
  }

  _onKey(e) {
    const l = this._layout;
    if (!l?.nodes.length) return;
    const at = this._focus !== null && l.index.has(this._focus) ? this._focus : l.nodes[0].id;
    const n = l.index.get(at);
    const i = l.nodes.indexOf(n);
    let next = null;
    switch (e.key) {
      case "ArrowDown": next = l.nodes[Math.min(l.nodes.length - 1, i + 1)].id; break;
      case "ArrowUp": next = l.nodes[Math.max(0, i - 1)].id; break;
      case "Home": next = l.nodes[0].id; break;
      case "End": next = l.nodes[l.nodes.length - 1].id; break;
      case "ArrowRight":
        if (n.collapsed) this.toggle(n.id, false);
        else if (n.kids) next = l.nodes[i + 1].id; // the first child follows in preorder
        break;
      case "ArrowLeft":
        if (n.kids && !n.collapsed) this.toggle(n.id, true);
        else if (n.parent !== null) next = n.parent;
        break;
      case "Enter":
      case " ":
        this._select(n.id);
        break;
      default:
        return;
    }
    e.preventDefault();
    if (next !== null) {
      this._focus = next;
      this.reveal(next);
    }
    this._wantFocus = true;
    this.requestRender();
  }

  rendered() {
    if (this._scrollTo && this._scroll) {
      const { top, left } = this._scrollTo;
      this._scrollTo = null;
      this._scroll.scrollTop = top;
      this._scroll.scrollLeft = left;
      this._measure();
    }
    if (!this._wantFocus) return;
    this._wantFocus = false;
    this.shadowRoot.querySelector(`.node[data-model="${CSS.escape(this._focus ?? "")}"]`)?.focus();
  }

  // --- the template ----------------------------------------------------------------------

  template() {
    this._sync();
    const s = this.session;
    const state = this._state;
    const selected = s.ui.selected && state.models.has(s.ui.selected) ? s.ui.selected : null;
    if (selected !== this._selected) {
      this._selected = selected;
      if (selected !== null) {
        this._focus = selected;
        if (!this.reveal(selected)) this._selected = undefined; // not laid out yet: next render
      }
    }
    const l = this._layout;
    const metric = s.ui.metric;
    const kinds = new Set([...state.models.values()].map((m) => m.origin?.type));
    const legend = Object.entries(ORIGIN_KINDS).filter(([k]) => kinds.has(k));
    const bar = html`<div class="bar">
      <h2>Lineage</h2>
      <span class="count">${state.models.size} models · depth ${l.depth}</span>
      <span class="spacer"></span>
      <button @click=${() => this.expandAll()} ?disabled=${!this.collapsed.size}>Expand all</button>
      <button @click=${() => this.collapseAll()} ?disabled=${!l.nodes.some((n) => n.kids && !n.collapsed)}>Collapse all</button>
      ${state.models.size ? figureMenu(s, "lineage") : nothing}
    </div>
    <div class="legend" aria-label="Origin kinds">${legend.map(([, k]) => html`<span style="--c:${k.color}">${k.label}</span>`)}
      <em class="key" title="each edge: the child's ${METRICS[metric].label} minus its parent's, in points, and its parameters minus its parent's">edge: Δ${METRICS[metric].short} over Δparams</em></div>`;
    if (!state.models.size) {
      return html`${bar}<div class="scroll empty muted" ${ref((el) => this._setScroll(el))}>No models yet: sample some and their lineage grows here.</div>`;
    }
    const r0 = Math.max(0, Math.floor((this._view.top - PAD) / ROW) - MARGIN_ROWS);
    const r1 = Math.floor((this._view.top + this._view.height - PAD) / ROW) + MARGIN_ROWS;
    const win = windowOf(l, r0, r1);
    const path = new Set(selected ? ancestry(this._parents, selected) : []);
    const hover = s.ui.hover;
    this._stats = { nodes: win.nodes.length, edges: win.edges.length, window: [r0, r1] };
    // the tree's one tab stop: the focused node, else the first one drawn
    this._stop = win.nodes.some((n) => n.id === this._focus) ? this._focus : (win.nodes[0]?.id ?? null);
    const width = PAD * 2 + l.depth * COL + NODE_W + 60;
    const height = PAD * 2 + l.rows * ROW;
    return html`${bar}
      <div class="scroll" tabindex="-1" ${ref((el) => this._setScroll(el))} @scroll=${() => this._measure()}>
        <div class="content" role="tree" aria-label="Lineage of the session's models" style="width:${width}px;height:${height}px"
          @keydown=${(e) => this._onKey(e)}>
          <svg class="edges" width=${width} height=${height} aria-hidden="true">
            ${win.edges.map(([p, c]) => this._edge(p, c, path, selected, metric))}
          </svg>
          ${win.nodes.map((n) => this._node(n, path, selected, hover, metric))}
        </div>
      </div>`;
  }

  _edge(p, c, path, selected, metric) {
    const models = this._state.models;
    const px = nodeX(p) + NODE_W;
    const tx = px + TRUNK;
    const yp = rowY(p.row);
    const xc = nodeX(c);
    const yc = rowY(c.row);
    const r = 7;
    const d = c.row === p.row
      ? `M${px} ${yp}H${xc}`
      : `M${px} ${yp}H${tx}V${yc - r}Q${tx} ${yc} ${tx + r} ${yc}H${xc}`;
    const onPath = path.has(c.id) && path.has(p.id);
    const cls = onPath ? "path" : p.id === selected ? "child" : "";
    const label = edgeLabel(models.get(p.id), models.get(c.id), metric);
    const lx = (tx + xc) / 2 + 3;
    const sign = (v) => (v > 0 ? "up" : v < 0 ? "down" : "");
    return svg`<path class="edge ${cls}" d=${d} data-parent=${p.id} data-child=${c.id}></path>
      <text class="edge-label ${cls}" data-parent=${p.id} data-child=${c.id} data-dacc=${label.dAcc === null ? "" : label.dAcc.toFixed(2)}
        data-dparams=${label.dParams}><title>${label.title}</title>
        ${label.acc ? svg`<tspan class="dacc ${sign(label.accSign)}" x=${lx} y=${yc - 5}>${label.acc}</tspan>` : nothing}
        <tspan class="dparams" x=${lx} y=${yc + 12}>${label.params}</tspan></text>`;
  }

  _node(n, path, selected, hover, metric) {
    const m = this._state.models.get(n.id);
    const kind = originKind(m.origin?.type);
    const { tags, notes } = annotationsOf(m);
    const pending = m.status === "queued" || m.status === "running" || m.status === "created";
    const x = nodeX(n);
    const y = rowY(n.row);
    const title = `${m.id} · ${kind.label}${m.description ? ` — ${m.description}` : ""}\n`
      + `${m.params.toLocaleString("en")} params · ${m.status}`
      + (tags.length ? `\ntags: ${tags.join(", ")}` : "") + (notes.length ? `\n${notes.join("\n")}` : "");
    const cls = [pending ? "pending" : "", m.status === "failed" ? "failed" : "", path.has(n.id) ? "path" : "",
      hover === n.id ? "hover" : ""].join(" "); // prettier-ignore
    const tx = x + NODE_W + TRUNK;
    return html`<div class="node ${cls}" role="treeitem" data-model=${n.id} data-kind=${m.origin?.type ?? ""}
        aria-level=${n.depth + 1} aria-expanded=${n.kids ? String(!n.collapsed) : nothing}
        aria-selected=${n.id === selected ? "true" : "false"} tabindex=${n.id === this._stop ? 0 : -1}
        title=${title} style="left:${x}px;top:${y - NODE_H / 2}px;width:${NODE_W}px;height:${NODE_H}px;--kind:${kind.color}"
        @click=${() => this._select(n.id)} @focus=${() => { this._focus = n.id; }}
        @mouseenter=${() => this.session.setHover(n.id)}
        @mouseleave=${() => { if (this.session.ui.hover === n.id) this.session.setHover(null); }}>
        <span class="id">${m.id}</span><span class="acc">${accText(m, metric)}</span>
        <span class="kind">${kind.label}</span><span class="params">${formatCount(m.params)}</span>
        ${tags.length || notes.length ? html`<span class="note-mark" data-notes=${notes.length} data-tags=${tags.join(",")}>${
          [notes.length ? `✎${notes.length}` : "", ...tags.slice(0, 2).map((t) => `#${t}`)].filter(Boolean).join(" ")}${tags.length > 2 ? " …" : ""}</span>` : nothing}
      </div>
      ${n.kids ? html`<button class="toggle" data-toggle=${n.id} tabindex="-1" aria-label="${n.collapsed ? "Expand" : "Collapse"} ${n.id}"
          title="${n.collapsed ? `Show ${n.hidden} descendants` : `Fold ${n.size} descendants`}"
          style="left:${tx - 7.5}px;top:${y - 7.5}px" @click=${() => this.toggle(n.id)}>${n.collapsed ? "+" : "−"}</button>
        ${n.collapsed ? html`<span class="hidden-count" data-hidden=${n.hidden} style="left:${tx + 12}px;top:${y - 8}px">${n.hidden} hidden</span>` : nothing}` : nothing}`;
  }
}

customElements.define("remap-lineage", RemapLineage);
