"""<remap-inspector> in a real browser on a real server: one model (curves, per-class
bars, confusion matrix and its example popover), then two compared side by side."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import mount_in_panel

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PANEL = 620  # about the width of the tabs panel of <remap-app> at 1440×900
ROOT = "document.querySelector('remap-inspector')"


def put_on_page(page, server, session: str) -> None:
    # an HTML page of the same origin (a JSON document, e.g. /api/openapi.json, does not
    # upgrade custom elements written into it)
    mount_in_panel(page, server, "remap-inspector", session, PANEL)


def test_inspector_shows_a_model_and_compares_two(server, page, screenshot) -> None:
    session = server.new_session("inspect", sample=3, epochs=2, limit=500)
    state = server.wait_idle(session)
    models = sorted(
        (m for m in state["models"].values() if m["status"] == "done"),
        key=lambda m: m["result"]["test_acc"],
    )
    assert len(models) >= 2
    names = state["class_names"]
    put_on_page(page, server, session)
    page.wait_for_function(
        f"() => {ROOT}?.session?.live.models.size === 3"
        f" && [...{ROOT}.session.live.models.values()].every(m => m.status === 'done')"
    )
    inspector = page.locator("remap-inspector")
    inspector.get_by_text("No model selected").wait_for()
    assert inspector.locator(".picks button").count() == min(3, len(models))
    screenshot(page, "inspector-empty", full_page=True)

    worst = models[0]  # the most errors: its matrix has confusions to hover
    page.evaluate(f"{ROOT}.session.select('{worst['id']}')")
    card = inspector.locator(f"article[data-model='{worst['id']}']")
    card.locator("svg.chart").first.wait_for()
    assert card.locator("svg.chart").count() == 2  # loss, accuracy
    assert card.locator("svg.chart polyline").count() == 4  # train and validation in each
    dashed = card.locator("svg.chart polyline[stroke-dasharray]").count()
    assert dashed == 2  # validation is dashed as well as coloured
    assert card.locator("svg.chart circle").count() == 4 * len(worst["curve"])
    bars = card.locator(".bar-row")
    assert bars.count() == len(names)
    assert bars.locator(".bar-name").all_inner_texts() == names
    counts = card.locator(".cell").evaluate_all("cells => cells.map(c => +c.dataset.count)")
    assert len(counts) == len(names) ** 2
    assert sum(counts) == state["split"]["test"]
    assert card.locator(".cm").get_attribute("data-total") == str(state["split"]["test"])
    snac = card.locator("img[alt^='SNAC of']").first
    assert snac.evaluate("i => i.decode().then(() => i.naturalWidth)") > 0

    # hover a confusion: up to 8 of its test images appear
    confusion = worst["result"]["confusion"]
    r, c = max(
        ((r, c) for r in range(len(names)) for c in range(len(names)) if r != c),
        key=lambda rc: confusion[rc[0]][rc[1]],
    )
    assert confusion[r][c] > 0, "a 2-epoch model on 500 digits makes mistakes"
    card.locator(f".cell[data-r='{r}'][data-c='{c}']").hover()
    images = card.locator(".popover img")
    images.first.wait_for()
    assert images.count() == min(8, confusion[r][c])
    page.wait_for_function(
        f"() => [...{ROOT}.shadowRoot.querySelectorAll('.popover img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert f"true {names[r]}" in card.locator(".popover").inner_text()
    screenshot(page, "inspector-model", full_page=True)

    # the keyboard: focus a cell, move with the arrows; the popover follows
    page.mouse.move(PANEL + 200, 5)
    card.locator(".popover").wait_for(state="detached")
    card.locator(".cell[tabindex='0']").focus()
    page.keyboard.press("ArrowDown")
    focused = page.evaluate(f"{ROOT}.shadowRoot.activeElement.dataset.r")
    assert focused == "1"
    card.locator(".popover").wait_for()
    page.keyboard.press("Escape")
    card.locator(".popover").wait_for(state="detached")

    # curves by wall time
    inspector.get_by_role("button", name="wall time").click()
    expect(inspector.get_by_role("button", name="wall time")).to_have_attribute(
        "aria-pressed", "true"
    )
    card.locator("svg.chart text", has_text="wall time").first.wait_for()

    # compare mode: two cards side by side, the second with deltas against the first
    a, b = models[-1]["id"], models[0]["id"]
    page.evaluate(f"{ROOT}.session.setCompare(['{a}', '{b}'])")
    inspector.locator(".toolbar .title", has_text="Comparing").wait_for()
    cards = inspector.locator("article.card")
    assert cards.count() == 2
    boxes = [cards.nth(k).bounding_box() for k in range(2)]
    assert boxes[0]["x"] < boxes[1]["x"]  # side by side
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2
    assert boxes[1]["x"] + boxes[1]["width"] <= PANEL + 12 + 10  # within the panel
    assert cards.nth(1).locator("dd small[title]").count() >= 1
    for k in range(2):
        assert cards.nth(k).locator(".cell").count() == len(names) ** 2
    screenshot(page, "inspector-compare", full_page=True)
    inspector.get_by_role("button", name="Stop comparing").click()
    inspector.locator("article.card").nth(1).wait_for(state="detached")
    inspector.locator(f"article[data-model='{worst['id']}']").wait_for()  # the selection again
