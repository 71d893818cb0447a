"""The median stopping rule "for any training" (issue 21): `set_median_rule` turns the
session's own rule on or off; `median_stops` then stops any running training whose best
accuracy so far is below the median of the session's other models at its epoch
("training median stopped", folded once), leaves a search with a rule of its own to
that rule, and compares only curves REMAP trained from epoch 1. The real service stops
a sampled model mid-way, and a re-execution decides the stops again."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.events import CommandError, EventStore, Pending, fold
from nas_core.events import kinds as k
from nas_core.events.auto_search_state import proposals
from nas_core.events.commands import Sample, SetMedianRule, StartAutoSearch
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


def _session(curves: list[list[float]], running: int, rule: int | None = 2) -> Sim:
    """A sim whose first models trained `curves`, `running` more started (3 epochs a
    model), and the session's rule `rule` (None: never turned on)."""
    sim = Sim()
    sim.command(Sample(count=len(curves) + running, seed=5))
    ids = list(sim.state.models)
    for mid, curve in zip(ids, curves, strict=False):
        sim.start(mid)
        for acc in curve:
            _epoch(sim, mid, acc)
    for mid in ids[len(curves) :]:
        sim.start(mid)
    if rule is not None:
        sim.command(SetMedianRule(on=True, min_models=rule))
    return sim


def test_the_command_turns_it_on_and_off_and_refuses_no_change() -> None:
    sim = _session([], 0, rule=None)
    assert sim.state.median_rule is None
    with pytest.raises(CommandError, match="off already"):
        sim.command(SetMedianRule(on=False))
    sim.command(SetMedianRule(on=True, min_models=4))
    assert sim.state.median_rule == 4
    with pytest.raises(CommandError, match=r"on \(after 4 others\) already"):
        sim.command(SetMedianRule(on=True, min_models=4))
    sim.command(SetMedianRule(on=True, min_models=2))  # a new threshold is a change
    sim.command(SetMedianRule(on=False))
    assert sim.state.median_rule is None


def test_a_training_of_any_origin_below_the_median_is_stopped_once() -> None:
    sim = _session([[0.6, 0.7, 0.8], [0.5, 0.6, 0.7]], running=2)
    low, high = list(sim.state.models)[2:]
    _epoch(sim, low, 0.3)  # the others' epoch-1 averages: 0.6, 0.5, 0.9
    _epoch(sim, high, 0.9)
    assert median_stops(sim.state) == median_stops(sim.state)  # pure
    (pending,) = median_stops(sim.state)
    e = pending.event
    assert isinstance(e, k.TrainingMedianStopped)
    assert (e.model, e.attempt, e.epoch, e.others, e.best) == (low, 1, 1, 3, 0.3)
    assert e.median == pytest.approx(0.6)
    sim.append([pending, pending])
    assert sim.state.median_stopped == (low,)
    assert median_stops(sim.state) == []  # recorded: not again
    sim.command(SetMedianRule(on=False))
    _epoch(sim, high, 0.0)
    assert median_stops(sim.state) == []  # off


def test_too_few_others_the_last_epoch_and_a_rule_never_set_stop_nothing() -> None:
    sim = _session([[0.9, 0.9, 0.9]], running=1)
    low = list(sim.state.models)[1]
    _epoch(sim, low, 0.1)
    assert median_stops(sim.state) == []  # one other: fewer than 2
    sim = _session([[0.9] * 3, [0.9] * 3], running=1, rule=None)
    low = list(sim.state.models)[2]
    _epoch(sim, low, 0.1)
    assert median_stops(sim.state) == []  # the rule was never turned on
    sim = _session([[0.9] * 3, [0.9] * 3], running=1)
    low = list(sim.state.models)[2]
    for acc in (0.95, 0.95):
        _epoch(sim, low, acc)
    assert median_stops(sim.state) == []  # above the median
    _epoch(sim, low, 0.1)
    assert median_stops(sim.state) == []  # its last epoch: finishing anyway


def test_a_search_with_its_own_rule_keeps_it_and_one_without_takes_the_sessions() -> None:
    for own in (True, False):
        sim = _session([[0.9, 0.9, 0.9], [0.8, 0.8, 0.8]], running=0)
        start = StartAutoSearch(
            strategy="random", models=1, seed=4, epochs=3, scope=tuple(sim.state.models),
            median_stop=own, options={"median_min": 2},
        )  # fmt: skip
        sim.command(start)
        sim.append(follow(sim.state, space_of(sim.state)))
        (proposal,) = proposals(sim.state, "a1")
        sim.start(proposal.id)
        _epoch(sim, proposal.id, 0.1)
        (pending,) = median_stops(sim.state)  # one stop, not one per rule
        kind = k.AutoSearchMedianStopped if own else k.TrainingMedianStopped
        assert type(pending.event) is kind


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=2, max_size=3),
    st.lists(st.floats(0, 1), min_size=1, max_size=2),
)
def test_it_stops_exactly_when_the_rule_says(others: list[float], curve: list[float]) -> None:
    sim = _session([[o] * 3 for o in others], running=1)
    mid = list(sim.state.models)[-1]
    for acc in curve:
        _epoch(sim, mid, acc)
    rule = median_stop([[o] * 3 for o in others], curve, len(curve), 2)
    assert bool(median_stops(sim.state)) == rule


# --- the real service ------------------------------------------------------------------

DATA = DataSpec(split_seed=1)  # all of digits: epochs long enough for the flag to arrive
SETTINGS = Settings(train=TrainConfig(epochs=3, batch_size=64), concurrency=2)


def test_the_service_stops_a_sampled_training_below_the_median(tmp_path) -> None:
    store = EventStore(tmp_path / "remap.db")
    with SessionService(store, data_root=tmp_path, processes=1) as service:
        session = service.create_session("median rule", DATA, SETTINGS)
        service.start(session, models=3, seed=3)
        service.wait_idle(session, timeout_s=240)
        service.execute(session, SetMedianRule(on=True, min_models=2))
        service.execute(session, Sample(count=6, seed=11))
        state = service.wait_idle(session, timeout_s=300)
        envelopes = list(store.read(session))
    store.close()
    assert state.median_rule == 2
    assert state.median_stopped  # seeded: some sample falls below the median
    stopped = [state.models[mid] for mid in state.median_stopped]
    cut = [m for m in stopped if m.status == "cancelled" and 1 <= len(m.curve) < 3]
    assert cut, [(m.id, m.status, len(m.curve)) for m in stopped]  # stopped mid-way
    assert all(m in cut or m.status == "done" for m in stopped)  # or it finished first
    assert not set(state.median_stopped) & {"m1", "m2", "m3"}  # trained before the rule
    assert fold(envelopes).median_stopped == state.median_stopped  # replay
    copied = [p.event for step in plan_reexecution(envelopes) for p in step.copied]
    assert any(isinstance(e, k.MedianRuleChanged) for e in copied)  # the user's switch
    assert not any(isinstance(e, k.TrainingMedianStopped) for e in copied)  # decided again
