"""`remap new --strategy NAME --models N` (issue 21): the session's models are proposed
by an automated search (the real "random" strategy), trained for real on digits, within
the session's parameter cap and the budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from nas_core.events import EventStore, fold
from nas_core.events import kinds as k
from remap_server.cli import main


def test_new_with_a_strategy_runs_the_search_to_its_budget(tmp_path: Path, capsys) -> None:
    status = main(["new", "--strategy", "random", "--models", "3", "--epochs", "1",
                   "--limit", "200", "--seed", "4", "--max-params", "20000", "--median-stop",
                   "--processes", "1", "--no-progress", "--data-dir", str(tmp_path)])  # fmt: skip
    assert status == 0, capsys.readouterr().err
    with EventStore(tmp_path / "remap.db") as store:
        (session,) = store.sessions()
        state = fold(store.read(session.id))
    (search,) = state.auto_searches.values()
    assert (search.spec.strategy, search.spec.seed, search.models) == ("random", 4, 3)
    assert search.spec.constraints.max_params == 20_000
    assert search.median_stop  # too few models for the rule to stop any here
    models = list(state.models.values())
    assert len(models) == 3
    assert all(isinstance(m.origin, k.AutoSearch) and m.status == "done" for m in models)
    assert all(m.params <= 20_000 for m in models)


def test_an_unknown_strategy_is_refused_by_name(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["new", "--strategy", "grid", "--data-dir", str(tmp_path)])
    assert exit.value.code == 2
    assert "invalid choice: 'grid'" in capsys.readouterr().err


def test_median_rule_holds_for_every_training_of_a_sampled_session(tmp_path: Path, capsys) -> None:
    # 30 epochs: long enough that a stop decided after an epoch reaches the worker
    # before the training ends on its own
    status = main(["new", "--models", "6", "--epochs", "30", "--limit", "200", "--seed", "2",
                   "--median-rule", "2", "--processes", "1", "--no-progress",
                   "--data-dir", str(tmp_path)])  # fmt: skip
    assert status == 0, capsys.readouterr().err
    with EventStore(tmp_path / "remap.db") as store:
        (session,) = store.sessions()
        events = list(store.read(session.id))
    state = fold(events)
    assert state.median_rule == 2
    assert not state.auto_searches  # the rule is the session's, no search needed
    changed = [e.event for e in events if isinstance(e.event, k.MedianRuleChanged)]
    assert [c.min_models for c in changed] == [2]
    stops = [e.event for e in events if isinstance(e.event, k.TrainingMedianStopped)]
    assert stops, "six models of the chain: some fall below the median"
    assert {s.model for s in stops} == set(state.median_stopped)
    for stop in stops:  # below the others' median, decided before the last epoch
        assert stop.best < stop.median
        assert stop.others >= 2
        assert stop.epoch < 30
    cut = [m for m in state.median_stopped if state.models[m].status == "cancelled"]
    assert cut, "a stop reaches a 30-epoch training before it ends"
    assert all(len(state.models[m].curve) < 30 for m in cut)


@pytest.mark.parametrize("value", ["0", "many", "1001"])
def test_a_median_rule_without_a_count_of_models_is_refused(tmp_path: Path, capsys, value) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["new", "--median-rule", value, "--data-dir", str(tmp_path)])
    assert exit.value.code == 2
    assert f"must be a number of models from 1 to 1000, not '{value}'" in capsys.readouterr().err
