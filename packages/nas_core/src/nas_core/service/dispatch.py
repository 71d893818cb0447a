"""What the service has handed to the broker: the `Dispatcher`.

It hands the head of each session's queue to the ``train_model`` actor, never more than
the session's concurrency limit at once (in the embedded mode, nor more than its trainer
processes), so that reordering the queue means what it says (a message on the broker
could not be reordered any more). A model stays dispatched until the log shows its
training ended; cancelling it sets its cancel flag, and its worker records the cancel.
Closing (`close`) hands out nothing more and cancels nothing: a stop is not a user's
cancel (the embedded service stops its own trainings as stops, `Runtime.stop`; remote
workers go on, and what they report waits on ``"events"`` for the server to be back,
when `adopt` takes their models up again).

Redis going away (scale-out): a model that cannot be handed over stays dispatched and
is noted unsent; a cancel that cannot reach the flags is kept; both are done when Redis
is back (`broker_back`). What the watchdog (`nas_core.service.watchdog`) goes by is
kept here too: when each model last had news (`heard`), and which queued models had no
message on the broker at its last check (`lost`).

A supernet training (issue 18) is an entry of the same queue: handed out in its turn,
under the same limit, to `oneshot` (the embedded mode's one-shot runner, which runs it
in the same trainer processes and records it) instead of the broker; cancelled with the
same flags. Without a runner (scale-out, v1) a queued supernet waits.

Not thread-safe by itself: its owner calls it under its own lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nas_core.events import Continued, SessionState
from nas_core.events.kinds import AutoSearch
from nas_core.specs import DataSpec
from nas_core.training import TrainJob

from .actors import Actors
from .broker import transient

__all__ = ["Dispatcher"]

log = logging.getLogger(__name__)


@dataclass
class _Sent:
    """One session's models handed to the broker whose training has not ended."""

    dispatched: set[str] = field(default_factory=set)
    unsent: set[str] = field(default_factory=set)  # dispatched, but the broker was away
    cancels: set[str] = field(default_factory=set)  # cancelled while the broker was away
    heard: dict[str, float] = field(default_factory=dict)  # model → last news (monotonic)
    missing: set[str] = field(default_factory=set)  # queued, no message at the last check
    doubt: set[str] = field(default_factory=set)  # queued when Redis restarted: lost?


