"""Commands and their handler: the events each command makes, and every way a command
is refused (a `CommandError` with a JSON path into the command, nothing to append)."""

from __future__ import annotations

import pickle

import msgspec
import pytest

from nas_core.arch import (
    Architecture,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Input,
    Limits,
    MaxPool,
    ReLU,
    Remove,
    Reparameterize,
    arch_hash,
    count_flops,
    count_params,
)
from nas_core.errors import NasCoreError
from nas_core.events import (
    Ablate,
    Ablation,
    Cancel,
    ChangeView,
    CommandError,
    CreateSession,
    DrawerAdd,
    DrawerRemove,
    Enqueue,
    EventStore,
    Handcraft,
    Handcrafted,
    ModelCreated,
    Pending,
    Reorder,
    Sample,
    Sampled,
    SessionCreated,
    SessionExists,
    SessionState,
    StopTraining,
    TrainingCancelled,
    TrainingQueued,
    UnknownSession,
    Variation,
    Vary,
    command_schema,
    convert_command,
    decide,
    decode_command,
    derive_seed,
    handle,
)
from nas_core.generators import Insert, RemoveEdit, Reparam, load_search_space, search_space_hash
from nas_core.specs import Settings, TrainConfig

from nas_core_event_sim import DIGITS, SETTINGS, Sim

INPUT = Input(shape=(1, 8, 8), classes=10)
# a deep parent (13 layers), so that layer indices 10 and above are exercised
DEEP = Architecture(
    name="m1",
    input=INPUT,
    layers=(
        Conv(filters=16, kernel=3), ReLU(), Conv(filters=16, kernel=3), ReLU(),
        MaxPool(pool=2), Conv(filters=32, kernel=3), ReLU(), Dropout(rate=0.25),
        Flatten(), Dense(units=64), ReLU(), Dense(units=32), Dense(units=10),
    ),
)  # fmt: skip


def refused(state: SessionState, command, path: str, match: str = "") -> CommandError:
    with pytest.raises(CommandError) as info:
        decide(state, command, dataset=DIGITS)
    assert info.value.path == path, str(info.value)
    assert match in info.value.reason, info.value.reason
    assert str(info.value).endswith(f" - at `{path}`")
    assert isinstance(info.value, NasCoreError)
    return info.value


def with_deep_parent(config: TrainConfig | None = None) -> Sim:
    sim = Sim()
    created = ModelCreated(
        model="m1", arch=DEEP, parent=None, origin=Sampled(seed=0, index=0, batch="b"),
        changes=(), description="handmade", params=count_params(DEEP),
        flops=count_flops(DEEP), arch_hash=arch_hash(DEEP),
    )  # fmt: skip
    pending = [Pending("deep", created)]
    if config is not None:
        pending.append(Pending("deep:q", TrainingQueued("m1", config, seed=1234)))
    sim.append(pending)
    return sim


# --- create session ----------------------------------------------------------------------


def test_create_session_records_data_settings_and_search_space():
    (p,) = handle(SessionState(), CreateSession(name="study", id="c1"), dataset=DIGITS)
    event = p.event
    assert p.id == "c1:0"
    assert isinstance(event, SessionCreated)
    assert event.name == "study"
    assert event.class_names == DIGITS.class_names
    assert event.input == INPUT
    assert (event.split.train, event.split.val, event.split.test) == (1222, 215, 12)
    assert event.search_space == load_search_space("default-v1")
    assert event.search_space_hash == search_space_hash(event.search_space)
    assert event.data_digest == DIGITS.digest
    assert event.settings == Settings()


def test_create_session_refusals():
    empty = SessionState()
    with pytest.raises(CommandError, match="DatasetInfo") as info:
        decide(empty, CreateSession(name="x"))
    assert info.value.path == "$.data"
    bad_space = CreateSession(name="x", settings=Settings(search_space="no-such-table"))
    refused(empty, bad_space, "$.settings.search_space", "no bundled search space")
    again = refused(Sim().state, CreateSession(name="again"), "$", "already been created")
    assert isinstance(again, SessionExists)  # the server answers 409 by this class


def test_session_errors_keep_their_class_when_pickled():
    errors = (
        CommandError("$.count", "must be at most 1000"),
        SessionExists("$", "the session 'x' has already been created"),
        UnknownSession("s1"),
    )
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert (copy.path, copy.reason, str(copy)) == (error.path, error.reason, str(error))
    assert pickle.loads(pickle.dumps(UnknownSession("s1"))).session == "s1"
    assert str(UnknownSession("s1")) == "no session 's1' in this store - at `$.session`"


