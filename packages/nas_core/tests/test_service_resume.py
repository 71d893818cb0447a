"""What the service does with each session when it opens a store (issue 15): a session
that cannot be restored, however it got into the store, is set aside and the others are
served; a model interrupted at every start is tried at most ``max_attempts`` times."""

from __future__ import annotations

import msgspec
import pytest

from nas_core.events import (
    DrawerAdd,
    Enqueue,
    EventStore,
    Pending,
    Sample,
    StoredRow,
    TrainingFailed,
    export_session,
    import_session,
)
from nas_core.service import MAX_ATTEMPTS, SessionService, SessionSetAside
from nas_core.service.session import INTERRUPTED, interrupted

from nas_core_event_sim import WIDTH, InstantRunner, Sim, file_of, lines_of, real_log


def rows_of(data: bytes) -> list[StoredRow]:
    """The rows of a session file as a store holds them (no import, no check)."""
    return [
        StoredRow(
            line["seq"], line["id"], line["at"], line["event"]["kind"], line["version"],
            msgspec.json.encode(line["event"]),
        )
        for line in lines_of(data)[1:]
    ]  # fmt: skip


def test_a_session_that_cannot_be_restored_is_set_aside_and_the_others_are_served(tmp_path):
    with EventStore(tmp_path / "remap.db") as store:
        good = real_log(store, "good")
        # what an old import, or a hand-edited file, left in the store: m2's "training
        # started" gone, so m2 is embedded but never finished
        bad = file_of([x for x in lines_of(good) if x.get("id") != "m2:1:started"], "bad")
        store.append_rows("bad", rows_of(bad))
        with SessionService(store, runner=InstantRunner(WIDTH), processes=1) as service:
            aside = service.resume_all()
            assert set(aside) == {"bad"}
            assert "model m2 is embedded but has not finished training" in aside["bad"]
            assert service.set_aside() == aside
            with pytest.raises(SessionSetAside) as info:
                service.state("bad")
            assert info.value.session == "bad"
            assert info.value.reason == aside["bad"]
            with pytest.raises(SessionSetAside):
                service.execute("bad", DrawerAdd(models=("m1",)))
            # the good session was resumed: its interrupted model trained again
            state = service.wait_idle("good", timeout_s=60)
            assert {m.status for m in state.models.values()} == {"done"}
            assert service.set_aside() == aside  # asked again: still aside, not retried


def test_a_session_set_aside_is_tried_again_once_its_log_grows(tmp_path) -> None:
    with EventStore(tmp_path / "remap.db") as store:
        good = real_log(store, "good")
        lines = lines_of(good)
        k = next(k for k, x in enumerate(lines) if x.get("id") == "m4:embedded:structure")
        store.append_rows("cut", rows_of(file_of(lines[: k + 1], "cut")))  # cut mid-append
        with SessionService(store, runner=InstantRunner(WIDTH), processes=1) as service:
            assert set(service.resume_all()) == {"cut"}
            store.append_rows("cut", rows_of(file_of(lines, "cut"))[k:])  # the rest of it
            assert service.state("cut").models["m4"].status == "done"
            assert service.set_aside() == {}


def interrupted_log(store: EventStore, attempts: int) -> None:
    """A session whose model m1 was running its attempt `attempts` when its server
    died, every earlier attempt interrupted the same way."""
    sim = Sim(store, session="s1")
    sim.command(Sample(count=1, seed=1, id="start"))
    for attempt in range(1, attempts + 1):
        sim.start("m1")
        if attempt < attempts:
            event = TrainingFailed("m1", attempt, INTERRUPTED, will_retry=True)
            sim.append([Pending(f"m1:{attempt}:x", event)])


def failures(store: EventStore) -> list[TrainingFailed]:
    return [e.event for e in store.read("s1") if isinstance(e.event, TrainingFailed)]


def test_a_model_interrupted_once_trains_again(tmp_path) -> None:
    with EventStore(tmp_path / "remap.db") as store:
        interrupted_log(store, 1)
        with SessionService(store, runner=InstantRunner(WIDTH), processes=1) as service:
            state = service.wait_idle("s1", timeout_s=60)
        assert state.models["m1"].status == "done"
        assert state.models["m1"].attempts == 2
        assert [(f.attempt, f.reason, f.will_retry) for f in failures(store)] == [
            (1, INTERRUPTED, True)
        ]


def test_a_model_interrupted_at_every_start_fails_after_max_attempts(tmp_path) -> None:
    assert MAX_ATTEMPTS == 2  # as a dead worker in the scale-out mode
    with EventStore(tmp_path / "remap.db") as store:
        interrupted_log(store, MAX_ATTEMPTS)
        runner = InstantRunner(WIDTH)
        with SessionService(store, runner=runner, processes=1) as service:
            state = service.state("s1")
            m1 = state.models["m1"]
            assert m1.status == "failed"
            assert m1.attempts == MAX_ATTEMPTS
            assert m1.error == interrupted(MAX_ATTEMPTS, MAX_ATTEMPTS)
            assert "not tried again (at most 2 attempts)" in m1.error
            assert runner.started == 0
            last = failures(store)[-1]
            assert (last.attempt, last.will_retry) == (MAX_ATTEMPTS, False)
            # failed for good, not for ever: queued again by hand, it trains
            service.execute("s1", Enqueue(models=("m1",)))
            state = service.wait_idle("s1", timeout_s=60)
        assert state.models["m1"].status == "done"
        assert state.models["m1"].attempts == MAX_ATTEMPTS + 1


def test_an_imported_session_with_a_model_running_is_resumed_within_the_bound(tmp_path):
    # the same bound holds for a log brought in by an import
    with EventStore(tmp_path / "a.db") as source:
        interrupted_log(source, MAX_ATTEMPTS + 3)
        export_session(source, "s1", tmp_path / "s1.remap.jsonl")
    with EventStore(tmp_path / "b.db") as store:
        import_session(store, tmp_path / "s1.remap.jsonl")
        with SessionService(store, runner=InstantRunner(WIDTH), processes=1) as service:
            assert service.state("s1").models["m1"].status == "failed"
