"""Issue 20, item 2: a service's stop (``remap serve``'s Ctrl-C) snapshots what it
appended, so the next start reads none of it; a snapshot the log ran past is replaced at
the stop; a missing one is written at the stop however short the log.
"""

from __future__ import annotations

import sqlite3

from nas_core.events import EventStore, MemoryEventStore, Sample
from nas_core.service import SessionService
from nas_core.service.snapshots import SnapshotStore

from nas_core_event_sim import InstantRunner, Sim


def reads(store, monkeypatch) -> list[int]:
    seen: list[int] = []
    original = store.read

    def read(session, after=0, limit=None):
        seen.append(after)
        return original(session, after, limit)

    monkeypatch.setattr(store, "read", read)
    return seen


def test_a_stop_snapshots_what_the_run_appended(tmp_path, monkeypatch) -> None:
    store = EventStore(tmp_path / "remap.db")
    sim = Sim(store, session="s")
    sim.command(Sample(count=2, seed=1, id="first"))
    with SessionService(store, processes=1, runner=InstantRunner()) as service:
        service.wait_idle("s", timeout_s=120)  # trained and embedded in this run
        service.execute("s", Sample(count=1, seed=2, id="more"))
        service.wait_idle("s", timeout_s=120)
        final = service.state("s")
    head = SnapshotStore.beside(store).heads()["s"]
    assert head.seq == store.last_seq("s") == final.last_seq  # a short log, yet written
    assert not head.active
    seen = reads(store, monkeypatch)
    with SessionService(store, processes=1, runner=InstantRunner()) as service:
        assert service.resume_all() == {}
        assert seen == []  # nothing to resume and covered: the start opens nothing
        assert service.state("s") == final
    assert seen[:2] == [head.seq - 1, head.seq]  # the snapshot's event; an empty tail
    assert 0 not in seen
    store.close()


def test_a_stale_or_missing_snapshot_is_rebuilt_at_the_stop(tmp_path) -> None:
    store = EventStore(tmp_path / "remap.db")
    sim = Sim(store, session="s")
    sim.command(Sample(count=1, seed=1, id="first"))
    with SessionService(store, processes=1, runner=InstantRunner()) as service:
        service.wait_idle("s", timeout_s=120)
    stale = SnapshotStore.beside(store).heads()["s"].seq
    with SessionService(store, processes=1, runner=InstantRunner()) as service:
        service.execute("s", Sample(count=1, seed=2, id="more"))  # the log runs past it
        service.wait_idle("s", timeout_s=120)
        final = service.state("s")
    assert SnapshotStore.beside(store).heads()["s"].seq == final.last_seq > stale
    with sqlite3.connect(SnapshotStore.beside(store).path) as conn:
        conn.execute("DELETE FROM snapshots")  # missing (the file's rows deleted by hand)
    with SessionService(store, processes=1, runner=InstantRunner()) as service:
        assert service.state("s") == final  # from the whole log
    assert SnapshotStore.beside(store).heads()["s"].seq == final.last_seq
    store.close()


def test_a_memory_store_has_no_snapshot_file(tmp_path, monkeypatch) -> None:
    # its `path` is a name for messages: a stop must not write "<memory>.snapshots"
    monkeypatch.chdir(tmp_path)
    store = MemoryEventStore()
    Sim(store, session="s").command(Sample(count=1, seed=1, id="first"))
    with SessionService(store, processes=1, runner=InstantRunner()) as service:
        service.wait_idle("s", timeout_s=120)
    assert SnapshotStore.beside(store) is None
    assert list(tmp_path.iterdir()) == []
