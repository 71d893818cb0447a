"""The session service end to end, in process: real SQLite store, real StubBroker and
Dramatiq workers, real 1-thread torch processes training tiny models on digits. Tests
marked `in_memory` are about the service, not the store: they use the in-memory store,
which keeps the same contract (``test_events_store_contract.py``)."""

from __future__ import annotations

import os
import signal
import time

import msgspec
import pytest

from nas_core.arch import Dropout
from nas_core.data import load_dataset
from nas_core.events import (
    Ablate,
    Ablation,
    Cancel,
    CommandError,
    CreateSession,
    DrawerAdd,
    EventStore,
    Handcraft,
    MemoryEventStore,
    Pending,
    QueueReordered,
    Reorder,
    Sample,
    SessionExists,
    TrainingStarted,
    UnknownSession,
    Vary,
    event_kind,
    fold,
    handle,
)
from nas_core.generators import Insert
from nas_core.packed import unpack_floats, unpack_labels
from nas_core.service.session import INTERRUPTED, SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig

DATA = DataSpec(limit=240, split_seed=3)


def settings(epochs: int = 1, concurrency: int = 2) -> Settings:
    return Settings(train=TrainConfig(epochs=epochs, batch_size=64), concurrency=concurrency)


@pytest.fixture
def store(request, tmp_path):
    memory = getattr(request, "param", "sqlite") == "memory"
    store = MemoryEventStore() if memory else EventStore(tmp_path / "remap.db")
    yield store
    store.close()


in_memory = pytest.mark.parametrize("store", ["memory"], indirect=True)


def kinds_of(store: EventStore, session: str, model: str) -> list[str]:
    return [
        event_kind(e.event) for e in store.read(session) if getattr(e.event, "model", None) == model
    ]


def wait_for(predicate, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.02)


def test_start_trains_records_and_embeds_every_model(store) -> None:
    with SessionService(store, processes=2) as service:
        session = service.create_session("start", DATA, settings())
        seen = []
        service.start(session, models=4, seed=7)
        state = service.wait_idle(session, timeout_s=120, on_progress=seen.append)
        assert service.start(session, models=4, seed=7).envelopes == ()  # resuming: no-op
    assert [m.status for m in state.models.values()] == ["done"] * 4
    assert seen[-1].ended == seen[-1].total == seen[-1].embedded == 4
    seqs = [e.seq for e in store.read(session)]
    assert seqs == list(range(1, len(seqs) + 1))
    for model in state.models.values():
        kinds = kinds_of(store, session, model.id)
        assert kinds[:4] == [
            "model_created",
            "training_queued",
            "training_started",
            "epoch_completed",
        ]
        assert kinds[4] == "training_finished"
        assert kinds[5:7] == ["model_embedded", "model_embedded"]
        assert model.result is not None
        assert model.result.params == model.params
        assert len(unpack_labels(model.result.predictions)) == state.split.test
        for projection in ("structure", "predictions"):
            assert model.id in state.embeddings[projection]
    # every model's recorded row is against the models embedded before it (any order)
    rows = [
        len(unpack_floats(e.event.distances))
        for e in store.read(session)
        if event_kind(e.event) == "model_embedded" and e.event.projection == "structure"
    ]
    assert rows == [0, 1, 2, 3]


