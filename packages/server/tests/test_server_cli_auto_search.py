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
