"""``GET /api/sessions/{session}/notes`` (issue 22): the notes and tags of a session, its
own and its models', as the fold keeps them (`nas_core.events.fold_notes`).

Notes and tags are written by commands through ``POST …/commands`` like every change
(``write_note``, ``remove_note``, ``change_tags``; their checks are
`nas_core.events.notes_decide`): they are events, so they replay and export with the
rest of the session. This route reads them in one answer (a report, a notebook, a
script), without the whole state.
"""

from __future__ import annotations

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from nas_core.events import SessionState
from nas_core.events.fold_notes import Note

__all__ = ["NotesListed", "TargetNotes", "list_notes", "notes_of"]

_encode = msgspec.json.Encoder().encode


class TargetNotes(msgspec.Struct, omit_defaults=False):
    """A model's tags (in the order first given) and notes (oldest first)."""

    tags: tuple[str, ...]
    notes: tuple[Note, ...]


class NotesListed(msgspec.Struct, omit_defaults=False):
    """The session's own tags and notes, and those of each model that has any (by id,
    in creation order)."""

    tags: tuple[str, ...]
    notes: tuple[Note, ...]
    models: dict[str, TargetNotes]


def notes_of(state: SessionState) -> NotesListed:
    """What `state` holds of notes and tags."""
    models = {
        m.id: TargetNotes(m.tags, m.notes) for m in state.models.values() if m.tags or m.notes
    }
    return NotesListed(state.tags, state.notes, models)


async def list_notes(request: Request) -> Response:
    hub = request.app.state.hub
    session = hub.session_id(request)
    state = await run_in_threadpool(hub.service.state, session)
    return Response(_encode(notes_of(state)), media_type="application/json")
