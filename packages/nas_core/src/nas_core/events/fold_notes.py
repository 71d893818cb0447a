"""Notes and tags (issue 22) as the fold keeps them: pure functions from a target's
notes or tags and one event to the new ones.

A target is a model (`ModelState.notes` / `.tags`) or the session itself
(`SessionState.notes` / `.tags`, an event whose `model` is None); `nas_core.events.fold`
picks the target and hands its tuple here, so the rules below are the same for both.
The browser's fold (``packages/ui/src/core/fold.js``, ``NOTES_HANDLERS``) keeps the
same rules, held to them by ``tests/test_ui_fold.py``.

- "note written" with a new id appends a `Note`; with the id of a note the target
  holds, it replaces that note's text (kept in place, `edited_at` set): the id is the
  note's identity, its place in the list is when it was first written.
- "note removed" takes the note of that id away (an unknown id changes nothing).
- "tags changed" takes `removed` away first, then appends each of `added` the target
  does not carry yet: tags keep the order they were first given.
"""

from __future__ import annotations

import msgspec

from .kinds import Envelope, NoteRemoved, NoteWritten, TagsChanged

__all__ = ["Note", "change_tags", "remove_note", "write_note"]


class Note(msgspec.Struct, frozen=True, gc=False):
    """A note: its id (``n{seq}``, the seq of the event that first wrote it), its text,
    when it was first written and when it was last edited (None: never)."""

    id: str
    text: str
    created_at: str
    edited_at: str | None = None


def write_note(notes: tuple[Note, ...], e: NoteWritten, env: Envelope) -> tuple[Note, ...]:
    """`notes` with `e`'s note added, or its text replaced when the id is there."""
    for k, n in enumerate(notes):
        if n.id == e.note:
            edited = Note(n.id, e.text, n.created_at, env.at)
            return (*notes[:k], edited, *notes[k + 1 :])
    return (*notes, Note(e.note, e.text, env.at))


def remove_note(notes: tuple[Note, ...], e: NoteRemoved) -> tuple[Note, ...]:
    """`notes` without the note of `e`'s id."""
    return tuple(n for n in notes if n.id != e.note)


def change_tags(tags: tuple[str, ...], e: TagsChanged) -> tuple[str, ...]:
    """`tags` less `e.removed`, then with each new tag of `e.added` appended."""
    gone = set(e.removed)
    kept = dict.fromkeys(t for t in tags if t not in gone)
    kept.update(dict.fromkeys(e.added))
    return tuple(kept)
