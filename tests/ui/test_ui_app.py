"""<remap-app> in a real browser: the page opens the newest session and every view
receives the same live events."""

from __future__ import annotations

import pytest

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