def test_commands_need_a_created_session():
    refused(SessionState(), Sample(count=1), "$", "not been created")


# --- sample ------------------------------------------------------------------------------


def test_sample_creates_and_queues_models():
    sim = Sim()
    events = handle(sim.state, Sample(count=3, seed=7, id="s"), dataset=DIGITS)
    assert [p.id for p in events] == [f"s:{k}" for k in range(6)]
    created = [p.event for p in events[:3]]
    queued = [p.event for p in events[3:]]
    assert [c.model for c in created] == ["m1", "m2", "m3"]
    for k, c in enumerate(created):
        assert c.arch.name == c.model
        assert c.parent is None
        assert c.origin == Sampled(seed=7, index=k, batch="s")
        assert c.changes == ()
        assert c.params == count_params(c.arch)
        assert c.flops == count_flops(c.arch)
        assert c.arch_hash == arch_hash(c.arch)
        assert c.description == f"Sampled (seed 7, #{k})"
    for c, q in zip(created, queued, strict=True):
        assert isinstance(q, TrainingQueued)
        assert q.model == c.model
        assert q.config == SETTINGS.train
        assert q.seed == derive_seed("train", 7, c.model)
        assert q.estimate_s is None
    # the same command on the same state gives the same events (pure, seeded)
    assert handle(sim.state, Sample(count=3, seed=7, id="s"), dataset=DIGITS) == events


def test_sample_without_seed_or_id_is_deterministic_and_records_its_seed():
    sim = Sim()
    a = handle(sim.state, Sample(count=2), dataset=DIGITS)
    b = handle(sim.state, Sample(count=2), dataset=DIGITS)
    assert a == b
    assert a[0].id.startswith("c1-")  # derived from the state's seq and the command
    seed = a[0].event.origin.seed
    assert a[0].event.origin == Sampled(seed=seed, index=0, batch=a[0].id[:-2])
    # the next sample (another seq) draws other models
    sim.append(a)
    c = handle(sim.state, Sample(count=2), dataset=DIGITS)
    assert c[0].event.origin.seed != seed
    assert c[0].event.model == "m3"


def test_sample_never_repeats_an_existing_model():
    sim = Sim()
    sim.command(Sample(count=4, seed=1))
    more = handle(sim.state, Sample(count=4, seed=1), dataset=DIGITS)
    hashes = {m.arch_hash for m in sim.state.models.values()}
    assert not hashes & {p.event.arch_hash for p in more[:4]}


def test_sample_uses_the_estimator():
    sim = Sim()
    calls = []

    def estimate(flops: int, config: TrainConfig) -> float:
        calls.append((flops, config.epochs))
        return flops * 1e-6

    events = decide(sim.state, Sample(count=2, seed=3), estimate=estimate).events
    assert [p.event.estimate_s for p in events[2:]] == [p.event.flops * 1e-6 for p in events[:2]]
    assert calls == [(p.event.flops, 3) for p in events[:2]]


def test_sample_refused_when_nothing_fits_the_cap():
    sim = Sim()
    tiny = Settings(limits=Limits(max_params=5, max_depth=3))
    state = msgspec.structs.replace(sim.state, settings=tiny)
    refused(state, Sample(count=2, seed=0), "$.count", "made 0 of 2")


# --- ablate ------------------------------------------------------------------------------


def test_ablate_makes_one_child_per_layer_with_the_parents_config():
    sim = with_deep_parent(TrainConfig(epochs=7))
    decision = decide(sim.state, Ablate(model="m1", indices=(12, 0, 7, 10), id="a"))
    created = [p.event for p in decision.events if isinstance(p.event, ModelCreated)]
    queued = [p.event for p in decision.events if isinstance(p.event, TrainingQueued)]
    # removing the classifier (12) gives an invalid model: skipped, with its reason
    assert [s.index_or_attempt for s in decision.skipped] == [12]
    assert "invalid" in decision.skipped[0].reason
    assert [c.origin for c in created] == [Ablation("m1", i, "a") for i in (0, 7, 10)]
    assert [c.changes for c in created] == [(Remove(0),), (Remove(7),), (Remove(10),)]
    assert [c.description for c in created] == [
        "Removed Conv2D layer at index 0",
        "Removed Dropout layer at index 7",
        "Removed ReLU layer at index 10",
    ]
    assert all(c.parent == "m1" for c in created)
    assert [c.model for c in created] == ["m2", "m3", "m4"]
    assert all(q.config.epochs == 7 for q in queued)  # a child trains as long as its parent
    assert [q.seed for q in queued] == [derive_seed("train", 1234, m) for m in ("m2", "m3", "m4")]


