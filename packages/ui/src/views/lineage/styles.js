// <remap-lineage>'s CSS: the toolbar and legend, the scrolling canvas of nodes (HTML,
// for focus and text) over the edges (one SVG).

import { figureMenuStyles } from "../../core/figure-menu.js";

export const styles = `${figureMenuStyles}
:host { display: flex; flex-direction: column; height: 100%; min-height: 320px; }
.bar { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; padding: 0 2px 6px; }
.bar h2 { margin: 0; }
.bar .count { color: var(--remap-muted); font-variant-numeric: tabular-nums; }
.bar .spacer { flex: 1; }
.bar button { padding: 1px 9px; font-size: 12px; }
.legend { display: flex; gap: 10px; flex-wrap: wrap; font-size: 11.5px; color: var(--remap-muted); padding: 0 2px 6px; }
.legend span::before { content: ""; display: inline-block; width: 9px; height: 9px; border-radius: 2px; margin-right: 4px; background: var(--c); vertical-align: -1px; }
.legend .key { margin-left: auto; font-style: normal; }
.scroll { position: relative; flex: 1; min-height: 0; overflow: auto; border: 1px solid var(--remap-border); border-radius: var(--remap-radius); background: var(--remap-panel); }
.scroll:focus-visible { outline-offset: -2px; }
.content { position: relative; }
svg.edges { position: absolute; left: 0; top: 0; overflow: visible; pointer-events: none; }
.edge { fill: none; stroke: #aab2bd; stroke-width: 1.4; }
.edge.child { stroke: var(--remap-accent); stroke-width: 1.6; stroke-dasharray: 4 3; }
.edge.path { stroke: var(--remap-accent); stroke-width: 2.6; }
.edge-label { font: 10.5px var(--remap-font); font-variant-numeric: tabular-nums; fill: var(--remap-muted); text-anchor: middle; paint-order: stroke; stroke: var(--remap-panel); stroke-width: 3px; }
.edge-label .up { fill: #007a5a; font-weight: 600; }
.edge-label .down { fill: #b34700; font-weight: 600; }
.edge-label.path .dacc, .edge-label.path .dparams { font-weight: 700; }
.node {
  position: absolute; display: grid; grid-template-columns: 1fr auto; align-content: center; column-gap: 6px;
  padding: 1px 7px 1px 8px; border: 1px solid var(--remap-border); border-left: 4px solid var(--kind);
  border-radius: 5px; background: var(--remap-bg); cursor: pointer; line-height: 1.25; font-size: 12px;
  box-shadow: 0 1px 1px rgba(0,0,0,.04); user-select: none;
}
.node .id { font-weight: 600; font-family: var(--remap-mono); font-size: 11.5px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.node .acc { text-align: right; font-variant-numeric: tabular-nums; }
.node .kind, .node .params { font-size: 10.5px; color: var(--remap-muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.node .params { text-align: right; font-variant-numeric: tabular-nums; }
.node.pending { border-style: dashed; border-left-style: solid; }
.node.pending .acc { color: var(--remap-muted); font-style: italic; }
.node.failed .acc { color: var(--remap-danger); }
.node:hover, .node.hover { border-color: var(--remap-text); border-left-color: var(--kind); }
.node.path { border-color: var(--remap-accent); border-left-color: var(--kind); }
.node[aria-selected="true"] { background: var(--remap-accent-soft); border-color: var(--remap-accent); box-shadow: 0 0 0 2px var(--remap-accent); }
.node:focus-visible { outline: 2px dashed var(--remap-accent); outline-offset: 3px; }
.note-mark { position: absolute; top: -11px; right: -6px; max-width: 110px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; background: #fff7d6; border: 1px solid #e0c35c; border-radius: 8px; font-size: 9.5px; padding: 0 4px; line-height: 13px; color: #6b5400; }
.toggle {
  position: absolute; width: 15px; height: 15px; padding: 0; border-radius: 50%; font-size: 11px; line-height: 13px;
  text-align: center; background: var(--remap-bg); border: 1px solid #aab2bd; color: var(--remap-muted); z-index: 1;
}
.toggle:hover { border-color: var(--remap-accent); color: var(--remap-accent); }
.hidden-count { position: absolute; font-size: 10.5px; color: var(--remap-muted); white-space: nowrap; font-variant-numeric: tabular-nums; }
.empty { padding: 24px; }
`;
