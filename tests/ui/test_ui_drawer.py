"""<remap-drawer> in a real browser: models added by command show with their SNACs,
sort by any column and by a composite (accuracy per log10 parameters), select, tick
models to compare, and remove."""

from __future__ import annotations

import math
import time

import pytest
from playwright.sync_api import expect

from .conftest import mount

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROW_IDS = "el => [...el.shadowRoot.querySelectorAll('tbody tr')].map(tr => tr.dataset.id)"


def _open(server, page, session: str) -> None:
    mount(
        page,
        server,
        '<!doctype html><html><body style="margin:0;background:#eef0f3">'
        '<div style="width:700px;height:300px;margin:8px;background:#fff;border:1px solid #dde1e6;'
        'border-radius:6px;display:flex;flex-direction:column;overflow:hidden">'
        f'<remap-drawer style="flex:1;min-height:0" src="{server.events_url(session)}">'
        "</remap-drawer></div>"
        f'<script type="module" src="{server.url}/ui/remap.js"></script></body></html>',
    )


def _rows(page, n: int) -> None:
    page.wait_for_function(
        "n => { const d = document.querySelector('remap-drawer');"
        " return d && d.shadowRoot && d.shadowRoot.querySelectorAll('tbody tr').length === n; }",
        arg=n,
        timeout=30_000,
    )


def _order(page, expected: list[str]) -> None:
    page.wait_for_function(
        f"want => ({ROW_IDS})(document.querySelector('remap-drawer')).join() === want.join()",
        arg=expected,
    )


def _sort_of(button) -> str:
    return button.evaluate("b => b.closest('th').getAttribute('aria-sort')")


def test_drawer_shows_sorts_compares_and_removes(server, page, screenshot) -> None:
    session = server.new_session("drawer view", sample=4, epochs=1, limit=400)
    state = server.wait_idle(session)
    models = state["models"]
    ids = list(models)
    _open(server, page, session)
    drawer = page.locator("remap-drawer")
    drawer.get_by_text("No models in the drawer yet").wait_for()
    assert "overview" in drawer.locator(".empty").inner_text()

    server.post(f"/api/sessions/{session}/commands", {"type": "drawer_add", "models": ids})
    _rows(page, len(ids))
    assert drawer.evaluate(ROW_IDS) == ids  # the order they were added
    # every SNAC loads, in a box reserved before it does
    page.wait_for_function(
        "() => [...document.querySelector('remap-drawer').shadowRoot.querySelectorAll('tbody img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    boxes = drawer.evaluate(
        "el => [...el.shadowRoot.querySelectorAll('tbody img')]"
        ".map(i => [i.getBoundingClientRect().width, i.getBoundingClientRect().height])"
    )
    assert all(b == [160, 32] for b in boxes)
    src = drawer.locator("tbody img").first.get_attribute("src")
    assert "/snac.svg" in src
    assert "height=32" in src
    assert "layout=fixed" in src  # drawn at the box's size, not scaled down into it
    assert "width=160" in src
    screenshot(page, "drawer")

    # sort by params: best-first (descending), again: ascending
    params = drawer.get_by_role("button", name="Sort by Params")
    params.click()
    by_params = sorted(ids, key=lambda m: -models[m]["params"])
    _order(page, by_params)
    assert _sort_of(params) == "descending"
    params.click()
    _order(page, by_params[::-1])
    assert _sort_of(params) == "ascending"

    # the composite: test accuracy / log10 params, highest first
    drawer.get_by_role("button", name="Sort by acc / log₁₀ params").click()

    def score(m: str) -> float:
        return models[m]["result"]["test_acc"] / math.log10(models[m]["params"])

    _order(page, sorted(ids, key=lambda m: -score(m)))
    assert _sort_of(params) == "none"
    # the score shown is the same number
    best = sorted(ids, key=lambda m: -score(m))[0]
    assert drawer.locator(f'tr[data-id="{best}"] td.score').inner_text() == f"{score(best):.3f}"

    # tick to compare: ticks add up (issue 22: 2 to 8 models); untick one
    for m in ids[:3]:
        drawer.get_by_role("checkbox", name=f"Compare {m}").check()
    compare = "() => document.querySelector('remap-drawer').session.ui.compare"
    assert page.evaluate(compare) == ids[:3]
    drawer.get_by_role("checkbox", name=f"Compare {ids[0]}").uncheck()
    assert page.evaluate(compare) == ids[1:3]
    expect(drawer.get_by_role("checkbox", name=f"Compare {ids[0]}")).not_to_be_checked()

    # click a row: the model is selected and the page is asked to show the inspector
    page.evaluate(
        "() => { window.shown = []; document.addEventListener('remap-show',"
        " e => window.shown.push(e.detail.tab)); }"
    )
    drawer.locator(f'tr[data-id="{ids[0]}"] td.id').click()
    assert (
        page.evaluate("() => document.querySelector('remap-drawer').session.ui.selected") == ids[0]
    )
    assert page.evaluate("() => window.shown") == ["inspect"]
    expect(drawer.locator(f'tr[data-id="{ids[0]}"]')).to_have_attribute("aria-selected", "true")
    screenshot(page, "drawer-sorted")

    # remove one: the server's drawer loses it, and so does the view
    drawer.get_by_role("button", name=f"Remove {ids[1]} from the drawer").click()
    deadline = time.monotonic() + 30
    while ids[1] in server.get(f"/api/sessions/{session}/state")["drawer"]:
        assert time.monotonic() < deadline, "the drawer_remove never reached the log"
        time.sleep(0.1)
    _rows(page, len(ids) - 1)
    assert page.evaluate("() => document.querySelector('remap-drawer').session.ui.compare") == [
        ids[2]
    ]
