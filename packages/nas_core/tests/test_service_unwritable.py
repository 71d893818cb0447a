"""A store that cannot be written while models train (issue 15): the workers' records
that the store refuses are held and recorded, in order, once it takes writes again, and
the queue moves on by itself, with no restart.

Two ways to make the store refuse: an append that fails at the store's boundary while a
switch is on (the error the store raises for a full disk), and a real SQLite database
that may not grow (``PRAGMA max_page_count``), so that SQLite itself answers
SQLITE_FULL."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest

from nas_core.events import DrawerAdd, EventStore, StoreError, StoreUnwritable, event_kind
from nas_core.service import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig

from nas_core_event_sim import InstantRunner

DATA = DataSpec(limit=240, split_seed=3)
SETTINGS = Settings(train=TrainConfig(epochs=2, batch_size=64), concurrency=2)
TRIES = 4  # more than Dramatiq's tries of a message (1 + its 3 retries), then it is dropped


def wait_for(predicate: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.02)


def count(store: EventStore, session: str, kind: str) -> int:
    return sum(1 for e in store.read(session) if event_kind(e.event) == kind)


class Refusals:
    """A spy on `store.append` (the boundary the service writes through): counts each
    event id the store refused; with `failing`, refuses every append while it is set,
    with the error the store raises for a full disk."""

    def __init__(self, store: EventStore, failing: threading.Event | None = None) -> None:
        self.counts: Counter[str] = Counter()
        self.failing = failing
        real = store.append

        def append(session, events, **options):
            events = list(events)
            try:
                if failing is not None and failing.is_set():
                    full = sqlite3.OperationalError("database or disk is full")
                    full.sqlite_errorcode = sqlite3.SQLITE_FULL
                    raise store._unwritable(full)
                return real(session, events, **options)
            except StoreError:
                self.counts.update(p.id for p in events)
                raise

        store.append = append

    def most(self) -> int:
        return max(self.counts.values(), default=0)


def check_trained(store: EventStore, session: str, state) -> None:
    """Every model done and embedded, each with all its events in order, once each."""
    assert {m.status for m in state.models.values()} == {"done"}
    assert len(state.embeddings["structure"]) == len(state.models) == 3
    log = store.read(session)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert len({e.id for e in log}) == len(log)
    for model in state.models:
        kinds = [event_kind(e.event) for e in log if getattr(e.event, "model", None) == model]
        assert kinds[1:6] == [
            "training_queued", "training_started", "epoch_completed", "epoch_completed",
            "training_finished",
        ], (model, kinds)  # fmt: skip
        assert kinds[6:8] == ["model_embedded", "model_embedded"], (model, kinds)


def test_records_refused_while_the_disk_is_full_are_recorded_once_it_is_not(tmp_path) -> None:
    with EventStore(tmp_path / "remap.db") as store:
        gate, failing = threading.Event(), threading.Event()
        refusals = Refusals(store, failing)
        with SessionService(store, runner=InstantRunner(gate=gate), processes=2) as service:
            session = service.create_session("full", DATA, SETTINGS)
            service.start(session, models=3, seed=4)
            # two models trained their epochs and wait to finish: now the disk fills
            wait_for(lambda: count(store, session, "epoch_completed") == 4)
            failing.set()
            gate.set()
            wait_for(lambda: refusals.most() >= TRIES)
            assert service.unrecorded >= 1
            assert count(store, session, "training_finished") == 0
            with pytest.raises(StoreUnwritable, match="the disk is full"):
                service.execute(session, DrawerAdd(models=("m1",)))  # a user's command: refused
            failing.clear()  # space freed: nothing else is done, no restart
            state = service.wait_idle(session, timeout_s=60)
            assert service.unrecorded == 0
        check_trained(store, session, state)


def test_a_database_that_may_not_grow_holds_the_records_until_it_may(tmp_path) -> None:
    with EventStore(tmp_path / "remap.db") as store:
        gate = threading.Event()
        refusals = Refusals(store)  # a spy only: every append is the real one
        with SessionService(store, runner=InstantRunner(gate=gate), processes=2) as service:
            session = service.create_session("full", DATA, SETTINGS)
            service.start(session, models=3, seed=4)
            wait_for(lambda: count(store, session, "epoch_completed") == 4)
            writer = store._writer  # the store's one write connection
            with store._lock:
                (pages,) = writer.execute("PRAGMA page_count").fetchone()
                writer.execute(f"PRAGMA max_page_count = {pages}")
            gate.set()
            # what the two trainings report fills the last page, then SQLite refuses
            wait_for(lambda: refusals.most() >= TRIES)
            assert service.unrecorded >= 1
            with store._lock:
                writer.execute("PRAGMA max_page_count = 1073741823")
            state = service.wait_idle(session, timeout_s=60)
        check_trained(store, session, state)
    with sqlite3.connect(tmp_path / "remap.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
