"""The steering panel's pure logic (issue 21), run by node: the region round the
drawer's models (every one of them inside it by nas_core's own test), and the MAST
view's per-search counts of the curves it colours."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.strategies import inside

UI = Path(__file__).resolve().parents[1] / "packages" / "ui" / "src"


def _run(tmp_path: Path, body: str, data: object) -> object:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: `make test` installs it (apt-get install nodejs)")
    imports = {
        "region": UI / "views" / "autosearch" / "region.js",
        "curves": UI / "views" / "mast" / "curves.js",
    }
    head = "".join(f"import * as {k} from {json.dumps(p.as_uri())};\n" for k, p in imports.items())
    script = tmp_path / "logic.mjs"
    script.write_text(f"{head}const input = {json.dumps(data)};\n{body}")
    done = subprocess.run([node, str(script)], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


points = st.lists(
    st.tuples(st.floats(-50, 50, allow_nan=False), st.floats(-50, 50, allow_nan=False)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=1, deadline=None)
@given(st.lists(points, min_size=6, max_size=6))
def test_the_region_holds_the_drawer_models_and_not_all_others(tmp_path_factory, cases) -> None:
    tmp = tmp_path_factory.mktemp("region")
    far = [(1e4, 1e4)]
    body = """
    const out = input.map((pts) => {
      const positions = new Map(pts.map((p, i) => [`m${i}`, p]));
      return region.regionAround([...positions.keys()].slice(0, -1), positions);
    });
    out.push(region.regionAround(["nowhere"], new Map()));
    console.log(JSON.stringify(out));
    """
    out = _run(tmp, body, [[*pts, *far] for pts in cases])
    assert out[-1] is None  # no place: no region
    for pts, polygon in zip(cases, out[:-1], strict=True):
        poly = tuple(tuple(p) for p in polygon)
        assert len(poly) == 4
        assert all(inside(p, poly) for p in pts)
        assert not inside(far[0], poly)


def test_the_mast_view_counts_each_searchs_curves(tmp_path) -> None:
    body = """
    const m = (id, origin, status) => [id, { id, origin, status, started_s: 0,
      curve: [{ epoch: 1, val_acc: 0.5, seconds: 1 }] }];
    const state = {
      models: new Map([m("m1", { type: "sampled" }, "done"),
        m("m2", { type: "auto_search", search: "a1", step: 0 }, "done"),
        m("m3", { type: "auto_search", search: "a1", step: 1 }, "cancelled"),
        m("m4", { type: "auto_search", search: "a2", step: 0 }, "running")]),
      auto_searches: { a1: { search: "a1", spec: { strategy: "evolution" } },
        a2: { search: "a2", spec: { strategy: "metaqnn" } },
        a3: { search: "a3", spec: { strategy: "random" } } },
    };
    const cs = curves.buildCurves(state);
    console.log(JSON.stringify({ searches: curves.searchesOf(state, cs),
      marks: cs.map((c) => [c.id, c.search, c.step, c.stopped]) }));
    """
    out = _run(tmp_path, body, None)
    assert out["searches"] == [
        {"search": "a1", "strategy": "evolution", "count": 2},
        {"search": "a2", "strategy": "metaqnn", "count": 1},
    ]  # a3 proposed nothing: no legend entry
    assert out["marks"] == [
        ["m1", None, None, False], ["m2", "a1", 0, False], ["m3", "a1", 1, True],
        ["m4", "a2", 0, False],
    ]  # fmt: skip
