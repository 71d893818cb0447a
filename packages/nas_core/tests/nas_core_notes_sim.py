"""The notes and tags side of the event-log simulation (issue 22): real commands through
`decide` on models and on the session, and late or stray events the fold must shrug
off (a note on a model the session lacks, a removal of a note no one wrote, tags given
twice). `notes_story(sim)` goes through every rule once; `notes_step(sim, n)` is one
step of the random sessions' ``"notes"`` action."""

from __future__ import annotations

from nas_core.events import Pending
from nas_core.events.commands import ChangeTags, RemoveNote, WriteNote
from nas_core.events.kinds import NoteRemoved, NoteWritten, TagsChanged

__all__ = ["notes_step", "notes_story"]

WORDS = ("best", "keep", "baseline", "tiny", "ré-essai", "v2")


def notes_story(sim) -> None:
    """Every notes and tags rule once: add, edit, remove; on a model and on the session;
    and the stray events."""
    first, second = list(sim.state.models)[:2]
    sim.command(WriteNote(model=first, text="overfits after epoch 3 <b>?</b>"))
    note = sim.state.models[first].notes[0].id
    sim.command(WriteNote(model=first, text="second thought"))
    sim.command(WriteNote(model=first, note=note, text="overfits after epoch 2"))  # an edit
    sim.command(WriteNote(text="session: the dropout runs are noise"))
    sim.command(WriteNote(text="to remove"))
    sim.command(RemoveNote(note=sim.state.notes[-1].id))
    sim.command(RemoveNote(model=first, note=sim.state.models[first].notes[1].id))
    sim.command(ChangeTags(model=first, add=("best", "keep")))
    sim.command(ChangeTags(model=second, add=("baseline",)))
    sim.command(ChangeTags(model=first, remove=("best",), add=("tiny",)))
    sim.command(ChangeTags(add=("digits", "round-1")))
    sim.command(ChangeTags(remove=("round-1",)))
    sim.append(
        [
            Pending("n-ghost", NoteWritten("n9999", "on no model", "m404")),
            Pending("n-gone", NoteRemoved("n424242", first)),
            Pending("t-ghost", TagsChanged(("x",), (), "m404")),
            Pending("t-twice", TagsChanged(("keep", "keep", "new"), ("never",), first)),
        ]
    )


def notes_step(sim, n: int) -> None:
    """One notes or tags command chosen by `n` (refused ones change nothing)."""
    models = list(sim.state.models)
    model = None if n % 5 == 0 or not models else models[n % len(models)]
    notes = sim.state.notes if model is None else sim.state.models[model].notes
    tags = sim.state.tags if model is None else sim.state.models[model].tags
    choice = (n // 5) % 4
    if choice == 0 or not notes:
        sim.try_command(WriteNote(model=model, text=f"note {n}"))
    elif choice == 1:
        sim.try_command(WriteNote(model=model, note=notes[n % len(notes)].id, text=f"edit {n}"))
    elif choice == 2:
        sim.try_command(RemoveNote(model=model, note=notes[n % len(notes)].id))
    else:
        word = WORDS[n % len(WORDS)]
        change = {"remove": (word,)} if word in tags else {"add": (word,)}
        sim.try_command(ChangeTags(model=model, **change))