class Dispatcher:
    """See the module. `processes`: the embedded mode's trainer processes, a bound on
    the concurrency (None in the scale-out mode); `data_root` goes into each job, and
    `weights_dir`, the folder trainers store the weights in (None: not kept);
    `oneshot(session, supernet)` takes a supernet training handed out (see the module)."""

    def __init__(
        self,
        actors: Actors,
        *,
        processes: int | None = None,
        data_root: Path | None = None,
        weights_dir: Path | None = None,
        oneshot: Callable[[str, str], None] | None = None,
    ) -> None:
        self.actors = actors
        self.oneshot = oneshot
        self.processes = processes
        self.data_root = data_root
        self.weights_dir = weights_dir
        self._sessions: dict[str, _Sent] = {}
        self._closed = False

    def _of(self, session: str) -> _Sent:
        sent = self._sessions.get(session)
        if sent is None:
            sent = self._sessions[session] = _Sent()
        return sent

    # ----------------------------------------------------------------- reading

    def dispatched(self, session: str) -> frozenset[str]:
        """The models of `session` handed to the broker whose training has not ended."""
        sent = self._sessions.get(session)
        return frozenset() if sent is None else frozenset(sent.dispatched)

    def unsent(self, session: str, model: str) -> bool:
        """Whether `model` is dispatched but could not be handed to the broker yet."""
        sent = self._sessions.get(session)
        return sent is not None and model in sent.unsent

    # ----------------------------------------------------------------- handing out

    def pump(self, session: str, state: SessionState) -> None:
        """Hand queued models to the broker, head first, up to the concurrency limit
        (the live one, `SessionState.concurrency_limit`); none while the queue is
        paused (what runs already finishes)."""
        if state.settings is None or self._closed or state.paused:
            return
        limit = state.concurrency_limit()
        if self.processes is not None:
            limit = min(limit, self.processes)
        sent = self._of(session)
        if sent.doubt:  # a model ahead may be lost: the watchdog sends it again first
            return
        for model in state.queue:
            if len(sent.dispatched) >= limit:
                break
            if model in sent.dispatched:
                continue
            if model not in state.models:  # a supernet training (issue 18)
                if self.oneshot is None:
                    continue
                sent.dispatched.add(model)
                self.oneshot(session, model)
                continue
            sent.dispatched.add(model)
            self.send(session, state, model)

    def send(self, session: str, state: SessionState, model: str) -> None:
        """Send `model`'s next attempt to ``"train"``; if the broker cannot be reached,
        note it unsent for `broker_back`."""
        if self._closed:
            return
        sent = self._of(session)
        m = state.models[model]
        try:
            job = self._job(state, model)
            self.actors.enqueue(session, job, attempt=m.attempts + 1, tries=m.tries + 1)
        except Exception as error:
            if not transient(error):
                raise
            log.warning(
                "model %s: broker unreachable (%s); sending it when it is back", model, error
            )
            sent.unsent.add(model)
        else:
            sent.unsent.discard(model)

    def resend(self, session: str, state: SessionState, model: str) -> None:
        """Send `model`'s next attempt again (its message was lost); the cancel flag,
        if any, stays."""
        if self._closed:
            return
        m = state.models[model]
        try:
            self.actors.resend(session, self._job(state, model), m.attempts + 1, m.tries + 1)
        except Exception as error:
            if not transient(error):
                raise
            self._of(session).unsent.add(model)

    def cancel(self, session: str, model: str) -> None:
        """Set `model`'s cancel flag; while the broker is away, keep it for later."""
        sent = self._of(session)
        try:
            self.actors.cancel(session, model)
        except Exception as error:
            if not transient(error):
                raise
            log.warning("model %s: broker unreachable (%s); cancelling it when back", model, error)
            sent.cancels.add(model)
        else:
            sent.cancels.discard(model)

    def cancel_kept(self, session: str) -> None:
        """Set the cancel flags kept while the broker was away."""
        sent = self._of(session)
        if sent.cancels:
            for model in sorted(sent.cancels & sent.dispatched):
                self.cancel(session, model)
            sent.cancels &= sent.dispatched

    def broker_back(self, states: Mapping[str, SessionState], restarted: bool = False) -> None:
        """Redis is reachable again: send what could not be sent, set the cancels that
        could not be set (`states`: the open sessions). After a restart (its queues
        lost) the dispatched models still queued are in doubt: nothing else is handed
        out until the watchdog found each on the broker or sent it again (`found`,
        `lost`), so that the queue's order holds."""
        for session, state in states.items():
            sent = self._of(session)
            if restarted:
                sent.doubt = {
                    m for m in sent.dispatched if state.models[m].status == "queued"
                } - sent.unsent
            for model in [m for m in state.queue if m in sent.unsent & sent.dispatched]:
                log.warning("session %s: sending model %s again", session, model)
                self.send(session, state, model)
            sent.unsent &= sent.dispatched
            self.cancel_kept(session)

    def close(self) -> None:
        """The service closes: send nothing more. Nothing is cancelled (see the module)."""
        self._closed = True

    def adopt(self, session: str, state: SessionState) -> None:
        """Count the models `state` shows running as dispatched (scale-out: a server
        that starts again finds remote workers still at them): they count against the
        concurrency, and the watchdog watches them as it watches what it sent."""
        sent = self._of(session)
        sent.dispatched.update(m.id for m in state.models.values() if m.status == "running")

    # ----------------------------------------------------------------- news

    def recorded(self, session: str, state: SessionState, model: str | None) -> None:
        """An event about `model` is in the log (`state`): note the news, or forget the
        model once its training ended (a late event of an older attempt changes
        nothing)."""
        m = None if model is None else state.models.get(model)
        if m is None:
            m = None if model is None else state.oneshot.supernets.get(model)
            if m is None:
                return
        sent = self._of(session)
        if m.status != "queued":
            sent.doubt.discard(m.id)
        if m.status in ("queued", "running"):
            sent.heard[m.id] = time.monotonic()
        else:
            sent.dispatched.discard(m.id)
            sent.heard.pop(m.id, None)

    def heard(self, session: str, model: str | None, now: float | None = None) -> None:
        """News of dispatched `model` that is not in the log yet (held, or waiting)."""
        sent = self._sessions.get(session)
        if sent is not None and model in sent.dispatched:
            sent.heard[model] = time.monotonic() if now is None else now

    def last_heard(self, session: str, model: str, now: float) -> float:
        """When `model` last had news (`now` if it never had)."""
        return self._of(session).heard.setdefault(model, now)

    def failed(self, session: str, state: SessionState, model: str) -> None:
        """The watchdog recorded `model`'s running attempt failed (`state`): send its
        next attempt, or (failed for good) let it go and hand out the next model."""
        sent = self._of(session)
        sent.heard.pop(model, None)
        if state.models[model].status == "queued":
            self.send(session, state, model)
            return
        sent.dispatched.discard(model)
        try:
            self.actors.runtime.cancel.clear(session, model)
        except Exception as error:
            if not transient(error):
                raise
        self.pump(session, state)

    def found(self, session: str, model: str) -> None:
        """Queued `model` has its message on the broker, or a live worker."""
        sent = self._of(session)
        sent.missing.discard(model)
        sent.doubt.discard(model)

    def lost(self, session: str, model: str) -> bool:
        """Queued `model` has no message on the broker and no live worker: whether it
        had none at the last check either (then it counts as lost, and is forgotten)."""
        sent = self._of(session)
        if model in sent.missing:
            sent.missing.discard(model)
            sent.doubt.discard(model)  # sent again now, ahead of the next ones
            return True
        sent.missing.add(model)
        return False

    def forget(self, session: str) -> None:
        """Drop what `session` dispatched (it is set aside)."""
        self._sessions.pop(session, None)

    def _job(self, state: SessionState, model: str) -> TrainJob:
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
            weights_dir=None if self.weights_dir is None else str(self.weights_dir),
            **_continued(m.origin),
        )


def _continued(origin) -> dict:
    """A continued model starts from its parent's weights, one epoch past them."""
    if isinstance(origin, Continued):
        return {"init_weights": origin.weights, "first_epoch": origin.epoch + 1}
    if isinstance(origin, AutoSearch) and origin.weights is not None:  # a promotion (issue 21)
        return {"init_weights": origin.weights, "first_epoch": (origin.epoch or 0) + 1}
    return {}
