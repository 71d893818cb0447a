"""<remap-classes> in a real browser on a real server: every class with example images,
and picking one changes the session's view (what the overview shades by)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from .conftest import mount_in_panel

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PANEL = 620
ROOT = "document.querySelector('remap-classes')"


def wait_view(server, session: str, selected) -> dict:
    deadline = time.monotonic() + 30
    while True:
        view = server.get(f"/api/sessions/{session}/state")["view"]
        if view["selected_class"] == selected:
            return view
        if time.monotonic() > deadline:
            pytest.fail(f"view.selected_class is {view['selected_class']}, not {selected}")
        time.sleep(0.1)


def test_classes_show_examples_and_pick_a_class(server, page, screenshot) -> None:
    session = server.new_session("classes", sample=2, epochs=1, limit=400)
    state = server.wait_idle(session)
    names = state["class_names"]
    mount_in_panel(page, server, "remap-classes", session, PANEL)
    view = page.locator("remap-classes")
    buttons = view.locator("button.cls")
    buttons.first.wait_for()
    assert buttons.count() == len(names)
    assert buttons.locator(".name b").all_inner_texts() == names
    page.wait_for_function(
        f"() => {{ const imgs = [...{ROOT}.shadowRoot.querySelectorAll('button.cls img')];"
        f" return imgs.length === {6 * len(names)}"
        " && imgs.every(i => i.complete && i.naturalWidth > 0); }"
    )
    split = state["split"]
    about = view.locator(".about").inner_text()
    for n in (split["train"], split["val"], split["test"]):
        assert str(n) in about
    assert "Digits" in about
    every = view.get_by_role("button", name="All classes", exact=True)
    expect(every).to_have_attribute("aria-pressed", "true")
    view.locator("button.cls .meta .acc", has_text="best").first.wait_for()  # models trained
    screenshot(page, "classes", full_page=True)

    buttons.nth(3).click()
    assert wait_view(server, session, 3)["projection"] == "accuracy"
    page.wait_for_function(
        f"() => {ROOT}.shadowRoot.querySelector('button.cls[data-class=\"3\"]')"
        ".getAttribute('aria-pressed') === 'true'"
    )
    expect(every).to_have_attribute("aria-pressed", "false")
    screenshot(page, "classes-selected", full_page=True)

    buttons.nth(3).click()  # again: back to all classes
    wait_view(server, session, None)
    buttons.nth(7).click()
    wait_view(server, session, 7)
    every.click()
    wait_view(server, session, None)
    page.wait_for_function(
        f"() => !{ROOT}.shadowRoot.querySelector('button.cls[aria-pressed=\"true\"]')"
    )
