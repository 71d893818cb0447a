"""Notes, tags and the N-way compare (issue 22) in the app, in a real browser on a real
server: tag a model in the drawer and filter by the tag, write and edit a note in the
inspector, open a 3-way compare from the drawer's ticks with the keyboard (aligned
layers, overlaid curves, grouped per-class bars, confusion matrices side by side), and
see a ninth tick refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

APP = "document.querySelector('remap-app')"


@pytest.fixture(scope="module")
def nine(server) -> tuple[str, dict]:
    session = server.new_session("compare", sample=9, epochs=2, limit=300, seed=4)
    state = server.wait_idle(session)
    ids = list(state["models"])
    server.post(f"/api/sessions/{session}/commands", {"type": "drawer_add", "models": ids})
    return session, server.wait_idle(session)


def test_tag_note_and_compare_three(server, page, screenshot, nine) -> None:
    session, state = nine
    ids = list(state["models"])
    names = state["class_names"]
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{server.url}/?session={session}")
    page.wait_for_function(f"() => {APP}?.session?.state.drawer.length === 9", timeout=30_000)
    app = page.locator("remap-app")
    drawer = app.locator("remap-drawer")

    # a tag, from the drawer's field; its chip filters the page by it
    field = drawer.get_by_label(f"Tag {ids[0]}")
    field.fill("best")
    field.press("Enter")
    chip = drawer.locator(f'tr[data-id="{ids[0]}"] .tag-chip[data-tag="best"]')
    expect(chip).to_be_visible()
    chip.get_by_role("button", name="Filter by tag best").click()
    expect(drawer.locator("[data-filtered]")).to_have_text("1 match the filter")
    assert "tag%3Abest" in page.url or "tag:best" in page.url
    page.evaluate(f"{APP}.session.setFilter([])")
    expect(drawer.locator("[data-filtered]")).to_have_count(0)

    # a note, in the inspector; then edited
    drawer.locator(f'tr[data-id="{ids[0]}"] td.id').click()
    inspector = app.locator("remap-inspector")
    card = inspector.locator(f"article[data-model='{ids[0]}']")
    card.get_by_label(f"New note on {ids[0]}").fill("wide first conv: keep")
    card.get_by_role("button", name="Add note").click()
    note = card.locator("section.notes li")
    expect(note).to_have_count(1)
    expect(note.locator(".text")).to_have_text("wide first conv: keep")
    expect(card.locator(".tags-line .tag[data-tag='best']")).to_be_visible()
    note_id = note.get_attribute("data-note")
    card.get_by_role("button", name=f"Edit note {note_id}").click()
    card.get_by_label(f"Edit note {note_id}").fill("wide first conv: keep it")
    card.get_by_role("button", name="Save").click()
    expect(note.locator(".text")).to_have_text("wide first conv: keep it")
    expect(note.locator(".meta")).to_contain_text("edited")
    screenshot(page, "inspector-notes")

    # three ticks, then Compare from the keyboard
    for m in ids[:3]:
        drawer.get_by_role("checkbox", name=f"Compare {m}").check()
    expect(drawer.locator(".compare")).to_contain_text(f"comparing {ids[0]}, {ids[1]} and {ids[2]}")
    go = drawer.get_by_role("button", name="Compare 3")
    go.focus()
    page.keyboard.press("Enter")
    expect(app.locator("#tab-inspect")).to_have_attribute("aria-selected", "true")
    view = inspector.locator(".cmp")
    expect(view).to_be_visible()
    expect(inspector.locator(".toolbar .title")).to_contain_text(
        f"Comparing {ids[0]}, {ids[1]} and {ids[2]}"
    )
    rows = view.locator(".align .who")
    expect(rows).to_have_count(3)
    expect(view.locator(".align .blk[data-layer]").first).to_be_visible()
    layers = sum(len(state["models"][m]["arch"]["layers"]) for m in ids[:3])
    expect(view.locator(".align .blk[data-layer]")).to_have_count(layers)
    expect(view.locator(".cmp-curves svg.chart polyline")).to_have_count(6)  # 3 models × 2 charts
    expect(view.locator("rect.cls-bar")).to_have_count(3 * len(names))
    expect(view.locator(".cms figure")).to_have_count(3)
    expect(view.locator(".cms figure").first.locator(".cell")).to_have_count(len(names) ** 2)
    screenshot(page, "inspector-compare-3", full_page=True)

    # up to eight; a ninth tick is refused with the reason
    for m in ids[3:8]:
        drawer.get_by_role("checkbox", name=f"Compare {m}").check()
    ninth = drawer.get_by_role("checkbox", name=f"Compare {ids[8]}")
    ninth.click()
    expect(drawer.locator(".compare")).to_contain_text("at most 8 models compare at once")
    expect(ninth).not_to_be_checked()
    assert len(page.evaluate(f"{APP}.session.ui.compare")) == 8
    expect(view.locator(".cms figure")).to_have_count(8)
    page.set_viewport_size({"width": 1440, "height": 2000})  # the whole compare in view
    expect(view.locator(".cms figure").nth(7).locator(".cell")).to_have_count(len(names) ** 2)
    screenshot(page, "inspector-compare-8")

    # they are events: the server's state holds them
    m1 = server.get(f"/api/sessions/{session}/state")["models"][ids[0]]
    assert m1["tags"] == ["best"]
    assert [n["text"] for n in m1["notes"]] == ["wide first conv: keep it"]
