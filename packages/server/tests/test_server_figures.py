"""Issue 22, "take it out": figures of every view (SVG parsed back with one mark per
model, PDF page size and embedded fonts, PNG size at a DPI), `remap figure`, `remap
table` (CSV and Parquet) and `remap report`, their routes, and bad input in REMAP's
words. One small session shared by the module: three sampled models, an ablation of
one of them, two models in the drawer."""

from __future__ import annotations

import csv
import io
import re
import struct
import xml.etree.ElementTree as ET

import pyarrow.parquet as pq
import pytest
from starlette.testclient import TestClient

from nas_core.events import Ablate, DrawerAdd, EventStore, load_state
from nas_core.service import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig
from remap_server import create_app
from remap_server.cli import main
from remap_server.figures import VIEWS, FigureError, convert, figure_svg, pareto_front
from remap_server.models_table import COLUMNS
from remap_server.report import lineage, report_html, report_markdown

SESSION = "figs"
SVG = "{http://www.w3.org/2000/svg}"
LOCAL = "http://127.0.0.1"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("figures")
    store = EventStore(root / "remap.db")
    service = SessionService(store, data_root=root, processes=1)
    settings = Settings(train=TrainConfig(epochs=2))
    service.create_session("figures", DataSpec(limit=200), settings, session=SESSION)
    service.start(SESSION, 3, seed=4)
    service.wait_idle(SESSION, timeout_s=120)
    service.execute(SESSION, Ablate(model="m1", indices=(0,)))
    service.wait_idle(SESSION, timeout_s=120)
    child = next(m.id for m in service.state(SESSION).models.values() if m.parent == "m1")
    service.execute(SESSION, DrawerAdd(models=("m1", child)))
    yield root, service, child
    service.close()
    store.close()


@pytest.fixture(scope="module")
def state(made):
    return made[1].state(SESSION)


@pytest.fixture(scope="module")
def client(made):
    with TestClient(create_app(made[1]), base_url=LOCAL) as c:
        yield c


def marks(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [e.get("data-model") for e in root.iter() if "model-mark" in (e.get("class") or "")]


def trained_ids(state) -> set[str]:
    return {m.id for m in state.models.values() if m.result is not None}


def media_box(pdf: bytes) -> tuple[float, float]:
    box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert box, "a PDF page has a MediaBox"
    x0, y0, x1, y1 = (float(v) for v in box.groups())
    return x1 - x0, y1 - y0


def svg_size(svg: str) -> tuple[float, float]:
    root = ET.fromstring(svg)
    return float(root.get("width")), float(root.get("height"))


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_the_overview_in_every_projection_marks_each_model_once(state, made) -> None:
    child = made[2]
    shown = trained_ids(state)
    for projection in ("accuracy", "search", "structure", "predictions"):
        svg = figure_svg(state, "overview", projection=projection)
        ids = marks(svg)
        assert len(ids) == len(set(ids))
        placed = set(state.embeddings.get(projection, {})) if projection in (
            "structure", "predictions") else shown  # fmt: skip
        assert set(ids) == placed, projection
        root = ET.fromstring(svg)
        rings = {e.get("data-model") for e in root.iter(f"{SVG}circle")
                 if e.get("class") == "selected-ring"}  # fmt: skip
        assert rings == set(state.drawer) & placed
        edges = [(e.get("data-parent"), e.get("data-child")) for e in root.iter(f"{SVG}line")
                 if e.get("class") == "lineage-edge"]  # fmt: skip
        if {"m1", child} <= placed:
            assert ("m1", child) in edges
    svg = figure_svg(state, "overview", projection="accuracy")
    front = ET.fromstring(svg).find(f".//{SVG}polyline[@class='pareto-front']")
    assert front is not None
    assert front.get("data-models")


def test_pareto_front_keeps_the_models_no_other_beats() -> None:
    points = [("a", 1.0, 0.5), ("b", 2.0, 0.4), ("c", 2.0, 0.7), ("d", 3.0, 0.9), ("e", 4, 0.8)]
    assert pareto_front(points) == ["a", "c", "d"]


def test_every_view_has_a_figure_with_a_mark_per_model(state, made) -> None:
    child = made[2]
    trained = trained_ids(state)
    expect = {
        "mast": trained,
        "curves": set(state.drawer),
        "per-class": set(state.drawer),
        "confusion": set(state.drawer),
        "children": {child},  # the children of m1, the drawer's first
        "sheet": set(state.drawer),
        "lineage": set(state.models),  # every model, the drawer's highlighted
    }
    for view, ids in expect.items():
        svg = figure_svg(state, view)
        found = marks(svg)
        assert sorted(found) == sorted(ids), view
        assert ET.fromstring(svg).get("data-view") == view
    assert set(VIEWS) == {*expect, "overview"}
    # chosen models beat the drawer; per-class draws one bar per class per model
    svg = figure_svg(state, "per-class", models=["m2", "m3"])
    assert marks(svg) == ["m2", "m3"]
    bars = [e for e in ET.fromstring(svg).iter(f"{SVG}rect") if e.get("class") == "class-bar"]
    assert len(bars) == 2 * len(state.models["m2"].result.per_class_acc)


def test_the_lineage_figure_draws_each_edge_with_its_deltas(state, made) -> None:
    child = made[2]
    svg = figure_svg(state, "lineage", models=[child])
    root = ET.fromstring(svg)
    edges = {(e.get("data-parent"), e.get("data-child")): e for e in root.iter(f"{SVG}path")
             if e.get("class") == "lineage-edge"}  # fmt: skip
    assert set(edges) == {(m.parent, m.id) for m in state.models.values() if m.parent}
    assert 'stroke="#0072B2"' in ET.tostring(edges[("m1", child)], encoding="unicode")
    label = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "edge-label"
                 and g.get("data-child") == child)  # fmt: skip
    texts = [t.text for t in label.iter(f"{SVG}text")]
    d_params = state.models[child].params - state.models["m1"].params
    assert texts[-1].startswith("−" if d_params < 0 else "+" if d_params > 0 else "±")
    d_acc = state.models[child].result.test_acc - state.models["m1"].result.test_acc
    if round(d_acc * 1000) != 0:
        assert texts[0].endswith(" pt")
        assert texts[0][0] == ("+" if d_acc > 0 else "−")
    assert convert(svg, "pdf").startswith(b"%PDF")


