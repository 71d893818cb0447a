"""The Dramatiq actors: training on queue ``"train"``, recording on queue ``"events"``.

Same actors in both modes (DESIGN.md, "Two ways to run, one code path"): in the
embedded mode one process declares them on a `StubBroker` and runs the workers of both
queues; in the scale-out mode ``remap worker`` processes consume ``"train"`` from Redis
and the server, the one process that owns the store, consumes ``"events"``.

``train_model`` trains a `TrainTask` (a `TrainJob`, its session and attempt) with the
runtime's runner (a `TrainerPool` in production) and reports every step as an
`EventRecord` through ``record_events``: "training started", one "epoch completed" per
epoch, then exactly one of "training finished", "training failed" or "training
cancelled". Workers never write the store. The messages and their deterministic ids
are in `nas_core.service.messages`.

Outcomes:

- the runner raises `WorkerDied` (its process was killed, ran out of memory, crashed):
  "training failed" with ``will_retry`` while the attempt's tries (`TrainTask.counted`,
  the fold's `ModelState.tries`) are below ``max_attempts`` (2: one retry), and the
  task goes back on ``"train"`` as attempt + 1; then failed for good;
- `TrainingFailed` (the training raised: a bug in the model, a data mismatch) and any
  other error: "training failed", never retried;
- `TrainingCancelled`, or a cancel found before the training starts: "training
  cancelled" (``was_running`` tells which): the user's cancel, for good;
- a stop (`Runtime.stop`: the embedded server closing, Ctrl-C; or the trainer pool
  closed under the training, `WorkerDied.stopped`: a worker's Ctrl-C that did not wait
  for it): "training failed" with ``stopped`` and ``will_retry`` (reason `STOPPED`),
  which sends the model back to the head of the queue without using up its retries; a
  stop is not a user's cancel. A message taken up while the runtime stops is left
  alone: the log shows its model queued, and the next start hands it out again.

A redelivered message (scale-out: Dramatiq puts a dead worker's unacked message back on
``"train"``, see `nas_core.service.broker`) is told from a first delivery by a claim per
(session, model, attempt) (`nas_core.service.claims`), set by the worker that starts the
attempt and marked ended when it ends. A message whose attempt another worker claimed:

- ended (its ack was lost), or held by a worker whose broker still beats (a second copy
  of the message, sent again after a Redis restart): dropped; the holder reports;
- held by a worker with no heartbeat for ``HEARTBEAT_TIMEOUT_MS``: that worker died; the
  claim is taken over atomically (`RedisClaims.take_over`, the same step the server's
  watchdog uses, so exactly one of them records it), recorded like `WorkerDied`
  ("training failed" with ``will_retry``, then attempt + 1), never trained twice as the
  same attempt.

Redis unreachable for a while (restarting): sending an event, or a claim, is retried
(`nas_core.service.broker.patiently`) so that a training in progress survives a broker
restart. A Redis that restarted without persistence lost its claims and the events it
held for the server: each worker (`Actors.resume`, called by its `Heartbeat`) claims its running
attempts again (one another worker claimed meanwhile is abandoned silently), marks the
recently ended ones ended again, and sends again what the store does not hold yet.

End-to-end delivery (scale-out): a worker keeps every record of an attempt, numbered in
order (`EventRecord.n`), until the server's receipt (`nas_core.service.receipts`) says
the store holds them all, and sends again what is missing when the receipt stops
growing for ``RESEND_AFTER_S`` (then at growing intervals, up to ``RESEND_MAX_S``): so
no record is lost whatever Redis keeps or whichever process dies, short of the worker
itself before its records are in. The server appends them in their order
(`nas_core.service.in_order`); ids make the repeats no-ops.

Dramatiq's own retries are off for ``train_model`` (attempts are counted here, where
they are recorded), and its time limit is infinite: trainings take as long as they
take and stop on their own, on cancel, or when their process dies.

Ordering: records of one attempt are sent in order to ``"events"``, numbered; the
recorder appends them in that order whatever order they arrive in
(`nas_core.service.in_order`); consume that queue with one worker thread
(`start_worker(broker, {EVENTS_QUEUE}, 1)`).
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
from typing import NamedTuple, Protocol

import dramatiq

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

from .broker import patiently, transient
from .cancel import CancelFlags, stopper
from .claims import ENDED, Claims, claims_for, holder_name
from .messages import (
    EVENTS_QUEUE,
    TRAIN_QUEUE,
    EventRecord,
    TrainingEvent,
    TrainTask,
    decode_record,
    decode_task,
    encode,
    event_id,
)
from .receipts import RedisReceipts, receipts_for

__all__ = [
    "MAX_ATTEMPTS",
    "STOPPED",
    "TRAIN_TIME_LIMIT_MS",
    "Actors",
    "AttemptLog",
    "Runner",
    "Runtime",
    "declare_actors",
]

MAX_ATTEMPTS = 2  # a dead worker process is retried once
STOPPED = (
    "stopped: the process training it was stopped before the training ended; "
    "it trains again from the start"
)
TRAIN_TIME_LIMIT_MS = math.inf  # never let Dramatiq interrupt a training
RECORD_TIME_LIMIT_MS = 60_000
RECORD_RETRIES = 3  # a store write that failed (locked, I/O) is retried; ids make it safe
RECENT_ATTEMPTS = 32  # ended attempts whose claims a worker marks again after a Redis restart
KEPT_ATTEMPTS = 256  # ended attempts whose records wait for a receipt (then the oldest go)
RESEND_AFTER_S = 5.0  # a receipt that stopped growing this long: send the rest again
RESEND_MAX_S = 60.0  # ... then after twice as long each time, up to this
DELIVERY_CHECK_S = 1.0

log = logging.getLogger(__name__)


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
    `stopping`: set by `stop` (this process is closing).
    """

    runner: Runner | None
    cancel: CancelFlags
    record: Callable[[EventRecord], object] | None = None
    worker: str = field(default_factory=_default_worker_name)
    max_attempts: int = MAX_ATTEMPTS
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")

    def stop(self) -> None:
        """Stop the trainings in progress here at their next batch boundary, recorded
        as stopped (not cancelled: they train again at the next start), and start no
        other."""
        self.stopping.set()


