"""A tiny study run by the session service (issue 21): real trainings (digits, 150
examples, one epoch a model). Each run is an ordinary session; the scripted user sends
the commands a person sends (sample, ablate, vary, handcraft) and stays within the
budget; a run that is over is reused when the study runs again; and the same study run
again under other session ids makes the same models with the same accuracies."""

from __future__ import annotations

import msgspec
import pytest

from nas_core.events import EventStore
from nas_core.events import kinds as k
from nas_core.events.commands import Ablate, Handcraft, Sample, Vary
from nas_core.generators.handcraft import RemoveEdit
from nas_core.service import SessionService
from nas_core.specs import TrainConfig
from nas_core.study import StudyError, StudySpec, fit_budget, run_study, spent_epochs

SPEC = StudySpec(
    tasks=("digits",), policies=("random", "user-paper"), budgets=(6, 16), seeds=1,
    train=TrainConfig(epochs=1, batch_size=64), overview=3, variations=2, limit=150,
)  # fmt: skip


# the same study again under other session ids: what it makes must not differ (its GP
# candidates count changes the ids and nothing else, with no GP search in it)
AGAIN = msgspec.structs.replace(SPEC, policies=("user-paper",), bayesopt_candidates=301)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    store = EventStore(root / "remap.db")
    with SessionService(store, data_root=root, processes=2) as service:
        runs, found = run_study(SPEC, service, root, parallel=2)
        states = {r.policy: service.state(r.session) for r in runs}
        before = {r.session: store.last_seq(r.session) for r in runs}
        again = run_study(SPEC, service, root, parallel=2)  # every run is over: reused
        last = (before, {r.session: store.last_seq(r.session) for r in runs})
        other_runs, other_found = run_study(AGAIN, service, root)
        other = (other_runs, other_found, service.state(other_runs[0].session))
    store.close()
    return runs, found, states, again, last, other


def test_each_run_is_a_session_within_the_budget(study) -> None:
    runs, found, states, *_ = study
    assert {r.policy for r in runs} == {"random", "user-paper"}
    for run in runs:
        state = states[run.policy]
        assert state.name == f"study: {run.policy} on digits, seed 0"
        assert spent_epochs(state) <= 16
        assert found["digits", run.policy, 0, 16].epochs == spent_epochs(state)
        small = found["digits", run.policy, 0, 6]
        assert small.epochs <= 6
        assert small.models == found["digits", run.policy, 0, 16].models[: len(small.models)]
        assert state.drawer  # the front, put there when the run was over


def test_the_scripted_user_ablates_varies_and_handcrafts(study) -> None:
    _, _, states, *_ = study
    origins = {type(m.origin) for m in states["user-paper"].models.values()}
    assert {k.Sampled, k.Ablation, k.Variation, k.Handcrafted} <= origins
    sampled = [m for m in states["user-paper"].models.values() if isinstance(m.origin, k.Sampled)]
    assert len(sampled) == 3  # the overview
    auto = states["random"].models.values()
    assert all(isinstance(m.origin, k.AutoSearch) for m in auto)


def test_a_study_run_again_reuses_the_runs_that_are_over(study) -> None:
    runs, found, _, again, last, _ = study
    assert again[0] == runs
    assert again[1] == found
    assert last[0] == last[1]  # nothing appended the second time


def test_the_same_study_again_makes_the_same_models(study) -> None:
    runs, found, state = study[5]
    assert runs[0].session != study[2]["user-paper"].session
    first = study[2]["user-paper"].models.values()
    second = state.models.values()
    assert [m.arch_hash for m in first] == [m.arch_hash for m in second]
    assert found["digits", "user-paper", 0, 16] == study[1]["digits", "user-paper", 0, 16]


def test_commands_are_cut_to_the_budget_left() -> None:
    assert fit_budget(Sample(count=10), 7, 2).count == 3
    assert fit_budget(Vary(model="m1", count=5), 4, 1).count == 4
    assert fit_budget(Ablate(model="m1", indices=(0, 1, 2)), 2, 1).indices == (0, 1)
    assert fit_budget(Handcraft(model="m1", edits=(RemoveEdit(index=0),)), 0, 1) is None


def test_a_bad_study_is_refused_naming_the_option() -> None:
    with pytest.raises(StudyError, match="--tasks: no task 'mnist'"):
        StudySpec(tasks=("mnist",)).check(("digits",))
    with pytest.raises(StudyError, match="--budgets"):
        StudySpec(budgets=(100, 100)).check(("digits",))
