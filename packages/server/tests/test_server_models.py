"""Trained models through the server (issue 19): ``GET …/models`` (weights present or
missing), ``GET …/models/{m}/export?format=FMT`` for every format, the workers' weights
door, and the CLI: ``remap models``, ``remap model export``, ``remap export
--with-weights`` and ``remap import`` of that archive. One real session, trained once."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from starlette.testclient import TestClient

from nas_core.events import EventStore
from nas_core.service import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig
from remap_server.app import create_app
from remap_server.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    store = EventStore(root / "remap.db")
    with SessionService(store, data_root=root, processes=2) as service:
        session = service.create_session(
            "models", DataSpec(limit=240), Settings(train=TrainConfig(epochs=2, batch_size=64))
        )
        service.start(session, models=2, seed=4)
        state = service.wait_idle(session, timeout_s=180)
    store.close()
    return root, session, state


@pytest.fixture
def client(trained):
    root, _session, _state = trained
    store = EventStore(root / "remap.db")
    service = SessionService(store, data_root=root, processes=1)
    try:
        with TestClient(create_app(service, worker_token="tok"), base_url="http://127.0.0.1") as c:
            yield c
    finally:
        service.close()
        store.close()


def test_models_list_and_every_export_format(trained, client) -> None:
    _root, session, _state = trained
    rows = client.get(f"/api/sessions/{session}/models").json()
    assert [(r["id"], r["status"], r["weights"]) for r in rows] == [
        ("m1", "done", "present"), ("m2", "done", "present"),
    ]  # fmt: skip
    assert rows[0]["origin"].startswith("sampled (seed 4")
    for fmt, kind in [("onnx", "octet"), ("torchscript", "octet"), ("state_dict", "zip"),
                      ("python", "zip")]:  # fmt: skip
        r = client.get(f"/api/sessions/{session}/models/m1/export", params={"format": fmt})
        assert r.status_code == 200, r.text
        assert kind in r.headers["content-type"]
        if kind == "zip":
            names = sorted(zipfile.ZipFile(io.BytesIO(r.content)).namelist())
            assert names == (["m1.json", "m1.pt"] if fmt == "state_dict" else ["m1.pt", "m1.py"])
    bad = client.get(f"/api/sessions/{session}/models/m1/export", params={"format": "keras"})
    assert bad.status_code == 400
    assert bad.json()["path"] == "?format"
    assert client.get(f"/api/sessions/{session}/models/m9/export").status_code == 404


def test_the_weights_door_needs_the_worker_token(trained, client) -> None:
    data = b"weights of a worker"
    digest = hashlib.sha256(data).hexdigest()
    kind = {"content-type": "application/octet-stream"}
    assert client.put(f"/api/weights/{digest}", content=data, headers=kind).status_code == 401
    auth = {**kind, "authorization": "Bearer tok"}
    assert client.put(f"/api/weights/{digest}", content=data, headers=auth).status_code == 201
    assert client.put(f"/api/weights/{digest}", content=data, headers=auth).status_code == 200
    assert client.put("/api/weights/xyz", content=data, headers=auth).status_code == 400
    json_body = {"content-type": "application/json", "authorization": "Bearer tok"}
    assert client.put(f"/api/weights/{digest}", content=data, headers=json_body).status_code == 415


def test_cli_models_export_and_archive_round_trip(trained, tmp_path, capsys) -> None:
    root, session, _state = trained
    assert main(["models", session, "--json", "--data-dir", str(root)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["weights"] for r in rows] == ["present", "present"]
    out = tmp_path / "m2.onnx"
    assert main(["model", "export", session, "m2", "--format", "onnx", "-o", str(out),
                 "--data-dir", str(root)]) == 0  # fmt: skip
    assert out.is_file()
    assert main(["model", "export", session, "m7", "--format", "onnx", "-o", str(out),
                 "--data-dir", str(root)]) == 1  # fmt: skip
    assert "no model 'm7'" in capsys.readouterr().err

    archive = tmp_path / "s.zip"
    assert main(["export", session, "-o", str(archive), "--with-weights",
                 "--data-dir", str(root)]) == 0  # fmt: skip
    assert "bundled 2 weights file(s)" in capsys.readouterr().err
    elsewhere = tmp_path / "other"
    assert main(["import", str(archive), "--data-dir", str(elsewhere)]) == 0
    assert "stored 2 weights file(s)" in capsys.readouterr().err
    assert main(["models", session, "--data-dir", str(elsewhere)]) == 0
    listing = capsys.readouterr().out
    assert listing.count("present") == 2


def test_a_missing_file_is_listed_missing(trained, tmp_path, capsys) -> None:
    root, session, state = trained
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    digest = state.models["m1"].result.weights.digest
    (copy / "weights" / digest[:2] / f"{digest}.pt").unlink()
    assert main(["models", session, "--json", "--data-dir", str(copy)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["weights"] for r in rows] == ["missing", "present"]
    assert main(["model", "export", session, "m1", "--format", "python", "-o",
                 str(tmp_path / "m1.py"), "--data-dir", str(copy)]) == 1  # fmt: skip
    assert "weights missing" in capsys.readouterr().err
