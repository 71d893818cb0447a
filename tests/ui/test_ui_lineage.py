"""<remap-lineage> (issue 22) in a real browser beside <remap-overview>, on a small trained
session with a family: two sampled roots, a variation of m1 and m1 trained longer, and
a variation of the variation. The edges and their Δ labels, a collapse by mouse and
by keyboard, a note and a tag on a node, a click that selects (the path highlighted),
and the selected model's parent → child edges on the overview's canvas in two
projections; then the app's tab and the lineage's figure."""

from __future__ import annotations

import json
import random

import pytest
from playwright.sync_api import expect

from .conftest import mount

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LINEAGE = "document.querySelector('remap-lineage')"
OVERVIEW = "document.querySelector('remap-overview')"


@pytest.fixture(scope="module")
def family(server) -> tuple[str, dict]:
    """m1, m2 sampled; m3 a variation of m1, m4 m1 trained longer, m5 a variation of m3."""
    session = server.new_session("lineage", sample=2, epochs=1, limit=200)
    server.wait_idle(session)
    commands = f"/api/sessions/{session}/commands"
    server.post(commands, {"type": "vary", "model": "m1", "count": 1, "seed": 1})
    server.post(commands, {"type": "continue_training", "model": "m1", "epochs": 1})
    server.post(commands, {"type": "vary", "model": "m3", "count": 1, "seed": 2})
    state = server.wait_idle(session)
    # notes and tags (events of their own): the lineage shows them on the node
    server.post(commands, {"type": "write_note", "model": "m3", "text": "wider conv helps"})
    server.post(commands, {"type": "change_tags", "model": "m3", "add": ["keep"]})
    return session, state


def _open(page, server, session: str) -> None:
    src = server.events_url(session)
    mount(
        page,
        server,
        f"""<style>body {{ margin: 0; padding: 10px; display: flex; gap: 10px; background: #fff; }}
        remap-lineage {{ width: 640px; height: 520px; }}
        remap-overview {{ width: 700px; height: 520px; }}</style>
        <script type="module" src="{server.url}/ui/remap.js"></script>
        <remap-lineage src="{src}"></remap-lineage><remap-overview src="{src}"></remap-overview>""",
    )


def test_lineage_edges_collapse_select_and_the_overview_edges(server, family, page, screenshot):
    session, state = family
    models = state["models"]
    kids = {m["id"]: m["parent"] for m in models.values() if m["parent"]}
    grand = models["m5"]  # a variation of the variation m3
    assert len(models) == 5
    assert kids == {"m3": "m1", "m4": "m1", "m5": "m3"}
    _open(page, server, session)
    lineage = page.locator("remap-lineage")
    page.wait_for_function(f"() => {LINEAGE}?.stats?.models === 5")

    # one node per model, one labelled edge per parent → child
    expect(lineage.locator(".node")).to_have_count(5)
    edges = lineage.locator("svg.edges path.edge")
    expect(edges).to_have_count(3)
    got = set(edges.evaluate_all("es => es.map(e => e.dataset.parent + '>' + e.dataset.child)"))
    assert got == {f"{p}>{c}" for c, p in kids.items()}
    label = lineage.locator("text.edge-label[data-child='m5']")
    d_params = grand["params"] - models["m3"]["params"]
    assert int(label.get_attribute("data-dparams")) == d_params
    # Δacc: the plotted metric (val, last epoch), child − parent, in points
    val = lambda m: m["curve"][-1]["val_acc"]  # noqa: E731
    d_acc = 100 * (val(grand) - val(models["m3"]))
    assert float(label.get_attribute("data-dacc")) == pytest.approx(d_acc, abs=0.01)
    expect(label.locator("tspan.dacc")).to_have_text(
        f"{'+' if round(d_acc, 1) > 0 else '−' if round(d_acc, 1) < 0 else '±'}"
        + ("0" if round(d_acc, 1) == 0 else f"{abs(round(d_acc, 1)):.1f} pt")
    )
    expect(lineage.locator(".node[data-model='m2'] .kind")).to_have_text("sample")
    expect(lineage.locator(".node[data-model='m4'] .kind")).to_have_text("continued")
    mark = lineage.locator(".node[data-model='m3'] .note-mark")
    expect(mark).to_have_attribute("data-notes", "1")
    expect(mark).to_have_attribute("data-tags", "keep")
    expect(mark).to_have_text("✎1 #keep")

    # collapse m1's subtree by its handle: three descendants fold away, then by keyboard back
    lineage.locator("button.toggle[data-toggle='m1']").click()
    expect(lineage.locator(".node")).to_have_count(2)
    expect(lineage.locator(".hidden-count[data-hidden='3']")).to_have_text("3 hidden")
    expect(edges).to_have_count(0)
    expect(lineage.locator(".node[data-model='m1']")).to_have_attribute("aria-expanded", "false")
    lineage.locator(".node[data-model='m1']").focus()
    page.keyboard.press("ArrowRight")
    expect(lineage.locator(".node")).to_have_count(5)
    page.keyboard.press("ArrowLeft")  # folds again
    expect(lineage.locator(".node")).to_have_count(2)
    page.keyboard.press("ArrowRight")
    expect(lineage.locator(".node")).to_have_count(5)

    # a click selects: the page's selection; the path root → it highlighted
    lineage.locator(".node[data-model='m5']").click()
    page.wait_for_function(f"() => {LINEAGE}.session.ui.selected === 'm5'")
    expect(lineage.locator(".node[data-model='m5']")).to_have_attribute("aria-selected", "true")
    on_path = lineage.locator("svg.edges path.edge.path")
    expect(on_path).to_have_count(2)
    assert set(on_path.evaluate_all("es => es.map(e => e.dataset.child)")) == {"m3", "m5"}
    expect(lineage.locator(".node.path")).to_have_count(3)

    # the overview draws the selected model's edges: m5's one parent …
    page.wait_for_function(f"() => {OVERVIEW}.stats.lineageEdges === 1")
    screenshot(page, "lineage-selected")
    # … and m1's two children (keyboard: Home, Enter), in the accuracy and search views
    lineage.locator(".node[data-model='m2']").focus()
    page.keyboard.press("Home")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => {LINEAGE}.session.ui.selected === 'm1'")
    page.wait_for_function(f"() => {OVERVIEW}.stats.lineageEdges === 2")
    expect(lineage.locator("svg.edges path.edge.child")).to_have_count(2)
    page.locator("remap-overview button", has_text="Search").first.click()
    page.wait_for_function(
        f"() => {{ const s = {OVERVIEW}.stats; return s.projection === 'search' && !s.animating"
        " && s.lineageEdges === 2; }"
    )
    screenshot(page, "lineage-overview-search")


