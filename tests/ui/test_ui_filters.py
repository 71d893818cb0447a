"""The filter of the overview and the drawer in the app (issue 22): a filter in the URL
applies on load (shareable), Hide leaves the other models out of both views and Dim
fades them in both; chips come off by keyboard; every change is a step back / forward
goes through, and a reload keeps it; a part of the URL that cannot be read is said in
words while the rest applies (not a blank page)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

APP = "document.querySelector('remap-app')"
DRAWER = f"{APP}.shadowRoot.querySelector('remap-drawer')"
DRAWER_ROWS = f"() => [...{DRAWER}.shadowRoot.querySelectorAll('tbody tr')]"
OVERVIEW = f"{APP}.shadowRoot.querySelector('remap-overview')"


def _split(models: dict) -> tuple[str, set[str]]:
    """A filter that some trained models meet and some do not, and the ids that meet it:
    a layer kind some architectures have, else a depth."""
    kinds = {m: {layer["type"] for layer in models[m]["arch"]["layers"]} for m in models}
    for kind in ["dropout", "batchnorm", "avgpool", "maxpool", "tanh", "sigmoid", "conv"]:
        having = {m for m in models if kind in kinds[m]}
        if 0 < len(having) < len(models):
            return f"has:{kind}", having
    depths = sorted(len(models[m]["arch"]["layers"]) for m in models)
    cut = depths[len(depths) // 2]
    having = {m for m in models if len(models[m]["arch"]["layers"]) >= cut}
    assert 0 < len(having) < len(models), "the sample's models are all alike"
    return f"depth:>={cut}", having


def _rows(page) -> list[tuple[str, bool]]:
    return page.evaluate(
        f"() => ({DRAWER_ROWS})().map(tr => [tr.dataset.id, tr.classList.contains('filtered-out')])"
    )


def _wait_rows(page, n: int) -> None:
    page.wait_for_function(f"n => ({DRAWER_ROWS})().length === n", arg=n, timeout=30_000)


def test_a_filter_in_the_url_applies_goes_back_and_survives_a_reload(
    server, page, screenshot
) -> None:
    session = server.new_session("filters", sample=6, epochs=1, limit=300, seed=3)
    models = server.wait_idle(session)["models"]
    server.post(f"/api/sessions/{session}/commands", {"type": "drawer_add", "models": list(models)})
    text, having = _split(models)
    others = set(models) - having

    # a shared link: the filter and Hide come with it
    page.goto(f"{server.url}/?session={session}#filter={quote(text)}&filtered=hide")
    bar = page.locator("remap-filter-bar")
    expect(bar.locator("li.chip")).to_have_count(1)
    expect(bar.locator("li.chip")).to_have_attribute("data-clause", text)
    _wait_rows(page, len(having))
    assert {m for m, _ in _rows(page)} == having
    expect(bar.locator("[data-count]")).to_have_text(f"{len(having)} of {len(models)} models match")
    page.wait_for_function(f"n => {OVERVIEW}.stats.models === n", arg=len(having))
    hidden = next(iter(others))
    assert page.evaluate(f"id => {OVERVIEW}.pointOf(id)", hidden) is None
    screenshot(page, "filters-hide")

    # Dim: every model back in both views, the others faded
    bar.get_by_role("button", name="Dim", exact=True).click()
    _wait_rows(page, len(models))
    assert {m for m, out in _rows(page) if out} == others
    page.wait_for_function(f"n => {OVERVIEW}.stats.dimmed === n", arg=len(others))
    assert "filtered=hide" not in page.url
    screenshot(page, "filters-dim")

    # the chip comes off from the keyboard
    remove = bar.locator("li.chip").get_by_role("button", name="Remove filter")
    remove.focus()
    page.keyboard.press("Enter")
    expect(bar.locator("li.chip")).to_have_count(0)
    assert "filter=" not in page.url
    page.wait_for_function(f"() => {OVERVIEW}.stats.dimmed === 0")

    # back: the filter (dimmed), back again: hidden; forward walks the other way
    page.go_back()
    expect(bar.locator("li.chip")).to_have_count(1)
    page.wait_for_function(f"n => {OVERVIEW}.stats.dimmed === n", arg=len(others))
    page.go_back()
    _wait_rows(page, len(having))
    page.go_forward()
    _wait_rows(page, len(models))

    # typed: what reads is added (AND), what does not stays typed with the reason
    field = bar.locator("input")
    field.fill("status:done bogus:1")
    field.press("Enter")
    expect(bar.locator("li.chip")).to_have_count(2)
    expect(bar.get_by_role("alert")).to_contain_text("bogus")
    expect(field).to_have_value("bogus:1")
    assert "status%3Adone" in page.url

    # a reload shows the same
    page.reload()
    expect(page.locator("remap-filter-bar li.chip")).to_have_count(2)
    _wait_rows(page, len(models))
    assert {m for m, out in _rows(page) if out} == others


def test_a_filter_in_the_url_that_cannot_be_read_is_said_and_the_rest_applies(
    server, page, screenshot
) -> None:
    session = server.new_session("bad filter", sample=2, epochs=1, limit=300)
    page.goto(f"{server.url}/?session={session}#filter={quote('depth:abc status:done')}")
    bar = page.locator("remap-filter-bar")
    alert = bar.get_by_role("alert")
    expect(alert).to_contain_text("The filter in this page's URL has a part REMAP cannot read")
    expect(alert).to_contain_text("depth:abc")
    expect(alert).to_contain_text("depth takes a number (20k, 1.5M) or a range")
    expect(bar.locator("li.chip")).to_have_count(1)  # status:done applies
    expect(page.locator("remap-app header")).to_contain_text("bad filter")  # the page is there
    screenshot(page, "filters-bad-url")
    alert.get_by_role("button", name="Drop it").click()
    expect(alert).to_be_empty()
    assert "abc" not in page.url
    assert "status%3Adone" in page.url
