"""A stop is not a user's cancel (issue 17 item 5, issue 23 item E).

Closing the service (a Ctrl-C of ``remap serve`` / ``remap demo``) stops the trainings in
progress without cancelling them: they are recorded stopped ("training failed" with
``stopped``, back at the head of the queue), and the next start trains them to the end.
A stop does not use up a model's retries (``ModelState.tries``), and a model queued
again by hand, cancelled or failed, gets its retries afresh."""

from __future__ import annotations

import time

from nas_core.arch import Architecture, Dense, Flatten, Input, ReLU
from nas_core.events import (
    Cancel,
    Enqueue,
    EventStore,
    Pending,
    Sample,
    TrainingCancelled,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
    fold,
)
from nas_core.service import (
    EVENTS_QUEUE,
    MAX_ATTEMPTS,
    STOPPED,
    TRAIN_QUEUE,
    EventRecord,
    MemoryCancelFlags,
    Runtime,
    SessionService,
    declare_actors,
    make_broker,
    start_worker,
)
from nas_core.service.session import INTERRUPTED
from nas_core.specs import DataSpec, Settings, TrainConfig
from nas_core.training import TrainJob, WorkerDied

from nas_core_event_sim import WIDTH, InstantRunner, Sim

DATA = DataSpec(limit=240, split_seed=3)


def stopped_event(model: str, attempt: int) -> TrainingFailed:
    return TrainingFailed(model, attempt, STOPPED, will_retry=True, stopped=True)


def failures(store: EventStore, session: str) -> list[TrainingFailed]:
    return [e.event for e in store.read(session) if isinstance(e.event, TrainingFailed)]


def test_closing_stops_the_trainings_and_the_next_start_trains_them_to_the_end(tmp_path):
    store = EventStore(tmp_path / "remap.db")
    settings = Settings(train=TrainConfig(epochs=1000, batch_size=64), concurrency=2)
    with SessionService(store, processes=2) as service:  # real trainer processes
        session = service.create_session("stop", DATA, settings)
        service.start(session, models=3, seed=2)
        deadline = time.monotonic() + 120
        while True:  # two models train, each an epoch or more into its 1000
            state = service.state(session)
            running = [m.id for m in state.models.values() if m.status == "running" and m.curve]
            if len(running) == 2:
                break
            assert time.monotonic() < deadline, f"not two training: {state.models}"
            time.sleep(0.02)
    # closed, as a Ctrl-C does: stopped, not cancelled, and back at the head of the queue
    log = store.read(session)
    assert not any(isinstance(e.event, TrainingCancelled) for e in log)
    stops = failures(store, session)
    assert {(f.model, f.attempt) for f in stops} == {(m, 1) for m in running}
    assert all(f.stopped and f.will_retry and f.reason == STOPPED for f in stops)
    state = fold(log)
    assert set(state.queue[:2]) == set(running)
    assert all(state.models[m].status == "queued" and state.models[m].tries == 0 for m in running)

    with SessionService(store, runner=InstantRunner(), processes=2) as service:
        state = service.wait_idle(session, timeout_s=120)
    assert {m.status for m in state.models.values()} == {"done"}
    log = store.read(session)
    assert not any(isinstance(e.event, TrainingCancelled) for e in log)
    assert failures(store, session) == stops  # nothing counted as a crash at the start
    for model in running:
        assert state.models[model].attempts == 2
        finished = [e.event for e in log if isinstance(e.event, TrainingFinished)]
        assert [f.attempt for f in finished if f.model == model] == [2]
    store.close()


def test_stops_do_not_use_up_the_retry_of_a_crash(tmp_path) -> None:
    with EventStore(tmp_path / "remap.db") as store:
        sim = Sim(store, session="s1")
        sim.command(Sample(count=1, seed=1, id="start"))
        for attempt in (1, 2):  # two Ctrl-Cs of the server while m1 trained
            sim.start("m1")
            sim.append([Pending(f"m1:{attempt}:failed", stopped_event("m1", attempt))])
            assert sim.state.models["m1"].tries == 0
        sim.start("m1")  # attempt 3, its server then killed: left running
        assert sim.state.models["m1"].tries == 1
        with SessionService(store, runner=InstantRunner(WIDTH), processes=1) as service:
            state = service.wait_idle("s1", timeout_s=60)
        m1 = state.models["m1"]
        assert (m1.status, m1.attempts) == ("done", 4)
        crash = failures(store, "s1")[-1]
        assert (crash.attempt, crash.reason, crash.will_retry) == (3, INTERRUPTED, True)


