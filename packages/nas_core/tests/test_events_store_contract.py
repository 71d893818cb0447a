"""The event store's contract (`nas_core.events.EventLog`), run against every adapter:
appends, ids, gapless seqs, read ranges, sessions, resume bounds, idempotency,
optimistic concurrency, stored rows and upcasting, threads, waiting, errors.

What only the SQLite store does (files, WAL, several processes and store objects on one
file, integrity on open, its id cache) is tested in ``test_events_store.py``. A new
adapter joins `ADAPTERS` and must pass this file unchanged.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.errors import NasCoreError
from nas_core.events import (
    ConcurrencyError,
    EventLog,
    MemoryEventStore,
    Pending,
    Sample,
    SqliteEventStore,
    StoredRow,
    StoreError,
    TrainingQueued,
    ViewChanged,
    export_session,
    import_session,
    load_state,
)
from nas_core.events.store import MAX_SEQ
from nas_core.specs import TrainConfig

from nas_core_event_sim import Sim

AT_PATTERN = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"

ADAPTERS: dict[str, Callable[[Path], EventLog]] = {
    "sqlite": lambda folder: SqliteEventStore(folder / "events.db"),
    "memory": lambda folder: MemoryEventStore(),
}


def view(k: int) -> ViewChanged:
    return ViewChanged("structure", k % 10)


def pend(i: str, k: int = 0) -> Pending:
    return Pending(i, view(k))


@pytest.fixture(params=sorted(ADAPTERS))
def open_store(request, tmp_path) -> Iterator[Callable[[], EventLog]]:
    """Opens a fresh, empty store of the adapter (each in a folder of its own); every
    store it opened is closed after the test."""
    opened: list[EventLog] = []

    def open_() -> EventLog:
        folder = tmp_path / f"store{len(opened)}"
        folder.mkdir()
        opened.append(ADAPTERS[request.param](folder))
        return opened[-1]

    yield open_
    for s in opened:
        s.close()


@pytest.fixture
def store(open_store) -> EventLog:
    return open_store()


def test_every_adapter_has_the_interface(store):
    assert isinstance(store, EventLog)
    assert str(store.path)


# --- appending: seqs, times, ids ---------------------------------------------------------


def test_append_assigns_gapless_seqs_and_times(store):
    out = store.append("s", [pend("a"), pend("b", 1)])
    out += store.append("s", [pend("c", 2)])
    assert [e.seq for e in out] == [1, 2, 3]
    assert [e.id for e in out] == ["a", "b", "c"]
    assert all(e.session == "s" and e.version == 1 for e in out)
    assert all(re.match(AT_PATTERN, e.at) for e in out)
    assert store.read("s") == out
    assert store.last_seq("s") == 3


def test_appending_nothing_creates_no_session(store):
    assert store.append("s", []) == []
    assert store.append("s", iter([])) == []
    assert store.sessions() == []
    assert store.session("s") is None


def test_append_takes_any_iterable(store):
    out = store.append("s", (pend(f"e{k}", k) for k in range(3)))
    assert [e.seq for e in out] == [1, 2, 3]


def test_given_time_is_kept(store):
    (env,) = store.append("s", [Pending("a", view(1), at="2020-01-02T03:04:05.678Z")])
    assert env.at == "2020-01-02T03:04:05.678Z"
    assert store.read("s")[0].at == "2020-01-02T03:04:05.678Z"


def test_repeated_id_is_a_no_op_returning_the_stored_envelope(store):
    (first,) = store.append("s", [pend("a", 1)])
    (again,) = store.append("s", [Pending("a", view(5))])  # same id, other content
    assert again == first
    assert store.last_seq("s") == 1
    # in a batch: only the new ones get seqs, repeats inside the batch share one
    out = store.append("s", [pend("a"), pend("b", 2), pend("b", 3), pend("c", 4)])
    assert [e.seq for e in out] == [1, 2, 2, 3]
    assert out[2] == out[1]  # the repeat is the first one's envelope, content and all
    assert store.last_seq("s") == 3
    assert [e.event for e in store.read("s")] == [view(1), view(2), view(4)]


def test_ids_are_per_session(store):
    store.append("s1", [pend("a")])
    (env,) = store.append("s2", [pend("a")])
    assert env.seq == 1
    assert [s.id for s in store.sessions()] == ["s1", "s2"]


def test_empty_session_id_is_refused(store):
    with pytest.raises(ValueError, match="session id"):
        store.append("", [pend("a")])
    with pytest.raises(ValueError, match="session id"):
        store.append_rows("", [StoredRow(1, "a", "2020-01-01T00:00:00.000Z", "x", 1, b"{}")])
    assert store.sessions() == []


# --- optimistic concurrency ------------------------------------------------------------


def test_stale_expected_seq_writes_nothing(store):
    store.append("s", [pend("a")], expected_seq=0)
    store.append("s", [pend("b")], expected_seq=1)
    with pytest.raises(ConcurrencyError) as info:
        store.append("s", [pend("c"), pend("d")], expected_seq=1)
    assert (info.value.expected, info.value.actual) == (1, 2)
    assert "is at seq 2, not 1" in str(info.value)
    assert isinstance(info.value, NasCoreError)
    assert [e.id for e in store.read("s")] == ["a", "b"]
    with pytest.raises(ConcurrencyError):  # a seq ahead of the log is stale too
        store.append("s", [pend("c")], expected_seq=5)
    with pytest.raises(ConcurrencyError):  # and a new session is at 0
        store.append("fresh", [pend("c")], expected_seq=3)
    assert store.read("fresh") == []
    assert store.session("fresh") is None


def test_a_retry_with_a_stale_expected_seq_is_still_a_no_op(store):
    first = store.append("s", [pend("a"), pend("b")], expected_seq=0)
    store.append("s", [pend("c")])
    assert store.append("s", [pend("a"), pend("b")], expected_seq=0) == first


def test_threads_append_to_one_store_without_gaps_or_duplicates(store):
    conflicts = []

    def writer(name: str) -> None:
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
                store.append("s", [pend(f"{name}:{k}"), pend(f"{name}:{k}")])
            if k % 5 == 0:  # a retry of an earlier event
                store.append("s", [pend(f"{name}:{k}")])

    threads = [threading.Thread(target=writer, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    envs = store.read("s")
    assert [e.seq for e in envs] == list(range(1, 161))
    assert sorted(e.id for e in envs) == sorted(f"t{i}:{k}" for i in range(4) for k in range(40))
    assert store.last_seq("s") == 160


# --- reading ---------------------------------------------------------------------------


def test_read_after_and_limit(store):
    store.append("s", [pend(f"e{k}", k) for k in range(10)])
    assert [e.seq for e in store.read("s", after=7)] == [8, 9, 10]
    assert [e.seq for e in store.read("s", after=2, limit=3)] == [3, 4, 5]
    assert store.read("s", after=10) == []
    assert store.read("s", limit=0) == []
    assert [e.seq for e in store.read("s", after=-3, limit=2)] == [1, 2]
    assert store.read("nobody") == []
    assert store.last_seq("nobody") == 0


def test_read_rows_is_a_range_of_the_rows_as_stored(store):
    envs = store.append("s", [pend(f"e{k}", k) for k in range(5)])
    rows = store.read_rows("s")
    assert [(r.seq, r.id, r.at, r.kind, r.version) for r in rows] == [
        (e.seq, e.id, e.at, "view_changed", 1) for e in envs
    ]
    assert all(isinstance(r.body, bytes) for r in rows)
    assert [r.seq for r in store.read_rows("s", after=1, upto=3)] == [2, 3]
    assert [r.seq for r in store.read_rows("s", upto=0)] == []
    assert [r.seq for r in store.read_rows("s", after=4, upto=2)] == []
    assert store.read_rows("nobody") == []


def test_find_an_event_by_id(store):
    store.append("s", [pend("a"), pend("b", 3)])
    found = store.find("s", "b")
    assert found is not None
    assert (found.seq, found.event) == (2, view(3))
    assert found == store.read("s")[1]
    assert store.find("s", "zzz") is None
    assert store.find("nobody", "a") is None


def test_sessions_lists_names_and_creation(store):
    Sim(store, session="one", name="first session")
    store.append("two", [pend("x")])
    infos = {s.id: s for s in store.sessions()}
    assert infos["one"].name == "first session"
    assert infos["two"].name == ""
    assert infos["one"].last_seq == 1
    assert infos["two"].last_seq == 1
    assert store.session("one") == infos["one"]
    assert store.session("three") is None


def test_sessions_are_listed_oldest_first_by_their_first_event(store):
    store.append("b", [Pending("x", view(0), at="2021-01-01T00:00:00.000Z")])
    store.append("a", [Pending("x", view(0), at="2022-01-01T00:00:00.000Z")])
    store.append("c", [Pending("x", view(0), at="2021-01-01T00:00:00.000Z")])
    store.append("b", [Pending("y", view(1), at="2030-01-01T00:00:00.000Z")])
    assert [(s.id, s.created_at, s.last_seq) for s in store.sessions()] == [
        ("b", "2021-01-01T00:00:00.000Z", 2),
        ("c", "2021-01-01T00:00:00.000Z", 1),
        ("a", "2022-01-01T00:00:00.000Z", 1),
    ]


def test_load_state_replays_a_session(store):
    sim = Sim(store)
    sim.command(Sample(count=2, seed=1))
    assert load_state(store, "s1") == sim.state
    assert load_state(store, "s1", upto=1).models == {}


# --- resume bounds: a seq bound never reaches another session's events ---------------


@pytest.fixture(scope="module", params=sorted(ADAPTERS))
def two_sessions(request, tmp_path_factory) -> Iterator[EventLog]:
    """Two sessions of 8 events each, so that a bound that spilled over would find the
    other session's events."""
    s = ADAPTERS[request.param](tmp_path_factory.mktemp("bounds"))
    s.append("first", [pend(f"a{k}", k) for k in range(8)])
    s.append("second", [pend(f"b{k}", k) for k in range(8)])
    yield s
    s.close()


