// Notes and tags in the inspector (issue 22): a model's (or the session's) notes, oldest
// first, each editable and removable, and a field to write a new one; its tags as chips
// that filter the page. Each change is a command (write_note, remove_note, change_tags),
// so notes are events: they replay with the timeline and travel in the session file.
// The part is pure over its `host` (the inspector): `host.noteEdit` names the note being
// edited ("target:id"), `host.post` sends a command.

import { html, nothing } from "lit-html";
import { filterByTag } from "../drawer/tags.js";

export const notesStyles = `
section.notes ol { list-style: none; margin: 0 0 6px; padding: 0; display: grid; gap: 6px; }
section.notes li { border-left: 3px solid var(--remap-border); padding: 2px 0 2px 8px; }
section.notes .text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
section.notes .meta { font-size: 11px; color: var(--remap-muted); display: flex; gap: 8px; align-items: center; margin-top: 2px; }
section.notes .meta button { font-size: 11px; padding: 0 6px; }
section.notes form { display: flex; gap: 6px; align-items: flex-end; }
section.notes textarea { flex: 1; min-height: 34px; font: inherit; font-size: 13px; padding: 4px 6px; resize: vertical;
  border: 1px solid var(--remap-border); border-radius: var(--remap-radius); background: var(--remap-bg); }
section.notes textarea:focus { outline: 2px solid var(--remap-accent); outline-offset: -1px; }
.tags-line { display: flex; gap: 4px; flex-wrap: wrap; align-items: center; flex-basis: 100%; }
.tags-line .tag { font-size: 11px; padding: 0 7px; border-radius: 9px; line-height: 17px; border: 1px solid var(--remap-border); background: var(--remap-panel); }
.tags-line .tag::before { content: "#"; color: var(--remap-muted); }
details.session-notes { margin-top: 14px; border-top: 1px solid var(--remap-border); padding-top: 6px; }
details.session-notes summary { cursor: pointer; font-weight: 600; font-size: 13px; }
`;

const when = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") : "");

/** The tags of a model as chips (each filters the page by it); nothing without tags. */
export function tagsLine(session, tags) {
  if (!tags?.length) return nothing;
  return html`<span class="tags-line" aria-label="Tags">${tags.map((t) => html`<button class="tag" data-tag=${t}
    title="Show only the models tagged ${t}" aria-label="Filter by tag ${t}" @click=${() => filterByTag(session, t)}>${t}</button>`)}</span>`;
}

/** The notes of `model` (null: the session's own) with their edit / remove / add. */
export function notesPart(host, model, notes, replay) {
  const who = model ?? "the session";
  const key = (id) => `${model ?? ""}:${id}`;
  const target = model === null ? {} : { model };
  const submit = (e, note = null) => {
    e.preventDefault();
    const form = e.target.closest("form");
    const text = form.elements.text.value;
    if (!text.trim()) return;
    host.post({ type: "write_note", ...target, ...(note ? { note } : {}), text }).then((ok) => {
      if (!ok) return; // refused: the page's toast says why, and the text stays
      host.noteEdit = null;
      if (!note) form.reset();
      host.requestRender();
    });
  };
  const ctrlEnter = (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) e.target.closest("form").requestSubmit();
    if (e.key === "Escape" && host.noteEdit) {
      host.noteEdit = null;
      host.requestRender();
    }
  };
  const edit = (id) => {
    host.noteEdit = key(id);
    host.renderNow();
    host.shadowRoot.querySelector(`form[data-note="${id}"] textarea`)?.focus();
  };
  return html`<section class="part notes" aria-label="Notes on ${who}" data-notes=${model ?? "session"}>
    ${model === null ? nothing : html`<h2>Notes</h2>`}
    ${notes?.length ? html`<ol>${notes.map((n) => html`<li data-note=${n.id}>${host.noteEdit === key(n.id) && !replay
      ? html`<form data-note=${n.id} @submit=${(e) => submit(e, n.id)}>
          <textarea name="text" aria-label="Edit note ${n.id}" maxlength="4000" .value=${n.text} @keydown=${ctrlEnter}></textarea>
          <button type="submit">Save</button>
          <button type="button" @click=${() => { host.noteEdit = null; host.requestRender(); }}>Cancel</button>
        </form>`
      : html`<p class="text">${n.text}</p>
        <div class="meta"><span>${when(n.created_at)}${n.edited_at ? ` · edited ${when(n.edited_at)}` : ""}</span>
          ${replay ? nothing : html`<button @click=${() => edit(n.id)} aria-label="Edit note ${n.id}">Edit</button>
          <button @click=${() => host.post({ type: "remove_note", ...target, note: n.id })}
            aria-label="Remove note ${n.id}">Remove</button>`}
        </div>`}</li>`)}</ol>`
      : html`<div class="note">${model === null ? "No notes on the session yet." : "No notes yet."}</div>`}
    ${replay ? nothing : html`<form data-note="new" @submit=${(e) => submit(e)}>
      <textarea name="text" aria-label="New note on ${who}" maxlength="4000" placeholder="Write a note on ${who}… (Ctrl+Enter saves)"
        @keydown=${ctrlEnter}></textarea>
      <button type="submit">Add note</button>
    </form>`}
  </section>`;
}
