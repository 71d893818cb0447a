"""Issue 20, item 2: opening a session reads its snapshot and the events after it.

- `restore(tail, snapshot)` is `restore(whole log)`: the same state, embedder, models to
  embed and training times, at any cut;
- the service writes a snapshot when it opens a long log, reads only the tail the next
  time, and rebuilds from the whole log when the snapshot is missing, stale (the log
  under it changed), another program's, or corrupt;
- a server's start (`resume_all`) opens only the sessions with something to resume or
  with events past their snapshot; the others answer when first asked for.
"""

from __future__ import annotations

import random
import sqlite3

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nas_core.service.session as session_module
from nas_core.events import EventStore, Sample, event_kind
from nas_core.service import SessionService, restore
from nas_core.service.snapshots import CODE, Snapshot, SnapshotStore, snapshot_of

from nas_core_event_sim import InstantRunner, Sim

EMBEDDING = ("model_embedded", "layout_recomputed")


def grow(sim: Sim, models: int, epochs: int = 2, seed: int = 1) -> None:
    """`models` more models sampled, trained and embedded, as the service records them."""
    rnd = random.Random(seed)
    sim.command(Sample(count=models, seed=seed, id=f"grow{seed}"))
    for model in list(sim.state.queue):
        sim.start(model)
        for _ in range(epochs):
            sim.epoch(model, rnd)
        sim.finish(model, rnd)
        sim.embed(model)


@pytest.fixture(scope="module")
def log():
    sim = Sim()
    grow(sim, 24)
    sim.command(Sample(count=2, seed=9, id="left-queued"))  # something to resume
    return sim.envelopes


def same(a, b) -> None:
    assert a.state == b.state
    assert a.unembedded == b.unembedded
    assert a.seconds == b.seconds
    assert a.started == b.started
    assert a.embedder.ids == b.embedder.ids
    for projection in ("structure", "predictions"):
        assert a.embedder.positions(projection) == b.embedder.positions(projection)
        assert a.embedder.fitted_count(projection) == b.embedder.fitted_count(projection)


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10**6))
def test_a_snapshot_plus_its_tail_restores_as_the_whole_log(log, where) -> None:
    # a snapshot covers whole appends: an embedding's placements and relayouts are one
    cuts = [k for k in range(1, len(log)) if event_kind(log[k].event) not in EMBEDDING]
    cut = cuts[where % len(cuts)]
    head = restore(log[:cut])
    snap = snapshot_of("s1", log[cut - 1], head)
    snap = msgspec.msgpack.decode(msgspec.msgpack.encode(snap), type=Snapshot)
    same(restore(log[cut:], snap), restore(log))


@pytest.fixture
def big(tmp_path, monkeypatch):
    """A store with one trained session of ~150 events; snapshots from 50 events."""
    monkeypatch.setattr(session_module, "SNAPSHOT_EVERY", 50)
    path = tmp_path / "remap.db"
    store = EventStore(path)
    sim = Sim(store, session="big")
    grow(sim, 12)
    yield store, sim
    store.close()


def reads(store, monkeypatch) -> list[int]:
    """Record the `after` of every read of the store."""
    seen: list[int] = []
    original = store.read

    def read(session, after=0, limit=None):
        seen.append(after)
        return original(session, after, limit)

    monkeypatch.setattr(store, "read", read)
    return seen


def test_the_service_writes_a_snapshot_and_then_reads_only_the_tail(big, monkeypatch) -> None:
    store, sim = big
    with SessionService(store, processes=1, runner=InstantRunner()) as service:
        first = service.state("big")
    snaps = SnapshotStore.beside(store)
    head = snaps.heads()["big"]
    assert head.seq == store.last_seq("big")
    assert not head.active
    grow(sim, 2, seed=2)  # the log grows past its snapshot
    seen = reads(store, monkeypatch)
    with SessionService(store, processes=1, runner=InstantRunner()) as service:
        again = service.state("big")
    assert seen[:2] == [head.seq - 1, head.seq]  # the event at its seq, then the tail
    # (and the stop snapshotted that tail: the same two reads again)
    assert SnapshotStore.beside(store).heads()["big"].seq == store.last_seq("big")
    assert again == sim.state
    assert len(again.models) == len(first.models) + 2


def test_a_stale_or_corrupt_or_foreign_snapshot_is_rebuilt_from_the_log(big, monkeypatch) -> None:
    store, sim = big
    with SessionService(store, processes=1, runner=InstantRunner()) as service:
        service.state("big")
    snaps_path = SnapshotStore.beside(store).path
    cases = {
        "corrupt": "UPDATE snapshots SET body = x'c1c1c1'",
        "foreign": "UPDATE snapshots SET code = 'another program'",
        "another log": {"event_id": "m1:1:started 2020-01-01T00:00:00.000Z"},
        "past the log": {"seq": store.last_seq("big") + 5},
        "missing": "DELETE FROM snapshots",
    }
    for case, sql in cases.items():
        if isinstance(sql, dict):  # a snapshot that reads but covers another log
            snaps = SnapshotStore.beside(store)
            snaps.save(msgspec.structs.replace(snaps.load("big"), **sql))
            snaps.close()
        else:
            with sqlite3.connect(snaps_path) as conn:
                conn.execute(sql)
        seen = reads(store, monkeypatch)
        with SessionService(store, processes=1, runner=InstantRunner()) as service:
            assert service.state("big") == sim.state, case
        assert 0 in seen, case  # the whole log was read
        head = SnapshotStore.beside(store).heads()["big"]  # and a good snapshot written
        assert head.seq == store.last_seq("big"), case
        monkeypatch.undo()
        monkeypatch.setattr(session_module, "SNAPSHOT_EVERY", 50)
    with sqlite3.connect(snaps_path) as conn:
        assert conn.execute("SELECT code FROM snapshots").fetchall() == [(CODE,)]


def test_a_start_opens_only_what_it_must(big, monkeypatch) -> None:
    store, sim = big
    busy = Sim(store, session="busy")
    grow(busy, 3)
    busy.command(Sample(count=1, seed=5, id="queued"))  # queued: the start hands it out
    with SessionService(store, processes=1, runner=InstantRunner()) as service:
        service.state("big")
        service.state("busy")
    with SessionService(store, processes=1, runner=InstantRunner()) as service:
        assert service.resume_all() == {}
        opened = set(service._live_sessions)
        assert opened == {"busy"}  # "big" is done and its snapshot covers its log
        assert service.state("big") == sim.state  # and it answers when asked for
