"""Notes and tags (issue 22): the commands' checks with their `$` paths, the fold on a
model and on the session, and the rules the fold keeps for any sequence of changes."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nas_core_notes_sim import notes_story

from nas_core.events import CommandError, Sample, decide, decode_command, fold
from nas_core.events.commands import ChangeTags, RemoveNote, WriteNote
from nas_core.events.fold_notes import change_tags
from nas_core.events.kinds import TagsChanged
from nas_core.events.notes_decide import NOTE_MAX, TAG_MAX

from nas_core_event_sim import Sim


@pytest.fixture
def sim() -> Sim:
    s = Sim(name="notes")
    s.command(Sample(count=2, seed=1))
    return s


def attempt(sim: Sim, command) -> tuple[str, str] | None:
    """Append what `command` decides, or its refusal's (path, reason)."""
    try:
        decision = decide(sim.state, command)
    except CommandError as exc:
        return exc.path, exc.reason
    sim.append(list(decision.events))
    return None


def refused(sim: Sim, command) -> tuple[str, str]:
    with pytest.raises(CommandError) as info:
        decide(sim.state, command)
    return info.value.path, info.value.reason


def test_notes_are_written_edited_and_removed_on_a_model_and_on_the_session(sim):
    sim.command(WriteNote(model="m1", text="looks good"))
    (note,) = sim.state.models["m1"].notes
    assert note.id == f"n{sim.state.last_seq}"  # the seq of the event that wrote it
    assert (note.text, note.edited_at) == ("looks good", None)
    sim.command(WriteNote(model="m1", note=note.id, text="overfits"))
    (edited,) = sim.state.models["m1"].notes
    assert (edited.id, edited.text, edited.created_at) == (note.id, "overfits", note.created_at)
    assert edited.edited_at is not None
    sim.command(WriteNote(text="the session's own"))
    assert [n.text for n in sim.state.notes] == ["the session's own"]
    assert sim.state.models["m2"].notes == ()
    sim.command(RemoveNote(model="m1", note=note.id))
    assert sim.state.models["m1"].notes == ()
    assert len(sim.state.notes) == 1


def test_tags_keep_the_order_first_given(sim):
    sim.command(ChangeTags(model="m1", add=("best", "keep")))
    sim.command(ChangeTags(model="m1", remove=("best",), add=("tiny",)))
    sim.command(ChangeTags(add=("round-1",)))
    assert sim.state.models["m1"].tags == ("keep", "tiny")
    assert sim.state.tags == ("round-1",)


@pytest.mark.parametrize(
    ("command", "path", "reason"),
    [
        (WriteNote(model="m9", text="x"), "$.model", "no model 'm9' in this session"),
        (WriteNote(model="m1", text="  \n"), "$.text", "a note cannot be empty"),
        (WriteNote(model="m1", note="n77", text="x"), "$.note", "m1 has no note 'n77'"),
        (RemoveNote(note="n1"), "$.note", "the session has no note 'n1'"),
        (ChangeTags(model="m1"), "$", "give at least one tag to add or to remove"),
        (ChangeTags(model="m1", add=("",)), "$.add[0]", "a tag cannot be empty"),
        (
            ChangeTags(model="m1", add=("ok", "two words")),
            "$.add[1]",
            "a tag is one word, without spaces or commas (filters list tags as tag:a,b):"
            " 'two words'",
        ),
        (ChangeTags(model="m1", add=("a", "a")), "$.add[1]", "'a' is listed twice"),
        (ChangeTags(model="m2", remove=("x",)), "$.remove[0]", "m2 has no tag 'x'"),
        (ChangeTags(model="m7", add=("x",)), "$.model", "no model 'm7' in this session"),
    ],
)
def test_bad_commands_are_refused_in_remaps_words(sim, command, path, reason):
    assert refused(sim, command) == (path, reason)


def test_a_command_that_changes_nothing_is_refused(sim):
    sim.command(ChangeTags(model="m1", add=("best",)))
    assert refused(sim, ChangeTags(model="m1", add=("best",))) == (
        "$.add[0]", "m1 is tagged 'best' already"
    )  # fmt: skip
    sim.command(WriteNote(text="same"))
    note = sim.state.notes[0].id
    assert refused(sim, WriteNote(note=note, text="same")) == (
        "$.text", f"note {note} reads so already"
    )  # fmt: skip


