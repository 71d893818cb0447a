"""<remap-generate> in a real browser, inside a 620 px panel (the app's tabs column):
ablations over a brushed range of layers, variations with some kinds switched off,
a handcrafted child (reparameterize + remove, with the live SNAC preview), and a
handcraft the server refuses, shown inline with its path. The children table follows
the children live: rows appear, loss sparklines grow epoch by epoch, accuracies land."""

from __future__ import annotations

import re

import msgspec
import pytest
from playwright.sync_api import expect

from nas_core.arch import ArchitectureError, decode_architecture, validate

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REMOVABLE = {"dropout", "relu", "tanh", "sigmoid", "batchnorm"}
ACTIVATIONS = {"relu", "tanh", "sigmoid"}
LIVE = re.compile(r"\blive\b")

# Records, every 10 ms, how many points each child row's sparkline has: the growth of
# the lines is then read from the history, however fast the epochs go by.
RECORDER = """() => {
  window.__sparks = {};
  const g = document.querySelector('remap-generate');
  setInterval(() => {
    for (const tr of g.shadowRoot.querySelectorAll('table.children tbody tr')) {
      const line = tr.querySelector('polyline');
      const n = line ? line.getAttribute('points').trim().split(/\\s+/).length : 0;
      const seen = (window.__sparks[tr.dataset.model] ??= []);
      if (seen.at(-1) !== n) seen.push(n);
    }
  }, 10);
}"""


def mount(page, server, session: str, models: int) -> object:
    """A page of the server's origin holding only <remap-generate> in a 620 px wide
    scrolling panel (served by Playwright: the server has no such page)."""
    body = (
        '<!doctype html><html><body style="margin:0;background:#eef0f3;font-family:sans-serif">'
        '<div id="panel" style="width:620px;height:890px;overflow:auto;margin:5px;padding:8px;'
        'background:#fff;border:1px solid #dde1e6;border-radius:6px;box-sizing:border-box">'
        f'<remap-generate src="{server.events_url(session)}"></remap-generate></div>'
        '<script type="module" src="/ui/remap.js"></script></body></html>'
    )
    url = server.url + "/generate-view-test.html"
    page.route(url, lambda route: route.fulfill(body=body, content_type="text/html"))
    page.goto(url)
    page.wait_for_function(
        "n => { const g = document.querySelector('remap-generate');"
        " return g && g.session && g.session.live.models.size >= n; }",
        arg=models,
    )
    return page.locator("remap-generate")


def select(page, model: str) -> None:
    page.evaluate("id => document.querySelector('remap-generate').session.select(id)", model)


def ablation_valid(parent: dict, i: int) -> bool:
    """Whether nas_core takes `parent` without its layer `i` (the view's count)."""
    arch = dict(
        parent["arch"], layers=[lay for j, lay in enumerate(parent["arch"]["layers"]) if j != i]
    )
    try:
        validate(decode_architecture(msgspec.json.encode(arch)))
    except ArchitectureError:
        return False
    return True


def children(server, session: str, parent: str, kind: str) -> list[dict]:
    state = server.get(f"/api/sessions/{session}/state")
    return [
        m for m in state["models"].values() if m["parent"] == parent and m["origin"]["type"] == kind
    ]


@pytest.fixture(scope="module")
def trained(server) -> tuple[str, dict]:
    """A session of 3 tiny models that train 3 epochs each, all trained; its id and state."""
    session = server.new_session("generate view", sample=3, epochs=3, limit=500)
    return session, server.wait_idle(session)


