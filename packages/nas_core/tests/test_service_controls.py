"""The session controls honoured by the service's dispatch (issue 19): a paused queue
starts no training (the running one finishes), resuming starts them again, and a
changed concurrency takes effect at once (capped by the embedded trainer processes).
The real service, StubBroker and Dramatiq worker threads; an `InstantRunner` held at a
gate stands in for torch, so what is running at each step is known exactly."""

from __future__ import annotations

import threading

import pytest
from test_service_session import wait_for

from nas_core.events import (
    MemoryEventStore,
    PauseQueue,
    Replicate,
    ResumeQueue,
    Sample,
    SetConcurrency,
)
from nas_core.service.session import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig
from nas_core.train_overrides import TrainOverrides

from nas_core_event_sim import InstantRunner

DATA = DataSpec(limit=240, split_seed=3)


@pytest.fixture
def gated():
    gate = threading.Event()
    runner = InstantRunner(gate=gate)
    service = SessionService(MemoryEventStore(), runner=runner, processes=3)
    yield service, runner, gate
    gate.set()
    service.close()


def running(service, session) -> list[str]:
    return [m.id for m in service.state(session).models.values() if m.status == "running"]


def new_session(service, concurrency: int) -> str:
    settings = Settings(train=TrainConfig(epochs=1, batch_size=64), concurrency=concurrency)
    return service.create_session("controls", DATA, settings)


def test_a_paused_queue_starts_nothing_until_resumed(gated) -> None:
    service, runner, gate = gated
    session = new_session(service, concurrency=1)
    service.execute(session, Sample(count=3, seed=4))
    wait_for(lambda: running(service, session) == ["m1"])
    service.execute(session, PauseQueue())
    gate.set()  # m1 finishes; with the queue paused, nothing is handed out after it
    wait_for(lambda: service.state(session).models["m1"].status == "done")
    state = service.state(session)
    assert state.paused
    assert state.queue == ("m2", "m3")
    assert service._dispatcher.dispatched(session) == frozenset()  # decided on record
    assert runner.started == 1
    service.execute(session, ResumeQueue())
    state = service.wait_idle(session, timeout_s=60)
    assert [m.status for m in state.models.values()] == ["done"] * 3
    assert runner.started == 3


def test_a_changed_concurrency_takes_effect_at_once_up_to_the_processes(gated) -> None:
    service, _, gate = gated
    session = new_session(service, concurrency=1)
    service.execute(session, Sample(count=5, seed=4))
    wait_for(lambda: running(service, session) == ["m1"])
    service.execute(session, SetConcurrency(concurrency=2))
    assert service._dispatcher.dispatched(session) == {"m1", "m2"}
    wait_for(lambda: running(service, session) == ["m1", "m2"])
    service.execute(session, SetConcurrency(concurrency=8))  # 3 trainer processes
    assert len(service._dispatcher.dispatched(session)) == 3
    wait_for(lambda: len(running(service, session)) == 3)
    service.execute(session, SetConcurrency(concurrency=1))  # the running ones finish
    assert len(service._dispatcher.dispatched(session)) == 3
    gate.set()
    state = service.wait_idle(session, timeout_s=60)
    assert [m.status for m in state.models.values()] == ["done"] * 5


def test_replicates_and_overrides_train_as_recorded(gated) -> None:
    service, _, gate = gated
    gate.set()
    session = new_session(service, concurrency=2)
    service.execute(session, Sample(count=1, seed=4, train=TrainOverrides(epochs=3)))
    service.execute(session, Replicate(model="m1", seeds=2, train=TrainOverrides(epochs=2)))
    state = service.wait_idle(session, timeout_s=60)
    curves = {m.id: len(m.curve) for m in state.models.values()}
    assert curves == {"m1": 3, "m2": 2, "m3": 2}  # the runner ran each job's epochs
    assert {m.arch_hash for m in state.models.values()} == {state.models["m1"].arch_hash}
