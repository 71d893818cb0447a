"""Importing a search REMAP did not run into a session (issue 20): the models come in
finished, in the file's order with their wall times, embedded, restored as they were
when the session opens again; a bad line writes nothing; an imported model's children
train in REMAP; an Optuna study imports through optuna's own storage."""

from __future__ import annotations

import json
import random

import pytest

from nas_core.events import Ablate, EventStore
from nas_core.events.kinds import Imported
from nas_core.imports import SearchFileError, parse_search_lines
from nas_core.imports.optuna_study import read_optuna_study
from nas_core.service import SessionService
from nas_core.service.import_search import import_search

from nas_core_event_sim import InstantRunner

ARCH = {"layers": [
    {"type": "conv", "filters": 8, "kernel": 3}, {"type": "relu"},
    {"type": "maxpool", "pool": 2}, {"type": "flatten"}, {"type": "dense", "units": 10},
]}  # fmt: skip


def search_text(n: int, test: int, *, predictions: bool = True) -> str:
    rnd = random.Random(n)
    rows = [json.dumps({"format": "remap-search", "source": "a hyperband run"})]
    for i in range(n):
        arch = {
            **ARCH,
            "layers": [{**ARCH["layers"][0], "filters": 4 + i % 7}, *ARCH["layers"][1:]],
        }
        line = {"name": f"trial-{i}", "architecture": arch, "started_s": 10.0 * i, "epochs": [
            {"epoch": 1, "wall_s": 2.0, "val_acc": 0.3, "val_loss": 1.5},
            {"epoch": 2, "wall_s": 5.0, "val_acc": 0.5 + i / (4 * n)},
        ], "test_acc": 0.5}  # fmt: skip
        if predictions:
            line["predictions"] = [rnd.randrange(10) for _ in range(test)]
        rows.append(json.dumps(line))
    return "\n".join(rows)


@pytest.fixture
def service(tmp_path):
    with (
        EventStore(tmp_path / "t.db") as store,
        SessionService(store, runner=InstantRunner(), processes=1) as svc,
    ):
        yield svc


def test_a_search_imports_first_class_and_reopens_the_same(tmp_path):
    with EventStore(tmp_path / "t.db") as store:  # two services on it, in turn
        with SessionService(store, runner=InstantRunner(), processes=1) as svc:
            session = svc.create_session("imported")
            test = svc.state(session).split.test
            done = import_search(svc, session, parse_search_lines(search_text(8, test)),
                                 source="hb.jsonl")  # fmt: skip
            state = svc.state(session)
        assert done.models == tuple(f"m{k}" for k in range(1, 9))
        assert done.embedded == 8
        m = state.models["m3"]
        assert m.status == "done"
        assert m.started_s == 20.0
        assert m.origin == Imported(search=done.search, source="hb.jsonl", line=4, name="trial-2")
        assert [e.seconds for e in m.curve] == [2.0, 3.0]  # per epoch, from the totals
        assert m.curve[0].val_loss == 1.5
        assert m.curve[1].val_loss is None
        assert m.result.test_acc == 0.5
        assert m.result.wall_s == 5.0
        assert set(state.embeddings["structure"]) == set(done.models)
        assert set(state.embeddings["predictions"]) == set(done.models)
        with SessionService(store, runner=InstantRunner(), processes=1, snapshots=False) as again:
            assert again.state(session) == state  # restored from the log, nothing recomputed
            assert again.set_aside() == {}


def test_models_without_predictions_import_and_are_not_embedded(service):
    session = service.create_session("x")
    text = search_text(3, 0, predictions=False)
    done = import_search(service, session, parse_search_lines(text), source="f")
    state = service.state(session)
    assert done.embedded == 0
    assert all(state.models[m].status == "done" for m in done.models)
    assert not state.embeddings.get("structure")


