"""<remap-queue> in a real browser: queued models in queue order, reordered by drag and
drop and by keyboard (the server's queue follows), cancelled from the view (one, the
ticked ones, all that wait), and queued again by Retry (one, all)."""

from __future__ import annotations

import urllib.error

import pytest
from playwright.sync_api import expect

from .conftest import mount, poll

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUEUED_IDS = """el => [...el.shadowRoot.querySelectorAll('li.queued')].map(li => li.dataset.id)"""


def _open(server, page, session: str) -> None:
    mount(
        page,
        server,
        f'<script type="module" src="{server.url}/ui/remap.js"></script>'
        '<body style="margin:0;background:#fff">'
        '<div style="width:620px;height:860px;overflow:auto;padding:8px;box-sizing:border-box">'
        f'<remap-queue src="{server.events_url(session)}"></remap-queue></div></body>',
    )


def _server_queue(server, session: str) -> list[str]:
    return server.get(f"/api/sessions/{session}/state")["queue"]


def _before(queue: list[str], a: str, b: str) -> bool:
    return a in queue and b in queue and queue.index(a) < queue.index(b)


@pytest.fixture
def slow_session(server):
    """Six models of 300 epochs (seconds each), so most wait in the queue; whatever is
    left is cancelled afterwards, pass or fail, to free the shared trainer."""
    session = server.new_session("queue view", sample=6, epochs=300, limit=500)
    yield session
    # one bulk cancel: a model that ends between the read and the command is passed
    # over (a cancel of each is refused for a model that is done by then), and a 422
    # says that every one of them ended meanwhile: nothing is left to free
    state = server.get(f"/api/sessions/{session}/state")
    left = [mid for mid, m in state["models"].items() if m["status"] in ("queued", "running")]
    if left:
        try:
            server.post(
                f"/api/sessions/{session}/commands", {"type": "cancel_models", "models": left}
            )
        except urllib.error.HTTPError as error:
            if error.code != 422:
                raise


def test_queue_reorders_by_drag_and_keyboard_and_cancels(
    server, page, screenshot, slow_session
) -> None:
    session = slow_session
    _open(server, page, session)
    queue = page.locator("remap-queue")
    page.wait_for_function(
        "() => { const q = document.querySelector('remap-queue');"
        " return q && q.shadowRoot && q.shadowRoot.querySelectorAll('li.queued').length >= 4; }",
        timeout=60_000,
    )
    # the view shows the server's order, the next first, with estimates and a total
    shown = queue.evaluate(QUEUED_IDS)
    truth = _server_queue(server, session)
    assert [m for m in shown if m in truth] == [m for m in truth if m in shown]
    queue.get_by_text("waiting").wait_for()
    screenshot(page, "queue")

    # drag the last queued model onto the top half of the one before it
    shown = queue.evaluate(QUEUED_IDS)
    last, before = shown[-1], shown[-2]
    source = queue.locator(f'li.queued[data-id="{last}"]')
    target = queue.locator(f'li.queued[data-id="{before}"]')
    source.drag_to(target, target_position={"x": 40, "y": 4})
    poll(lambda: _before(_server_queue(server, session), last, before), "the dragged order")
    page.wait_for_function(
        f"() => {{ const ids = ({QUEUED_IDS})(document.querySelector('remap-queue'));"
        f" return ids.indexOf('{last}') >= 0 && ids.indexOf('{last}') < ids.indexOf('{before}'); }}"
    )

    # keyboard: focus the last row, Alt+ArrowUp twice moves it two places up
    shown = queue.evaluate(QUEUED_IDS)
    mover, passed = shown[-1], shown[-3]
    row = queue.locator(f'li.queued[data-id="{mover}"]')
    row.focus()
    page.keyboard.press("Alt+ArrowUp")
    page.wait_for_function(
        f"() => {{ const ids = ({QUEUED_IDS})(document.querySelector('remap-queue'));"
        f" return ids.indexOf('{mover}') < ids.length - 1; }}"
    )
    # focus stays on the moved row, so a second press moves it again
    assert queue.evaluate("el => el.shadowRoot.activeElement?.dataset.id") == mover
    page.keyboard.press("Alt+ArrowUp")
    poll(lambda: _before(_server_queue(server, session), mover, passed), "the keyboard order")

    # the Move down button
    shown = queue.evaluate(QUEUED_IDS)
    down, after = shown[-2], shown[-1]
    queue.get_by_role("button", name=f"Move {down} down").click()
    poll(lambda: _before(_server_queue(server, session), after, down), "the button order")

    # cancel a queued model: it leaves the queue and shows as cancelled
    victim = queue.evaluate(QUEUED_IDS)[-1]
    queue.get_by_role("button", name=f"Cancel {victim}").click()
    poll(
        lambda: (
            server.get(f"/api/sessions/{session}/state")["models"][victim]["status"] == "cancelled"
        ),
        "the cancel",
    )
    queue.locator(f'li.cancelled[data-id="{victim}"]').wait_for()

    # a running model shows its epoch progress and worker
    queue.locator("li.running [role=progressbar]").first.wait_for(timeout=60_000)
    queue.get_by_role("button", name="Cancelled").click()
    queue.locator(f'li.cancelled[data-id="{victim}"]').wait_for()
    expect(queue.locator("li.queued")).to_have_count(0)  # the filter renders on the next frame
    queue.get_by_role("button", name="All").click()
    page.wait_for_function(
        "() => [...document.querySelector('remap-queue').shadowRoot"
        ".querySelectorAll('li.running [role=progressbar]')]"
        ".some(p => Number(p.getAttribute('aria-valuenow')) > 0)",
        timeout=60_000,
    )
    screenshot(page, "queue-after")