def test_ablate_refusals():
    state = with_deep_parent().state
    refused(state, Ablate(model="m9", indices=(0,)), "$.model", "no model 'm9'")
    refused(state, Ablate(model="m1", indices=(0, 13)), "$.indices[1]", "no layer at index 13")
    refused(state, Ablate(model="m1", indices=(2, 2)), "$.indices[1]", "listed twice")
    refused(state, Ablate(model="m1", indices=(12,)), "$.indices", "no ablation of m1")


def test_ablating_twice_skips_the_duplicates():
    sim = with_deep_parent()
    sim.command(Ablate(model="m1", indices=(0,)))
    refused(sim.state, Ablate(model="m1", indices=(0,)), "$.indices", "duplicate")


# --- vary --------------------------------------------------------------------------------


def test_vary_honours_the_allowed_changes_per_layer_at_indices_of_ten_and_more():
    sim = with_deep_parent()
    command = Vary(model="m1", count=4, seed=11, allowed={11: ("reparameterize",)}, id="v")
    events = handle(sim.state, command)
    created = [p.event for p in events if isinstance(p.event, ModelCreated)]
    assert len(created) == 4
    for k, c in enumerate(created):
        assert c.origin == Variation("m1", 11, k, "v", {"11": ("reparameterize",)}, 2)
        assert [ch.index for ch in c.changes] == [11]
        assert isinstance(c.changes[0], Reparameterize)
        assert c.description.startswith("units at 11 from 32 to ")


def test_vary_from_json_parses_layer_indices_of_ten_and_more():
    command = decode_command(
        b'{"type": "vary", "model": "m1", "count": 2, "seed": 5,'
        b' "allowed": {"10": ["replace", "reparameterize"], "2": ["remove"]}}'
    )
    assert command.allowed == {10: ("replace", "reparameterize"), 2: ("remove",)}
    events = handle(with_deep_parent().state, command)
    for p in events:
        if isinstance(p.event, ModelCreated):
            assert {c.index for c in p.event.changes} <= {10, 2}


def test_vary_default_allows_everything_and_is_seeded():
    state = with_deep_parent().state
    a = handle(state, Vary(model="m1", count=3, seed=2))
    b = handle(state, Vary(model="m1", count=3, seed=2))
    assert a == b
    assert len(a) == 6


def test_vary_refusals():
    state = with_deep_parent().state
    refused(state, Vary(model="m7", count=1), "$.model")
    refused(state, Vary(model="m1", count=1, allowed={13: ("remove",)}), "$.allowed['13']")
    refused(
        state,
        Vary(model="m1", count=1, allowed={1: ("remove", "remove")}),
        "$.allowed['1']",
        "listed twice",
    )
    # the classifier takes only "prepend"
    refused(state, Vary(model="m1", count=1, allowed={12: ("remove",)}), "$.allowed")


# --- handcraft ---------------------------------------------------------------------------


def test_handcraft_records_edits_changes_and_description():
    sim = with_deep_parent(TrainConfig(epochs=5))
    edits = (Reparam(index=0, params={"filters": 64}), RemoveEdit(index=7))
    events = handle(sim.state, Handcraft(model="m1", edits=edits, id="h"))
    created, queued = events[0].event, events[1].event
    assert created.origin == Handcrafted("m1", edits, "h")
    assert created.model == "m2"
    assert created.arch.layers[0] == Conv(filters=64, kernel=3)
    assert len(created.arch.layers) == 12
    assert created.description == "Removed Dropout layer at index 7, filters at 0 from 16 to 64"
    assert queued.config.epochs == 5


