"""A supernet training is an entry of the session's queue (issue 18): the queue's own
commands reorder and cancel it, it waits for its turn under the concurrency limit, and
a crashed trainer process is retried within the retry budget, as a model's is."""

from __future__ import annotations

import pytest

from nas_core.events import CommandError, EventStore
from nas_core.events import kinds as k
from nas_core.events.commands import (
    Cancel,
    DefineSupernet,
    PauseQueue,
    Reorder,
    ResumeQueue,
    Sample,
    SetConcurrency,
    TrainSupernet,
)
from nas_core.service import SessionService
from nas_core.training.errors import WorkerDied


@pytest.fixture
def service(tmp_path):
    with SessionService(EventStore(tmp_path / "s.db"), data_root=tmp_path, processes=1) as s:
        yield s


def _paused_with_supernet(service, models: int = 0) -> str:
    session = service.create_session("queue")
    service.execute(session, PauseQueue())
    if models:
        service.execute(session, Sample(count=models, seed=1))
    service.execute(session, DefineSupernet(template="lenet-digits-v1"))
    service.execute(session, TrainSupernet(epochs=1, seed=1))
    return session


def _kinds(service, session, kind) -> list:
    return [e.event for e in service.store.read(session) if isinstance(e.event, kind)]


def test_a_queued_supernet_training_is_cancelled_with_the_queue_s_command(service):
    session = _paused_with_supernet(service)
    assert service.state(session).queue == ("s1",)
    service.execute(session, Cancel(model="s1"))
    state = service.state(session)
    assert state.queue == ()
    assert state.oneshot.supernets["s1"].status == "cancelled"
    assert not _kinds(service, session, k.SupernetTrainingStarted)
    with pytest.raises(CommandError) as err:  # a second cancel says why, with its path
        service.execute(session, Cancel(model="s1"))
    assert err.value.path == "$.model"
    assert "cancelled" in err.value.reason
    service.execute(session, TrainSupernet(epochs=1, seed=2))  # queued again: back in line
    assert service.state(session).queue == ("s1",)


def test_a_supernet_training_is_reordered_and_handed_out_in_its_turn(service):
    session = _paused_with_supernet(service, models=2)
    state = service.state(session)
    assert state.queue[-1] == "s1"
    assert len(state.queue) == 3
    models = state.queue[:2]
    service.execute(session, Reorder(order=("s1", *models)))
    assert service.state(session).queue == ("s1", *models)
    service.execute(session, SetConcurrency(concurrency=1))
    service.execute(session, ResumeQueue())
    assert service._dispatcher.dispatched(session) == {"s1"}  # its turn, alone
    # cancelled while handed out (or training): the runner stops it and records it
    service.execute(session, Cancel(model="s1"))
    state = service.oneshot.wait(
        session, lambda s: s.oneshot.supernets["s1"].status == "cancelled", timeout_s=120
    )
    (cancelled,) = _kinds(service, session, k.TrainingCancelled)
    assert cancelled.model == "s1"
    assert cancelled.attempt == 1
    assert "s1" not in service._dispatcher.dispatched(session)
    assert models[0] in service._dispatcher.dispatched(session)  # the next one's turn


def test_a_crashed_supernet_training_is_retried_then_fails_with_its_reason(service):
    calls = []

    def crash(job, **_):
        calls.append(job.model_id)
        raise WorkerDied("the trainer process ended with exit code -9", -9)

    service.oneshot._run = crash  # a trainer process that dies under every attempt
    session = service.create_session("crash")
    service.execute(session, DefineSupernet(template="lenet-digits-v1"))
    service.execute(session, TrainSupernet(epochs=1, seed=1))
    state = service.oneshot.wait(
        session, lambda s: s.oneshot.supernets["s1"].status == "failed", timeout_s=60
    )
    failed = _kinds(service, session, k.SupernetTrainingFailed)
    assert [(f.attempt, f.will_retry) for f in failed] == [(1, True), (2, False)]
    assert len(calls) == 2  # the retry budget of a model (max_attempts = 2)
    record = state.oneshot.supernets["s1"]
    assert record.error == "the trainer process ended with exit code -9"
    assert record.attempts == 2
    assert state.queue == ()
    assert service._dispatcher.dispatched(session) == frozenset()
