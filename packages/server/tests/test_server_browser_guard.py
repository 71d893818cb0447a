"""What a web page the user visits can make a server without a token do (issue 15): a
state-changing request from another origin, one addressed to a foreign Host (DNS
rebinding), a body of a "simple" CORS type. Each is refused before any handler runs
and leaves the store as it was; the server's own pages, clients that send no Origin
(curl, the CLI, Python) and pages named with ``--allow-origin`` keep working."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from nas_core.service import SessionService
from nas_core.specs import DataSpec
from remap_server import create_app
from remap_server.cli import main
from remap_server.security import normalize_origin

SESSION = "guard-writes"  # this module's session: the writes go here
LOCAL = "http://127.0.0.1"
TOOL = "https://tool.example"
JSON = {"content-type": "application/json"}
VIEW = {"type": "change_view", "projection": "structure", "selected_class": 3}
COMMANDS = f"/api/sessions/{SESSION}/commands"
SIMPLE_TYPES = [
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
]


def snapshot(service: SessionService) -> tuple:
    infos = service.store.sessions()
    digest = hashlib.sha256()
    for info in infos:
        for row in service.store.read_rows(info.id):
            digest.update(msgspec.msgpack.encode(row))
    return infos, digest.hexdigest()


def refused(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error", "path", "line"}, body
    assert body["error"]
    return body["error"]


@pytest.fixture(scope="module")
def guarded(service: SessionService) -> SessionService:
    if service.store.session(SESSION) is None:
        service.create_session("guard", DataSpec(limit=200), session=SESSION, command_id="c")
    return service


@pytest.fixture(scope="module")
def local(guarded: SessionService) -> Iterator[TestClient]:
    with TestClient(create_app(guarded), base_url=LOCAL) as c:
        yield c


@pytest.fixture(scope="module")
def export(local: TestClient) -> bytes:
    exported = local.get(f"/api/sessions/{SESSION}/export").content
    return exported.replace(f'"{SESSION}"'.encode(), b'"guard-import"')


def writes(export: bytes) -> list[tuple[str, bytes, str]]:
    """Every state-changing route with a body it would accept, and its content type."""
    return [
        ("/api/sessions", b'{"name": "x", "session": "guard-new"}', "application/json"),
        (COMMANDS, msgspec.json.encode(VIEW), "application/json"),
        ("/api/import", export, "application/x-ndjson"),
        ("/api/snacs/render", b'{"layers": []}', "application/json"),
    ]


# --- Origin ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://127.0.0.1:9999", "https://127.0.0.1", "null",
     "http://localhost.evil.example", "http://127.0.0.1.evil.example", "not an origin"],
)  # fmt: skip
def test_a_write_from_another_origin_is_403_and_writes_nothing(
    local: TestClient, guarded: SessionService, export: bytes, origin: str
) -> None:
    before = snapshot(guarded)
    for url, body, kind in writes(export):
        for given_type in (kind, "text/plain"):
            r = local.post(
                url, content=body, headers={"origin": origin, "content-type": given_type}
            )
            error = refused(r, 403)
            assert "--allow-origin" in error, error
    assert snapshot(guarded) == before


def test_the_servers_own_origin_and_clients_without_one_may_write(
    local: TestClient, guarded: SessionService
) -> None:
    for origin in (None, LOCAL, "http://127.0.0.1:80", "HTTP://127.0.0.1/"):
        headers = JSON if origin is None else {**JSON, "origin": origin}
        r = local.post(COMMANDS, json=VIEW, headers=headers)
        assert r.status_code == 202, (origin, r.text)
    # the origin is the one the request came to: another port of this machine is not it
    with TestClient(create_app(guarded), base_url="http://localhost:8123") as c:
        r = c.post(COMMANDS, json=VIEW, headers={"origin": "http://localhost:8123"})
        assert r.status_code == 202, r.text
        refused(c.post(COMMANDS, json=VIEW, headers={"origin": "http://localhost:8124"}), 403)
        refused(c.post(COMMANDS, json=VIEW, headers={"origin": "http://127.0.0.1:8123"}), 403)


def test_a_cross_site_fetch_without_an_allowed_origin_is_403(
    local: TestClient, guarded: SessionService
) -> None:
    before = snapshot(guarded)
    refused(local.post(COMMANDS, json=VIEW, headers={"sec-fetch-site": "cross-site"}), 403)
    evil = {"sec-fetch-site": "cross-site", "origin": "https://evil.example"}
    refused(local.post(COMMANDS, json=VIEW, headers=evil), 403)
    assert snapshot(guarded) == before
    same = {"sec-fetch-site": "same-origin", "origin": LOCAL}
    assert local.post(COMMANDS, json=VIEW, headers=same).status_code == 202
    # reads are not writes: a page may link to a state (it cannot read another origin's)
    r = local.get(f"/api/sessions/{SESSION}/state", headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 200


def test_an_allowed_origin_may_write_read_and_preflight(guarded: SessionService) -> None:
    app = create_app(guarded, allow_origins=[TOOL + "/"])  # normalised as a browser writes it
    with TestClient(app, base_url=LOCAL) as c:
        preflight = c.options(
            COMMANDS,
            headers={"origin": TOOL, "access-control-request-method": "POST",
                     "access-control-request-headers": "content-type, idempotency-key"},
        )  # fmt: skip
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == TOOL
        r = c.post(COMMANDS, json=VIEW, headers={"origin": TOOL, "sec-fetch-site": "cross-site"})
        assert r.status_code == 202, r.text
        assert r.headers["access-control-allow-origin"] == TOOL
        last = guarded.store.last_seq(SESSION)
        stream = c.get(f"/api/sessions/{SESSION}/events?until={last}", headers={"origin": TOOL})
        assert stream.status_code == 200
        assert stream.headers["access-control-allow-origin"] == TOOL
        # a refusal still reaches the allowed page, so it can show why
        bad = c.post(
            COMMANDS, content=b"{}", headers={"origin": TOOL, "content-type": "text/plain"}
        )
        refused(bad, 415)
        assert bad.headers["access-control-allow-origin"] == TOOL
        refused(c.post(COMMANDS, json=VIEW, headers={"origin": "https://evil.example"}), 403)


# --- Content-Type ---------------------------------------------------------------------


def test_a_body_of_a_simple_cors_type_never_reaches_a_handler(
    local: TestClient, guarded: SessionService, export: bytes
) -> None:
    before = snapshot(guarded)
    for url, body, kind in writes(export):
        for given_type in [*SIMPLE_TYPES, "application/xml", "", None]:
            headers = {} if given_type is None else {"content-type": given_type}
            error = refused(local.post(url, content=body, headers=headers), 415)
            assert kind in error, error
    assert snapshot(guarded) == before


def test_json_with_parameters_and_a_session_file_as_ndjson_jsonl_or_json(
    local: TestClient, guarded: SessionService, export: bytes
) -> None:
    r = local.post(COMMANDS, content=msgspec.json.encode(VIEW),
                   headers={"content-type": "Application/JSON; charset=utf-8"})  # fmt: skip
    assert r.status_code == 202, r.text
    for kind in ("application/x-ndjson", "application/jsonl", "application/json"):
        r = local.post("/api/import", content=export, headers={"content-type": kind})
        assert r.status_code == 200, (kind, r.text)
    # a session file is not a command: its types are the import's alone
    body = msgspec.json.encode(VIEW)
    refused(
        local.post(COMMANDS, content=body, headers={"content-type": "application/x-ndjson"}), 415
    )


# --- Host (DNS rebinding) -------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["testserver", "evil.example", "evil.example:8000", "remap.localhost.evil.example",
     "127.0.0.1.nip.io", "evil.example@127.0.0.1", "127.0.0.1/x", "[::2]:80", "", " "],
)  # fmt: skip
def test_a_foreign_host_is_403_even_for_reads(guarded: SessionService, host: str) -> None:
    with TestClient(create_app(guarded), base_url=LOCAL) as c:
        for url in ("/api/sessions", f"/api/sessions/{SESSION}/state", "/", "/favicon.ico"):
            error = refused(c.get(url, headers={"host": host}), 403)
            assert "localhost, 127.0.0.1 or [::1]" in error or "names no host" in error, error


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "LOCALHOST:1", "127.0.0.1", "127.8.9.1:5", "[::1]:8000"]
)
def test_a_host_of_this_machine_is_answered(local: TestClient, host: str) -> None:
    assert local.get("/api/sessions", headers={"host": host}).status_code == 200


def test_allow_origin_adds_no_host(guarded: SessionService) -> None:
    with TestClient(create_app(guarded, allow_origins=[TOOL]), base_url=TOOL) as c:
        refused(c.get("/api/sessions"), 403)


def test_bound_elsewhere_any_host_is_taken_and_the_token_guards_it(
    guarded: SessionService,
) -> None:
    with TestClient(create_app(guarded, host="0.0.0.0", token="t0ken"), base_url=TOOL) as c:
        refused(c.get("/api/sessions"), 401)
        assert c.get("/api/sessions", headers={"authorization": "Bearer t0ken"}).status_code == 200
        evil = {"authorization": "Bearer t0ken", "origin": "https://evil.example"}
        refused(c.post(COMMANDS, json=VIEW, headers=evil), 403)  # the Origin rule still holds


# --- over real HTTP, the way the attack came ----------------------------------------------


def test_a_page_cannot_drive_a_real_server_without_a_token(
    guarded: SessionService, serve, export: bytes
) -> None:
    before = snapshot(guarded)
    with serve(create_app(guarded)) as base, httpx.Client(base_url=base, timeout=30) as c:
        form = {"origin": "https://evil.example", "content-type": "text/plain"}
        for url, body, _ in writes(export):
            refused(c.post(url, content=body, headers=form), 403)
            refused(c.post(url, content=body, headers={"content-type": "text/plain"}), 415)
        rebound = {"host": f"evil.example:{base.rsplit(':', 1)[1]}"}
        refused(c.get(f"/api/sessions/{SESSION}/state", headers=rebound), 403)
        assert snapshot(guarded) == before
        r = c.post(COMMANDS, json=VIEW, headers={"origin": base})  # the UI's own page
        assert r.status_code == 202, r.text


# --- --allow-origin values --------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "normal"),
    [("https://tool.example", "https://tool.example"), ("HTTPS://Tool.Example:443/", TOOL),
     ("http://localhost:5173", "http://localhost:5173"), ("http://[::1]:80", "http://[::1]"),
     ("*", "*")],
)  # fmt: skip
def test_allowed_origins_are_written_as_browsers_write_them(given: str, normal: str) -> None:
    assert normalize_origin(given) == normal


@pytest.mark.parametrize(
    "bad", ["tool.example", "https://tool.example/page", "https://u@tool.example", "null", ""]
)
def test_an_allow_origin_that_is_no_origin_is_a_usage_error(bad: str, tmp_path, capsys) -> None:
    with pytest.raises(ValueError, match="is not an origin"):
        normalize_origin(bad)
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--allow-origin", bad, "--data-dir", str(tmp_path)])
    assert exit_.value.code == 2
    assert "not an origin like https://host" in capsys.readouterr().err


@settings(max_examples=200, deadline=None)
@given(
    origin=st.text(max_size=40)
    | st.builds(
        "{}://{}{}".format,
        st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
        st.sampled_from(["127.0.0.1", "localhost", "evil.example", "127.0.0.1.evil", "[::1]"]),
        st.sampled_from(["", ":80", ":443", ":8000", ":x", "/", "/p", "@h"]),
    )
)
def test_only_the_servers_own_origin_may_write(local: TestClient, origin: str) -> None:
    """Whatever the Origin, a write passes only when it names http://127.0.0.1:80."""
    if not (origin.isascii() and origin.isprintable()):
        return  # no HTTP header carries these
    r = local.post("/api/snacs/render", content=b"null", headers={**JSON, "origin": origin})
    try:
        own = normalize_origin(origin) == LOCAL
    except ValueError:
        own = False
    assert r.status_code == (400 if own else 403), (origin, r.text)
