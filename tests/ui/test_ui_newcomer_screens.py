"""Screenshots of every view of <remap-app> at three screen sizes (1280 × 720, 1440 × 900,
1920 × 1080) into out/screenshots/ (look at them), with the layout checks a newcomer's
1280 × 720 screen failed: the children table's headers do not overlap and keep their
text, and no view throws."""

from __future__ import annotations

from itertools import pairwise

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = [(1280, 720), (1440, 900), (1920, 1080)]
TABS = ["generate", "queue", "inspect", "data"]

# the children table's header cells: [label, left, right, scrollWidth > clientWidth]
HEADERS = """() => {
  const g = document.querySelector('remap-app').shadowRoot.querySelector('remap-generate');
  return [...g.shadowRoot.querySelectorAll('table.children thead th')].map((th) => {
    const r = th.getBoundingClientRect();
    return [th.textContent.trim(), r.left, r.right, th.scrollWidth > th.clientWidth + 1];
  });
}"""


@pytest.fixture(scope="module")
def shown(server) -> tuple[str, str]:
    """A trained session with a model in the drawer and children of it: its id, parent."""
    session = server.new_session("screens", sample=5, epochs=2, limit=500, seed=5)
    state = server.wait_idle(session)
    parent = max(
        (m for m in state["models"].values() if m["result"]),
        key=lambda m: len(m["arch"]["layers"]),
    )["id"]
    commands = f"/api/sessions/{session}/commands"
    server.post(commands, {"type": "drawer_add", "models": sorted(state["models"])[:3]})
    server.post(commands, {"type": "ablate", "model": parent, "indices": [0, 1]})
    server.wait_idle(session)
    return session, parent


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_view_at_three_sizes(server, browser, screenshot, shown, width, height) -> None:
    session, parent = shown
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        page.goto(f"{server.url}/?session={session}#selected={parent}&base={parent}")
        page.wait_for_function(
            "() => { const a = document.querySelector('remap-app');"
            " return a && a.session && a.session.live.models.size >= 7; }"
        )
        app = page.locator("remap-app")
        app.locator("remap-generate table.children tbody tr").first.wait_for()
        page.wait_for_timeout(400)
        for tab in TABS:
            app.locator(f"#tab-{tab}").click()
            page.wait_for_timeout(300)
            screenshot(page, f"screen-{width}x{height}-{tab}")
        app.locator("#tab-generate").click()
        headers = page.evaluate(HEADERS)
        for (label, _, right, clipped), (nxt, left, _, _) in pairwise(headers):
            assert right <= left + 0.5, f"{label!r} overlaps {nxt!r} at {width}×{height}"
            assert not clipped, f"the {label!r} header is cut at {width}×{height}"
        overview = app.locator("remap-overview")
        for name in ("Structure", "Predictions", "Search", "Accuracy"):
            overview.get_by_role("button", name=name, exact=True).click()
            page.wait_for_timeout(500)
            screenshot(page, f"screen-{width}x{height}-overview-{name.lower()}")
    finally:
        context.close()
    assert not problems, problems
