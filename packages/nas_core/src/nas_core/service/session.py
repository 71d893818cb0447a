"""The session service: the one owner of the event store, and the loop of REMAP 5.1.

"These tools spawn new models … that train in the background, which in turn get
embedded in the model overview … The server maintains a queue of models to train and
communicates its status after each epoch." The service

- decides every command against the session's folded state and appends the events it
  yields (`execute`), or raises `CommandError` with nothing appended;
- hands the head of each session's queue to the ``train_model`` actor, never more than
  the concurrency limit at once, so that reordering the queue means what it says (a
  message on the broker could not be reordered any more);
- records what the workers report (``record_events``), and when a model finishes,
  embeds it in both learned projections and records "model embedded" (and "layout
  recomputed" when the drift rule of `nas_core.service.embedding` fires);
- cancels a queued model at once, and a dispatched one through the cancel flags (the
  worker records "training cancelled" at its next batch boundary).

Embedded mode (no broker URL): a `StubBroker`, a `TrainerPool` of `processes` 1-thread
torch processes behind as many in-process worker threads, and one thread that records
events in order. Scale-out mode (``broker_url="redis://…"``): the same actors on Redis;
this process only records (``remap worker`` processes train).

On opening a session the service rebuilds its state from the log, and its embedder from
the recorded rows, computing nothing again; in the embedded mode a model the log shows
"running" was being trained by a process that is gone, so it is recorded failed (with
a retry) and trains again.

Redis going away (scale-out): a model that cannot be handed over stays dispatched and
is sent when Redis is back; a cancel that cannot reach the flags is kept and set when
Redis is back. A restarted Redis without persistence has lost its queues, its claims
and the events it held for this process; the workers claim their running attempts
again and send their records again (`Actors.resume`), and a watchdog thread repairs
the rest. Every ``watch_interval_s``, once Redis has been reachable (same ``run_id``)
for ``RESTART_GRACE_S`` (every live process has beaten and resumed by then):

- a dispatched model the log shows queued whose attempt has no message on ``"train"``
  (waiting or fetched) and no live claim, on two checks in a row, is sent again;
- a model the log shows running whose attempt has recorded nothing for its silence
  bound (``silence_s``, at least ``EPOCH_SILENCE_FACTOR`` times its longest epoch), has
  no record waiting on ``"events"``, and whose claim has no live holder (no heartbeat
  for ``HEARTBEAT_TIMEOUT_MS``, or the claim was lost or ended) is recorded "training
  failed" (``will_retry`` while attempts remain; the same event id and claim take-over
  as a worker that finds a dead holder's message, so exactly one records it) and its
  next attempt is sent. A worker that is slow but alive (its heartbeat beats) is never
  failed; a late event of the failed attempt is ignored by the fold.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from nas_core.data import load_dataset
from nas_core.events import (
    VERSIONS,
    Cancel,
    Command,
    CommandError,
    ConcurrencyError,
    CreateSession,
    Envelope,
    EventStore,
    LayoutRecomputed,
    ModelCreated,
    ModelEmbedded,
    Pending,
    Sample,
    SessionCreated,
    SessionState,
    TrainingFailed,
    TrainingFinished,
    decide,
    event_kind,
    fold,
    utc_now,
)
from nas_core.generators import Skipped
from nas_core.specs import DatasetInfo, DataSpec, Settings, TrainConfig
from nas_core.training import Throughput, TrainJob, WorkerInfo

from .actors import (
    EVENTS_QUEUE,
    TRAIN_QUEUE,
    Actors,
    EventRecord,
    Runner,
    Runtime,
    declare_actors,
    event_id,
    holder_name,
    pending_records,
    pending_tasks,
)
from .actors import _transient as transient
from .broker import HEARTBEAT_INTERVAL_S, EmbeddedWorker, make_broker, start_worker
from .cancel import CancelFlags, MemoryCancelFlags, RedisCancelFlags
from .embedding import Embedder
from .replay_plan import plan_reexecution

__all__ = ["Outcome", "Progress", "SessionService"]

INTERRUPTED = "interrupted: the process training it stopped before the training ended"
WATCHDOG_SILENCE_S = 30.0  # a running attempt silent this long, with no live holder: failed
WATCH_INTERVAL_S = 1.0
EPOCH_SILENCE_FACTOR = 3.0  # never fail before this many times the attempt's longest epoch
RESTART_GRACE_S = 2 * HEARTBEAT_INTERVAL_S + 1.0  # live workers beat and resume by then

log = logging.getLogger(__name__)


class Outcome(msgspec.Struct, frozen=True):
    """What a command did: the envelopes it appended (none for a retried command, or for
    a cancel that the worker will record) and the attempts a generator skipped, with
    their reasons."""

    envelopes: tuple[Envelope, ...]
    skipped: tuple[Skipped, ...] = ()

    @property
    def seqs(self) -> tuple[int, int] | None:
        """The first and last seq appended (``None`` when nothing was)."""
        if not self.envelopes:
            return None
        return self.envelopes[0].seq, self.envelopes[-1].seq


class Progress(msgspec.Struct, frozen=True):
    """How far a session's trainings are: models ended (done, failed, cancelled) of
    all that were queued, how many of them are done and embedded, and how many run."""

    ended: int
    total: int
    embedded: int
    running: int


@dataclass
class _Live:
    """A session the service has open: its folded state, embedder and throughput, and
    the models handed to the broker whose training has not ended."""

    state: SessionState
    embedder: Embedder
    throughput: Throughput
    dispatched: set[str] = field(default_factory=set)
    unsent: set[str] = field(default_factory=set)  # dispatched, but the broker was away
    cancels: set[str] = field(default_factory=set)  # cancelled while the broker was away
    heard: dict[str, float] = field(default_factory=dict)  # model → last event (monotonic)
    missing: set[str] = field(default_factory=set)  # queued, no message at the last check


class SessionService:
    """Owns `store`; see the module docstring. Use it as a context manager, or `close`."""

    def __init__(
        self,
        store: EventStore,
        *,
        data_root: str | Path | None = None,
        broker_url: str | None = None,
        processes: int = 2,
        runner: Runner | None = None,
        cancel: CancelFlags | None = None,
        silence_s: float = WATCHDOG_SILENCE_S,
        watch_interval_s: float = WATCH_INTERVAL_S,
    ) -> None:
        if not silence_s > 0 or not watch_interval_s > 0:
            raise ValueError(
                f"silence_s and watch_interval_s must be > 0 seconds, got {silence_s} "
                f"and {watch_interval_s}"
            )
        self.silence_s = float(silence_s)
        self.watch_interval_s = float(watch_interval_s)
        self.store = store
        self.data_root = None if data_root is None else Path(data_root)
        self.embedded = broker_url is None
        self.processes = processes
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._live_sessions: dict[str, _Live] = {}
        self._datasets: dict[DataSpec, DatasetInfo] = {}
        self._pool = None
        self._workers: list[EmbeddedWorker] = []
        if cancel is None:
            cancel = MemoryCancelFlags() if self.embedded else RedisCancelFlags.from_url(broker_url)
        if self.embedded and runner is None:
            from nas_core.training import TrainerPool

            runner = self._pool = TrainerPool(processes, data_root=self.data_root)
        self._stop_watch = threading.Event()
        self._run_id: str | None = None
        self._steady_since: float | None = None  # Redis reachable, same run_id, since
        self.broker = make_broker(broker_url)
        self.actors: Actors = declare_actors(
            self.broker, Runtime(runner=runner if self.embedded else None, cancel=cancel,
                                 record=self._record)
        )  # fmt: skip
        self._workers.append(
            start_worker(self.broker, {EVENTS_QUEUE}, 1, on_broker_restart=self._broker_back)
        )
        if self.embedded:
            self._workers.append(start_worker(self.broker, {TRAIN_QUEUE}, processes))
        self._watchdog = None
        if not self.embedded:
            self._watchdog = threading.Thread(
                target=self._watch, name="remap-watchdog", daemon=True
            )
            self._watchdog.start()

    # ----------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Stop the workers (trainings in progress are cancelled) and the pool."""
        self._stop_watch.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout=30)
        with self._lock:
            for session, live in self._live_sessions.items():
                for model in live.dispatched:
                    try:
                        self.actors.cancel(session, model)
                    except Exception as error:
                        if not transient(error):
                            raise
                        log.warning("model %s: broker unreachable, not cancelled", model)
        for worker in reversed(self._workers):  # the trainers first: they send events
            worker.stop(timeout_s=60)
        self._workers.clear()
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> SessionService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- reading

    def state(self, session: str) -> SessionState:
        """The session's current state (the fold of its whole log)."""
        with self._lock:
            return self._open(session).state

    def trainers(self) -> tuple[WorkerInfo, ...]:
        """The trainer processes of the embedded mode (pid, the model each trains)."""
        return () if self._pool is None else self._pool.workers

    def progress(self, session: str) -> Progress:
        with self._lock:
            return _progress(self._open(session))

    # ----------------------------------------------------------------- commands

    def create_session(
        self,
        name: str,
        data: DataSpec | None = None,
        settings: Settings | None = None,
        *,
        session: str | None = None,
        command_id: str | None = None,
    ) -> str:
        """Create a session (loading its data set once to record what it is) and
        return its id. With the same `session` id and `command_id` a second call is a
        no-op that returns the same id."""
        command = CreateSession(
            id=command_id, name=name, data=data or DataSpec(), settings=settings or Settings()
        )
        session = session or uuid.uuid4().hex[:12]
        self.execute(session, command)
        return session

    def execute(self, session: str, command: Command) -> Outcome:
        """Decide `command` against the session's state and append its events in one
        transaction; raises `CommandError` (nothing appended) when it does not apply.
        A command whose client-chosen `id` was applied before appends nothing again."""
        with self._lock:
            if command.id is not None and self.store.find(session, f"{command.id}:0"):
                return Outcome(())  # a retry of a command that was applied: harmless
            live = self._open(session, creating=isinstance(command, CreateSession))
            dataset = self._dataset(command.data) if isinstance(command, CreateSession) else None
            for _ in range(3):  # another writer may have appended meanwhile: decide again
                decision = decide(
                    live.state, command, dataset=dataset, estimate=self._estimator(live)
                )
                if isinstance(command, Cancel) and command.model in live.dispatched:
                    # validated above; the worker records the cancel when it stops
                    self._cancel(session, live, command.model)
                    return Outcome(())
                try:
                    new = self._append(session, live, decision.events)
                except ConcurrencyError:
                    live = self._reload(session)
                    continue
                self._pump(session, live)
                return Outcome(tuple(new), decision.skipped)
            raise CommandError("$", f"session {session} is being changed by another writer")

    def start(self, session: str, models: int = 100, *, seed: int = 0) -> Outcome:
        """The ready-made start (paper 5.2): sample `models` models with `seed` and
        queue them. Idempotent: resuming a session does not sample twice."""
        return self.execute(session, Sample(id=f"start-{seed}-{models}", count=models, seed=seed))

    def reexecute(self, envelopes: Sequence[Envelope], *, session: str | None = None) -> str:
        """Re-execute a session's log (e.g. an imported ``.remap.jsonl``) as a new
        session and return its id. The generators run again from the recorded seeds,
        parents, indices and edits (`plan_reexecution`); the user's other decisions are
        copied; every model trains again, so on the CPU its metrics come out identical
        (training is deterministic for a seed), and embeddings are computed anew. A
        model cancelled while it trained trains fully. All of it is decided first and
        appended in one transaction: a log that does not re-execute (a command that no
        longer applies, a batch that makes other models) raises `CommandError` with
        nothing written."""
        steps = plan_reexecution(envelopes)
        first = steps[0].copied[0].event if steps and steps[0].copied else None
        if not isinstance(first, SessionCreated):
            raise CommandError("$[0]", 'a session log starts with its "session created" event')
        session = session or uuid.uuid4().hex[:12]
        with self._lock:
            live = self._open(session, creating=True)
            if live.state.created:
                raise CommandError("$.session", f"session {session!r} exists already")
            state, pending = live.state, []
            estimate = self._estimator(live)
            for step in steps:
                if step.command is None:
                    events = step.copied
                else:
                    events = decide(state, step.command, estimate=estimate).events
                    made = tuple(p.event.model for p in events if isinstance(p.event, ModelCreated))
                    if made != step.models:
                        raise CommandError(
                            "$",
                            f"re-executing command {step.command.id} made "
                            f"{', '.join(made) or 'no model'}, "
                            f"the log has {', '.join(step.models)}",
                        )
                state = fold(_draft(session, state.last_seq, events), state)
                pending.extend(events)
            self._append(session, live, pending)
            self._pump(session, live)
        return session

    def wait_idle(
        self,
        session: str,
        timeout_s: float | None = None,
        on_progress: Callable[[Progress], object] | None = None,
    ) -> SessionState:
        """Block until no model of the session is queued or training and every done
        model is embedded; `on_progress` sees each change. Raises TimeoutError."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        last = None
        with self._changed:
            while True:
                live = self._open(session)
                progress = _progress(live)
                if on_progress is not None and progress != last:
                    on_progress(progress)
                    last = progress
                if _idle(live):
                    return live.state
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(
                        f"session {session} still busy after {timeout_s} s: {progress}"
                    )
                self._changed.wait(0.5 if left is None else min(0.5, left))

    # ----------------------------------------------------------------- internals

    def _dataset(self, spec: DataSpec) -> DatasetInfo:
        if spec not in self._datasets:
            self._datasets[spec] = load_dataset(spec, root=self.data_root).info()
        return self._datasets[spec]

    def _open(self, session: str, *, creating: bool = False) -> _Live:
        live = self._live_sessions.get(session)
        if live is None:
            live = self._reload(session)
            if not live.state.created and not creating:
                raise CommandError("$.session", f"no session {session!r} in this store")
            self._recover(session, live)
        return live

    def _reload(self, session: str) -> _Live:
        envelopes = self.store.read(session)
        state = fold(envelopes)
        records = [
            e.event for e in envelopes if isinstance(e.event, ModelEmbedded | LayoutRecomputed)
        ]
        done = [m for m in state.models.values() if m.result is not None]
        embedder = Embedder.restore(
            records,
            {m.id: m.arch for m in done},
            {m.id: m.result.predictions for m in done},  # type: ignore[union-attr]
        )
        throughput = Throughput()
        for m in done:
            throughput = _observe(throughput, state, m.flops, m.result)
        old = self._live_sessions.get(session)
        live = _Live(state, embedder, throughput)
        if old is not None:
            live.dispatched, live.unsent, live.cancels = old.dispatched, old.unsent, old.cancels
            live.heard, live.missing = old.heard, old.missing
        self._live_sessions[session] = live
        return live

    def _recover(self, session: str, live: _Live) -> None:
        """Make an opened session whole: models left "running" by a process that is
        gone train again (embedded mode only: in the scale-out mode a remote worker may
        still be at it), and a done model that was not embedded is embedded now."""
        if self.embedded:
            orphans = [m for m in live.state.models.values() if m.status == "running"]
            pending = [
                Pending(
                    f"{m.id}:{m.attempts}:interrupted",
                    TrainingFailed(m.id, m.attempts, INTERRUPTED, will_retry=True),
                )
                for m in orphans
                if m.id not in live.dispatched
            ]
            if pending:
                self._append(session, live, pending)
        for m in list(live.state.models.values()):
            if m.status == "done" and m.id not in live.embedder:
                self._embed(session, live, m.id)
        self._pump(session, live)

    def _append(self, session: str, live: _Live, pending: Sequence[Pending]) -> list[Envelope]:
        if not pending:
            return []
        stored = self.store.append(session, pending, expected_seq=live.state.last_seq)
        new = [e for e in stored if e.seq > live.state.last_seq]  # retries return old ones
        if new:
            live.state = fold(new, live.state)
            self._changed.notify_all()
        return new

    def _estimator(self, live: _Live) -> Callable[[int, TrainConfig], float | None]:
        split = live.state.split
        n_train = 0 if split is None else split.train

        def estimate(flops: int, config: TrainConfig) -> float | None:
            return live.throughput.estimate_seconds(flops, n_train, config.epochs)

        return estimate

    def _pump(self, session: str, live: _Live) -> None:
        """Hand queued models to the broker, head first, up to the concurrency limit."""
        state = live.state
        if state.settings is None:
            return
        limit = state.settings.concurrency
        if self.embedded:
            limit = min(limit, self.processes)
        for model in state.queue:
            if len(live.dispatched) >= limit:
                break
            if model in live.dispatched:
                continue
            live.dispatched.add(model)
            self._send(session, live, model)

    def _job(self, live: _Live, model: str) -> TrainJob:
        state = live.state
        m = state.models[model]
        assert m.config is not None
        assert m.seed is not None
        return TrainJob(
            model_id=model,
            arch=m.arch,
            config=m.config,
            seed=m.seed,
            data=state.data or DataSpec(),
            data_root=None if self.data_root is None else str(self.data_root),
        )

    def _send(self, session: str, live: _Live, model: str) -> None:
        """Send `model`'s next attempt to ``"train"``; if the broker cannot be reached,
        note it in `unsent` for `_broker_back`."""
        m = live.state.models[model]
        job = self._job(live, model)
        try:
            self.actors.enqueue(session, job, attempt=m.attempts + 1)
        except Exception as error:
            if not transient(error):
                raise
            log.warning(
                "model %s: broker unreachable (%s); sending it when it is back", model, error
            )
            live.unsent.add(model)
        else:
            live.unsent.discard(model)

    def _cancel(self, session: str, live: _Live, model: str) -> None:
        """Set `model`'s cancel flag; while the broker is away, keep it for later."""
        try:
            self.actors.cancel(session, model)
        except Exception as error:
            if not transient(error):
                raise
            log.warning("model %s: broker unreachable (%s); cancelling it when back", model, error)
            live.cancels.add(model)
        else:
            live.cancels.discard(model)

    def _broker_back(self, restarted: bool) -> None:
        """Redis is reachable again: send what could not be sent, set the cancels that
        could not be set. What a restart lost is the watchdog's (`_check`)."""
        with self._lock:
            if restarted:
                self._steady_since = time.monotonic()  # the watchdog waits its grace again
            for session, live in self._live_sessions.items():
                for model in sorted(live.unsent & live.dispatched):
                    log.warning("session %s: sending model %s again", session, model)
                    self._send(session, live, model)
                live.unsent &= live.dispatched
                for model in sorted(live.cancels & live.dispatched):
                    self._cancel(session, live, model)
                live.cancels &= live.dispatched

    def _watch(self) -> None:
        while not self._stop_watch.wait(self.watch_interval_s):
            try:
                self._check()
            except Exception as error:
                if not transient(error):
                    log.exception("the watchdog's check failed")
                self._steady_since = None  # Redis is away: wait the grace once it is back

    def _check(self) -> None:
        """One round of the watchdog (see the module docstring)."""
        client = self.broker.client  # type: ignore[attr-defined]
        run_id = str(client.info("server")["run_id"])
        now = time.monotonic()
        if run_id != self._run_id or self._steady_since is None:
            self._run_id, self._steady_since = run_id, now
        if now - self._steady_since < RESTART_GRACE_S:
            return
        claims = self.actors.claims
        assert claims is not None
        with self._lock:
            tasks = records = None
            for session, live in list(self._live_sessions.items()):
                if live.cancels:
                    for model in sorted(live.cancels & live.dispatched):
                        self._cancel(session, live, model)
                    live.cancels &= live.dispatched
                for model in sorted(live.dispatched):
                    m = live.state.models.get(model)
                    if m is None:
                        continue
                    if m.status == "queued" and model not in live.unsent:
                        if tasks is None:
                            tasks = pending_tasks(self.broker)
                        attempt = m.attempts + 1
                        if (session, model, attempt) in tasks:
                            live.missing.discard(model)
                            continue
                        claim = claims.check(session, model, attempt)
                        if claim == "alive":  # trained; its "started" is on its way
                            live.missing.discard(model)
                        elif model in live.missing:  # lost (with a restarted Redis)
                            log.warning(
                                "session %s: model %s (attempt %d, claim %s) has no message "
                                "on the broker; sending it again", session, model, attempt, claim
                            )  # fmt: skip
                            live.missing.discard(model)
                            if claim == "ended":  # it ended, and all it said was lost
                                claims.release(session, model, attempt)
                            self._resend(session, live, model)
                        else:
                            live.missing.add(model)  # look again next round
                    elif m.status == "running":
                        heard = live.heard.setdefault(model, now)
                        longest = max((e.seconds for e in m.curve), default=0.0)
                        bound = max(self.silence_s, EPOCH_SILENCE_FACTOR * longest)
                        if now - heard < bound:
                            continue
                        if records is None:
                            records = pending_records(self.broker)
                        if (session, model) in records:
                            continue  # its news is waiting on "events"
                        outcome, held = claims.take_over(session, model, m.attempts)
                        if outcome == "alive":
                            continue  # slow, but its worker beats: never failed
                        self._silent(session, live, model, held, now - heard)

    def _silent(self, session: str, live: _Live, model: str, held: str, silent_s: float) -> None:
        """Record that `model`'s running attempt went silent with no live worker, and
        send its next attempt (or leave it failed)."""
        m = live.state.models[model]
        retry = m.attempts < self.actors.runtime.max_attempts
        who = holder_name(held) if held else (m.worker or "(unknown)")
        reason = (
            f"worker {who} went silent: nothing recorded for {silent_s:.0f} s "
            "and no heartbeat on the broker"
        )
        log.warning("session %s: model %s attempt %d: %s", session, model, m.attempts, reason)
        failed = TrainingFailed(model, m.attempts, reason, will_retry=retry)
        self._append(session, live, [Pending(event_id(model, m.attempts, "failed"), failed)])
        live.heard.pop(model, None)
        if retry and live.state.models[model].status == "queued":
            self._send(session, live, model)
            return
        live.dispatched.discard(model)
        try:
            self.actors.runtime.cancel.clear(session, model)
        except Exception as error:
            if not transient(error):
                raise
        self._pump(session, live)

    def _resend(self, session: str, live: _Live, model: str) -> None:
        """Send `model`'s next attempt again (its message was lost); the cancel flag,
        if any, stays."""
        state = live.state
        m = state.models[model]
        job = self._job(live, model)
        try:
            self.actors.resend(session, job, m.attempts + 1)
        except Exception as error:
            if not transient(error):
                raise
            live.unsent.add(model)

    def _record(self, record: EventRecord) -> None:
        """``record_events``: append a worker's event, then embed, then dispatch."""
        with self._lock:
            live = self._open(record.session)
            new = self._append(record.session, live, [Pending(record.id, record.event)])
            event = record.event
            model = getattr(event, "model", None)
            m = None if model is None else live.state.models.get(model)
            if m is not None:
                if m.status in ("queued", "running"):
                    live.heard[model] = time.monotonic()
                else:  # ended (a late event of an older attempt changes nothing)
                    live.dispatched.discard(model)
                    live.heard.pop(model, None)
            if new and isinstance(event, TrainingFinished):
                m = live.state.models.get(event.model)
                if m is not None and m.status == "done":
                    live.throughput = _observe(live.throughput, live.state, m.flops, m.result)
                    self._embed(record.session, live, event.model)
            self._pump(record.session, live)

    def _embed(self, session: str, live: _Live, model: str) -> None:
        m = live.state.models[model]
        assert m.result is not None
        update = live.embedder.add(model, m.arch, m.result.predictions)
        pending = [
            Pending(f"{model}:embedded:{e.projection}", e) for e in update.placements
        ] + [
            Pending(f"{model}:layout:{e.projection}", e) for e in update.relayouts
        ]  # fmt: skip
        self._append(session, live, pending)


def _draft(session: str, last_seq: int, events: Sequence[Pending]) -> list[Envelope]:
    """`events` as the envelopes they will become (for folding before they are stored)."""
    at = utc_now()
    return [
        Envelope(last_seq + k, p.id, at, session, VERSIONS[event_kind(p.event)], p.event)
        for k, p in enumerate(events, 1)
    ]


def _observe(throughput: Throughput, state: SessionState, flops: int, result) -> Throughput:
    n_train = 0 if state.split is None else state.split.train
    if not n_train or result.epochs < 1:
        return throughput
    return throughput.observe(flops, n_train, result.epochs, result.wall_s)


def _progress(live: _Live) -> Progress:
    models = live.state.models.values()
    total = sum(1 for m in models if m.status != "created")
    ended = sum(1 for m in models if m.status in ("done", "failed", "cancelled"))
    running = sum(1 for m in models if m.status == "running")
    return Progress(ended=ended, total=total, embedded=len(live.embedder), running=running)


def _idle(live: _Live) -> bool:
    state = live.state
    if state.queue or live.dispatched:
        return False
    return all(
        m.status not in ("queued", "running") and (m.status != "done" or m.id in live.embedder)
        for m in state.models.values()
    )
