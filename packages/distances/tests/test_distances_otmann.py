"""OTMANN: agreement with NASBOT's own numbers, the matrix's properties, bad input."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from distances import DistancesError, LayerGraph, otmann_matrix
from distances._otmann import REPLACE_COST_INF_WITH
from distances._reference import otmann_matrix_reference, otmann_pair_reference

DATA = Path(__file__).parent / "data"


def _maker():
    spec = importlib.util.spec_from_file_location(
        "make_otmann_reference", DATA / "make_otmann_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _maker()
NETWORKS = json.loads((DATA / "otmann_networks.json").read_text())
REFERENCE = np.load(DATA / "otmann_reference.npz")
CASES = [
    (config, index, normalize)
    for config, (mislabel, _struct, _nap) in MAKER.CONFIGS.items()
    for index in range(len(mislabel))
    for normalize in (False, True)
]


def graphs(rows=None) -> list[LayerGraph]:
    chosen = NETWORKS if rows is None else [NETWORKS[k] for k in rows]
    return [LayerGraph(n["labels"], n["units"], n["edges"]) for n in chosen]


def options(config: str, index: int, normalize: bool) -> dict:
    mislabel, struct, nap = MAKER.CONFIGS[config]
    return {
        "mislabel_coef": mislabel[index],
        "struct_coef": struct[index],
        "non_assignment_penalty": nap,
        "normalize": normalize,
    }


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    scale = np.maximum(np.abs(want), 1e-300)
    return float(np.max(np.where(want == 0, np.abs(got), np.abs(got - want) / scale)))


def test_the_reference_data_covers_every_kind_of_network():
    kinds = [n["kind"] for n in NETWORKS]
    assert len(NETWORKS) == 300
    assert {kinds[k] for k in MAKER.ANCHORS} == {"chain", "res", "skip", "dag"}
    assert len(MAKER.CONFIGS["gp"][1]) == 4  # NASBOT's GP: struct coefs 0.1, 0.25, 0.61, 1.5
    assert sorted(REFERENCE.files) == sorted(
        f"{c}/{b}/{t}" for c in MAKER.CONFIGS for b in ("sym", "rect") for t in ("lp", "emd")
    )


@pytest.mark.parametrize(("config", "index", "normalize"), CASES)
def test_agrees_with_nasbot_to_1e_9_relative(config, index, normalize):
    kind = "emd" if normalize else "lp"
    opts = options(config, index, normalize)
    every = graphs()
    square = otmann_matrix(every[: MAKER.SYMMETRIC], None, **opts)
    anchors = [every[k] for k in MAKER.ANCHORS]
    rect = otmann_matrix(every, anchors, **opts)
    assert relative_error(square, REFERENCE[f"{config}/sym/{kind}"][index]) <= 1e-9
    assert relative_error(rect, REFERENCE[f"{config}/rect/{kind}"][index]) <= 1e-9


@pytest.mark.parametrize("config", list(MAKER.CONFIGS))
def test_the_pair_by_pair_baseline_agrees_with_nasbot_too(config):
    rows = list(range(0, 300, 37))
    got = otmann_matrix_reference(
        graphs(rows), graphs(MAKER.ANCHORS[:3]), **options(config, 0, False)
    )
    want = REFERENCE[f"{config}/rect/lp"][0][rows][:, :3]
    assert relative_error(got, want) <= 1e-9


def test_without_the_split_the_full_problem_gives_the_same_distances():
    # A penalty above REPLACE_COST_INF_WITH / 2 makes forbidden matches worth using, so
    # ip, op and softmax are no longer solved apart: the one big problem must agree.
    nap = REPLACE_COST_INF_WITH
    some = graphs(range(150, 300, 15))
    got = otmann_matrix(some, None, non_assignment_penalty=nap, struct_coef=0.25)
    want = otmann_matrix_reference(some, None, non_assignment_penalty=nap, struct_coef=0.25)
    assert relative_error(got, want) <= 1e-9


def test_symmetric_zero_diagonal_and_b_none_equals_b_a():
    some = graphs(range(0, 300, 10))
    square = otmann_matrix(some)
    assert np.array_equal(square, square.T)
    assert np.all(np.diag(square) == 0)
    assert np.all(square[~np.eye(len(some), dtype=bool)] > 0)
    assert relative_error(otmann_matrix(some, some), square) <= 1e-12


def test_identical_graphs_are_at_distance_zero_in_both_vocabularies():
    net = NETWORKS[260]
    twins = [LayerGraph(net["labels"], net["units"], net["edges"]) for _ in range(3)]
    remap = LayerGraph.chain(
        ["ip", "conv5", "relu", "batchnorm", "max-pool3", "dropout", "fc", "tanh", "softmax", "op"],
        [None, 16, None, None, None, None, 64, None, None, None],
    )
    for vocabulary, pair in (("nasbot", twins), ("remap", [remap, remap])):
        d = otmann_matrix(pair, list(pair), vocabulary=vocabulary, normalize=True)
        assert np.allclose(d, 0.0, atol=1e-12)


def test_normalize_divides_by_the_two_total_masses():
    some = graphs(range(5))
    raw = otmann_matrix(some, struct_coef=0.61)
    normed = otmann_matrix(some, struct_coef=0.61, normalize=True)
    for i in range(5):
        for j in range(5):
            if i != j:
                alone = otmann_pair_reference(some[i], some[j], struct_coef=0.61, normalize=True)
                assert normed[i, j] == pytest.approx(alone, rel=1e-12)
                assert raw[i, j] > normed[i, j]


def test_shapes_single_graphs_and_empty_lists():
    one, two = graphs([0, 1])
    assert otmann_matrix(one, two).shape == (1, 1)
    assert otmann_matrix([one, two], []).shape == (2, 0)
    assert otmann_matrix([]).shape == (0, 0)
    assert otmann_matrix((one, two), (two,))[0, 0] == pytest.approx(otmann_matrix(one, two)[0, 0])


def test_layer_graph_accepts_lists_or_tuples_and_is_immutable():
    a = LayerGraph(labels=["ip", "conv3", "softmax", "op"], units=[None, 8, None, None],
                   edges=[[0, 1], [1, 2], [2, 3]])  # fmt: skip
    b = LayerGraph(("ip", "conv3", "softmax", "op"), (None, 8, None, None),
                   ((0, 1), (1, 2), (2, 3)))  # fmt: skip
    assert a == b
    assert hash(a) == hash(b)
    assert a.edges == ((0, 1), (1, 2), (2, 3))
    with pytest.raises(AttributeError):
        a.labels = ("ip", "op")  # type: ignore[misc]


def test_node_order_does_not_matter():
    net = NETWORKS[123]
    order = np.random.default_rng(4).permutation(len(net["labels"]))
    where = {int(old): new for new, old in enumerate(order)}
    shuffled = LayerGraph(
        [net["labels"][k] for k in order],
        [net["units"][k] for k in order],
        [[where[i], where[j]] for i, j in net["edges"]],
    )
    others = graphs(range(0, 300, 29))
    original = otmann_matrix(graphs([123]), others, struct_coef=1.5)
    assert relative_error(otmann_matrix([shuffled], others, struct_coef=1.5), original) <= 1e-9


# -- the "remap" vocabulary ---------------------------------------------------------


def chain(*layers: str | tuple[str, int]) -> LayerGraph:
    labels = ["ip"] + [x if isinstance(x, str) else x[0] for x in layers] + ["softmax", "op"]
    units = [None] + [None if isinstance(x, str) else x[1] for x in layers] + [None, None]
    return LayerGraph.chain(labels, units)


def remap(a: LayerGraph, b: LayerGraph, **kw) -> float:
    return float(otmann_matrix([a], [b], vocabulary="remap", **kw)[0, 0])


def test_remap_tells_activations_apart_and_saturating_ones_are_closer():
    base = [("conv3", 32), "max-pool2", ("fc", 64)]

    def net(act: str) -> LayerGraph:
        return chain(base[0], act, base[1], base[2], act)

    relu, tanh, sigmoid = net("relu"), net("tanh"), net("sigmoid")
    assert remap(relu, tanh) > 0
    assert remap(tanh, sigmoid) > 0
    assert remap(tanh, sigmoid) < remap(relu, tanh)
    assert remap(relu, tanh) == pytest.approx(remap(relu, sigmoid))
    # In NASBOT's vocabulary the activations carry no node: both nets are this one.
    plain = chain(("conv3", 32), "max-pool", ("fc", 64))
    assert otmann_matrix([plain], [plain])[0, 0] == 0


def test_remap_tells_a_dropout_from_nothing_and_batchnorm_from_dropout():
    plain = chain(("conv3", 32), "relu", ("fc", 64))
    dropped = chain(("conv3", 32), "relu", "dropout", ("fc", 64))
    normed = chain(("conv3", 32), "relu", "batchnorm", ("fc", 64))
    assert remap(plain, dropped) > 0
    assert remap(plain, normed) == remap(plain, dropped)  # same mass, same place
    assert remap(dropped, normed) > 0  # never matched to each other


def test_remap_pool_sizes_cost_by_their_ratio_and_bare_pools_are_size_2():
    def pooled(label: str) -> LayerGraph:
        return chain(("conv3", 32), label, ("conv3", 32))

    two, three, five = pooled("max-pool2"), pooled("max-pool3"), pooled("max-pool5")
    assert 0 < remap(two, three) < remap(two, five)
    assert remap(pooled("max-pool"), two) == 0
    assert remap(two, pooled("avg-pool2")) > remap(two, three)


def test_remap_equals_nasbot_on_nasbot_labels():
    some = graphs(range(0, 300, 12))
    for kw in ({"struct_coef": 0.1}, {"struct_coef": 1.5, "normalize": True}):
        assert (
            relative_error(otmann_matrix(some, vocabulary="remap", **kw), otmann_matrix(some, **kw))
            <= 1e-12
        )


def test_remap_parameter_free_layers_never_outweigh_the_layer_that_feeds_them():
    from distances._graph import features
    from distances._vocab import get_vocabulary

    mlp = chain(("fc", 128), "relu", "dropout", ("fc", 64), "tanh", "batchnorm")
    f = features(mlp, get_vocabulary("remap"), "mlp")
    masses = dict(enumerate(f.masses))
    assert masses[2] <= masses[1]
    assert masses[3] <= masses[1]
    assert masses[5] <= masses[4]
    assert masses[6] <= masses[4]
    conv = chain(("conv3", 16), "relu", ("conv5", 32), "sigmoid")
    g = features(conv, get_vocabulary("remap"), "conv").masses
    assert g[2] < g[1]
    assert g[4] < g[3]


def test_remap_pools_count_in_the_pool_group():
    # Path lengths counted over the pool group: a pool of any size must count, so two
    # nets that differ only in where a pool sits differ structurally.
    early = chain(("conv3", 32), "max-pool3", ("conv3", 32), ("conv3", 32))
    late = chain(("conv3", 32), ("conv3", 32), ("conv3", 32), "max-pool3")
    with_groups = remap(early, late, struct_coef=1.0, mislabel_coef=0.0)
    assert with_groups > 0
    from distances._graph import features
    from distances._vocab import get_vocabulary

    paths = features(early, get_vocabulary("remap"), "early").paths
    assert paths[:, 6:9].max() > 0  # backward pool-group path lengths (all, conv, pool, fc)


# -- bad input -----------------------------------------------------------------------

GOOD = chain(("conv3", 8))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (LayerGraph.chain(["ip", "conv4", "softmax", "op"], [None, 8, None, None]),
         r"graph a\[1\]: node 1 has unknown label 'conv4'"),
        (LayerGraph(["ip", "conv3", "softmax", "op"], [None, 8, None, None],
                    [[0, 1], [1, 2], [2, 7]]),
         r"graph a\[1\]: edge 2 \(2, 7\) is out of range: the graph has 4 nodes"),
        (LayerGraph(["ip", "conv3", "conv3", "softmax", "op"], [None, 8, 8, None, None],
                    [[0, 1], [1, 2], [2, 1], [2, 3], [3, 4]]),
         r"graph a\[1\]: has a cycle"),
        (LayerGraph(["ip", "conv3", "softmax", "op"], [None, 8, None, None], [[0, 1], [2, 3]]),
         r"graph a\[1\]: has no path from ip \(node 0\) to op \(node 3\)"),
        (LayerGraph(["ip", "conv3", "conv3", "softmax", "op"], [None, 8, 8, None, None],
                    [[0, 1], [1, 3], [3, 4], [0, 2]]),
         r"graph a\[1\]: node 2 \('conv3'\) is not on a path from ip to op"),
        (LayerGraph.chain(["ip", "conv3", "softmax", "op"], [None, None, None, None]),
         r"graph a\[1\]: node 1 \('conv3'\) needs a positive number of units"),
        (LayerGraph.chain(["ip", "max-pool", "softmax", "op"], [None, 4, None, None]),
         r"graph a\[1\]: node 1 \('max-pool'\) has no units"),
        (LayerGraph.chain(["conv3", "softmax", "op"], [8, None, None]),
         r"graph a\[1\]: has no 'ip' node"),
        (LayerGraph.chain(["ip", "softmax", "conv3", "op"], [None, None, 8, None]),
         r"graph a\[1\]: node 2 \('conv3'\) follows the softmax node 1"),
    ],
)  # fmt: skip
def test_bad_graphs_raise_value_errors_naming_the_graph(bad, message):
    with pytest.raises(ValueError, match=message) as caught:
        otmann_matrix([GOOD, bad])
    assert isinstance(caught.value, DistancesError)


def test_errors_name_the_b_side_and_remap_labels_are_unknown_to_nasbot():
    with pytest.raises(ValueError, match=r"graph b\[0\]: node 2 has unknown label 'relu'"):
        otmann_matrix([GOOD], [chain(("conv3", 8), "relu")])
    with pytest.raises(ValueError, match=r"graph a\[0\]: node 1 has unknown label 'conv'"):
        otmann_matrix([chain(("conv", 8))], vocabulary="remap")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"struct_coef": -0.1}, "struct_coef must be finite and >= 0"),
        ({"mislabel_coef": float("nan")}, "mislabel_coef must be finite and >= 0"),
        ({"non_assignment_penalty": "x"}, "non_assignment_penalty must be a number"),
        ({"vocabulary": "mlp"}, "unknown vocabulary 'mlp'"),
    ],
)
def test_bad_options_raise(kw, message):
    with pytest.raises(ValueError, match=message):
        otmann_matrix([GOOD], **kw)


def test_bad_layer_graph_arguments_raise():
    with pytest.raises(ValueError, match="2 labels but 3 units"):
        LayerGraph(["ip", "op"], [None, None, None], [[0, 1]])
    with pytest.raises(ValueError, match=r"edges\[0\] is \[0, 1, 2\]"):
        LayerGraph(["ip", "op"], [None, None], [[0, 1, 2]])
    with pytest.raises(ValueError, match=r"units\[1\] is 2.5"):
        LayerGraph(["ip", "op"], [None, 2.5], [[0, 1]])
    with pytest.raises(ValueError, match="not a string"):
        LayerGraph("ip op", [None, None], [[0, 1]])
    with pytest.raises(ValueError, match=r"graph a\[1\] is a dict"):
        otmann_matrix([GOOD, {"labels": []}])
