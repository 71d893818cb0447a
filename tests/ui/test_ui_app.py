"""<remap-app> in a real browser: the page opens the newest session and every view
receives the same live events."""

from __future__ import annotations

import socket

import pytest

from .conftest import VIEWPORT, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_app_opens_the_session_and_follows_it_live(server, page, screenshot) -> None:
    session = server.new_session("app smoke", sample=3, epochs=1)
    page.goto(f"{server.url}/?session={session}")
    header = page.locator("remap-app header")
    header.get_by_text("app smoke").wait_for()
    page.wait_for_function(
        "() => { const a = document.querySelector('remap-app');"
        " return a && a.session.live.models.size === 3; }"
    )
    server.wait_idle(session)
    page.locator("remap-app header").get_by_text("3 trained").wait_for()
    screenshot(page, "app")


HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def test_names_from_the_data_are_text_never_markup(server, page) -> None:
    session = server.new_session(HOSTILE, sample=1, epochs=1)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{server.url}/?session={session}")
    app = page.locator("remap-app")
    app.locator("header").get_by_text(HOSTILE, exact=True).wait_for()
    server.wait_idle(session)
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__pwned") is None
    assert app.locator("header img").count() == 0
    assert dialogs == []


FOLDED = "n => document.querySelector('remap-app').session.live.last_seq >= n"


def test_a_view_resumes_after_the_server_restarts(browser, ui_bundle, tmp_path) -> None:
    """The stream drops when the server goes; the view reconnects with Last-Event-ID
    and gets what the restarted server appends, nothing twice and nothing lost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    first = start_server(tmp_path, "--port", str(port))
    page = browser.new_context(viewport=VIEWPORT).new_page()
    try:
        session = first.new_session("resume", sample=1, epochs=1)
        page.goto(f"{first.url}/?session={session}")
        last = first.wait_idle(session)["last_seq"]
        page.wait_for_function(FOLDED, arg=last)
        stop_server(first)
        page.locator("remap-app header").get_by_text("reconnecting").wait_for()
        second = start_server(tmp_path, "--port", str(port))
        try:
            second.post(f"/api/sessions/{session}/commands", {"type": "sample", "count": 1})
            final = second.wait_idle(session)["last_seq"]
            page.wait_for_function(FOLDED, arg=final)
            seqs = page.evaluate(
                "() => document.querySelector('remap-app').session.envelopes.map(e => e.seq)"
            )
            assert seqs == list(range(1, final + 1))
            page.locator("remap-app header").get_by_text("live", exact=True).wait_for()
        finally:
            stop_server(second)
    finally:
        page.context.close()
