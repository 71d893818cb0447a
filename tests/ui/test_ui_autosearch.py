"""Steering an automated search from the UI (issue 21): start an evolution search with a
parameter cap from the Queue tab, pause it, add two drawer models to its population,
resume it — each a command the real server records — and see its status and budget."""

from __future__ import annotations

import pytest

from .conftest import poll

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 60_000


def test_start_pause_add_drawer_models_resume(server, page, screenshot) -> None:
    session = server.new_session("auto search", sample=2, epochs=1, limit=300)
    server.wait_idle(session)
    server.post(f"/api/sessions/{session}/commands", {"type": "drawer_add", "models": ["m1", "m2"]})
    state = lambda: server.get(f"/api/sessions/{session}/state")  # noqa: E731
    page.set_viewport_size({"width": 1500, "height": 950})
    page.goto(f"{server.url}/?session={session}")
    page.wait_for_function(
        "() => { const a = document.querySelector('remap-app');"
        " return a && a.session && a.session.live.drawer.length === 2; }",
        timeout=WAIT_MS,
    )
    app = page.locator("remap-app")
    app.get_by_role("tab", name="Queue").click()
    panel = app.locator("remap-autosearch")
    panel.locator("select[name=strategy]").select_option("evolution")
    panel.locator("input[name=models]").fill("6")
    panel.locator("input[name=epochs]").fill("1")
    panel.locator("input[name=max_params]").fill("20000")
    panel.locator("[data-kind=tanh]").click()  # forbidden
    panel.get_by_role("button", name="Start search").click()

    record = poll(lambda: state()["auto_searches"].get("a1"), "the search started")
    assert record["spec"]["strategy"] == "evolution"
    assert record["spec"]["constraints"]["max_params"] == 20_000
    assert record["spec"]["constraints"]["forbid_kinds"] == ["tanh"]
    row = panel.locator("tbody[data-search=a1]")
    row.get_by_role("button", name="Pause").click()
    poll(lambda: state()["auto_searches"]["a1"]["status"] == "paused", "the search paused")
    row.locator("[data-status]").filter(has_text="paused").wait_for()

    row.locator("[data-add-drawer]").filter(has_text="Add 2 drawer models").click()
    poll(
        lambda: {"m1", "m2"} <= set(state()["auto_searches"]["a1"]["population"]),
        "the drawer models in its population",
    )
    row.locator("[data-add-drawer]").filter(has_text="Add 0 drawer models").wait_for()
    row.get_by_role("button", name="Resume").click()
    poll(lambda: state()["auto_searches"]["a1"]["status"] == "running", "the search resumed")
    row.locator("[data-budget]").filter(has_text="/ 6 models").wait_for()
    made = [m for m in state()["models"].values() if m["origin"]["type"] == "auto_search"]
    assert made
    assert all(m["params"] <= 20_000 for m in made)
    screenshot(panel, "autosearch")  # the panel alone (a locator screenshots itself)
    screenshot(page, "autosearch-app")
    server.post(f"/api/sessions/{session}/commands", {"type": "stop_auto_search", "search": "a1"})
