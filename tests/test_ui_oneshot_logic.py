"""The one-shot views' pure logic (issue 18), run by node and held to nas_core:

- the Lego view's edits (packages/ui/src/views/lego/ops.js): a drop or an Alt+arrow
  move, turned into LegoEdits by the view and applied by nas_core's own
  `apply_edits`, puts the item exactly where a reference list operation puts it;
  a new block dropped mid-row lands there (add, then move to the id the server gives);
- parameters (lego/params.js): the text field's parsing, and the value offered after a
  refusal is one nas_core accepts (never applied by the view, only offered);
- the search-space scatter's sets (searchspace/points.js): union / intersection /
  complement of a region's blocks, and which points are hollow (not evaluated).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nas_core.arch import Layer
from nas_core.oneshot.edits import LegoEdit, apply_edits
from nas_core.oneshot.errors import SupernetError
from nas_core.oneshot.templates import load_template

UI = Path(__file__).resolve().parents[1] / "packages" / "ui" / "src" / "views"
FIXTURE = [HealthCheck.function_scoped_fixture]  # `js` is module-scoped: no state between examples
MODULES = {
    "ops": UI / "lego" / "ops.js",
    "params": UI / "lego" / "params.js",
    "points": UI / "searchspace" / "points.js",
    "shapes": UI / "lego" / "shapes.js",
}
# Reads [[module, function, args], ...] on stdin; prints the results in order.
SCRIPT = (
    "\n".join(f"import * as {k} from {json.dumps(p.as_uri())};" for k, p in MODULES.items())
    + """
const mods = { ops, params, points, shapes };
let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map(([m, f, args]) => {
  const r = mods[m][f](...args);
  return r === undefined ? null : r;
});
process.stdout.write(JSON.stringify(out));
"""
)


@pytest.fixture(scope="module")
def js(tmp_path_factory):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: `make test` installs it (apt-get install nodejs)")
    script = tmp_path_factory.mktemp("oneshot-js") / "calls.mjs"
    script.write_text(SCRIPT)

    def call(calls: list) -> list:
        done = subprocess.run(
            [node, str(script)], input=json.dumps(calls).encode(), capture_output=True, timeout=60
        )
        assert done.returncode == 0, done.stderr.decode()
        return json.loads(done.stdout)

    return call


def lenet() -> dict:
    return msgspec.to_builtins(load_template("lenet-digits-v1"))


def apply(arch: dict, edits: list) -> dict:
    """nas_core's result of `edits` on `arch` (as JSON; nas_core validates it)."""
    sa = msgspec.convert(arch, type(load_template("lenet-digits-v1")))
    return msgspec.to_builtins(apply_edits(sa, msgspec.convert(edits, list[LegoEdit])))


def shape(arch: dict) -> list:
    """The structure by ids: [[layer id, [[block id, n components]]]]."""
    return [
        [x["id"], [[b["id"], len(b["components"])] for b in x["blocks"]]] for x in arch["layers"]
    ]


def moved(items: list, i: int, gap: int) -> list:
    """Reference: item i dropped into gap `gap` (0..len) of the same list."""
    out = [*items[:gap], items[i], *items[gap:]]
    del out[i if i < gap else i + 1]
    return out


# --- drops and keyboard moves, applied by nas_core ---------------------------------------


def movable() -> dict:
    """A supernet whose first four layers and their blocks may go in any order (every
    block keeps the 16×8×8 input's shape), then flatten and the classifier."""
    conv = lambda k: [{"type": "conv", "filters": 16, "kernel": k}, {"type": "relu"}]  # noqa: E731
    body = [
        [conv(3), conv(5), conv(7)],
        [[{"type": "batchnorm"}], [{"type": "dropout", "rate": 0.25}]],
        [conv(3), [{"type": "conv", "filters": 16, "kernel": 5}]],
        [[{"type": "relu"}], [{"type": "tanh"}], [{"type": "sigmoid"}]],
        [[{"type": "flatten"}]],
        [[{"type": "dense", "units": 10}]],
    ]
    n = 0
    layers = []
    for i, blocks in enumerate(body):
        out = []
        for comps in blocks:
            n += 1
            out.append({"id": f"b{n}", "components": comps})
        layers.append({"id": f"L{i + 1}", "blocks": out})
    return {"name": "movable", "input": {"shape": [16, 8, 8], "classes": 10}, "merge": "sum",
            "path_mode": "multi", "layers": layers}  # fmt: skip


