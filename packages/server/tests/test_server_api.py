"""Every route of the HTTP API through Starlette's TestClient, on a real service."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import msgspec
import pytest
from starlette.testclient import TestClient

from nas_core.events import EventStore, command_schema
from nas_core.service import SessionService
from remap_server import Limits, create_app

TRAINED = "trained"  # the session the conftest trains
LOCAL = "http://127.0.0.1"  # a Host the app takes (see conftest.LOCAL)
JSON = {"content-type": "application/json"}
NDJSON = {"content-type": "application/x-ndjson"}


def rows(service: SessionService, session: str) -> list:
    return service.store.read_rows(session)


def parse_sse(text: str) -> list[dict]:
    """The events of an SSE body: id, event, data (parsed), in order."""
    out = []
    for block in text.split("\n\n"):
        fields: dict = {}
        for line in block.splitlines():
            if line.startswith(":") or ":" not in line:
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        if "data" in fields:
            out.append({"id": int(fields["id"]), "event": fields["event"],
                        "data": json.loads(fields["data"])})  # fmt: skip
    return out


# --- OpenAPI --------------------------------------------------------------------------


def test_openapi_is_generated_from_the_structs(client: TestClient) -> None:
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    schemas = doc["components"]["schemas"]
    # the command union and every command struct come from msgspec, not from a hand copy
    for name in ("CreateSession", "Sample", "Ablate", "Vary", "Handcraft", "ChangeView",
                 "Envelope", "SessionState", "ErrorBody", "CommandAccepted"):  # fmt: skip
        assert name in schemas, name
    # the same struct, its references moved from msgspec's $defs to the document's components
    sample = msgspec.json.encode(command_schema()["$defs"]["Sample"]).decode()
    sample = sample.replace('"#/$defs/', '"#/components/schemas/')
    assert schemas["Sample"] == msgspec.json.decode(sample)
    body = doc["paths"]["/api/sessions/{session}/commands"]["post"]["requestBody"]
    union = body["content"]["application/json"]["schema"]
    assert union["discriminator"]["propertyName"] == "type"
    assert set(doc["paths"]) == {
        "/api/sessions", "/api/sessions/{session}/commands", "/api/sessions/{session}/events",
        "/api/sessions/{session}/state", "/api/sessions/{session}/export",
        "/api/sessions/{session}/models/{model}/snac.svg", "/api/import", "/api/snacs/render",
        "/api/sessions/{session}/data/classes", "/api/sessions/{session}/data/{split}/{index}.png",
        "/api/sessions/{session}/models", "/api/sessions/{session}/models/{model}/export",
        "/api/sessions/{session}/searches",
        "/api/weights/{digest}", "/api/oneshot/templates",
        "/api/sessions/{session}/models/{model}/diff/{other}.svg",
        "/api/snacs/diff",
        "/api/sessions/{session}/figures/{view}.{format}",  # issue 22: take it out
        "/api/sessions/{session}/models.csv", "/api/sessions/{session}/models.parquet",
        "/api/sessions/{session}/notes", "/api/sessions/{session}/compare",  # issue 22
        "/api/sessions/{session}/state/overview",  # issue 20: a big session's first paint
        "/api/sessions/{session}/models/{model}/state",
    }  # fmt: skip


# --- sessions -------------------------------------------------------------------------


def test_list_sessions(client: TestClient) -> None:
    r = client.get("/api/sessions")
    assert r.status_code == 200
    found = {s["id"]: s for s in r.json()}
    assert found[TRAINED]["name"] == "trained"
    assert found[TRAINED]["last_seq"] > 10


def test_create_session_and_retry(client: TestClient, service: SessionService) -> None:
    body = {"name": "made", "data": {"limit": 200}, "settings": {"train": {"epochs": 1}},
            "session": "made-1", "id": "create-made"}  # fmt: skip
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 201, r.text
    assert r.json() == {"session": "made-1", "last_seq": 1}
    again = client.post("/api/sessions", json=body)  # a retry: harmless, same answer
    assert again.status_code == 201
    assert again.json() == {"session": "made-1", "last_seq": 1}
    other = client.post("/api/sessions", json={**body, "id": None})
    assert other.status_code == 409
    assert other.json()["error"].startswith("the session 'made' has already been created")
    assert service.store.last_seq("made-1") == 1


def test_create_session_with_a_random_id(client: TestClient) -> None:
    r = client.post("/api/sessions", json={"name": "anon", "data": {"limit": 200}})
    assert r.status_code == 201
    assert len(r.json()["session"]) == 12


@pytest.mark.parametrize(
    ("body", "status", "path"),
    [
        (b"{", 400, "$"),
        (b"[]", 400, "$"),
        (b'{"name": ""}', 400, "$.name"),
        (b'{"name": "x", "bogus": 1}', 400, "$.bogus"),
        (b'{"name": "x", "data": {"val_fraction": 0.7}}', 400, "$.data.val_fraction"),
        (b'{"name": "x", "session": "a/b"}', 400, "$.session"),
        (b'{"name": "x", "data": {"kind": "npz", "path": "/etc/passwd"}}', 422, "$.data.path"),
        (b'{"name": "x", "data": {"kind": "npz", "path": "../../x.npz"}}', 422, "$.data.path"),
        (b'{"name": "x", "data": {"kind": "npz", "path": "missing.npz"}}', 422, "$.data"),
        (b'{"name": "x", "settings": {"search_space": "nope"}}', 422, "$.settings.search_space"),
    ],
)
def test_create_session_rejects(client: TestClient, body: bytes, status: int, path: str) -> None:
    before = client.get("/api/sessions").json()
    r = client.post("/api/sessions", content=body, headers=JSON)
    assert r.status_code == status, r.text
    assert r.json()["path"] == path
    assert r.json()["error"]
    assert client.get("/api/sessions").json() == before


def test_create_and_sample_at_once(client: TestClient, service: SessionService) -> None:
    r = client.post(
        "/api/sessions",
        json={"name": "sampled", "session": "sampled-1", "data": {"limit": 200},
              "settings": {"train": {"epochs": 1}}, "sample": 2, "seed": 3},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    state = service.wait_idle("sampled-1", timeout_s=120)
    assert len(state.models) == 2
    assert all(m.status == "done" for m in state.models.values())


# --- commands -------------------------------------------------------------------------


def post(client: TestClient, command: dict | bytes, session: str = TRAINED, **headers):
    if isinstance(command, dict):
        return client.post(f"/api/sessions/{session}/commands", json=command, headers=headers)
    return client.post(
        f"/api/sessions/{session}/commands", content=command, headers={**JSON, **headers}
    )


def test_command_appends_and_reports_its_seqs(client: TestClient, service: SessionService):
    last = service.store.last_seq(TRAINED)
    r = post(client, {"type": "change_view", "projection": "structure", "selected_class": 3})
    assert r.status_code == 202, r.text
    assert r.json() == {"first_seq": last + 1, "last_seq": last + 1, "skipped": [],
                        "replayed": False}  # fmt: skip
    assert service.state(TRAINED).view.selected_class == 3


def test_idempotency_key_makes_a_retry_harmless(client: TestClient, service: SessionService):
    command = {"type": "drawer_add", "models": ["m1", "m2"]}
    first = post(client, command, **{"Idempotency-Key": "drawer-1"})
    assert first.status_code == 202, first.text
    last = service.store.last_seq(TRAINED)
    again = post(client, command, **{"Idempotency-Key": "drawer-1"})
    assert again.status_code == 202
    assert again.json()["replayed"] is True
    assert again.json()["first_seq"] == first.json()["first_seq"]
    assert service.store.last_seq(TRAINED) == last
    # the command's own id works the same way
    own = post(client, {"type": "drawer_remove", "models": ["m1"], "id": "drawer-2"})
    assert own.status_code == 202
    own_again = post(client, {"type": "drawer_remove", "models": ["m1"], "id": "drawer-2"})
    assert own_again.json() == {**own.json(), "replayed": True}
    # without an id, the retry is decided again (and here no longer applies)
    plain = post(client, {"type": "drawer_remove", "models": ["m1"]})
    assert plain.status_code == 422
    assert plain.json()["path"] == "$.models[0]"


def test_an_ablation_spawns_models_that_train(client: TestClient, service: SessionService):
    r = post(client, {"type": "ablate", "model": "m1", "indices": [0], "id": "ablate-1"})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["last_seq"] >= body["first_seq"]
    state = service.wait_idle(TRAINED, timeout_s=120)
    child = [m for m in state.models.values() if m.parent == "m1"]
    assert child
    assert child[0].status == "done"


@pytest.mark.parametrize(
    ("command", "status", "path"),
    [
        (b"not json", 400, "$"),
        (b'{"type": "nope"}', 400, "$.type"),
        (b'{"type": "sample"}', 400, "$.count"),
        (b'{"type": "sample", "count": 0}', 400, "$.count"),
        (b'{"type": "vary", "model": "m1", "count": 2, "allowed": {"x": []}}', 400, "$.allowed"),
        (b'{"type": "ablate", "model": "m99", "indices": [0]}', 422, "$.model"),
        (b'{"type": "ablate", "model": "m1", "indices": [0, 0]}', 422, "$.indices[1]"),
        (b'{"type": "handcraft", "model": "m1", "edits": [{"op": "remove", "index": 99}]}',
         422, "$.edits[0].index"),
        (b'{"type": "cancel", "model": "m1"}', 422, "$.model"),
        (b'{"type": "change_view", "projection": "accuracy", "selected_class": 10}',
         422, "$.selected_class"),
        (b'{"type": "reorder", "order": ["m404"]}', 422, "$.order[0]"),
        (b'{"type": "create_session", "name": "again"}', 409, "$"),
    ],
)  # fmt: skip
def test_bad_commands_are_4xx_and_write_nothing(
    client: TestClient, service: SessionService, command: bytes, status: int, path: str
) -> None:
    before = rows(service, TRAINED)
    r = post(client, command)
    assert r.status_code == status, r.text
    assert r.json()["path"] == path
    assert rows(service, TRAINED) == before


def test_command_to_an_unknown_session_is_404(client: TestClient) -> None:
    r = post(client, {"type": "sample", "count": 1}, session="nobody")
    assert r.status_code == 404
    assert post(client, {"type": "sample", "count": 1}, session="bad id!").status_code == 404
    assert "nobody" not in {s["id"] for s in client.get("/api/sessions").json()}


def test_idempotency_key_rules(client: TestClient) -> None:
    r = post(client, {"type": "sample", "count": 1}, **{"Idempotency-Key": "has space"})
    assert r.status_code == 400
    r = post(client, {"type": "sample", "count": 1, "id": "a"}, **{"Idempotency-Key": "b"})
    assert r.status_code == 400
    assert r.json()["path"] == "$.id"


def test_body_limits(service: SessionService) -> None:
    app = create_app(service, limits=Limits(command_bytes=64, render_bytes=64, import_bytes=64))
    with TestClient(app, base_url=LOCAL) as c:
        big = b'{"type": "drawer_add", "models": [' + b'"m1",' * 40 + b'"m1"]}'
        url = f"/api/sessions/{TRAINED}/commands"
        assert c.post(url, content=big, headers=JSON).status_code == 413

        def chunks():  # no Content-Length: the cap applies while the body streams in
            yield b"x" * 50
            yield b"x" * 50

        r = c.post("/api/import", content=chunks(), headers=NDJSON)
        assert r.status_code == 413
        assert "64" in r.json()["error"]
        assert c.post("/api/snacs/render", content=b" " * 65, headers=JSON).status_code == 413


# --- state, events, export and import --------------------------------------------------


def test_state(client: TestClient, service: SessionService) -> None:
    r = client.get(f"/api/sessions/{TRAINED}/state")
    assert r.status_code == 200
    state = r.json()
    assert state["session"] == TRAINED
    assert {"m1", "m2", "m3"} <= set(state["models"])
    assert state["models"]["m1"]["result"]["test_acc"] >= 0
    at1 = client.get(f"/api/sessions/{TRAINED}/state?at=1").json()
    assert at1["last_seq"] == 1
    assert at1["models"] == {}
    assert client.get(f"/api/sessions/{TRAINED}/state?at=x").status_code == 400
    assert client.get("/api/sessions/nobody/state").status_code == 404


def test_events_stream_in_order_and_resume(client: TestClient, service: SessionService):
    last = service.store.last_seq(TRAINED)
    r = client.get(f"/api/sessions/{TRAINED}/events?until={last}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    assert [e["id"] for e in events] == list(range(1, last + 1))
    assert events[0]["event"] == "session_created"
    assert events[0]["data"]["event"]["kind"] == "session_created"
    assert all(e["data"]["seq"] == e["id"] for e in events)
    # resume: ?after and Last-Event-ID (which wins) start right after the seq
    tail = parse_sse(client.get(f"/api/sessions/{TRAINED}/events?after=5&until={last}").text)
    assert [e["id"] for e in tail] == list(range(6, last + 1))
    header = client.get(
        f"/api/sessions/{TRAINED}/events?after=1&until={last}", headers={"Last-Event-ID": "7"}
    )
    assert [e["id"] for e in parse_sse(header.text)] == list(range(8, last + 1))
    bad = client.get(f"/api/sessions/{TRAINED}/events", headers={"Last-Event-ID": "-1"})
    assert bad.status_code == 400
    bad = client.get(f"/api/sessions/{TRAINED}/events?after=%C2%B2")  # "²" is a digit
    assert bad.status_code == 400
    assert bad.json()["error"] == (
        "after must be a seq from 0 to 4,294,967,295 (a session holds no more events), not '²'"
    )
    assert client.get("/api/sessions/nobody/events").status_code == 404


def test_export_and_import_round_trip(client: TestClient, service, tmp_path) -> None:
    r = client.get(f"/api/sessions/{TRAINED}/export")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert f'filename="{TRAINED}.remap.jsonl"' in r.headers["content-disposition"]
    lines = r.content.splitlines()
    assert json.loads(lines[0])["format"] == "remap-session"
    assert len(lines) == 1 + json.loads(lines[0])["last_seq"]
    assert client.get("/api/sessions/nobody/export").status_code == 404
    # into another store through its own app
    with EventStore(tmp_path / "other.db") as store, SessionService(
        store, data_root=tmp_path, processes=1
    ) as other, TestClient(create_app(other), base_url=LOCAL) as c2:  # fmt: skip
        done = c2.post("/api/import", content=r.content, headers=NDJSON)
        assert done.status_code == 200, done.text
        assert done.json()["session"] == TRAINED
        assert done.json()["added"] == len(lines) - 1
        assert c2.post("/api/import", content=r.content, headers=NDJSON).json()["added"] == 0
        assert store.read_rows(TRAINED) == service.store.read_rows(TRAINED)[: len(lines) - 1]
        broken = b"\n".join([*lines[:3], lines[3][:-5], *lines[4:]]) + b"\n"
        bad = c2.post("/api/import", content=broken, headers=NDJSON)
        assert bad.status_code == 400
        assert bad.json()["line"] == 4
        assert c2.post("/api/import", content=b"", headers=NDJSON).status_code == 400


def test_import_refuses_a_data_path_outside_the_data_folder(client: TestClient) -> None:
    exported = client.get(f"/api/sessions/{TRAINED}/export").content
    header, first, *_ = exported.splitlines()
    line = json.loads(first)
    line["event"]["data"]["kind"] = "npz"
    line["event"]["data"]["path"] = "/etc/passwd"
    head = json.loads(header)
    head.update(session="evil", last_seq=1)
    line["session"] = "evil"
    body = json.dumps(head).encode() + b"\n" + json.dumps(line).encode() + b"\n"
    r = client.post("/api/import", content=body, headers=NDJSON)
    assert r.status_code == 422, r.text
    assert r.json()["path"] == "$.data.path"
    assert "evil" not in {s["id"] for s in client.get("/api/sessions").json()}


# --- SNACs and static pages -------------------------------------------------------------

SPEC = {"name": "m", "input": {"shape": [1, 8, 8], "classes": 10},
        "layers": [{"type": "conv", "filters": 8}, {"type": "relu"}, {"type": "flatten"},
                   {"type": "dropout", "rate": 0.5}, {"type": "dense", "units": 10}]}  # fmt: skip


def test_render(client: TestClient) -> None:
    r = client.post("/api/snacs/render?layout=variable&height=30", json=SPEC)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg")
    assert client.post("/api/snacs/render?height=abc", json=SPEC).status_code == 400
    r = client.post("/api/snacs/render?layout=round", json=SPEC)
    assert r.status_code == 400
    assert "layout" in r.json()["error"]
    r = client.post("/api/snacs/render?height=2", json=SPEC)
    assert (r.status_code, r.json()["path"]) == (400, "?height")
    assert r.json()["error"] == "?height must be from 4 to 4096 pixels, not 2"
    for body in (b"null", b"[1, 2]", b'{"name": '):
        r = client.post("/api/snacs/render", content=body, headers=JSON)
        assert r.status_code == 400
        assert r.json()["path"].startswith("$")


def test_render_errors_are_the_clis(client: TestClient, tmp_path) -> None:
    bad = json.loads(json.dumps(SPEC))
    bad["layers"][3]["rate"] = 2
    r = client.post("/api/snacs/render", json=bad)
    assert r.status_code == 400
    assert r.json()["path"] == "$.layers[3].rate"
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(bad))
    cli = subprocess.run(
        [sys.executable, "-m", "snacs.cli", "render", str(file)], capture_output=True, text=True
    )
    assert cli.returncode == 1
    assert cli.stderr.strip() == f"snacs: error: {file}: {r.json()['error']}"


def test_model_snac(client: TestClient) -> None:
    r = client.get(f"/api/sessions/{TRAINED}/models/m1/snac.svg?height=20")
    assert r.status_code == 200
    assert r.text.startswith("<svg")
    assert client.get(f"/api/sessions/{TRAINED}/models/m404/snac.svg").status_code == 404
    assert client.get("/api/sessions/nobody/models/m1/snac.svg").status_code == 404


def test_static_pages(client: TestClient) -> None:
    index = client.get("/")
    assert index.status_code == 200
    assert "remap-app" in index.text
    assert "ui/remap.js" in index.text
    snac = client.get("/snacs/")
    assert snac.status_code == 200
    assert "api/snacs/render" in snac.text
    assert client.get("/snacs", follow_redirects=False).status_code in (301, 307)


def test_the_favicon_is_served_and_linked(client: TestClient, tmp_path) -> None:
    """No 404 on every page load (issue 14): an SVG the pages link, and /favicon.ico,
    which browsers ask for by themselves; both whatever `static_dir` is."""
    svg = client.get("/favicon.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert ET.fromstring(svg.text).tag == "{http://www.w3.org/2000/svg}svg"
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200
    assert ico.headers["content-type"] == "image/x-icon"
    assert ico.content[:4] == b"\x00\x00\x01\x00"  # an ICO with one image…
    assert ico.content[22:30] == b"\x89PNG\r\n\x1a\n"  # …a PNG at the offset it names
    assert '<link rel="icon" href="favicon.svg"' in client.get("/").text
    assert '<link rel="icon" href="../favicon.svg"' in client.get("/snacs/").text
    (tmp_path / "index.html").write_text("<!doctype html><title>own UI</title>")
    app = create_app(client.app.state.hub.service, static_dir=tmp_path)
    with TestClient(app, base_url=LOCAL) as own:
        assert own.get("/favicon.ico").content == ico.content


def test_unknown_api_route_is_a_json_404(client: TestClient) -> None:
    r = client.get("/api/nothing-here")
    assert r.status_code == 404
    assert msgspec.json.decode(r.content)["error"]
    assert client.put("/api/sessions", json={}).status_code == 405