def test_handcraft_refusals_name_the_edit():
    state = with_deep_parent().state
    edits = (RemoveEdit(index=0), RemoveEdit(index=40))
    refused(state, Handcraft(model="m1", edits=edits), "$.edits[1].index", "no layer at index 40")
    refused(
        state,
        Handcraft(model="m1", edits=(Insert(index=12, layer=Conv(filters=8)),)),
        "$.edits",
        "invalid",
    )
    refused(state, Handcraft(model="nope", edits=(RemoveEdit(index=0),)), "$.model")
    big = Handcraft(model="m1", edits=(Reparam(index=9, params={"units": 100_000}),))
    refused(state, big, "$.edits", "exceed the cap")


# --- the queue ---------------------------------------------------------------------------


def test_enqueue_reorder_cancel():
    sim = Sim()
    sim.command(Sample(count=3, seed=9))
    refused(sim.state, Enqueue(models=("m1",)), "$.models[0]", "already queued")
    refused(sim.state, Enqueue(models=("m4",)), "$.models[0]", "no model 'm4'")
    sim.command(Cancel(model="m2"))
    (again,) = handle(sim.state, Enqueue(models=("m2",)))
    queued_before = next(
        e.event
        for e in sim.envelopes
        if isinstance(e.event, TrainingQueued) and e.event.model == "m2"
    )
    assert (again.event.config, again.event.seed) == (queued_before.config, queued_before.seed)
    refused(sim.state, Enqueue(models=("m2", "m2")), "$.models[1]", "listed twice")
    sim.append([again])
    assert sim.state.queue == ("m1", "m3", "m2")
    # a model queued since the client looked keeps its turn after the listed ones
    (partial,) = handle(sim.state, Reorder(order=("m3", "m1")))
    assert partial.event.order == ("m3", "m1")
    sim.append([partial])
    assert sim.state.queue == ("m3", "m1", "m2")
    refused(sim.state, Reorder(order=("m3", "m3", "m1")), "$.order[1]", "listed twice")
    refused(sim.state, Reorder(order=("m3", "m9", "m1", "m2")), "$.order[1]", "no model")
    (reorder,) = handle(sim.state, Reorder(order=("m2", "m3", "m1")))
    sim.append([reorder])
    assert sim.state.queue == ("m2", "m3", "m1")
    sim.start("m2")
    # a client's order of the queue it last saw: m2 has started since, and is passed over
    (stale,) = handle(sim.state, Reorder(order=("m2", "m1", "m3")))
    assert stale.event.order == ("m1", "m3")
    sim.append([stale])
    assert sim.state.queue == ("m1", "m3")
    refused(sim.state, Enqueue(models=("m2",)), "$.models[0]", "is training")
    (cancel,) = handle(sim.state, Cancel(model="m2"))
    assert cancel.event == TrainingCancelled("m2", was_running=True)
    sim.append([cancel])
    refused(sim.state, Cancel(model="m2"), "$.model", "not queued or training (it is cancelled)")


def test_cancelling_a_dispatched_model_is_an_effect_its_worker_records():
    sim = Sim()
    sim.command(Sample(count=3, seed=9))
    sim.start("m1")
    handed = frozenset({"m1", "m2"})  # m1 trains, m2 waits on the broker
    for model in ("m1", "m2"):
        decision = decide(sim.state, Cancel(model=model, id=f"c-{model}"), dispatched=handed)
        assert decision.events == ()
        assert decision.effects == (StopTraining(model),)
    # a model no worker has is cancelled at once, by the event
    decision = decide(sim.state, Cancel(model="m3"), dispatched=handed)
    assert [p.event for p in decision.events] == [TrainingCancelled("m3", was_running=False)]
    assert decision.effects == ()
    # and a cancel that does not apply is refused whether or not the model is handed out
    sim.command(Cancel(model="m3"))
    with pytest.raises(CommandError, match="it is cancelled"):
        decide(sim.state, Cancel(model="m3"), dispatched={"m3"})


# --- drawer and view ---------------------------------------------------------------------


def test_drawer_and_view_refusals():
    sim = Sim()
    sim.command(Sample(count=2, seed=4))
    sim.command(DrawerAdd(models=("m1",)))
    refused(sim.state, DrawerAdd(models=("m2", "m1")), "$.models[1]", "already in the drawer")
    refused(sim.state, DrawerAdd(models=("m5",)), "$.models[0]", "no model")
    refused(sim.state, DrawerRemove(models=("m2",)), "$.models[0]", "not in the drawer")
    sim.command(DrawerRemove(models=("m1",)))
    assert sim.state.drawer == ()
    refused(sim.state, ChangeView(projection="structure", selected_class=10), "$.selected_class")
    sim.command(ChangeView(projection="structure", selected_class=9))
    assert sim.state.view.selected_class == 9


