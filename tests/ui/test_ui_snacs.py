"""The SNAC tool page (/snacs/) and <snac-chip> in a real browser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = "<img src=x onerror=alert(1)>"


def spec(name: str, filters: int = 16) -> dict:
    return {
        "name": name,
        "description": "two convolutions & a classifier",
        "input": {"shape": [1, 8, 8], "classes": 10},
        "layers": [
            {"type": "conv", "filters": filters, "kernel": 3},
            {"type": "relu"},
            {"type": "conv", "filters": 32, "kernel": 3},
            {"type": "relu"},
            {"type": "maxpool", "pool": 2},
            {"type": "dropout", "rate": 0.25},
            {"type": "flatten"},
            {"type": "dense", "units": 10},
        ],
    }


def rendered(page, alt: str) -> None:
    """Wait until the tool's preview shows a loaded image whose alt text has `alt`."""
    page.wait_for_function(
        "(alt) => { const img = document.querySelector('#chip img');"
        " return img && img.complete && img.naturalWidth > 0 && img.alt.includes(alt); }",
        arg=alt,
        timeout=30_000,
    )


def test_tool_renders_a_pasted_spec_and_downloads_it(server, page, screenshot) -> None:
    page.goto(f"{server.url}/snacs/")
    rendered(page, "m17")  # the page's own starting spec
    page.locator("#spec").fill(json.dumps(spec("pasted net"), indent=1))
    rendered(page, "pasted net")
    assert "8 layers" in page.locator("#summary").inner_text()
    assert not page.locator("#error").is_visible()
    page.locator("snac-chip").first.wait_for()  # the bundle's chips at other sizes
    assert page.locator("snac-chip").count() == 4
    with page.expect_download() as info:
        page.locator("#download").click()
    download = info.value
    assert download.suggested_filename == "pasted-net.svg"
    svg = Path(download.path()).read_text(encoding="utf-8")
    assert svg.startswith("<svg")
    assert "pasted net" in svg

    # controls: squished, taller, no folding; then an example
    page.locator("#layout").select_option("squished")
    page.locator("#height").fill("64")
    page.wait_for_function(
        "() => { const img = document.querySelector('#chip img');"
        " return img && img.height === 64; }",
        timeout=30_000,
    )
    page.get_by_role("button", name="ResNet-20").click()
    rendered(page, "ResNet-20")
    page.locator("#layout").select_option("fixed")
    page.locator("#height").fill("40")
    page.wait_for_function(
        "() => { const img = document.querySelector('#chip img');"
        " return img && img.height === 40 && img.width === 400 && img.alt.includes('ResNet'); }",
        timeout=30_000,
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('snac-chip')].every(c => c.svg &&"
        " c.svg.includes('ResNet-20'))",
        timeout=30_000,
    )
    screenshot(page, "snacs-tool")


def test_tool_shows_an_invalid_specs_error_with_its_path(server, page, screenshot) -> None:
    page.goto(f"{server.url}/snacs/")
    rendered(page, "m17")
    text = json.dumps(spec("broken", filters=-3), indent=2)
    page.locator("#spec").fill(text)
    error = page.locator("#error")
    error.get_by_text("$.layers[0].filters").wait_for(timeout=30_000)
    assert "must be at least 1" in error.inner_text()
    page.get_by_role("button", name="show in editor").click()
    selected = page.evaluate(
        "() => { const t = document.querySelector('#spec');"
        " return t.value.slice(t.selectionStart, t.selectionEnd); }"
    )
    assert selected == "-3"
    screenshot(page, "snacs-tool-error")

    page.locator("#spec").fill('{"name": "half')  # not JSON: the browser says where
    error.get_by_text("Not JSON").wait_for(timeout=30_000)


def test_a_hostile_name_stays_text(server, page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{server.url}/snacs/")
    rendered(page, "m17")
    page.locator("#spec").fill(json.dumps(spec(HOSTILE)))
    rendered(page, HOSTILE)
    page.wait_for_function(
        "(name) => [...document.querySelectorAll('snac-chip')].every(c => c.svg &&"
        " c.svg.includes(name.replace('<', '&lt;').replace('>', '&gt;')))",
        arg=HOSTILE,
        timeout=30_000,
    )
    assert HOSTILE in page.locator("#summary").inner_text()
    # one <img> in the preview, one in each chip's shadow root; none made from the name
    assert page.locator("#chip img").count() == 1
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("() => document.querySelectorAll('img').length") == 1
    page.wait_for_timeout(300)  # an onerror would have fired by now
    assert dialogs == []


def test_snac_chip_of_a_session_model_and_of_inline_json(server, page, screenshot) -> None:
    session = server.new_session("chips", sample=3, epochs=1, limit=400)
    state = server.get(f"/api/sessions/{session}/state")
    description = state["models"]["m2"]["description"]
    inline = json.dumps(spec("inline net"))
    hostile = json.dumps(spec(HOSTILE))
    broken = json.dumps(spec("broken", filters=0))
    src = server.events_url(session)
    # a page of the server's origin, served by the browser itself (set_content's
    # document.write does not upgrade elements parsed before the bundle defines them)
    html = f"""<!doctype html><html><body style="font: 14px system-ui; margin: 24px">
        <script type="module" src="{server.url}/ui/remap.js"></script>
        <h3>Session models</h3>
        <div id="session">
          <p><snac-chip id="m1" src="{src}" model="m1" height="40"></snac-chip></p>
          <p><snac-chip id="m2" src="{src}" model="m2" height="24"
            layout="variable"></snac-chip></p>
          <p><snac-chip id="m9" src="{src}" model="m9" height="40"></snac-chip> (no such model)</p>
        </div>
        <h3>Inline JSON</h3>
        <p><snac-chip id="inline" server="{server.url}" height="40">{inline}</snac-chip></p>
        <p><snac-chip id="hostile" server="{server.url}" height="32" fold="false"></snac-chip></p>
        <p><snac-chip id="broken" server="{server.url}" height="40">{broken}</snac-chip></p>
        </body></html>"""
    url = f"{server.url}/chips-test.html"
    page.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(url)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.wait_for_function("() => customElements.get('snac-chip')")
    page.evaluate("(text) => { document.getElementById('hostile').spec = text; }", hostile)

    loaded = (
        "(id) => { const img = document.getElementById(id).shadowRoot.querySelector('img');"
        " return img && img.complete && img.naturalWidth > 0 ? img.alt : null; }"
    )
    for chip in ("m1", "m2", "inline", "hostile"):
        page.wait_for_function(loaded, arg=chip, timeout=30_000)
    assert page.evaluate(loaded, "m2") == f"SNAC of m2: {description}"
    assert page.evaluate(loaded, "inline") == "SNAC of inline net: two convolutions & a classifier"
    assert page.evaluate(loaded, "hostile").startswith(f"SNAC of {HOSTILE}")
    box = page.locator("#m1").bounding_box()
    assert (round(box["width"]), round(box["height"])) == (400, 40)  # the reserved box

    page.locator("#broken").get_by_text("$.layers[0].filters").wait_for(timeout=30_000)
    page.locator("#m9").get_by_text("m9: not in the session yet").wait_for(timeout=30_000)
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0  # all shadowed
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []

    # options are live: a new height re-renders the inline chip
    page.evaluate("() => document.getElementById('inline').setAttribute('height', '64')")
    page.wait_for_function(
        "() => document.getElementById('inline').shadowRoot.querySelector('img')?.height === 64",
        timeout=30_000,
    )
    screenshot(page, "snac-chip")
