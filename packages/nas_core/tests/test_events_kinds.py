"""Event structs, the envelope, schema versions, and upcasting old versions on read."""

from __future__ import annotations

import sqlite3

import msgspec
import pytest
from hypothesis import given, settings

from nas_core.events import (
    EVENT_TYPES,
    VERSIONS,
    Envelope,
    Event,
    EventDecodeError,
    EventStore,
    Sample,
    SessionState,
    StoreError,
    TrainingQueued,
    decode_event,
    event_kind,
    event_schema,
    export_session,
    fold,
    import_session,
    read_session_file,
    register_upcaster,
    upcast,
)
from nas_core.events.upcast import TrainingQueuedV1, upcasters
from nas_core.specs import TrainConfig

from nas_core_event_sim import Sim, actions

CONTRACT_KINDS = {
    "session_created", "model_created", "training_queued", "training_started",
    "epoch_completed", "training_finished", "training_failed", "training_cancelled",
    "queue_reordered", "drawer_changed", "view_changed", "model_embedded", "layout_recomputed",
    "queue_paused", "queue_resumed", "concurrency_changed",  # issue 19
    "limits_changed",  # issue 19: the parameter cap from the UI
    "model_imported",  # issue 20: a search REMAP did not run
    # issue 18: the one-shot search
    "supernet_defined", "supernet_training_queued", "supernet_training_started",
    "supernet_epoch_completed", "supernet_training_finished", "supernet_training_failed",
    "search_space_sampled", "search_space_projected", "search_started",
    "search_iteration_planned", "subgraph_evaluated", "search_iteration_completed",
    "search_paused", "search_continued", "region_selected", "region_cleared",
    "blocks_highlighted", "candidate_assembled", "rank_check_started", "rank_check_completed",
    # issue 21: steering automated searches
    "auto_search_started", "auto_search_paused", "auto_search_resumed", "auto_search_stopped",
    "auto_search_budget_changed", "auto_search_constrained", "auto_search_population_added",
    "auto_search_median_stopped", "median_rule_changed", "training_median_stopped",
    "note_written", "note_removed", "tags_changed",  # issue 22: notes and tags
}  # fmt: skip


def test_every_contract_kind_is_an_event_with_a_version():
    assert set(EVENT_TYPES) == CONTRACT_KINDS
    assert set(VERSIONS) == CONTRACT_KINDS
    upcast_to_2 = ("training_queued", "training_finished", "model_embedded")  # issue 20
    upcast_to_2 += ("supernet_training_queued",)  # issue 18: the supernet's routing
    assert all(VERSIONS[k] == 2 for k in upcast_to_2)
    assert all(v == 1 for k, v in VERSIONS.items() if k not in upcast_to_2)
    for cls in EVENT_TYPES.values():
        assert cls.__struct_config__.tag_field == "kind"
        assert cls.__struct_config__.frozen
        assert not cls.__struct_config__.gc  # replays allocate many: keep them off the GC


@settings(max_examples=15, deadline=None)
@given(actions)
def test_every_event_round_trips_through_json(steps):
    sim = Sim()
    sim.play(steps)
    decoder = msgspec.json.Decoder(Envelope)
    for env in sim.envelopes:
        data = msgspec.json.encode(env)
        assert decoder.decode(data) == env
        body = msgspec.json.encode(env.event)
        kind = event_kind(env.event)
        assert decode_event(kind, VERSIONS[kind], body) == env.event


def test_event_schema_covers_the_union():
    schema = event_schema()
    names = set(schema["$defs"])
    for cls in EVENT_TYPES.values():
        assert cls.__name__ in names
    assert "Envelope" in names


# --- upcasting ---------------------------------------------------------------------------

V1_BODY = b'{"kind":"training_queued","model":"m1","epochs":7,"seed":42}'


def test_a_version_1_training_queued_reads_as_version_2():
    event = decode_event("training_queued", 1, V1_BODY)
    assert event == TrainingQueued(model="m1", config=TrainConfig(epochs=7), seed=42)
    assert upcasters()[("training_queued", 1)] is TrainingQueuedV1


