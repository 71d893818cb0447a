"""<remap-mast> in a real browser on a session REMAP trained (tiny): one curve per
model, a rectangle brushed over them puts them into the drawer, hover shows the chip,
and the k control changes the rolling band."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import _get, mount

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CANVAS = "document.querySelector('remap-mast').shadowRoot.querySelector('canvas')"


def _open(server, page, session: str, w: int, h: int) -> None:
    page.set_viewport_size({"width": w, "height": h})
    mount(
        page,
        server,
        '<!doctype html><html><body style="margin:0;background:#fff">'
        f'<div style="width:{w - 20}px;height:{h - 20}px;margin:10px;'
        'display:flex;flex-direction:column">'
        f'<remap-mast style="flex:1" src="{server.events_url(session)}"></remap-mast></div>'
        f'<script type="module" src="{server.url}/ui/remap.js"></script></body></html>',
    )


def test_mast_curves_brush_hover_and_k(server, page, screenshot) -> None:
    session = server.new_session("mast view", sample=4, epochs=2, limit=400)
    state = server.wait_idle(session)
    trained = [m for m, v in state["models"].items() if v["curve"]]
    _open(server, page, session, 1280, 720)
    page.wait_for_function(f"{CANVAS}?.dataset.curves === '{len(trained)}'", timeout=30_000)
    band = page.evaluate(f"{CANVAS}.dataset.band")
    mast = page.locator("remap-mast")
    mast.locator("[data-k]").fill("1")
    page.wait_for_function(f"{CANVAS}.dataset.band !== {band!r}")
    assert set(page.evaluate(f"{CANVAS}.dataset.band").split(",")) == {"0.0000"}  # k=1: no spread
    screenshot(page, "mast-1280x720")
    # hover a curve's first epoch point: its chip shows
    box = mast.locator("canvas").bounding_box()
    point = page.evaluate(
        "() => { const m = document.querySelector('remap-mast'); const c = m.curves[0];"
        " return [m._sc.sx(c.xs[1]), m._sc.sy(c.ys[1]), c.id]; }"
    )
    page.mouse.move(box["x"] + point[0], box["y"] + point[1])
    expect(mast.locator("[data-card] snac-chip")).to_have_attribute("model", point[2])
    # brush the whole plot: every trained model goes into the drawer
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] - 2, steps=5)
    page.mouse.up()
    url = server.url + f"/api/sessions/{session}/state"
    for _ in range(300):  # the command round trip on a busy machine: up to 30 s
        if set(_get(url)["drawer"]) >= set(trained):
            break
        page.wait_for_timeout(100)
    assert set(_get(url)["drawer"]) >= set(trained)
    mast.locator("[data-by-epoch]").check()
    _open(server, page, session, 1920, 1080)
    page.wait_for_function(f"{CANVAS}?.dataset.curves === '{len(trained)}'", timeout=30_000)
    screenshot(page, "mast-1920x1080")
