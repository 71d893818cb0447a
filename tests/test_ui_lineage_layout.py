"""The lineage's layout (issue 22, packages/ui/src/views/lineage/layout.js), run by node
on forests hypothesis draws: every model appears once, children after (and right of)
their parents, a subtree's rows contiguous so no edge crosses a node, and a collapsed
node hides exactly its descendants."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

LAYOUT = Path(__file__).resolve().parents[1] / "packages/ui/src/views/lineage/layout.js"


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not installed: `make test` installs it (apt-get install nodejs)")
    return found


def layouts(node: str, tmp_path: Path, cases: list) -> list:
    """`lineageLayout(models, collapsed)` of each case ([models, collapsed]) by node;
    each as {nodes, rows, depth} plus the window of rows 2..4."""
    script = tmp_path / "layout.mjs"
    script.write_text(
        f"import {{ lineageLayout, windowOf }} from {json.dumps(LAYOUT.as_uri())};\n"
        f"const cases = {json.dumps(cases)};\n"
        "console.log(JSON.stringify(cases.map(([models, collapsed]) => {\n"
        "  const l = lineageLayout(models, new Set(collapsed));\n"
        "  const w = windowOf(l, 2, 4);\n"
        "  return { nodes: l.nodes, rows: l.rows, depth: l.depth,\n"
        "    window: { nodes: w.nodes.map((n) => n.id),\n"
        "      edges: w.edges.map(([p, c]) => [p.id, c.id]) } };\n"
        "})));\n"
    )
    done = subprocess.run([node, str(script)], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def descendants(models: list, of: str) -> set[str]:
    kids: dict[str, list[str]] = {}
    order = {m["id"]: i for i, m in enumerate(models)}
    for m in models:
        p = m["parent"]
        if p in order and order[p] < order[m["id"]]:
            kids.setdefault(p, []).append(m["id"])
    out, todo = set(), [of]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.add(k)
            todo.append(k)
    return out


def check(models: list, collapsed: list, got: dict) -> None:
    nodes = got["nodes"]
    at = {n["id"]: n for n in nodes}
    ids = [m["id"] for m in models]
    hidden = set().union(*(descendants(models, c) for c in collapsed)) if collapsed else set()
    # every model once, unless a collapsed ancestor hides it
    assert len(at) == len(nodes)
    assert set(at) == set(ids) - hidden
    position = {n["id"]: i for i, n in enumerate(nodes)}
    for n in nodes:
        if n["parent"] is None:
            assert n["depth"] == 0
            continue
        p = at[n["parent"]]
        assert position[p["id"]] < position[n["id"]]  # children after parents
        assert n["depth"] == p["depth"] + 1
        assert n["row"] >= p["row"]
    # one node per cell; rows are 0..rows-1, all used
    assert len({(n["row"], n["depth"]) for n in nodes}) == len(nodes)
    assert {n["row"] for n in nodes} == set(range(got["rows"]))
    # a subtree's rows are contiguous and hold nothing else but its ancestors on its
    # first row (so an elbow edge down a trunk crosses no node)
    for n in nodes:
        sub = {d for d in descendants(models, n["id"]) if d in at}
        rows = [at[d]["row"] for d in sub] + [n["row"]]
        lo, hi = min(rows), max(rows)
        assert lo == n["row"]
        for o in nodes:
            if o["id"] != n["id"] and o["id"] not in sub and lo <= o["row"] <= hi:
                assert o["row"] == lo, (n, o)
                assert n["id"] in descendants(models, o["id"]), (n, o)
        if n["collapsed"]:
            assert n["hidden"] == len(descendants(models, n["id"]))
            assert not sub
    # the window: the nodes of rows 2..4 and every edge that reaches into them
    w = got["window"]
    assert set(w["nodes"]) == {n["id"] for n in nodes if 2 <= n["row"] <= 4}
    edges = {(n["parent"], n["id"]) for n in nodes if n["parent"] is not None
             and at[n["parent"]]["row"] <= 4 and n["row"] >= 2}  # fmt: skip
    assert {tuple(e) for e in w["edges"]} == edges


@st.composite
def forests(draw) -> tuple[list, list]:
    """Models in creation order, each with a parent made before it (or none, or an
    unknown one), and some of them collapsed."""
    n = draw(st.integers(0, 40))
    models = []
    for i in range(n):
        parent = draw(st.one_of(st.none(), st.integers(0, max(i - 1, 0)), st.just(-1)))
        if parent is not None and parent >= i:
            parent = None
        name = None if parent is None else ("m404" if parent == -1 else f"m{parent + 1}")
        models.append({"id": f"m{i + 1}", "parent": name})
    ids = [m["id"] for m in models]
    collapsed = draw(st.lists(st.sampled_from(ids), max_size=3, unique=True)) if ids else []
    return models, collapsed


def test_a_small_session_lays_out_as_drawn(node, tmp_path) -> None:
    models = [
        {"id": "m1", "parent": None},
        {"id": "m2", "parent": None},
        {"id": "m3", "parent": "m1"},  # m1's first child: m1's row
        {"id": "m4", "parent": "m1"},  # a new row, below m3's subtree
        {"id": "m5", "parent": "m3"},
        {"id": "m6", "parent": "m3"},
    ]
    [full, folded] = layouts(node, tmp_path, [[models, []], [models, ["m3"]]])
    cells = {n["id"]: (n["row"], n["depth"]) for n in full["nodes"]}
    assert cells == {"m1": (0, 0), "m3": (0, 1), "m5": (0, 2), "m6": (1, 2), "m4": (2, 1),
                     "m2": (3, 0)}  # fmt: skip
    assert (full["rows"], full["depth"]) == (4, 2)
    assert [n["id"] for n in full["nodes"]] == ["m1", "m3", "m5", "m6", "m4", "m2"]
    m3 = next(n for n in folded["nodes"] if n["id"] == "m3")
    assert (m3["collapsed"], m3["hidden"], m3["kids"]) == (True, 2, 2)
    assert {n["id"] for n in folded["nodes"]} == {"m1", "m2", "m3", "m4"}
    check(models, [], full)
    check(models, ["m3"], folded)


@settings(
    max_examples=1, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(forests(), min_size=150, max_size=150))
def test_every_forest_lays_out_once_children_after_parents(node, tmp_path, cases) -> None:
    got = layouts(node, tmp_path, [list(c) for c in cases])
    for (models, collapsed), g in zip(cases, got, strict=True):
        check(models, collapsed, g)