def _statuses(server, session: str) -> dict[str, str]:
    models = server.get(f"/api/sessions/{session}/state")["models"]
    return {k: m["status"] for k, m in models.items()}


def test_queue_cancels_the_selected_and_all_and_retries_the_cancelled(
    server, page, screenshot, slow_session
) -> None:
    session = slow_session
    _open(server, page, session)
    queue = page.locator("remap-queue")
    page.wait_for_function(
        "() => { const q = document.querySelector('remap-queue');"
        " return q && q.shadowRoot && q.shadowRoot.querySelectorAll('li.queued').length >= 4; }",
        timeout=60_000,
    )
    # tick two waiting models: "Cancel selected" takes those two off the queue
    first, second, *_ = queue.evaluate(QUEUED_IDS)
    queue.get_by_role("checkbox", name=f"Select {first}").check()
    queue.get_by_role("checkbox", name=f"Select {second}").check()
    queue.get_by_role("button", name="Cancel selected (2)").click()
    poll(
        lambda: all(_statuses(server, session)[m] == "cancelled" for m in (first, second)),
        "the selected cancelled",
    )
    queue.locator(f'li.cancelled[data-id="{second}"]').wait_for()
    # "Cancel all" takes every waiting model off the queue; what trains goes on
    left = queue.evaluate(QUEUED_IDS)
    queue.get_by_role("button", name="Cancel all").click()
    # a model the page showed waiting may have started between the read and the click:
    # "Cancel all" lets what trains go on, so it ends running or done, never queued
    poll(
        lambda: all(
            _statuses(server, session)[m] in ("cancelled", "running", "done") for m in left
        ),
        "every waiting model cancelled",
    )
    assert not _server_queue(server, session)
    assert any(_statuses(server, session)[m] == "cancelled" for m in left)
    page.wait_for_function(
        "() => !document.querySelector('remap-queue').shadowRoot.querySelector('li.queued')"
    )
    screenshot(page, "queue-cancelled")

    # Retry on a cancelled row queues it again ({type: "enqueue"}), and it leaves the history
    queue.get_by_role("button", name=f"Retry {first}").click()
    poll(lambda: _statuses(server, session)[first] in ("queued", "running"), "the retry")
    page.wait_for_function(
        f"() => !document.querySelector('remap-queue').shadowRoot"
        f".querySelector('li.cancelled[data-id=\"{first}\"]')"
    )
    # "Retry all" queues every cancelled model again, in one command
    cancelled = [m for m, s in _statuses(server, session).items() if s == "cancelled"]
    assert len(cancelled) >= 2
    queue.get_by_role("button", name="Retry all").click()
    poll(
        lambda: all(_statuses(server, session)[m] in ("queued", "running") for m in cancelled),
        "every cancelled model queued again",
    )
    queue.locator(f'li.queued[data-id="{cancelled[-1]}"]').wait_for()
