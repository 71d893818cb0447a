"""The HTTP API answers bad JSON in REMAP's words with the path, never msgspec's, and
refuses an object with a key twice at every door a user's JSON comes in by (issues 14
and 15): commands, new sessions, SNAC specs, session files. Nothing is written."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

TRAINED = "trained"  # the session the conftest trains
JSON = {"content-type": "application/json"}
NDJSON = {"content-type": "application/x-ndjson"}
STOCK = (
    "Expected `",
    "Object missing",
    "Object contains",
    "JSON is malformed",
    "Invalid enum",
    "Invalid value",
    "Invalid UTF-8",
    "Input data was truncated",
    "maximum recursion",
)
SPEC = b"""{"name": "m", "input": {"shape": [1, 8, 8], "classes": 10},
 "layers": [{"type": "conv", "filters": 8}, {"type": "relu"}, {"type": "flatten"},
            {"type": "dropout", "rate": 0.5, "rate": 2}, {"type": "dense", "units": 10}]}"""


def _command(client: TestClient, body: bytes):
    return client.post(f"/api/sessions/{TRAINED}/commands", content=body, headers=JSON)


@pytest.mark.parametrize(
    ("body", "error", "path"),
    [
        (b'{"type": "sample", "count": 1, "count": 900}', "`count` appears twice", "$"),
        (b'{"type": "sample", "count": "3"}', "must be an integer, not a string", "$.count"),
        (b'{"type": "sample"}', "is required", "$.count"),
        (b'{"type": "fly"}', "'fly' is not an allowed value", "$.type"),
        (b'{"type": "sample", "count": 1', "ends early (truncated JSON)", "$"),
        (b'{"type": "sample", "count": 1,}',
         "is not valid JSON (at byte 30: a comma before the closing brace)", "$"),
        (b'{"type": "sample", "id": "\xff"}',
         "the body is not valid UTF-8: byte 0xff at offset 26", "$"),
    ],
)  # fmt: skip
def test_command_errors_are_remaps(client: TestClient, body: bytes, error: str, path: str):
    before = client.get(f"/api/sessions/{TRAINED}/state").json()["last_seq"]
    r = _command(client, body)
    assert r.status_code == 400, r.text
    assert (r.json()["error"], r.json()["path"]) == (error, path)
    assert client.get(f"/api/sessions/{TRAINED}/state").json()["last_seq"] == before


@pytest.mark.parametrize(
    ("body", "error", "path"),
    [
        (b'{"name": "a", "name": "b"}', "`name` appears twice", "$"),
        (b'{"name": "x", "data": {"limit": 10, "limit": 20}}', "`limit` appears twice", "$.data"),
        (b'{"name": "x", "bogus": 1}', "is not a field of this object", "$.bogus"),
        (b"{", "ends early (truncated JSON)", "$"),
    ],
)
def test_new_session_errors_are_remaps(client: TestClient, body: bytes, error: str, path: str):
    before = client.get("/api/sessions").json()
    r = client.post("/api/sessions", content=body, headers=JSON)
    assert r.status_code == 400, r.text
    assert (r.json()["error"], r.json()["path"]) == (error, path)
    assert client.get("/api/sessions").json() == before


def test_a_spec_with_a_key_twice_is_not_rendered(client: TestClient) -> None:
    r = client.post("/api/snacs/render", content=SPEC, headers=JSON)
    assert r.status_code == 400, r.text
    assert r.json()["path"] == "$.layers[3]"
    assert r.json()["error"] == "`rate` appears twice - at `$.layers[3]`"


def test_spec_errors_are_remaps(client: TestClient) -> None:
    for body in (b"[1, 2]", b'{"name": ', b'{"input": {"shape": [0]}, "layers": []}', b"0 x"):
        r = client.post("/api/snacs/render", content=body, headers=JSON)
        assert r.status_code == 400, r.text
        assert r.json()["path"].startswith("$")
        assert not any(phrase in r.json()["error"] for phrase in STOCK), r.json()


def test_a_session_file_with_a_key_twice_is_not_imported(client: TestClient) -> None:
    exported = client.get(f"/api/sessions/{TRAINED}/export").content
    header, *lines = exported.splitlines()
    head = json.loads(header)
    head.update(session="twice")
    first = json.loads(lines[0])
    first["session"] = "twice"
    line = json.dumps(first).replace('"name": ', '"name": "x", "name": ', 1)
    body = (json.dumps(head) + "\n" + line + "\n").encode()
    r = client.post("/api/import", content=body, headers=NDJSON)
    assert r.status_code == 400, r.text
    assert r.json()["line"] == 2
    assert r.json()["error"] == "`name` appears twice - at `$.event`"
    assert "twice" not in {s["id"] for s in client.get("/api/sessions").json()}