def test_ablations_and_variations_make_children_that_train_live(
    server, page, screenshot, trained
) -> None:
    session, state = trained
    view = mount(page, server, session, 3)
    # no selection yet: the view offers the trained models
    picker = view.locator("select.model-picker")
    picker.wait_for()
    assert picker.locator("option").count() == 4  # "Choose…" + 3 trained models
    screenshot(page, "generate-choose")
    parent = max(state["models"].values(), key=lambda m: len(m["arch"]["layers"]))
    picker.select_option(parent["id"])
    cells = view.locator(".brush .cell")
    n = len(parent["arch"]["layers"])
    assert cells.count() == n
    # all by default; those whose removal nas_core finds invalid are not counted
    valid = [i for i in range(n) if ablation_valid(parent, i)]
    assert view.get_by_role("button", name=f"Run {len(valid)} ablations").is_visible()

    # brush layers 0..2 (a drag), then click one off and on again
    first = cells.nth(0).bounding_box()
    third = cells.nth(2).bounding_box()
    page.mouse.move(first["x"] + 10, first["y"] + 10)
    page.mouse.down()
    page.mouse.move(third["x"] + 10, third["y"] + 10, steps=6)
    page.mouse.up()
    for i in range(n):
        expect(cells.nth(i)).to_have_attribute("aria-pressed", "true" if i < 3 else "false")
    cells.nth(1).click()
    expect(cells.nth(1)).to_have_attribute("aria-pressed", "false")
    cells.nth(1).click()
    expect(cells.nth(1)).to_have_attribute("aria-pressed", "true")
    screenshot(page, "generate-ablations")

    page.evaluate(RECORDER)
    chosen = len([i for i in (0, 1, 2) if i in valid])
    view.get_by_role("button", name=f"Run {chosen} ablation{'' if chosen == 1 else 's'}").click()
    note = view.locator(".result-note")
    note.wait_for()
    made = children(server, session, parent["id"], "ablation")
    assert made, note.inner_text()
    assert sorted(m["origin"]["index"] for m in made) == sorted(
        {0, 1, 2} - {int(t.split()[1].rstrip(":")) for t in note.locator("li").all_inner_texts()}
    )
    rows = view.locator("table.children tbody tr")
    rows.nth(len(made) - 1).wait_for()
    assert rows.count() == len(made)
    assert set(rows.locator("td.id .who > span").all_inner_texts()) == {m["id"] for m in made}
    assert set(rows.locator("td.id small").all_inner_texts()) == {"Ablation"}

    server.wait_idle(session)
    page.wait_for_function(
        "n => [...document.querySelector('remap-generate').shadowRoot"
        ".querySelectorAll('table.children tbody tr td.acc')]"
        ".filter(td => td.textContent.includes('%') && !td.classList.contains('live'))"
        ".length === n",
        arg=len(made),
    )
    # the recorder polls every 10 ms: let it see the last render before reading
    page.wait_for_function(
        "ids => ids.every(id => (window.__sparks[id] ?? []).at(-1) === 3)",
        arg=[m["id"] for m in made],
    )
    history = page.evaluate("() => window.__sparks")
    for m in made:
        seen = history[m["id"]]
        assert seen[-1] == 3, seen  # 3 epochs, one point each
        assert seen == sorted(seen), seen  # the line only grows
    # replay each child's training with the timeline cursor: at its k-th "epoch
    # completed" the line has k points and the accuracy is the validation one, marked
    # (live, the epochs of these tiny models can land within one frame)
    child = made[0]["id"]
    seqs = page.evaluate(
        "id => document.querySelector('remap-generate').session.envelopes"
        ".filter(e => e.event.kind === 'epoch_completed' && e.event.model === id).map(e => e.seq)",
        child,
    )
    assert len(seqs) == 3
    row = view.locator(f'table.children tbody tr[data-model="{child}"]')
    for k, seq in enumerate(seqs, 1):
        page.evaluate("s => document.querySelector('remap-generate').session.setCursor(s)", seq)
        page.wait_for_function(
            "([id, k]) => { const line = document.querySelector('remap-generate').shadowRoot"
            ".querySelector(`tr[data-model=${id}] polyline`);"
            " return line && line.getAttribute('points').trim().split(/\\s+/).length === k; }",
            arg=[child, k],
        )
        expect(row.locator("td.acc")).to_have_class(LIVE)  # not finished at its last epoch yet
        if k == 1:
            screenshot(page, "generate-ablations-training")
    page.evaluate("() => document.querySelector('remap-generate').session.setCursor(null)")
    expect(row.locator("td.acc")).not_to_have_class(LIVE)
    screenshot(page, "generate-ablations-trained")

    # variations: no removals anywhere, no replacement of layer 0
    view.get_by_role("radio", name="Variations").click()
    view.get_by_role("button", name="toggle remove at every layer").click()
    view.get_by_label("replace at layer 0", exact=False).uncheck()
    view.locator('input[name="count"]').fill("3")
    view.locator('input[name="count"]').dispatch_event("change")
    view.locator('input[name="max_changes"]').fill("1")
    view.locator('input[name="max_changes"]').dispatch_event("change")
    view.locator('input[name="seed"]').fill("7")
    view.locator('input[name="seed"]').dispatch_event("change")
    screenshot(page, "generate-variations")
    view.get_by_role("button", name="Run 3 variations").click()
    view.locator(".result-note").get_by_text("variations of").wait_for()
    varied = children(server, session, parent["id"], "variation")
    assert varied
    kept = ["prepend", "replace", "reparameterize"]
    expected = {str(i): [k for k in kept if (i, k) != (0, "replace")] for i in range(n)}
    for m in varied:
        assert m["origin"]["allowed"] == expected
        assert m["origin"]["max_changes"] == 1
        assert m["origin"]["seed"] == 7
        assert len(m["changes"]) == 1
        change = m["changes"][0]
        assert change["kind"] != "remove"
        assert (change["kind"], change["index"]) != ("replace", 0)
    rows.nth(len(made) + len(varied) - 1).wait_for()
    # newest first: the variations head the table
    assert rows.nth(0).locator("td.id small").inner_text() == "Variation"
    server.wait_idle(session)

    # a child row selects the child; the view stays on the parent (re-basing is explicit)
    child = rows.nth(0).get_attribute("data-model")
    rows.nth(0).click()
    chosen = page.evaluate("() => document.querySelector('remap-generate').session.ui.selected")
    assert chosen == child
    expect(view.locator("h2")).to_have_text(f"Children of {parent['id']}")


