"""The deciders of the notes and tags commands (issue 22), rows of
`commands._DECIDERS`: write a note (new, or a new text for one), remove a note, change
tags. Each checks the command against the session with `$` paths into it and returns
the one event it makes; a command that would change nothing is refused, so every event
of the log says something happened.

Tags are words (no spaces or commas, at most `TAG_MAX` characters, at most `TAGS_MAX`
on one target), because the filter bar and the page's URL list them as
``tag:best,keep``; a note is any non-blank text of at most `NOTE_MAX` characters (the
command's schema caps both lengths too). A new note's id is ``n{seq}``, the seq its
"note written" event gets: unique in the session and the same on a replay.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .errors import CommandError
from .fold import SessionState
from .fold_notes import Note
from .kinds import NoteRemoved, NoteWritten, TagsChanged

if TYPE_CHECKING:
    from .commands import ChangeTags, RemoveNote, WriteNote

__all__ = ["NOTE_MAX", "TAGS_MAX", "TAG_MAX", "change_tags", "remove", "write"]

NOTE_MAX = 4000
TAG_MAX = 40
TAGS_MAX = 32
_BAD_TAG = re.compile(r"[\s,]")


def _target(
    state: SessionState, model: str | None
) -> tuple[str, tuple[Note, ...], tuple[str, ...]]:
    """The target's name in messages, its notes and its tags (`$.model` when unknown)."""
    if model is None:
        return "the session", state.notes, state.tags
    found = state.models.get(model)
    if found is None:
        raise CommandError("$.model", f"no model {model!r} in this session")
    return model, found.notes, found.tags


def _text(text: str) -> str:
    if not text.strip():
        raise CommandError("$.text", "a note cannot be empty")
    if len(text) > NOTE_MAX:  # decoded commands are capped already; built ones too
        raise CommandError("$.text", f"a note holds at most {NOTE_MAX} characters, not {len(text)}")
    return text


def write(state: SessionState, command: WriteNote, call: Any) -> list:
    who, notes, _ = _target(state, command.model)
    text = _text(command.text)
    if command.note is None:
        return [NoteWritten(f"n{state.last_seq + 1}", text, command.model)]
    old = next((n for n in notes if n.id == command.note), None)
    if old is None:
        raise CommandError("$.note", f"{who} has no note {command.note!r}")
    if old.text == text:
        raise CommandError("$.text", f"note {command.note} reads so already")
    return [NoteWritten(command.note, text, command.model)]


def remove(state: SessionState, command: RemoveNote, call: Any) -> list:
    who, notes, _ = _target(state, command.model)
    if not any(n.id == command.note for n in notes):
        raise CommandError("$.note", f"{who} has no note {command.note!r}")
    return [NoteRemoved(command.note, command.model)]


def _tag(tag: str, path: str) -> str:
    if not tag.strip():
        raise CommandError(path, "a tag cannot be empty")
    if _BAD_TAG.search(tag):
        raise CommandError(
            path,
            f"a tag is one word, without spaces or commas (filters list tags as tag:a,b): {tag!r}",
        )
    if len(tag) > TAG_MAX:
        raise CommandError(path, f"a tag holds at most {TAG_MAX} characters, not {len(tag)}")
    return tag


def change_tags(state: SessionState, command: ChangeTags, call: Any) -> list:
    who, _, tags = _target(state, command.model)
    if not command.add and not command.remove:
        raise CommandError("$", "give at least one tag to add or to remove")
    has = set(tags)
    seen: set[str] = set()
    for field, names in (("remove", command.remove), ("add", command.add)):
        for j, tag in enumerate(names):
            path = f"$.{field}[{j}]"
            _tag(tag, path)
            if tag in seen:
                raise CommandError(path, f"{tag!r} is listed twice")
            seen.add(tag)
            if field == "remove" and tag not in has:
                raise CommandError(path, f"{who} has no tag {tag!r}")
            if field == "add" and tag in has:
                raise CommandError(path, f"{who} is tagged {tag!r} already")
    if len(has) - len(command.remove) + len(command.add) > TAGS_MAX:
        raise CommandError("$.add", f"{who} would carry more than {TAGS_MAX} tags")
    return [TagsChanged(tuple(command.add), tuple(command.remove), command.model)]
