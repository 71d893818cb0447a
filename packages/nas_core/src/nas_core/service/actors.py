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
Redis per (session, model, attempt), set by the worker that starts the attempt (its
value names the worker and its broker id) and marked ended when it ends. A message whose
attempt another worker claimed:

- ended (its ack was lost), or held by a worker whose broker still beats (a second copy
  of the message, sent again after a Redis restart): dropped; the holder reports;
- held by a worker with no heartbeat for ``HEARTBEAT_TIMEOUT_MS``: that worker died; the
  claim is taken over atomically (`RedisClaims.take_over`, the same step the server's
  watchdog uses, so exactly one of them records it), recorded like `WorkerDied`
  ("training failed" with ``will_retry``, then attempt + 1), never trained twice as the
  same attempt.

Redis unreachable for a while (restarting): sending an event, or a claim, is retried
for up to ``SEND_PATIENCE_S`` so that a training in progress survives a broker restart.
A Redis that restarted without persistence lost its claims and the events it held for
the server: each worker (`Actors.resume`, called by its `Heartbeat`) claims its running
attempts again (one another worker claimed meanwhile is abandoned silently), marks the
recently ended ones ended again, and sends again every record of its running attempts
and of the last ``RECENT_ATTEMPTS`` ended ones (ids make the repeats no-ops).

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
import threading
import time
from collections import deque
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

from .broker import HEARTBEAT_TIMEOUT_MS, _is_redis
from .cancel import CancelFlags, stopper

