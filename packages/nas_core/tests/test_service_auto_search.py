"""An automated search run by the session service (issue 21): real trainings (tiny
models, digits, one epoch) until the search's budget is spent; a pause stops new
proposals, a raised budget is used on resume, and models added to the population are
what the search learns from. The strategy is the real "random" one."""

from __future__ import annotations

import pytest

from nas_core.events import EventStore
from nas_core.events import kinds as k
from nas_core.events.auto_search_state import observed, proposals, used
from nas_core.events.commands import (
    AddToAutoSearch,
    PauseAutoSearch,
    ResumeAutoSearch,
    SetAutoSearchBudget,
    StartAutoSearch,
)
from nas_core.service.replay_plan import plan_reexecution
from nas_core.service.session import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig

DATA = DataSpec(limit=200, split_seed=1)
SETTINGS = Settings(train=TrainConfig(epochs=1, batch_size=64), concurrency=2)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("auto")
    store = EventStore(root / "remap.db")
    with SessionService(store, data_root=root, processes=1) as service:
        session = service.create_session("auto", DATA, SETTINGS)
        service.start(session, models=2, seed=3)
        service.execute(
            session,
            StartAutoSearch(strategy="random", models=3, seed=5, epochs=1, max_params=20_000),
        )
        service.execute(session, PauseAutoSearch())
        paused = service.wait_idle(session, timeout_s=240)
        service.execute(session, AddToAutoSearch(models=("m1", "m2")))
        service.execute(session, SetAutoSearchBudget(models=4))
        service.execute(session, ResumeAutoSearch())
        done = service.wait_idle(session, timeout_s=240)
        envelopes = list(store.read(session))
    yield paused, done, envelopes
    store.close()


def test_a_paused_search_proposes_no_more_while_its_models_train(run) -> None:
    paused, _, _ = run
    made = proposals(paused, "a1")
    assert 1 <= len(made) <= 2  # what it proposed before the pause, no more
    assert all(m.status == "done" for m in made)


def test_the_search_runs_to_its_raised_budget_within_its_cap(run) -> None:
    _, done, _ = run
    made = proposals(done, "a1")
    assert used(done, "a1").models == 4 == len(made)
    assert all(m.status == "done" and m.params <= 20_000 for m in made)
    assert all(isinstance(m.origin, k.AutoSearch) for m in made)
    assert len(made[0].curve) == 1  # trained for real, its epochs recorded


def test_the_added_models_are_in_what_the_search_learns_from(run) -> None:
    _, done, _ = run
    seen = observed(done, done.auto_searches["a1"])
    assert [o.model_id for o in seen[:2]] == ["m1", "m2"]
    assert all(o.finished and o.val_acc for o in seen)


def test_reexecution_drops_the_proposals_to_make_them_again(run) -> None:
    _, _, envelopes = run
    steps = plan_reexecution(envelopes)
    copied = [p.event for s in steps for p in s.copied]
    kinds = {type(e).__name__ for e in copied}
    assert {"AutoSearchStarted", "AutoSearchPaused", "AutoSearchPopulationAdded"} <= kinds
    assert not any(
        isinstance(e, k.ModelCreated) and isinstance(e.origin, k.AutoSearch) for e in copied
    )
