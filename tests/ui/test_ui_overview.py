"""<remap-overview> in a real browser on a small trained session: it draws every model,
switches projections through the log, hovers, clicks and brushes into the drawer,
zooms, pans and resets, and moves a keyboard focus between models."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 60_000


def _open(page, server, session: str) -> None:
    """A page of the server's origin holding only <remap-overview> (served by
    Playwright: the server has no such page)."""
    body = (
        '<!doctype html><html><body style="margin:0">'
        "<style>remap-overview{height:620px;width:960px}</style>"
        f'<remap-overview src="{server.events_url(session)}"></remap-overview>'
        '<script type="module" src="/ui/remap.js"></script></body></html>'
    )
    url = server.url + "/overview-view-test.html"
    page.route(url, lambda route: route.fulfill(body=body, content_type="text/html"))
    page.goto(url)


def _stats(page) -> dict:
    return page.evaluate("() => document.querySelector('remap-overview').stats")


def _point(page, model: str) -> dict:
    return page.evaluate("id => document.querySelector('remap-overview').pointOf(id)", model)


def _wait_projection(page, server, session: str, projection: str) -> None:
    page.wait_for_function(
        "p => { const s = document.querySelector('remap-overview').stats;"
        " return s.projection === p && !s.animating; }",
        arg=projection,
        timeout=WAIT_MS,
    )
    assert server.get(f"/api/sessions/{session}/state")["view"]["projection"] == projection


def _wait_drawn(page, n: int) -> None:
    page.wait_for_function(
        "n => { const s = document.querySelector('remap-overview')?.stats;"
        " return s && s.drawn === n && !s.animating; }",
        arg=n,
        timeout=WAIT_MS,
    )


def _drawer(server, session: str) -> list[str]:
    return server.get(f"/api/sessions/{session}/state")["drawer"]


@pytest.fixture(scope="module")
def trained(server) -> tuple[str, dict]:
    session = server.new_session("overview", sample=4, epochs=1, limit=400)
    state = server.wait_idle(session)
    # the embeddings follow the training; wait until every finished model is placed
    done = [m for m, v in state["models"].items() if v["status"] == "done"]
    for _ in range(300):
        state = server.get(f"/api/sessions/{session}/state")
        emb = state.get("embeddings", {})
        if all(len(emb.get(p, {})) >= len(done) for p in ("structure", "predictions")):
            break
        time.sleep(0.2)
    return session, state


def test_overview_draws_toggles_and_interacts(server, page, screenshot, trained) -> None:
    session, state = trained
    models = [m for m, v in state["models"].items() if v["status"] == "done"]
    assert len(models) >= 3
    _open(page, server, session)
    overview = page.locator("remap-overview")
    page.wait_for_function(
        "n => { const s = document.querySelector('remap-overview')?.stats;"
        " return s && s.drawn === n; }",
        arg=len(state["models"]),
        timeout=WAIT_MS,
    )
    canvas = overview.locator("canvas.main")
    label = canvas.get_attribute("aria-label")
    assert f"{len(state['models'])} models, projection accuracy" in label
    assert canvas.get_attribute("tabindex") == "0"
    assert overview.get_by_role("button", name="Accuracy").get_attribute("aria-pressed") == "true"
    screenshot(page, "overview-accuracy")

    # the timeline cursor: the state as it was (a fresh fold), then live again
    early = page.evaluate(
        "() => document.querySelector('remap-overview').session.envelopes"
        ".filter((e) => e.event.kind === 'model_created')[1].seq"
    )
    page.evaluate("s => document.querySelector('remap-overview').session.setCursor(s)", early)
    _wait_drawn(page, 2)
    assert "2 models" in canvas.get_attribute("aria-label")
    page.evaluate("() => document.querySelector('remap-overview').session.setCursor(null)")
    _wait_drawn(page, len(state["models"]))

    # every projection, through the log
    for name, projection in [
        ("Structure", "structure"),
        ("Predictions", "predictions"),
        ("Search", "search"),
        ("Accuracy", "accuracy"),
    ]:
        overview.get_by_role("button", name=name, exact=True).click()
        _wait_projection(page, server, session, projection)
        assert (
            overview.get_by_role("button", name=name, exact=True).get_attribute("aria-pressed")
            == "true"
        )
        assert _stats(page)["drawn"] >= len(models)
        if projection != "accuracy":
            screenshot(page, f"overview-{projection}")

    # the search view's k control changes the rolling window
    overview.get_by_role("button", name="Search", exact=True).click()
    _wait_projection(page, server, session, "search")
    k = overview.get_by_label("Rolling window k")
    k.fill("3")
    k.press("Enter")
    overview.get_by_text("mean ± sd of the last 3").wait_for()
    overview.get_by_role("button", name="Accuracy", exact=True).click()
    _wait_projection(page, server, session, "accuracy")

    # hover: the tooltip names the model and shows its SNAC
    target = models[0]
    at = _point(page, target)
    page.mouse.move(at["x"], at["y"])
    tip = overview.get_by_role("tooltip")
    tip.wait_for()
    assert target in tip.inner_text()
    img = tip.locator("img")
    assert f"/models/{target}/snac.svg" in img.get_attribute("src")
    page.wait_for_function(
        "() => { const i = document.querySelector('remap-overview').shadowRoot"
        ".querySelector('.tip img'); return i && i.complete && i.naturalWidth > 0; }",
        timeout=WAIT_MS,
    )
    assert (
        page.evaluate("() => document.querySelector('remap-overview').session.ui.hover") == target
    )
    screenshot(page, "overview-hover")

    # click: into the drawer, and selected
    page.mouse.click(at["x"], at["y"])
    page.wait_for_function(
        "id => document.querySelector('remap-overview').session.live.drawer.includes(id)",
        arg=target,
        timeout=WAIT_MS,
    )
    assert target in _drawer(server, session)
    assert (
        page.evaluate("() => document.querySelector('remap-overview').session.ui.selected")
        == target
    )

    # brush: shift-drag around the whole plot, then add all
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 54, box["y"] + 14)
    page.keyboard.down("Shift")
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=4)
    page.mouse.move(box["x"] + box["width"] - 16, box["y"] + box["height"] - 42, steps=4)
    page.mouse.up()
    page.keyboard.up("Shift")
    brushbar = overview.get_by_role("region", name="Brushed models")
    brushbar.get_by_text(f"{len(state['models'])} selected").wait_for()
    screenshot(page, "overview-brush")
    brushbar.get_by_role("button", name="Add all to drawer").click()
    page.wait_for_function(
        "n => document.querySelector('remap-overview').session.live.drawer.length === n",
        arg=len(state["models"]),
        timeout=WAIT_MS,
    )
    assert set(_drawer(server, session)) == set(state["models"])

    # zoom around the cursor, pan by dragging, reset
    before = _point(page, target)
    reset = overview.get_by_role("button", name="Reset zoom")
    assert reset.is_disabled()
    page.mouse.move(before["x"], before["y"])
    canvas.dispatch_event("wheel", {"deltaY": -600, "clientX": before["x"], "clientY": before["y"]})
    page.wait_for_function(
        "() => document.querySelector('remap-overview').stats.zoom > 1.5", timeout=WAIT_MS
    )
    zoomed = _point(page, target)
    # the point under the cursor stays (nearly) where it was
    assert abs(zoomed["x"] - before["x"]) < 3
    assert abs(zoomed["y"] - before["y"]) < 3
    expect(overview.locator("canvas.mini")).to_be_visible()  # drawn on the next render
    screenshot(page, "overview-zoomed")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 + 30, steps=5)
    page.mouse.up()
    panned = _point(page, target)
    assert panned != zoomed
    reset.click()
    page.wait_for_function(
        "() => document.querySelector('remap-overview').stats.zoom === 1", timeout=WAIT_MS
    )
    restored = _point(page, target)
    assert abs(restored["x"] - before["x"]) < 0.5
    assert abs(restored["y"] - before["y"]) < 0.5

    # keyboard: focus the canvas, move between models, Enter adds the focused one
    server.post(
        f"/api/sessions/{session}/commands",
        {"type": "drawer_remove", "models": list(state["models"])},
    )
    page.wait_for_function(
        "() => document.querySelector('remap-overview').session.live.drawer.length === 0",
        timeout=WAIT_MS,
    )
    canvas.focus()
    canvas.press("ArrowRight")
    page.wait_for_function(
        "() => /focused m\\d+/.test(document.querySelector('remap-overview')"
        ".shadowRoot.querySelector('canvas.main').getAttribute('aria-label'))",
        timeout=WAIT_MS,
    )
    first = canvas.get_attribute("aria-label").split("focused ")[1]
    seen = {first}
    for key in ["ArrowRight", "ArrowUp", "ArrowLeft", "ArrowDown", "ArrowRight"]:
        canvas.press(key)
        seen.add(canvas.get_attribute("aria-label").split("focused ")[1])
    assert len(seen) >= 2  # the focus moved between models
    canvas.press("Enter")
    # the model focused when Enter landed (the label can trail the last arrow key by a
    # frame on a busy machine, so it is read when the drawer is checked)
    page.wait_for_function(
        "() => { const o = document.querySelector('remap-overview');"
        " const label = o.shadowRoot.querySelector('canvas.main').getAttribute('aria-label');"
        " const id = (label.match(/focused (m\\d+)/) || [])[1];"
        " return !!id && o.session.live.drawer.includes(id); }",
        timeout=WAIT_MS,
    )
    canvas.press("+")
    assert _stats(page)["zoom"] > 1
    canvas.press("-")
    assert _stats(page)["zoom"] == pytest.approx(1)
