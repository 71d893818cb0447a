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


def _archive_of(trained, tmp_path) -> bytes:
    root, session, _state = trained
    archive = tmp_path / "s.zip"
    assert main(["export", session, "-o", str(archive), "--with-weights",
                 "--data-dir", str(root)]) == 0  # fmt: skip
    return archive.read_bytes()


def _server_on(root, **limits):
    from remap_server.app import Limits

    store = EventStore(root / "remap.db")
    service = SessionService(store, data_root=root, processes=1)
    app = create_app(service, limits=Limits(**limits)) if limits else create_app(service)
    return store, service, TestClient(app, base_url="http://127.0.0.1")


def _rewritten(data: bytes, change) -> bytes:
    """The archive `data` with each member's bytes passed through ``change(name, bytes)``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, change(name, src.read(name)))
    return out.getvalue()


def test_the_archive_imports_over_http_with_its_weights(trained, tmp_path) -> None:
    _root, session, _state = trained
    data = _archive_of(trained, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    store, service, client = _server_on(elsewhere)
    zip_type = {"content-type": "application/zip"}
    try:
        with client:
            # refused whole: not a zip; a weights file whose bytes are not its digest's
            r = client.post("/api/import", content=b"{}\n", headers=zip_type)
            assert r.status_code == 400
            assert "not a .zip archive" in r.json()["error"]
            damaged = _rewritten(data, lambda n, b: b[:-1] + b"x" if n.endswith(".pt") else b)
            r = client.post("/api/import", content=damaged, headers=zip_type)
            assert r.status_code == 422, r.text
            assert "is damaged (its SHA-256 differs)" in r.json()["error"]
            assert client.get("/api/sessions").json() == []  # nothing was written
            assert not list(elsewhere.glob("weights/*/*.pt"))
            # accepted: the session and every weights file
            r = client.post("/api/import", content=data, headers=zip_type)
            assert r.status_code == 200, r.text
            assert r.json()["session"] == session
            rows = client.get(f"/api/sessions/{session}/models").json()
            assert [row["weights"] for row in rows] == ["present", "present"]
    finally:
        service.close()
        store.close()


def test_an_archive_that_unpacks_past_the_import_limit_is_refused(trained, tmp_path) -> None:
    _root, session, _state = trained
    bomb = io.BytesIO()  # 8 MB of zeros packs into a few kB
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{session}.remap.jsonl", b"{}\n")
        z.writestr(f"weights/ab/ab{'0' * 62}.pt", bytes(8 << 20))
    assert len(bomb.getvalue()) < 1 << 20
    small = tmp_path / "small"
    small.mkdir()
    store, service, client = _server_on(small, import_bytes=1 << 20)
    try:
        with client:
            r = client.post(
                "/api/import", content=bomb.getvalue(), headers={"content-type": "application/zip"}
            )
            assert r.status_code == 422, r.text
            said = r.json()["error"]
            assert "unpacks to 8,388,611 bytes, more than the 1,048,576 allowed" in said
    finally:
        service.close()
        store.close()
