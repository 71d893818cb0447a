"""The one-shot language (issue 18): validation with JSON paths, templates, masks,
Lego edits, projection and the rank check's statistics. Pure (no torch)."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.arch.layers import Conv, Dense, Flatten, MaxPool, ReLU
from nas_core.oneshot import (
    TEMPLATES,
    LegoEdit,
    Region,
    SupernetError,
    apply_edits,
    block_ids,
    check_mask,
    count_subgraphs,
    decode_super,
    enumerate_masks,
    ged_identity,
    ged_labelled,
    in_region,
    kendall_tau,
    load_template,
    rank_check,
    smacof,
    subgraph_arch,
    template_infos,
)
from nas_core.oneshot.projection import Placer, component_cost
from nas_core.oneshot.types import Block, SuperArchitecture, SuperLayer


def plain(value) -> dict:
    return msgspec.json.decode(msgspec.json.encode(value))


def edits(*bodies) -> tuple:
    return msgspec.convert(list(bodies), tuple[LegoEdit, ...])


def test_lenet_template_has_the_papers_counts():
    sa = load_template("lenet-digits-v1")
    assert len(block_ids(sa)) == 12
    assert count_subgraphs(sa) == 18 == len(list(enumerate_masks(sa)))
    multi = load_template("lenet-digits-multi-v1")
    assert count_subgraphs(multi) == 147 == len(set(enumerate_masks(multi)))


def test_rank_template_has_81_architectures_that_differ():
    sa = load_template("rank-digits-v1")
    archs = {msgspec.json.encode(subgraph_arch(sa, m)) for m in enumerate_masks(sa)}
    assert len(archs) == 81


def test_every_template_validates_and_is_listed():
    infos = {t["name"]: t for t in template_infos()}
    assert set(infos) == set(TEMPLATES)
    assert tuple(infos["alexnet-cifar-v1"]["arch"]["input"]["shape"]) == (3, 32, 32)


def test_blocks_of_a_layer_with_different_shapes_are_refused_with_their_path():
    sa = plain(load_template("lenet-digits-v1"))
    sa["layers"][2]["blocks"][1]["components"][0]["filters"] = 8
    with pytest.raises(SupernetError) as err:
        decode_super(sa)
    assert err.value.path == "$.layers[2].blocks[1]"
    assert "output shape 8×4×4 differs from block b5's 32×4×4" in err.value.reason


def test_a_component_invalid_where_it_stands_is_named_by_its_path():
    sa = plain(load_template("lenet-digits-v1"))
    sa["layers"][5]["blocks"][0]["components"].insert(0, {"type": "conv", "filters": 4})
    with pytest.raises(SupernetError) as err:
        decode_super(sa, "$.arch")
    assert err.value.path == "$.arch.layers[5].blocks[0].components[0]"
    assert "conv after flatten" in err.value.reason


def test_a_decoding_error_carries_the_path():
    sa = plain(load_template("lenet-digits-v1"))
    sa["layers"][0]["blocks"][0]["components"][0]["kernel"] = 4
    with pytest.raises(SupernetError) as err:
        decode_super(sa)
    assert err.value.path == "$.layers[0].blocks[0].components[0].kernel"


def test_the_classifier_must_end_the_last_layer():
    sa = plain(load_template("lenet-digits-v1"))
    sa["layers"][-1]["blocks"][0]["components"][0]["units"] = 7
    with pytest.raises(SupernetError, match="classifier") as err:
        decode_super(sa)
    assert err.value.path == "$.layers[6].blocks[0]"


def test_a_mask_must_cover_every_layer_once_in_single_mode():
    sa = load_template("lenet-digits-v1")
    with pytest.raises(SupernetError, match="no block of layer L2"):
        check_mask(sa, ("b1", "b5", "b8", "b9", "b10", "b12"))
    with pytest.raises(SupernetError, match="single-path needs one"):
        check_mask(sa, ("b1", "b2", "b4", "b5", "b8", "b9", "b10", "b12"))
    with pytest.raises(SupernetError) as err:
        check_mask(sa, ("b1", "b99"), "$.mask")
    assert err.value.path == "$.mask[1]"


def test_a_single_path_mask_is_the_sequential_model_of_its_blocks():
    sa = load_template("lenet-digits-v1")
    arch = subgraph_arch(sa, ("b2", "b4", "b6", "b8", "b9", "b11", "b12"))
    assert arch.layers == (
        Conv(16, 5), ReLU(), MaxPool(2), Conv(32, 5), ReLU(), MaxPool(2), Flatten(),
        Dense(64), ReLU(), Dense(64), ReLU(), Dense(10),
    )  # fmt: skip


def test_edits_add_remove_move_and_never_reuse_ids():
    sa = load_template("lenet-digits-v1")
    relu_conv = [{"type": "conv", "filters": 16}, {"type": "relu"}]
    out = apply_edits(sa, edits(
        {"op": "add_block", "layer": "L1", "components": relu_conv},
        {"op": "remove_block", "block": "b13"},
        {"op": "add_block", "layer": "L1", "components": [{"type": "conv", "filters": 16}]},
        {"op": "move_block", "block": "b14", "layer": "L1", "to": 0},
        {"op": "add_component", "block": "b14", "component": {"type": "tanh"}},
        {"op": "set_params", "block": "b1", "index": 0, "params": {"kernel": 7}},
    ))  # fmt: skip
    first = out.layers[0]
    assert [b.id for b in first.blocks] == ["b14", "b1", "b2", "b3"]
    assert first.blocks[1].components[0] == Conv(16, 7)
    assert first.blocks[0].components[-1].__struct_config__.tag == "tanh"


def test_a_fractional_integer_parameter_is_refused_with_the_nearest_value_offered():
    sa = load_template("lenet-digits-v1")
    with pytest.raises(SupernetError) as err:
        apply_edits(
            sa, edits({"op": "set_params", "block": "b1", "index": 0, "params": {"filters": 31.6}})
        )
    assert err.value.path == "$.edits[0].params.filters"
    assert "nearest valid value: 32" in err.value.reason


def test_an_edit_that_breaks_the_shapes_is_refused_naming_the_block():
    sa = load_template("lenet-digits-v1")
    with pytest.raises(SupernetError) as err:
        apply_edits(
            sa, edits({"op": "set_params", "block": "b2", "index": 0, "params": {"filters": 8}})
        )
    assert err.value.path == "$.edits"
    assert "$.layers[0].blocks[1]" in err.value.reason


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"op": "remove_block", "block": "b4"}, "$.edits[0].block"),  # the only block of L2
        ({"op": "remove_layer", "layer": "L9"}, "$.edits[0].layer"),
        ({"op": "remove_component", "block": "b1", "index": 5}, "$.edits[0].index"),
        ({"op": "move_layer", "layer": "L1", "to": 9}, "$.edits[0].to"),
    ],
)
def test_bad_edits_name_their_field(body, path):
    with pytest.raises(SupernetError) as err:
        apply_edits(load_template("lenet-digits-v1"), edits(body))
    assert err.value.path == path


def test_identity_ged_counts_node_and_edge_differences():
    sa = load_template("lenet-digits-v1")
    a = ("b1", "b4", "b5", "b8", "b9", "b10", "b12")
    b = ("b2", "b4", "b5", "b8", "b9", "b10", "b12")
    d = ged_identity(sa, [a, b, a])
    assert d[0, 2] == 0
    assert d[0, 1] == 2 + 2  # b1 vs b2 (2 nodes), the edge to b4 from each (2 edges)


def test_out_of_sample_placement_puts_a_sample_point_where_it_is():
    sa = load_template("lenet-digits-multi-v1")
    masks = list(enumerate_masks(sa))[::7]
    d = ged_labelled(sa, masks)
    fit = smacof(d, seed=3)
    place = Placer(sa, masks, fit, d)
    # a point of the sample, placed as if new, falls near its recorded position
    inner = Placer(sa, masks, fit, d)
    inner.index = {}
    got = np.asarray(inner.place(masks[3]))
    assert np.allclose(got, fit[3], atol=0.35 * np.abs(fit).max())
    assert place.place(masks[3]) == (float(fit[3, 0]), float(fit[3, 1]))
    # a scatter recorded with the older distance is placed with that distance
    old = Placer(sa, masks, fit, ged_identity(sa, masks), "ged-identity")
    old.index = {}
    assert np.all(np.isfinite(old.place(masks[3])))


def test_labelled_distance_tells_kernels_apart_by_their_parameters():
    sa = load_template("lenet-digits-v1")
    rest = ("b4", "b5", "b8", "b9", "b10", "b12")
    c3, c5, c7 = (tuple(sorted((b, *rest), key=lambda x: int(x[1:]))) for b in ("b1", "b2", "b3"))
    d = ged_labelled(sa, [c3, c5, c7])
    assert 0 < d[0, 1] < d[0, 2]  # conv 3 is nearer conv 5 than conv 7
    assert 0 < d[1, 2] < d[0, 2]
    assert d[0, 1] == pytest.approx(0.4)  # one label substituted: |3 - 5| / 5
    # one dense against two: 2 nodes and 3 edges inserted, 1 edge deleted
    two = (*c3[:5], "b11", "b12")
    assert ged_labelled(sa, [c3, two])[0, 1] == pytest.approx(6)


@pytest.mark.parametrize(
    ("name", "step"), [("lenet-digits-v1", 1), ("rank-digits-v1", 1), ("lenet-digits-multi-v1", 3)]
)
def test_distinct_subgraphs_get_distinct_positions(name, step):
    """Classical MDS put the 18 single-path LeNet subgraphs on 4 spots (their distances
    span several equal eigenvalues); the stress-majorised layout keeps every pair apart."""
    sa = load_template(name)
    masks = list(enumerate_masks(sa))[::step]
    d = ged_labelled(sa, masks)
    assert np.all(d[~np.eye(len(masks), dtype=bool)] > 0)
    x = smacof(d, seed=0)
    gap = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))[~np.eye(len(masks), dtype=bool)]
    assert gap.min() > 1e-4 * np.abs(x).max()
    assert np.array_equal(x, smacof(d, seed=0))  # seeded: a replay gets the same layout


_MULTI = load_template("lenet-digits-multi-v1")
_MULTI_MASKS = list(enumerate_masks(_MULTI))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(_MULTI_MASKS) - 1), st.integers(0, len(_MULTI_MASKS) - 1))
def test_labelled_distance_is_symmetric_and_zero_only_on_the_same_subgraph(i, j):
    a, b = _MULTI_MASKS[i], _MULTI_MASKS[j]
    d = ged_labelled(_MULTI, [a, b, a])
    assert d[0, 1] == d[1, 0] == ged_labelled(_MULTI, [b, a])[0, 1]
    assert d[0, 2] == 0
    assert (d[0, 1] > 0) == (a != b)


def _tiny(mode: str) -> SuperArchitecture:
    return SuperArchitecture(
        "tiny", {"shape": (1, 4, 4), "classes": 3},
        (
            SuperLayer("L1", (Block("b1", (Conv(2, 3), ReLU())), Block("b2", (Conv(2, 5),)))),
            SuperLayer("L2", (Block("b3", (Flatten(),)),)),
            SuperLayer("L3", (Block("b4", (Dense(3),)), Block("b5", (Dense(8), Dense(3))))),
        ),
        path_mode=mode,
    )  # fmt: skip


def _nx_graph(sa: SuperArchitecture, mask):
    import networkx as nx

    from nas_core.oneshot.projection import _label

    g, layers = nx.DiGraph(), [[b for b in layer.blocks if b.id in mask] for layer in sa.layers]
    for i, blocks in enumerate(layers):
        for b in blocks:
            for k, c in enumerate(b.components):
                g.add_node((b.id, k), label=_label(c))
                if k:
                    g.add_edge((b.id, k - 1), (b.id, k))
            for nxt in layers[i + 1] if i + 1 < len(layers) else ():
                g.add_edge((b.id, len(b.components) - 1), (nxt.id, 0))
    return g


@pytest.mark.parametrize("mode", ["single", "multi"])
def test_labelled_distance_bounds_exact_graph_edit_distance(mode):
    import networkx as nx

    sa = _tiny(mode)
    masks = list(enumerate_masks(sa))
    d = ged_labelled(sa, masks)
    for i in range(len(masks)):
        for j in range(i + 1, len(masks)):
            exact = nx.graph_edit_distance(
                _nx_graph(sa, masks[i]), _nx_graph(sa, masks[j]),
                node_subst_cost=lambda a, b: component_cost(a["label"], b["label"]),
                node_del_cost=lambda a: 1.0, node_ins_cost=lambda a: 1.0,
                timeout=5,
            )  # fmt: skip
            assert d[i, j] >= exact - 1e-9, (masks[i], masks[j])
            if mode == "single" and masks[i][:2] == masks[j][:2]:
                # dense 3 vs dense 8 + dense 3: the exact path (substitute the first,
                # insert one node and one edge), not the cheaper-looking label match
                assert d[i, j] == pytest.approx(exact) == pytest.approx(2.625)


def test_region_containment():
    rect = Region("rect", ((0, 0), (2, 1)))
    assert in_region(rect, (1, 0.5))
    assert not in_region(rect, (3, 0.5))
    tri = Region("polygon", ((0, 0), (4, 0), (0, 4)))
    assert in_region(tri, (1, 1))
    assert not in_region(tri, (3, 3))


def test_kendall_tau_and_the_rank_check():
    assert kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert kendall_tau([1, 1, 1], [1, 2, 3]) == 0.0
    rng = np.random.default_rng(0)
    truth = np.linspace(0.5, 1, 40)
    seeds = [truth + rng.normal(0, 0.01, 40), truth + rng.normal(0, 0.01, 40)]
    result = rank_check(truth + rng.normal(0, 0.02, 40), seeds, seed=1)
    assert result.kendall_tau > 0.6
    assert result.tau_ci[0] <= result.kendall_tau <= result.tau_ci[1]
    assert result.noise_ceiling > 0.8
    assert result.top1_rank >= 1
    assert rank_check(truth, seeds, seed=1) == rank_check(truth, seeds, seed=1)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(TEMPLATES)), st.integers(0, 2**32))
def test_every_enumerated_mask_is_valid(name, n):
    sa = load_template(name)
    masks = list(enumerate_masks(sa))
    mask = masks[n % len(masks)]
    assert check_mask(sa, mask) == mask
