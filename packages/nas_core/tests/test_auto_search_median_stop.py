"""The median stopping rule acted on (issue 21): `median_stops` on a simulated log says
which running trainings of a median-stop search to stop, the event folds into the
search's record once, and the real service stops such a training mid-way (the worker
records the cancel) and the search goes on with what it stopped as a finished model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.events import EventStore, Pending, fold
from nas_core.events import kinds as k
from nas_core.events.auto_search_state import observed, proposals
from nas_core.events.commands import Sample, StartAutoSearch
from nas_core.service.auto_search import follow, median_stops, space_of
from nas_core.service.replay_plan import plan_reexecution
from nas_core.service.session import SessionService
from nas_core.specs import DataSpec, EpochMetrics, Settings, TrainConfig
from nas_core.strategies import median_stop

from nas_core_event_sim import Sim


def _epoch(sim: Sim, model: str, acc: float) -> None:
    m = sim.state.models[model]
    n = len(m.curve) + 1
    metrics = EpochMetrics(n, 1.0, 0.5, 1.0, acc, 0.1, 0.001)
    sim.append(
        [Pending(f"{model}:{m.attempts}:e{n}", k.EpochCompleted(model, m.attempts, metrics))]
    )


def _search(median: bool, population: dict[str, list[float]]) -> Sim:
    """A sim whose search (3 epochs a model, median rule `median`, 2 others needed)
    has `population`'s models trained with those curves, and its first two proposals
    started."""
    sim = Sim()
    sim.command(Sample(count=len(population), seed=5))
    for mid, curve in zip(sim.state.models, population.values(), strict=True):
        sim.start(mid)
        for acc in curve:
            _epoch(sim, mid, acc)
    start = StartAutoSearch(
        strategy="random", models=2, seed=4, epochs=3, scope=tuple(sim.state.models),
        median_stop=median, options={"median_min": 2},
    )  # fmt: skip
    sim.command(start)
    sim.append(follow(sim.state, space_of(sim.state)))
    for m in proposals(sim.state, "a1"):
        sim.start(m.id)
    return sim


def test_a_training_below_the_median_is_stopped_once() -> None:
    sim = _search(True, {"p1": [0.6, 0.7, 0.8], "p2": [0.5, 0.6, 0.7]})
    low, high = (m.id for m in proposals(sim.state, "a1"))
    _epoch(sim, low, 0.3)  # below the others' averages at epoch 1 (0.6, 0.5, 0.9): stop
    _epoch(sim, high, 0.9)
    assert median_stops(sim.state) == median_stops(sim.state)  # pure
    (pending,) = median_stops(sim.state)
    e = pending.event
    assert (e.search, e.model, e.attempt, e.epoch, e.others) == ("a1", low, 1, 1, 3)
    assert (e.best, e.median) == (0.3, pytest.approx(0.6))
    sim.append([pending, pending])
    assert sim.state.auto_searches["a1"].stopped_early == (low,)
    assert median_stops(sim.state) == []  # recorded: not again


def test_no_stop_without_the_option_at_the_last_epoch_or_with_too_few_others() -> None:
    sim = _search(False, {"p1": [0.6, 0.7, 0.8], "p2": [0.5, 0.6, 0.7]})
    low, _ = (m.id for m in proposals(sim.state, "a1"))
    _epoch(sim, low, 0.1)
    assert median_stops(sim.state) == []  # the search did not ask for the rule
    sim = _search(True, {"p1": [0.6, 0.7]})
    low, _ = (m.id for m in proposals(sim.state, "a1"))
    _epoch(sim, low, 0.1)
    assert median_stops(sim.state) == []  # one other model: fewer than median_min
    sim = _search(True, {"p1": [0.9, 0.9, 0.9], "p2": [0.9, 0.9, 0.9]})
    low, _ = (m.id for m in proposals(sim.state, "a1"))
    for acc in (0.95, 0.95):
        _epoch(sim, low, acc)
    assert median_stops(sim.state) == []  # above the median
    _epoch(sim, low, 0.1)
    assert median_stops(sim.state) == []  # its last epoch: it is finishing anyway


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=2, max_size=2),
    st.lists(st.floats(0, 1), min_size=1, max_size=2),
)
def test_it_stops_exactly_when_the_rule_says(others: list[float], curve: list[float]) -> None:
    sim = _search(True, {"p1": [others[0]] * 3, "p2": [others[1]] * 3})
    mid = proposals(sim.state, "a1")[0].id
    for acc in curve:
        _epoch(sim, mid, acc)
    rule = median_stop([[o] * 3 for o in others], curve, len(curve), 2)
    assert bool(median_stops(sim.state)) == rule


# --- the real service ------------------------------------------------------------------

DATA = DataSpec(split_seed=1)  # all of digits: epochs long enough for the flag to arrive
SETTINGS = Settings(train=TrainConfig(epochs=3, batch_size=64), concurrency=2)


def test_the_service_stops_a_training_below_the_median(tmp_path) -> None:
    store = EventStore(tmp_path / "remap.db")
    with SessionService(store, data_root=tmp_path, processes=1) as service:
        session = service.create_session("median", DATA, SETTINGS)
        service.start(session, models=2, seed=3)
        service.wait_idle(session, timeout_s=240)
        service.execute(
            session,
            StartAutoSearch(
                strategy="random", models=4, seed=5, epochs=4, max_params=20_000,
                scope=("m1", "m2"), median_stop=True, options={"median_min": 2},
            ),
        )  # fmt: skip
        state = service.wait_idle(session, timeout_s=240)
        envelopes = list(store.read(session))
    store.close()
    record = state.auto_searches["a1"]
    assert record.stopped_early  # seeded: some proposal falls below the median
    stopped = [state.models[mid] for mid in record.stopped_early]
    cut = [m for m in stopped if m.status == "cancelled" and 1 <= len(m.curve) < 4]
    # stopped mid-way (the rule acts at epoch 1 or 2, so the flag has epochs to arrive)
    assert cut, [(m.id, m.status, len(m.curve)) for m in stopped]
    assert all(m in cut or m.status == "done" for m in stopped)  # or it finished first
    done = [m for m in proposals(state, "a1") if m.id not in record.stopped_early]
    assert all(m.status == "done" and len(m.curve) == 4 for m in done)
    seen = {o.model_id: o for o in observed(state, record)}
    assert all(seen[mid].finished for mid in record.stopped_early)
    assert fold(envelopes).auto_searches["a1"].stopped_early == record.stopped_early  # replay
    copied = [p.event for step in plan_reexecution(envelopes) for p in step.copied]
    assert not any(isinstance(e, k.AutoSearchMedianStopped) for e in copied)  # decided again