def test_the_app_has_a_lineage_tab(server, family, page, screenshot) -> None:
    session, _ = family
    page.goto(f"{server.url}/?session={session}#tab=lineage&selected=m1")
    tab = page.locator("remap-app [role='tab']#tab-lineage")
    expect(tab).to_have_attribute("aria-selected", "true")
    lineage = page.locator("remap-app remap-lineage")
    expect(lineage.locator(".node")).to_have_count(5)
    expect(lineage.locator(".node[data-model='m1']")).to_have_attribute("aria-selected", "true")
    box = lineage.bounding_box()
    assert box
    assert box["height"] > 250
    screenshot(page, "lineage-app")
    # its "Save figure" menu links the server's figure of the lineage: one mark per model
    href = lineage.locator("details.figure-menu[data-view='lineage'] a[data-format='svg']")
    url = href.get_attribute("href")
    assert f"/api/sessions/{session}/figures/lineage.svg" in url
    page.goto(url)
    marks = page.locator("svg.remap-figure .model-mark")
    expect(marks).to_have_count(5)
    expect(page.locator("svg.remap-figure path.lineage-edge")).to_have_count(3)
    screenshot(page, "lineage-figure")


def _family_log(n: int, seed: int = 0) -> tuple[list, dict]:
    """`n` "model created" envelopes of a search's shape (40 sampled roots, the rest
    children of recent models) and each model's parent."""
    rnd = random.Random(seed)
    kinds = ["ablation", "variation", "handcraft", "continued", "replicate", "auto_search"]
    envelopes, parents = [], {}
    for i in range(n):
        mid = f"m{i + 1}"
        parent = None if i < 40 else f"m{rnd.randint(max(1, i - 120), i)}"
        parents[mid] = parent
        origin = {"type": "sampled" if parent is None else rnd.choice(kinds)}
        event = {
            "kind": "model_created", "model": mid, "arch": {"name": mid, "layers": []},
            "parent": parent, "origin": origin,
            "changes": [], "description": "", "params": rnd.randint(2_000, 90_000), "flops": 1,
            "arch_hash": mid,
        }  # fmt: skip
        envelopes.append({"seq": i + 1, "at": "2026-01-01T00:00:00Z", "session": "s",
                          "event": event})  # fmt: skip
    return envelopes, parents


def test_hundreds_of_models_draw_only_the_window(server, page) -> None:
    envelopes, parents = _family_log(600)
    src = f"{server.url}/api/sessions/lineage-file/events"
    mount(
        page,
        server,
        f"""<style>body {{ margin: 0; }} remap-lineage {{ width: 640px; height: 600px; }}</style>
        <remap-lineage></remap-lineage>
        <script type="module">
        import {{ staticSession }} from "{server.url}/ui/remap.js";
        staticSession("{src}", {json.dumps(envelopes)});
        document.querySelector("remap-lineage").setAttribute("src", "{src}");
        </script>""",
    )
    page.wait_for_function(f"() => {LINEAGE}?.stats?.models === 600")
    stats = page.evaluate(f"() => {LINEAGE}.stats")
    assert stats["shown"] == 600
    assert stats["nodes"] < 80  # a window of rows, not 600 nodes
    lineage = page.locator("remap-lineage")
    expect(lineage.locator(".node")).to_have_count(stats["nodes"])
    # a selection made elsewhere, far down: scrolled to, its whole path drawn
    deep = max(parents, key=lambda m: len(_path(parents, m)))
    page.evaluate(f"id => {LINEAGE}.session.select(id)", deep)
    node = lineage.locator(f".node[data-model='{deep}']")
    expect(node).to_be_in_viewport()
    on_path = lineage.locator("svg.edges path.edge.path")
    expect(on_path).to_have_count(len(_path(parents, deep)) - 1)
    # collapse everything: the 40 roots are left; selecting a hidden model unfolds its path
    lineage.get_by_role("button", name="Collapse all").click()
    page.wait_for_function(f"() => {LINEAGE}.stats.shown === 40")
    other = next(m for m in reversed(parents) if parents[m] and m != deep)
    page.evaluate(f"id => {LINEAGE}.session.select(id)", other)
    expect(lineage.locator(f".node[data-model='{other}']")).to_be_in_viewport()
    assert page.evaluate(f"() => {LINEAGE}.stats.shown") > 40


def _path(parents: dict, mid: str | None) -> list[str]:
    out = []
    while mid is not None:
        out.append(mid)
        mid = parents[mid]
    return out
