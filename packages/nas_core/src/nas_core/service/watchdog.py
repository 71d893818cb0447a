"""The watchdog of the scale-out mode: what a restarted Redis lost, repaired.

A restarted Redis without persistence has lost its queues, its claims and the events it
held for the server; the workers claim their running attempts again and send their
records again (`Actors.resume`), and this thread repairs the rest. Every
``interval_s``, once Redis has been reachable (same ``run_id``) for ``RESTART_GRACE_S``
(every live process has beaten and resumed by then):

- a dispatched model the log shows queued whose attempt has no message on ``"train"``
  (waiting or fetched) and no claim, or a dead one, on two checks in a row, is sent
  again, the lost ones in queue order (after a restart the dispatcher hands out no
  other model until they are: `Dispatcher.broker_back`). An attempt whose claim ended
  trained: its worker keeps its records until the store has them, so it is not sent
  again (issue 23 C) unless nothing was heard of it for ``ENDED_SILENCE_FACTOR`` times
  the silence bound (its worker died with its records);
- a model the log shows running whose attempt has recorded nothing for its silence
  bound (``silence_s``, at least ``EPOCH_SILENCE_FACTOR`` times its longest epoch), has
  no record waiting on ``"events"`` (nor held for the store), and whose claim has no
  live holder (no heartbeat for ``HEARTBEAT_TIMEOUT_MS``, or the claim was lost; an
  ended claim only after ``ENDED_SILENCE_FACTOR`` times as long: its worker re-sends
  what the store misses well within that) is recorded "training failed"
  (``will_retry`` while tries remain; the same event id and claim take-over as a
  worker that finds a dead holder's message, so exactly one records it) and its next
  attempt is sent. A worker that is slow but alive (its heartbeat beats) is never
  failed; a late event of the failed attempt is ignored by the fold.

It is also the `Heartbeat`'s ``on_restart`` (`broker_back`): the dispatcher sends what
it could not send, and after a restart the grace is waited again. Built only with a
Redis broker; what it reads of the service (the open sessions, the held records) and
how it appends are handed in, and it works under the service's lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property

import dramatiq

from nas_core.events import Pending, SessionState, TrainingFailed

from .actors import Actors
from .broker import HEARTBEAT_INTERVAL_S, transient
from .claims import holder_name
from .dispatch import Dispatcher
from .messages import event_id, pending_records, pending_tasks

__all__ = [
    "EPOCH_SILENCE_FACTOR",
    "RESTART_GRACE_S",
    "WATCHDOG_SILENCE_S",
    "WATCH_INTERVAL_S",
    "Watchdog",
]

WATCHDOG_SILENCE_S = 30.0  # a running attempt silent this long, with no live holder: failed
WATCH_INTERVAL_S = 1.0
EPOCH_SILENCE_FACTOR = 3.0  # never fail before this many times the attempt's longest epoch
RESTART_GRACE_S = 2 * HEARTBEAT_INTERVAL_S + 1.0  # live workers beat and resume by then
ENDED_SILENCE_FACTOR = 4.0  # an ended attempt's worker re-sends its records well within

log = logging.getLogger(__name__)


class _Round:
    """What one round reads of Redis and of the held records, each once, when needed."""

    def __init__(self, broker: dramatiq.Broker, waiting: Callable[[], set[tuple[str, str]]]):
        self.broker = broker
        self.waiting = waiting

    @cached_property
    def tasks(self) -> set[tuple[str, str, int]]:
        return pending_tasks(self.broker)

    @cached_property
    def records(self) -> set[tuple[str, str]]:
        return pending_records(self.broker)

    @cached_property
    def held(self) -> set[tuple[str, str]]:
        return self.waiting()


class Watchdog:
    """See the module. `states`: the open sessions' states; `append`: append events to
    a session's log, returning its state after; `waiting`: (session, model) of the
    records held for the store; `lock`: the service's; `tick`: called every round
    first (the service publishes its receipts)."""

    def __init__(
        self,
        actors: Actors,
        dispatcher: Dispatcher,
        *,
        states: Callable[[], Mapping[str, SessionState]],
        append: Callable[[str, Sequence[Pending]], SessionState],
        waiting: Callable[[], set[tuple[str, str]]],
        lock: threading.RLock,
        tick: Callable[[], object] | None = None,
        silence_s: float = WATCHDOG_SILENCE_S,
        interval_s: float = WATCH_INTERVAL_S,
    ) -> None:
        self.actors = actors
        self.broker = actors.broker
        self.dispatcher = dispatcher
        self.states = states
        self.append = append
        self.waiting = waiting
        self.lock = lock
        self.tick = tick
        self.silence_s = silence_s
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._run_id: str | None = None
        self._steady_since: float | None = None  # Redis reachable, same run_id, since
        self._thread = threading.Thread(target=self._watch, name="remap-watchdog", daemon=True)

    def start(self) -> Watchdog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def broker_back(self, restarted: bool) -> None:
        """Redis is reachable again: send what could not be sent, set the cancels that
        could not be set. What a restart lost is `check`'s."""
        with self.lock:
            if restarted:
                self._steady_since = time.monotonic()  # wait the grace again
            self.dispatcher.broker_back(self.states(), restarted)

    def _watch(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                if self.tick is not None:
                    with self.lock:
                        self.tick()
                self.check()
            except Exception as error:
                if not transient(error):
                    log.exception("the watchdog's check failed")
                self._steady_since = None  # Redis is away: wait the grace once it is back

    def check(self) -> None:
        """One round (see the module)."""
        client = self.broker.client  # type: ignore[attr-defined]
        run_id = str(client.info("server")["run_id"])
        now = time.monotonic()
        if run_id != self._run_id or self._steady_since is None:
            self._run_id, self._steady_since = run_id, now
        if now - self._steady_since < RESTART_GRACE_S:
            return
        with self.lock:
            seen = _Round(self.broker, self.waiting)
            for session, state in self.states().items():
                self.dispatcher.cancel_kept(session)
                dispatched = self.dispatcher.dispatched(session)
                in_queue = [m for m in state.queue if m in dispatched]  # lost: sent in order
                for model in in_queue + sorted(dispatched - set(in_queue)):
                    m = state.models.get(model)
                    if m is None:
                        continue
                    if m.status == "queued" and not self.dispatcher.unsent(session, model):
                        self._queued(seen, session, state, model, now)
                    elif m.status == "running":
                        self._running(seen, session, state, model, now)
                # once no model is in doubt (`Dispatcher.broker_back`), in the log's state now
                self.dispatcher.pump(session, self.states().get(session, state))

    def _queued(
        self, seen: _Round, session: str, state: SessionState, model: str, now: float
    ) -> None:
        """A dispatched model the log shows queued: sent again once it is lost."""
        attempt = state.models[model].attempts + 1
        if (session, model, attempt) in seen.tasks or (session, model) in seen.held:
            self.dispatcher.found(session, model)
            return
        claims = self.actors.claims
        claim = claims.check(session, model, attempt)
        quiet = now - self.dispatcher.last_heard(session, model, now)
        if claim == "alive" or (claim == "ended" and quiet < self._ended_bound(state, model)):
            self.dispatcher.found(session, model)  # trains, or trained: its records come
        elif self.dispatcher.lost(session, model):  # lost (with a restarted Redis)
            log.warning(
                "session %s: model %s (attempt %d, claim %s) has no message "
                "on the broker; sending it again", session, model, attempt, claim
            )  # fmt: skip
            if claim == "ended":  # it ended, and all it said was lost
                claims.release(session, model, attempt)
            self.dispatcher.resend(session, state, model)

    def _running(
        self, seen: _Round, session: str, state: SessionState, model: str, now: float
    ) -> None:
        """A dispatched model the log shows running: failed once it is silent with no
        live holder."""
        if (session, model) in seen.held:  # its news waits for the store
            self.dispatcher.heard(session, model, now)
            return
        m = state.models[model]
        heard = self.dispatcher.last_heard(session, model, now)
        bound = self._bound(state, model)
        if now - heard < bound:
            return
        if (session, model) in seen.records:
            return  # its news is waiting on "events"
        claims = self.actors.claims
        recent = now - heard < self._ended_bound(state, model)
        if recent and claims.check(session, model, m.attempts) == "ended":
            return  # it ended: its worker sends what the store misses
        outcome, held = claims.take_over(session, model, m.attempts)
        if outcome == "alive":
            return  # slow, but its worker beats: never failed
        self._silent(session, state, model, held, now - heard)

    def _bound(self, state: SessionState, model: str) -> float:
        """How long an attempt of `model` may be silent (its longest epoch counts)."""
        longest = max((e.seconds for e in state.models[model].curve), default=0.0)
        return max(self.silence_s, EPOCH_SILENCE_FACTOR * longest)

    def _ended_bound(self, state: SessionState, model: str) -> float:
        return ENDED_SILENCE_FACTOR * self._bound(state, model)

    def _silent(
        self, session: str, state: SessionState, model: str, held: str, silent_s: float
    ) -> None:
        """Record that `model`'s running attempt went silent with no live worker, and
        send its next attempt (or leave it failed)."""
        m = state.models[model]
        retry = m.tries < self.actors.runtime.max_attempts
        who = holder_name(held) if held else (m.worker or "(unknown)")
        reason = (
            f"worker {who} went silent: nothing recorded for {silent_s:.0f} s "
            "and no heartbeat on the broker"
        )
        log.warning("session %s: model %s attempt %d: %s", session, model, m.attempts, reason)
        failed = TrainingFailed(model, m.attempts, reason, will_retry=retry)
        after = self.append(session, [Pending(event_id(model, m.attempts, "failed"), failed)])
        self.dispatcher.failed(session, after, model)
