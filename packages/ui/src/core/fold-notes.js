// Notes and tags (issue 22), the same rules as nas_core.events.fold_notes: a target is
// a model (model.notes, model.tags) or the session (state.notes, state.tags: an event
// whose `model` is null). A note is {id, text, created_at, edited_at}; tags keep the
// order they were first given.

/** The object that holds the notes and tags `e` is about, or null (an unknown model). */
function target(s, e) {
  if (e.model === null || e.model === undefined) return s;
  return s.models.get(e.model) ?? null;
}

export const NOTES_HANDLERS = {
  note_written(s, e, env) {
    const t = target(s, e);
    if (!t) return;
    t.notes ??= []; // a light record of the packed first payload (state-pack.js) has none
    const k = t.notes.findIndex((n) => n.id === e.note);
    if (k >= 0) t.notes[k] = { ...t.notes[k], text: e.text, edited_at: env.at };
    else t.notes.push({ id: e.note, text: e.text, created_at: env.at, edited_at: null });
  },
  note_removed(s, e) {
    const t = target(s, e);
    if (t) t.notes = (t.notes ?? []).filter((n) => n.id !== e.note);
  },
  tags_changed(s, e) {
    const t = target(s, e);
    if (!t) return;
    const gone = new Set(e.removed ?? []);
    const tags = (t.tags ?? []).filter((x) => !gone.has(x));
    for (const x of e.added ?? []) if (!tags.includes(x)) tags.push(x);
    t.tags = tags;
  },
};