@pytest.mark.parametrize("after", [8, 9, MAX_SEQ, MAX_SEQ + 1, MAX_SEQ + 6, 2**33, 2**63, 2**80])
def test_nothing_comes_after_the_last_seq(two_sessions, after):
    for session in ("first", "second"):
        assert two_sessions.read(session, after=after) == []
        assert two_sessions.read(session, after=after, limit=3) == []
        assert two_sessions.read_rows(session, after=after) == []
        assert asyncio.run(two_sessions.wait(session, after, 0.0)) == []
        assert two_sessions.wait_blocking(session, after, 0.0) == []


@settings(max_examples=60, deadline=None)
@given(
    after=st.integers(-(2**70), 2**70),
    upto=st.none() | st.integers(-(2**70), 2**70),
    limit=st.none() | st.integers(0, 10),
)
def test_a_read_is_the_sessions_own_events_within_its_bounds(two_sessions, after, upto, limit):
    for session, prefix in (("first", "a"), ("second", "b")):
        read = two_sessions.read(session, after=after, limit=limit)
        expected = [s for s in range(1, 9) if s > after][:limit]
        assert [e.seq for e in read] == expected
        assert all(e.session == session and e.id[0] == prefix for e in read)
        rows = two_sessions.read_rows(session, after=after, upto=upto)
        top = 8 if upto is None else upto
        assert [r.seq for r in rows] == [s for s in range(1, 9) if after < s <= top]
        assert all(r.id[0] == prefix for r in rows)