def test_every_drop_of_a_layer_or_block_lands_where_it_was_dropped(js):
    arch = movable()
    # every layer of the first four into every gap before flatten; every block of a
    # row into every gap of its row and of every other row
    drops = [({"layer": i}, {"layer": g}) for i in range(4) for g in range(5)]
    for li in range(4):
        for bi in range(len(arch["layers"][li]["blocks"])):
            for lj in range(4):
                for g in range(len(arch["layers"][lj]["blocks"]) + 1):
                    drops.append(({"layer": li, "block": bi}, {"layer": lj, "block": g}))
    targets = js([["ops", "dropTarget", [a, gap]] for a, gap in drops])
    live = [(a, gap, to) for (a, gap), to in zip(drops, targets, strict=True) if to is not None]
    edits = js([["ops", "move", [arch, a, to]] for a, _, to in live])
    for (a, gap), to in zip(drops, targets, strict=True):
        ids = [x["id"] for x in arch["layers"]] if "block" not in a else None
        if to is None:  # a drop that changes nothing
            if ids is not None:
                assert moved(ids, a["layer"], gap["layer"]) == ids
            else:
                row = [b["id"] for b in arch["layers"][a["layer"]]["blocks"]]
                assert gap["layer"] == a["layer"]
                assert moved(row, a["block"], gap["block"]) == row
    for (a, gap, _), edit in zip(live, edits, strict=True):
        after = apply(arch, [edit])
        if "block" not in a:
            ids = [x["id"] for x in arch["layers"]]
            assert [x["id"] for x in after["layers"]] == moved(ids, a["layer"], gap["layer"])
            continue
        src = [b["id"] for b in arch["layers"][a["layer"]]["blocks"]]
        block = src[a["block"]]
        if gap["layer"] == a["layer"]:
            expected = moved(src, a["block"], gap["block"])
        else:
            dst = [b["id"] for b in arch["layers"][gap["layer"]]["blocks"]]
            expected = [*dst[: gap["block"]], block, *dst[gap["block"] :]]
        assert [b["id"] for b in after["layers"][gap["layer"]]["blocks"]] == expected


