"""End-to-end delivery of the workers' records (issue 23), without Redis: the server's
gate that appends each attempt's records in their own order (`InOrder`), the worker's
log that keeps them until a receipt covers them and sends the rest again
(`AttemptLog.deliver`), and a cancel before the start that uses up its attempt number.
The same on a real Redis: tests/test_scaleout_delivery.py."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.events import (
    Enqueue,
    EpochCompleted,
    Pending,
    Sample,
    TrainingCancelled,
    TrainingFailed,
    TrainingStarted,
)
from nas_core.service.actors import RESEND_AFTER_S, AttemptLog
from nas_core.service.in_order import InOrder
from nas_core.service.messages import EventRecord, encode, event_id
from nas_core.specs import EpochMetrics

from nas_core_event_sim import Sim


def _records(model: str, attempt: int, epochs: int) -> list[EventRecord]:
    """The records one attempt's worker sends: started, each epoch, its end."""
    events: list = [("started", TrainingStarted(model, attempt, "w1"))]
    for k in range(1, epochs + 1):
        metrics = EpochMetrics(k, 1.0 / k, 0.5, 1.0 / k, 0.4, 0.1, 0.001)
        events.append((f"epoch:{k}", EpochCompleted(model, attempt, metrics)))
    events.append(("failed", TrainingFailed(model, attempt, "its last record", False)))
    out, last = [], None
    for n, (step, event) in enumerate(events):
        rid = event_id(model, attempt, step)
        out.append(EventRecord("s1", rid, event, n=n, after=last if n else None))
        last = rid
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 12).flatmap(
        lambda epochs: st.tuples(
            st.just(epochs),
            st.permutations(range(epochs + 2)),
            st.lists(st.integers(0, epochs + 1), max_size=6),  # repeats, anywhere
            st.integers(0, epochs + 2),  # how many came before the server (re)started
        )
    )
)
def test_records_are_appended_in_their_order_whatever_order_they_arrive_in(case):
    epochs, order, repeats, before = case
    records = _records("m1", 1, epochs)
    log: list[str] = []
    stored = {r.id for r in records[:before]}  # in the log before this gate began
    log.extend(r.id for r in records[:before])

    def put(record: EventRecord) -> None:
        if record.id not in stored:  # the store ignores an id it holds
            stored.add(record.id)
            log.append(record.id)
        if log[-1] == records[-1].id:  # ended: the service settles after each record
            gate.settle("s1", "m1", lambda _attempt: True)

    gate = InOrder(put, lambda _session, rid: rid in stored)
    arrivals = [records[i] for i in order] + [records[i] for i in repeats]
    for record in arrivals:
        gate.take(record)
    assert log == [r.id for r in records]  # every record once, in order
    assert len(gate) == 0
    assert gate.waiting() == set()


def test_held_records_of_an_attempt_that_ended_are_dropped():
    put: list[str] = []
    gate = InOrder(lambda r: put.append(r.id), lambda _s, _rid: False)
    records = _records("m1", 1, 3)
    assert gate.take(records[2])  # "started" never comes
    assert gate.take(records[3])
    assert gate.waiting() == {("s1", "m1")}
    gate.settle("s1", "m1", lambda attempt: attempt == 1)  # failed by the watchdog
    assert len(gate) == 0
    assert put == []
    alone = EventRecord("s1", "m1:1:failed", records[0].event)  # outside the run: at once
    assert not gate.take(alone)
    assert put == ["m1:1:failed"]


class _Receipts:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = {}

    def read(self, keys):
        return [self.counts.get(k, 0) for k in keys]


def test_a_worker_sends_again_what_the_store_does_not_hold_once_the_receipt_stalls():
    receipts, sent = _Receipts(), []
    attempts = AttemptLog(receipts, sent.append)  # type: ignore[arg-type]
    attempts._thread = object()  # type: ignore[assignment]  # rounds by hand here
    key = ("s1", "m1", 1)
    run = attempts.begin(key)
    run.records = [encode(r).decode() for r in _records("m1", 1, 4)]
    t0 = run.stall_since
    receipts.counts[key] = 2
    assert attempts.deliver(t0 + 1) == 0  # the receipt grew: nothing is missing yet
    assert attempts.deliver(t0 + 1 + RESEND_AFTER_S / 2) == 0
    assert attempts.deliver(t0 + 1 + RESEND_AFTER_S) == 4  # stalled: the other 4 again
    assert sent == run.records[2:]
    assert attempts.deliver(t0 + 1 + 1.5 * RESEND_AFTER_S) == 0  # then it waits longer
    receipts.counts.clear()  # Redis restarted: its receipts are gone, not the records
    attempts.finish(key)
    assert key in attempts.unacked
    assert attempts.deliver(t0 + 1 + 3.1 * RESEND_AFTER_S) == 4  # from what it knew
    receipts.counts[key] = 6
    assert attempts.deliver(t0 + 100) == 0
    assert key not in attempts.unacked  # all in the store: forgotten


