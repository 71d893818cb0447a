// "Save figure (SVG/PDF/PNG)" (issue 22): a menu of download links to the server's
// print-ready figure of a view, GET /api/sessions/{id}/figures/{view}.{fmt}
// (remap_server.figures draws it from the same folded state). One helper for every
// view; each view passes its name and what it shows (projection, models).

import { html } from "lit-html";

export const FIGURE_FORMATS = [
  ["svg", "SVG"],
  ["pdf", "PDF"],
  ["png", "PNG (192 dpi)"],
];

/** The figure URL of `view` as `format`; `projection` (the overview's) and `models`
 * (the ids to show or ring) are optional. */
export function figureUrl(session, view, format, { projection = null, models = null } = {}) {
  const u = new URL(session.apiUrl(`/figures/${encodeURIComponent(view)}.${format}`));
  if (projection) u.searchParams.set("projection", projection);
  if (models?.length) u.searchParams.set("models", models.join(","));
  if (format === "png") u.searchParams.set("dpi", "192");
  return u.href;
}

/** A "Save figure" <details> menu of links, one per format. */
export function figureMenu(session, view, options = {}) {
  return html`<details class="figure-menu" data-view=${view} @click=${(e) => e.stopPropagation()}>
    <summary title="Save this view as a print-ready figure">Save figure</summary>
    <div class="formats" role="menu">${FIGURE_FORMATS.map(([f, label]) =>
      html`<a role="menuitem" href=${figureUrl(session, view, f, options)} download data-format=${f}>${label}</a>`)}</div>
  </details>`;
}

export const figureMenuStyles = `
.figure-menu { position: relative; display: inline-block; font-size: 12px; }
.figure-menu summary { cursor: pointer; list-style: none; border: 1px solid var(--remap-border, #d0d7de); border-radius: var(--remap-radius, 4px); padding: 1px 9px; }
.figure-menu summary::-webkit-details-marker { display: none; }
.figure-menu .formats { position: absolute; z-index: 5; right: 0; display: flex; flex-direction: column; background: var(--remap-bg, #fff); border: 1px solid var(--remap-border, #d0d7de); border-radius: var(--remap-radius, 4px); padding: 4px 0; min-width: 120px; }
.figure-menu .formats a { padding: 3px 10px; color: inherit; text-decoration: none; white-space: nowrap; }
.figure-menu .formats a:hover { background: var(--remap-hover, #f3f4f6); }
`;
