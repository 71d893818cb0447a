"""The overview form of a session's state (issue 20, `remap_server.state_pack`): its
columns say what `GET …/state` says of every model, and one model's whole record comes
with the seq it is at."""

from __future__ import annotations

import base64
import math

import numpy as np

from nas_core.events import STATUSES

TRAINED = "trained"  # the conftest's read-only session


def _col(packed: dict, name: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(packed[name]), dtype)


def test_the_packed_columns_match_the_whole_state(client) -> None:
    whole = client.get(f"/api/sessions/{TRAINED}/state").json()
    lean = client.get(f"/api/sessions/{TRAINED}/state/overview").json()
    assert lean["last_seq"] == whole["last_seq"]
    assert lean["drawer"] == whole["drawer"]
    assert lean["view"] == whole["view"]
    packed = lean["models"]
    models = list(whole["models"].values())
    assert packed["ids"] == list(whole["models"])
    assert packed["count"] == len(models) >= 3
    status = _col(packed, "status", "u1")
    assert [packed["statuses"][s] for s in status] == [m["status"] for m in models]
    assert packed["statuses"] == list(STATUSES)
    origin = _col(packed, "origin", "u1")
    assert [packed["origin_kinds"][k] for k in origin] == [m["origin"]["type"] for m in models]
    assert list(_col(packed, "params", "<f8")) == [m["params"] for m in models]
    assert list(_col(packed, "epochs", "<u2")) == [len(m["curve"]) for m in models]
    last = _col(packed, "val_last", "<f4")
    best = _col(packed, "val_best", "<f4")
    test = _col(packed, "test_acc", "<f4")
    classes = packed["classes"]
    per_class = _col(packed, "per_class", "<u2").reshape(len(models), classes)
    for i, m in enumerate(models):
        assert math.isclose(last[i], m["curve"][-1]["val_acc"], rel_tol=1e-6)
        assert math.isclose(best[i], max(e["val_acc"] for e in m["curve"]), rel_tol=1e-6)
        assert math.isclose(test[i], m["result"]["test_acc"], rel_tol=1e-6)
        assert np.allclose(per_class[i] / 65534, m["result"]["per_class_acc"], atol=1e-4)
    for projection, placed in whole["embeddings"].items():
        xy = _col(packed["positions"], projection, "<f4").reshape(-1, 2)
        for i, model in enumerate(packed["ids"]):
            assert np.allclose(xy[i], placed[model], rtol=1e-6, atol=1e-6)
    # the lean form is a fraction of the whole one
    assert len(client.get(f"/api/sessions/{TRAINED}/state/overview").content) < len(
        client.get(f"/api/sessions/{TRAINED}/state").content
    )


def test_one_models_whole_record_with_its_seq(client) -> None:
    whole = client.get(f"/api/sessions/{TRAINED}/state").json()
    model = next(iter(whole["models"]))
    record = client.get(f"/api/sessions/{TRAINED}/models/{model}/state").json()
    assert record == {"last_seq": whole["last_seq"], "model": whole["models"][model]}
    missing = client.get(f"/api/sessions/{TRAINED}/models/nope/state")
    assert missing.status_code == 404
    assert missing.json()["error"] == f"no model 'nope' in session {TRAINED}"
