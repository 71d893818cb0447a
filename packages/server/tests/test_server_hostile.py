"""Hostile input (issue 9, "Bad input"): markup in names, path traversal, oversized and
deeply nested bodies, malformed UTF-8, a session file from a newer REMAP, wrong tokens.

Whatever comes in, the answer is a 4xx `ErrorBody` (never a 5xx, never an exception
out of the app), and a refused request leaves the store, the data folder and anything
outside it exactly as they were. Markup in a name is data: escaped in every SVG (which
still parses, with no element of its own), carried as a JSON string in the state, the
event stream and the export.
"""

from __future__ import annotations

import hashlib
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from nas_core.service import SessionService
from remap_server import create_app
from remap_server.body import _bad_utf8
from remap_server.cli import main

TRAINED = "trained"  # the conftest's session: 3 trained models, read here, never written
LOCAL = "http://127.0.0.1"  # a Host the app takes (see conftest.LOCAL)
SVG = "{http://www.w3.org/2000/svg}"
MARKUP = [
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "a & b &amp; c",
    "]]><x/><![CDATA[",
    "<!-- comment -->",
    'it\'s "quoted"',
    "<?xml version='1.0'?>",
    "&lt;&#60;&#x3c;",
]
SPEC = {"name": "m", "input": {"shape": [1, 8, 8], "classes": 10},
        "layers": [{"type": "conv", "filters": 8}, {"type": "relu"}, {"type": "flatten"},
                   {"type": "dense", "units": 10}]}  # fmt: skip


def snapshot(service: SessionService) -> tuple:
    """Every session with its last seq, and a digest of every row the store holds."""
    infos = service.store.sessions()
    digest = hashlib.sha256()
    for info in infos:
        for row in service.store.read_rows(info.id):
            digest.update(msgspec.msgpack.encode(row))
    return infos, digest.hexdigest()


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (links not followed) with its content's digest; the
    store's own files are left out (the snapshot covers what they hold)."""
    out = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root, name)
            if name.startswith("remap.db") or path.is_symlink():
                continue
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).digest()
    return out


def typed(url: str) -> dict[str, str]:
    """The Content-Type a body to `url` goes with: a session file, else JSON."""
    return {"content-type": "application/x-ndjson" if url == "/api/import" else "application/json"}


def post(client: TestClient, url: str, body: bytes):
    return client.post(url, content=body, headers=typed(url))


def refused(response, status: int | tuple[int, ...] = (400, 413, 422)) -> dict:
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error", "path", "line"}, body
    assert isinstance(body["error"], str)
    assert body["error"]
    return body


def parse_svg(text: str) -> ET.Element:
    """The SVG as a tree; a name that broke out of its text would not parse, or would
    add elements or attributes of its own."""
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    return root


def shape(root: ET.Element) -> list[tuple[str, tuple[str, ...]]]:
    """Every element's tag and attribute names, in document order."""
    return [(e.tag, tuple(sorted(e.attrib))) for e in root.iter()]


def labelled(root: ET.Element) -> tuple[str, str]:
    """The chip's title text and aria-label (both start with the name)."""
    title = root.find(f"{SVG}title")
    assert title is not None
    return title.text or "", root.attrib["aria-label"]


@pytest.fixture(scope="module")
def export(client: TestClient) -> bytes:
    return client.get(f"/api/sessions/{TRAINED}/export").content


def renamed(export: bytes, session: str, model_ids: dict[str, str] | None = None) -> bytes:
    """The export as another session, with models renamed (their ids are JSON strings
    everywhere: ``model``, ``arch.name``, ``parent``, ``models``)."""
    out = export.replace(json.dumps(TRAINED).encode(), json.dumps(session).encode())
    for old, new in (model_ids or {}).items():
        out = out.replace(json.dumps(old).encode(), json.dumps(new).encode())
    return out


# --- markup in names ---------------------------------------------------------------


@pytest.mark.parametrize("name", MARKUP)
def test_markup_in_a_spec_name_is_escaped_in_the_svg(client: TestClient, name: str) -> None:
    plain = parse_svg(client.post("/api/snacs/render", json=SPEC).text)
    r = client.post("/api/snacs/render", json={**SPEC, "name": name})
    assert r.status_code == 200, r.text
    root = parse_svg(r.text)
    assert shape(root) == shape(plain)  # no element or attribute came in with the name
    title, aria = labelled(root)
    assert title.startswith(f"{name}: ")
    assert aria == title


