"""How REMAP looks to a newcomer (issue 17, items 10 and 11), measured in a real browser
at the three screen sizes: the queue's position numbers clear of the drag grip (every
row, three-digit positions included), the drawer's SNAC chips drawn at 32 px with dense
blocks visibly wide, the inspector's per-class "100.0 %" whole, the children table's
accuracy header naming its split, and the initial sample's progress line in the header
while the sample trains, gone once it is done."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from playwright.sync_api import expect

from .conftest import poll

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = [(1280, 720), (1440, 900), (1920, 1080)]
APP = "document.querySelector('remap-app').shadowRoot"

# each queued row: [position text, checkbox, grip, position box, position text, id] rects
QUEUE_ROWS = f"""() => {{
  const q = {APP}.querySelector('remap-queue').shadowRoot;
  const box = (el) => {{
    const r = el.getBoundingClientRect();
    return [r.left, r.right, r.top, r.bottom];
  }};
  return [...q.querySelectorAll('li.queued')].map((li) => {{
    const pos = li.querySelector('.pos');
    const range = document.createRange();
    range.selectNodeContents(pos);
    const t = range.getBoundingClientRect();
    // the grip's extent: its box, and its text where it has one (a glyph can overflow)
    const grip = li.querySelector('.grip');
    const g = box(grip);
    if (grip.textContent.trim()) {{
      const gr = document.createRange();
      gr.selectNodeContents(grip);
      g[1] = Math.max(g[1], gr.getBoundingClientRect().right);
    }}
    return [pos.textContent.trim(), box(li.querySelector('.pick')), g,
            box(pos), [t.left, t.right, t.top, t.bottom], box(li.querySelector('.id'))];
  }});
}}"""


def _page(browser, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return context, page, problems


def _open(page, server, session: str, fragment: str = "", at_least: int = 1) -> None:
    page.goto(f"{server.url}/?session={session}#{fragment}")
    page.wait_for_function(
        "n => { const a = document.querySelector('remap-app');"
        " return a && a.session && a.session.live.models.size >= n; }",
        arg=at_least,
    )


@pytest.fixture(scope="module")
def long_queue(server):
    """A session of 120 models of 300 epochs on one trainer: almost all of them wait,
    so the queue shows positions up to three digits; cancelled afterwards."""
    session = server.new_session("long queue", sample=120, epochs=300, limit=500, seed=11)
    yield session
    commands = f"/api/sessions/{session}/commands"
    state = server.get(f"/api/sessions/{session}/state")
    waiting = [m for m, s in state["models"].items() if s["status"] in ("queued", "running")]
    for model in waiting:
        server.post(commands, {"type": "cancel", "model": model})


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_queue_positions_never_touch_the_drag_grip(
    server, browser, screenshot, long_queue, width, height
) -> None:
    context, page, problems = _page(browser, width, height)
    try:
        _open(page, server, long_queue, "tab=queue", at_least=120)
        page.wait_for_function(
            f"() => {APP}.querySelector('remap-queue').shadowRoot"
            ".querySelectorAll('li.queued').length >= 100"
        )
        rows = page.evaluate(QUEUE_ROWS)
        assert max(len(text) for text, *_ in rows) == 3  # three-digit positions shown
        for text, pick, grip, pos, glyphs, ident in rows:
            where = f"position {text} at {width}×{height}"
            assert pick[1] <= grip[0] + 0.5, f"the checkbox runs into the grip ({where})"
            assert grip[1] <= glyphs[0] - 2, f"the grip touches the number ({where})"
            assert pos[0] - 0.5 <= glyphs[0], f"the number is cut ({where})"
            assert glyphs[1] <= pos[1] + 0.5, f"the number is cut ({where})"
            assert glyphs[1] <= ident[0] - 2, f"the number runs into the model id ({where})"
        screenshot(page, f"looks-{width}x{height}-queue")
    finally:
        context.close()
    assert not problems, problems


@pytest.fixture(scope="module")
def trained(server) -> tuple[str, dict]:
    """Six small models, trained, all in the drawer, and ablations of the deepest."""
    session = server.new_session("looks", sample=6, epochs=3, limit=600, seed=7)
    state = server.wait_idle(session)
    commands = f"/api/sessions/{session}/commands"
    server.post(commands, {"type": "drawer_add", "models": sorted(state["models"])})
    parent = max(state["models"].values(), key=lambda m: len(m["arch"]["layers"]))
    server.post(commands, {"type": "ablate", "model": parent["id"], "indices": [0]})
    return session, server.wait_idle(session)


DRAWER_CHIPS = f"""async () => {{
  const d = {APP}.querySelector('remap-drawer').shadowRoot;
  const imgs = [...d.querySelectorAll('tbody img')];
  const loaded = (i) => new Promise((ok) => {{ i.onload = i.onerror = ok; }});
  await Promise.all(imgs.map((i) => i.complete ? null : loaded(i)));
  return Promise.all(imgs.map(async (img) => {{
    const r = img.getBoundingClientRect();
    return {{ alt: img.alt, box: [r.width, r.height], svg: await (await fetch(img.src)).text() }};
  }}));
}}"""

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_drawer_chips_are_tall_and_dense_blocks_wide(
    server, browser, screenshot, trained, width, height
) -> None:
    session, state = trained
    context, page, problems = _page(browser, width, height)
    try:
        _open(page, server, session, at_least=len(state["models"]))
        page.wait_for_function(
            f"() => {APP}.querySelector('remap-drawer').shadowRoot"
            f".querySelectorAll('tbody tr').length >= {len(state['drawer'])}"
        )
        chips = page.evaluate(DRAWER_CHIPS)
        assert len(chips) == len(state["drawer"])
        dense_seen = 0
        for chip in chips:
            root = ElementTree.fromstring(chip["svg"])
            w, h = float(root.get("width")), float(root.get("height"))
            box_w, box_h = chip["box"]
            # the chip as drawn in its box (an SVG keeps its aspect: the smaller scale)
            scale = min(box_w / w, box_h / h)
            assert h * scale >= 28, f"{chip['alt']} is drawn {h * scale:.1f} px high"
            for block in root.iter(f"{SVG}g"):
                if "snac-dense" not in (block.get("class") or "").split():
                    continue
                rect = block.find(f"{SVG}rect")
                dense_seen += 1
                drawn_w = float(rect.get("width")) * scale
                drawn_h = float(rect.get("height")) * scale
                assert drawn_w >= 4, f"a dense block of {chip['alt']} is {drawn_w:.1f} px wide"
                assert drawn_h >= 4, f"a dense block of {chip['alt']} is {drawn_h:.1f} px high"
        assert dense_seen >= len(chips)  # every model ends in its dense classifier
        screenshot(page, f"looks-{width}x{height}-drawer")
    finally:
        context.close()
    assert not problems, problems


CLASS_VALUES = f"""(fill) => {{
  const i = {APP}.querySelector('remap-inspector').shadowRoot;
  const cells = [...i.querySelectorAll('.bar-val')];
  const full = '100.0 %';
  if (fill && !cells.some((c) => c.textContent.trim() === full)) cells[0].textContent = full;
  return cells.map((c) => {{
    const range = document.createRange();
    range.selectNodeContents(c);
    const t = range.getBoundingClientRect();
    const r = c.getBoundingClientRect();
    return [c.textContent.trim(), r.left, r.right, t.left, t.right, c.scrollWidth > c.clientWidth];
  }});
}}"""

CHILDREN_HEADERS = f"""() => {{
  const g = {APP}.querySelector('remap-generate').shadowRoot;
  return [...g.querySelectorAll('table.children thead th')].map((th) =>
    [th.textContent.trim(), th.scrollWidth > th.clientWidth + 1]);
}}"""


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_per_class_100_is_whole_and_the_children_accuracy_names_its_split(
    server, browser, screenshot, trained, width, height
) -> None:
    session, state = trained
    best = max(
        (m for m in state["models"].values() if m["result"]),
        key=lambda m: max(m["result"]["per_class_acc"]),
    )
    parent = next((m["parent"] for m in state["models"].values() if m["parent"]), best["id"])
    context, page, problems = _page(browser, width, height)
    try:
        fragment = f"selected={best['id']}&base={parent}&tab=inspect"
        _open(page, server, session, fragment, len(state["models"]))
        app = page.locator("remap-app")
        app.locator("remap-inspector .bar-val").first.wait_for()
        page.wait_for_timeout(200)
        # a class at 100 % (written in when this session has none: the layout is tested)
        for text, left, right, t_left, t_right, clipped in page.evaluate(CLASS_VALUES, True):
            assert re.fullmatch(r"\d{1,3}\.\d %", text), text
            assert not clipped, f"{text!r} is cut at {width}×{height}"
            assert left - 0.5 <= t_left, f"{text!r} is cut at {width}×{height}"
            assert t_right <= right + 0.5, f"{text!r} is cut at {width}×{height}"
        screenshot(page, f"looks-{width}x{height}-inspector")
        app.locator("#tab-generate").click()
        app.locator("remap-generate table.children tbody tr").first.wait_for()
        headers = dict(page.evaluate(CHILDREN_HEADERS))
        assert "Test acc" in headers, headers
        assert not headers["Test acc"], f"the 'Test acc' header is cut at {width}×{height}"
        expect(
            app.locator("remap-generate table.children th", has_text="Test acc")
        ).to_have_attribute("title", re.compile("test accuracy"))
    finally:
        context.close()
    assert not problems, problems


def test_the_initial_sample_progress_line_shows_while_it_trains_and_goes_when_done(
    server, browser, screenshot
) -> None:
    # eight models of 40 epochs on one trainer: a few seconds each, the line has time
    session = server.new_session("progress line", sample=8, epochs=40, limit=600, seed=2)
    context, page, problems = _page(browser, 1440, 900)
    try:
        _open(page, server, session, at_least=8)
        line = page.locator("remap-app header .progress")
        expect(line).to_have_text(re.compile(r"^[0-7]/8 trained"), timeout=30_000)
        # after the first finished model: the time left at the rate seen so far
        expect(line).to_have_text(re.compile(r"^[1-7]/8 trained, about \d.* left$"), timeout=60_000)
        shown = line.inner_text()
        screenshot(page, "looks-progress-line")
        trained = int(shown.split("/")[0])
        state = server.get(f"/api/sessions/{session}/state")
        done = sum(m["status"] == "done" for m in state["models"].values())
        assert trained <= done  # the line never runs ahead of the log
        server.wait_idle(session, timeout_s=180)
        expect(line).to_have_count(0, timeout=10_000)  # done: the line is gone
        stats = page.locator("remap-app header .stats")
        expect(stats).to_contain_text("8 trained")
        poll(lambda: "8 trained" in stats.inner_text(), "the header's count")
    finally:
        context.close()
    assert not problems, problems
