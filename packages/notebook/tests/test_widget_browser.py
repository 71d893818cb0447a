"""The widget's front end under anywidget's contract, in headless Chromium: a page
imports the widget's ESM and calls `render({model, el})` with a fake model (get/on)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remap_notebook import View, models_frame

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

HARNESS = """<!doctype html><html><body style="margin:0;background:#fff">
<div id="out" style="width:900px"></div>
<script type="module">
const traits = JSON.parse(document.getElementById("traits").textContent);
const model = {
  get: (name) => traits[name],
  set: (name, value) => { traits[name] = value; },
  on: () => {}, off: () => {}, save_changes: () => {}, send: () => {},
};
const url = URL.createObjectURL(new Blob([traits._esm], { type: "text/javascript" }));
const widget = (await import(url)).default;
await widget.render({ model, el: document.getElementById("out") });
window.rendered = true;
</script>
<script type="application/json" id="traits">TRAITS</script>
</body></html>"""


@pytest.mark.parametrize("subset", [False, True], ids=["all", "filtered"])
def test_the_overview_draws_one_mark_per_model(session_file, tmp_path, subset):
    from playwright.sync_api import sync_playwright

    df = models_frame(session_file)
    shown = df.id[:2] if subset else None  # a pandas filter's ids
    widget = View.from_file(session_file, view="overview", height=420, models=shown)
    names = ("_esm", "view", "server", "session", "src", "height", "_envelopes", "_bundle")
    traits = {k: getattr(widget, k) for k in names}
    page_file = tmp_path / "harness.html"
    text = json.dumps(traits).replace("</", "<\\/")
    page_file.write_text(HARNESS.replace("TRAITS", text), "utf-8")
    models = 2 if subset else len(df)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 460})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            page.wait_for_function(
                "n => document.querySelector('remap-overview')?.stats?.drawn === n",
                arg=models,
                timeout=15_000,
            )
            label = page.locator("remap-overview canvas.main").get_attribute("aria-label")
            assert f"{models} models" in label
            shots = ROOT / "out" / "screenshots"
            shots.mkdir(parents=True, exist_ok=True)
            name = "notebook-widget-filtered" if subset else "notebook-widget"
            page.screenshot(path=str(shots / f"{name}.png"))
            assert errors == []
        finally:
            browser.close()