@in_memory
def test_generators_queue_reorder_cancel_and_drawer(store) -> None:
    with SessionService(store, processes=1) as service:
        session = service.create_session("explore", DATA, settings(epochs=1, concurrency=1))
        service.start(session, models=1, seed=11)
        state = service.wait_idle(session, timeout_s=120)
        parent = next(iter(state.models.values()))
        assert parent.status == "done"

        # ablate every removable layer, vary, handcraft: all of them queue
        indices = tuple(range(len(parent.arch.layers) - 1))
        ablated = service.execute(session, Ablate(model=parent.id, indices=indices))
        varied = service.execute(
            session, Vary(model=parent.id, count=2, seed=5, allowed={0: ["reparameterize"]})
        )
        crafted = service.execute(
            session,
            Handcraft(
                model=parent.id,
                edits=(Insert(index=len(parent.arch.layers) - 1, layer=Dropout(0.375)),),
            ),
        )
        state = service.state(session)
        children = [m for m in state.models.values() if m.parent == parent.id]
        assert len(children) >= 3
        made = sum(
            1 for o in (ablated, varied, crafted) for e in o.envelopes
            if event_kind(e.event) == "model_created"
        )  # fmt: skip
        assert made == len(children)
        for child in children:
            assert child.config == parent.config  # a child trains as its parent did
            assert child.estimate_s is not None
            assert child.estimate_s > 0
            assert child.description

        # concurrency 1: the head of the queue trains (or is handed to the broker), the
        # rest wait in order; keep the head first and reverse the others (tiny models
        # train fast: if the head starts between looking and reordering, look again)
        for _ in range(50):
            queue = service.state(session).queue
            assert len(queue) >= 3
            new_order = (queue[0], *reversed(queue[1:]))
            try:
                service.execute(session, Reorder(order=new_order))
                break
            except CommandError as error:
                if "not queued" not in str(error):
                    raise
        gone = [m.id for m in children if m.id not in new_order]  # started before
        reordered = [e.event for e in store.read(session) if isinstance(e.event, QueueReordered)]
        assert reordered[-1].order == new_order

        # cancelling a waiting model takes effect at once
        victim = queue[1]
        out = service.execute(session, Cancel(model=victim))
        assert [event_kind(e.event) for e in out.envelopes] == ["training_cancelled"]
        assert service.state(session).models[victim].status == "cancelled"
        with pytest.raises(CommandError, match="not queued or training"):
            service.execute(session, Cancel(model=victim))

        service.execute(session, DrawerAdd(models=(parent.id, children[0].id)))
        state = service.wait_idle(session, timeout_s=300)
    assert state.drawer == (parent.id, children[0].id)
    assert state.queue == ()
    statuses = {m.id: m.status for m in state.models.values()}
    assert statuses[victim] == "cancelled"
    assert all(s in ("done", "cancelled") for s in statuses.values()), statuses
    # the models trained in the order the queue said
    started = [e.event.model for e in store.read(session) if isinstance(e.event, TrainingStarted)]
    assert started[0] == parent.id
    assert set(started[1 : 1 + len(gone)]) == set(gone)
    assert started[1 + len(gone) :] == [m for m in new_order if m != victim]


def test_cancel_a_running_model_stops_it_at_a_batch_boundary(store) -> None:
    with SessionService(store, processes=1) as service:
        session = service.create_session("cancel", DATA, settings(epochs=200))
        service.start(session, models=1, seed=2)
        model = next(iter(service.state(session).models))
        wait_for(lambda: service.state(session).models[model].curve)  # an epoch went by
        out = service.execute(session, Cancel(model=model))
        assert out.envelopes == ()  # the worker records it when it stops
        state = service.wait_idle(session, timeout_s=60)
    m = state.models[model]
    assert m.status == "cancelled"
    assert 1 <= len(m.curve) < 200
    assert kinds_of(store, session, model)[-1] == "training_cancelled"


def test_a_killed_trainer_process_is_retried(store) -> None:
    with SessionService(store, processes=1) as service:
        session = service.create_session("kill", DATA, settings(epochs=40))
        service.start(session, models=1, seed=4)
        model = next(iter(service.state(session).models))
        wait_for(lambda: service.state(session).models[model].curve)
        (worker,) = [w for w in service.trainers() if w.model_id == model]
        os.kill(worker.pid, signal.SIGKILL)
        state = service.wait_idle(session, timeout_s=120)
    m = state.models[model]
    assert m.status == "done"
    assert m.attempts == 2
    failed = [e.event for e in store.read(session) if event_kind(e.event) == "training_failed"]
    assert len(failed) == 1
    assert failed[0].will_retry
    assert failed[0].attempt == 1


