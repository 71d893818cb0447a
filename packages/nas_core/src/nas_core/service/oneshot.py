"""`OneShotRunner`: does the one-shot work a session's log asks for (issue 18).

Embedded mode only (v1): supernet trainings (`SupernetJob`) and batches of subgraph
scores (`EvalJob`) run in the session service's `TrainerPool` processes, the same ones
that train models, and their results are appended as events; the checkpoint is a file
under the data folder (``supernets/{session}/{sha256}.pt``), so scale-out workers
would need it shared (not done). Between jobs it appends what the log implies next
(`nas_core.events.oneshot_decide.follow`: an iteration completed, the next planned).

A supernet training is an entry of the session's queue (`SessionState.queue`): it
starts only when the `Dispatcher` hands it out in its turn (`hand`), is cancelled with
the queue's own commands (the cancel flag stops it at a batch boundary; "training
cancelled" is recorded), and a crashed trainer process is retried within the retry
budget (`max_attempts`, the same as a model's), as `nas_core.service.actors` does.

Event ids are derived from what they record (the supernet and attempt, the checkpoint
digest and mask, the search and iteration), so a repeated step appends nothing new.
A thread polls the sessions it was told about (`kick`) until they have nothing left to
do; `run_until_idle` does the same in the caller's thread (the CLI, tests).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from nas_core.events import Pending, SessionState
from nas_core.events import kinds as k
from nas_core.events.oneshot_decide import EvalWork, SupernetWork, follow, pending_work, placer
from nas_core.oneshot.types import mask_key
from nas_core.training.errors import TrainingCancelled, TrainingError, WorkerDied
from nas_core.training.jobs import EvalJob, SupernetJob

__all__ = ["OneShotRunner"]

log = logging.getLogger(__name__)

POLL_S = 0.2
EVAL_BATCH = 64  # subgraphs per worker call


class OneShotRunner:
    """See the module. `run(job, on_epoch=...)` runs a job in a trainer process (a
    `TrainerPool`'s `run`); `state(session)` and `append(session, pending)` read and
    extend a session's log; checkpoints go under `folder` (the data folder);
    `data_root` resolves relative data paths as the trainings do."""

    def __init__(
        self,
        run: Callable[..., object],
        state: Callable[[str], SessionState],
        append: Callable[[str, Sequence[Pending]], SessionState],
        folder: Path,
        data_root: Path | None = None,
        worker: str = "embedded",
        cancel=None,
        max_attempts: int = 2,
    ) -> None:
        self._run = run
        self._state = state
        self._append = append
        self.folder = Path(folder)
        self.data_root = None if data_root is None else Path(data_root)
        self.worker = worker
        self.cancel = cancel  # `CancelFlags` (None: nothing cancels a supernet training)
        self.max_attempts = max_attempts
        self._handed: set[tuple[str, str]] = set()  # (session, supernet) handed out
        self._sessions: dict[str, None] = {}
        self._lock = threading.Lock()
        self._step_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- driving ----------------------------------------------------------------------

    def step(self, session: str) -> bool:
        """Do one unit of the session's one-shot work; False when there is none. Steps
        run one at a time (the background thread's and a caller's)."""
        with self._step_lock:
            return self._step(session)

    def _step(self, session: str) -> bool:
        state = self._state(session)
        implied = follow(state)
        if implied:
            self._append(session, [Pending(_follow_id(e), e) for e in implied])
            return True
        work = [
            w for w in pending_work(state)
            if not isinstance(w, SupernetWork) or (session, w.supernet) in self._handed
        ]  # fmt: skip
        if not work:
            return False
        item = work[0]
        if isinstance(item, SupernetWork):
            self._train(session, state, item)
        else:
            self._evaluate(session, state, item)
        return True

    def run_until_idle(self, session: str, max_steps: int = 1_000_000) -> int:
        """Step until nothing is left to do now; returns the steps taken."""
        n = 0
        while n < max_steps and not self._stopping.is_set() and self.step(session):
            n += 1
        return n

    def wait(
        self, session: str, done: Callable[[SessionState], bool], timeout_s: float = 3600.0
    ) -> SessionState:
        """Work on `session` in this thread until ``done(state)`` (or nothing is left to
        do and it is still not done: `TimeoutError` after `timeout_s`)."""
        deadline = time.monotonic() + timeout_s
        while True:
            state = self._state(session)
            if done(state):
                return state
            if not self.step(session):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"session {session}: the one-shot work did not finish")
                time.sleep(POLL_S)

    def hand(self, session: str, supernet: str) -> None:
        """The `Dispatcher` hands out `supernet`'s queued training (its turn came)."""
        with self._lock:
            self._handed.add((session, supernet))
        self.kick(session)

    def kick(self, session: str) -> None:
        """Let the background thread look at `session` (started on first use)."""
        with self._lock:
            self._sessions[session] = None
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="oneshot", daemon=True)
                self._thread.start()
        self._wake.set()

    def close(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(POLL_S)
            self._wake.clear()
            with self._lock:
                sessions = list(self._sessions)
            for session in sessions:
                try:
                    self.run_until_idle(session)
                    if not _waiting(self._state(session)):
                        with self._lock:
                            self._sessions.pop(session, None)
                except Exception:  # logged; the session is looked at again next time
                    log.exception("one-shot work of session %s failed", session)

    # --- the jobs ---------------------------------------------------------------------

    def _train(self, session: str, state: SessionState, w: SupernetWork) -> None:
        base = f"os-{w.supernet}-a{w.attempt}"
        folder = self.folder / "supernets" / session
        job = SupernetJob(
            model_id=f"supernet {w.supernet}", arch=w.arch, config=w.config, seed=w.seed,
            folder=str(folder), data=state.data,
            data_root=None if self.data_root is None else str(self.data_root),
        )  # fmt: skip

        def on_epoch(p) -> None:
            event = k.SupernetEpochCompleted(
                w.supernet, w.attempt, p.epoch, p.train_loss, p.val_loss, p.seconds, p.lr
            )
            self._append(session, [Pending(f"{base}-e{p.epoch}", event)])

        flags = self.cancel

        def cancelled() -> bool:
            return flags is not None and flags.is_cancelled(session, w.supernet)

        if cancelled():  # cancelled between being handed out and starting
            self._ended(session, w.supernet)
            gone = k.TrainingCancelled(w.supernet, was_running=False, attempt=w.attempt)
            self._append(session, [Pending(f"{base}-cancelled", gone)])
            return
        started = k.SupernetTrainingStarted(w.supernet, w.attempt, self.worker)
        self._append(session, [Pending(f"{base}-started", started)])
        tries = self._state(session).oneshot.supernets[w.supernet].tries
        try:
            result = self._run(job, on_epoch=on_epoch, should_stop=cancelled)
        except TrainingCancelled:
            self._ended(session, w.supernet)
            gone = k.TrainingCancelled(w.supernet, was_running=True, attempt=w.attempt)
            self._append(session, [Pending(f"{base}-cancelled", gone)])
            return
        except (TrainingError, OSError) as exc:
            # a crashed process is retried within the budget (a stop always), as a model
            retry = isinstance(exc, WorkerDied) and (exc.stopped or tries < self.max_attempts)
            if not retry:
                self._ended(session, w.supernet)
            failed = k.SupernetTrainingFailed(w.supernet, w.attempt, _reason(exc), retry)
            self._append(session, [Pending(f"{base}-failed", failed)])
            return
        self._ended(session, w.supernet)
        path = Path(result.path)
        try:
            rel = str(path.relative_to(self.folder))
        except ValueError:
            rel = str(path)
        finished = k.SupernetTrainingFinished(
            w.supernet, w.attempt, result.sha256, result.size, rel, result.wall_s, result.val_loss
        )
        self._append(session, [Pending(f"{base}-finished", finished)])

    def _ended(self, session: str, supernet: str) -> None:
        """The training leaves the queue for good: hand it back, clear its cancel."""
        with self._lock:
            self._handed.discard((session, supernet))
        if self.cancel is not None:
            self.cancel.clear(session, supernet)

    def _evaluate(self, session: str, state: SessionState, w: EvalWork) -> None:
        record = state.oneshot.supernets[w.supernet]
        place = placer(state, w.supernet)
        masks = w.masks[:EVAL_BATCH]
        job = EvalJob(
            model_id=f"scores of {w.supernet}", arch=record.arch,
            checkpoint=str(self.folder / record.path), sha256=record.sha256, masks=masks,
            recalibration=w.recalibration, data=state.data,
            data_root=None if self.data_root is None else str(self.data_root),
        )  # fmt: skip
        result = self._run(job)
        pending = []
        for s in result.scores:
            position = None if place is None else place.place(s.mask)
            event = k.SubgraphEvaluated(
                w.supernet, w.search, s.mask, s.val_loss, s.val_acc, s.per_class_acc,
                s.predictions, w.recalibration.seed, s.ms, position,
            )  # fmt: skip
            pending.append(Pending(f"os-{record.sha256[:16]}-{mask_key(s.mask)}", event))
        self._append(session, pending)


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return reason if isinstance(reason, str) and reason else str(exc)


def _follow_id(event) -> str:
    if isinstance(event, k.SearchIterationCompleted):
        return f"os-{event.search}-i{event.iteration}-completed"
    if isinstance(event, k.SearchIterationPlanned):
        return f"os-{event.search}-i{event.iteration}-planned"
    if isinstance(event, k.RankCheckCompleted):
        return f"os-{event.check}-completed"
    raise TypeError(f"no id for {type(event).__name__}")


def _waiting(state: SessionState) -> bool:
    """Whether the session's one-shot work may resume by itself (a search running, a
    rank check waiting for its models)."""
    one = state.oneshot
    return (
        any(s.status == "running" for s in one.searches.values())
        or any(r.status == "running" for r in one.rank_checks.values())
        or any(s.status in ("queued", "running") for s in one.supernets.values())
    )