__all__ = [
    "EVENTS_QUEUE",
    "MAX_ATTEMPTS",
    "TRAIN_QUEUE",
    "TRAIN_TIME_LIMIT_MS",
    "Actors",
    "AttemptLog",
    "EventRecord",
    "RedisClaims",
    "Runner",
    "Runtime",
    "TrainTask",
    "TrainingEvent",
    "declare_actors",
    "event_id",
    "holder_name",
    "pending_records",
    "pending_tasks",
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
RECENT_ATTEMPTS = 32  # ended attempts whose records a worker re-sends after a Redis restart

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


# Atomically: an attempt's claim is ended, alive (its holder's broker beat within the
# timeout), or taken over (set ended now; returns what it held, "" when it was missing).
_TAKE_OVER = """
local v = redis.call("get", KEYS[1])
if v == ARGV[1] then return {"ended", ""} end
if v then
  local id = string.match(v, "^([^|]*)|")
  if id then
    local beat = redis.call("zscore", KEYS[2], id)
    if beat and tonumber(beat) >= tonumber(ARGV[2]) - tonumber(ARGV[3]) then
      return {"alive", v}
    end
  end
end
redis.call("set", KEYS[1], ARGV[1], "EX", ARGV[4])
return {"taken", v or ""}
"""


class RedisClaims:
    """Who started which attempt: keys ``{namespace}:remap-claim:{session}:{model}:{attempt}``
    on the broker's Redis, holding ``"{broker_id}|{worker}"``, then `ENDED`; a TTL bounds
    them. `broker_id`: this process's Dramatiq broker id, whose heartbeat tells whether
    a holder is alive."""

    def __init__(
        self,
        client: object,
        namespace: str = "dramatiq",
        broker_id: str = "",
        heartbeat_timeout_ms: int = HEARTBEAT_TIMEOUT_MS,
    ) -> None:
        self._client = client
        self.namespace = namespace
        self.broker_id = broker_id
        self.heartbeat_timeout_ms = heartbeat_timeout_ms
        self._take_over = client.register_script(_TAKE_OVER)  # type: ignore[attr-defined]

    def key(self, session: str, model: str, attempt: int) -> str:
        return f"{self.namespace}:remap-claim:{session}:{model}:{attempt}"

    def value(self, worker: str) -> str:
        return f"{self.broker_id}|{worker}"

    def claim(self, session: str, model: str, attempt: int, worker: str) -> str | None:
        """Claim the attempt for `worker`: None if it was free, else who holds it (or
        `ENDED`)."""
        key = self.key(session, model, attempt)
        client = self._client
        if client.set(key, self.value(worker), nx=True, ex=CLAIM_TTL_S):  # type: ignore[attr-defined]
            return None
        held = client.get(key)  # type: ignore[attr-defined]
        return None if held is None else held.decode(errors="replace")

    def end(self, session: str, model: str, attempt: int) -> None:
        self._client.set(self.key(session, model, attempt), ENDED, ex=CLAIM_TTL_S)  # type: ignore[attr-defined]

    def take_over(self, session: str, model: str, attempt: int) -> tuple[str, str]:
        """``("ended", "")``, ``("alive", holder)`` (nothing changed), or ``("taken",
        holder)``: the holder (``""``: none, the claim was lost) has no heartbeat, and
        the claim is now ended, by this call alone."""
        keys = [self.key(session, model, attempt), f"{self.namespace}:__heartbeats__"]
        now_ms = int(time.time() * 1000)
        args = [ENDED, now_ms, self.heartbeat_timeout_ms, CLAIM_TTL_S]
        outcome, held = self._take_over(keys=keys, args=args)
        return outcome.decode(), held.decode(errors="replace")

    def check(self, session: str, model: str, attempt: int) -> str:
        """``"free"`` (no claim), ``"ended"``, ``"alive"`` (its holder's broker beat
        within the timeout) or ``"dead"``; changes nothing."""
        client = self._client
        held = client.get(self.key(session, model, attempt))  # type: ignore[attr-defined]
        if held is None:
            return "free"
        value = held.decode(errors="replace")
        if value == ENDED:
            return "ended"
        broker_id = value.split("|", 1)[0]
        beat = client.zscore(f"{self.namespace}:__heartbeats__", broker_id)  # type: ignore[attr-defined]
        alive = beat is not None and beat >= time.time() * 1000 - self.heartbeat_timeout_ms
        return "alive" if alive else "dead"

    def release(self, session: str, model: str, attempt: int) -> None:
        """Forget the attempt's claim (its message is sent again: it may train)."""
        self._client.delete(self.key(session, model, attempt))  # type: ignore[attr-defined]


def holder_name(held: str) -> str:
    """The worker's name in a claim's value (``"{broker_id}|{worker}"``)."""
    return held.split("|", 1)[-1] or "(unknown)"


class _Running:
    """An attempt this process trains: the records it sent so far (JSON, in order)."""

    def __init__(self) -> None:
        self.records: list[str] = []
        self.abandoned = False  # another worker claimed it after a Redis restart


class AttemptLog:
    """This process's running attempts and its last `RECENT_ATTEMPTS` ended ones, with
    the records each sent: what a worker sends again after a Redis restart. One lock
    orders sending a record against sending them again."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.running: dict[tuple[str, str, int], _Running] = {}
        self.recent: deque[tuple[tuple[str, str, int], list[str]]] = deque(maxlen=RECENT_ATTEMPTS)

    def begin(self, key: tuple[str, str, int]) -> _Running:
        with self.lock:
            run = self.running[key] = _Running()
            return run

    def finish(self, key: tuple[str, str, int]) -> None:
        with self.lock:
            run = self.running.pop(key, None)
            if run is not None and not run.abandoned and run.records:
                self.recent.append((key, run.records))


def pending_tasks(broker: dramatiq.Broker, queue: str = TRAIN_QUEUE) -> set[tuple[str, str, int]]:
    """(session, model, attempt) of every ``train_model`` message a Redis broker holds
    on `queue` (waiting or fetched and not acked)."""
    return {(t.session, t.job.model_id, t.attempt) for t in _messages(broker, queue, _decode_task)}


def pending_records(broker: dramatiq.Broker) -> set[tuple[str, str]]:
    """(session, model) of every ``record_events`` message not yet recorded."""
    return {
        (r.session, getattr(r.event, "model", ""))
        for r in _messages(broker, EVENTS_QUEUE, _decode_record)
    }


def _messages(broker: dramatiq.Broker, queue: str, decode: Callable[[bytes], object]) -> list:
    out = []
    for raw in broker.client.hvals(f"{broker.namespace}:{queue}.msgs"):  # type: ignore[attr-defined]
        try:
            args = msgspec.json.decode(raw)["args"]
            out.append(decode(args[0]))
        except (msgspec.DecodeError, KeyError, IndexError, TypeError):
            log.warning("an unreadable message on queue %s: %.200r", queue, raw)
    return out


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
    """The actors declared on one broker, and how to send them work. `claims`: the
    attempts' claims (Redis only); `attempts`: what this process trains (see
    `resume`)."""

    broker: dramatiq.Broker
    runtime: Runtime
    train_model: dramatiq.Actor
    record_events: dramatiq.Actor
    claims: RedisClaims | None = None
    attempts: AttemptLog | None = None

    def enqueue(self, session: str, job: TrainJob, attempt: int = 1) -> dramatiq.Message:
        """Send `job` to ``"train"`` as `attempt`. A cancel flag left over from the
        model's previous training is cleared first (this is a new request)."""
        task = TrainTask(session=session, job=job, attempt=attempt)
        self.runtime.cancel.clear(session, job.model_id)
        return self.train_model.send(_encode(task).decode())

    def resend(self, session: str, job: TrainJob, attempt: int) -> dramatiq.Message:
        """Send `attempt` of `job` again (its message was lost); the cancel flag stays."""
        task = TrainTask(session=session, job=job, attempt=attempt)
        return self.train_model.send(_encode(task).decode())

    def cancel(self, session: str, model: str) -> None:
        """Ask `model`'s training to stop: now if it runs, before it starts if it is
        still on the broker. The worker records "training cancelled"."""
        self.runtime.cancel.cancel(session, model)

    def resume(self, restarted: bool) -> None:
        """Redis is back (a worker's `Heartbeat` calls this): claim the running
        attempts again (an attempt another worker claimed meanwhile is abandoned: it
        stops without a word); after a restart (claims and queued records lost) mark
        the recent ended attempts ended again and send again every record of the
        running and recent attempts, in order."""
        claims, attempts = self.claims, self.attempts
        if claims is None or attempts is None:
            return
        worker = self.runtime.worker
        with attempts.lock:
            for key, run in attempts.running.items():
                held = claims.claim(*key, worker)
                if held is not None and held != claims.value(worker):
                    run.abandoned = True
                    log.warning("attempt %s: claimed by %s meanwhile; abandoning it", key, held)
            if not restarted:
                return
            for key, _ in attempts.recent:
                claims.end(*key)
            resend = [r for _, r in attempts.recent] + [
                run.records for run in attempts.running.values() if not run.abandoned
            ]
            sent = 0
            for records in resend:
                for data in records:
                    self.record_events.send(data)
                    sent += 1
            log.warning("Redis restarted: %d event record(s) sent again", sent)


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
    claims = None
    if _is_redis(broker):
        claims = RedisClaims(
            broker.client,  # type: ignore[attr-defined]
            broker.namespace,  # type: ignore[attr-defined]
            broker.broker_id,  # type: ignore[attr-defined]
            broker.heartbeat_timeout,  # type: ignore[attr-defined]
        )
    attempts = AttemptLog()
    train_actor = dramatiq.actor(
        _trainer(runtime, claims, attempts, lambda: record_actor, lambda: train_actor),
        broker=broker,
        actor_name="train_model",
        queue_name=TRAIN_QUEUE,
        max_retries=0,
        time_limit=TRAIN_TIME_LIMIT_MS,
    )
    return Actors(broker, runtime, train_actor, record_actor, claims, attempts)


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
    attempts: AttemptLog,
    record_actor: Callable[[], dramatiq.Actor],
    train_actor: Callable[[], dramatiq.Actor],
) -> Callable[[str], None]:
    def train_model(task_json: str) -> None:
        task = _decode_task(task_json)
        session, job, attempt = task.session, task.job, task.attempt
        model = job.model_id
        key = (session, model, attempt)
        run = _Running()

        def emit(step: str, event: TrainingEvent) -> None:
            record = EventRecord(session=session, id=event_id(model, attempt, step), event=event)
            data = _encode(record).decode()
            with attempts.lock:  # a re-send after a Redis restart goes before or after
                if run.abandoned:
                    return
                _patiently(f"sending {record.id}", lambda: record_actor().send(data))
                run.records.append(data)

        def next_attempt() -> None:
            task = TrainTask(session=session, job=job, attempt=attempt + 1)
            data = _encode(task).decode()
            _patiently(f"queueing {model} again", lambda: train_actor().send(data))

        if claims is not None:
            holder = _patiently(
                f"claiming {model}", lambda: claims.claim(session, model, attempt, runtime.worker)
            )
            if holder is not None:
                _redelivered(runtime, claims, key, holder, emit, next_attempt)
                return
        run = attempts.begin(key)
        try:
            _train(runtime, session, job, attempt, emit, next_attempt, lambda: run.abandoned)
        finally:
            attempts.finish(key)
            if claims is not None and not run.abandoned:
                _patiently("ending a claim", lambda: claims.end(session, model, attempt))

    return train_model