def test_reopening_a_store_retrains_what_a_dead_process_left_running(tmp_path) -> None:
    # the log a process left when it died mid-training: two models queued, one started
    store = EventStore(tmp_path / "remap.db")
    state = fold(())
    for command in (
        CreateSession(id="c1", name="crash", data=DATA, settings=settings(concurrency=1)),
        Sample(id="c2", count=2, seed=9),
    ):
        info = load_dataset(DATA).info() if isinstance(command, CreateSession) else None
        state = fold(store.append("s1", handle(state, command, dataset=info)), state)
    first, second = state.queue
    store.append("s1", [Pending("x", TrainingStarted(model=first, attempt=1, worker="gone:1"))])

    with SessionService(store, processes=1) as service:
        state = service.wait_idle("s1", timeout_s=120)
    assert state.models[first].status == state.models[second].status == "done"
    assert state.models[first].attempts == 2
    log = store.read("s1")
    failed = [e.event for e in log if event_kind(e.event) == "training_failed"]
    assert [(f.model, f.attempt, f.reason, f.will_retry) for f in failed] == [
        (first, 1, INTERRUPTED, True)
    ]
    store.close()


@in_memory
def test_a_retried_command_is_harmless(store) -> None:
    with SessionService(store, processes=1) as service:
        kwargs = {"session": "s1", "command_id": "c"}
        session = service.create_session("retry", DATA, settings(epochs=500), **kwargs)
        assert service.create_session("retry", DATA, settings(epochs=500), **kwargs) == session
        service.start(session, models=2, seed=1)
        first, second = service.state(session).models  # the first trains for long
        out = service.execute(session, Cancel(id="x", model=second))
        assert len(out.envelopes) == 1
        assert service.execute(session, Cancel(id="x", model=second)).envelopes == ()
        service.execute(session, Cancel(model=first))
        state = service.wait_idle(session, timeout_s=60)
    assert [m.status for m in state.models.values()] == ["cancelled", "cancelled"]
    log = store.read(session)
    assert [e.id for e in log if e.id.startswith(("c:", "x:"))] == ["c:0", "x:0"]


@in_memory
def test_a_retried_command_answers_with_the_seqs_it_appended(store) -> None:
    with SessionService(store, processes=1) as service:
        session = service.create_session("seqs", DATA, settings(), session="s1", command_id="c")
        create = CreateSession(id="c", name="seqs", data=DATA, settings=settings())
        assert service.execute(session, create).seqs == (1, 1)
        sampled = service.execute(session, Sample(count=2, seed=1, id="s"))
        assert sampled.seqs == (2, 5)  # two "model created", two "training queued"
        assert sampled.retried is None
        service.wait_idle(session, timeout_s=60)  # what the trainings record is no part of it
        again = service.execute(session, Sample(count=2, seed=1, id="s"))
        assert again.envelopes == ()
        assert again.retried == again.seqs == (2, 5)
        assert store.last_seq(session) > 5


@in_memory
def test_unknown_session_and_bad_commands_append_nothing(store) -> None:
    with SessionService(store, processes=1) as service:
        with pytest.raises(UnknownSession, match="no session") as unknown:
            service.execute("nope", DrawerAdd(models=("m1",)))
        assert isinstance(unknown.value, CommandError)  # told apart by class, not words
        assert (unknown.value.session, unknown.value.path) == ("nope", "$.session")
        session = service.create_session("bad", DATA, settings())
        before = store.last_seq(session)
        with pytest.raises(CommandError) as error:
            service.execute(session, Ablate(model="m9", indices=(0,)))
        assert error.value.path == "$.model"
        assert store.last_seq(session) == before