# --- ids and retries ---------------------------------------------------------------------


def test_a_retried_command_appends_nothing(tmp_path):
    with EventStore(tmp_path / "e.db") as store:
        sim = Sim(store)
        first = sim.command(Sample(count=2, seed=1, id="req-1"))
        # the client did not hear back and sends the command again
        events = handle(sim.state, Sample(count=2, seed=1, id="req-1"))
        again = store.append("s1", events)
        assert again == first
        assert store.last_seq("s1") == 5
        assert store.find("s1", "req-1:0") == first[0]


# --- decoding and schema -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path", "match"),
    [
        (b'{"type": "sample", "count": "3"}', "$.count", "must be an integer, not a string"),
        (b'{"type": "sample", "count": 0}', "$.count", "must be at least 1"),
        (b'{"type": "fly", "count": 1}', "$.type", "'fly' is not an allowed value"),
        (b'{"count": 1}', "$.type", "is required"),
        (b'{"type": "sample", "count": 1, "colour": 2}', "$.colour", "is not a field of this"),
        (b'{"type": "sample", "count": 1', "$", "ends early (truncated JSON)"),
        (b'{"type": "sample", "count": 1,}', "$", "is not valid JSON (at byte 30"),
        (b'{"type": "sample", "count": 1, "count": 2}', "$", "`count` appears twice"),
        (b'{"type": "sample", "count": 1, "id": "\xff"}', "$", "is not UTF-8 text"),
        (b'{"type": "ablate", "model": "m1", "indices": [1, -2]}', "$.indices[1]", "at least 0"),
        (b'{"type": "ablate", "model": "m1", "indices": []}', "$.indices", "at least 1 item"),
        (
            b'{"type": "handcraft", "model": "m1", "edits": [{"op": "remove", "index": 0},'
            b' {"op": "remove", "index": "x"}]}',
            "$.edits[1].index",
            "must be an integer, not a string",
        ),
        (
            b'{"type": "vary", "model": "m1", "count": 1, "allowed": {"x": []}}',
            "$.allowed",
            "has a key that must be an integer, not a string",
        ),
        (
            b'{"type": "vary", "model": "m1", "count": 1, "allowed": {"1": ["grow"]}}',
            "$.allowed[...][0]",
            "'grow' is not an allowed value",
        ),
        (b'{"type": "change_view", "projection": "umap"}', "$.projection", "'umap' is not an"),
        (b'{"type": "cancel", "model": "m1", "id": "a b"}', "$.id", "must match the pattern"),
    ],
)
def test_decode_command_errors_carry_a_path(data, path, match):
    with pytest.raises(CommandError) as info:
        decode_command(data)
    assert info.value.path == path, str(info.value)
    assert match in info.value.reason, info.value.reason


def test_decode_and_convert_commands():
    assert decode_command(b'{"type": "sample", "count": 2, "id": "x-1"}') == Sample(
        count=2, id="x-1"
    )
    assert convert_command({"type": "cancel", "model": "m3"}) == Cancel(model="m3")
    with pytest.raises(CommandError):
        convert_command({"type": "cancel"})


def test_command_schema_lists_every_command():
    schema = command_schema()
    tags = [
        schema["$defs"][ref["$ref"].rsplit("/", 1)[1]]["properties"]["type"]["enum"][0]
        for ref in schema["anyOf"]
    ]
    assert sorted(tags) == sorted((
        "create_session", "sample", "ablate", "vary", "handcraft", "replicate",
        "continue_training", "enqueue", "reorder", "cancel", "cancel_models",
        "pause_queue", "resume_queue", "set_concurrency", "set_limits",
        "drawer_add", "drawer_remove", "change_view",
        "define_supernet", "edit_supernet", "train_supernet", "sample_search_space",
        "start_search", "continue_search", "pause_search", "select_region",
        "clear_region", "highlight_blocks", "assemble_candidate", "rank_check",
        "start_auto_search", "pause_auto_search", "resume_auto_search", "stop_auto_search",
        "set_auto_search_budget", "constrain_auto_search", "add_to_auto_search",  # issue 21
        "set_median_rule",
        "write_note", "remove_note", "change_tags",  # issue 22: notes and tags
    ))  # fmt: skip
    assert schema["anyOf"][0]["$ref"].startswith("#/$defs/")
