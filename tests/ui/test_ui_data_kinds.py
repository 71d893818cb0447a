"""Issue 19 in a real browser: the Data tab of a session on an image folder (RGB,
non-square PNGs this test writes) shows each class's examples at their own aspect; the
parameter cap set from Generate holds for the session, and the overview hides the
models over it (a choice kept in the page's URL)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from .conftest import mount_in_panel

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = "document.querySelector('remap-classes')"
WAIT_MS = 60_000


def _pets(root) -> None:
    """Three classes of 14 RGB PNGs, 12 high × 20 wide, each class its own colour."""
    colours = {"cat": (230, 120, 40), "bird": (40, 160, 230), "fish": (90, 200, 90)}
    for label, (name, colour) in enumerate(colours.items()):
        (root / name).mkdir(parents=True)
        for k in range(14):
            rng = np.random.default_rng([label, k])
            pixels = (rng.random((12, 20, 1)) * np.array(colour)).astype(np.uint8)
            pixels[(k % 10) : (k % 10) + 2, :] = 255  # a white bar, so examples differ
            Image.fromarray(pixels).save(root / name / f"{name}-{k:02d}.png")


def test_the_data_tab_shows_an_rgb_image_folder(server, page, screenshot) -> None:
    _pets(server.data_dir / "pets")
    body = {
        "name": "pets",
        "data": {"kind": "image_folder", "path": "pets"},
        "settings": {"train": {"epochs": 1}},
        "sample": 2,
    }
    session = server.post("/api/sessions", body)["session"]
    state = server.get(f"/api/sessions/{session}/state")
    assert state["input"]["shape"] == [3, 12, 20]
    mount_in_panel(page, server, "remap-classes", session)
    view = page.locator("remap-classes")
    view.locator("button.cls").first.wait_for()
    assert view.locator("button.cls .name b").all_inner_texts() == ["bird", "cat", "fish"]
    page.wait_for_function(
        f"() => {{ const imgs = [...{ROOT}.shadowRoot.querySelectorAll('button.cls img')];"
        " return imgs.length === 18 && imgs.every(i => i.complete && i.naturalWidth > 0); }"
    )
    sizes = page.evaluate(
        f"() => [...{ROOT}.shadowRoot.querySelectorAll('button.cls img')]"
        ".map(i => [i.naturalWidth, i.naturalHeight, getComputedStyle(i).objectFit])"
    )
    assert {tuple(s) for s in sizes} == {(40, 24, "contain")}  # 20×12 doubled, not squashed
    # the browser decoded colour: a cat example is orange (red over blue)
    colour = page.evaluate(
        f"""() => {{
          const img = {ROOT}.shadowRoot.querySelector('button.cls[data-class="1"] img');
          const c = document.createElement('canvas'); c.width = 40; c.height = 24;
          const g = c.getContext('2d'); g.drawImage(img, 0, 0);
          const d = g.getImageData(0, 0, 40, 24).data; let r = 0, b = 0;
          for (let i = 0; i < d.length; i += 4) {{ r += d[i]; b += d[i + 2]; }}
          return [r, b];
        }}"""
    )
    assert colour[0] > 2 * colour[1]
    expect(view.locator(".about .kind")).to_contain_text("Image folder pets")
    expect(view.locator(".about")).to_contain_text("3×12×20")
    server.wait_idle(session)
    screenshot(page, "classes-image-folder", full_page=True)


def _mount_generate(page, server, session: str) -> None:
    body = (
        '<!doctype html><html><body style="margin:0;background:#eef0f3;font-family:sans-serif">'
        '<div style="width:620px;height:700px;overflow:auto;margin:5px;padding:8px;'
        'background:#fff;border:1px solid #dde1e6;border-radius:6px;box-sizing:border-box">'
        f'<remap-generate src="{server.events_url(session)}"></remap-generate></div>'
        '<script type="module" src="/ui/remap.js"></script></body></html>'
    )
    url = server.url + "/generate-cap-test.html"
    page.route(url, lambda route: route.fulfill(body=body, content_type="text/html"))
    page.goto(url)


def _open_overview(page, server, session: str) -> None:
    body = (
        '<!doctype html><html><body style="margin:0">'
        "<style>remap-overview{height:520px;width:900px}</style>"
        f'<remap-overview src="{server.events_url(session)}"></remap-overview>'
        '<script type="module" src="/ui/remap.js"></script></body></html>'
    )
    url = server.url + "/overview-cap-test.html"
    page.route(url, lambda route: route.fulfill(body=body, content_type="text/html"))
    page.goto(url)


def _wait_drawn(page, n: int) -> None:
    page.wait_for_function(
        "n => { const s = document.querySelector('remap-overview')?.stats;"
        " return s && s.drawn === n && !s.animating; }",
        arg=n,
        timeout=WAIT_MS,
    )


def test_the_cap_set_in_generate_and_hidden_in_the_overview(server, page, screenshot) -> None:
    session = server.new_session("cap", sample=6, epochs=1, limit=300, seed=3)
    state = server.wait_idle(session)
    params = sorted(m["params"] for m in state["models"].values())
    assert params[0] < params[-1]
    cap = (params[len(params) // 2 - 1] + params[len(params) // 2]) // 2
    under = sum(p <= cap for p in params)
    assert 0 < under < len(params)

    _mount_generate(page, server, session)
    page.wait_for_function(
        "() => document.querySelector('remap-generate')?.session?.live.models.size >= 6"
    )
    first = next(iter(state["models"]))
    page.evaluate("id => document.querySelector('remap-generate').session.select(id)", first)
    view = page.locator("remap-generate")
    box = view.get_by_role("spinbutton", name="Parameter cap")
    expect(box).to_have_value(str(state["settings"]["limits"]["max_params"]))
    box.fill(str(cap))
    view.get_by_role("button", name="Set cap").click()
    page.wait_for_function(
        "cap => document.querySelector('remap-generate').session.live.settings.limits"
        ".max_params === cap",
        arg=cap,
    )
    assert server.get(f"/api/sessions/{session}/state")["settings"]["limits"]["max_params"] == cap
    expect(view.locator("form.cap .cap-note")).to_contain_text(
        f"{len(params) - under} models over the cap now"
    )
    expect(view.get_by_role("button", name="Set cap")).to_be_disabled()  # nothing to change
    view.locator("form.cap").screenshot(path=str(_shot("cap")))

    _open_overview(page, server, session)
    _wait_drawn(page, len(params))
    overview = page.locator("remap-overview")
    toggle = overview.locator("button[data-hide-over-cap]")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    _wait_drawn(page, under)
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert "cap=hide" in page.evaluate("() => location.hash")
    screenshot(page, "overview-hide-over-cap")
    page.reload()  # the choice is the page's URL's
    _wait_drawn(page, under)
    overview.locator("button[data-hide-over-cap]").click()
    _wait_drawn(page, len(params))
    assert "cap=hide" not in page.evaluate("() => location.hash")


def _shot(name: str):
    from .conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"generate-{name}.png"
