"""The session service: the one owner of the event store, and the loop of REMAP 5.1.

"These tools spawn new models … that train in the background, which in turn get
embedded in the model overview … The server maintains a queue of models to train and
communicates its status after each epoch." The service

- decides every command against the session's folded state and appends the events it
  yields (`execute`), or raises `CommandError` with nothing appended; a command whose
  client-chosen `id` was applied before appends nothing again and answers with the
  seqs it appended then;
- hands the head of each session's queue to the ``train_model`` actor, never more than
  the concurrency limit at once (`nas_core.service.dispatch`);
- records what the workers report (``record_events``), and when a model finishes,
  embeds it in both learned projections and records "model embedded" (and "layout
  recomputed" when the drift rule of `nas_core.service.embedding` fires);
- cancels a queued model at once, and a dispatched one through its cancel flag (the
  effect `StopTraining` of the decision: the worker records "training cancelled" at
  its next batch boundary);
- closing (a server's Ctrl-C) cancels nothing: a stop is not a user's cancel (`close`).

Embedded mode (no broker URL): a `StubBroker`, a `TrainerPool` of `processes` 1-thread
torch processes behind as many in-process worker threads, and one thread that records
events in order. Scale-out mode (``broker_url="redis://…"``): the same actors on Redis;
this process only records (``remap worker`` processes train), and a watchdog repairs
what Redis going away lost (`nas_core.service.watchdog`).

On opening a session the service rebuilds its state from the log, and its embedder from
the recorded rows, computing nothing again (`nas_core.service.restore`), from its
snapshot and the events after it when it has a valid one (`nas_core.service.snapshots`,
written when an open read many events: opening is O(new events)); in the embedded
mode a model the log shows "running" was being trained by a process that is gone, so it
is recorded failed and trains again, with a retry while it has had fewer than
``max_attempts`` tries since it was queued (2, as a dead worker in the scale-out mode;
an attempt stopped by a close does not count), else failed for good (queue it to train
it again). In the scale-out mode such a model is left to its remote worker. A session
whose log cannot be restored is set aside: logged with why, listed by `set_aside`, and
every use of it raises `SessionSetAside`, while the other sessions are served
(`resume_all` opens them at a server's start, but for those whose snapshot covers their
whole log with nothing queued or running: they open when first asked for).

A store that cannot be written (the disk full) while models train: the workers' records
are held and appended once it takes writes again (`nas_core.service.held`); a model
whose embedding could not be recorded is embedded again then.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

import msgspec
from dramatiq.errors import QueueJoinTimeout

from nas_core.data import load_dataset
from nas_core.events import (
    VERSIONS,
    Command,
    CommandError,
    ConcurrencyError,
    CreateSession,
    Envelope,
    EventDecodeError,
    EventStore,
    ModelCreated,
    Pending,
    Sample,
    SessionCreated,
    SessionExists,
    SessionState,
    StoreError,
    StoreUnwritable,
    TrainingCancelled,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
    UnknownSession,
    decide,
    event_kind,
    fold,
    utc_now,
)
from nas_core.events.kinds import ONESHOT_EVENTS
from nas_core.generators import Skipped
from nas_core.specs import DatasetInfo, DataSpec, Settings, TrainConfig
from nas_core.strategies import DistanceCache
from nas_core.training import Throughput, WorkerInfo
from nas_core.weights import WeightStore

from .actors import Actors, Runner, Runtime, declare_actors
from .auto_search import follow as follow_auto_searches
from .auto_search import median_stops
from .auto_search import space_of as auto_search_space
from .broker import EmbeddedWorker, make_broker, start_worker, transient
from .cancel import CancelFlags, MemoryCancelFlags, RedisCancelFlags
from .dispatch import Dispatcher
from .embedding import Embedder, EmbeddingError
from .held import HeldRecords
from .in_order import InOrder
from .messages import EVENTS_QUEUE, TRAIN_QUEUE, EventRecord
from .receipts import receipts_for
from .replay_plan import plan_reexecution
from .restore import Restored, RestoreError, SessionSetAside, restore
from .snapshots import SNAPSHOT_EVERY, SnapshotStore, snapshot_of, valid_for
from .timings import observed_seconds, started_key
from .watchdog import WATCH_INTERVAL_S, WATCHDOG_SILENCE_S, Watchdog

__all__ = ["Outcome", "Progress", "SessionService", "interrupted"]

INTERRUPTED = "interrupted: the process training it stopped before the training ended"
RECEIPT_EVERY_S = 0.25  # how often the workers learn what the store holds
DRAIN_S = 30.0  # closing: how long the embedded mode waits for its last records

log = logging.getLogger(__name__)
_ONESHOT = frozenset(get_args(ONESHOT_EVENTS))  # kinds that may leave one-shot work


class Outcome(msgspec.Struct, frozen=True):
    """What a command did: the envelopes it appended (none for a retried command, or for
    a cancel that the worker will record), the attempts a generator skipped, with their
    reasons, and for a retried command the first and last seq it appended before."""

    envelopes: tuple[Envelope, ...]
    skipped: tuple[Skipped, ...] = ()
    retried: tuple[int, int] | None = None

    @property
    def seqs(self) -> tuple[int, int] | None:
        """The first and last seq the command appended, now or, retried, before
        (``None`` when it appended nothing)."""
        if self.retried is not None:
            return self.retried
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
    """A session the service has open: its folded state, embedder and throughput (what
    it handed to the broker is the `Dispatcher`'s)."""

    state: SessionState
    embedder: Embedder
    throughput: Throughput
    unembedded: dict[str, None] = field(default_factory=dict)  # done, to embed (in order)
    # (model, attempt) → when its "training started" was recorded (`observed_seconds`)
    started: dict[tuple[str, int], str] = field(default_factory=dict)
    recovered: bool = False  # `_recover` has run to its end
    # the OTMANN pairs its automated searches have measured, kept across proposal calls
    # (issue 21: a GP search would otherwise remeasure every observed pair each call)
    search_distances: DistanceCache = field(default_factory=DistanceCache)


class SessionService:
    """Owns `store`; see the module docstring. Use it as a context manager, or `close`.

    With a `data_root`, every finished training's weights are stored under it
    (`weights`, a `nas_core.weights.WeightStore`; written by the trainer processes, not
    by the recording thread); ``keep_weights=False`` keeps none (the benchmarks'
    baseline)."""

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
        keep_weights: bool = True,
        snapshots: bool = True,
    ) -> None:
        if not silence_s > 0 or not watch_interval_s > 0:
            raise ValueError(
                f"silence_s and watch_interval_s must be > 0 seconds, got {silence_s} "
                f"and {watch_interval_s}"
            )
        self.silence_s = float(silence_s)
        self.watch_interval_s = float(watch_interval_s)
        self.store = store
        # opened sessions' snapshots beside the log: opening one reads its tail only
        self.snapshots = SnapshotStore.beside(store) if snapshots else None
        self.data_root = None if data_root is None else Path(data_root)
        # trained weights: files under the data folder, written by the trainers
        self.weights = (
            WeightStore.in_data_dir(self.data_root)
            if keep_weights and self.data_root is not None
            else None
        )
        self.embedded = broker_url is None
        self.processes = processes
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._live_sessions: dict[str, _Live] = {}
        self._set_aside: dict[str, tuple[int, str]] = {}  # session → (its last seq, why)
        self._datasets: dict[DataSpec, DatasetInfo] = {}
        self._pool = None
        self.oneshot = None  # issue 18: the one-shot runner (embedded mode only)
        self._workers: list[EmbeddedWorker] = []
        if cancel is None:
            cancel = MemoryCancelFlags() if self.embedded else RedisCancelFlags.from_url(broker_url)
        if self.embedded and runner is None:
            from nas_core.training import TrainerPool

            runner = self._pool = TrainerPool(processes, data_root=self.data_root)
        self.broker = make_broker(broker_url)
        self.actors: Actors = declare_actors(
            self.broker, Runtime(runner=runner if self.embedded else None, cancel=cancel,
                                 record=self._record)
        )  # fmt: skip
        self._dispatcher = Dispatcher(
            self.actors,
            processes=processes if self.embedded else None,
            data_root=self.data_root,
            weights_dir=None if self.weights is None else self.weights.root,
        )
        if self._pool is not None:  # issue 18: one-shot work in the same trainer processes
            from .oneshot import OneShotRunner

            folder = self.data_root or Path(tempfile.gettempdir()) / "remap"
            self.oneshot = OneShotRunner(
                self._pool.run, self.state, self.append_oneshot, folder, self.data_root,
                cancel=cancel, max_attempts=self.actors.runtime.max_attempts,
            )  # fmt: skip
            self._dispatcher.oneshot = self.oneshot.hand  # supernets: entries of the queue
        self._held = HeldRecords(self._apply, self._lock)
        self._order = InOrder(self._pass, self._stored)
        self._receipts = receipts_for(self.broker)
        self._unreceipted: dict[tuple[str, str, int], int] = {}
        self._receipted_at = 0.0
        self._watchdog = None
        if not self.embedded:
            self._watchdog = Watchdog(
                self.actors,
                self._dispatcher,
                states=self._states,
                append=self._append_to,
                waiting=lambda: self._held.waiting() | self._order.waiting(),
                tick=self._send_receipts,
                lock=self._lock,
                silence_s=self.silence_s,
                interval_s=self.watch_interval_s,
            )
        back = None if self._watchdog is None else self._watchdog.broker_back
        # Records the server fetched ahead and had not applied when it stopped go back on
        # Redis behind newer ones (issue 23 D); `InOrder` puts them back in their place
        # (prefetch=1 would avoid it but lets the log lag the workers by seconds).
        self._workers.append(start_worker(self.broker, {EVENTS_QUEUE}, 1, on_broker_restart=back))
        if self.embedded:
            self._workers.append(start_worker(self.broker, {TRAIN_QUEUE}, processes))
        if self._watchdog is not None:
            self._watchdog.start()

    # ----------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Stop (a server's Ctrl-C): hand out nothing more and cancel nothing, for a stop
        is not a user's cancel. Embedded, the trainings in progress stop at their next
        batch boundary, recorded stopped (`Runtime.stop`): the next start trains them
        again, their retries kept. Scale-out, the remote workers go on; what they
        report waits on ``"events"`` for the server to be back."""
        self._held.stop()
        if self._watchdog is not None:
            self._watchdog.stop()
        with self._lock:
            self._dispatcher.close()
        if self.embedded:
            self.actors.runtime.stop()
        for worker in reversed(self._workers):  # the trainers first: they send events
            if self.embedded and EVENTS_QUEUE in worker.queues:
                _drain(worker)  # what the stopped trainings reported, in the log
            worker.stop(timeout_s=60)
        self._workers.clear()
        self._held.close()  # the last records, if the store takes them now
        if len(self._order):  # their workers keep them until the store has them
            log.info("closing: %d record(s) wait for earlier ones of theirs", len(self._order))
        if self.oneshot is not None:
            self.oneshot.close()
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self.snapshots is not None:
            self.save_snapshots()  # the next start reads nothing this run appended
            self.snapshots.close()

    def __enter__(self) -> SessionService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- reading

    def state(self, session: str) -> SessionState:
        """The session's current state (the fold of its whole log). Raises
        `SessionSetAside` for a session whose log cannot be restored."""
        with self._lock:
            return self._open(session).state

    def resume_all(self) -> dict[str, str]:
        """Open every session of the store (a server's start): models a killed server
        left running train again and queued ones are handed out. A session that cannot
        be restored is set aside (logged) and the others are opened; returns the
        sessions set aside, with why. A session whose snapshot covers its whole log
        with nothing queued or running is not opened now (the cheap query of
        `SnapshotStore.heads`): it opens when it is first asked for."""
        heads = {} if self.snapshots is None else self.snapshots.heads()
        for info in self.store.sessions():
            head = heads.get(info.id)
            if head is not None and head.seq == info.last_seq and not head.active:
                continue
            try:
                self.state(info.id)
            except SessionSetAside:
                pass  # logged when it was set aside
            except StoreUnwritable as error:  # opened at its next use
                log.warning("session %s: not resumed now: %s", info.id, error)
        return self.set_aside()

    def set_aside(self) -> dict[str, str]:
        """The sessions set aside because their logs cannot be restored, with why."""
        with self._lock:
            return {session: why for session, (_, why) in self._set_aside.items()}

    @property
    def unrecorded(self) -> int:
        """How many of the workers' records wait for the store to take writes again."""
        return len(self._held)

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
        A command whose client-chosen `id` was applied before appends nothing again:
        its `Outcome` has the seqs it appended then (`retried`)."""
        with self._lock:
            if command.id is not None:
                retried = _applied(self.store, session, command.id)
                if retried is not None:  # a retry of a command that was applied: harmless
                    return Outcome((), retried=retried)
            live = self._open(session, creating=isinstance(command, CreateSession))
            dataset = self._dataset(command.data) if isinstance(command, CreateSession) else None
            for _ in range(3):  # another writer may have appended meanwhile: decide again
                decision = decide(
                    live.state,
                    command,
                    dataset=dataset,
                    estimate=self._estimator(live),
                    dispatched=self._dispatcher.dispatched(session),
                    weights_present=None if self.weights is None else self.weights.present,
                )
                try:
                    new = self._append(session, live, decision.events)
                except ConcurrencyError:
                    live = self._reload(session)
                    continue
                for effect in decision.effects:  # StopTraining: the worker records it
                    self._dispatcher.cancel(session, effect.model)
                new += self._follow_auto_searches(session, live)
                self._dispatcher.pump(session, live.state)
                if self.oneshot is not None and any(type(e.event) in _ONESHOT for e in new):
                    self.oneshot.kick(session)
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
                raise SessionExists("$.session", f"session {session!r} exists already")
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
            self._dispatcher.pump(session, live.state)
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
                if _idle(live, self._dispatcher.dispatched(session)):
                    return live.state
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(
                        f"session {session} still busy after {timeout_s} s: {progress}"
                    )
                self._changed.wait(0.5 if left is None else min(0.5, left))

    # ----------------------------------------------------------------- recording

    def _record(self, record: EventRecord) -> None:
        """``record_events``: append a worker's event, then embed, then dispatch; held
        until the records before it in its attempt are in (`InOrder`), and (with every
        record after it) while the store cannot be written."""
        with self._lock:
            if self._order.take(record):
                model = getattr(record.event, "model", None)
                self._dispatcher.heard(record.session, model)
                live = self._live_sessions.get(record.session)
                if live is not None and model is not None:
                    self._settle(record.session, live.state, model)

    def _pass(self, record: EventRecord) -> None:
        """A record whose turn it is (see `_record`)."""
        if self._held.record(record):
            self._dispatcher.heard(record.session, getattr(record.event, "model", None))

    def _stored(self, session: str, event_id: str) -> bool:
        return self.store.find(session, event_id) is not None

    def _settle(self, session: str, state: SessionState, model: str) -> None:
        """Drop the held records of `model`'s attempts that ended (see `InOrder`)."""
        m = state.models.get(model)
        if m is not None:
            ended = lambda a: a < m.attempts or (a == m.attempts and m.status != "running")  # noqa: E731
            self._order.settle(session, model, ended)

    def _receipt(self, record: EventRecord) -> None:
        """Tell the record's worker that its attempt is in the log up to it: at an
        attempt's end at once, else with the others every ``RECEIPT_EVERY_S`` (one
        Redis round trip per record would slow the recording down)."""
        key = record.attempt
        if self._receipts is None or key is None:
            return
        assert record.n is not None
        counts = self._unreceipted
        counts[key] = max(counts.get(key, 0), record.n + 1)
        ends = isinstance(record.event, TrainingFinished | TrainingFailed | TrainingCancelled)
        if ends or time.monotonic() - self._receipted_at >= RECEIPT_EVERY_S:
            self._send_receipts()

    def _send_receipts(self) -> None:
        """Publish the receipts not sent yet (also the watchdog's, every round)."""
        if self._receipts is None or not self._unreceipted:
            return
        counts, self._unreceipted = self._unreceipted, {}
        self._receipted_at = time.monotonic()
        try:
            self._receipts.mark_all(counts)
        except Exception as error:  # Redis away: the worker sends them again, and then
            if not transient(error):
                raise

    def _apply(self, record: EventRecord) -> None:
        """Record one worker's event. Tried again whole after `StoreUnwritable`: the
        event's id makes a second append a no-op, and an embedding not recorded is
        still pending."""
        live = self._open(record.session)
        new = self._append(record.session, live, [Pending(record.id, record.event)])
        self._receipt(record)
        event = record.event
        model = getattr(event, "model", None)
        self._dispatcher.recorded(record.session, live.state, model)
        if model is not None:
            self._settle(record.session, live.state, model)
        if new and isinstance(event, TrainingStarted):
            live.started.setdefault(started_key(event), new[-1].at)
        if new and isinstance(event, TrainingFinished):
            started_at = live.started.pop(started_key(event), None)
            m = live.state.models.get(event.model)
            if m is not None and m.status == "done" and m.id not in live.embedder:
                took = observed_seconds(started_at, new[-1].at, event.result.wall_s)
                live.throughput = _observe(live.throughput, live.state, m.flops, m.result, took)
                live.unembedded[m.id] = None
        self._embed_pending(record.session, live)
        self._follow_auto_searches(record.session, live)
        self._dispatcher.pump(record.session, live.state)

    def _embed_pending(self, session: str, live: _Live) -> None:
        """Embed the done models not embedded yet, in the order they finished."""
        for model in list(live.unembedded):
            m = live.state.models.get(model)
            if m is not None and m.status == "done" and model not in live.embedder:
                try:
                    self._embed(session, live, model)
                except EmbeddingError as error:
                    log.error("session %s: model %s cannot be embedded: %s", session, model, error)
            live.unembedded.pop(model, None)

    def _embed(self, session: str, live: _Live, model: str) -> None:
        m = live.state.models[model]
        assert m.result is not None
        try:
            update = live.embedder.add(model, m.arch, m.result.predictions)
            pending = [
                Pending(f"{model}:embedded:{e.projection}", e) for e in update.placements
            ] + [
                Pending(f"{model}:layout:{e.projection}", e) for e in update.relayouts
            ]  # fmt: skip
            self._append(session, live, pending)
        except BaseException:
            # the embedder may hold the model now and the log does not: rebuild it
            # from the log (the model stays pending)
            self._reload(session)
            raise

    # ----------------------------------------------------------------- sessions

    def _dataset(self, spec: DataSpec) -> DatasetInfo:
        if spec not in self._datasets:
            self._datasets[spec] = load_dataset(spec, root=self.data_root).info()
        return self._datasets[spec]

    def _open(self, session: str, *, creating: bool = False) -> _Live:
        live = self._live_sessions.get(session)
        if live is None:
            live = self._reload(session)
        if not live.state.created and not creating:
            raise UnknownSession(session)
        if not live.recovered:
            self._recover(session, live)
        return live

    def _reload(self, session: str) -> _Live:
        """(Re)build the session from its log: a new `_Live`, or the open one brought
        up to date in place (what it dispatched is kept). Raises `SessionSetAside`."""
        aside = self._set_aside.get(session)
        if aside is not None and aside[0] == self.store.last_seq(session):
            raise SessionSetAside(session, aside[1])  # tried again once the log grows
        try:
            restored = self._restored(session)
        except RestoreError as error:
            raise self._put_aside(session, str(error)) from None
        except StoreError as error:
            if not isinstance(error.__cause__, EventDecodeError):
                raise
            raise self._put_aside(
                session, str(error).removeprefix(f"{self.store.path}: ")
            ) from None
        self._set_aside.pop(session, None)
        live = self._live_sessions.get(session)
        if live is None:
            live = self._live_sessions[session] = _Live(
                restored.state, restored.embedder, restored.throughput
            )
        else:
            live.state, live.embedder = restored.state, restored.embedder
            live.throughput = restored.throughput
        live.unembedded = dict.fromkeys(restored.unembedded)
        return live

    def save_snapshots(self) -> int:
        """Snapshot every open session whose log runs past its snapshot (a server's stop,
        `close`): restored from its snapshot and the tail as an open does, so the snapshot
        is what the next open would make. Returns how many were written."""
        if self.snapshots is None:
            return 0
        heads = self.snapshots.heads()
        written = 0
        with self._lock:
            for session in list(self._live_sessions):
                head = heads.get(session)
                last = self.store.last_seq(session)
                if last == 0 or (head is not None and head.seq == last):
                    continue
                try:
                    self._restored(session, every=1)
                except (RestoreError, StoreError) as error:  # the log decides at the next open
                    log.warning("session %s: no snapshot written at the stop: %s", session, error)
                    continue
                written += 1
        return written

    def _restored(self, session: str, *, every: int | None = None) -> Restored:
        """`restore` of the session from its snapshot and the events after it, or from
        its whole log (no snapshot, or one that does not cover this log: see
        `nas_core.service.snapshots`); a new snapshot when at least `every` events were
        read (default `SNAPSHOT_EVERY`)."""
        every = SNAPSHOT_EVERY if every is None else every
        snaps = self.snapshots
        snap = None if snaps is None else snaps.load(session)
        if snaps is not None and snap is not None:
            at = self.store.read(session, after=snap.seq - 1, limit=1)
            if valid_for(snap, at[0] if at else None):
                tail = self.store.read(session, after=snap.seq)
                try:
                    restored = restore(tail, snap)
                except RestoreError as error:  # never trusted blindly: the whole log decides
                    log.warning("session %s: snapshot and tail: %s", session, error)
                else:
                    if tail and len(tail) >= every:
                        snaps.save(snapshot_of(session, tail[-1], restored))
                    return restored
            snaps.drop(session)
        envelopes = self.store.read(session)
        restored = restore(envelopes)
        if snaps is not None and envelopes and len(envelopes) >= every:
            snaps.save(snapshot_of(session, envelopes[-1], restored))
        return restored

    def _put_aside(self, session: str, why: str) -> SessionSetAside:
        """Set `session` aside (its log cannot be restored); the error to raise."""
        self._set_aside[session] = (self.store.last_seq(session), why)
        self._live_sessions.pop(session, None)
        self._dispatcher.forget(session)
        self._order.forget(session)
        log.error("session %s is set aside: its log cannot be restored: %s", session, why)
        return SessionSetAside(session, why)

    def _recover(self, session: str, live: _Live) -> None:
        """Make an opened session whole: models left "running" by a process that is
        gone train again, at most ``max_attempts`` tries since they were queued
        (`ModelState.tries`: a stop does not count), and a done model that was not
        embedded is embedded now. In the scale-out mode a model left "running" may
        still be trained by its remote worker: it counts as dispatched instead (the
        watchdog fails it if its worker is gone)."""
        if not self.embedded:
            self._dispatcher.adopt(session, live.state)
        else:
            limit = self.actors.runtime.max_attempts
            dispatched = self._dispatcher.dispatched(session)
            orphans = [m for m in live.state.models.values() if m.status == "running"]
            pending = [
                Pending(
                    f"{m.id}:{m.attempts}:interrupted",
                    TrainingFailed(
                        m.id, m.attempts, interrupted(m.tries, limit), will_retry=m.tries < limit
                    ),
                )
                for m in orphans
                if m.id not in dispatched
            ]
            if pending:
                self._append(session, live, pending)
        self._embed_pending(session, live)
        self._dispatcher.pump(session, live.state)
        live.recovered = True

    def append_oneshot(self, session: str, pending: Sequence[Pending]) -> SessionState:
        """Append the one-shot runner's records (`nas_core.service.oneshot`; their ids
        make a repeat harmless) and hand out the models they queued."""
        with self._lock:
            live = self._open(session)
            for _ in range(3):
                try:
                    self._append(session, live, pending)
                    break
                except ConcurrencyError:
                    live = self._reload(session)
            for p in pending:  # a supernet training that ended leaves the dispatched
                ident = getattr(p.event, "supernet", None) or getattr(p.event, "model", None)
                self._dispatcher.recorded(session, live.state, ident)
            self._dispatcher.pump(session, live.state)
            return live.state

    def append_built(
        self, session: str, build: Callable[[SessionState, Embedder], Sequence[Pending]]
    ) -> list[Envelope]:
        """Append in one transaction what `build(state, embedder)` makes from the open
        session's state and embedder (an imported search and its embedding, issue 20),
        holding the service's lock throughout; the envelopes appended. When `build` or
        the append raises, the session is rebuilt from its log (the embedder may hold
        models the log does not) and the error goes on."""
        with self._lock:
            live = self._open(session)
            try:
                return self._append(session, live, build(live.state, live.embedder))
            except BaseException:
                self._reload(session)
                raise

    def _follow_auto_searches(self, session: str, live: _Live) -> list[Envelope]:
        """Let the running automated searches propose what they have room for
        (`nas_core.service.auto_search`, issue 21); the models they append. First the
        median stopping rule: the trainings it stops are recorded and their flags set."""
        new: list[Envelope] = []
        if live.state.auto_searches or live.state.median_rule is not None:
            stopped = self._append(session, live, median_stops(live.state))
            for envelope in stopped:
                self._dispatcher.cancel(session, envelope.event.model)
            new.extend(stopped)
        while live.state.auto_searches:
            space = auto_search_space(live.state)
            pending = follow_auto_searches(
                live.state, space, self._estimator(live), distance=live.search_distances
            )
            appended = self._append(session, live, pending)
            if not appended:
                return new
            new.extend(appended)
        return new

    def _append(self, session: str, live: _Live, pending: Sequence[Pending]) -> list[Envelope]:
        if not pending:
            return []
        stored = self.store.append(session, pending, expected_seq=live.state.last_seq)
        new = [e for e in stored if e.seq > live.state.last_seq]  # retries return old ones
        if new:
            live.state = fold(new, live.state)
            self._changed.notify_all()
        return new

    def _append_to(self, session: str, pending: Sequence[Pending]) -> SessionState:
        """The watchdog's append: `pending` to an open session; its state after."""
        live = self._live_sessions[session]
        self._append(session, live, pending)
        for model in {getattr(p.event, "model", None) for p in pending} - {None}:
            self._settle(session, live.state, model)
        return live.state

    def _states(self) -> dict[str, SessionState]:
        """The open sessions' states (for the watchdog)."""
        return {session: live.state for session, live in self._live_sessions.items()}

    def _estimator(self, live: _Live) -> Callable[[int, TrainConfig], float | None]:
        split = live.state.split
        n_train = 0 if split is None else split.train

        def estimate(flops: int, config: TrainConfig) -> float | None:
            return live.throughput.estimate_seconds(flops, n_train, config.epochs)

        return estimate


def interrupted(tries: int, max_attempts: int) -> str:
    """Why an attempt of a model, its `tries`-th try since it was queued, ended with the
    process that trained it: with a retry while `tries` is below `max_attempts`, else
    failed for good."""
    if tries < max_attempts:
        return INTERRUPTED
    return (
        f"{INTERRUPTED}, for the {_nth(tries)} time: not tried again (at most "
        f"{max_attempts} attempts); queue it to train it again"
    )


def _drain(worker: EmbeddedWorker, timeout_s: float = DRAIN_S) -> None:
    """Let `worker` record what its queue holds before it stops (embedded: the queue
    is in this process's memory and goes with it)."""
    try:
        worker.join(timeout_s)
    except QueueJoinTimeout:
        log.warning("closing: records still waiting after %.0f s are not recorded", timeout_s)


def _nth(n: int) -> str:
    ordinal = {1: "first", 2: "second", 3: "third"}
    return ordinal.get(n, f"{n}th")


def _applied(store: EventStore, session: str, command_id: str) -> tuple[int, int] | None:
    """The first and last seq of the events that the command with `command_id` appended
    (its events' ids are ``f"{command_id}:{k}"``, one run), or None if it was not."""
    first = store.find(session, f"{command_id}:0")
    if first is None:
        return None
    last, k = first.seq, 1
    for row in store.read_rows(session, after=first.seq, upto=first.seq + 10_000):  # ids only
        if row.id != f"{command_id}:{k}":
            break
        last, k = row.seq, k + 1
    return first.seq, last


def _draft(session: str, last_seq: int, events: Sequence[Pending]) -> list[Envelope]:
    """`events` as the envelopes they will become (for folding before they are stored)."""
    at = utc_now()
    return [
        Envelope(last_seq + k, p.id, at, session, VERSIONS[event_kind(p.event)], p.event)
        for k, p in enumerate(events, 1)
    ]


def _observe(
    throughput: Throughput, state: SessionState, flops: int, result, seconds: float
) -> Throughput:
    n_train = 0 if state.split is None else state.split.train
    if not n_train or result.epochs < 1:
        return throughput
    return throughput.observe(flops, n_train, result.epochs, seconds)


def _progress(live: _Live) -> Progress:
    models = live.state.models.values()
    total = sum(1 for m in models if m.status != "created")
    ended = sum(1 for m in models if m.status in ("done", "failed", "cancelled"))
    running = sum(1 for m in models if m.status == "running")
    return Progress(ended=ended, total=total, embedded=len(live.embedder), running=running)


def _idle(live: _Live, dispatched: frozenset[str]) -> bool:
    state = live.state
    if state.queue or dispatched:
        return False
    return all(
        m.status not in ("queued", "running") and (m.status != "done" or m.id in live.embedder)
        for m in state.models.values()
    )
