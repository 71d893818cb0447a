// A layer drawn as a SNAC block: the type's colour and initial (an activation's glyph),
// dropout with a dotted outline, and its parameters in small text below. The generate
// view's three modes share it (brushing, variation toggles, the handcraft editor).

import { html, svg } from "lit-html";
import { GLYPHS, shortParams, styleOf } from "./layers.js";

function symbol(layer, s) {
  const glyph = GLYPHS[layer.type];
  if (!glyph) return html`<span class="initial">${s.initial}</span>`;
  const [axis, curve] = glyph;
  return html`<svg class="glyph" viewBox="-0.1 -0.1 1.2 1.2" aria-hidden="true">
    ${axis ? svg`<path d=${axis} stroke=${s.ink} stroke-opacity=".45" stroke-width=".06" fill="none"/>` : ""}
    ${svg`<path d=${curve} stroke=${s.ink} stroke-width=".12" fill="none" stroke-linecap="round"/>`}
  </svg>`;
}

/** The block of `layer` (no interaction: wrap it in a button where it is one). */
export function block(layer) {
  const s = styleOf(layer.type);
  const dotted = layer.type === "dropout";
  return html`<span class="block ${dotted ? "dotted" : ""}"
      style="background:${s.fill};color:${s.ink};border-color:${s.stroke}">${symbol(layer, s)}</span>
    <span class="param">${shortParams(layer)}</span>`;
}

export const cellStyles = `
.cells { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 4px 2px; }
.cell {
  display: inline-flex; flex-direction: column; align-items: center; gap: 1px;
  width: 38px; padding: 3px 0 2px; border: 1px solid transparent; border-radius: var(--remap-radius);
  background: none; line-height: 1; user-select: none; -webkit-user-select: none; touch-action: none;
}
.cell .block {
  display: grid; place-items: center; width: 26px; height: 26px; border: 2px solid; border-radius: 3px;
  font-weight: 700; font-size: 14px;
}
.cell .block.dotted { border-style: dotted; border-color: #6b6200 !important; }
.cell .glyph { width: 18px; height: 18px; }
.cell .param { font-size: 10px; color: var(--remap-muted); height: 11px; white-space: nowrap; font-variant-numeric: tabular-nums; }
.cell .index { font-size: 9px; color: var(--remap-muted); height: 10px; }
`;
