"""OTMANN over random valid graphs (hypothesis): finite, non-negative, symmetric, and the
same as the pair-by-pair reference, in both vocabularies."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distances import LayerGraph, otmann_matrix
from distances._reference import otmann_matrix_reference

NASBOT_INNER = ("conv3", "conv5", "conv7", "res3", "res5", "res7", "max-pool", "avg-pool", "fc")
REMAP_INNER = (
    *NASBOT_INNER,
    "conv1",
    "res9",
    "max-pool3",
    "avg-pool5",
    "relu",
    "tanh",
    "sigmoid",
    "dropout",
    "batchnorm",
)
WITH_UNITS = ("conv", "res", "fc")


@st.composite
def layer_graphs(draw, inner_labels=NASBOT_INNER):
    """ip → a chain of inner layers (plus forward skips) → one or two softmax → op, in a
    shuffled node order."""
    inner = draw(st.lists(st.sampled_from(inner_labels), min_size=1, max_size=7))
    labels = ["ip", *inner]
    units = [None] + [
        draw(st.sampled_from((4, 16, 64, 256))) if lab.startswith(WITH_UNITS) else None
        for lab in inner
    ]
    edges = {(k, k + 1) for k in range(len(inner))}
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(inner) - 1))
        j = draw(st.integers(i + 1, len(inner)))
        edges.add((i, j))
    heads = [len(inner)] + ([draw(st.integers(1, len(inner)))] if draw(st.booleans()) else [])
    op = len(labels) + len(heads)
    for parent in heads:
        labels.append("softmax")
        units.append(None)
        edges |= {(parent, len(labels) - 1), (len(labels) - 1, op)}
    labels.append("op")
    units.append(None)
    order = draw(st.permutations(range(len(labels))))
    where = {old: new for new, old in enumerate(order)}
    return LayerGraph(
        [labels[k] for k in order],
        [units[k] for k in order],
        sorted((where[i], where[j]) for i, j in edges),
    )


COEFS = st.sampled_from([(0.1, 1.0, 1.0), (1.5, 1.0, 1.0), (0.25, 0.5, 0.1), (0.61, 0.3, 2.5)])


def check(graphs: list[LayerGraph], coefs, normalize: bool, vocabulary: str) -> None:
    struct, mislabel, nap = coefs
    kw = {
        "struct_coef": struct,
        "mislabel_coef": mislabel,
        "non_assignment_penalty": nap,
        "normalize": normalize,
        "vocabulary": vocabulary,
    }
    d = otmann_matrix(graphs, **kw)
    assert d.shape == (len(graphs), len(graphs))
    assert np.all(np.isfinite(d))
    assert np.all(d >= 0)
    assert np.array_equal(d, d.T)
    assert np.all(np.diag(d) == 0)
    want = otmann_matrix_reference(graphs, None, **kw)
    assert np.allclose(d, want, rtol=1e-9, atol=1e-9 * max(1.0, float(np.abs(want).max())))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(layer_graphs(), min_size=2, max_size=5), COEFS, st.booleans())
def test_random_nasbot_graphs(graphs, coefs, normalize):
    check(graphs, coefs, normalize, "nasbot")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(layer_graphs(REMAP_INNER), min_size=2, max_size=5), COEFS, st.booleans())
def test_random_remap_graphs(graphs, coefs, normalize):
    check(graphs, coefs, normalize, "remap")


@settings(max_examples=25, deadline=None)
@given(layer_graphs(REMAP_INNER))
def test_a_graph_and_its_copy_are_at_zero(graph):
    copy = LayerGraph(graph.labels, graph.units, graph.edges)
    assert abs(otmann_matrix([graph], [copy], vocabulary="remap")[0, 0]) <= 1e-9