class _Running:
    """An attempt this process trains or trained: the records it sent (JSON, in order),
    and how many of them the store holds (its last receipt)."""

    def __init__(self) -> None:
        self.records: list[str] = []
        self.last_id: str | None = None  # of the last record
        self.abandoned = False  # another worker claimed it after a Redis restart
        self.acked = 0  # records the store holds, as far as this process knows
        self.stall_since = time.monotonic()  # the receipt last grew (or had all)
        self.wait = RESEND_AFTER_S

    @property
    def missing(self) -> list[str]:
        return self.records[self.acked :]


Key = tuple[str, str, int]  # (session, model, attempt)


class AttemptLog:
    """This process's running attempts and its ended ones whose records the store may
    not hold yet (see the module: end-to-end delivery), and the keys of its last
    `RECENT_ATTEMPTS` ended ones. One lock orders sending a record against sending
    them again. `receipts`: the server's (None in the embedded mode: nothing is kept);
    `send`: sends a record's JSON to ``"events"``."""

    def __init__(
        self, receipts: RedisReceipts | None = None, send: Callable[[str], object] | None = None
    ) -> None:
        self.lock = threading.RLock()
        self.running: dict[Key, _Running] = {}
        self.unacked: dict[Key, _Running] = {}  # ended, waiting for their receipt
        self.recent: deque[Key] = deque(maxlen=RECENT_ATTEMPTS)
        self.receipts = receipts
        self.send = send
        self._thread: threading.Thread | None = None

    def begin(self, key: Key) -> _Running:
        with self.lock:
            run = self.running[key] = _Running()
            if self.receipts is not None and self._thread is None:
                self._thread = threading.Thread(
                    target=self._deliver, name="remap-delivery", daemon=True
                )
                self._thread.start()
            return run

    def finish(self, key: Key) -> None:
        with self.lock:
            run = self.running.pop(key, None)
            if run is None or run.abandoned or not run.records:
                return
            self.recent.append(key)
            if self.receipts is not None and run.acked < len(run.records):
                self.unacked[key] = run
                while len(self.unacked) > KEPT_ATTEMPTS:
                    old = next(iter(self.unacked))
                    log.warning("attempt %s: no receipt for its records; forgetting them", old)
                    del self.unacked[old]

    def kept(self) -> list[tuple[Key, _Running]]:
        """The attempts whose records are kept (running, then ended), not abandoned."""
        with self.lock:
            both = (*self.running.items(), *self.unacked.items())
            return [(k, r) for k, r in both if r.records and not r.abandoned]

    def deliver(self, now: float | None = None) -> int:
        """One round: read the receipts of the kept attempts, forget the ended ones the
        store holds whole, and send again what an attempt whose receipt stopped
        growing misses; how many records were sent again."""
        if self.receipts is None or self.send is None:
            return 0
        sent = 0
        with self.lock:
            kept = self.kept()
            counts = self.receipts.read([k for k, _ in kept])
            now = time.monotonic() if now is None else now
            for (key, run), count in zip(kept, counts, strict=True):
                if count > run.acked:
                    run.acked, run.stall_since, run.wait = count, now, RESEND_AFTER_S
                if run.acked >= len(run.records):
                    run.stall_since = now
                    self.unacked.pop(key, None)
                elif now - run.stall_since >= run.wait:
                    missing = run.missing
                    log.warning(
                        "attempt %s: the store has %d of its %d records; sending the "
                        "other %d again", key, run.acked, len(run.records), len(missing)
                    )  # fmt: skip
                    for data in missing:
                        self.send(data)
                    sent += len(missing)
                    run.stall_since, run.wait = now, min(2 * run.wait, RESEND_MAX_S)
        return sent

    def _deliver(self) -> None:
        while True:
            time.sleep(DELIVERY_CHECK_S)
            try:
                self.deliver()
            except Exception as error:
                if not transient(error):
                    log.exception("checking the receipts of the records failed")


