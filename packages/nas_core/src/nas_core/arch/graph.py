"""Architectures as `distances.LayerGraph`, for OTMANN.

Two vocabularies:

- ``"nasbot"`` — NASBOT's CNN vocabulary (Kandasamy et al. 2018): ``ip``,
  ``conv3/5/7``, ``max-pool``, ``avg-pool``, ``fc``, ``softmax``, ``op``. Activations,
  dropout, batch norm and flatten carry no node; the classifier (the last dense) is
  ``softmax``.
- ``"remap"`` — REMAP's own structure view: as ``"nasbot"``, but activations,
  dropout and batch norm are nodes, and pools carry their size (``max-pool2``).

Units are a conv's filters and a hidden dense's units, ``None`` for every other node.
The graph is a chain ``ip → layers → op``. Each layer type's labels and units are its
``graph_label`` and ``graph_units`` (`nas_core.arch.layers`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

from .layers import Architecture, Dense

if TYPE_CHECKING:
    from distances import LayerGraph

__all__ = ["VOCABULARIES", "graph_labels", "to_layer_graph"]

Vocabulary = Literal["nasbot", "remap"]
VOCABULARIES: tuple[str, ...] = get_args(Vocabulary)


def graph_labels(
    arch: Architecture, vocabulary: Vocabulary = "nasbot"
) -> tuple[list[str], list[int | None]]:
    """The node labels and units of `arch`'s graph, ``ip`` first and ``op`` last."""
    if vocabulary not in VOCABULARIES:
        raise ValueError(f"unknown vocabulary {vocabulary!r}: use one of {', '.join(VOCABULARIES)}")
    labels: list[str] = ["ip"]
    units: list[int | None] = [None]
    last = len(arch.layers) - 1
    for i, layer in enumerate(arch.layers):
        if i == last and isinstance(layer, Dense):
            labels.append("softmax")
            units.append(None)
            continue
        label = layer.graph_label(vocabulary)
        if label is None:
            continue
        labels.append(label)
        units.append(layer.graph_units())
    labels.append("op")
    units.append(None)
    return labels, units


def to_layer_graph(arch: Architecture, vocabulary: Vocabulary = "nasbot") -> LayerGraph:
    """`arch` as a `distances.LayerGraph` (a chain) in the given vocabulary."""
    from distances import LayerGraph  # imported here: POT and scikit-learn load slowly

    labels, units = graph_labels(arch, vocabulary)
    edges = [[k, k + 1] for k in range(len(labels) - 1)]
    return LayerGraph(labels=labels, units=units, edges=edges)
