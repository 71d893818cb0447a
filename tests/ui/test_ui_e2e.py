"""The whole tool end to end in a real browser, as the issue tells it: `remap demo` with
a few tiny models → the overview shows them → every projection → one model into the
drawer → an ablation whose children train (sparklines grow) and appear in the overview
→ reorder and cancel in the queue → the inspector → a class picked → the timeline
scrubbed back and forward → `<remap-overview>` embedded alone on a page of another
origin (``--allow-origin``), live. Then the replay promise: the same session after a
server restart, and imported into another store, shows exactly what it showed.
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS, VIEWPORT, Server, poll, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODELS = 4
EPOCHS = 60  # long enough (~1.5 s a model) that the queue holds models seconds away

# the client's fold as plain JSON (the same form as GET /state minus distances)
CLIENT_STATE = """async () => {
  const { toJSON } = await import('/ui/remap.js');
  return JSON.stringify(toJSON(document.querySelector('remap-app').session.state));
}"""


def _demo(data_dir: Path, allow_origin: str) -> Server:
    return start_server(
        data_dir, "--no-open", "--no-progress", "--models", str(MODELS), "--epochs",
        str(EPOCHS), "--limit", "500", "--allow-origin", allow_origin, command="demo",
    )  # fmt: skip


class _Page(http.server.BaseHTTPRequestHandler):
    """Another origin's page embedding <remap-overview> from the REMAP server."""

    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def other_origin() -> Iterator[tuple[str, type]]:
    handler = type("Embed", (_Page,), {})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def _app(page):
    return page.locator("remap-app")


def _wait_drawn(page, n: int, selector: str = "remap-app") -> None:
    page.wait_for_function(
        """([sel, n]) => { const root = document.querySelector(sel);
             const o = root.localName === 'remap-overview'
               ? root : root.shadowRoot.querySelector('remap-overview');
             return o && o.stats && o.stats.drawn >= n; }""",
        arg=[selector, n],
        timeout=90_000,
    )


def _overview_point(page, model: str) -> tuple[float, float]:
    xy = page.evaluate(
        "id => document.querySelector('remap-app').shadowRoot"
        ".querySelector('remap-overview').pointOf(id)",
        model,
    )
    assert xy is not None, f"{model} is not drawn"
    return xy["x"], xy["y"]


def _state(server: Server, session: str) -> dict:
    return server.get(f"/api/sessions/{session}/state")