class Actors(NamedTuple):
    """The actors declared on one broker, and how to send them work. `claims`: the
    attempts' claims; `attempts`: what this process trains (see `resume`)."""

    broker: dramatiq.Broker
    runtime: Runtime
    train_model: dramatiq.Actor
    record_events: dramatiq.Actor
    claims: Claims
    attempts: AttemptLog

    def enqueue(
        self, session: str, job: TrainJob, attempt: int = 1, tries: int | None = None
    ) -> dramatiq.Message:
        """Send `job` to ``"train"`` as `attempt` (making `tries`, see `TrainTask`). A
        cancel flag left over from the model's previous training is cleared first (this
        is a new request)."""
        task = TrainTask(session=session, job=job, attempt=attempt, tries=tries)
        self.runtime.cancel.clear(session, job.model_id)
        return self.train_model.send(encode(task).decode())

    def resend(
        self, session: str, job: TrainJob, attempt: int, tries: int | None = None
    ) -> dramatiq.Message:
        """Send `attempt` of `job` again (its message was lost); the cancel flag stays."""
        task = TrainTask(session=session, job=job, attempt=attempt, tries=tries)
        return self.train_model.send(encode(task).decode())

    def cancel(self, session: str, model: str) -> None:
        """Ask `model`'s training to stop: now if it runs, before it starts if it is
        still on the broker. The worker records "training cancelled"."""
        self.runtime.cancel.cancel(session, model)

    def resume(self, restarted: bool) -> None:
        """Redis is back (a worker's `Heartbeat` calls this): claim the running
        attempts again (an attempt another worker claimed meanwhile is abandoned: it
        stops without a word); after a restart (claims and queued records lost) mark
        the recent ended attempts ended again and send again, in order, every record
        of the kept attempts the store may not hold (all of them in the embedded
        mode, which keeps none: nothing restarts there)."""
        claims, attempts = self.claims, self.attempts
        worker = self.runtime.worker
        with attempts.lock:
            for key, run in attempts.running.items():
                held = claims.claim(*key, worker)
                if held is not None and held != claims.value(worker):
                    run.abandoned = True
                    log.warning("attempt %s: claimed by %s meanwhile; abandoning it", key, held)
            if not restarted:
                return
            for key in attempts.recent:
                claims.end(*key)
            sent = 0
            now = time.monotonic()
            for _, run in attempts.kept():
                for data in run.missing:
                    self.record_events.send(data)
                    sent += 1
                run.stall_since = now
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
    claims = claims_for(broker)
    attempts = AttemptLog(receipts_for(broker), record_actor.send)
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
        runtime.record(decode_record(record_json))

    return record_events


def _trainer(
    runtime: Runtime,
    claims: Claims,
    attempts: AttemptLog,
    record_actor: Callable[[], dramatiq.Actor],
    train_actor: Callable[[], dramatiq.Actor],
) -> Callable[[str], None]:
    def train_model(task_json: str) -> None:
        task = decode_task(task_json)
        session, job, attempt, tries = task.session, task.job, task.attempt, task.counted
        model = job.model_id
        key = (session, model, attempt)
        run = _Running()

        def emit(step: str, event: TrainingEvent, alone: bool = False) -> None:
            """Send a record of this attempt, the next in its order (`alone`: one
            from outside its run: a dead holder's failure)."""
            with attempts.lock:  # a re-send after a Redis restart goes before or after
                if run.abandoned:
                    return
                n = None if alone else len(run.records)
                record = EventRecord(
                    session=session,
                    id=event_id(model, attempt, step),
                    event=event,
                    n=n,
                    after=run.last_id if n else None,
                )
                data = encode(record).decode()
                patiently(f"sending {record.id}", lambda: record_actor().send(data))
                if not alone:
                    run.records.append(data)
                    run.last_id = record.id

        def next_attempt(counts: bool = True) -> None:
            """Send attempt + 1; it tries once more, or (after a stop) as many times."""
            later = tries + 1 if counts else tries
            task = TrainTask(session=session, job=job, attempt=attempt + 1, tries=later)
            data = encode(task).decode()
            patiently(f"queueing {model} again", lambda: train_actor().send(data))

        holder = patiently(
            f"claiming {model}", lambda: claims.claim(session, model, attempt, runtime.worker)
        )
        if holder is not None:
            _redelivered(runtime, claims, key, tries, holder, emit, next_attempt)
            return
        run = attempts.begin(key)
        try:
            _train(runtime, session, job, attempt, tries, emit, next_attempt, run)
        finally:
            attempts.finish(key)
            if not run.abandoned:
                patiently("ending a claim", lambda: claims.end(session, model, attempt))

    return train_model