# --- stored rows: imports, exports, upcasting ----------------------------------------

V1_BODY = b'{"kind":"training_queued","model":"m1","epochs":7,"seed":42}'
AT = "2020-01-02T03:04:05.678Z"


def test_append_rows_keeps_rows_as_they_are_and_upcasts_on_read(store):
    old = StoredRow(1, "q", AT, "training_queued", 1, V1_BODY)
    assert store.append_rows("s", [old]) == [(old, True)]
    assert store.read_rows("s") == [old]  # the body and version as written
    (env,) = store.read("s")
    assert (env.seq, env.id, env.at, env.version) == (1, "q", AT, 2)
    assert env.event == TrainingQueued("m1", TrainConfig(epochs=7), 42, None)
    assert store.find("s", "q") == env
    assert store.read_rows("s") == [old]  # reading never rewrote it


def test_append_rows_assigns_seqs_ignores_known_ids_and_checks_expected_seq(store):
    store.append("s", [pend("a")])
    body = store.read_rows("s")[0].body
    rows = [StoredRow(9, i, AT, "view_changed", 1, body) for i in ("a", "b", "b", "c")]
    with pytest.raises(ConcurrencyError):
        store.append_rows("s", rows, expected_seq=0)
    out = store.append_rows("s", rows, expected_seq=1)
    assert [(r.seq, r.id, new) for r, new in out] == [
        (1, "a", False),
        (2, "b", True),
        (2, "b", False),
        (3, "c", True),
    ]
    assert out[0][0] == store.read_rows("s")[0]  # the stored row, not the one passed
    assert [e.id for e in store.read("s")] == ["a", "b", "c"]
    assert store.append_rows("s", []) == []


def test_a_session_created_by_rows_is_named_by_its_first_event(store, tmp_path):
    with SqliteEventStore(tmp_path / "source.db") as source:
        Sim(source, session="s1", name="imported")
        rows = source.read_rows("s1")
    store.append_rows("s1", rows)
    info = store.session("s1")
    assert info is not None
    assert (info.name, info.created_at, info.last_seq) == ("imported", rows[0].at, 1)


