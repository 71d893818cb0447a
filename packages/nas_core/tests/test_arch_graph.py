"""Architectures as `distances.LayerGraph`, in NASBOT's and REMAP's vocabularies."""

from __future__ import annotations

import pytest

from nas_core.arch import (
    Architecture,
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Input,
    MaxPool,
    ReLU,
    Sigmoid,
    Tanh,
    graph_labels,
    to_layer_graph,
)

ARCH = Architecture(
    "g",
    Input((3, 32, 32), 10),
    (
        Conv(32, 5), BatchNorm(), ReLU(), MaxPool(2), Conv(64, 7), Tanh(), AvgPool(3),
        Dropout(0.25), Flatten(), Dense(128), Sigmoid(), Dropout(0.5), Dense(10),
    ),
)  # fmt: skip


def test_nasbot_vocabulary_drops_activations_dropout_batchnorm_and_flatten() -> None:
    labels, units = graph_labels(ARCH)
    assert labels == ["ip", "conv5", "max-pool", "conv7", "avg-pool", "fc", "softmax", "op"]
    assert units == [None, 32, None, 64, None, 128, None, None]


def test_remap_vocabulary_keeps_them_and_the_pool_sizes() -> None:
    labels, units = graph_labels(ARCH, "remap")
    assert labels == [
        "ip", "conv5", "batchnorm", "relu", "max-pool2", "conv7", "tanh", "avg-pool3",
        "dropout", "fc", "sigmoid", "dropout", "softmax", "op",
    ]  # fmt: skip
    assert units == [None, 32, None, None, None, 64, None, None, None, 128] + [None] * 4


def test_the_smallest_model_is_ip_softmax_op() -> None:
    tiny = Architecture("t", Input((1, 8, 8), 10), (Flatten(), Dense(10)))
    assert graph_labels(tiny) == (["ip", "softmax", "op"], [None, None, None])


def test_unknown_vocabulary() -> None:
    with pytest.raises(ValueError, match="unknown vocabulary 'keras': use one of nasbot, remap"):
        graph_labels(ARCH, "keras")  # type: ignore[arg-type]


@pytest.mark.parametrize("vocabulary", ["nasbot", "remap"])
def test_to_layer_graph_is_a_chain_that_otmann_accepts(vocabulary: str) -> None:
    distances = pytest.importorskip("distances")
    graph = to_layer_graph(ARCH, vocabulary)
    labels, units = graph_labels(ARCH, vocabulary)
    assert list(graph.labels) == labels
    assert list(graph.units) == units
    assert [list(e) for e in graph.edges] == [[k, k + 1] for k in range(len(labels) - 1)]
    other = Architecture("o", ARCH.input, (Conv(16), MaxPool(2), Flatten(), Dense(10)))
    graphs = [graph, to_layer_graph(other, vocabulary)]
    d = distances.otmann_matrix(graphs, None, **_otmann_args(distances, vocabulary))
    assert d.shape == (2, 2)
    assert d[0, 0] == pytest.approx(0.0, abs=1e-9)
    assert d[0, 1] > 0
    assert d[0, 1] == pytest.approx(d[1, 0])


def _otmann_args(distances, vocabulary: str) -> dict:
    args = {
        "struct_coef": 0.1,
        "mislabel_coef": 1.0,
        "non_assignment_penalty": 1.0,
        "normalize": False,
    }
    if vocabulary == "remap":
        args["vocabulary"] = "remap"
    return args
