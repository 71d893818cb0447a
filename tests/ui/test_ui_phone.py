"""The app on a phone (issue 22; REMAP paper §8.3): at 390 × 844 with touch, <remap-app>
is a read-only dashboard — progress, the best models so far with their SNACs, the queue
and the automated search's best so far — with nothing that edits, every tap target at
least 44 px high, nothing wider than the screen, and a model's details a tap away."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    """A page the size of a phone held upright, with touch; errors fail the test."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, has_touch=True, is_mobile=True
    )
    p = context.new_page()
    problems: list[str] = []
    p.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    p.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        yield p
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def _last_val(m: dict) -> float:
    return m["curve"][-1]["val_acc"]


def test_a_phone_gets_a_read_only_dashboard_usable_by_touch(server, phone, screenshot) -> None:
    session = server.new_session("on the go", sample=4, epochs=1, limit=300, seed=5)
    commands = f"/api/sessions/{session}/commands"
    server.post(
        commands, {"type": "start_auto_search", "strategy": "random", "models": 2, "epochs": 1}
    )
    server.wait_idle(session)
    server.post(commands, {"type": "pause_queue"})
    server.post(commands, {"type": "sample", "count": 3})  # they wait: the queue is paused
    state = server.get(f"/api/sessions/{session}/state")
    done = [m for m in state["models"].values() if m["status"] == "done"]
    best = sorted(done, key=_last_val, reverse=True)
    proposals = [m for m in done if m["origin"]["type"] == "auto_search"]
    assert proposals, "the search proposed nothing"

    phone.goto(f"{server.url}/?session={session}")
    board = phone.locator("remap-dashboard")
    expect(board.locator("[data-tile=done] b")).to_have_text(str(len(done)))
    expect(board.locator("[data-tile=queued] b")).to_have_text("3")
    expect(board.locator("li.model")).to_have_count(min(5, len(done)))
    expect(board.locator("li.model").first).to_have_attribute("data-model", best[0]["id"])
    expect(board.locator("[data-queued]")).to_have_count(3)
    expect(board).to_contain_text("queue paused")
    top = max(proposals, key=_last_val)["id"]
    expect(board.locator("[data-search-best]")).to_have_attribute("data-search-best", top)
    expect(board.locator("[data-search] [data-status]")).to_have_text("done")  # its budget is spent
    phone.wait_for_function(
        "() => [...document.querySelector('remap-app').shadowRoot.querySelector('remap-dashboard')"
        ".shadowRoot.querySelectorAll('snac-chip')].every(c => {"
        " const i = c.shadowRoot.querySelector('img');"
        " return i && i.complete && i.naturalWidth > 0; })"
    )

    # read-only: none of the tool's editing views or fields, only the cards' taps
    app = phone.locator("remap-app")
    for tag in [
        "remap-generate",
        "remap-drawer",
        "remap-queue",
        "remap-filter-bar",
        "remap-autosearch",
    ]:
        expect(app.locator(tag)).to_have_count(0)
    expect(board.locator("input, select, textarea")).to_have_count(0)
    taps = board.locator("button")
    assert taps.count() == min(5, len(done))
    assert all(
        h >= 44 for h in taps.evaluate_all("bs => bs.map(b => b.getBoundingClientRect().height)")
    )
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "phone-dashboard", full_page=True)

    # a tap shows the model's figures in place (no hover needed)
    card = board.locator("li.model").first
    card.locator("button").tap()
    expect(card.locator("button")).to_have_attribute("aria-expanded", "true")
    expect(card.locator("dl.details")).to_contain_text("test acc")
    expect(card.locator("dl.details")).to_contain_text(f"{best[0]['params']:,}")
    screenshot(phone, "phone-dashboard-details")
    card.locator("button").tap()
    expect(card.locator("dl.details")).to_have_count(0)
