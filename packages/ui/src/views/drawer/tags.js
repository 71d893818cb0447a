// The drawer's Tags column (issue 22): a model's tags as chips, each a button that
// filters the page by it (the filter bar's `tag:NAME`, kept in the URL), with ✕ to take
// it off; and a field that adds one (Enter). Tags are events ("tags changed", posted as
// the command change_tags): they replay and export with the session.

import { html, nothing } from "lit-html";
import { tagsOf } from "../../core/filters.js";

export const tagStyles = `
td.tags, th.tags { width: 148px; }
td.tags { white-space: normal; overflow: visible; }
.tag-list { display: flex; flex-wrap: wrap; gap: 2px 3px; align-items: center; }
.tag-chip { display: inline-flex; align-items: center; border: 1px solid var(--remap-border);
  border-radius: 9px; background: var(--remap-panel); font-size: 11px; line-height: 16px; max-width: 100%; }
.tag-chip button { all: unset; cursor: pointer; padding: 0 4px; border-radius: 9px; }
.tag-chip button.tag-name { padding-left: 7px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 92px; }
.tag-chip button.tag-name::before { content: "#"; color: var(--remap-muted); }
.tag-chip button:hover { color: var(--remap-accent); }
.tag-chip button.tag-off { color: var(--remap-muted); padding-right: 6px; }
.tag-chip button.tag-off:hover { color: var(--remap-danger); }
.tag-chip button:focus-visible { outline: 2px solid var(--remap-accent); outline-offset: -1px; }
.tag-chip.on { border-color: var(--remap-accent); background: var(--remap-accent-soft); }
input.add-tag { width: 56px; font-size: 11px; padding: 0 4px; height: 18px; border: 1px dashed var(--remap-border);
  border-radius: 9px; background: transparent; }
tbody tr:not(:hover):not(:focus-within) input.add-tag:placeholder-shown { opacity: .45; }
input.add-tag:focus { width: 92px; border-style: solid; outline: none; border-color: var(--remap-accent); }
`;

/** Filter the page by `tag` (replacing a tag clause it had: one tag filter at a time). */
export function filterByTag(session, tag) {
  const others = session.ui.filter.clauses.filter((c) => c.field !== "tag");
  session.setFilter([...others, { field: "tag", values: [tag] }]);
}

/** The Tags cell of model `m`; `post(command)` sends a command; `replay`: read-only. */
export function tagsCell(session, m, post, replay) {
  const tags = tagsOf(m);
  const active = new Set(session.ui.filter.clauses.filter((c) => c.field === "tag").flatMap((c) => c.values));
  const add = (input) => {
    const tag = input.value.trim();
    if (!tag) return;
    input.value = "";
    post({ type: "change_tags", model: m.id, add: [tag] });
  };
  return html`<div class="tag-list">
    ${tags.map((t) => html`<span class="tag-chip ${active.has(t) ? "on" : ""}" data-tag=${t}>
      <button class="tag-name" title="Show only the models tagged ${t}" aria-label="Filter by tag ${t}"
        @click=${() => filterByTag(session, t)}>${t}</button>
      ${replay ? nothing : html`<button class="tag-off" title="Take the tag off ${m.id}" aria-label="Remove tag ${t} from ${m.id}"
        @click=${() => post({ type: "change_tags", model: m.id, remove: [t] })}>✕</button>`}
    </span>`)}
    ${replay ? nothing : html`<input class="add-tag" aria-label="Tag ${m.id}" placeholder="+ tag" maxlength="40"
      @keydown=${(e) => {
        e.stopPropagation(); // the row's keys (Delete removes the model) stay out of the field
        if (e.key === "Enter") add(e.target);
        if (e.key === "Escape") e.target.value = "";
      }}>`}
  </div>`;
}
