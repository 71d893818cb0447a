"""Issue 21's "done when", as a new user would: start an evolution search with a
parameter cap from the Queue tab, watch its proposals in the MAST view (a colour and a
legend entry of their own), pause it, add two drawer models to its population, resume
it and see new proposals land in the MAST view; constrained while paused (a kind more
forbidden), what it proposes after keeps to it. Each step is a command the real server
records; the panel's status and budget are folded from the log."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 60_000
# enough models that a pause sent as soon as the search shows lands before its last
# proposal, even on a loaded machine (5 one-epoch models could all be proposed first)
BUDGET = 12


def _shown(mast) -> int:
    """How many of a1's proposals the MAST view draws (its canvas's data-searches)."""
    text = mast.locator("canvas").get_attribute("data-searches") or ""
    return int(dict(p.split(":") for p in text.split(",") if p).get("a1", 0))


def test_start_watch_pause_add_drawer_models_resume(server, page, screenshot) -> None:
    session = server.new_session("auto search", sample=2, epochs=1, limit=300)
    server.wait_idle(session)
    server.post(f"/api/sessions/{session}/commands", {"type": "drawer_add", "models": ["m1", "m2"]})
    state = lambda: server.get(f"/api/sessions/{session}/state")  # noqa: E731
    page.set_viewport_size({"width": 1500, "height": 950})
    page.goto(f"{server.url}/?session={session}")
    app = page.locator("remap-app")
    app.get_by_role("tab", name="Queue").click()
    panel = app.locator("remap-autosearch")
    expect(panel.locator("[data-add-drawer]")).to_have_count(0)  # no search yet
    panel.locator("select[name=strategy]").select_option("evolution")
    panel.locator("input[name=models]").fill(str(BUDGET))
    panel.locator("input[name=epochs]").fill("40")  # seconds a model: the pause lands first
    panel.locator("input[name=max_params]").fill("20000")
    panel.locator("[data-kind=tanh]").click()  # forbidden
    panel.get_by_role("button", name="Start search").click()

    row = panel.locator("tbody[data-search=a1]")
    row.get_by_role("button", name="Pause").click(timeout=WAIT_MS)
    expect(row.locator("[data-status]")).to_have_text("paused", timeout=WAIT_MS)
    record = state()["auto_searches"]["a1"]
    assert record["spec"]["strategy"] == "evolution"
    assert record["spec"]["constraints"]["max_params"] == 20_000
    assert record["spec"]["constraints"]["forbid_kinds"] == ["tanh"]
    paused = server.wait_idle(session)  # what it proposed before the pause, trained
    before = [m for m in paused["models"].values() if m["origin"]["type"] == "auto_search"]
    assert 1 <= len(before) < BUDGET

    app.get_by_role("tab", name="MAST").click()
    mast = app.locator("remap-mast")
    legend = mast.locator("[data-search-legend=a1]")
    expect(legend).to_contain_text(f"a1 evolution ({len(before)})", timeout=WAIT_MS)
    screenshot(mast, "autosearch-mast-paused")

    app.get_by_role("tab", name="Queue").click()
    row.locator("[data-add-drawer]").filter(has_text="Add 2 drawer models").click()
    expect(row.locator("[data-add-drawer]")).to_have_text("Add 0 drawer models", timeout=WAIT_MS)
    assert {"m1", "m2"} <= set(state()["auto_searches"]["a1"]["population"])
    # steer the paused search: sigmoid forbidden too, the cap kept, from the same form
    panel.locator("[data-kind=sigmoid]").click()
    row.locator("[data-constrain]").click()
    expect(row).to_contain_text("no tanh, sigmoid", timeout=WAIT_MS)
    constraints = state()["auto_searches"]["a1"]["spec"]["constraints"]
    assert sorted(constraints["forbid_kinds"]) == ["sigmoid", "tanh"]
    assert constraints["max_params"] == 20_000
    row.get_by_role("button", name="Resume").click()
    expect(row.locator("[data-budget]")).to_contain_text(
        f"{BUDGET} / {BUDGET} models", timeout=WAIT_MS
    )
    screenshot(panel, "autosearch")  # the panel alone (a locator screenshots itself)

    app.get_by_role("tab", name="MAST").click()
    expect(legend).to_contain_text(f"a1 evolution ({BUDGET})", timeout=WAIT_MS)
    assert _shown(mast) == BUDGET  # the new proposals moved into the view
    done = server.wait_idle(session)
    made = [m for m in done["models"].values() if m["origin"]["type"] == "auto_search"]
    assert len(made) == BUDGET
    assert all(m["params"] <= 20_000 for m in made)
    kinds = lambda m: {layer["type"] for layer in m["arch"]["layers"]}  # noqa: E731
    after = [m for m in made if m["id"] not in {b["id"] for b in before}]
    assert after
    assert not any({"sigmoid", "tanh"} & kinds(m) for m in after)
    screenshot(page, "autosearch-app")
