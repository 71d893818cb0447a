"""Notes and tags over HTTP (issue 22): the commands through ``POST …/commands`` with
REMAP's errors and their paths, ``GET …/notes``, the columns of ``models.csv`` /
``.parquet``, the report, the session file (export, then import elsewhere: the notes
come back), and ``GET …/compare`` (2 to 8 models aligned by layer)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from nas_core.arch.layers import Architecture, Conv, Dense, Dropout, Flatten, Input, ReLU, Tanh
from nas_core.events import EventStore, import_session, load_state
from remap_server.compare_api import align_models
from remap_server.report import report_html, report_markdown

from .conftest import DATA, SETTINGS

SESSION = "notes"


@pytest.fixture(scope="module")
def noted(service, client: TestClient) -> str:
    service.create_session("notes", DATA, SETTINGS, session=SESSION, command_id="create")
    service.start(SESSION, 3, seed=2)
    service.wait_idle(SESSION, timeout_s=120)
    return SESSION


def post(client: TestClient, body: dict):
    return client.post(f"/api/sessions/{SESSION}/commands", json=body)


def test_notes_and_tags_are_commands_that_read_back(client, noted):
    assert (
        post(client, {"type": "change_tags", "model": "m1", "add": ["best", "keep"]}).status_code
        == 202
    )
    assert (
        post(client, {"type": "write_note", "model": "m1", "text": 'wide conv, "good"'}).status_code
        == 202
    )
    assert post(client, {"type": "write_note", "text": "digits, one epoch each"}).status_code == 202
    assert post(client, {"type": "change_tags", "add": ["smoke"]}).status_code == 202
    listed = client.get(f"/api/sessions/{SESSION}/notes").json()
    assert listed["tags"] == ["smoke"]
    assert [n["text"] for n in listed["notes"]] == ["digits, one epoch each"]
    assert list(listed["models"]) == ["m1"]
    m1 = listed["models"]["m1"]
    assert m1["tags"] == ["best", "keep"]
    (note,) = m1["notes"]
    r = post(client, {"type": "write_note", "model": "m1", "note": note["id"], "text": "edited"})
    assert r.status_code == 202
    state = client.get(f"/api/sessions/{SESSION}/state").json()
    assert state["models"]["m1"]["notes"][0]["text"] == "edited"  # in the model state
    assert state["models"]["m1"]["tags"] == ["best", "keep"]


@pytest.mark.parametrize(
    ("body", "status", "path", "error"),
    [
        (
            {"type": "change_tags", "model": "m1", "add": [""]},
            422,
            "$.add[0]",
            "a tag cannot be empty",
        ),
        (
            {"type": "write_note", "model": "m404", "text": "x"},
            422,
            "$.model",
            "no model 'm404' in this session",
        ),
        (
            {"type": "write_note", "model": "m1", "text": "x" * 4001},
            400,
            "$.text",
            "must be at most 4000 characters long",
        ),
        ({"type": "remove_note", "note": "n1"}, 422, "$.note", "the session has no note 'n1'"),
    ],
)
def test_bad_notes_and_tags_are_refused_and_write_nothing(
    client, noted, service, body, status, path, error
):
    before = service.store.last_seq(SESSION)
    r = post(client, body)
    assert (r.status_code, r.json()["path"], r.json()["error"]) == (status, path, error)
    assert service.store.last_seq(SESSION) == before


def test_the_table_and_the_report_carry_notes_and_tags(client, noted, service):
    post(client, {"type": "change_tags", "model": "m2", "add": ["baseline"]})
    text = client.get(f"/api/sessions/{SESSION}/models.csv").text
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["m1"]["tags"] == "best,keep"
    assert rows["m2"]["tags"] == "baseline"
    assert rows["m1"]["notes"]
    assert rows["m3"]["notes"] == ""
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(client.get(f"/api/sessions/{SESSION}/models.parquet").content))
    tags = dict(zip(table.column("id").to_pylist(), table.column("tags").to_pylist(), strict=True))
    assert tags["m1"] == ["best", "keep"]
    state = service.state(SESSION)
    page = report_html(state, ["m1", "m2"])
    assert "<span class='tag'>best</span>" in page
    assert "Notes and tags" in page
    assert "digits, one epoch each" in page
    md = report_markdown(state, ["m1"])
    assert "`best` `keep`" in md


def test_notes_travel_in_the_session_file(client, noted, tmp_path):
    data = client.get(f"/api/sessions/{SESSION}/export").content
    other = EventStore(tmp_path / "other.db")
    try:
        import_session(other, data)
        replayed = load_state(other, SESSION)
    finally:
        other.close()
    assert replayed.models["m1"].tags == ("best", "keep")
    assert replayed.models["m1"].notes[0].text == "edited"
    assert replayed.tags == ("smoke",)


# --- the N-way compare ---------------------------------------------------------------


def test_the_compare_route(client, noted):
    base = f"/api/sessions/{SESSION}/compare"
    r = client.get(f"{base}?models=m1,m2,m3")
    assert r.status_code == 200
    body = r.json()
    assert body["models"] == ["m1", "m2", "m3"]
    assert all(len(c["layers"]) == 3 for c in body["columns"])
    refs = [c["reference"] for c in body["columns"] if c["reference"] is not None]
    assert refs == sorted(refs)
    many = ",".join(f"m{k}" for k in range(1, 10))
    r = client.get(f"{base}?models={many}")
    assert (r.status_code, r.json()["path"]) == (400, "?models")
    assert r.json()["error"] == "?models names 9 models: compare at most 8 at once"
    assert client.get(f"{base}?models=m1").status_code == 400
    assert client.get(f"{base}?models=m1,m1").status_code == 400
    r = client.get(f"{base}?models=m1,m404")
    assert (r.status_code, r.json()["error"]) == (404, "no model 'm404' in session notes")


def _arch(body) -> Architecture:
    return Architecture(name="a", input=Input(shape=(1, 8, 8), classes=10),
                        layers=(*body, Flatten(), Dense(units=10)))  # fmt: skip


layers = st.one_of(
    st.builds(Conv, filters=st.sampled_from([8, 16])),
    st.sampled_from([ReLU(), Tanh(), Dropout(rate=0.25)]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(layers, max_size=5), min_size=2, max_size=8))
def test_every_layer_of_every_model_is_in_one_column_in_order(bodies):
    archs = [_arch(b) for b in bodies]
    columns = align_models(archs)
    for k, arch in enumerate(archs):
        seen = [c.layers[k] for c in columns if c.layers[k] is not None]
        assert seen == list(range(len(arch.layers)))  # each once, in order
        for c in columns:
            j = c.layers[k]
            if c.reference is None:
                assert c.marks[k] == (None if j is None else "added")
            elif j is None:
                assert c.marks[k] == "removed"
            elif arch.layers[j] == archs[0].layers[c.reference]:
                assert c.marks[k] == "same"
            else:
                assert c.marks[k] in ("changed", "replaced")
    assert [c.reference for c in columns if c.reference is not None] == list(
        range(len(archs[0].layers))
    )
    assert all(any(j is not None for j in c.layers) for c in columns)  # no empty column


def test_the_overview_form_carries_tags_and_notes(client, noted):
    """A big session's first payload (`GET …/state/overview`) sends tagged and annotated
    models whole and the session's own tags and notes, so the drawer, the lineage and the
    tag filter have them from the first paint."""
    post(client, {"type": "change_tags", "model": "m3", "add": ["overview"]})
    post(client, {"type": "write_note", "text": "session-wide"})
    whole = client.get(f"/api/sessions/{SESSION}/state").json()
    lean = client.get(f"/api/sessions/{SESSION}/state/overview").json()
    assert lean["last_seq"] == whole["last_seq"]
    assert "overview" in lean["full"]["m3"]["tags"]
    assert lean["tags"] == whole["tags"]
    assert [n["text"] for n in lean["notes"]] == [n["text"] for n in whole["notes"]]
    assert "session-wide" in [n["text"] for n in lean["notes"]]
    plain = {m for m, rec in whole["models"].items() if not rec["tags"] and not rec["notes"]}
    assert not plain & set(lean["full"]) - set(whole["drawer"])