def test_a_bad_line_is_named_and_nothing_is_written(service):
    session = service.create_session("x")
    before = service.store.last_seq(session)
    lines = search_text(4, service.state(session).split.test).split("\n")
    bad = json.loads(lines[3])
    bad["architecture"]["layers"][0]["kernel"] = 4  # REMAP trains 3, 5 or 7
    lines[3] = json.dumps(bad)
    other = json.loads(lines[4])
    other["architecture"]["input"] = {"shape": [3, 32, 32], "classes": 10}
    lines[4] = json.dumps(other)
    with pytest.raises(SearchFileError) as info:
        import_search(service, session, parse_search_lines("\n".join(lines)), source="f.jsonl")
    assert [(e.line, e.path) for e in info.value.errors] == [
        (4, "$.architecture.layers[0].kernel"),
        (5, "$.architecture.input"),
    ]
    assert str(info.value).startswith("f.jsonl: line 4: ")
    assert service.store.last_seq(session) == before


def test_predictions_must_cover_the_session_test_set(service):
    session = service.create_session("x")
    with pytest.raises(SearchFileError, match=r"line 2: has 7 labels, the session's test set"):
        import_search(service, session, parse_search_lines(search_text(2, 7)), source="f")


def test_an_imported_model_has_children_that_train_here(service):
    session = service.create_session("x")
    test = service.state(session).split.test
    import_search(service, session, parse_search_lines(search_text(2, test)), source="f")
    service.execute(session, Ablate(model="m1", indices=(1,)))
    state = service.wait_idle(session, timeout_s=60)
    child = state.models["m3"]
    assert child.parent == "m1"
    assert child.status == "done"
    assert child.attempts == 1
    assert child.started_s is not None
    assert child.started_s >= 0
    assert "m3" in state.embeddings["structure"]


def test_an_optuna_study_imports_with_its_mapping(tmp_path, service):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="hb", storage=url, direction="maximize",
                                pruner=optuna.pruners.ThresholdPruner(lower=0.35))  # fmt: skip

    def objective(trial: optuna.Trial) -> float:
        trial.suggest_int("n_layers", 3, 3)
        trial.suggest_categorical("layer0_type", ["conv"])
        filters = trial.suggest_int("layer0_filters", 4, 16)
        trial.suggest_categorical("layer0_kernel", [3, 5])
        trial.suggest_categorical("layer1_type", ["flatten"])
        trial.suggest_categorical("layer2_type", ["dense"])
        trial.suggest_categorical("layer2_units", [10])
        for step in range(3):
            trial.report(0.3 + 0.05 * step + filters / 100, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return 0.6 + filters / 100

    study.optimize(objective, n_trials=6)
    search = read_optuna_study(url, "hb")
    assert [m.name for m in search.models] == [f"trial {t.number}" for t in study.trials]
    session = service.create_session("o")
    done = import_search(service, session, search, source="optuna")
    state = service.state(session)
    first = state.models[done.models[0]]
    assert first.arch.layers[0].filters == study.trials[0].params["layer0_filters"]
    assert [e.val_acc for e in first.curve] == list(study.trials[0].intermediate_values.values())
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert sum(state.models[m].result is not None for m in done.models) == len(complete)
    assert state.models[done.models[0]].started_s == 0.0


def test_an_optuna_trial_that_does_not_map_is_named(tmp_path, service):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    journal = tmp_path / "study.log"
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    storage = JournalStorage(JournalFileBackend(str(journal)))
    study = optuna.create_study(study_name="j", storage=storage, direction="maximize")
    study.enqueue_trial({})
    study.optimize(lambda t: t.set_user_attr("architecture", {"layers": []}) or 0.5, n_trials=1)
    study.optimize(lambda t: t.set_user_attr("architecture", ARCH) or 0.7, n_trials=1)
    search = read_optuna_study(str(journal), "j")
    assert len(search.models) == 2
    session = service.create_session("j")
    with pytest.raises(SearchFileError) as info:  # trial 0's architecture has no layer
        import_search(service, session, search, source="optuna")
    assert [e.line for e in info.value.errors] == [2]
    assert info.value.errors[0].path.startswith("$.architecture")
    with pytest.raises(SearchFileError, match="no study named 'nope'"):
        read_optuna_study(str(journal), "nope")