def test_a_model_cancelled_before_it_started_trains_as_the_next_attempt_when_queued_again():
    sim = Sim()
    sim.command(Sample(count=1, seed=1))
    (model,) = sim.state.models
    for attempt in (1, 2):  # cancelled twice before it started: two records, two numbers
        cancelled = TrainingCancelled(model, was_running=False, attempt=attempt)
        assert sim.append([Pending(event_id(model, attempt, "cancelled"), cancelled)])
        m = sim.state.models[model]
        assert (m.status, m.attempts) == ("cancelled", attempt)
        sim.command(Enqueue(models=(model,)))
    sim.start(model)  # the next attempt is the third
    assert sim.state.models[model].attempts == 3
    late = TrainingCancelled(model, was_running=True, attempt=2)  # of an older attempt
    sim.append([Pending(event_id(model, 2, "cancelled-late"), late)])
    assert sim.state.models[model].status == "running"


class _Actors:
    """What the dispatcher and the watchdog use of `Actors`, recorded."""

    def __init__(self, claim: str) -> None:
        self.sent: list[tuple[str, int]] = []
        self.broker = None
        self.claims = self
        self.claim = claim
        self.runtime = self
        self.cancel = self
        self.max_attempts = 2

    def enqueue(self, session, job, attempt=1, tries=None):
        self.sent.append((job.model_id, attempt))

    def resend(self, session, job, attempt, tries=None):
        self.sent.append((job.model_id, attempt))

    def check(self, session, model, attempt):
        return self.claim

    def release(self, session, model, attempt):
        self.claim = "free"

    def clear(self, session, model):
        pass


def _queued_session(count: int):
    sim = Sim()
    sim.command(Sample(count=count, seed=3))
    return sim.state


def test_the_watchdog_never_sends_again_an_attempt_whose_claim_ended():
    """Livelock C: a queued model whose attempt trained (its claim ended) while its
    records are on their way is not sent again, round after round."""
    import threading
    from types import SimpleNamespace

    from nas_core.service.dispatch import Dispatcher
    from nas_core.service.watchdog import Watchdog

    state = _queued_session(1)
    (model,) = state.queue
    for claim, resent in (("ended", []), ("free", [(model, 1)])):
        actors = _Actors(claim)
        dispatcher = Dispatcher(actors)  # type: ignore[arg-type]
        dispatcher.pump("s1", state)
        assert actors.sent == [(model, 1)]
        actors.sent.clear()
        watchdog = Watchdog(
            actors,  # type: ignore[arg-type]
            dispatcher,
            states=lambda: {"s1": state},
            append=lambda *_: state,
            waiting=set,
            lock=threading.RLock(),
        )
        seen = SimpleNamespace(tasks=set(), held=set(), records=set())
        for k in range(3):  # no message on "train": lost on the second round
            watchdog._queued(seen, "s1", state, model, 100.0 + k)  # type: ignore[arg-type]
        assert actors.sent == resent, claim


def test_after_a_redis_restart_nothing_is_handed_out_past_a_model_in_doubt():
    """F: the head of the queue, lost with Redis, goes back on the broker before any
    later model."""
    from nas_core.service.dispatch import Dispatcher

    sim = Sim()
    sim.command(Sample(count=3, seed=3))
    first, second, third = sim.state.queue
    actors = _Actors("free")
    dispatcher = Dispatcher(actors)  # type: ignore[arg-type]
    dispatcher.pump("s1", sim.state)  # the sim's concurrency: two on the broker
    assert actors.sent == [(first, 1), (second, 1)]
    sim.start(first)  # its worker trains it
    dispatcher.broker_back({"s1": sim.state}, restarted=True)
    sim.fail(first, retry=False)  # ... and it ended: room for one more
    dispatcher.recorded("s1", sim.state, first)
    dispatcher.pump("s1", sim.state)
    assert actors.sent == [(first, 1), (second, 1)]  # the second may be lost: wait
    assert not dispatcher.lost("s1", second)
    assert dispatcher.lost("s1", second)  # lost twice: the watchdog sends it again
    dispatcher.pump("s1", sim.state)
    assert actors.sent == [(first, 1), (second, 1), (third, 1)]
