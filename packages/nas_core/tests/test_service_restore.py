"""An import proves the log before it commits (issue 15): a session file whose every line
is well formed but whose events do not fit together is refused at the line that breaks
it, and one that is taken is one the service opens, as ``remap serve`` does at start.
The range checks of the metrics hold at this door too."""

from __future__ import annotations

import itertools

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from nas_core.events import (
    EventStore,
    SessionFileError,
    import_session,
)
from nas_core.service import SessionService, restore

from nas_core_event_sim import (
    WIDTH,
    InstantRunner,
    edits,
    file_of,
    line_of,
    lines_of,
    real_log,
    tampered,
)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> bytes:
    with EventStore(tmp_path_factory.mktemp("source") / "source.db") as store:
        return real_log(store)


def refused(tmp_path, data: bytes) -> SessionFileError:
    """The error of importing `data` into a fresh store, which must stay empty."""
    with EventStore(tmp_path / "target.db") as store:
        with pytest.raises(SessionFileError) as info:
            import_session(store, data)
        assert store.sessions() == [], "a refused file wrote something"
    return info.value


def without(data: bytes, drop) -> bytes:
    """`data` without the event lines `drop` picks, the seqs after them renumbered."""
    return file_of([line for line in lines_of(data) if not drop(line.get("id", ""))])


def test_the_real_log_imports_and_opens(tmp_path, exported) -> None:
    with EventStore(tmp_path / "t.db") as store:
        assert import_session(store, exported).added == len(lines_of(exported)) - 1
        with SessionService(store, runner=InstantRunner(WIDTH), processes=1) as service:
            # m5 was left running: it trains again (and is embedded) as the server resumes it
            state = service.wait_idle("s1", timeout_s=60)
    assert {m.status for m in state.models.values()} == {"done"}
    assert len(state.embeddings["structure"]) == 5


# --- the holes of the issue: each refused at its line, nothing written ---------------------


def test_a_deleted_training_started_is_refused_at_the_embedding_it_breaks(tmp_path, exported):
    data = without(exported, lambda i: i == "m2:1:started")
    error = refused(tmp_path, data)
    assert error.line == line_of(data, "m2:embedded:structure"), str(error)
    assert "model m2 is embedded but has not finished training (it is queued)" in error.reason


def test_a_second_session_created_in_place_of_a_line_is_refused(tmp_path, exported) -> None:
    lines = lines_of(exported)
    k = next(k for k, line in enumerate(lines) if line.get("id") == "m3:1:finished")
    lines[k] = {**lines[1], "id": "created-again"}
    data = file_of(lines)
    error = refused(tmp_path, data)
    assert error.line == line_of(data, "m3:embedded:structure"), str(error)
    assert "model m3 is embedded but has not finished training (it is running)" in error.reason


def test_a_model_embedded_against_models_not_embedded_before_it_is_refused(tmp_path, exported):
    data = without(exported, lambda i: i.startswith(("m2:embedded:", "m2:layout:")))
    error = refused(tmp_path, data)
    assert error.line == line_of(data, "m3:embedded:structure"), str(error)
    assert "model m3 has 2 distances, not 1 (one to each of the first 1 models" in error.reason


def test_a_finished_model_queued_again_is_refused_at_that_line(tmp_path, exported) -> None:
    lines = lines_of(exported)
    queued = next(line for line in lines if line.get("event", {}).get("kind") == "training_queued")
    k = max(k for k, line in enumerate(lines) if line.get("id", "").startswith("m1:embedded:"))
    lines.insert(k + 1, {**queued, "id": "queued-again"})
    data = file_of(lines)
    error = refused(tmp_path, data)
    assert error.line == k + 2, str(error)  # the inserted line
    assert f"model {queued['event']['model']} is queued to train again" in error.reason


@pytest.mark.parametrize(
    ("event_id", "change", "path"),
    [
        ("m1:1:finished", {"test_acc": 7.5}, "result.test_acc"),
        ("m1:1:finished", {"test_loss": -0.25}, "result.test_loss"),
        ("m1:1:finished", {"epochs": 0}, "result.epochs"),
        ("m1:1:finished", {"wall_s": -1.0}, "result.wall_s"),
        ("m1:1:finished", {"per_class_acc": [0.5, 0.5, 0.5, 1.5] + [0.5] * 6},
         "result.per_class_acc[3]"),
        ("m1:1:epoch:1", {"train_loss": -1.0}, "metrics.train_loss"),
        ("m1:1:epoch:1", {"val_acc": 2.0}, "metrics.val_acc"),
    ],
)  # fmt: skip
def test_metrics_out_of_range_are_refused_with_the_line_and_the_field(
    tmp_path, exported, event_id, change, path
) -> None:
    lines = lines_of(exported)
    line = next(line for line in lines if line.get("id") == event_id)
    inner = "result" if "result" in line["event"] else "metrics"
    line["event"][inner].update(change)
    data = file_of(lines)
    error = refused(tmp_path, data)
    assert error.line == line_of(data, event_id), str(error)
    assert path in error.reason, error.reason


# --- a fuzz of tampered logs ---------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory, exported):
    """One store and one service for every example: the real log as session "base"."""
    store = EventStore(tmp_path_factory.mktemp("fuzz") / "fuzz.db")
    import_session(store, tampered(exported, [], "base"))
    service = SessionService(store, runner=InstantRunner(WIDTH), processes=1)
    yield store, service, itertools.count()
    service.close()
    store.close()


def imported(store: EventStore, data: bytes):
    """``(result, None)`` when `data` is imported, ``(None, error)`` when refused."""
    try:
        return import_session(store, data), None
    except SessionFileError as error:
        return None, error


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=edits)
def test_a_tampered_log_is_refused_at_a_line_or_opened_as_the_server_opens_it(
    world, exported, steps
) -> None:
    store, service, numbers = world
    session = f"t{next(numbers)}"
    data = tampered(exported, steps, session)
    result, error = imported(store, data)
    if error is not None:
        assert error.line is not None, str(error)
        assert 1 <= error.line <= len(lines_of(data)), str(error)
        assert store.session(session) is None, "a refused file wrote something"
    else:
        restored = restore(store.read(session))  # what `remap serve` rebuilds at start
        assert restored.state.last_seq == result.last_seq
        state = service.state(session)  # opened, resumed and served
        assert set(state.models) == set(restored.state.models)
    assert service.state("base").created  # the rest of the store is still served
    assert service.set_aside() == {}


def test_an_import_that_extends_a_session_proves_the_whole_log(tmp_path, exported) -> None:
    lines = lines_of(exported)
    k = next(k for k, line in enumerate(lines) if line.get("id") == "m4:1:started")
    with EventStore(tmp_path / "t.db") as store:
        import_session(store, file_of(lines[:k]))  # an early export: fine
        late = file_of([line for line in lines if line.get("id") != "m4:1:started"])
        with pytest.raises(SessionFileError, match="model m4 is embedded but has not"):
            import_session(store, late)
        assert store.last_seq("s1") == k - 1
        assert msgspec.json.decode(late.split(b"\n")[0])["last_seq"] > k - 1