def test_handcraft_previews_creates_and_shows_refusals(server, page, screenshot, trained) -> None:
    session, state = trained
    view = mount(page, server, session, 3)
    # a parent with a layer to remove and another to reparameterize (seeded: always found)
    for parent in state["models"].values():
        layers = parent["arch"]["layers"]
        removable = [i for i, lay in enumerate(layers) if lay["type"] in REMOVABLE]
        tunable = [
            i
            for i, lay in enumerate(layers)
            if lay["type"] in ("conv", "dropout") or lay["type"] in ACTIVATIONS
        ]
        tunable = [i for i in tunable if not removable or i != removable[0]]
        if removable and tunable:
            break
    else:
        pytest.fail("no sampled model has a removable and a tunable layer")
    r, p = removable[0], tunable[0]
    select(page, parent["id"])
    view.get_by_role("radio", name="Handcraft").click()
    preview = view.locator("img.preview-img")
    preview.wait_for()
    version = int(preview.get_attribute("data-version"))

    # reparameterize layer p: an activation from its choices, a number to another value
    view.locator(f'.editor .cell[data-index="{p}"]').click()
    popover = view.locator(".popover")
    field = popover.locator("select, input").first
    current = field.input_value()
    if layers[p]["type"] in ACTIVATIONS:
        options = [o for o in field.locator("option").all_inner_texts() if o != current]
        field.select_option(options[0])
    else:
        field.fill(
            str(
                0.5
                if layers[p]["type"] == "dropout" and current != "0.5"
                else 0.25
                if layers[p]["type"] == "dropout"
                else int(current) + 8
            )
        )
        field.dispatch_event("change")
    screenshot(page, "generate-handcraft-edit-layer")
    popover.get_by_role("button", name="Reparameterize").click()
    page.wait_for_function(
        "v => { const i = document.querySelector('remap-generate').shadowRoot"
        ".querySelector('img.preview-img'); return i && +i.dataset.version > v; }",
        arg=version,
    )
    version = int(preview.get_attribute("data-version"))
    # remove layer r
    view.locator(f'.editor .cell[data-index="{r}"]').click()
    view.locator(".popover").get_by_role("button", name="Remove layer").click()
    page.wait_for_function(
        "v => { const i = document.querySelector('remap-generate').shadowRoot"
        ".querySelector('img.preview-img'); return i && +i.dataset.version > v; }",
        arg=version,
    )
    assert view.locator(".edits li").count() == 2
    assert view.locator(".editor .cell").count() == len(layers) - 1
    screenshot(page, "generate-handcraft")

    view.get_by_role("button", name="Create handcrafted model").click()
    view.locator(".note").get_by_text("handcrafted child").wait_for()
    made = children(server, session, parent["id"], "handcraft")
    assert len(made) == 1
    edits = made[0]["origin"]["edits"]
    key = "activation" if layers[p]["type"] in ACTIVATIONS else next(iter(edits[0]["params"]))
    assert edits[0]["op"] == "reparam"
    assert edits[0]["index"] == p
    assert key in edits[0]["params"]
    assert edits[1] == {"op": "remove", "index": r}
    row = view.locator(f'table.children tbody tr[data-model="{made[0]["id"]}"]')
    row.wait_for()
    assert row.locator("td.id small").inner_text() == "Handcrafted"
    assert view.locator(".edits li").count() == 0  # the list starts afresh

    # a conv after the flatten (before the classifier): the renderer and server refuse
    n = len(layers)
    view.get_by_role("button", name=f"insert a layer at {n - 1}").click()
    view.locator(".popover select#insert-type").select_option("conv")
    view.locator(".popover").get_by_role("button", name="Insert").click()
    bad = view.locator(".preview-error")
    bad.wait_for()
    assert f"$.layers[{n - 1}]" in bad.inner_text()
    # the preview says it is invalid: Create is off (the server would refuse it)
    expect(view.get_by_role("button", name="Create handcrafted model")).to_be_disabled()
    expect(view.locator(".preview .invalid")).to_contain_text("conv after")
    screenshot(page, "generate-handcraft-refused")
    # undoing the bad edit clears the preview's error
    view.get_by_role("button", name="undo edit 1").click()
    preview.wait_for()
    server.wait_idle(session)
