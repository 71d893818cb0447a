"""Steering an automated search (issue 21): the commands' deciders, the fold of their
events, what the search's state derives from the log, and the proposal step (`follow`)
with the real "random" strategy: budget, pause, constraints and population respected."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nas_core_auto_search_sim import auto_search_step

from nas_core.arch.layers import LAYER_TYPES
from nas_core.events import CommandError, Sample, decide, decode_command
from nas_core.events import kinds as k
from nas_core.events.auto_search_state import observed, proposals, used
from nas_core.events.commands import (
    AddToAutoSearch,
    ConstrainAutoSearch,
    PauseAutoSearch,
    ResumeAutoSearch,
    SetAutoSearchBudget,
    StartAutoSearch,
    StopAutoSearch,
)
from nas_core.service.auto_search import WINDOW, follow, space_of

from nas_core_event_sim import Sim


def _sim(models: int = 3) -> Sim:
    sim = Sim()
    sim.command(Sample(count=models, seed=5))
    return sim


def _refused(sim: Sim, command, path: str, words: str) -> None:
    with pytest.raises(CommandError) as err:
        decide(sim.state, command)
    assert err.value.path == path
    assert words in str(err.value)


def _finish_all(sim: Sim) -> None:
    """Train (simulated) every queued model."""
    import random

    for mid in list(sim.state.queue):
        sim.start(mid)
        sim.epoch(mid, random.Random(mid))
        sim.finish(mid, random.Random(mid))


def test_start_records_the_spec_budget_and_scope() -> None:
    sim = _sim()
    sim.command(
        StartAutoSearch(
            strategy="random", models=5, seed=11, epochs=2, max_params=40_000,
            forbid_kinds=("tanh",), require_kinds=("conv",), scope=("m1", "m2"),
        )
    )  # fmt: skip
    record = sim.state.auto_searches["a1"]
    assert record.spec.strategy == "random"
    assert record.spec.seed == 11
    assert record.spec.epochs == 2
    assert record.models == 5
    assert record.epochs is None
    c = record.spec.constraints
    assert (c.max_params, c.forbid_kinds, c.require_kinds) == (40_000, ("tanh",), ("conv",))
    assert record.population == ("m1", "m2")
    assert record.status == "running"


def test_a_seed_left_out_is_derived_from_the_command_id_and_recorded() -> None:
    a, b = _sim(), _sim()
    a.command(StartAutoSearch(id="x1", strategy="random", models=2))
    b.command(StartAutoSearch(id="x1", strategy="random", models=2))
    assert a.state.auto_searches["a1"].spec.seed == b.state.auto_searches["a1"].spec.seed


@pytest.mark.parametrize(
    ("command", "path", "words"),
    [
        (StartAutoSearch(strategy="grid", models=2), "$.strategy", "no strategy 'grid'"),
        (StartAutoSearch(strategy="random"), "$.models", "give a budget"),
        (StartAutoSearch(strategy="random", models=2, forbid_kinds=("lstm",)),
         "$.forbid_kinds[0]", "'lstm' is no layer kind"),
        (StartAutoSearch(strategy="random", models=2, forbid_kinds=("conv",),
                         require_kinds=("conv",)),
         "$.require_kinds[0]", "both required and forbidden"),
        (StartAutoSearch(strategy="random", models=2, scope=("m1", "m99")),
         "$.scope[1]", "no model 'm99'"),
        (StartAutoSearch(strategy="random", models=2, region=((0.0, 0.0), (1.0, 1.0))),
         "$.region", "at least 3 points"),
        (PauseAutoSearch(), "$.search", "no automated search has been started"),
        (StopAutoSearch(search="a7"), "$.search", "no automated search 'a7'"),
    ],
)  # fmt: skip
def test_start_and_steering_refuse_what_does_not_apply(command, path, words) -> None:
    _refused(_sim(), command, path, words)


def test_pause_resume_stop_follow_the_status() -> None:
    sim = _sim()
    sim.command(StartAutoSearch(strategy="random", models=3))
    _refused(sim, ResumeAutoSearch(), "$.search", "running, not paused")
    sim.command(PauseAutoSearch())
    assert sim.state.auto_searches["a1"].status == "paused"
    _refused(sim, PauseAutoSearch(), "$.search", "paused, not running")
    sim.command(ResumeAutoSearch(search="a1"))
    assert sim.state.auto_searches["a1"].status == "running"
    sim.command(StopAutoSearch())
    assert sim.state.auto_searches["a1"].status == "stopped"
    _refused(sim, ResumeAutoSearch(), "$.search", "stopped, not paused")
    _refused(sim, StopAutoSearch(), "$.search", "stopped already")


def test_budget_constraints_and_population_change_the_record() -> None:
    sim = _sim()
    sim.command(StartAutoSearch(strategy="random", models=3, scope=("m1",)))
    _refused(sim, SetAutoSearchBudget(), "$.models", "give a budget")
    _refused(sim, SetAutoSearchBudget(models=3), "$", "has this budget already")
    sim.command(SetAutoSearchBudget(models=4, epochs=30))
    assert (sim.state.auto_searches["a1"].models, sim.state.auto_searches["a1"].epochs) == (4, 30)
    sim.command(ConstrainAutoSearch(max_params=20_000, forbid_kinds=("sigmoid",)))
    c = sim.state.auto_searches["a1"].spec.constraints
    assert (c.max_params, c.forbid_kinds) == (20_000, ("sigmoid",))
    _refused(sim, AddToAutoSearch(models=("m1",)), "$.models", "population already")
    _refused(sim, AddToAutoSearch(models=("m2", "m2")), "$.models[1]", "listed twice")
    sim.command(AddToAutoSearch(models=("m1", "m2", "m3")))
    assert sim.state.auto_searches["a1"].population == ("m1", "m2", "m3")
    ids = [o.model_id for o in observed(sim.state, sim.state.auto_searches["a1"])]
    assert ids[:3] == ["m1", "m2", "m3"]


def test_follow_runs_a_random_search_to_its_budget_within_its_cap() -> None:
    sim = _sim()
    sim.command(StartAutoSearch(strategy="random", models=5, seed=3, epochs=2, max_params=30_000))
    for _ in range(10):
        pending = follow(sim.state, space_of(sim.state))
        sim.append(pending)
        waiting = [m for m in proposals(sim.state, "a1") if m.status in ("created", "queued")]
        assert len(waiting) <= WINDOW  # it proposes what its window has room for
        _finish_all(sim)
    made = proposals(sim.state, "a1")
    assert len(made) == 5
    assert used(sim.state, "a1") == (5, 10)
    assert all(m.params <= 30_000 for m in made)
    assert [m.origin.step for m in made] == [0, 1, 2, 3, 4]
    assert all(isinstance(m.origin, k.AutoSearch) and m.origin.strategy == "random" for m in made)
    assert follow(sim.state, space_of(sim.state)) == []  # the budget is spent


def test_a_paused_search_proposes_nothing_and_a_raised_budget_goes_on() -> None:
    sim = _sim()
    sim.command(StartAutoSearch(strategy="random", models=2, seed=4, epochs=1))
    sim.append(follow(sim.state, space_of(sim.state)))
    _finish_all(sim)
    sim.command(PauseAutoSearch())
    sim.command(SetAutoSearchBudget(models=3))
    assert follow(sim.state, space_of(sim.state)) == []  # paused
    sim.command(ResumeAutoSearch())
    sim.append(follow(sim.state, space_of(sim.state)))
    assert len(proposals(sim.state, "a1")) == 3  # the raised budget, no more
    assert follow(sim.state, space_of(sim.state)) == []


def test_an_epoch_budget_caps_the_epochs_queued() -> None:
    sim = _sim()
    sim.command(StartAutoSearch(strategy="random", budget_epochs=5, seed=8, epochs=2))
    for _ in range(5):
        sim.append(follow(sim.state, space_of(sim.state)))
        _finish_all(sim)
    assert used(sim.state, "a1") == (2, 4)  # a third model of 2 epochs would pass 5


def test_the_same_log_proposes_the_same_models() -> None:
    runs = []
    for _ in range(2):
        sim = _sim()
        sim.command(StartAutoSearch(id="s", strategy="random", models=3, seed=9))
        sim.append(follow(sim.state, space_of(sim.state)))
        runs.append([m.arch_hash for m in proposals(sim.state, "a1")])
    assert runs[0] == runs[1]
    assert len(runs[0]) == WINDOW


kinds = st.lists(st.one_of(st.sampled_from(sorted(LAYER_TYPES)), st.text(max_size=6)), max_size=4)


@settings(max_examples=60, deadline=None)
@given(
    strategy=st.one_of(st.just("random"), st.text(max_size=8)),
    models=st.one_of(st.none(), st.integers(-2, 20)),
    forbid=kinds,
    require=kinds,
    cap=st.one_of(st.none(), st.integers(-5, 10**6)),
)
def test_any_start_body_is_decided_or_refused_in_remaps_words(
    strategy, models, forbid, require, cap
) -> None:
    body = {"type": "start_auto_search", "strategy": strategy, "forbid_kinds": forbid,
            "require_kinds": require}  # fmt: skip
    if models is not None:
        body["models"] = models
    if cap is not None:
        body["max_params"] = cap
    sim = _sim(1)
    try:
        command = decode_command(msgspec.json.encode(body))
        sim.command(command)
    except CommandError as err:
        refused = err.path
    else:
        refused = None
    if refused is not None:
        assert refused.startswith("$")
        return
    record = sim.state.auto_searches["a1"]
    c = record.spec.constraints
    assert set(c.forbid_kinds).isdisjoint(c.require_kinds)
    assert set(c.forbid_kinds) | set(c.require_kinds) <= set(LAYER_TYPES)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 2**16), min_size=1, max_size=25))
def test_random_steering_keeps_every_search_within_its_budget(steps) -> None:
    sim = _sim(2)
    for n in steps:
        auto_search_step(sim, n)
    for record in sim.state.auto_searches.values():
        spent = used(sim.state, record.search)
        made = proposals(sim.state, record.search)
        assert record.models is None or spent.models <= max(record.models, WINDOW * 4)
        assert all(m.status == "queued" for m in made)


def test_an_option_the_strategy_cannot_read_is_refused_at_the_start() -> None:
    sim = _sim()
    command = StartAutoSearch(strategy="evolution", models=3, options={"population": "many"})
    with pytest.raises(CommandError) as err:
        decide(sim.state, command)
    assert err.value.path == "$.options"
    assert "evolution search" in str(err.value)
