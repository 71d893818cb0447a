"""Weights in the scale-out mode (issue 19): a ``remap worker`` on "another host" (its
own folder, never the server's) sends each trained model's weights to ``remap serve``
over HTTP with the worker token; the server checks the digest and stores the file once
(it stays the one writer of its data folder). Continuing a model's training on a worker
fetches the parent's weights from the server. Real Redis, real processes, one small
model."""

from __future__ import annotations

import hashlib
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from nas_core.weights import WeightStore

from .conftest import START_TIMEOUT_S, RemapProc, remap_env

TOKEN = "worker-secret-for-the-test"


def _wait(client: httpx.Client, session: str, models: int, procs) -> dict:
    deadline = time.monotonic() + 180
    while True:
        state = client.get(f"/api/sessions/{session}/state").json()
        statuses = [m["status"] for m in state["models"].values()]
        if statuses == ["done"] * models:
            return state
        for p in procs:
            assert p.proc.poll() is None, "".join(p.output)
        assert "failed" not in statuses, state
        assert time.monotonic() < deadline, "".join(p.output for p in procs)
        time.sleep(0.25)


@pytest.mark.slow
def test_a_remote_worker_uploads_its_weights_and_fetches_a_parents(
    redis_url: str, tmp_path: Path
) -> None:
    env = remap_env(REMAP_WATCHDOG_SILENCE_S="3")
    server_dir = tmp_path / "server"
    with ExitStack() as stack:
        server = RemapProc(
            ["serve", "--broker", redis_url, "--port", "0", "--data-dir", str(server_dir),
             "--worker-token", TOKEN], env,
        )  # fmt: skip
        stack.callback(server.stop)
        line = server.wait_for("REMAP is running at http://127.0.0.1:", START_TIMEOUT_S)
        base = line.split(" at ", 1)[1].split()[0].split("?")[0]
        worker = RemapProc(
            ["worker", "--broker", redis_url, "--processes", "1", "--server", base,
             "--worker-token", TOKEN], env,
        )  # fmt: skip
        stack.callback(worker.stop)
        worker.wait_for("worker ", START_TIMEOUT_S)
        with httpx.Client(base_url=base, timeout=30) as client:
            created = client.post(
                "/api/sessions",
                json={"name": "w", "data": {"limit": 200}, "settings": {"train": {"epochs": 2}},
                      "sample": 1, "seed": 5},
            )  # fmt: skip
            assert created.status_code == 201, created.text
            session = created.json()["session"]
            state = _wait(client, session, 1, [server, worker])
            weights = state["models"]["m1"]["result"]["weights"]
            assert weights is not None
            rows = client.get(f"/api/sessions/{session}/models").json()
            assert [(r["id"], r["weights"]) for r in rows] == [("m1", "present")]

            # train longer on the worker: it fetches m1's weights from the server
            answer = client.post(
                f"/api/sessions/{session}/commands",
                json={"type": "continue_training", "model": "m1", "epochs": 1},
            )
            assert answer.status_code == 202, answer.text
            state = _wait(client, session, 2, [server, worker])
            m2 = state["models"]["m2"]
            assert [e["epoch"] for e in m2["curve"]] == [3]
            assert m2["origin"]["type"] == "continued"
            rows = client.get(f"/api/sessions/{session}/models").json()
            assert [r["weights"] for r in rows] == ["present", "present"]

            # the door itself: the token, the digest, once
            data = b"not really weights"
            digest = hashlib.sha256(data).hexdigest()
            put = "/api/weights/" + digest
            kind = {"content-type": "application/octet-stream"}
            assert client.put(put, content=data, headers=kind).status_code == 401
            auth = {**kind, "authorization": f"Bearer {TOKEN}"}
            wrong = client.put("/api/weights/" + "0" * 64, content=data, headers=auth)
            assert wrong.status_code == 422
            assert "hash to" in wrong.json()["error"]
            assert client.put(put, content=data, headers=auth).status_code == 201
            again = client.put(put, content=data, headers=auth)
            assert again.status_code == 200
            assert again.json()["created"] is False
            got = client.get(put, headers={"authorization": f"Bearer {TOKEN}"})
            assert got.status_code == 200
            assert got.content == data
        for proc in (worker, server):
            assert proc.stop() == 0, "".join(proc.output)

    store = WeightStore.in_data_dir(server_dir)
    assert store.has(weights["digest"])
    assert store.path(weights["digest"]).stat().st_size == weights["size"]
    assert store.has(m2["result"]["weights"]["digest"])
