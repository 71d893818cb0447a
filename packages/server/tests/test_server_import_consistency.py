"""Session files whose lines are well formed but whose events do not fit together
(issue 15), through HTTP: ``POST /api/import`` refuses them with the line that breaks
them, or takes them and then serves them (state, SNACs); a session that cannot be
restored, however it got into the store, is set aside (listed so, answered 409 in
REMAP's words) while the other sessions are served."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from nas_core.events import EventStore, StoredRow
from nas_core.service import SessionService
from remap_server import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "nas_core" / "tests"))
from .conftest import LOCAL, TRAINED
from nas_core_event_sim import InstantRunner, edits, file_of, lines_of, tampered

NDJSON = {"content-type": "application/x-ndjson"}


@pytest.fixture(scope="module")
def export(client: TestClient) -> bytes:
    """A real session (trained and embedded by the real service), exported."""
    r = client.get(f"/api/sessions/{TRAINED}/export")
    assert r.status_code == 200
    return r.content


def rows_of(data: bytes) -> list[StoredRow]:
    return [
        StoredRow(x["seq"], x["id"], x["at"], x["event"]["kind"], x["version"],
                  msgspec.json.encode(x["event"]))
        for x in lines_of(data)[1:]
    ]  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory, export) -> Iterator[tuple[TestClient, EventStore]]:
    """A server (its trainer instant) whose store holds the real session as "base" and
    a copy of it with m2's "training started" gone as "broken", put there without an
    import (an old import, a hand edit): the server resumes every session at start."""
    folder = tmp_path_factory.mktemp("served")
    store = EventStore(folder / "remap.db")
    store.append_rows("base", rows_of(file_of(lines_of(export), "base")))
    broken = [x for x in lines_of(export) if x.get("id") != "m2:1:started"]
    store.append_rows("broken", rows_of(file_of(broken, "broken")))
    service = SessionService(store, data_root=folder, runner=InstantRunner(), processes=1)
    service.resume_all()
    with TestClient(create_app(service), base_url=LOCAL) as client:
        yield client, store
    service.close()
    store.close()


def test_a_session_that_cannot_be_restored_is_set_aside_and_the_others_served(served):
    client, _ = served
    listed = {s["id"]: s for s in client.get("/api/sessions").json()}
    assert listed["base"]["set_aside"] is None
    why = listed["broken"]["set_aside"]
    assert "model m2 is embedded but has not finished training" in why
    for method, url, body in [
        ("POST", "/api/sessions/broken/commands", {"type": "drawer_add", "models": ["m1"]}),
        ("GET", "/api/sessions/broken/models/m1/snac.svg", None),
        ("GET", "/api/sessions/broken/data/classes", None),
    ]:
        r = client.request(method, url, json=body)
        assert r.status_code == 409, (url, r.status_code, r.text)
        said = r.json()["error"]
        assert said == f"session 'broken' is set aside: its log cannot be restored: {why}"
    # its log can still be read and exported (to be mended), and the others are served
    assert client.get("/api/sessions/broken/state").status_code == 200
    assert client.get("/api/sessions/broken/export").status_code == 200
    r = client.post("/api/sessions/base/commands", json={"type": "drawer_add", "models": ["m1"]})
    assert r.status_code == 202, r.text
    assert client.get("/api/sessions/base/models/m1/snac.svg").status_code == 200


def test_a_tampered_file_is_refused_with_its_line_and_nothing_is_written(served, export):
    client, store = served
    body = file_of([x for x in lines_of(export) if x.get("id") != "m2:1:started"], "tampered")
    r = client.post("/api/import", content=body, headers=NDJSON)
    assert r.status_code == 400, r.text
    line = next(
        n for n, x in enumerate(lines_of(body), 1) if x.get("id") == "m2:embedded:structure"
    )
    assert r.json()["line"] == line
    assert "model m2 is embedded but has not finished training" in r.json()["error"]
    assert store.session("tampered") is None


numbers = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=edits)
def test_a_tampered_file_is_refused_at_a_line_or_served(served, export, steps) -> None:
    client, store = served
    session = f"fuzz{next(numbers)}"
    body = tampered(export, steps, session)
    r = client.post("/api/import", content=body, headers=NDJSON)
    if r.status_code == 400:
        line = r.json()["line"]
        assert line is not None, r.json()
        assert 1 <= line <= len(lines_of(body)), r.json()
        assert store.session(session) is None, "a refused file wrote something"
    else:
        assert r.status_code == 200, r.text
        state = client.get(f"/api/sessions/{session}/state")
        assert state.status_code == 200
        for model in state.json()["models"]:
            svg = client.get(f"/api/sessions/{session}/models/{model}/snac.svg")
            assert svg.status_code == 200, (model, svg.text)
            assert svg.text.lstrip().startswith("<svg"), model
    listed = {s["id"]: s["set_aside"] for s in client.get("/api/sessions").json()}
    assert listed.get(session) is None  # taken means served, never set aside
    assert client.get("/api/sessions/base/models/m1/snac.svg").status_code == 200