def _redelivered(
    runtime: Runtime,
    claims: Claims,
    key: tuple[str, str, int],
    tries: int,
    holder: str,
    emit: Callable[..., None],
    next_attempt: Callable[[], None],
) -> None:
    """A message whose attempt (making `tries`) is claimed: drop it, or record its dead
    holder's failure (see the module docstring)."""
    session, model, attempt = key
    if holder == ENDED:
        return  # a redelivery of an attempt that ended (its ack was lost)
    outcome, held = patiently(f"checking {model}'s worker", lambda: claims.take_over(*key))
    if outcome != "taken":  # ended meanwhile, or its holder is alive: a second copy
        log.info("attempt %s is %s (%s): dropping a second copy", key, outcome, held)
        return
    retry = tries < runtime.max_attempts
    reason = f"worker {holder_name(held or holder)} stopped responding"
    emit("failed", _failed(model, attempt, reason, retry), True)
    if retry:
        next_attempt()
    else:
        patiently("clearing a cancel", lambda: runtime.cancel.clear(session, model))


def _train(
    runtime: Runtime,
    session: str,
    job: TrainJob,
    attempt: int,
    tries: int,
    emit: Callable[[str, TrainingEvent], None],
    next_attempt: Callable[..., None],
    run: _Running,
) -> None:
    """Train `attempt` (making `tries`) of `job` and report how it went (see the module
    docstring)."""
    model = job.model_id
    flags = runtime.cancel
    if patiently("checking for a cancel", lambda: flags.is_cancelled(session, model)):
        emit("cancelled", TrainingCancelled(model=model, was_running=False, attempt=attempt))
        patiently("clearing a cancel", lambda: flags.clear(session, model))
        return
    stopping = runtime.stopping.is_set
    if stopping():
        return  # this process is closing: the model stays queued for the next start
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

    def abandoned() -> bool:
        return run.abandoned

    cancelled = _unless_unreachable(stopper(flags, session, model))
    try:
        result = runtime.runner.run(
            job, on_epoch=on_epoch, should_stop=lambda: abandoned() or cancelled() or stopping()
        )
    except Cancelled:
        if abandoned():
            return  # another worker trains this attempt now; it reports
        if not cancelled() and stopping():  # a stop, not the user's cancel
            _stop(emit, next_attempt, model, attempt)
            return
        emit("cancelled", TrainingCancelled(model=model, was_running=True, attempt=attempt))
    except WorkerDied as died:
        if died.stopped or stopping():  # the pool closed under it: a stop, not a crash
            _stop(emit, next_attempt, model, attempt)
            return
        retry = tries < runtime.max_attempts
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
    patiently("clearing a cancel", lambda: flags.clear(session, model))


def _unless_unreachable(should_stop: Callable[[], bool]) -> Callable[[], bool]:
    """`should_stop`, False while the flags cannot be reached (it asks again later):
    a broker restarting does not end the trainings in progress."""

    def check() -> bool:
        try:
            return should_stop()
        except Exception as error:
            if not transient(error):
                raise
            return False

    return check


def _failed(model: str, attempt: int, reason: str, retry: bool) -> TrainingFailed:
    return TrainingFailed(model=model, attempt=attempt, reason=reason, will_retry=retry)


def _stop(
    emit: Callable[[str, TrainingEvent], None],
    next_attempt: Callable[..., None],
    model: str,
    attempt: int,
) -> None:
    """Attempt `attempt` was stopped with its process: back on the queue, its retries
    kept; the next attempt goes on the broker for another worker (a process that stops
    leaves it there: the embedded broker goes with it, and the next start sends it)."""
    emit("failed", TrainingFailed(model, attempt, STOPPED, will_retry=True, stopped=True))
    next_attempt(counts=False)
