"""Control over training in a real browser (issue 19): the session controls of the Queue
tab (pause / resume, the live concurrency, sample N more, re-queue the failed and
cancelled, the median stopping rule for every training), cancelling a brushed set from
the overview, importing a session file by dropping it on the page, per-child training
settings in the Generate view, and replicates ("retrain with N seeds") with their
mean ± sd in the inspector, the drawer and the overview."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from .conftest import poll

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 60_000


def state_of(server, session: str) -> dict:
    return server.get(f"/api/sessions/{session}/state")


def command(server, session: str, body: dict) -> dict:
    return server.post(f"/api/sessions/{session}/commands", body)


def cancel_the_rest(server, session: str) -> None:
    for mid, m in state_of(server, session)["models"].items():
        if m["status"] in ("queued", "running"):
            command(server, session, {"type": "cancel", "model": mid})


def open_app(page, server, session: str, models: int, tab: str | None = None) -> object:
    page.goto(f"{server.url}/?session={session}")
    page.wait_for_function(
        "n => { const a = document.querySelector('remap-app');"
        " return a && a.session && a.session.live.models.size >= n; }",
        arg=models,
        timeout=WAIT_MS,
    )
    app = page.locator("remap-app")
    if tab:
        app.get_by_role("tab", name=tab.capitalize()).click()
    return app


@pytest.fixture
def slow_session(server):
    """Four models of 1000 epochs: one trains, the rest wait. Cancelled afterwards."""
    session = server.new_session("controls", sample=4, epochs=1000, limit=500)
    yield session
    cancel_the_rest(server, session)


def test_pause_resume_concurrency_sample_more_and_requeue(
    server, page, screenshot, slow_session
) -> None:
    session = slow_session
    app = open_app(page, server, session, 4, tab="queue")
    bar = app.locator("remap-session-controls").get_by_role("toolbar", name="Session controls")
    bar.wait_for()
    state = bar.locator("[data-queue-state]")
    assert state.inner_text() == "running"

    # pause: recorded, shown, and the button becomes Resume
    bar.get_by_role("button", name="Pause").click()
    poll(lambda: state_of(server, session)["paused"], "the queue paused")
    state.filter(has_text="paused").wait_for()
    bar.get_by_role("button", name="Resume").wait_for()

    # the concurrency, live
    box = bar.get_by_label("models trained at once")
    box.fill("3")
    bar.get_by_role("button", name="Set").click()
    poll(lambda: state_of(server, session)["concurrency"] == 3, "the concurrency set")
    expect(bar.get_by_role("button", name="Set")).to_be_disabled()  # 3 is the limit now

    # sample 2 more: the models join the queue (paused: they wait)
    bar.get_by_label("models to sample").fill("2")
    bar.get_by_role("button", name="more models").click()
    poll(lambda: len(state_of(server, session)["models"]) == 6, "two more models")
    page.wait_for_function(
        "() => document.querySelector('remap-app').session.live.models.size === 6",
        timeout=WAIT_MS,
    )

    # re-queue the cancelled ones: two cancelled by the API, one click queues both again
    waiting = state_of(server, session)["queue"][-2:]
    for mid in waiting:
        command(server, session, {"type": "cancel", "model": mid})
    requeue = bar.locator("[data-requeue]")
    requeue.filter(has_text="Re-queue 2 failed / cancelled").wait_for()
    screenshot(page, "session-controls-paused")
    requeue.click()
    poll(
        lambda: all(state_of(server, session)["models"][m]["status"] == "queued" for m in waiting),
        "the cancelled models queued again",
    )
    requeue.filter(has_text="Re-queue 0").wait_for()
    expect(requeue).to_be_disabled()

    # the median stopping rule for every training: on, then off, each a recorded command
    rule = bar.locator("input[name=median_rule]")
    expect(rule).not_to_be_checked()
    rule.check()
    poll(lambda: state_of(server, session)["median_rule"] == 5, "the median rule on")
    expect(rule).to_be_checked()
    rule.uncheck()
    poll(lambda: state_of(server, session)["median_rule"] is None, "the median rule off")

    # a refused value comes back with its path as a toast
    box.fill("0")
    bar.get_by_role("button", name="Set").click()
    toast = app.locator(".toast").filter(has_text="$.concurrency")
    toast.wait_for()
    assert "must be at least 1" in toast.inner_text()

    bar.get_by_role("button", name="Resume").click()
    poll(lambda: not state_of(server, session)["paused"], "the queue resumed")
    state.filter(has_text="running").wait_for()
    screenshot(page, "session-controls")


def test_cancel_every_model_of_a_brushed_set(server, page, screenshot, slow_session) -> None:
    session = slow_session
    app = open_app(page, server, session, 4)
    overview = app.locator("remap-overview")
    canvas = overview.locator("canvas.main")
    canvas.wait_for()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 8)
    page.keyboard.down("Shift")
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=4)
    page.mouse.move(box["x"] + box["width"] - 8, box["y"] + box["height"] - 8, steps=4)
    page.mouse.up()
    page.keyboard.up("Shift")
    brushbar = overview.get_by_role("region", name="Brushed models")
    cancel = brushbar.locator("[data-cancel-brushed]")
    cancel.wait_for(timeout=WAIT_MS)
    # all four, or three when the first one's training ended meanwhile (a busy machine)
    assert re.search(r"Cancel [34] queued / training", cancel.inner_text())
    screenshot(page, "overview-brush-cancel")
    queued = [m for m, v in state_of(server, session)["models"].items() if v["status"] == "queued"]
    cancel.click()
    # every model ends cancelled, except one whose training ended between the label above
    # and the click (on a busy machine a 1000-epoch training can): none is left to train
    poll(
        lambda: all(
            v["status"] in ("cancelled", "done")
            for v in state_of(server, session)["models"].values()
        ),
        "every brushed model cancelled",
    )
    models = state_of(server, session)["models"]
    assert [m for m in queued if models[m]["status"] != "cancelled"] == []
    assert sum(v["status"] == "cancelled" for v in models.values()) >= 3
    brushbar.wait_for(state="detached")


def test_dropping_a_session_file_imports_and_opens_it(server, page, screenshot) -> None:
    source = server.new_session("to be shared", sample=2, epochs=1, limit=300)
    server.wait_idle(source)
    import urllib.request

    with urllib.request.urlopen(f"{server.url}/api/sessions/{source}/export") as r:
        lines = r.read().decode().splitlines()
    # the same log under another session id: an import of a new session
    moved = [json.dumps({**json.loads(line), "session": "dropped1"}) for line in lines]
    text = "\n".join(moved) + "\n"
    app = open_app(page, server, source, 2)
    drop = """([name, text]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], name, {type: "application/x-ndjson"}));
      const app = document.querySelector('remap-app');
      const init = {dataTransfer: dt, bubbles: true, composed: true};
      app.dispatchEvent(new DragEvent('dragover', init));
      return new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => {
        ok(!!app.shadowRoot.querySelector('[data-dropzone]'));
        app.dispatchEvent(new DragEvent('drop', init));
      })));
    }"""
    # a broken file is refused with its line, and the page stays
    broken = "\n".join([*moved[:2], "{not json"]) + "\n"
    assert page.evaluate(drop, ["broken.remap.jsonl", broken])
    toast = app.locator(".toast").filter(has_text="Import refused")
    toast.wait_for()
    assert "broken.remap.jsonl, line 3" in toast.inner_text()
    screenshot(page, "import-drop-refused")
    with page.expect_navigation():
        page.evaluate(drop, ["shared.remap.jsonl", text])
    assert "session=dropped1" in page.url
    page.locator("remap-app header").get_by_text("to be shared").wait_for()
    page.wait_for_function(
        "() => document.querySelector('remap-app').session.live.models.size === 2",
        timeout=WAIT_MS,
    )
    assert state_of(server, "dropped1")["name"] == "to be shared"
    screenshot(page, "import-drop-opened")


def test_dropping_an_archive_with_weights_imports_its_models_and_their_files(
    server, page, tmp_path
) -> None:
    import base64
    import io
    import zipfile

    source = server.new_session("shipped with weights", sample=2, epochs=1, limit=300)
    server.wait_idle(source)
    archive = tmp_path / "s.zip"
    from remap_server.cli import main

    assert main(["export", source, "-o", str(archive), "--with-weights",
                 "--data-dir", str(server.data_dir)]) == 0  # fmt: skip
    # the same archive under another session id, so that the import adds a session
    out = io.BytesIO()
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name.endswith(".remap.jsonl"):
                lines = data.decode().splitlines()
                data = ("\n".join(json.dumps({**json.loads(line), "session": "zipped1"})
                                   for line in lines) + "\n").encode()  # fmt: skip
                name = "zipped1.remap.jsonl"
            dst.writestr(name, data)
    app = open_app(page, server, source, 2)
    drop = """([name, b64]) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, {type: "application/zip"}));
      const app = document.querySelector('remap-app');
      app.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, composed: true}));
    }"""
    with page.expect_navigation():
        page.evaluate(drop, ["shipped.zip", base64.b64encode(out.getvalue()).decode()])
    assert "session=zipped1" in page.url
    app.locator("header").get_by_text("shipped with weights").wait_for()
    rows = server.get("/api/sessions/zipped1/models")
    assert [r["weights"] for r in rows] == ["present", "present"]


def test_training_overrides_from_the_generate_view(server, page, screenshot) -> None:
    session = server.new_session("overrides", sample=2, epochs=2, limit=300)
    server.wait_idle(session)
    app = open_app(page, server, session, 2)
    page.evaluate("() => document.querySelector('remap-app').session.select('m1')")
    generate = app.locator("remap-generate")
    training = generate.locator("details.training")
    training.locator("summary").click()
    # a bad value: the server names the field
    generate.get_by_label("epochs of the new models").fill("0")
    generate.locator(".actions button").filter(has_text="ablation").first.click()
    error = generate.locator(".inline-error")
    error.wait_for()
    assert "$.train.epochs" in error.inner_text()
    assert "must be at least 1" in error.inner_text()
    generate.get_by_label("epochs of the new models").fill("3")
    generate.get_by_label("learning rate of the new models").fill("0.01")
    generate.get_by_label("patience of the new models").fill("0")
    training.locator("summary").filter(has_text="3 epochs · lr 0.01 · no early stop").wait_for()
    generate.locator(".actions button").filter(has_text="ablation").first.click()
    generate.locator(".result-note").wait_for()
    kids = poll(
        lambda: [m for m in state_of(server, session)["models"].values() if m["parent"] == "m1"],
        "the ablations",
    )
    for m in kids:
        assert m["origin"]["train"] == {"epochs": 3, "lr": 0.01, "patience": 0}
        config = m["config"]
        assert (config["epochs"], config["lr"], config["patience"]) == (3, 0.01, None)
    note = generate.locator("table.children small.train").first
    note.wait_for()
    assert note.inner_text() == "⚙ 3 epochs · lr 0.01 · no early stop"
    server.wait_idle(session)
    done = state_of(server, session)["models"][kids[0]["id"]]
    assert done["result"]["epochs"] == 3  # trained as overridden
    screenshot(page, "generate-training-overrides")


def test_replicates_show_mean_and_sd_everywhere(server, page, screenshot) -> None:
    session = server.new_session("replicates", sample=3, epochs=2, limit=400)
    server.wait_idle(session)
    app = open_app(page, server, session, 3, tab="inspect")
    page.evaluate("() => document.querySelector('remap-app').session.select('m1')")
    inspector = app.locator("remap-inspector")
    part = inspector.get_by_role("region", name="Replicates of m1")
    part.wait_for()
    assert "no replicates" in part.inner_text()
    part.get_by_label("seeds to retrain m1 with").fill("3")
    part.get_by_role("button", name="Retrain").click()
    poll(lambda: len(state_of(server, session)["models"]) == 6, "three replicates")
    state = server.wait_idle(session)
    group = ["m1", "m4", "m5", "m6"]
    for mid in group[1:]:
        m = state["models"][mid]
        assert m["origin"]["type"] == "replicate"
        assert m["origin"]["of"] == "m1"
        assert m["arch_hash"] == state["models"]["m1"]["arch_hash"]
    accs = [state["models"][m]["result"]["test_acc"] for m in group]
    mean = sum(accs) / 4
    sd = (sum((a - mean) ** 2 for a in accs) / 3) ** 0.5
    expected = f"{mean * 100:.1f} % ± {sd * 100:.1f} (n = 4)"
    stats = part.locator("[data-group-stats]")
    stats.filter(has_text=expected).wait_for(timeout=WAIT_MS)
    assert part.locator("button.member").count() == 4
    screenshot(page, "inspector-replicates")
    # the drawer: the group's mean ± sd under each member's accuracy
    command(server, session, {"type": "drawer_add", "models": ["m1", "m5", "m2"]})
    drawer = app.locator("remap-drawer")
    short = f"{mean * 100:.1f} ± {sd * 100:.1f} ×4"
    cell = drawer.locator("tr[data-id='m5'] [data-group-stats]").filter(has_text=short)
    cell.wait_for()
    assert expected in cell.get_attribute("title")
    assert drawer.locator("tr[data-id='m2'] [data-group-stats]").count() == 0
    # the overview: one bar for the group, at m1's size, at the mean of what it plots
    # (the default metric: the validation accuracy of the last epoch)
    plotted = [state["models"][m]["curve"][-1]["val_acc"] for m in group]
    mean = sum(plotted) / 4
    sd = (sum((a - mean) ** 2 for a in plotted) / 3) ** 0.5
    bars = page.evaluate(
        "() => { const o = document.querySelector('remap-app').shadowRoot"
        ".querySelector('remap-overview');"
        " return (o._layout?.overlays?.groups ?? []).map(b => [b.group, b.n, b.value, b.sd]); }"
    )
    assert len(bars) == 1
    (group_id, n, value, spread) = bars[0]
    assert (group_id, n) == ("m1", 4)
    assert value == pytest.approx(mean, abs=1e-6)
    assert spread == pytest.approx(sd, abs=1e-6)
    screenshot(page, "overview-replicates")
