"""The Dramatiq actors: training on queue ``"train"``, recording on queue ``"events"``.

Same actors in both modes (DESIGN.md, "Two ways to run, one code path"): in the
embedded mode one process declares them on a `StubBroker` and runs the workers of both
queues; in the scale-out mode ``remap worker`` processes consume ``"train"`` from Redis
and the server, the one process that owns the store, consumes ``"events"``.

``train_model`` trains a `TrainTask` (a `TrainJob`, its session and attempt) with the
runtime's runner (a `TrainerPool` in production) and reports every step as an
`EventRecord` through ``record_events``: "training started", one "epoch completed" per
epoch, then exactly one of "training finished", "training failed" or "training
cancelled". Workers never write the store. Record ids are deterministic
(``f"{model}:{attempt}:started"``, ``…:epoch:{n}``, ``…:finished``, ``…:failed``,
``…:cancelled``), so a redelivered message is a no-op in the store.

Outcomes:

- the runner raises `WorkerDied` (its process was killed, ran out of memory, crashed):
  "training failed" with ``will_retry`` while ``attempt < max_attempts`` (2: one retry),
  and the task goes back on ``"train"`` as attempt + 1; then failed for good;
- `TrainingFailed` (the training raised: a bug in the model, a data mismatch) and any
  other error: "training failed", never retried;
- `TrainingCancelled`, or a cancel found before the training starts: "training
  cancelled" (``was_running`` tells which).

Dramatiq's own retries are off for ``train_model`` (attempts are counted here, where
they are recorded), and its time limit is infinite: trainings take as long as they
take and stop on their own, on cancel, or when their process dies.

Ordering: records of one attempt are sent in order to ``"events"``; consume that queue
with one worker thread (`start_worker(broker, {EVENTS_QUEUE}, 1)`) so they are
recorded in that order.
"""

from __future__ import annotations

import math
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, NamedTuple, Protocol

import dramatiq
import msgspec

from nas_core.events import (
    EpochCompleted,
    TrainingCancelled,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
)
from nas_core.specs import EpochMetrics, TrainResult
from nas_core.training import TrainingCancelled as Cancelled
from nas_core.training import TrainingFailed as Failed
from nas_core.training import TrainJob, WorkerDied

from .cancel import CancelFlags, stopper

__all__ = [
    "EVENTS_QUEUE",
    "MAX_ATTEMPTS",
    "TRAIN_QUEUE",
    "TRAIN_TIME_LIMIT_MS",
    "Actors",
    "EventRecord",
    "Runner",
    "Runtime",
    "TrainTask",
    "TrainingEvent",
    "declare_actors",
    "event_id",
]

TRAIN_QUEUE = "train"
EVENTS_QUEUE = "events"
MAX_ATTEMPTS = 2  # a dead worker process is retried once
TRAIN_TIME_LIMIT_MS = math.inf  # never let Dramatiq interrupt a training
RECORD_TIME_LIMIT_MS = 60_000
RECORD_RETRIES = 3  # a store write that failed (locked, I/O) is retried; ids make it safe

Attempt = Annotated[int, msgspec.Meta(ge=1)]
TrainingEvent = (
    TrainingStarted | EpochCompleted | TrainingFinished | TrainingFailed | TrainingCancelled
)