xml_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x7f\ufffe\uffff").filter(
        lambda c: c in "\t\n\r" or ord(c) >= 0x20
    ),
    min_size=1,
    max_size=40,
) | st.lists(st.sampled_from(["<", ">", "&", '"', "'", "]]>", "<!--", "a", " "]), min_size=1).map(
    "".join
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=xml_text)
def test_any_spec_name_is_text_in_the_svg(client: TestClient, name: str) -> None:
    root = parse_svg(client.post("/api/snacs/render", json={**SPEC, "name": name}).text)
    title, _ = labelled(root)
    # XML normalises a carriage return in text to a line feed when it parses
    assert title.startswith(name.replace("\r\n", "\n").replace("\r", "\n") + ": ")


def test_markup_in_a_session_name_is_json_data(client: TestClient, service) -> None:
    name = "".join(MARKUP)
    r = client.post("/api/sessions", json={"name": name, "session": "hostile-name",
                                           "data": {"limit": 200}})  # fmt: skip
    assert r.status_code == 201, r.text
    assert client.get("/api/sessions/hostile-name/state").json()["name"] == name
    listed = {s["id"]: s["name"] for s in client.get("/api/sessions").json()}
    assert listed["hostile-name"] == name
    stream = client.get("/api/sessions/hostile-name/events?until=1")
    data = [line[6:] for line in stream.text.splitlines() if line.startswith("data: ")]
    assert len(data) == 1  # the name's quotes and newlines-to-be stay inside one data line
    assert json.loads(data[0])["event"]["name"] == name
    header = client.get("/api/sessions/hostile-name/export").content.splitlines()[0]
    assert json.loads(header)["name"] == name


def test_markup_in_a_model_id_is_escaped_in_its_snac(client: TestClient, export: bytes) -> None:
    """A session file may name its models anything; the model's SNAC, state and events
    carry the name as text."""
    evil = '<img src=x onerror="alert(1)"><script>&amp;'  # no "/": it is a URL segment
    r = post(client, "/api/import", renamed(export, "hostile-models", {"m1": evil}))
    assert r.status_code == 200, r.text
    state = client.get("/api/sessions/hostile-models/state").json()
    assert evil in state["models"]
    assert state["models"][evil]["arch"]["name"] == evil
    plain = parse_svg(client.get(f"/api/sessions/{TRAINED}/models/m1/snac.svg").text)
    svg = client.get(f"/api/sessions/hostile-models/models/{quote(evil, safe='')}/snac.svg")
    assert svg.status_code == 200, svg.text
    root = parse_svg(svg.text)
    assert shape(root) == shape(plain)
    assert labelled(root)[0].startswith(f"{evil}: ")
    last = state["last_seq"]
    stream = client.get(f"/api/sessions/hostile-models/events?until={last}").text
    created = [json.loads(x[6:]) for x in stream.splitlines() if x.startswith("data: ")]
    assert any(e["event"].get("model") == evil for e in created)


# --- paths ----------------------------------------------------------------------------


