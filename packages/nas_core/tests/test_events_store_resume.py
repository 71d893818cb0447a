"""A seq bound out of the 32 bits a session's seq has is never taken for another one
(issue 15): a rowid is ``session key << 32 | seq``, so ``after=2**32`` once named the
first session's whole log, and ``2**32 + 5`` its log after seq 5."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.events import EventStore, Pending, ViewChanged
from nas_core.events.store import MAX_SEQ


def pend(i: str, k: int = 0) -> Pending:
    return Pending(i, ViewChanged("structure", k % 10))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two sessions, so that a spill into the key bits would find the other's events."""
    with EventStore(tmp_path_factory.mktemp("resume") / "events.db") as s:
        s.append("first", [pend(f"a{k}", k) for k in range(8)])
        s.append("second", [pend(f"b{k}", k) for k in range(8)])
        yield s


@pytest.mark.parametrize("after", [MAX_SEQ, MAX_SEQ + 1, MAX_SEQ + 6, 2**33, 2**63, 2**80])
def test_nothing_comes_after_the_last_possible_seq(store: EventStore, after: int) -> None:
    for session in ("first", "second"):
        assert store.read(session, after=after) == []
        assert store.read(session, after=after, limit=3) == []
        assert store.read_rows(session, after=after) == []
        assert asyncio.run(store.wait(session, after, 0.0)) == []
        assert store.wait_blocking(session, after, 0.0) == []


@settings(max_examples=100, deadline=None)
@given(after=st.integers(-(2**70), 2**70), upto=st.none() | st.integers(-(2**70), 2**70))
def test_a_read_is_the_sessions_own_events_within_its_bounds(
    store: EventStore, after: int, upto: int | None
) -> None:
    for session in ("first", "second"):
        read = store.read(session, after=after)
        assert all(e.session == session for e in read)
        assert [e.seq for e in read] == [s for s in range(1, 9) if s > after]
        rows = store.read_rows(session, after=after, upto=upto)
        top = 8 if upto is None else upto
        assert [r.seq for r in rows] == [s for s in range(1, 9) if after < s <= top]
        assert {r.id[0] for r in rows} <= {"first": {"a"}, "second": {"b"}}[session]