def test_the_whole_tool(browser, ui_bundle, tmp_path, other_origin, screenshot) -> None:
    origin, embed_page = other_origin
    server = _demo(tmp_path / "demo", origin)
    url = server.opened
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        session = url.split("session=")[1].split("&")[0]
        page.goto(url)
        app = _app(page)
        expect(app.get_by_text("demo", exact=True)).to_be_visible()
        server.wait_idle(session, 180)
        _wait_drawn(page, MODELS)
        screenshot(page, "e2e-1-overview")

        # every projection, each recorded in the log
        overview = app.locator("remap-overview")
        for name, projection in (("Structure", "structure"), ("Predictions", "predictions"),
                                 ("Search", "search"), ("Accuracy", "accuracy")):  # fmt: skip
            overview.get_by_role("button", name=name, exact=True).click()
            poll(lambda p=projection: _state(server, session)["view"]["projection"] == p,
                      f"the {projection} projection")  # fmt: skip
            page.wait_for_timeout(500)  # the transition
            screenshot(page, f"e2e-2-{projection}")

        # the deepest trained model into the drawer by a click on its circle
        state = _state(server, session)
        best = max(
            (m for m in state["models"].values() if m["result"]),
            key=lambda m: (len(m["arch"]["layers"]), m["result"]["test_acc"]),
        )["id"]
        page.mouse.click(*_overview_point(page, best))
        poll(lambda: best in _state(server, session)["drawer"], "the model in the drawer")
        expect(app.locator("remap-drawer").get_by_label(f"Inspect {best}")).to_be_visible()

        # an ablation of every layer: the children train one at a time (1 process), so
        # the queue holds several; reorder one by keyboard and cancel another
        app.locator("#tab-generate").click()
        generate = app.locator("remap-generate")
        generate.get_by_role("button", name="All", exact=True).click()
        generate.get_by_role("button", name="Run").filter(has_text="ablation").click()
        children = poll(
            lambda: [m for m in _state(server, session)["models"].values() if m["parent"] == best],
            "the ablation's children",
        )
        assert len(children) >= 2
        expect(generate.locator("table.children tbody tr")).to_have_count(len(children))
        app.locator("#tab-queue").click()
        queue = app.locator("remap-queue")
        # act on what the view shows: move the last queued model up, then cancel the one
        # it passed (models train one at a time, ~1.5 s each: these are seconds away)
        page.wait_for_function(
            "() => document.querySelector('remap-app').shadowRoot.querySelector('remap-queue')"
            ".shadowRoot.querySelectorAll('li.queued').length >= 4",
            timeout=60_000,
        )
        shown = queue.evaluate(
            "q => [...q.shadowRoot.querySelectorAll('li.queued')].map(li => li.dataset.id)"
        )
        mover, victim = shown[-1], shown[-2]
        queue.get_by_role("button", name=f"Move {mover} up").click()
        queue.get_by_role("button", name=f"Cancel {victim}").click()
        screenshot(page, "e2e-3-queue")
        poll(lambda: _state(server, session)["models"][victim]["status"] == "cancelled",
                  "the cancel")  # fmt: skip
        kinds = _kinds(server, session)
        assert "queue_reordered" in kinds
        final = server.wait_idle(session, 180)
        done = [m for m in final["models"].values() if m["status"] == "done"]
        _wait_drawn(page, len(done))  # the children appear in the overview
        app.locator("#tab-generate").click()
        sparks = generate.locator("table.children tbody tr polyline")
        expect(sparks.first).to_be_visible()
        points = sparks.first.get_attribute("points").split()
        assert len(points) == EPOCHS  # one point an epoch
        screenshot(page, "e2e-4-generate")

        # the inspector on the drawer's model, then a class picked in the data tab
        app.locator("remap-drawer").get_by_label(f"Inspect {best}").click()
        expect(app.locator("#tab-inspect")).to_have_attribute("aria-selected", "true")
        expect(app.locator("remap-inspector").get_by_text(best).first).to_be_visible()
        screenshot(page, "e2e-5-inspector")
        app.locator("#tab-data").click()
        app.locator("remap-classes").get_by_label("Class 3").click()
        poll(lambda: _state(server, session)["view"]["selected_class"] == 3, "class 3")
        screenshot(page, "e2e-6-class")

        # the timeline: back to when only the first models existed, then live again
        timeline = app.locator("remap-timeline")
        slider = timeline.get_by_label("Session timeline")
        slider.focus()
        page.keyboard.press("Home")
        page.wait_for_function("() => document.querySelector('remap-app').session.cursor !== null")
        for _ in range(20):
            page.keyboard.press("ArrowRight")
        at = page.evaluate("() => document.querySelector('remap-app').session.state.models.size")
        assert at <= MODELS
        screenshot(page, "e2e-7-timeline")
        timeline.get_by_label("Go live").click()
        page.wait_for_function("() => document.querySelector('remap-app').session.cursor === null")

        # <remap-overview> alone on another origin's page, live
        embed_page.body = (
            "<!doctype html><title>embed</title><h1>Another tool</h1>"
            f'<remap-overview src="{server.url}/api/sessions/{session}/events" '
            'style="width:700px;height:420px;display:block"></remap-overview>'
            f'<script type="module" src="{server.url}/ui/remap.js"></script>'
        ).encode()
        other = context.new_page()
        other.on("pageerror", lambda exc: problems.append(f"embed: {exc}"))
        other.goto(origin + "/")
        _wait_drawn(other, len(done), "remap-overview")
        before = other.evaluate("() => document.querySelector('remap-overview').stats.drawn")
        server.post(f"/api/sessions/{session}/commands", {"type": "sample", "count": 1})
        _wait_drawn(other, before + 1, "remap-overview")  # the new model shows as training
        screenshot(other, "e2e-8-embedded")
        server.wait_idle(session, 180)
        other.close()
        last_seq = _state(server, session)["last_seq"]
        # what a fresh page shows (a page's own selection and hover are not in the log)
        shown = _replayed(browser, server, session, last_seq)
        assert not problems, problems

    finally:
        context.close()
        stop_server(server)

    # the replay promise: after a restart, and imported into another store, the client
    # folds the same state and the overview draws the same pixels
    restarted = start_server(tmp_path / "demo")
    try:
        exported = _raw(f"{restarted.url}/api/sessions/{session}/export")
        _same(_replayed(browser, restarted, session, last_seq), shown, "restarted")
    finally:
        stop_server(restarted)
    imported = start_server(tmp_path / "other")
    try:
        _raw(f"{imported.url}/api/import", exported)
        _same(_replayed(browser, imported, session, last_seq), shown, "imported")
    finally:
        stop_server(imported)


def _kinds(server: Server, session: str) -> list[str]:
    lines = _raw(f"{server.url}/api/sessions/{session}/export").decode().splitlines()
    return [json.loads(line).get("event", {}).get("kind") for line in lines[1:]]


def _same(replayed: tuple[str, bytes], shown: tuple[str, bytes], how: str) -> None:
    assert replayed[0] == shown[0], f"{how}: the client folds another state"
    if replayed[1] != shown[1]:
        (SCREENSHOTS / f"e2e-replay-{how}.png").write_bytes(replayed[1])
        (SCREENSHOTS / "e2e-replay-original.png").write_bytes(shown[1])
        pytest.fail(f"{how}: the overview draws other pixels (see out/screenshots/e2e-replay-*)")


def _raw(url: str, body: bytes | None = None) -> bytes:
    """GET `url`, or POST `body` to it as a session file (the server takes no other type)."""
    headers = {} if body is None else {"content-type": "application/x-ndjson"}
    request = urllib.request.Request(url, body, headers, method="GET" if body is None else "POST")
    with urllib.request.urlopen(request, timeout=60) as r:
        return r.read()


def _settled(page, last_seq: int) -> tuple[str, bytes]:
    """Once the page has folded `last_seq`: the client's state and the overview's pixels."""
    page.wait_for_function(
        "n => document.querySelector('remap-app')?.session?.live.last_seq >= n",
        arg=last_seq,
        timeout=60_000,
    )
    page.mouse.move(0, 0)
    page.wait_for_timeout(800)  # transitions and fade-ins end
    overview = page.locator("remap-app").locator("remap-overview canvas").first
    return page.evaluate(CLIENT_STATE), overview.screenshot(animations="disabled")


def _replayed(browser, server: Server, session: str, last_seq: int) -> tuple[str, bytes]:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/?session={session}")
        return _settled(page, last_seq)
    finally:
        context.close()
