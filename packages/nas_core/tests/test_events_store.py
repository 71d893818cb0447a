"""What only the SQLite event store does: its file (reopening, the ``session_events``
view), several store objects and processes on one file, its id cache, integrity on
open, and waiting for other processes' appends. The contract every store keeps
(appends, ids, seqs, reads, waiting, errors) is ``test_events_store_contract.py``."""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import sqlite3
import threading

import pytest

from nas_core.events import ConcurrencyError, EventStore, Pending, StoreError, ViewChanged
from nas_core.events.store import APPLICATION_ID, SCHEMA_VERSION, utc_now

from nas_core_event_sim import process_writer

AT_PATTERN = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def view(k: int) -> ViewChanged:
    return ViewChanged("structure", k % 10)


def pend(i: str, k: int = 0) -> Pending:
    return Pending(i, view(k))


@pytest.fixture
def store(tmp_path):
    with EventStore(tmp_path / "events.db") as s:
        yield s


def test_reopening_continues_the_log(tmp_path):
    path = tmp_path / "events.db"
    with EventStore(path) as s:
        s.append("s", [pend("a"), pend("b")])
    with EventStore(path, synchronous="NORMAL") as s:
        assert s.append("s", [pend("b")])[0].seq == 2  # the id is known after reopening
        assert s.append("s", [pend("c")])[0].seq == 3
        assert [e.id for e in s.read("s")] == ["a", "b", "c"]


def test_the_view_shows_sessions_and_seqs(store):
    store.append("s", [pend("a"), pend("b")])
    with sqlite3.connect(store.path) as conn:
        rows = conn.execute("SELECT session, seq, id, kind FROM session_events").fetchall()
    assert rows == [("s", 1, "a", "view_changed"), ("s", 2, "b", "view_changed")]


def test_writers_through_separate_objects_see_each_other(tmp_path):
    path = tmp_path / "events.db"
    with EventStore(path) as a, EventStore(path) as b:
        a.append("s", [pend("x1")])
        b.append("s", [pend("y1")])
        # a's fast path must notice b's row: no gap, no overwrite, b's id known to a
        a.append("s", [pend("x2")])
        assert a.append("s", [pend("y1")])[0].seq == 2
        assert [e.id for e in b.read("s")] == ["x1", "y1", "x2"]
        last = a.last_seq("s")
        b.append("s", [pend("y2")])
        with pytest.raises(ConcurrencyError):
            a.append("s", [pend("x3")], expected_seq=last)
        assert [e.id for e in a.read("s")] == ["x1", "y1", "x2", "y2"]


def test_id_cache_eviction_keeps_ids_unique(tmp_path):
    with EventStore(tmp_path / "e.db", id_cache=3) as s:
        for k in range(4):
            s.append("a", [pend(f"a{k}")])
            s.append("b", [pend(f"b{k}")])
        assert s.append("a", [pend("a0")])[0].seq == 1
        assert s.append("b", [pend("b1")])[0].seq == 2
        assert s.last_seq("a") == s.last_seq("b") == 4


def test_threads_append_without_gaps_or_duplicates(tmp_path):
    path = tmp_path / "events.db"
    shared = EventStore(path, synchronous="NORMAL")
    own = [EventStore(path, synchronous="NORMAL") for _ in range(2)]
    conflicts = []

    def writer(store: EventStore, name: str) -> None:
        for k in range(40):
            if k % 4 == 0:  # optimistic: read, decide, append with the seq seen
                while True:
                    seen = store.last_seq("s")
                    try:
                        store.append("s", [pend(f"{name}:{k}")], expected_seq=seen)
                        break
                    except ConcurrencyError:
                        conflicts.append(name)
            else:
                store.append("s", [pend(f"{name}:{k}")])
            if k % 5 == 0:  # a retry of an earlier event
                store.append("s", [pend(f"{name}:{k}")])

    threads = [
        threading.Thread(target=writer, args=(st, f"t{i}"))
        for i, st in enumerate([shared, shared, *own])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    envs = shared.read("s")
    assert [e.seq for e in envs] == list(range(1, 161))
    assert sorted(e.id for e in envs) == sorted(f"t{i}:{k}" for i in range(4) for k in range(40))
    for s in [shared, *own]:
        s.close()


@pytest.mark.slow
def test_two_processes_append_to_one_session(tmp_path):
    path = str(tmp_path / "events.db")
    EventStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    queue, go = ctx.Queue(), ctx.Barrier(3)
    procs = [ctx.Process(target=process_writer, args=(path, n, 300, queue, go)) for n in "ab"]
    for p in procs:
        p.start()
    go.wait(60)  # both children have opened the store: they append at once
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    conflicts = queue.get(timeout=5) + queue.get(timeout=5)
    with EventStore(path) as store:
        envs = store.read("s")
    assert [e.seq for e in envs] == list(range(1, 601))
    assert sorted(e.id for e in envs) == sorted(f"{n}:{k}" for n in "ab" for k in range(300))
    assert conflicts >= 0  # conflicts are possible, never errors; counted for the record


# --- integrity on open ------------------------------------------------------------------


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b'{"format": "remap-session"}\n' * 10)
    with pytest.raises(StoreError, match=r"notes\.db: is not an event store: not an SQLite"):
        EventStore(path)


def test_a_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    with pytest.raises(StoreError, match=r"other\.db: is an SQLite database but not an event"):
        EventStore(path)
    assert sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall() == [
        ("photos",)
    ]  # left untouched


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    EventStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match=r"new\.db: has event-store schema version 2, newer"):
        EventStore(path)


def test_an_incomplete_store_is_refused(tmp_path):
    path = tmp_path / "half.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 1")
        conn.execute("CREATE TABLE sessions (key INTEGER PRIMARY KEY)")
    with pytest.raises(StoreError, match=r"half\.db: is an incomplete event store"):
        EventStore(path)


def test_a_corrupt_file_is_refused(tmp_path):
    path = tmp_path / "broken.db"
    with EventStore(path) as s:
        s.append("s", [pend(f"e{k}", k) for k in range(2000)])
    data = bytearray(path.read_bytes())
    data[100:] = bytes(len(data) - 100)  # keep the header, wipe every page
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"broken\.db: is corrupt"):
        EventStore(path)


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(StoreError, match="is a folder"):
        EventStore(tmp_path)


def test_bad_arguments():
    with pytest.raises(ValueError, match="synchronous"):
        EventStore("x.db", synchronous="OFF")  # type: ignore[arg-type]


def test_utc_now_format():
    assert re.match(AT_PATTERN, utc_now())


# --- waiting for new events ------------------------------------------------------------


def test_wait_sees_appends_of_another_store_object(tmp_path):
    path = tmp_path / "e.db"
    with EventStore(path, poll_interval=0.02) as reader, EventStore(path) as writer:

        async def main():
            waiter = asyncio.create_task(reader.wait("s", 0, timeout=30))
            await asyncio.sleep(0.05)
            writer.append("s", [pend("a")])
            return await waiter

        assert [e.id for e in asyncio.run(main())] == ["a"]
