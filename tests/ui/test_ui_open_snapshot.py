"""Issue 20, item 2: a page opens a big session from the server's state plus the events
after it (here with the threshold lowered to 1 event), resumes the stream right after
that state's seq (nothing lost, nothing twice), and a scrub back fetches the older
events so the timeline still shows any seq."""

from __future__ import annotations

import pytest

from .conftest import mount

pytestmark = [pytest.mark.browser, pytest.mark.slow]

S = "document.querySelector('remap-timeline').session"


def test_a_page_starts_from_the_state_and_fetches_the_rest_on_a_scrub(server, page) -> None:
    session = server.new_session("from a snapshot", sample=2, epochs=1, limit=400)
    server.wait_idle(session)
    state = server.get(f"/api/sessions/{session}/state")
    last = state["last_seq"]
    page.add_init_script("window.REMAP_SNAPSHOT_FROM = 1")
    src = server.events_url(session)
    mount(
        page, server,
        f'<!doctype html><html><body><remap-timeline src="{src}"></remap-timeline>'
        f'<script type="module" src="{server.url}/ui/remap.js"></script></body></html>',
    )  # fmt: skip
    page.wait_for_function(f"n => {S} && {S}.lastSeq === n", arg=last)
    opened = page.evaluate(f"() => [{S}.base, {S}.envelopes.length, {S}.live.models.size]")
    assert opened == [last, 0, len(state["models"])]  # no event of the log was streamed
    ids = list(state["models"])
    server.post(f"/api/sessions/{session}/commands", {"type": "drawer_add", "models": ids})
    page.wait_for_function(f"n => {S}.lastSeq === n", arg=last + 1)
    assert page.evaluate(f"() => {S}.envelopes.map(e => e.seq)") == [last + 1]
    assert page.evaluate(f"() => [...{S}.live.drawer]") == ids
    page.evaluate(f"() => {S}.setCursor(1)")  # the timeline goes before the state
    page.wait_for_function(f"() => {S}.state.last_seq === 1 && {S}.base === 0")  # reads it
    seqs = page.evaluate(f"() => {S}.envelopes.map(e => e.seq)")
    assert seqs == list(range(1, last + 2))  # the whole log once, in order
    assert page.evaluate(f"() => {S}.state.models.size") == 0