def test_too_long_texts_are_refused_at_their_path_when_decoded():
    body = msgspec.json.encode({"type": "write_note", "text": "x" * (NOTE_MAX + 1)})
    with pytest.raises(CommandError) as info:
        decode_command(body)
    assert (info.value.path, info.value.reason) == (
        "$.text", f"must be at most {NOTE_MAX} characters long"
    )  # fmt: skip
    body = msgspec.json.encode({"type": "change_tags", "add": ["t" * (TAG_MAX + 1)]})
    with pytest.raises(CommandError) as info:
        decode_command(body)
    assert info.value.path == "$.add[0]"


def test_stray_events_change_nothing_they_should_not(sim):
    notes_story(sim)  # ends with a note on a missing model, a gone note, tags twice
    state = sim.state
    assert "m404" not in state.models
    assert state.models["m1"].tags == ("keep", "tiny", "new")
    assert [n.text for n in state.models["m1"].notes] == ["overfits after epoch 2"]
    assert [n.text for n in state.notes] == ["session: the dropout runs are noise"]
    assert state.tags == ("digits",)
    assert fold(sim.envelopes) == state  # one fold of the whole log agrees with the steps


# --- properties ------------------------------------------------------------------------

words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=TAG_MAX + 4)
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@settings(max_examples=60, deadline=None)
@given(
    add=st.lists(words | st.sampled_from(["a", "keep"]), max_size=4),
    remove=st.lists(words | st.sampled_from(["a", "keep"]), max_size=3),
    start=st.lists(st.sampled_from(["a", "b", "keep"]), unique=True, max_size=3),
)
def test_a_tag_change_is_either_refused_at_a_path_or_applied_exactly(add, remove, start):
    sim = Sim(name="p")
    sim.command(Sample(count=1, seed=2))
    if start:
        sim.command(ChangeTags(model="m1", add=tuple(start)))
    before = sim.state.models["m1"].tags
    command = ChangeTags(model="m1", add=tuple(add), remove=tuple(remove))
    problem = attempt(sim, command)
    if problem is not None:
        path, reason = problem
        assert path == "$" or path.startswith(("$.add", "$.remove"))
        assert reason
        assert "Expected" not in reason  # REMAP's words, not msgspec's
        return
    after = sim.state.models["m1"].tags
    assert set(after) == (set(before) - set(remove)) | set(add)
    assert all(t.strip() and len(t) <= TAG_MAX for t in after)
    assert list(after) == list(dict.fromkeys(after))  # no tag twice


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["add", "remove"]), st.sampled_from("abcd")), max_size=12)
)
def test_the_tag_fold_is_a_set_that_keeps_first_order(changes):
    tags: tuple[str, ...] = ()
    order: list[str] = []
    for op, tag in changes:
        e = TagsChanged(added=(tag,)) if op == "add" else TagsChanged(removed=(tag,))
        tags = change_tags(tags, e)
        if op == "add" and tag not in order:
            order.append(tag)
        if op == "remove" and tag in order:
            order.remove(tag)
    assert list(tags) == order


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["write", "edit", "remove"]), st.integers(0, 5), texts),
        max_size=12,
    )
)
def test_notes_keep_their_ids_and_places(steps):
    sim = Sim(name="p")
    sim.command(Sample(count=1, seed=3))
    for op, k, text in steps:
        notes = sim.state.models["m1"].notes
        if op == "write" or not notes:
            command = WriteNote(model="m1", text=text)
        elif op == "edit":
            command = WriteNote(model="m1", note=notes[k % len(notes)].id, text=text)
        else:
            command = RemoveNote(model="m1", note=notes[k % len(notes)].id)
        problem = attempt(sim, command)
        if problem is not None:
            assert problem[0] in ("$.text", "$.note")
            assert "Expected" not in problem[1]
            continue
        after = sim.state.models["m1"].notes
        ids = [n.id for n in after]
        assert len(ids) == len(set(ids))
        if op == "edit" and notes:
            assert [n.id for n in notes] == ids  # an edit keeps every note in its place
        assert all(n.text.strip() for n in after)
    assert isinstance(sim.state.models["m1"].notes, tuple)