@pytest.fixture
def outside(data_dir: Path, tmp_path: Path) -> Iterator[Path]:
    """A real data set outside the data folder, and links inside the folder that point
    at it (a file link and a folder link)."""
    target = tmp_path / "outside"
    target.mkdir()
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 1, 8, 8), dtype=np.float32), rng.integers(0, 10, 40)
    np.savez(target / "x.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    links = data_dir / "hostile-links"
    links.mkdir()
    (links / "file.npz").symlink_to(target / "x.npz")
    (links / "dir").symlink_to(target)
    try:
        yield target
    finally:
        for link in ("file.npz", "dir"):
            (links / link).unlink()
        links.rmdir()


def escapes(outside: Path) -> list[str]:
    return [
        "../x.npz",
        "../../../../../../etc/passwd",
        "a/../../x.npz",
        "./../x.npz",
        str(outside / "x.npz"),
        "/etc/passwd",
        "~/x.npz",
        "hostile-links/file.npz",
        "hostile-links/dir/x.npz",
        "hostile-links/dir/../../x.npz",
        # no file system takes these: refused in REMAP's words, never a 500 (issue 15)
        "a\x00b.npz",
        "x.npz\x00.png",
        "n" * 300 + ".npz",
        "d/" * 2100 + "x.npz",
    ]


def test_a_data_set_path_out_of_the_data_folder_is_refused(
    client: TestClient, service: SessionService, data_dir: Path, outside: Path
) -> None:
    before, files, out_files = snapshot(service), tree(data_dir), tree(outside)
    for k, path in enumerate(escapes(outside)):
        data = {"kind": "npz", "path": path}
        create = client.post("/api/sessions", json={"name": "x", "session": f"esc{k}",
                                                    "data": data})  # fmt: skip
        assert refused(create, 422)["path"] == "$.data.path", path
        body = {"type": "create_session", "name": "x", "data": data}
        command = client.post(f"/api/sessions/esc{k}/commands", json=body)
        assert refused(command, 422)["path"] == "$.data.path", path
    assert snapshot(service) == before
    assert tree(data_dir) == files
    assert tree(outside) == out_files


def test_an_import_whose_data_set_leaves_the_data_folder_is_refused(
    client: TestClient, service: SessionService, data_dir: Path, export: bytes, outside: Path
) -> None:
    header, created, *rest = export.splitlines()
    before, files = snapshot(service), tree(data_dir)
    for path in escapes(outside):
        line = json.loads(created)
        line["event"]["data"].update(kind="npz", path=path)
        body = b"\n".join([header, json.dumps(line).encode(), *rest]) + b"\n"
        body = renamed(body, "imported-escape")
        error = refused(post(client, "/api/import", body), 422)
        assert (error["path"], error["line"]) == ("$.data.path", 2), path
    assert snapshot(service) == before
    assert tree(data_dir) == files


@pytest.mark.parametrize(
    "url",
    ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/snacs/..%2f..%2f..%2fetc%2fpasswd",
     "/api/sessions/..%2f..%2fetc/state", "/api/sessions/%2e%2e/export"],
)  # fmt: skip
def test_traversal_in_urls_is_404(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 404, (url, r.text)
    assert b"root:" not in r.content


# --- sizes, depth, encodings -------------------------------------------------------------


DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


def deep_bodies(export: bytes) -> list[tuple[str, bytes]]:
    header, *lines = export.splitlines()
    head = json.loads(header)
    deep_header = json.dumps({**head, "settings": None}).encode().replace(b"null", DEEP_ARRAY)
    deep_event = lines[0].split(b'"event":')[0] + b'"event":' + DEEP_OBJECT + b"}"
    deep_kind = lines[0].replace(b'"session_created"', DEEP_ARRAY, 1)
    return [
        *((url, body) for url in ("/api/sessions", f"/api/sessions/{TRAINED}/commands",
                                  "/api/snacs/render", "/api/import")
          for body in (DEEP_ARRAY, DEEP_OBJECT)),
        ("/api/sessions", b'{"name": "x", "settings": ' + DEEP_ARRAY + b"}"),
        ("/api/sessions", b'{"name": "x", "data": ' + DEEP_OBJECT + b"}"),
        (f"/api/sessions/{TRAINED}/commands", b'{"type": "drawer_add", "models": ' + DEEP_ARRAY
         + b"}"),
        ("/api/snacs/render", json.dumps(SPEC).encode().replace(b'"m"', DEEP_ARRAY)),
        ("/api/snacs/render", json.dumps(SPEC).encode().replace(b'{"type": "relu"}', DEEP_OBJECT)),
        ("/api/import", b"\n".join([deep_header, *lines]) + b"\n"),
        ("/api/import", b"\n".join([header, deep_event, *lines[1:]]) + b"\n"),
        ("/api/import", b"\n".join([header, deep_kind, *lines[1:]]) + b"\n"),
    ]  # fmt: skip


def test_deeply_nested_json_is_a_4xx(
    client: TestClient, service: SessionService, export: bytes
) -> None:
    before = snapshot(service)
    for url, body in deep_bodies(renamed(export, "deep-import")):
        refused(post(client, url, body), 400)  # the app raised nothing: no 500
    assert snapshot(service) == before


BAD_UTF8 = [b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xf4\x90\x80\x80"]


@pytest.mark.parametrize("bad", BAD_UTF8, ids=lambda b: b.hex())
def test_malformed_utf8_is_a_400_naming_where(
    client: TestClient, service: SessionService, export: bytes, bad: bytes
) -> None:
    before = snapshot(service)
    create = b'{"name": "x' + bad + b'", "data": {"limit": 200}}'
    command = b'{"type": "drawer_add", "models": ["m1' + bad + b'"]}'
    spec = json.dumps(SPEC).encode().replace(b'"m"', b'"m' + bad + b'"')
    for url, body in [("/api/sessions", create), (f"/api/sessions/{TRAINED}/commands", command),
                      ("/api/snacs/render", spec)]:  # fmt: skip
        error = refused(post(client, url, body), 400)
        assert error["error"].startswith("the body is not valid UTF-8"), error
        assert f"offset {body.index(bad)}" in error["error"]
        assert error["path"] == "$"
    lines = renamed(export, "utf8-import").splitlines()
    lines[3] = lines[3].replace(b'"id":"', b'"id":"' + bad, 1)
    error = refused(post(client, "/api/import", b"\n".join(lines) + b"\n"), 400)
    assert error["line"] == 4
    assert "UTF-8" in error["error"]
    assert snapshot(service) == before


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=40) | st.text(max_size=20).map(str.encode), chunk=st.integers(1, 7))
def test_the_utf8_check_finds_the_first_bad_byte_across_chunks(data: bytes, chunk: int) -> None:
    try:
        data.decode()
        expected = None
    except UnicodeDecodeError as exc:
        expected = exc.start
    assert _bad_utf8(data, chunk) == expected