def test_pdf_has_the_page_size_and_embedded_fonts(state) -> None:
    svg = figure_svg(state, "sheet")
    pdf = convert(svg, "pdf")
    assert pdf.startswith(b"%PDF")
    w, h = svg_size(svg)
    assert media_box(pdf) == pytest.approx((w * 0.75, h * 0.75), abs=0.5)  # 96 px = 72 pt
    assert b"/FontFile" in pdf  # the glyphs travel with the file
    assert b"DejaVu" in pdf


def test_png_size_follows_the_dpi(state) -> None:
    svg = figure_svg(state, "overview", projection="accuracy")
    w, h = svg_size(svg)
    for dpi in (96, 192):
        pw, ph = png_size(convert(svg, "png", dpi))
        assert (pw, ph) == (round(w * dpi / 96), round(h * dpi / 96))


def test_bad_names_are_refused_with_what_is_allowed(state) -> None:
    with pytest.raises(FigureError, match="no view 'pie' has a figure: one of overview, mast"):
        figure_svg(state, "pie")
    with pytest.raises(FigureError, match="no projection 'tsne': the overview has accuracy"):
        figure_svg(state, "overview", projection="tsne")
    with pytest.raises(FigureError, match="the curves view has no projection"):
        figure_svg(state, "curves", projection="accuracy")
    with pytest.raises(FigureError, match="no model 'm404' in session figs"):
        figure_svg(state, "curves", models=["m404"])
    with pytest.raises(FigureError, match="dpi must be from 24 to 1200"):
        convert("<svg/>", "png", 5)


def test_the_figure_route(client, state) -> None:
    base = f"/api/sessions/{SESSION}/figures"
    r = client.get(f"{base}/overview.svg?projection=accuracy")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert set(marks(r.text)) == trained_ids(state)
    r = client.get(f"{base}/confusion.pdf?models=m2,m3")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    r = client.get(f"{base}/curves.png?dpi=144")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    w, h = svg_size(client.get(f"{base}/curves.svg").text)
    assert png_size(r.content) == (round(w * 1.5), round(h * 1.5))
    r = client.get(f"{base}/pie.svg")
    assert r.status_code == 400
    assert "one of overview" in r.json()["error"]
    r = client.get(f"{base}/overview.svg?projection=tsne")
    assert r.status_code == 400
    assert "accuracy, structure" in r.json()["error"]
    assert client.get(f"{base}/overview.gif").status_code == 400
    assert client.get(f"{base}/overview.png?dpi=lots").json()["path"] == "?dpi"
    assert client.get("/api/sessions/nosuch/figures/overview.svg").status_code == 404


