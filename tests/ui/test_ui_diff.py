"""The chip diff (issue 22) in a real browser: a handcrafted child (one layer inserted,
one removed, one re-parameterised) in the inspector, with its marks and the words, the
per-layer parameters in the blocks' titles, and the overview's hover card."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from .conftest import mount, mount_in_panel

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = "document.querySelector('remap-inspector')"
DIFF = f"{ROOT}.shadowRoot.querySelector('snac-diff')"


def edits_for(layers: list) -> list | None:
    """Edits that re-parameterise one layer, remove another and insert a third, or None
    when the model has no two such layers."""
    n = len(layers)
    reparam = next(
        (
            (i, {"filters": la["filters"] * 2} if la["type"] == "conv" else {"rate": 0.3})
            for i, la in enumerate(layers)
            if la["type"] == "conv" or (la["type"] == "dropout" and la["rate"] != 0.3)
        ),
        None,
    )
    removable = [
        i for i, la in enumerate(layers[: n - 1]) if la["type"] in ("relu", "tanh", "sigmoid")
    ]
    removable = [i for i in removable if reparam is None or i != reparam[0]]
    if reparam is None or not removable:
        return None
    return [
        {"op": "reparam", "index": reparam[0], "params": reparam[1]},
        {"op": "remove", "index": removable[-1]},
        {"op": "insert", "index": 0, "layer": {"type": "batchnorm"}},
    ]


def child_of(server, session: str, state: dict) -> tuple[str, str]:
    """A handcrafted child of a sampled model: (parent id, child id)."""
    parent, edits = next(
        (m, e)
        for m in state["models"].values()
        if m["status"] == "done" and (e := edits_for(m["arch"]["layers"])) is not None
    )
    before = set(state["models"])
    server.post(
        f"/api/sessions/{session}/commands",
        {"type": "handcraft", "model": parent["id"], "edits": edits},
    )
    state = server.wait_idle(session)
    (child,) = set(state["models"]) - before
    return parent["id"], child


def test_the_inspector_and_the_hover_card_show_the_diff(server, page, screenshot) -> None:
    session = server.new_session("diff", sample=4, epochs=1, limit=300)
    state = server.wait_idle(session)
    parent, child = child_of(server, session, state)

    mount_in_panel(page, server, "remap-inspector", session, 620)
    page.wait_for_function(f"() => {ROOT}?.session?.live.models.size === 5")
    page.evaluate(f"{ROOT}.session.select('{child}')")
    inspector = page.locator("remap-inspector")
    diff = inspector.locator("section.diff snac-diff")
    # the marks: one added block (the batchnorm), one removed, one changed on each side
    expect(diff.locator(".snac-diff-b .snac-layer.snac-added")).to_have_count(1)
    expect(diff.locator(".snac-diff-a .snac-layer.snac-removed")).to_have_count(1)
    expect(diff.locator(".snac-layer.snac-changed")).to_have_count(2)
    assert "batchnorm" in diff.locator(".snac-added").get_attribute("class")
    words = diff.locator(".snac-diff-words").text_content()
    assert "added batchnorm" in words
    assert "removed" in words
    assert "Δ layer" in words  # the re-parameterised layer, old → new
    # not by colour alone: each mark has its glyph
    glyphs = diff.locator(".snac-mark text").all_text_contents()
    assert sorted(glyphs) == sorted(["+", "−", "Δ", "Δ"])
    # per-layer parameters on hover: every block's <title> names its count
    titles = diff.locator(".snac-diff-b .snac-layer > title").all_text_contents()
    assert titles
    assert all("parameters" in t for t in titles)
    expect(inspector.locator("section.diff .diff-note")).to_contain_text(f"{parent} → {child}")
    screenshot(inspector, "diff-inspector")

    # the children table: an expanded row shows the diff of the parent and the child
    mount_in_panel(page, server, "remap-generate", session, 620)
    gen = "document.querySelector('remap-generate')"
    page.wait_for_function(f"() => {gen}?.session?.live.models.size === 5")
    page.evaluate(f"{gen}.session.select('{parent}')")
    generate = page.locator("remap-generate")
    generate.locator(f"table.children button.expand[aria-label='expand {child}']").click()
    row = generate.locator(f"tr.detail[data-detail='{child}'] snac-diff")
    expect(row.locator(".snac-diff-b .snac-layer.snac-added")).to_have_count(1)
    expect(row.locator(".snac-diff-a .snac-layer.snac-removed")).to_have_count(1)
    screenshot(generate.locator(f"tr.detail[data-detail='{child}']"), "diff-children")

    # the overview's hover card: the diff against the parent
    mount(
        page,
        server,
        '<!doctype html><html><body style="margin:0">'
        "<style>remap-overview{height:620px;width:960px}</style>"
        f'<remap-overview src="{server.events_url(session)}"></remap-overview>'
        '<script type="module" src="/ui/remap.js"></script></body></html>',
    )
    ov = "document.querySelector('remap-overview')"
    page.wait_for_function(f"() => {ov}?._models?.ids?.length === 5")
    i = page.evaluate(f"{ov}._models.ids.indexOf('{child}')")
    page.evaluate(f"(() => {{ const el = {ov}; el._hover = {i}; el.requestRender(); }})()")
    tip = page.locator("remap-overview .tip")
    expect(tip.locator("snac-diff .snac-layer.snac-added")).to_have_count(1)
    expect(tip).to_contain_text(f"vs parent {parent}")
    screenshot(page, "diff-hover-card")


def test_the_snac_page_diffs_any_two_architectures(server, page, screenshot) -> None:
    a = {
        "name": "A",
        "input": {"shape": [1, 8, 8], "classes": 10},
        "layers": [
            {"type": "conv", "filters": 16},
            {"type": "relu"},
            {"type": "maxpool", "pool": 2},
            {"type": "flatten"},
            {"type": "dense", "units": 10},
        ],
    }
    b = {**a, "name": "B"}
    b["layers"] = [
        {"type": "conv", "filters": 32},
        {"type": "relu"},
        {"type": "conv", "filters": 32},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "dense", "units": 10},
    ]
    page.goto(f"{server.url}/snacs/")
    page.locator("#spec").fill(json.dumps(a, indent=1))
    page.locator("#spec-b").fill(json.dumps(b, indent=1))
    page.locator("#diff-run").click()
    diff = page.locator("#diff snac-diff")
    expect(diff.locator(".snac-diff-b .snac-layer.snac-added")).to_have_count(2)
    expect(diff.locator(".snac-diff-a .snac-layer.snac-removed")).to_have_count(1)
    expect(diff.locator(".snac-diff-b .snac-layer.snac-changed")).to_have_count(1)
    assert "filters 16 → 32" in diff.locator(".snac-diff-words").text_content()
    expect(page.locator("#diff-download")).to_have_attribute("aria-disabled", "false")
    page.locator("#diff-title").scroll_into_view_if_needed()
    screenshot(page, "diff-snac-page", full_page=True)
    # a bad B: the error in REMAP's words with where it is
    page.locator("#spec-b").fill(json.dumps({**b, "layers": [{"type": "dropout", "rate": 3}]}))
    page.locator("#diff-run").click()
    expect(page.locator("#diff-error")).to_contain_text("B $.layers[0].rate")


def test_an_img_chip_shows_each_layers_parameters_on_hover(server, page, screenshot) -> None:
    page.goto(f"{server.url}/snacs/")
    chip = page.locator("#sizes snac-chip[height='64']")
    img = chip.locator("img")
    expect(img).to_have_count(1)
    img.evaluate("i => i.decode()")
    box = img.bounding_box()
    # the page's starting spec (m17): its first block is a conv; hover its middle
    height = box["height"]
    page.mouse.move(box["x"] + 0.08 * height + 0.25 * height, box["y"] + height / 2)
    tip = chip.locator(".layer-tip")
    expect(tip).to_contain_text("conv")
    expect(tip).to_contain_text("parameters")
    assert "layer 0" in tip.inner_text()
    screenshot(page, "chip-layer-hover")
    page.mouse.move(0, 0)
    expect(tip).to_have_count(0)
