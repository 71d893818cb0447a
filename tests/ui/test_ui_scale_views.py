"""Issue 20 in a real browser, on an imported search of 300 models (no training): the
page opens from the lean packed state (every model light), a model the drawer gets is
fetched whole and equals the server's record (the stream resumed exactly, nothing
folded twice), the drawer has forward and backward time columns, and glyph mode draws
the models as their SNAC chips where the zoom leaves room (MAST Fig. 5c)."""

from __future__ import annotations

import json
import random
import urllib.request

import pytest
from playwright.sync_api import expect

from .conftest import mount

pytestmark = [pytest.mark.browser, pytest.mark.slow]

N = 300
OV = "document.querySelector('remap-overview')"


def _search(n: int, test: int) -> str:
    rnd = random.Random(3)
    rows = [json.dumps({"format": "remap-search", "source": "a scale test"})]
    for i in range(n):
        layers = []
        for _ in range(rnd.randint(1, 3)):
            layers += [{"type": "conv", "filters": rnd.choice([4, 8, 16, 32]),
                        "kernel": rnd.choice([3, 5])}, {"type": "relu"}]  # fmt: skip
        if rnd.random() < 0.5:
            layers.append({"type": "maxpool", "pool": 2})
        layers += [{"type": "flatten"}, {"type": "dense", "units": 10}]
        acc = rnd.uniform(0.3, 0.97)
        rows.append(json.dumps({
            "name": f"t{i}", "architecture": {"layers": layers}, "started_s": 2.0 * i,
            "epochs": [{"epoch": 1, "wall_s": 1.0, "val_acc": round(acc * 0.9, 3)},
                       {"epoch": 2, "wall_s": 1.0, "val_acc": round(acc, 3)}],
            "test_acc": acc, "predictions": [rnd.randrange(10) for _ in range(test)],
        }))  # fmt: skip
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def imported(server) -> str:
    session = server.new_session("an imported search", sample=0, limit=300)
    test = server.get(f"/api/sessions/{session}/state")["split"]["test"]
    request = urllib.request.Request(
        f"{server.url}/api/sessions/{session}/searches", _search(N, test).encode(),
        {"content-type": "application/x-ndjson"}, method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=120) as r:
        assert len(json.loads(r.read())["models"]) == N
    return session


def _page(page, server, session: str, body: str) -> None:
    page.set_viewport_size({"width": 1100, "height": 760})
    page.add_init_script("window.REMAP_SNAPSHOT_FROM = 1")  # open from the state
    mount(
        page, server,
        f'<!doctype html><html><body style="margin:0;padding:10px;background:#fff">{body}'
        f'<script type="module" src="{server.url}/ui/remap.js"></script></body></html>',
    )  # fmt: skip


def test_lean_open_then_whole_records_on_demand(server, page, imported) -> None:
    src = server.events_url(imported)
    _page(page, server, imported,
          f'<remap-overview src="{src}" style="height:420px"></remap-overview>'
          f'<remap-drawer src="{src}"></remap-drawer>')  # fmt: skip
    page.wait_for_function(f"n => {OV}?.stats.drawn === n", arg=N)
    opened = page.evaluate(
        f"() => {{ const s = {OV}.session; return [s.base, s.envelopes.length,"
        " [...s.live.models.values()].filter((m) => m.lite).length]; }"
    )
    last = server.get(f"/api/sessions/{imported}/state")["last_seq"]
    assert opened == [last, 0, N]  # from the packed state, every model light, no event streamed
    ids = [f"m{k}" for k in (7, 42)]
    server.post(f"/api/sessions/{imported}/commands", {"type": "drawer_add", "models": ids})
    page.wait_for_function(
        f"ids => ids.every((id) => !{OV}.session.live.models.get(id).lite)", arg=ids
    )
    whole = server.get(f"/api/sessions/{imported}/state")
    for model in ids:
        mine = page.evaluate(f"id => {OV}.session.live.models.get(id)", model)
        assert mine == whole["models"][model]  # the server's record, exactly
    assert page.evaluate(f"() => {OV}.session.envelopes.map((e) => e.seq)") == [last + 1]
    drawer = page.locator("remap-drawer")
    expect(drawer.locator("tbody tr")).to_have_count(2)
    expect(drawer.locator("thead th button[aria-label='Sort by Fwd ms']")).to_have_count(1)
    expect(drawer.locator("thead th button[aria-label='Sort by Bwd ms']")).to_have_count(1)


def test_glyph_mode_draws_chips_where_zoom_leaves_room(server, page, imported, screenshot) -> None:
    _page(page, server, imported,
          f'<remap-overview src="{server.events_url(imported)}" '
          'style="height:700px"></remap-overview>')  # fmt: skip
    page.wait_for_function(f"n => {OV}?.stats.drawn === n", arg=N)
    overview = page.locator("remap-overview")
    overview.locator("[role=group] button", has_text="Structure").click()
    page.wait_for_function(f"() => {OV}.stats.projection === 'structure' && !{OV}.stats.animating")
    glyphs = overview.locator("button[data-glyphs]")
    glyphs.click()
    expect(glyphs).to_have_attribute("aria-pressed", "true")
    page.wait_for_function(f"() => {OV}.stats.glyphs > 0")
    whole = page.evaluate(f"{OV}.stats.glyphs")
    # zoom in where the most distinct places are close (models of one architecture share
    # a place: zoom never parts them): the cluster's dots become chips
    x, y = page.evaluate(
        f"""() => {{ const el = {OV};
        const pts = el._models.ids.map((id) => el.pointOf(id)).filter(Boolean);
        let best = pts[0], most = -1;
        for (const p of pts) {{
          const near = pts.filter((q) => Math.hypot(q.x - p.x, q.y - p.y) < 40);
          const c = new Set(near.map((q) => `${{Math.round(q.x)}},${{Math.round(q.y)}}`)).size;
          if (c > most) {{ most = c; best = p; }} }}
        return [best.x, best.y]; }}"""
    )
    page.mouse.move(x, y)
    for _ in range(2):
        page.mouse.wheel(0, -240)
    page.wait_for_function(f"n => {OV}.stats.zoom > 1.3 && {OV}.stats.glyphs > n", arg=whole)
    # every chip drawn has its SNAC loaded
    page.wait_for_function(
        f"() => {{ const el = {OV}; return el._cache.glyphs.length > 0 && el._cache.glyphs"
        ".every((id) => el._glyphImages.images.get(id)?.complete); }"
    )
    page.mouse.move(2, 2)  # no tooltip over the chips
    page.wait_for_function(f"() => {OV}.session.ui.hover === null && !{OV}._dirty")
    screenshot(page, "overview-glyphs-1100x760")
    glyphs.click()
    page.wait_for_function(f"() => {OV}.stats.glyphs === 0")
