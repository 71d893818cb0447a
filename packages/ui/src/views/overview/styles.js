// The CSS of <remap-overview>'s shadow root (the canvas is placed by .plot; the minimap
// sits in the plot's bottom-right corner, inside the axes' margins).

import { MINI } from "./paint-minimap.js";
import { MARGIN } from "./viewport.js";

import { figureMenuStyles } from "../../core/figure-menu.js";

export const styles = `${figureMenuStyles}
:host { display: flex; flex-direction: column; height: 100%; min-height: 320px; }
.bar { display: flex; align-items: center; gap: 6px; padding: 6px 8px; flex-wrap: wrap; border-bottom: 1px solid var(--remap-border); }
.bar [role="group"] { display: flex; gap: 2px; }
.bar [role="group"] button { border-radius: 0; margin-left: -1px; }
.bar [role="group"] button:first-child { border-radius: var(--remap-radius) 0 0 var(--remap-radius); margin-left: 0; }
.bar [role="group"] button:last-child { border-radius: 0 var(--remap-radius) var(--remap-radius) 0; }
.bar .spacer { flex: 1; }
.bar label { display: inline-flex; align-items: center; gap: 4px; color: var(--remap-muted); }
.bar input[type="number"] { width: 4.5em; padding: 2px 4px; border: 1px solid var(--remap-border); border-radius: var(--remap-radius); }
.bar select { font-size: 12px; padding: 1px 2px; border: 1px solid var(--remap-border); border-radius: var(--remap-radius); background: var(--remap-bg); }
.tip .ci { color: var(--remap-muted); font-size: 11px; }
.count { color: var(--remap-muted); font-variant-numeric: tabular-nums; min-width: 9ch; }
.chip { background: var(--remap-accent-soft); color: var(--remap-accent); border-radius: 10px; padding: 1px 8px; font-size: 12px; }
.plot { position: relative; flex: 1; min-height: 200px; overflow: hidden; }
.plot canvas.main { position: absolute; inset: 0; width: 100%; height: 100%; touch-action: none; cursor: crosshair; }
.plot canvas.main.panning { cursor: grabbing; }
.plot canvas.main:focus-visible { outline: 2px solid var(--remap-accent); outline-offset: -2px; }
canvas.mini {
  position: absolute; right: ${MARGIN.right + 6}px; bottom: ${MARGIN.bottom + 6}px; width: ${MINI.w}px; height: ${MINI.h}px;
  background: rgba(255,255,255,.92); border: 1px solid var(--remap-border); border-radius: 4px; cursor: move;
  box-shadow: 0 1px 4px rgba(0,0,0,.12);
}
canvas.mini[hidden] { display: none; }
.tip {
  position: absolute; pointer-events: none; z-index: 2; background: #fff; border: 1px solid var(--remap-border);
  border-radius: var(--remap-radius); box-shadow: 0 2px 10px rgba(0,0,0,.15); padding: 6px 8px; max-width: 320px;
  font-size: 12px;
}
.tip img { display: block; height: 40px; max-width: 300px; margin-bottom: 4px; }
.tip .id { font-weight: 600; font-family: var(--remap-mono); }
.tip snac-diff { margin-bottom: 4px; max-width: 300px; }
.tip .diff-head { font-size: 11px; }
.tip .desc { color: var(--remap-muted); white-space: normal; }
.tip dl { display: grid; grid-template-columns: auto auto; gap: 0 10px; margin: 2px 0 0; }
.tip dt { color: var(--remap-muted); }
.tip dd { margin: 0; font-variant-numeric: tabular-nums; text-align: right; }
.brushbar { position: absolute; top: 8px; left: 50%; transform: translateX(-50%); z-index: 3; display: flex; gap: 6px;
  align-items: center; background: #fff; border: 1px solid var(--remap-border); border-radius: var(--remap-radius);
  padding: 4px 6px; box-shadow: 0 2px 8px rgba(0,0,0,.12); }
.brushbar > * { white-space: nowrap; }
.brushbar button.danger { color: var(--remap-danger); border-color: color-mix(in srgb, var(--remap-danger) 45%, white); }
.empty-plot { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; pointer-events: none; }
.legend { display: flex; align-items: center; gap: 14px; padding: 4px 10px 6px; color: var(--remap-muted); font-size: 12px;
  flex-wrap: wrap; min-height: 30px; border-top: 1px solid var(--remap-border); }
.legend span { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }
.legend svg { overflow: visible; }
`;
