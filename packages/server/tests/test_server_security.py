"""The token, the bind rule, CORS, and the data folder rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from nas_core.service import SessionService
from nas_core.specs import DataSpec
from remap_server import BindError, check_bind, create_app, is_loopback
from remap_server.cli import main
from remap_server.paths import PathError, check_data_spec, default_data_dir

TOKEN = "s3cret-token"
LOCAL = "http://127.0.0.1"  # a Host the app takes (see conftest.LOCAL)


@pytest.fixture(scope="module")
def guarded(service: SessionService):
    with TestClient(create_app(service, token=TOKEN), base_url=LOCAL) as c:
        yield c


def test_without_the_token_every_api_request_is_401(guarded: TestClient) -> None:
    for method, url in [("GET", "/api/sessions"), ("GET", "/api/openapi.json"),
                        ("POST", "/api/sessions"), ("GET", "/api/sessions/trained/events"),
                        ("POST", "/api/snacs/render"), ("POST", "/api/import")]:  # fmt: skip
        r = guarded.request(method, url, headers={"content-type": "application/json"})
        assert r.status_code == 401, url
        assert r.json()["error"].startswith("missing or wrong token")
    wrong = guarded.get("/api/sessions", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_the_token_as_header_query_or_cookie(guarded: TestClient) -> None:
    ok = guarded.get("/api/sessions", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert "set-cookie" not in ok.headers
    query = guarded.get(f"/api/sessions?token={TOKEN}")
    assert query.status_code == 200
    # a page opened with ?token= hands the cookie to EventSource and fetch
    page = guarded.get(f"/?token={TOKEN}")
    assert page.status_code == 200
    assert "remap_token=" in page.headers["set-cookie"]
    assert "HttpOnly" in page.headers["set-cookie"]
    guarded.cookies.clear()
    guarded.cookies.set("remap_token", TOKEN)
    try:
        assert guarded.get("/api/sessions").status_code == 200
        events = guarded.get("/api/sessions/trained/events?until=1")
        assert events.status_code == 200
    finally:
        guarded.cookies.clear()


def test_static_pages_need_no_token(guarded: TestClient) -> None:
    assert guarded.get("/").status_code == 200
    assert guarded.get("/snacs/").status_code == 200


def test_cors_is_off_unless_origins_are_named(client: TestClient, service) -> None:
    origin = {"Origin": "https://tool.example"}
    assert "access-control-allow-origin" not in client.get("/api/sessions", headers=origin).headers
    app = create_app(service, token=TOKEN, allow_origins=["https://tool.example"])
    with TestClient(app, base_url=LOCAL) as c:
        preflight = c.options(
            "/api/sessions",
            headers={**origin, "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization"},
        )  # fmt: skip
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://tool.example"
        r = c.get("/api/sessions", headers={**origin, "Authorization": f"Bearer {TOKEN}"})
        assert r.headers["access-control-allow-origin"] == "https://tool.example"
        other = c.get("/api/sessions", headers={"Origin": "https://evil.example",
                                                "Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.4", False),
     ("example.org", False)],
)  # fmt: skip
def test_bind_rule(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    check_bind(host, "token")  # a token makes any address fine
    if loopback:
        check_bind(host, None)
    else:
        with pytest.raises(BindError, match="--token"):
            check_bind(host, None)


def test_serve_refuses_a_public_address_without_a_token(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("REMAP_TOKEN", raising=False)
    status = main(["serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)])
    assert status == 2
    assert "--token" in capsys.readouterr().err
    assert not (tmp_path / "remap.db").exists()  # refused before anything was opened


def test_data_dir_default(monkeypatch) -> None:
    assert default_data_dir({"REMAP_DATA_DIR": "/x/y"}) == Path("/x/y")
    assert default_data_dir({"HOME": "/home/u"}) == Path("/home/u/.local/share/remap")
    assert default_data_dir({"HOME": "/h", "XDG_DATA_HOME": "/d"}) == Path("/d/remap")


# with names no file system takes: a NUL, one longer than a name may be (255 bytes)
segment = st.sampled_from(["..", ".", "a", "b", "data.npz", "link", "", "a\x00b", "n" * 300])


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(segment, min_size=1, max_size=6) | st.just(["d"] * 2100), absolute=st.booleans()
)
def test_a_client_path_never_leaves_the_data_folder(tmp_path_factory, parts, absolute) -> None:
    base = tmp_path_factory.getbasetemp() / "paths-root"
    (base / "a").mkdir(parents=True, exist_ok=True)
    link = base / "link"
    if not link.is_symlink():
        link.symlink_to("/")  # a link out of the folder must not let a path out
    text = ("/" if absolute else "") + "/".join(parts)
    spec = DataSpec(kind="npz", path=text)
    try:
        check_data_spec(spec, base)
    except PathError as exc:
        refused = exc.path
    else:
        refused = None
    if refused is not None:
        assert refused == "$.data.path"
        return
    assert not absolute
    assert (base / text).resolve().is_relative_to(base.resolve())


@pytest.mark.parametrize(
    ("path", "words"),
    [("a\x00b.npz", "NUL"), ("n" * 256, "a name longer than the 255 bytes"),
     ("d/" * 2100 + "x.npz", "longer than the 4,096 bytes"),
     ("loop/x.npz", "not a path this system can open")],
)  # fmt: skip
def test_a_path_no_file_system_takes_is_refused_in_remaps_words(
    tmp_path: Path, path: str, words: str
) -> None:
    (tmp_path / "loop").symlink_to("loop")  # a link to itself: resolving it never ends
    with pytest.raises(PathError) as refused:
        check_data_spec(DataSpec(kind="npz", path=path), tmp_path)
    assert refused.value.path == "$.data.path"
    assert words in refused.value.reason


def test_no_data_folder_means_no_client_paths() -> None:
    check_data_spec(DataSpec(), None)
    with pytest.raises(PathError, match="no data folder"):
        check_data_spec(DataSpec(kind="npz", path="x.npz"), None)