def test_a_model_queued_again_by_hand_gets_its_retries_afresh(tmp_path) -> None:
    with EventStore(tmp_path / "remap.db") as store:
        sim = Sim(store, session="s1")
        sim.command(Sample(count=2, seed=1, id="start"))
        for attempt in range(1, MAX_ATTEMPTS + 1):  # m1 crashed at every attempt
            sim.start("m1")
            retry = attempt < MAX_ATTEMPTS
            failed = TrainingFailed("m1", attempt, "worker died", will_retry=retry)
            sim.append([Pending(f"m1:{attempt}:failed", failed)])
        sim.command(Cancel(model="m2"))
        assert [sim.state.models[m].status for m in ("m1", "m2")] == ["failed", "cancelled"]
        sim.command(Enqueue(models=("m1", "m2")))  # the queue's Retry
        assert sim.state.models["m1"].tries == 0
        sim.start("m1")  # attempt 3, its server then killed: left running
        with SessionService(store, runner=InstantRunner(WIDTH), processes=1) as service:
            state = service.wait_idle("s1", timeout_s=60)
        assert [state.models[m].status for m in ("m1", "m2")] == ["done", "done"]
        assert state.models["m1"].attempts == MAX_ATTEMPTS + 2
        crash = failures(store, "s1")[-1]
        assert (crash.attempt, crash.will_retry) == (MAX_ATTEMPTS + 1, True)


class Scripted:
    """A `Runner` whose runs end as scripted, one entry a run: an error to raise, or
    None to train (at once)."""

    def __init__(self, *ends: BaseException | None) -> None:
        self.ends = list(ends)

    def run(self, job: TrainJob, *, on_epoch=None, should_stop=None):
        end = self.ends.pop(0)
        if end is not None:
            raise end
        return InstantRunner(WIDTH).run(job, on_epoch=on_epoch)


def tiny_job(model: str) -> TrainJob:
    arch = Architecture(
        name=model,
        input=Input(shape=(1, 8, 8), classes=10),
        layers=(Flatten(), Dense(units=16), ReLU(), Dense(units=10)),
    )
    return TrainJob(model_id=model, arch=arch, config=TrainConfig(epochs=1), seed=7, data=DATA)


def test_a_pool_closed_under_a_training_is_a_stop_that_keeps_the_retries() -> None:
    # a `remap worker` stopped (Ctrl-C) before its training ended closes its pool under
    # it: another worker takes the model up, and a crash after that is still retried
    closed = WorkerDied("worker process 1 was stopped: the trainer pool was closed", None, True)
    runner = Scripted(closed, WorkerDied("worker process 2 was killed by SIGKILL", -9), None)
    records: list[EventRecord] = []
    broker = make_broker(None)
    actors = declare_actors(
        broker, Runtime(runner=runner, cancel=MemoryCancelFlags(), record=records.append)
    )
    train = start_worker(broker, {TRAIN_QUEUE}, 1, idle_wake_ms=50)
    events = start_worker(broker, {EVENTS_QUEUE}, 1, idle_wake_ms=50)
    try:
        actors.enqueue("s1", tiny_job("m1"))
        train.join(30)
        events.join(30)
    finally:
        train.stop(5)
        events.stop(5)
    assert train.finish(5)  # nothing left in progress
    ends = [
        (r.id, r.event.will_retry, r.event.stopped)
        for r in records
        if isinstance(r.event, TrainingFailed)
    ]
    assert ends == [("m1:1:failed", True, True), ("m1:2:failed", True, False)]
    assert records[1].event.reason == STOPPED
    started = [r.event.attempt for r in records if isinstance(r.event, TrainingStarted)]
    assert started == [1, 2, 3]
    assert records[-1].id == "m1:3:finished"
