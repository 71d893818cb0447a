"""`remap report` (issue 22) opens in Chromium as a self-contained page: no console
error, no request leaves the file, every figure drawn."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from nas_core.events import DrawerAdd, EventStore
from nas_core.service import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig
from remap_server.report import report_html

from .conftest import mount


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    store = EventStore(root / "remap.db")
    service = SessionService(store, data_root=root, processes=1)
    try:
        settings = Settings(train=TrainConfig(epochs=2))
        service.create_session("report", DataSpec(limit=150), settings, session="rep")
        service.start("rep", 2, seed=2)
        service.wait_idle("rep", timeout_s=120)
        service.execute("rep", DrawerAdd(models=("m1", "m2")))
        out = root / "report.html"  # what `remap report rep -o report.html` writes
        out.write_text(report_html(service.state("rep")))
    finally:
        service.close()
        store.close()
    return out


def test_the_report_opens_with_no_error_and_no_request(page, report, screenshot) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())
    expect(page.locator("h1")).to_contain_text("REMAP report")
    figures = page.locator("figure > svg.remap-figure")
    expect(figures.first).to_be_visible()
    views = figures.evaluate_all("(els) => els.map((e) => e.dataset.view)")
    assert {"overview", "mast", "sheet", "curves", "per-class", "confusion"} <= set(views)
    marks = page.locator("svg[data-view='overview'] circle.model-mark")
    expect(marks).to_have_count(2)
    screenshot(page, "report", full_page=True)
    assert requests == [report.as_uri()]  # nothing fetched from elsewhere


def test_views_save_figure_menus_link_to_the_figure_route(server, page, screenshot) -> None:
    session = server.new_session("figure menus", sample=2, epochs=1, limit=200)
    state = server.wait_idle(session)
    ids = list(state["models"])
    server.post(f"/api/sessions/{session}/commands", {"type": "drawer_add", "models": ids})
    src = server.events_url(session)
    mount(
        page,
        server,
        '<!doctype html><html><body style="margin:0;display:flex;gap:8px">'
        f'<div style="width:640px;height:420px"><remap-overview src="{src}"></remap-overview></div>'
        f'<div style="width:640px;height:300px"><remap-drawer src="{src}"></remap-drawer></div>'
        f'<script type="module" src="{server.url}/ui/remap.js"></script></body></html>',
    )
    for tag, view in (("remap-overview", "overview"), ("remap-drawer", "sheet")):
        menu = page.locator(f"{tag} details.figure-menu[data-view='{view}']")
        expect(menu).to_have_count(1)
        menu.locator("summary").click()
        links = menu.locator("a[data-format]")
        expect(links).to_have_count(3)
        hrefs = links.evaluate_all("(as) => as.map((a) => a.href)")
        assert [h.split("?")[0].rsplit(".", 1)[1] for h in hrefs] == ["svg", "pdf", "png"]
        assert all(f"/api/sessions/{session}/figures/{view}." in h for h in hrefs)
        answer = page.request.get(hrefs[0])
        assert answer.status == 200
        assert answer.headers["content-type"].startswith("image/svg+xml")
        assert answer.text().count('class="model-mark"') == len(ids)
    screenshot(page, "figure-menus")
