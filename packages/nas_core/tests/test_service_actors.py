"""The Dramatiq actors with a real StubBroker, real in-process Workers, a real
TrainerPool training tiny models on digits, and the real event store as the owner's
record sink."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator

import dramatiq
import msgspec
import pytest
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from nas_core.arch import Architecture, Dense, Flatten, Input, ReLU
from nas_core.events import (
    EpochCompleted,
    EventStore,
    Pending,
    TrainingCancelled,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
)
from nas_core.packed import unpack_labels
from nas_core.service import (
    EVENTS_QUEUE,
    TRAIN_QUEUE,
    Actors,
    EventRecord,
    MemoryCancelFlags,
    RedisCancelFlags,
    Runtime,
    TrainTask,
    check_redis_url,
    declare_actors,
    event_id,
    make_broker,
    start_worker,
    stopper,
)
from nas_core.specs import DataSpec, TrainConfig
from nas_core.training import TrainerPool, TrainJob

DATA = DataSpec(limit=200)
SESSION = "s1"
TIMEOUT_S = 30.0


def tiny(name: str, shape: tuple[int, int, int] = (1, 8, 8)) -> Architecture:
    return Architecture(
        name=name,
        input=Input(shape=shape, classes=10),
        layers=(Flatten(), Dense(units=16), ReLU(), Dense(units=10)),
    )


def job(name: str, epochs: int, shape: tuple[int, int, int] = (1, 8, 8)) -> TrainJob:
    return TrainJob(
        model_id=name, arch=tiny(name, shape), config=TrainConfig(epochs=epochs), seed=7, data=DATA
    )


@pytest.fixture(scope="module")
def pool() -> Iterator[TrainerPool]:
    with TrainerPool(1, data=DATA) as p:
        yield p


class Owner:
    """The process that owns the store: declares the actors, runs both workers."""

    def __init__(self, store: EventStore, pool: TrainerPool) -> None:
        self.store = store
        self.flags = MemoryCancelFlags()
        self.broker = make_broker(None)
        self.seen: list[EventRecord] = []  # every record delivered, duplicates included
        self.runtime = Runtime(runner=pool, cancel=self.flags, record=self.record, worker="w1")
        self.actors: Actors = declare_actors(self.broker, self.runtime)
        self.train = start_worker(self.broker, {TRAIN_QUEUE}, 1, idle_wake_ms=50)
        self.events = start_worker(self.broker, {EVENTS_QUEUE}, 1, idle_wake_ms=50)

    def record(self, record: EventRecord) -> None:
        self.seen.append(record)
        self.store.append(record.session, [Pending(id=record.id, event=record.event)])

    def log(self) -> list:
        return self.store.read(SESSION)

    def wait_for(self, what: str, predicate: Callable[[list], bool]) -> list:
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            log = self.log()
            if predicate(log):
                return log
            time.sleep(0.02)
        log = self.log()
        raise AssertionError(
            f"timed out waiting for {what}; {len(log)} events, the last: {[e.id for e in log[-5:]]}"
        )

    def settle(self) -> list:
        self.train.join(TIMEOUT_S)
        self.events.join(TIMEOUT_S)
        return self.log()

    def close(self) -> None:
        self.train.stop(5)
        self.events.stop(5)


@pytest.fixture
def owner(tmp_path, pool) -> Iterator[Owner]:
    with EventStore(tmp_path / "events.sqlite") as store:
        o = Owner(store, pool)
        try:
            yield o
        finally:
            o.close()


def has(model: str, kind: type, attempt: int | None = None) -> Callable[[list], bool]:
    def predicate(log: list) -> bool:
        return any(
            isinstance(e.event, kind)
            and e.event.model == model
            and (attempt is None or e.event.attempt == attempt)
            for e in log
        )

    return predicate


def of(log: list, model: str) -> list:
    return [e for e in log if e.event.model == model]


def test_a_jobs_events_arrive_in_order_once_each(owner: Owner) -> None:
    owner.actors.enqueue(SESSION, job("m1", 2))
    owner.actors.enqueue(SESSION, job("m2", 1))
    owner.wait_for("m2 finished", has("m2", TrainingFinished))
    log = owner.settle()
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    m1 = of(log, "m1")
    assert [e.id for e in m1] == ["m1:1:started", "m1:1:epoch:1", "m1:1:epoch:2", "m1:1:finished"]
    assert [type(e.event) for e in m1] == [
        TrainingStarted,
        EpochCompleted,
        EpochCompleted,
        TrainingFinished,
    ]
    assert all(e.event.attempt == 1 for e in m1)
    assert m1[0].event.worker == "w1"
    assert [e.event.metrics.epoch for e in m1[1:3]] == [1, 2]
    result = m1[-1].event.result
    assert result.epochs == 2
    assert len(unpack_labels(result.predictions)) == sum(map(sum, result.confusion))
    assert [e.id for e in of(log, "m2")] == ["m2:1:started", "m2:1:epoch:1", "m2:1:finished"]
    assert len(owner.seen) == len(log)  # nothing was delivered twice
    assert not owner.flags.is_cancelled(SESSION, "m1")


def test_redelivered_event_messages_are_harmless(owner: Owner) -> None:
    owner.actors.enqueue(SESSION, job("m1", 1))
    owner.wait_for("m1 finished", has("m1", TrainingFinished))
    before = owner.settle()
    # Deliver every record of the finished job again, as a broker redelivery would.
    for record in list(owner.seen):
        owner.actors.record_events.send(msgspec.json.encode(record).decode())
    after = owner.settle()
    assert len(owner.seen) == 2 * len(before)
    assert after == before


def test_cancelling_a_running_job_records_training_cancelled(owner: Owner) -> None:
    owner.actors.enqueue(SESSION, job("m1", 1000))
    owner.wait_for("m1's first epoch", has("m1", EpochCompleted))
    owner.actors.cancel(SESSION, "m1")
    owner.wait_for("m1 cancelled", has("m1", TrainingCancelled))
    log = of(owner.settle(), "m1")
    assert log[0].id == "m1:1:started"
    assert log[-1].id == "m1:1:cancelled"
    assert log[-1].event.was_running is True
    epochs = [e.event.metrics.epoch for e in log if isinstance(e.event, EpochCompleted)]
    assert epochs == list(range(1, len(epochs) + 1))
    assert len(epochs) < 1000
    assert not any(isinstance(e.event, TrainingFinished | TrainingFailed) for e in log)
    assert not owner.flags.is_cancelled(SESSION, "m1")  # cleared once recorded


def test_a_job_cancelled_before_it_starts_never_starts(owner: Owner) -> None:
    owner.flags.cancel(SESSION, "m1")  # the cancel reached the flags before the worker
    owner.actors.train_model.send(
        msgspec.json.encode(TrainTask(session=SESSION, job=job("m1", 2))).decode()
    )
    owner.wait_for("m1 cancelled", has("m1", TrainingCancelled))
    log = owner.settle()
    assert [e.id for e in log] == ["m1:1:cancelled"]
    assert log[0].event.was_running is False


def test_enqueue_clears_a_stale_cancel_flag(owner: Owner) -> None:
    owner.flags.cancel(SESSION, "m1")  # left from an earlier training of m1
    owner.actors.enqueue(SESSION, job("m1", 1))
    owner.wait_for("m1 finished", has("m1", TrainingFinished))


def test_a_training_that_fails_is_recorded_failed_without_retry(owner: Owner) -> None:
    owner.actors.enqueue(SESSION, job("m1", 2, shape=(1, 16, 16)))  # digits are 8×8
    owner.wait_for("m1 failed", has("m1", TrainingFailed))
    log = owner.settle()
    assert [e.id for e in log] == ["m1:1:started", "m1:1:failed"]
    failed = log[-1].event
    assert failed.will_retry is False
    assert failed.attempt == 1
    assert "TrainingError" in failed.reason


def _kill_trainer(pool: TrainerPool, model: str) -> None:
    (pid,) = [w.pid for w in pool.workers if w.model_id == model]
    os.kill(pid, signal.SIGKILL)


def test_a_dead_worker_is_retried_once_then_recorded_failed(owner: Owner, pool) -> None:
    owner.actors.enqueue(SESSION, job("m1", 1000))
    owner.wait_for("attempt 1's first epoch", has("m1", EpochCompleted, 1))
    _kill_trainer(pool, "m1")
    owner.wait_for("attempt 2's first epoch", has("m1", EpochCompleted, 2))
    _kill_trainer(pool, "m1")
    owner.wait_for("attempt 2 failed", has("m1", TrainingFailed, 2))
    log = owner.settle()
    failures = [e.event for e in log if isinstance(e.event, TrainingFailed)]
    assert [(f.attempt, f.will_retry) for f in failures] == [(1, True), (2, False)]
    assert all("killed by SIGKILL" in f.reason for f in failures)
    ids = [e.id for e in log]
    assert ids.index("m1:1:failed") < ids.index("m1:2:started") < ids.index("m1:2:failed")
    assert ids[-1] == "m1:2:failed"  # no third attempt
    assert not any(isinstance(e.event, TrainingFinished) for e in log)


def test_a_cancel_stops_the_retry_too(owner: Owner, pool) -> None:
    owner.actors.enqueue(SESSION, job("m1", 1000))
    owner.wait_for("attempt 1's first epoch", has("m1", EpochCompleted, 1))
    _kill_trainer(pool, "m1")
    owner.wait_for("attempt 2 started", has("m1", TrainingStarted, 2))
    owner.actors.cancel(SESSION, "m1")  # stop the long attempt 2 the ordinary way
    owner.wait_for("m1 cancelled", has("m1", TrainingCancelled))
    ids = [e.id for e in owner.settle()]
    assert ids[0] == "m1:1:started"
    assert "m1:1:failed" in ids
    assert ids[-1] == "m1:2:cancelled"


def test_record_events_refuses_a_process_without_the_store() -> None:
    broker = make_broker(None)
    actors = declare_actors(broker, Runtime(runner=None, cancel=MemoryCancelFlags()))
    record = EventRecord(
        session=SESSION,
        id=event_id("m1", 1, "started"),
        event=TrainingStarted(model="m1", attempt=1, worker="w"),
    )
    with pytest.raises(RuntimeError, match="does not own the event store"):
        actors.record_events.fn(msgspec.json.encode(record).decode())


def test_actors_options_never_time_out_a_training() -> None:
    broker = make_broker(None)
    actors = declare_actors(broker, Runtime(runner=None, cancel=MemoryCancelFlags()))
    assert actors.train_model.options["time_limit"] == float("inf")
    assert actors.train_model.options["max_retries"] == 0
    assert actors.train_model.queue_name == "train"
    assert actors.record_events.queue_name == "events"
    with pytest.raises(ValueError, match="already registered"):
        declare_actors(broker, actors.runtime)


def test_declaring_actors_touches_no_global_broker() -> None:
    before = dramatiq.broker.global_broker
    declare_actors(make_broker(None), Runtime(runner=None, cancel=MemoryCancelFlags()))
    assert dramatiq.broker.global_broker is before


# ------------------------------------------------------------------ brokers


def test_make_broker_defaults_to_the_stub_broker() -> None:
    assert isinstance(make_broker(None), StubBroker)
    assert make_broker(None) is not make_broker(None)


@pytest.mark.parametrize(
    "url",
    ["redis://localhost:6379/0", "redis://:secret@host:1234", "rediss://h/2", "unix:///tmp/r.sock"],
)
def test_make_broker_accepts_redis_urls(url: str) -> None:
    assert isinstance(make_broker(url), RedisBroker)  # connecting is lazy


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("", "non-empty"),
        ("http://localhost:6379", "unsupported scheme 'http'"),
        ("localhost:6379", "unsupported scheme"),
        ("redis://", "no host"),
        ("redis://host:port/0", "malformed: its port is not a number from 0 to 65535$"),
        ("redis://host:99999/0", "malformed: its port is not a number from 0 to 65535$"),
        ("redis://[::1/0", "malformed: its host cannot be read$"),
        ("redis://host:6379/zero", "must be a number"),
        ("unix://", "socket path"),
    ],
)
def test_make_broker_rejects_bad_urls_clearly(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint) as caught:
        make_broker(url)
    assert repr(url) in str(caught.value) or not url
    with pytest.raises(ValueError, match=complaint):
        check_redis_url(url)


def test_start_worker_needs_declared_queues_and_threads() -> None:
    broker = make_broker(None)
    with pytest.raises(ValueError, match="not declared"):
        start_worker(broker, {TRAIN_QUEUE}, 1)
    declare_actors(broker, Runtime(runner=None, cancel=MemoryCancelFlags()))
    with pytest.raises(ValueError, match="worker_threads"):
        start_worker(broker, {TRAIN_QUEUE}, 0)
    worker = start_worker(broker, {TRAIN_QUEUE, EVENTS_QUEUE}, 1, idle_wake_ms=20)
    worker.stop(2)
    worker.stop(2)  # idempotent
    assert not worker.running


# ------------------------------------------------------------------ cancel flags


class CountingFlags(MemoryCancelFlags):
    poll_interval_s = 1.0

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def is_cancelled(self, session: str, model: str) -> bool:
        self.asked += 1
        return super().is_cancelled(session, model)


def test_stopper_polls_at_most_every_interval_and_latches() -> None:
    flags = CountingFlags()
    now = [0.0]
    should_stop = stopper(flags, SESSION, "m1", clock=lambda: now[0])
    assert not should_stop()
    now[0] = 0.5
    assert not should_stop()
    assert flags.asked == 1  # within the interval: not asked again
    flags.cancel(SESSION, "m1")
    now[0] = 1.0
    assert should_stop()
    flags.clear(SESSION, "m1")
    now[0] = 5.0
    assert should_stop()  # once seen, it stays stopped
    assert flags.asked == 2


def test_memory_flags_are_per_session_and_model() -> None:
    flags = MemoryCancelFlags()
    flags.cancel("s1", "m1")
    assert flags.is_cancelled("s1", "m1")
    assert not flags.is_cancelled("s2", "m1")
    assert not flags.is_cancelled("s1", "m2")
    flags.clear("s1", "m1")
    assert not flags.is_cancelled("s1", "m1")
    with pytest.raises(ValueError, match="model must be a non-empty string"):
        flags.cancel("s1", "")


class DictRedis:
    """The three commands RedisCancelFlags uses, on a dict (no Redis server here; the
    scale-out tests run it against a real one)."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[bytes, int]] = {}

    def set(self, name: str, value: bytes, ex: int) -> None:
        self.data[name] = (value, ex)

    def exists(self, name: str) -> int:
        return int(name in self.data)

    def delete(self, name: str) -> int:
        return int(self.data.pop(name, None) is not None)


def test_redis_flags_use_one_key_per_session_and_model_with_a_ttl() -> None:
    client = DictRedis()
    flags = RedisCancelFlags(client, prefix="remap:cancel", ttl_s=3600)
    flags.cancel("s1", "m1")
    assert client.data == {"remap:cancel:s1:m1": (b"1", 3600)}
    assert flags.is_cancelled("s1", "m1")
    assert not flags.is_cancelled("s1", "m2")
    flags.clear("s1", "m1")
    assert not flags.is_cancelled("s1", "m1")
    assert flags.poll_interval_s > 0  # a network round trip: polled, not asked per batch
    with pytest.raises(ValueError, match="ttl_s"):
        RedisCancelFlags(client, ttl_s=0)
    with pytest.raises(ValueError, match="unsupported scheme"):
        RedisCancelFlags.from_url("http://x")