def test_a_row_that_does_not_decode_is_a_store_error_naming_it(store):
    store.append("s", [pend("a")])
    store.append_rows("s", [StoredRow(2, "bad", AT, "view_changed", 1, b'{"kind": 1}')])
    store.append_rows("s", [StoredRow(3, "new", AT, "view_changed", 9, b"{}")])
    prefix = re.escape(f"{store.path}: session 's', seq 2: event 'view_changed' version 1")
    with pytest.raises(StoreError, match=prefix):
        store.read("s")
    with pytest.raises(StoreError, match=prefix):
        store.find("s", "bad")
    with pytest.raises(StoreError, match=r"seq 3: .*version 9: newer than this program knows"):
        store.read("s", after=2)
    assert [e.id for e in store.read("s", limit=1)] == ["a"]
    assert [r.id for r in store.read_rows("s")] == ["a", "bad", "new"]  # still exportable


def test_a_session_file_round_trips_through_the_store(store, tmp_path):
    with SqliteEventStore(tmp_path / "source.db") as source:
        sim = Sim(source, session="s1", name="shared")
        sim.play([("sample", 3), ("start", 0), ("epoch", 1), ("finish", 2)])
        export_session(source, "s1", tmp_path / "s1.remap.jsonl")
    result = import_session(store, tmp_path / "s1.remap.jsonl")
    assert (result.session, result.added) == ("s1", len(sim.envelopes))
    assert store.read("s1") == sim.envelopes
    assert import_session(store, tmp_path / "s1.remap.jsonl").added == 0
    export_session(store, "s1", tmp_path / "again.remap.jsonl")
    first = (tmp_path / "s1.remap.jsonl").read_bytes().split(b"\n")
    again = (tmp_path / "again.remap.jsonl").read_bytes().split(b"\n")
    assert first[1:] == again[1:]  # the same file but for its header's export time


# --- closing -----------------------------------------------------------------------------


def test_a_closed_store_says_so(open_store):
    s = open_store()
    s.close()
    s.close()
    closed = re.escape(f"{s.path}: the store is closed")
    with pytest.raises(StoreError, match=closed):
        s.append("s", [pend("b")])
    with pytest.raises(StoreError, match=closed):
        s.append_rows("s", [StoredRow(1, "b", AT, "view_changed", 1, b"{}")])
    with pytest.raises(StoreError, match=closed):
        s.read("s")
    with pytest.raises(StoreError, match=closed):
        s.read_rows("s")
    with pytest.raises(StoreError, match=closed):
        s.last_seq("s")
    with pytest.raises(StoreError, match=closed):
        s.sessions()
    with pytest.raises(StoreError, match=closed):
        s.session("s")
    with pytest.raises(StoreError, match=closed):
        s.find("s", "a")
    with pytest.raises(StoreError, match=closed):
        asyncio.run(s.wait("s", 0, timeout=5))


def test_a_store_is_a_context_manager(open_store):
    s = open_store()
    with s as entered:
        assert entered is s
        s.append("s", [pend("a")])
    with pytest.raises(StoreError, match="closed"):
        s.read("s")


# --- waiting for new events ------------------------------------------------------------


def test_wait_returns_at_once_when_events_are_there(store):
    store.append("s", [pend("a"), pend("b")])
    found = asyncio.run(store.wait("s", 0, timeout=5))
    assert [e.id for e in found] == ["a", "b"]
    assert [e.id for e in asyncio.run(store.wait("s", 0, timeout=5, limit=1))] == ["a"]


def test_wait_times_out_empty(store):
    assert asyncio.run(store.wait("s", 0, timeout=0.05)) == []


def test_wait_wakes_on_an_append_from_another_thread(store):
    store.append("s", [pend("a")])

    async def main():
        waiter = asyncio.create_task(store.wait("s", 1, timeout=30))
        await asyncio.sleep(0.05)
        await asyncio.to_thread(store.append, "s", [pend("b")])
        return await waiter

    found = asyncio.run(main())
    assert [e.id for e in found] == ["b"]


def test_wait_is_not_woken_by_another_session(store):
    async def main():
        waiter = asyncio.create_task(store.wait("s", 0, timeout=0.2))
        await asyncio.sleep(0.05)
        store.append("other", [pend("x")])
        return await waiter

    assert asyncio.run(main()) == []


def test_wait_blocking_wakes_on_append(store):
    result = []
    t = threading.Thread(target=lambda: result.extend(store.wait_blocking("s", 0, timeout=30)))
    t.start()
    store.append("s", [pend("a")])
    t.join(10)
    assert [e.id for e in result] == ["a"]
    assert store.wait_blocking("s", 1, timeout=0.05) == []