def test_reexecution_regenerates_and_retrains_every_model_identically(tmp_path) -> None:
    store = EventStore(tmp_path / "a.db")
    with SessionService(store, processes=2) as service:
        session = service.create_session("again", DATA, settings(epochs=2))
        service.start(session, models=2, seed=21)
        parent = service.wait_idle(session, timeout_s=120).models["m1"]
        last = len(parent.arch.layers) - 1
        service.execute(session, Ablate(model="m1", indices=tuple(range(last))))
        service.execute(session, Vary(model="m1", count=2, seed=3))
        edit = Insert(index=last, layer=Dropout(0.375))
        service.execute(session, Handcraft(model="m1", edits=(edit,)))
        service.execute(session, DrawerAdd(models=("m2",)))
        one = service.wait_idle(session, timeout_s=180)
        log = store.read(session)
        again = service.reexecute(log)
        two = service.wait_idle(again, timeout_s=180)
        log_two = store.read(again)

        # a log whose recorded architecture the generators do not make: regenerated
        tampered = [
            msgspec.structs.replace(
                e, event=msgspec.structs.replace(e.event, arch=parent.arch)
            ) if event_kind(e.event) == "model_created" and e.event.model == "m2" else e
            for e in log
        ]  # fmt: skip
        third = service.reexecute(tampered)
        assert service.state(third).models["m2"].arch == one.models["m2"].arch
        service.wait_idle(third, timeout_s=180)
    store.close()
    assert again != session
    origins = {type(m.origin).__name__ for m in one.models.values()}
    assert origins == {"Sampled", "Ablation", "Variation", "Handcrafted"}
    assert list(one.models) == list(two.models)
    assert two.drawer == one.drawer == ("m2",)
    for a, b in zip(one.models.values(), two.models.values(), strict=True):
        assert (a.arch, a.seed, a.config, a.parent, a.origin) == (
            b.arch, b.seed, b.config, b.parent, b.origin,
        )  # fmt: skip
        assert a.status == b.status == "done"
        assert a.result.test_acc == b.result.test_acc
        assert a.result.predictions == b.result.predictions
        assert a.result.confusion == b.result.confusion
        strip = [msgspec.structs.replace(e, seconds=0.0) for e in a.curve]
        assert strip == [msgspec.structs.replace(e, seconds=0.0) for e in b.curve]
    # distances are computed anew from identical inputs (in whatever order models finish)
    for projection in ("structure", "predictions"):
        pairs_one, pairs_two = pairs(log, projection), pairs(log_two, projection)
        assert pairs_one.keys() == pairs_two.keys()
        assert len(pairs_one) == len(one.models) * (len(one.models) - 1) // 2
        for key, value in pairs_one.items():
            assert pairs_two[key] == pytest.approx(value, rel=1e-9, abs=1e-12)


def test_a_log_that_does_not_reexecute_writes_nothing(store) -> None:
    with SessionService(store, processes=1) as service:
        session = service.create_session("broken", DATA, settings())
        service.start(session, models=2, seed=5)
        service.wait_idle(session, timeout_s=60)
        log = store.read(session)
        # the second model claims to be an ablation of a layer its parent does not have
        broken = [
            msgspec.structs.replace(e, event=msgspec.structs.replace(
                e.event, origin=Ablation(parent="m1", index=99, batch="other"), parent="m1",
            )) if event_kind(e.event) == "model_created" and e.event.model == "m2" else e
            for e in log
        ]  # fmt: skip
        before = {s.id for s in store.sessions()}
        with pytest.raises(CommandError, match="no layer at index 99"):
            service.reexecute(broken, session="s2")
        assert {s.id for s in store.sessions()} == before
        assert store.last_seq("s2") == 0


def pairs(log, projection: str) -> dict[frozenset, float]:
    """Every recorded distance of `projection` by its pair of models (a row is against
    the first models embedded: the landmarks)."""
    out, order = {}, []
    for e in log:
        if event_kind(e.event) == "model_embedded" and e.event.projection == projection:
            row = unpack_floats(e.event.distances)
            for other, d in zip(order, row.tolist(), strict=False):
                out[frozenset((e.event.model, other))] = d
            order.append(e.event.model)
    return out


def test_reexecution_needs_a_whole_log(store) -> None:
    with SessionService(store, processes=1) as service:
        session = service.create_session("whole", DATA, settings())
        log = store.read(session)
        with pytest.raises(CommandError, match="starts with"):
            service.reexecute(log[1:] or [])
        with pytest.raises(SessionExists, match="exists already") as exists:
            service.reexecute(log, session=session)
        assert isinstance(exists.value, CommandError)