@pytest.mark.parametrize("key", ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"])
def test_alt_arrows_move_a_component_within_and_across_blocks(js, key):
    arch = movable()
    # every component of the four shape-keeping layers, moved by the key where it can go
    addrs = [
        {"layer": li, "block": bi, "component": ci}
        for li, layer in enumerate(arch["layers"][:4])
        for bi, b in enumerate(layer["blocks"])
        for ci, _ in enumerate(b["components"])
    ]
    total_before = sum(len(b["components"]) for layer in arch["layers"] for b in layer["blocks"])
    targets = js([["ops", "keyMove", [arch, a, key]] for a in addrs])
    assert sum(t is not None for t in targets) > len(addrs) // 2
    for a, to in zip(addrs, targets, strict=True):
        if to is None or to["layer"] >= 4:
            continue
        src = arch["layers"][a["layer"]]["blocks"][a["block"]]
        if len(src["components"]) == 1 and (to["layer"], to["block"]) != (a["layer"], a["block"]):
            continue  # nas_core refuses to empty a block (tested in nas_core)
        (edit,) = js([["ops", "move", [arch, a, to]]])
        after = apply(arch, [edit])
        dst = after["layers"][to["layer"]]["blocks"][to["block"]]
        want = msgspec.to_builtins(msgspec.convert(src["components"][a["component"]], Layer))
        assert dst["components"][to["component"]] == want
        total = sum(len(b["components"]) for layer in after["layers"] for b in layer["blocks"])
        assert total == total_before
        if (
            key in ("ArrowUp", "ArrowDown")
            and to["block"] == a["block"]
            and to["layer"] == a["layer"]
        ):
            assert to["component"] == a["component"] + (-1 if key == "ArrowUp" else 1)


def test_alt_arrows_move_blocks_between_layers_and_layers_up_and_down(js):
    arch = lenet()
    up, down, left, stay = js(
        [
            ["ops", "keyMove", [arch, {"layer": 2, "block": 1}, "ArrowUp"]],
            ["ops", "keyMove", [arch, {"layer": 3}, "ArrowDown"]],
            ["ops", "keyMove", [arch, {"layer": 0, "block": 1}, "ArrowLeft"]],
            ["ops", "keyMove", [arch, {"layer": 0}, "ArrowUp"]],
        ]
    )
    assert up == {"layer": 1, "block": 1}  # to the end of the layer above
    assert down == {"layer": 4}
    assert left == {"layer": 0, "block": 0}
    assert stay is None  # the first layer cannot go up
    edits = js([["ops", "move", [arch, {"layer": 2, "block": 1}, up]]])
    assert edits[0] == {"op": "move_block", "block": "b6", "layer": "L2", "to": 1}


def test_a_new_block_dropped_mid_row_lands_there_with_the_id_the_server_gives(js):
    arch = lenet()
    comp = {"type": "conv", "filters": 16, "kernel": 3}
    (edits,) = js([["ops", "addBlock", [arch, 0, 1, comp]]])
    assert [e["op"] for e in edits] == ["add_block", "move_block"]
    after = apply(arch, edits)
    new = after["layers"][0]["blocks"][1]
    assert new["id"] == edits[1]["block"] == "b13"
    assert new["components"][0]["filters"] == 16
    (append,) = js([["ops", "addBlock", [arch, 0, 3, comp]]])
    assert [e["op"] for e in append] == ["add_block"]  # at the end: no move


def test_every_edit_the_view_builds_is_one_nas_core_applies(js):
    arch = lenet()
    conv = {"type": "conv", "filters": 16, "kernel": 3}
    relu = {"type": "relu"}
    edits = js(
        [
            ["ops", "addLayer", [arch, 5, {"type": "dropout", "rate": 0.25}]],
            ["ops", "addComponent", [arch, 0, 0, 2, {"type": "batchnorm"}]],
            ["ops", "addComponent", [arch, 0, 0, 0, relu]],
            ["ops", "remove", [arch, {"layer": 0, "block": 2}]],
            ["ops", "remove", [arch, {"layer": 0, "block": 0, "component": 1}]],
            ["ops", "setParams", [arch, {"layer": 2, "block": 0, "component": 0}, {"kernel": 5}]],
        ]
    )
    for edit in edits:
        apply(arch, [edit])  # each one alone is valid
    assert edits[1]["at"] is None
    assert edits[2]["at"] == 0
    assert shape(apply(arch, edits[3:4]))[0][1] == [["b1", 2], ["b2", 2]]
    assert conv != relu


# --- parameters ----------------------------------------------------------------------------


def test_the_parameter_field_parses_what_was_typed_without_correcting_it(js):
    conv = {"type": "conv", "filters": 16, "kernel": 3}
    got = js(
        [
            ["params", "parseParams", ["conv", "32, 5", conv]],
            ["params", "parseParams", ["conv", "31.6", conv]],
            ["params", "parseParams", ["conv", "abc", conv]],
            ["params", "parseParams", ["conv", "16, 3", conv]],
            ["params", "parseParams", ["conv", "1, 2, 3, 4", conv]],
            ["params", "parseParams", ["relu", "", {"type": "relu"}]],
            ["params", "paramText", [conv]],
            ["params", "paramText", [{"type": "conv", "filters": 8, "kernel": 3, "stride": 2}]],
        ]
    )
    assert got[0] == {"params": {"filters": 32, "kernel": 5}}
    assert got[1] == {"params": {"filters": 31.6}}  # sent as typed: the server refuses it
    assert got[2] == {"params": {"filters": "abc"}}
    assert got[3] == {"params": {}}  # unchanged: nothing to send
    assert "at most 3" in got[4]["error"]
    assert got[5] == {"params": {}}
    assert got[6] == "16, 3"
    assert got[7] == "8, 3, 2"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    case=st.sampled_from(
        [
            ("conv", "filters"),
            ("conv", "kernel"),
            ("conv", "stride"),
            ("maxpool", "pool"),
            ("avgpool", "pool"),
            ("dense", "units"),
            ("dropout", "rate"),
        ]
    ),
    value=st.one_of(st.floats(-50, 600, allow_nan=False), st.sampled_from(["abc", "", "1e9x"])),
)
def test_the_offered_value_is_one_nas_core_accepts(js, case, value):
    kind, key = case
    (offer,) = js([["params", "nearestValid", [kind, key, value]]])
    body = {"conv": {"filters": 16, "kernel": 3}, "dense": {"units": 64}, "dropout": {"rate": 0.5}}
    layer = {"type": kind, **body.get(kind, {"pool": 2}), key: offer}
    msgspec.convert(layer, Layer)  # raises if nas_core would refuse it
    if isinstance(value, float) and key in ("filters", "units") and value >= 1:
        assert offer == round(value) or abs(offer - value) <= 0.5