def test_the_table_routes(client, state) -> None:
    r = client.get(f"/api/sessions/{SESSION}/models.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["id"] for row in rows] == list(state.models)
    assert tuple(rows[0]) == COLUMNS
    child = next(row for row in rows if row["parent"] == "m1")
    assert child["origin_type"] == "ablation"
    assert "ablation of m1" in child["origin"]
    r = client.get(f"/api/sessions/{SESSION}/models.parquet?models=m1,m2")
    assert r.status_code == 200
    table = pq.read_table(io.BytesIO(r.content))
    assert table.column_names == list(COLUMNS)
    assert table.column("id").to_pylist() == ["m1", "m2"]
    assert table.column("test_acc").to_pylist() == [
        state.models[m].result.test_acc for m in ("m1", "m2")
    ]
    r = client.get(f"/api/sessions/{SESSION}/models.csv?models=m404")
    assert r.status_code == 400
    assert "m404" in r.json()["error"]


def test_cli_figure_table_report(made, state, tmp_path, capsys) -> None:
    root = str(made[0])
    out = tmp_path / "over.pdf"
    argv = ["figure", SESSION, "--view", "overview", "--projection", "accuracy", "-o", str(out)]
    assert main([*argv, "--data-dir", root]) == 0
    assert media_box(out.read_bytes()) == pytest.approx((480, 345), abs=0.5)
    png = tmp_path / "sheet.png"
    assert main(["figure", SESSION, "--view", "sheet", "--models", "m2,m3", "--dpi", "48",
                 "-o", str(png), "--data-dir", root]) == 0  # fmt: skip
    assert png.read_bytes()[:4] == b"\x89PNG"
    svg = tmp_path / "mast.svg"
    assert main(["figure", SESSION, "--view", "mast", "-o", str(svg), "--data-dir", root]) == 0
    assert set(marks(svg.read_text())) == trained_ids(state)
    capsys.readouterr()
    bad = ["figure", SESSION, "--view", "pie", "-o", str(tmp_path / "x.svg"), "--data-dir", root]
    assert main(bad) == 2
    assert "no view 'pie' has a figure: one of overview" in capsys.readouterr().err
    assert not (tmp_path / "x.svg").exists()
    assert main(["figure", SESSION, "--view", "mast", "-o", str(tmp_path / "x.gif"),
                 "--data-dir", root]) == 2  # fmt: skip
    assert ".svg, .pdf, .png" in capsys.readouterr().err
    table = tmp_path / "models.parquet"
    assert main(["table", SESSION, "-o", str(table), "--data-dir", root]) == 0
    assert pq.read_table(table).num_rows == len(state.models)
    text = tmp_path / "models.csv"
    assert main(["table", SESSION, "--models", "m3", "-o", str(text), "--data-dir", root]) == 0
    assert text.read_text().splitlines()[1].startswith("m3,done,")
    page = tmp_path / "report.html"
    assert main(["report", SESSION, "-o", str(page), "--data-dir", root]) == 0
    assert "<svg" in page.read_text()
    md = tmp_path / "report.md"
    assert main(["report", SESSION, "-o", str(md), "--data-dir", root]) == 0
    assert "data:image/svg+xml;base64," in md.read_text()


def test_the_report_tells_the_lineage_with_its_changes(state, made) -> None:
    child = made[2]
    steps = lineage(state, child)
    assert [s.model for s in steps] == ["m1", child]
    assert steps[0].changes == ()
    assert steps[1].changes
    page = report_html(state)
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for piece in ("The Pareto front", "Their lineage", steps[1].changes[0], "Every model"):
        assert piece in page
    # the lineage section draws the forest too: the chosen model's node is in it
    section = page.split("Their lineage", 1)[1].split("<h2", 1)[0]
    assert section.count("<svg") == 1
    assert f">{child}<" in section
    md = report_markdown(state, [child])
    assert f"### {child}" in md
    assert steps[1].changes[0] in md


def test_the_report_of_a_session_without_models(tmp_path) -> None:
    store = EventStore(tmp_path / "remap.db")
    service = SessionService(store, data_root=tmp_path, processes=1)
    try:
        service.create_session("empty", DataSpec(limit=50), Settings(), session="empty")
        page = report_html(load_state(store, "empty"))
    finally:
        service.close()
        store.close()
    assert "0 models, 0 trained" in page
