"""The one-shot search in a real browser (issue 18), as a new user walks it in the
Search tab of <remap-app> against a real `remap serve`: start from the paper's
over-complete LeNet in the Lego view and edit it by mouse (drag a component from the
palette) and by keyboard (Alt+→ moves a block), have a bad parameter refused with its
path and the rounded value offered (taken only on a click), train the supernet, sample
the space, watch the search, brush a region and search there, light the union of its
blocks, see block fitness move, assemble the candidate and see it train and land in the
overview. Screenshots at 1280×720 and 1920×1080 go to out/screenshots/."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import poll

# the Search tab's shadow root (views inside it are reached from here in page.evaluate)
SEARCH = "document.querySelector('remap-app').shadowRoot.querySelector('remap-search').shadowRoot"


def _oneshot(server, session: str) -> dict:
    return server.get(f"/api/sessions/{session}/state")["oneshot"]


def _net(server, session: str) -> dict:
    o = _oneshot(server, session)
    return o["supernets"][o["supernet"]]


def _blocks(net: dict, layer: int) -> list[str]:
    return [b["id"] for b in net["arch"]["layers"][layer]["blocks"]]


def _components(net: dict, block: str) -> list[dict]:
    for layer in net["arch"]["layers"]:
        for b in layer["blocks"]:
            if b["id"] == block:
                return b["components"]
    raise AssertionError(f"no block {block}")


def _open_search(server, page, name: str) -> str:
    session = server.new_session(name, sample=0, epochs=2)
    page.goto(f"{server.url}/?session={session}#tab=search")
    page.locator('[role="tab"]#tab-search').click()
    page.get_by_role("button", name="Start from template").wait_for()
    return session


def _start_lenet(server, page, session: str) -> None:
    page.get_by_label("Template").select_option("lenet-digits-v1")
    page.get_by_role("button", name="Start from template").click()
    poll(lambda: _oneshot(server, session)["supernet"] == "s1", "the template defined")
    page.locator('remap-lego [data-block="b12"]').wait_for()


def test_build_train_search_steer_and_assemble(server, page, screenshot) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    session = _open_search(server, page, "oneshot-path")
    _start_lenet(server, page, session)

    # mouse: drag "dropout" from the palette to the end of block b1 (both in view: a
    # drag that scrolls the page is not a drag a person makes)
    page.locator('remap-lego .palette [role="radio"]', has_text="dropout").drag_to(
        page.locator('remap-lego [data-block="b1"] .zone')
    )
    # a user who moves on at once (focuses block b10, layer 6) keeps that focus when
    # the new version lands: it is not taken back to the dropped component (it was, and
    # the next key then moved the dropout)
    page.locator('remap-lego [data-block="b10"]').focus()
    poll(lambda: _oneshot(server, session)["supernet"] == "s2", "the dragged component")
    assert [c["type"] for c in _components(_net(server, session), "b1")] == [
        "conv",
        "relu",
        "dropout",
    ]
    rate = page.get_by_label("Parameters of dropout in block b1 (rate)")
    expect(rate).to_be_visible()
    lego = f"{SEARCH}.querySelector('remap-lego').shadowRoot"
    assert page.evaluate(f"{lego}.activeElement?.dataset.block") == "b10"

    # keyboard: move the focused block right past b11
    page.keyboard.press("Alt+ArrowRight")
    poll(lambda: _oneshot(server, session)["supernet"] == "s3", "the keyboard move")
    assert _blocks(_net(server, session), 5) == ["b11", "b10"]
    expect(page.locator('remap-lego [data-block="b11"] ~ [data-block="b10"]')).to_have_count(1)

    # a bad parameter: refused with its path, the rounded value offered, nothing applied
    field = page.get_by_label("Parameters of maxpool in block b4 (pool)")
    field.fill("2.4")
    field.press("Enter")
    refusal = page.locator("remap-lego .refusal")
    refusal.wait_for()
    assert "$.edits[0].params.pool" in refusal.inner_text()
    assert page.get_by_role("button", name="Use pool 2").is_visible()
    assert _oneshot(server, session)["supernet"] == "s3"  # nothing applied
    assert field.input_value() == "2.4"  # what was typed stays, for the user to fix
    rate.fill("1.5")
    rate.press("Enter")
    offer = page.get_by_role("button", name="Use rate 0.95")
    offer.wait_for()
    screenshot(page, "oneshot-lego-refusal-1280")
    assert _oneshot(server, session)["supernet"] == "s3"
    offer.click()
    poll(lambda: _oneshot(server, session)["supernet"] == "s4", "the offered value taken")
    assert _components(_net(server, session), "b1")[2]["rate"] == 0.95
    # the refusal is gone and the field shows what the supernet now holds
    page.locator("remap-lego .refusal").wait_for(state="detached")
    assert rate.input_value() == "0.95"

    # train the supernet, sample the space, run the search
    page.locator("remap-lego").get_by_role("button", name="Train supernet").click()
    poll(lambda: _net(server, session)["status"] == "done", "the supernet trained", 240)
    page.get_by_role("button", name="Sample space").click()
    scatter = f"{SEARCH}.querySelector('remap-searchspace')"
    poll(lambda: page.evaluate(f"{scatter}.stats.points") >= 18, "the sampled space drawn")
    page.get_by_label("Iterations").fill("3")
    page.get_by_role("button", name="Start search").click()

    def search() -> dict:
        return _oneshot(server, session)["searches"].get("q1") or {}

    poll(lambda: search().get("status") == "done", "three iterations", 240)
    fitness = page.locator("remap-blockinfo svg[aria-label^='fitness per block']")
    poll(
        lambda: "none" not in (fitness.get_attribute("aria-label") or "none"), "block fitness drawn"
    )
    before = fitness.get_attribute("aria-label")
    assert page.locator("remap-supergraph [data-block='b1'] text").nth(1).text_content() != "–"

    # brush the left half of the scatter, search there, light the union of its blocks
    space = page.locator("remap-searchspace")
    space.get_by_role("button", name="Brush").click()
    canvas = space.locator("canvas.main")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 54, box["y"] + 14)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] - 42, steps=8)
    page.mouse.up()
    bar = space.locator(".brushbar")
    bar.wait_for()
    bar.get_by_role("button", name="Union").click()
    poll(
        lambda: (_oneshot(server, session)["highlight"] or {}).get("op") == "union",
        "the union recorded",
    )
    # the page sees the event a moment after the server recorded it
    expect(page.locator("remap-supergraph .legend", has_text="union")).to_be_visible()
    bar.get_by_role("button", name="Search here").click()
    poll(lambda: search().get("region") is not None, "the region selected")
    region = search()["region"]
    assert region["members"], "the region holds subgraphs"

    # two more iterations inside the region: frequency appears, block fitness moves
    page.get_by_role("button", name="Continue +").click()
    poll(lambda: len(search().get("history", [])) >= 5, "two more iterations", 240)
    poll(lambda: fitness.get_attribute("aria-label") != before, "block fitness moved")
    frequency = page.locator("remap-blockinfo svg[aria-label^='frequency per block']")
    assert (
        "subgraphs in the region" in page.locator("remap-blockinfo figcaption").first.inner_text()
    )
    assert frequency.get_attribute("aria-label").count("none") < 12
    screenshot(page, "oneshot-search-1280")

    # assemble the candidate: an ordinary model, trained stand-alone, in the overview
    page.get_by_role("button", name="Assemble candidate").click()
    poll(lambda: _oneshot(server, session)["candidates"], "the candidate assembled")
    model = _oneshot(server, session)["candidates"][0]["model"]
    models = lambda: server.get(f"/api/sessions/{session}/state")["models"]  # noqa: E731
    poll(lambda: models()[model]["status"] == "done", "the candidate trained", 240)
    page.locator("remap-search .cand", has_text="done").wait_for()
    overview = "document.querySelector('remap-app').shadowRoot.querySelector('remap-overview')"
    poll(lambda: page.evaluate(f"{overview}.pointOf({model!r})"), "the candidate in the overview")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_timeout(400)
    screenshot(page, "oneshot-search-1920")


def test_the_queue_shows_supernet_training(server, page) -> None:
    session = _open_search(server, page, "oneshot-queue")
    _start_lenet(server, page, session)
    page.locator("remap-lego").get_by_role("button", name="Train supernet").click()
    page.locator('[role="tab"]#tab-queue').click()
    row = page.locator("remap-queue .oneshot [data-supernet='s1']")
    row.wait_for()
    assert "supernet" in row.inner_text()
    poll(lambda: _net(server, session)["status"] == "done", "the supernet trained", 240)
    row.wait_for(state="detached")
