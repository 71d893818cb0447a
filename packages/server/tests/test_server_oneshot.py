"""The one-shot search over HTTP and on the command line (issue 18): the template list,
one-shot commands through the usual commands route (4xx with the path of a bad edit),
``remap oneshot`` headless and ``remap oneshot rank-check``."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from nas_core.service import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig
from remap_server.cli import main

DATA = DataSpec(limit=200)
SETTINGS = Settings(train=TrainConfig(epochs=1))


def test_the_bundled_templates_are_listed(client: TestClient) -> None:
    r = client.get("/api/oneshot/templates")
    assert r.status_code == 200
    listed = {t["name"]: t for t in r.json()["templates"]}
    lenet = listed["lenet-digits-v1"]
    assert (lenet["blocks"], lenet["single"], lenet["multi"]) == (12, 18, 147)
    assert lenet["arch"]["layers"][0]["blocks"][0]["id"] == "b1"


def test_one_shot_commands_go_through_the_commands_route(
    client: TestClient, service: SessionService
) -> None:
    session = service.create_session("oneshot api", DATA, SETTINGS, session="oneshot-api")
    url = f"/api/sessions/{session}/commands"
    r = client.post(url, json={"type": "define_supernet", "template": "lenet-digits-v1"})
    assert r.status_code == 202, r.text
    before = service.store.last_seq(session)
    bad = {"op": "set_params", "block": "b2", "index": 0, "params": {"filters": 12.5}}
    r = client.post(url, json={"type": "edit_supernet", "edits": [bad]})
    assert r.status_code == 422, r.text
    assert r.json()["path"] == "$.edits[0].params.filters"
    assert "nearest valid value: 12" in r.json()["error"]
    assert service.store.last_seq(session) == before
    r = client.post(
        url, json={"type": "edit_supernet", "edits": [{"op": "remove_block", "block": "b3"}]}
    )
    assert r.status_code == 202, r.text
    assert service.state(session).oneshot.supernets["s2"].parent == "s1"


def test_remap_oneshot_runs_a_search_and_a_rank_check(tmp_path: Path, capsys) -> None:
    common = ["--data-dir", str(tmp_path), "--processes", "1", "--limit", "300"]
    argv = ["oneshot", "--template", "lenet-digits-v1", "--iterations", "2",
            "--supernet-epochs", "2", "--epochs", "1", *common]  # fmt: skip
    assert main(argv) == 0
    captured = capsys.readouterr()
    session = captured.out.strip().splitlines()[-1]
    assert "iteration 1: loss max" in captured.err
    assert "candidate m1" in captured.err
    argv = ["oneshot", "rank-check", session, "--count", "3", "--seeds", "2", "--epochs", "1",
            *common]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "kendall tau-b" in out
    assert "noise ceiling" in out
    assert "95% CI" in out
    assert main(["oneshot", "rank-check", "nobody", *common]) == 2