class TrainTask(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A ``train_model`` message: which session's model to train, how, which attempt."""

    session: Annotated[str, msgspec.Meta(min_length=1)]
    job: TrainJob
    attempt: Attempt = 1


class EventRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A ``record_events`` message: an event for `session`'s log with its
    deterministic `id`. The owner appends it as ``Pending(id, event)``."""

    session: Annotated[str, msgspec.Meta(min_length=1)]
    id: Annotated[str, msgspec.Meta(min_length=1)]
    event: TrainingEvent


class Runner(Protocol):
    """What trains a job: `nas_core.training.TrainerPool` (its `run`)."""

    def run(
        self,
        job: TrainJob,
        *,
        on_epoch: Callable[[EpochMetrics], object] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> TrainResult: ...


def _default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Runtime:
    """What the actors of this process work with.

    `runner`: trains jobs (None in a process that does not consume ``"train"``).
    `cancel`: the cancel flags (shared by every process of a deployment).
    `record`: appends an `EventRecord` to the store (only in the process that owns the
    store and consumes ``"events"``; None elsewhere). `worker`: this process's name in
    "training started". `max_attempts`: attempts of a model whose worker process dies.
    """

    runner: Runner | None
    cancel: CancelFlags
    record: Callable[[EventRecord], object] | None = None
    worker: str = field(default_factory=_default_worker_name)
    max_attempts: int = MAX_ATTEMPTS

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")


def event_id(model: str, attempt: int, step: str) -> str:
    """The deterministic id of a training event: ``f"{model}:{attempt}:{step}"``."""
    return f"{model}:{attempt}:{step}"


_encode = msgspec.json.Encoder().encode
_decode_task = msgspec.json.Decoder(TrainTask).decode
_decode_record = msgspec.json.Decoder(EventRecord).decode


class Actors(NamedTuple):
    """The actors declared on one broker, and how to send them work."""

    broker: dramatiq.Broker
    runtime: Runtime
    train_model: dramatiq.Actor
    record_events: dramatiq.Actor

    def enqueue(self, session: str, job: TrainJob, attempt: int = 1) -> dramatiq.Message:
        """Send `job` to ``"train"`` as `attempt`. A cancel flag left over from the
        model's previous training is cleared first (this is a new request)."""
        task = TrainTask(session=session, job=job, attempt=attempt)
        self.runtime.cancel.clear(session, job.model_id)
        return self.train_model.send(_encode(task).decode())

    def cancel(self, session: str, model: str) -> None:
        """Ask `model`'s training to stop: now if it runs, before it starts if it is
        still on the broker. The worker records "training cancelled"."""
        self.runtime.cancel.cancel(session, model)


def declare_actors(broker: dramatiq.Broker, runtime: Runtime) -> Actors:
    """Declare ``train_model`` (queue ``"train"``) and ``record_events`` (queue
    ``"events"``) on `broker`, working with `runtime`. Once per broker: Dramatiq
    refuses a second actor of the same name."""
    record_actor = dramatiq.actor(
        _recorder(runtime),
        broker=broker,
        actor_name="record_events",
        queue_name=EVENTS_QUEUE,
        max_retries=RECORD_RETRIES,
        min_backoff=100,
        max_backoff=5_000,
        time_limit=RECORD_TIME_LIMIT_MS,
    )
    train_actor = dramatiq.actor(
        _trainer(runtime, lambda: record_actor, lambda: train_actor),
        broker=broker,
        actor_name="train_model",
        queue_name=TRAIN_QUEUE,
        max_retries=0,
        time_limit=TRAIN_TIME_LIMIT_MS,
    )
    return Actors(broker, runtime, train_actor, record_actor)


def _recorder(runtime: Runtime) -> Callable[[str], None]:
    def record_events(record_json: str) -> None:
        if runtime.record is None:
            raise RuntimeError(
                "record_events reached a process that does not own the event store: "
                f"consume the {EVENTS_QUEUE!r} queue only in the server (the store's owner)"
            )
        runtime.record(_decode_record(record_json))

    return record_events


def _trainer(
    runtime: Runtime,
    record_actor: Callable[[], dramatiq.Actor],
    train_actor: Callable[[], dramatiq.Actor],
) -> Callable[[str], None]:
    def train_model(task_json: str) -> None:
        task = _decode_task(task_json)
        session, job, attempt = task.session, task.job, task.attempt
        model = job.model_id

        def emit(step: str, event: TrainingEvent) -> None:
            record = EventRecord(session=session, id=event_id(model, attempt, step), event=event)
            record_actor().send(_encode(record).decode())

        flags = runtime.cancel
        if flags.is_cancelled(session, model):
            emit("cancelled", TrainingCancelled(model=model, was_running=False))
            flags.clear(session, model)
            return
        if runtime.runner is None:
            raise RuntimeError(
                f"train_model reached a process without a trainer: consume the "
                f"{TRAIN_QUEUE!r} queue only where the runtime has a runner"
            )
        emit("started", TrainingStarted(model=model, attempt=attempt, worker=runtime.worker))

        def on_epoch(metrics: EpochMetrics) -> None:
            emit(
                f"epoch:{metrics.epoch}",
                EpochCompleted(model=model, attempt=attempt, metrics=metrics),
            )

        try:
            result = runtime.runner.run(
                job, on_epoch=on_epoch, should_stop=stopper(flags, session, model)
            )
        except Cancelled:
            emit("cancelled", TrainingCancelled(model=model, was_running=True))
        except WorkerDied as died:
            retry = attempt < runtime.max_attempts
            emit("failed", _failed(model, attempt, died.reason, retry))
            if retry:  # the cancel flag stays: a cancel meanwhile stops the next attempt
                task = TrainTask(session=session, job=job, attempt=attempt + 1)
                train_actor().send(_encode(task).decode())
                return
        except Failed as failed:
            emit("failed", _failed(model, attempt, failed.reason, False))
        except Exception as error:  # whatever it is, the model must not stay "running"
            emit("failed", _failed(model, attempt, f"{type(error).__name__}: {error}", False))
        else:
            emit("finished", TrainingFinished(model=model, attempt=attempt, result=result))
        flags.clear(session, model)

    return train_model


def _failed(model: str, attempt: int, reason: str, retry: bool) -> TrainingFailed:
    return TrainingFailed(model=model, attempt=attempt, reason=reason, will_retry=retry)