# seqs that do not fit the store's 32 bits of seq: once they spilled into the session key
PAST_THE_LAST_SEQ = [str(2**32), str(2**32 + 1), str(2**33 + 5), str(2**63), "9" * 18]


def test_a_resume_past_the_last_possible_seq_is_a_400(client: TestClient) -> None:
    events = f"/api/sessions/{TRAINED}/events"
    for seq in PAST_THE_LAST_SEQ:
        for url, headers in [(f"{events}?until=1", {"Last-Event-ID": seq}),
                             (f"{events}?after={seq}&until=1", {})]:  # fmt: skip
            error = refused(client.get(url, headers=headers), 400)
            assert "must be a seq from 0 to 4,294,967,295" in error["error"], error
    # the last seq a session can hold is a resume with nothing after it
    r = client.get(f"{events}?after={2**32 - 1}&until={2**32 - 1}")
    assert r.status_code == 200
    assert "id:" not in r.text


def test_malformed_bytes_in_headers_and_query(client: TestClient) -> None:
    events = f"/api/sessions/{TRAINED}/events"
    refused(client.get(events, headers={"Last-Event-ID": b"\xff\xfe"}), 400)
    refused(client.get(f"{events}?after=%FF"), 400)
    refused(client.get(f"/api/sessions/{TRAINED}/state?at=%C0%AF"), 400)
    key = {"Idempotency-Key": b"k\xff"}
    sample = {"type": "sample", "count": 1}
    refused(client.post(f"/api/sessions/{TRAINED}/commands", json=sample, headers=key), 400)
    assert client.get("/api/sessions/%FF%FE/state").status_code == 404


def test_bodies_over_the_default_limits_are_413(
    client: TestClient, service: SessionService
) -> None:
    before = snapshot(service)
    big = b'{"name": "' + b"x" * (1 << 20) + b'"}'
    for url in ("/api/sessions", f"/api/sessions/{TRAINED}/commands", "/api/snacs/render"):
        assert "larger than 1,048,576 bytes" in refused(post(client, url, big), 413)["error"]
    assert snapshot(service) == before


# --- a session file from a newer REMAP --------------------------------------------------


def newer(export: bytes, version) -> bytes:
    header, *lines = export.splitlines()
    head = json.loads(header)
    head["format_version"] = version
    return b"\n".join([json.dumps(head).encode(), *lines]) + b"\n"


def test_a_newer_session_file_is_a_clear_4xx(
    client: TestClient, service: SessionService, export: bytes
) -> None:
    before = snapshot(service)
    body = newer(renamed(export, "from-the-future"), 2)
    error = refused(post(client, "/api/import", body), 400)
    assert error["line"] == 1
    assert "format version 2 is newer than this program reads (1)" in error["error"]
    assert "upgrade" in error["error"]
    for version in ("2", 1.5, None, 2**70):
        refused(post(client, "/api/import", newer(export, version)), 400)
    assert snapshot(service) == before


