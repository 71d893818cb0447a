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

A redelivered message (scale-out: Dramatiq puts a dead worker's unacked message back on
``"train"``, see `nas_core.service.broker`) is told from a first delivery by a claim in
Redis per (session, model, attempt), set by the worker that starts the attempt and
marked ended when it ends: a message whose attempt another worker claimed and never
ended means that worker died; it is recorded like `WorkerDied` ("training failed" with
``will_retry``, then attempt + 1) and never trained twice as the same attempt. A
message whose attempt ended (its ack was lost) is dropped.

Redis unreachable for a while (restarting): sending an event, or a claim, is retried
for up to ``SEND_PATIENCE_S`` so that a training in progress survives a broker restart.

Dramatiq's own retries are off for ``train_model`` (attempts are counted here, where
they are recorded), and its time limit is infinite: trainings take as long as they
take and stop on their own, on cancel, or when their process dies.

Ordering: records of one attempt are sent in order to ``"events"``; consume that queue
with one worker thread (`start_worker(broker, {EVENTS_QUEUE}, 1)`) so they are
recorded in that order.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
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

from .broker import _is_redis
from .cancel import CancelFlags, stopper

__all__ = [
    "EVENTS_QUEUE",
    "MAX_ATTEMPTS",
    "TRAIN_QUEUE",
    "TRAIN_TIME_LIMIT_MS",
    "Actors",
    "EventRecord",
    "RedisClaims",
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
SEND_PATIENCE_S = 300.0  # how long a worker keeps trying to reach a Redis that is down
CLAIM_TTL_S = 7 * 24 * 3600
ENDED = "\x00ended"  # a claim's value once its attempt ended

log = logging.getLogger(__name__)

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


class RedisClaims:
    """Who started which attempt: keys ``{namespace}:remap-claim:{session}:{model}:{attempt}``
    on the broker's Redis, holding the worker's name, then `ENDED`; a TTL bounds them."""

    def __init__(self, client: object, namespace: str = "dramatiq") -> None:
        self._client = client
        self.namespace = namespace

    def key(self, session: str, model: str, attempt: int) -> str:
        return f"{self.namespace}:remap-claim:{session}:{model}:{attempt}"

    def claim(self, session: str, model: str, attempt: int, worker: str) -> str | None:
        """Claim the attempt for `worker`: None if it was free, else who holds it (or
        `ENDED`)."""
        key = self.key(session, model, attempt)
        client = self._client
        if client.set(key, worker, nx=True, ex=CLAIM_TTL_S):  # type: ignore[attr-defined]
            return None
        held = client.get(key)  # type: ignore[attr-defined]
        return None if held is None else held.decode(errors="replace")

    def end(self, session: str, model: str, attempt: int) -> None:
        self._client.set(self.key(session, model, attempt), ENDED, ex=CLAIM_TTL_S)  # type: ignore[attr-defined]


def _transient(error: BaseException) -> bool:
    """Whether `error` is the broker being unreachable (worth trying again)."""
    if isinstance(error, ConnectionError | TimeoutError):  # OS-level socket errors
        return True
    names = {c.__name__ for c in type(error).__mro__}
    return bool(names & {"ConnectionError", "TimeoutError", "BrokerConnectionError"})


def _patiently(what: str, action: Callable[[], object], patience_s: float = SEND_PATIENCE_S):
    """`action()`, tried again with backoff while the broker is unreachable."""
    deadline = time.monotonic() + patience_s
    wait = 0.1
    while True:
        try:
            return action()
        except Exception as error:
            if not _transient(error) or time.monotonic() + wait > deadline:
                raise
            log.warning("%s: broker unreachable (%s); trying again in %.1f s", what, error, wait)
            time.sleep(wait)
            wait = min(wait * 2, 2.0)


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
    claims = RedisClaims(broker.client, broker.namespace) if _is_redis(broker) else None  # type: ignore[attr-defined]
    train_actor = dramatiq.actor(
        _trainer(runtime, claims, lambda: record_actor, lambda: train_actor),
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
    claims: RedisClaims | None,
    record_actor: Callable[[], dramatiq.Actor],
    train_actor: Callable[[], dramatiq.Actor],
) -> Callable[[str], None]:
    def train_model(task_json: str) -> None:
        task = _decode_task(task_json)
        session, job, attempt = task.session, task.job, task.attempt
        model = job.model_id

        def emit(step: str, event: TrainingEvent) -> None:
            record = EventRecord(session=session, id=event_id(model, attempt, step), event=event)
            data = _encode(record).decode()
            _patiently(f"sending {record.id}", lambda: record_actor().send(data))

        def next_attempt() -> None:
            task = TrainTask(session=session, job=job, attempt=attempt + 1)
            data = _encode(task).decode()
            _patiently(f"queueing {model} again", lambda: train_actor().send(data))

        flags = runtime.cancel
        if claims is not None:
            holder = _patiently(
                f"claiming {model}", lambda: claims.claim(session, model, attempt, runtime.worker)
            )
            if holder == ENDED:
                return  # a redelivery of an attempt that ended (its ack was lost)
            if holder is not None:  # redelivered: the worker that took it is gone
                retry = attempt < runtime.max_attempts
                reason = f"worker {holder} stopped responding"
                emit("failed", _failed(model, attempt, reason, retry))
                _patiently("ending a claim", lambda: claims.end(session, model, attempt))
                if retry:
                    next_attempt()
                else:
                    _patiently("clearing a cancel", lambda: flags.clear(session, model))
                return
        try:
            _train(runtime, session, job, attempt, emit, next_attempt)
        finally:
            if claims is not None:
                _patiently("ending a claim", lambda: claims.end(session, model, attempt))

    return train_model


def _train(
    runtime: Runtime,
    session: str,
    job: TrainJob,
    attempt: int,
    emit: Callable[[str, TrainingEvent], None],
    next_attempt: Callable[[], None],
) -> None:
    model = job.model_id
    flags = runtime.cancel
    if _patiently("checking for a cancel", lambda: flags.is_cancelled(session, model)):
        emit("cancelled", TrainingCancelled(model=model, was_running=False))
        _patiently("clearing a cancel", lambda: flags.clear(session, model))
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
            job, on_epoch=on_epoch, should_stop=_unless_unreachable(stopper(flags, session, model))
        )
    except Cancelled:
        emit("cancelled", TrainingCancelled(model=model, was_running=True))
    except WorkerDied as died:
        retry = attempt < runtime.max_attempts
        emit("failed", _failed(model, attempt, died.reason, retry))
        if retry:  # the cancel flag stays: a cancel meanwhile stops the next attempt
            next_attempt()
            return
    except Failed as failed:
        emit("failed", _failed(model, attempt, failed.reason, False))
    except Exception as error:  # whatever it is, the model must not stay "running"
        emit("failed", _failed(model, attempt, f"{type(error).__name__}: {error}", False))
    else:
        emit("finished", TrainingFinished(model=model, attempt=attempt, result=result))
    _patiently("clearing a cancel", lambda: flags.clear(session, model))


def _unless_unreachable(should_stop: Callable[[], bool]) -> Callable[[], bool]:
    """`should_stop`, False while the flags cannot be reached (it asks again later):
    a broker restarting does not end the trainings in progress."""

    def check() -> bool:
        try:
            return should_stop()
        except Exception as error:
            if not _transient(error):
                raise
            return False

    return check


def _failed(model: str, attempt: int, reason: str, retry: bool) -> TrainingFailed:
    return TrainingFailed(model=model, attempt=attempt, reason=reason, will_retry=retry)
