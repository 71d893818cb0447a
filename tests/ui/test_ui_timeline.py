"""<remap-timeline> in a real browser: scrubbing a finished session moves every view on
the page back in time (here <remap-drawer> and <remap-queue>), the keys step it, "Live"
returns to the end, and ▶ replays the log."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import mount

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CURSOR = "() => document.querySelector('remap-timeline').session.cursor"


def _until(page, condition: str, timeout: float = 30_000) -> None:
    """Wait until `condition` (JavaScript on `c`, the timeline's cursor) holds."""
    page.wait_for_function(
        f"() => {{ const c = ({CURSOR})(); return {condition}; }}", timeout=timeout
    )


def _open(server, page, session: str) -> None:
    src = server.events_url(session)
    mount(
        page,
        server,
        '<!doctype html><html><body style="margin:0;background:#eef0f3;height:100vh;'
        'display:grid;grid-template-rows:1fr 48px">'
        '<main style="display:grid;grid-template-columns:700px 620px;gap:8px;padding:8px;'
        'min-height:0">'
        '<div style="height:300px;background:#fff;border:1px solid #dde1e6;display:flex">'
        f'<remap-drawer style="flex:1;min-width:0" src="{src}"></remap-drawer></div>'
        '<div style="background:#fff;border:1px solid #dde1e6;padding:8px;overflow:auto">'
        f'<remap-queue src="{src}"></remap-queue></div></main>'
        '<footer style="border-top:1px solid #dde1e6;background:#f7f8fa;padding:4px 14px">'
        f'<remap-timeline src="{src}"></remap-timeline></footer>'
        f'<script type="module" src="{server.url}/ui/remap.js"></script></body></html>',
    )


def test_timeline_scrubs_steps_and_replays(server, page, screenshot) -> None:
    session = server.new_session("timeline view", sample=3, epochs=1, limit=400)
    server.wait_idle(session)
    ids = list(server.get(f"/api/sessions/{session}/state")["models"])
    server.post(f"/api/sessions/{session}/commands", {"type": "drawer_add", "models": ids})
    last = server.get(f"/api/sessions/{session}/state")["last_seq"]
    _open(server, page, session)
    page.wait_for_function(
        "n => { const t = document.querySelector('remap-timeline');"
        " return t && t.session && t.session.lastSeq === n; }",
        arg=last,
    )
    timeline = page.locator("remap-timeline")
    drawer = page.locator("remap-drawer")
    queue = page.locator("remap-queue")
    slider = timeline.get_by_role("slider", name="Session timeline")
    live = timeline.get_by_role("button", name="Go live")
    expect(live).to_have_attribute("aria-pressed", "true")
    expect(slider).to_have_value(str(last))
    expect(drawer.locator("tbody tr")).to_have_count(3)
    expect(queue.get_by_role("button", name="Done")).to_contain_text("3")
    screenshot(page, "timeline-live")

    # scrub to just before the first model finished: nothing is done, the drawer empty
    first_done = page.evaluate(
        "() => document.querySelector('remap-timeline').session.envelopes"
        ".find(e => e.event.kind === 'training_finished').seq"
    )
    slider.fill(str(first_done - 1))
    _until(page, f"c === {first_done - 1}")
    expect(live).to_have_attribute("aria-pressed", "false")
    expect(drawer.get_by_text("No models in the drawer yet")).to_be_visible()
    expect(queue.get_by_role("button", name="Done")).to_contain_text("0")
    expect(timeline.get_by_text(f"seq {first_done - 1}")).to_be_visible()
    screenshot(page, "timeline-scrubbed")
    # …and one step on (→) the first model is done
    slider.press("ArrowRight")
    _until(page, f"c === {first_done}")
    expect(queue.get_by_role("button", name="Done")).to_contain_text("1")

    # keys: Home to the start, PageUp a tenth of the log, End back to live
    slider.press("Home")
    _until(page, "c === 0")
    expect(queue.get_by_text("No trainings yet")).to_be_visible()
    slider.press("PageUp")
    _until(page, f"c === {round(last / 10)}")
    slider.press("PageDown")
    _until(page, "c === 0")
    slider.press("End")
    _until(page, "c === null")

    # Live from anywhere
    slider.fill("5")
    _until(page, "c === 5")
    live.click()
    _until(page, "c === null")
    expect(drawer.locator("tbody tr")).to_have_count(3)

    # while live the thumb follows new events
    server.post(f"/api/sessions/{session}/commands", {"type": "drawer_remove", "models": [ids[0]]})
    expect(slider).to_have_value(str(last + 1))
    expect(drawer.locator("tbody tr")).to_have_count(2)

    # play replays from the start, pause holds, play again runs to the end and goes live
    timeline.get_by_role("button", name="Replay the session").click()
    _until(page, "c !== null && c > 0")
    timeline.get_by_role("button", name="Pause replay").click()
    held = page.evaluate(CURSOR)
    assert held is not None
    page.wait_for_timeout(300)
    assert page.evaluate(CURSOR) == held
    timeline.get_by_role("button", name="Replay the session").click()
    _until(page, f"c > {held}")
    _until(page, "c === null")
    expect(live).to_have_attribute("aria-pressed", "true")
    screenshot(page, "timeline")
