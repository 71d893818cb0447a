"""Importing a search REMAP did not run (issue 20), through its two doors: ``remap
import-search`` (a file, an Optuna study, --schema) and ``POST
/api/sessions/{session}/searches``; a bad line is refused with its line, nothing written."""

from __future__ import annotations

import json
import random
from pathlib import Path

from nas_core.events import EventStore, load_state
from nas_core.specs import DataSpec
from remap_server.cli import main

SESSION = "import-search"  # this module's own session (the conftest's is read-only)

ARCH = {"layers": [
    {"type": "conv", "filters": 8, "kernel": 3}, {"type": "relu"}, {"type": "flatten"},
    {"type": "dense", "units": 10},
]}  # fmt: skip


def search_file(n: int, test: int | None) -> str:
    rnd = random.Random(0)
    rows = [json.dumps({"format": "remap-search", "source": "an outside search"})]
    for i in range(n):
        line = {"name": f"t{i}", "architecture": ARCH, "started_s": float(i), "epochs": [
            {"epoch": 1, "wall_s": 1.0 + i, "val_acc": 0.4}]}  # fmt: skip
        if test:
            line |= {"test_acc": 0.4, "predictions": [rnd.randrange(10) for _ in range(test)]}
        rows.append(json.dumps(line))
    return "\n".join(rows) + "\n"


def test_the_cli_imports_a_file_into_a_new_session(tmp_path: Path, capsys) -> None:
    path = tmp_path / "search.jsonl"
    path.write_text(search_file(3, None))
    assert main(["import-search", str(path), "--data-dir", str(tmp_path / "d"),
                 "--no-progress"]) == 0  # fmt: skip
    out, err = capsys.readouterr()
    session = out.strip().splitlines()[-1]
    assert "imported 3 models" in err
    with EventStore(tmp_path / "d" / "remap.db") as store:
        state = load_state(store, session)
    assert state.name == "an outside search"
    assert [m.origin.name for m in state.models.values()] == ["t0", "t1", "t2"]
    assert [m.started_s for m in state.models.values()] == [0.0, 1.0, 2.0]


def test_the_cli_refuses_a_bad_line_and_writes_nothing(tmp_path: Path, capsys) -> None:
    data = tmp_path / "d"
    lines = search_file(3, None).splitlines()
    lines[2] = lines[2].replace('"val_acc": 0.4', '"val_acc": 4')
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines))
    assert main(["import-search", str(path), "--data-dir", str(data)]) == 1
    err = capsys.readouterr().err
    assert "line 3: " in err
    assert "$.epochs[0].val_acc" in err
    assert "nothing was imported" in err
    assert not (data / "remap.db").exists() or EventStore(data / "remap.db").sessions() == []


def test_the_cli_prints_the_schema(capsys) -> None:
    assert main(["import-search", "--schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "SearchModel" in schema["$defs"]


def test_the_cli_reads_an_optuna_study(tmp_path: Path, capsys) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = optuna.create_study(study_name="s", storage=url, direction="maximize")
    study.optimize(lambda t: t.set_user_attr("architecture", json.dumps(ARCH)) or 0.5, n_trials=2)
    assert main(["import-search", "--optuna", url, "--study", "s", "--data-dir",
                 str(tmp_path / "d"), "--no-progress"]) == 0  # fmt: skip
    assert "imported 2 models" in capsys.readouterr().err
    assert main(["import-search", "--optuna", url, "--data-dir", str(tmp_path / "d")]) == 2


def test_the_http_import_appends_and_refuses_with_the_line(client, service) -> None:
    service.create_session("imports", DataSpec(limit=200), session=SESSION, command_id="c")
    test = service.state(SESSION).split.test
    url = f"/api/sessions/{SESSION}/searches"
    before = service.store.last_seq(SESSION)
    bad = search_file(2, test).replace('"epoch": 1', '"epoch": 0', 1)
    answer = client.post(url, content=bad, headers={"content-type": "application/x-ndjson"})
    assert answer.status_code == 400
    body = answer.json()
    assert body["line"] == 2
    assert body["path"] == "$.epochs[0].epoch"
    assert service.store.last_seq(SESSION) == before
    answer = client.post(url, content=search_file(2, test).encode(),
                         headers={"content-type": "application/jsonl"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    done = answer.json()
    assert done["embedded"] == 2
    assert done["first_seq"] == before + 1
    state = service.state(SESSION)
    assert all(state.models[m].status == "done" for m in done["models"])
    assert set(done["models"]) <= set(state.embeddings["predictions"])
    wrong = client.post(url, content=search_file(1, test), headers={"content-type": "text/plain"})
    assert wrong.status_code == 415


def test_the_openapi_document_publishes_the_line_schema(client) -> None:
    doc = client.get("/api/openapi.json").json()
    body = doc["paths"]["/api/sessions/{session}/searches"]["post"]["requestBody"]
    line = body["content"]["application/x-ndjson"]["schema"]["x-remap-line"]
    assert {"$ref": "#/components/schemas/SearchModel"} in line["anyOf"]
    assert "SearchEpoch" in doc["components"]["schemas"]