def test_a_refusal_names_the_parameter_and_its_offer_is_read_from_the_message(js):
    arch = lenet()
    bad = {"op": "set_params", "block": "b1", "index": 0, "params": {"filters": 31.6}}
    with pytest.raises(SupernetError) as refused:
        apply(arch, [bad])
    path, reason = refused.value.path, refused.value.reason
    key, offer, none = js(
        [
            ["params", "refusedKey", [f"$.edits[0]{path[len('$.edits[0]') :]}", {"filters": 31.6}]],
            ["params", "offeredBy", [reason]],
            ["params", "offeredBy", ["expected an integer"]],
        ]
    )
    assert path == "$.edits[0].params.filters"
    assert key == "filters"
    assert offer == 32
    assert none is None


# --- the scatter's sets --------------------------------------------------------------------


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    regions=st.lists(
        st.lists(st.sets(st.sampled_from([f"b{i}" for i in range(1, 8)]), min_size=1), max_size=6),
        min_size=1, max_size=20,
    )
)  # fmt: skip
def test_union_intersection_complement_of_a_regions_blocks(js, regions):
    all_ids = [f"b{i}" for i in range(1, 10)]
    ordered = [[sorted(m, key=lambda b: int(b[1:])) for m in masks] for masks in regions]
    results = js([["points", "blockSets", [masks, all_ids]] for masks in ordered])
    for masks, sets in zip(regions, results, strict=True):
        union = set().union(*masks) if masks else set()
        inter = set.intersection(*masks) if masks else set()
        assert set(sets["union"]) == union
        assert set(sets["intersection"]) == inter
        assert set(sets["complement"]) == set(all_ids) - union
        assert sets["union"] == [b for b in all_ids if b in union]  # in block order


def test_points_are_hollow_until_evaluated_and_sized_by_params(js):
    arch = lenet()
    masks = [
        ["b1", "b4", "b5", "b8", "b9", "b10", "b12"],
        ["b3", "b4", "b7", "b8", "b9", "b11", "b12"],
    ]
    space = {"masks": masks, "positions": [[0, 0], [1, 1]]}
    key = ",".join(masks[1])
    evaluations = [[key, {"mask": masks[1], "val_acc": 0.9, "position": [1, 1]}]]
    (pts,) = js([["points", "spacePointsJSON", [arch, space, evaluations]]])
    assert pts["n"] == 2
    assert pts["evaluated"] == 1
    assert pts["pending"] == [1, 0]
    assert pts["value"][0] is None  # not evaluated: NaN, null in JSON
    assert pts["value"][1] == pytest.approx(0.9)
    assert pts["radius"][1] > pts["radius"][0]  # 7×7 convs and two dense layers: more params