def test_the_cli_refuses_a_newer_session_file(tmp_path: Path, export: bytes, capsys) -> None:
    file = tmp_path / "future.remap.jsonl"
    file.write_bytes(newer(export, 7))
    for argv in (["import", str(file), "--data-dir", str(tmp_path / "d")],
                 ["replay", str(file)]):  # fmt: skip
        assert main(argv) != 0
        err = capsys.readouterr().err
        assert "format version 7 is newer" in err, err
        assert "Traceback" not in err


# --- one rule for both doors: `remap import` and POST /api/import --------------------------


BAD_SESSION_IDS = ["../../etc", "<script>alert(1)</script>", "a" * 65, "a\x00b", "a/b", "x\n",
                   " x", "é"]  # fmt: skip
BAD_DATA_PATHS = ["../../etc/passwd", "/etc/passwd", "~/x.npz", "a\x00b.npz", "n" * 300]


def test_a_bad_session_id_is_refused_at_every_http_door(
    client: TestClient, service: SessionService
) -> None:
    """The schema's pattern ends in ``$``, which lets a trailing newline by in Python:
    "x\\n" is refused all the same, as a create's `session` and as a URL segment."""
    before = snapshot(service)
    for session in BAD_SESSION_IDS:
        body = {"name": "x", "session": session}
        error = refused(client.post("/api/sessions", json=body), (400, 422))
        assert error["path"] == "$.session", (session, error)
        url = f"/api/sessions/{quote(session, safe='')}/commands"
        r = client.post(url, json={"type": "create_session", "name": "x"})
        assert r.status_code in (404, 405), (session, r.text)  # "/" in it: no such route
    assert snapshot(service) == before


def with_data_path(export: bytes, path: str) -> bytes:
    header, created, *rest = export.splitlines()
    line = json.loads(created)
    line["event"]["data"].update(kind="npz", path=path)
    return b"\n".join([header, json.dumps(line).encode(), *rest]) + b"\n"


def test_remap_import_refuses_what_the_http_import_refuses(
    client: TestClient, service: SessionService, data_dir: Path, export: bytes, tmp_path, capsys
) -> None:
    """Session ids and data paths a file may not bring, refused alike by the CLI (which
    ``remap serve`` would then have resumed) and the HTTP API, with the same words."""
    before = snapshot(service)
    cases = [(renamed(export, s), 1, "$.session") for s in BAD_SESSION_IDS] + [
        (renamed(with_data_path(export, p), "cli-escape"), 2, "$.data.path") for p in BAD_DATA_PATHS
    ]
    file = tmp_path / "hostile.remap.jsonl"
    for body, line, path in cases:
        http = refused(post(client, "/api/import", body), 422)
        assert (http["path"], http["line"]) == (path, line), http
        file.write_bytes(body)
        assert main(["import", str(file), "--data-dir", str(data_dir)]) == 1
        err = capsys.readouterr().err
        assert err == f"remap: error: {file}, line {line}: {http['error']}\n", err
    assert snapshot(service) == before
    assert not (set(BAD_SESSION_IDS) | {"cli-escape"}) & {s.id for s in service.store.sessions()}


# --- tokens (the missing cases; test_server_security covers the basics) --------------------


def test_a_wrong_token_is_401_wherever_it_comes(service: SessionService) -> None:
    token = "right-token-1234"
    before = snapshot(service)
    wrong = ["right-token-123", "right-token-12345", "RIGHT-TOKEN-1234", "", " ", "\u00e9t\u00e9"]
    with TestClient(create_app(service, token=token), base_url=LOCAL) as c:
        for bad in wrong:
            ways = [
                {"headers": {"Authorization": f"Bearer {bad}".encode()}},
                {"params": {"token": bad}},
                {"headers": {"Cookie": f"remap_token={bad}".encode()}},
            ]
            for way in ways:
                for method, url in [("GET", f"/api/sessions/{TRAINED}/events?until=1"),
                                    ("GET", f"/api/sessions/{TRAINED}/export"),
                                    ("POST", "/api/sessions")]:  # fmt: skip
                    body = {"name": "x", "session": "token-x"} if method == "POST" else None
                    r = c.request(method, url, json=body, **way)
                    assert r.status_code == 401, (bad, way, url)
                    assert "set-cookie" not in r.headers
        r = c.get("/api/sessions", headers={"Authorization": f"Basic {token}"})
        assert r.status_code == 401  # only a bearer token counts
    assert snapshot(service) == before