def _redelivered(
    runtime: Runtime,
    claims: RedisClaims,
    key: tuple[str, str, int],
    holder: str,
    emit: Callable[[str, TrainingEvent], None],
    next_attempt: Callable[[], None],
) -> None:
    """A message whose attempt is claimed: drop it, or record its dead holder's failure
    (see the module docstring)."""
    session, model, attempt = key
    if holder == ENDED:
        return  # a redelivery of an attempt that ended (its ack was lost)
    outcome, held = _patiently(f"checking {model}'s worker", lambda: claims.take_over(*key))
    if outcome != "taken":  # ended meanwhile, or its holder is alive: a second copy
        log.info("attempt %s is %s (%s): dropping a second copy", key, outcome, held)
        return
    retry = attempt < runtime.max_attempts
    reason = f"worker {holder_name(held or holder)} stopped responding"
    emit("failed", _failed(model, attempt, reason, retry))
    if retry:
        next_attempt()
    else:
        _patiently("clearing a cancel", lambda: runtime.cancel.clear(session, model))


def _train(
    runtime: Runtime,
    session: str,
    job: TrainJob,
    attempt: int,
    emit: Callable[[str, TrainingEvent], None],
    next_attempt: Callable[[], None],
    abandoned: Callable[[], bool] = lambda: False,
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

    cancelled = _unless_unreachable(stopper(flags, session, model))
    try:
        result = runtime.runner.run(
            job, on_epoch=on_epoch, should_stop=lambda: abandoned() or cancelled()
        )
    except Cancelled:
        if abandoned():
            return  # another worker trains this attempt now; it reports
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
