"""The tail of issue 18's "done when", in a real browser: a one-shot session (supernet
trained, space sampled, a search run) is exported from one `remap serve`, imported into
another with its own store (POST /api/import), opened in the Search tab there, and its
timeline scrubbed: at each scrubbed seq the views show the search as it was then (the
iterations completed, the scatter's evaluated points, the supernet's status), and live
again at the end. No weights travel: the views read the log alone. Screenshots go to
out/screenshots/."""

from __future__ import annotations

import urllib.request

from playwright.sync_api import expect

from .conftest import poll, start_server, stop_server

APP = "document.querySelector('remap-app')"
SEARCH = f"{APP}.shadowRoot.querySelector('remap-search').shadowRoot"


def _raw(url: str, body: bytes | None = None) -> bytes:
    headers = {} if body is None else {"content-type": "application/x-ndjson"}
    request = urllib.request.Request(url, body, headers, method="GET" if body is None else "POST")
    with urllib.request.urlopen(request, timeout=60) as r:
        return r.read()


def _searched(server) -> tuple[str, dict]:
    """A session whose supernet trained, space was sampled and search ran 3 iterations."""
    session = server.new_session("oneshot-replay", sample=0, epochs=1)
    post = lambda body: server.post(f"/api/sessions/{session}/commands", body)  # noqa: E731
    post({"type": "define_supernet", "template": "lenet-digits-v1"})
    post({"type": "train_supernet", "epochs": 12, "seed": 1})
    post({"type": "sample_search_space", "count": 18, "seed": 2})
    post({"type": "start_search", "iterations": 3, "seed": 3})
    state = lambda: server.get(f"/api/sessions/{session}/state")  # noqa: E731
    poll(lambda: state()["oneshot"]["searches"]["q1"]["status"] == "done", "the search", 240)
    return session, state()


def _seq_of(page, kind: str, nth: int = 0) -> int:
    return page.evaluate(
        f"() => {APP}.session.envelopes.filter(e => e.event.kind === {kind!r})[{nth}].seq"
    )


def test_an_exported_search_imported_elsewhere_scrubs_in_the_search_tab(
    server, page, screenshot, tmp_path
) -> None:
    session, final = _searched(server)
    exported = _raw(f"{server.url}/api/sessions/{session}/export")
    other = start_server(tmp_path / "elsewhere")
    try:
        _raw(f"{other.url}/api/import", exported)
        imported = other.get(f"/api/sessions/{session}/state")
        assert (
            imported["oneshot"]["searches"]["q1"]["history"]
            == (final["oneshot"]["searches"]["q1"]["history"])
        )
        assert not (tmp_path / "elsewhere" / "supernets").exists()  # no weights came along

        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(f"{other.url}/?session={session}#tab=search")
        page.locator('[role="tab"]#tab-search').click()
        app = page.locator("remap-app")
        state = app.locator("remap-search .state", has_text="iterations")
        expect(state).to_contain_text("q1 · 3/3 iterations")
        losses = app.locator("remap-blockinfo svg[aria-label^='Population loss per iteration']")
        expect(losses.locator("circle")).to_have_count(3)
        screenshot(page, "oneshot-imported-live-1280")

        timeline = app.locator("remap-timeline")
        slider = timeline.get_by_role("slider", name="Session timeline")
        live = timeline.get_by_role("button", name="Go live")

        # scrubbed to the first completed iteration: one point of loss, 1/3 iterations
        first = _seq_of(page, "search_iteration_completed")
        slider.fill(str(first))
        page.wait_for_function(f"n => {APP}.session.cursor === n", arg=first)
        expect(live).to_have_attribute("aria-pressed", "false")
        expect(state).to_contain_text("q1 · 1/3 iterations")
        expect(losses.locator("circle")).to_have_count(1)
        screenshot(page, "oneshot-imported-scrubbed-1280")

        # one step before it: the initial population is still being scored
        slider.press("ArrowLeft")
        page.wait_for_function(f"n => {APP}.session.cursor === n", arg=first - 1)
        expect(state).to_contain_text("q1 · 0/3 iterations")
        expect(app.locator("remap-blockinfo").get_by_text("No iteration yet.")).to_be_visible()

        # back to the supernet's first epoch: it trains, nothing is scored yet
        epoch = _seq_of(page, "supernet_epoch_completed")
        slider.fill(str(epoch))
        page.wait_for_function(f"n => {APP}.session.cursor === n", arg=epoch)
        status = f"() => {APP}.session.state.oneshot.supernets.s1.status"
        assert page.evaluate(status) == "running"
        steps = app.get_by_role("toolbar", name="One-shot search steps")
        expect(steps.locator(".state").first).to_contain_text("training 1/12")
        expect(losses).to_have_count(0)
        screenshot(page, "oneshot-imported-training-1280")

        # live again: the whole search, as exported
        live.click()
        page.wait_for_function(f"() => {APP}.session.cursor === null")
        expect(state).to_contain_text("q1 · 3/3 iterations")
        points = f"() => {SEARCH}.querySelector('remap-searchspace').stats.points"
        poll(lambda: page.evaluate(points) >= 18, "the scatter drawn again")
        page.goto("about:blank")  # its event stream closed before the server stops
    finally:
        stop_server(other)