def test_a_stored_version_1_row_is_upcast_on_read_and_never_rewritten(tmp_path):
    path = tmp_path / "old.db"
    with EventStore(path) as store:
        sim = Sim(store)  # session created, seq 1
        sim.command(Sample(count=1, seed=3))  # seq 2: model created, seq 3: queued
        model = next(iter(sim.state.models))
    # a row as an older program wrote it: "training queued" version 1
    body = f'{{"kind":"training_queued","model":"{model}","epochs":9,"seed":5}}'.encode()
    with sqlite3.connect(path) as conn:
        (key,) = conn.execute("SELECT key FROM sessions").fetchone()
        # the model was queued by the sample; cancel it first so the old row re-queues it
        conn.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
            (key << 32 | 4, "cancel", "2020-01-01T00:00:00.000Z", "training_cancelled", 1,
             f'{{"kind":"training_cancelled","model":"{model}","was_running":false}}'.encode()),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
            (key << 32 | 5, "old:q", "2020-01-01T00:00:01.000Z", "training_queued", 1, body),
        )
    with EventStore(path) as store:
        envs = store.read("s1")
        old = envs[-1]
        assert old.version == 2  # read as the current version
        assert old.event == TrainingQueued(model, TrainConfig(epochs=9), seed=5)
        state = fold(envs)
        assert state.models[model].status == "queued"
        assert state.models[model].config.epochs == 9
        # the row itself is untouched: same bytes, same version
        row = store.read_rows("s1")[-1]
        assert (row.version, row.body) == (1, body)
        # export keeps it as written; import reads it back as version 2
        export_session(store, "s1", tmp_path / "old.remap.jsonl")
    assert (
        b'"version":1,"event":{"kind":"training_queued"'
        in (tmp_path / "old.remap.jsonl").read_bytes()
    )
    parsed = read_session_file(tmp_path / "old.remap.jsonl")
    assert parsed.envelopes[-1].event == old.event
    with EventStore(tmp_path / "new.db") as other:
        import_session(other, tmp_path / "old.remap.jsonl")
        assert other.read_rows("s1")[-1].body == body
        assert fold(other.read("s1")) == state


def test_unknown_kinds_and_versions_are_refused(monkeypatch):
    with pytest.raises(EventDecodeError, match="unknown event kind"):
        decode_event("model_exploded", 1, b"{}")
    with pytest.raises(EventDecodeError, match="newer than this program knows"):
        decode_event("training_queued", 3, V1_BODY)
    with pytest.raises(EventDecodeError, match="not a version"):
        decode_event("training_queued", 0, V1_BODY)
    # a kind that moved on to version 2 without registering how to read version 1
    monkeypatch.setitem(upcast.VERSIONS, "view_changed", 2)
    with pytest.raises(EventDecodeError, match="no upcaster to version 2"):
        decode_event("view_changed", 1, b'{"kind":"view_changed","projection":"search"}')
    monkeypatch.undo()
    with pytest.raises(EventDecodeError, match="the body is a 'view_changed' event"):
        decode_event("drawer_changed", 1, b'{"kind":"view_changed","projection":"search"}')
    with pytest.raises(
        EventDecodeError, match=r"must be an integer, not a string - at `\$\.epochs`"
    ):
        decode_event("training_queued", 1, b'{"kind":"training_queued","model":"m","epochs":"x"}')


def test_register_upcaster_checks_its_arguments():
    with pytest.raises(ValueError, match="unknown event kind"):
        register_upcaster("nope", 1, TrainingQueuedV1)
    with pytest.raises(ValueError, match="nothing to do"):
        register_upcaster("view_changed", 1, TrainingQueuedV1)


def test_a_stored_row_that_does_not_decode_names_the_seq(tmp_path):
    path = tmp_path / "bad.db"
    with EventStore(path) as store:
        Sim(store)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE events SET body = ?", (b'{"kind":"session_created"}',))
    message = (
        r"bad\.db: session 's1', seq 1: event 'session_created' version 1: "
        r"is required - at `\$\.name`"
    )
    with EventStore(path) as store, pytest.raises(StoreError, match=message):
        store.read("s1")


def test_event_union_is_what_the_store_decodes():
    assert msgspec.json.decode(
        b'{"kind":"view_changed","projection":"structure","selected_class":null}', type=Event
    ) == EVENT_TYPES["view_changed"]("structure", None)
    assert SessionState().last_seq == 0
