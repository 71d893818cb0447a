"""Architectures as `distances.LayerGraph`, for OTMANN.

Two vocabularies, one table:

- ``"nasbot"`` — NASBOT's CNN vocabulary (Kandasamy et al. 2018): ``ip``,
  ``conv3/5/7``, ``max-pool``, ``avg-pool``, ``fc``, ``softmax``, ``op``. Activations,
  dropout, batch norm and flatten carry no node; the classifier (the last dense) is
  ``softmax``.
- ``"remap"`` — REMAP's own structure view: as ``"nasbot"``, but activations,
  dropout and batch norm are nodes, and pools carry their size (``max-pool2``).

Units are a conv's filters and a hidden dense's units, ``None`` for every other node.
The graph is a chain ``ip → layers → op``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from .layers import Architecture, Dense
from .shapes import layer_type

if TYPE_CHECKING:
    from distances import LayerGraph

__all__ = ["VOCABULARIES", "graph_labels", "to_layer_graph"]

Vocabulary = Literal["nasbot", "remap"]
VOCABULARIES: tuple[str, ...] = ("nasbot", "remap")

_Label = str | Callable[[object], str] | None

# layer type -> (NASBOT label, REMAP label); a callable reads the layer; None: no node.
_LABELS: dict[str, tuple[_Label, _Label]] = {
    "conv": (lambda layer: f"conv{layer.kernel}", lambda layer: f"conv{layer.kernel}"),
    "maxpool": ("max-pool", lambda layer: f"max-pool{layer.pool}"),
    "avgpool": ("avg-pool", lambda layer: f"avg-pool{layer.pool}"),
    "dense": ("fc", "fc"),
    "dropout": (None, "dropout"),
    "batchnorm": (None, "batchnorm"),
    "relu": (None, "relu"),
    "tanh": (None, "tanh"),
    "sigmoid": (None, "sigmoid"),
    "flatten": (None, None),
}
_UNITS: dict[str, str] = {"conv": "filters", "dense": "units"}


def graph_labels(
    arch: Architecture, vocabulary: Vocabulary = "nasbot"
) -> tuple[list[str], list[int | None]]:
    """The node labels and units of `arch`'s graph, ``ip`` first and ``op`` last."""
    try:
        column = VOCABULARIES.index(vocabulary)
    except ValueError:
        raise ValueError(
            f"unknown vocabulary {vocabulary!r}: use one of {', '.join(VOCABULARIES)}"
        ) from None
    labels: list[str] = ["ip"]
    units: list[int | None] = [None]
    last = len(arch.layers) - 1
    for i, layer in enumerate(arch.layers):
        kind = layer_type(layer)
        if i == last and isinstance(layer, Dense):
            labels.append("softmax")
            units.append(None)
            continue
        label = _LABELS[kind][column]
        if label is None:
            continue
        labels.append(label if isinstance(label, str) else label(layer))
        units.append(getattr(layer, _UNITS[kind]) if kind in _UNITS else None)
    labels.append("op")
    units.append(None)
    return labels, units


def to_layer_graph(arch: Architecture, vocabulary: Vocabulary = "nasbot") -> LayerGraph:
    """`arch` as a `distances.LayerGraph` (a chain) in the given vocabulary."""
    from distances import LayerGraph  # imported here: POT and scikit-learn load slowly

    labels, units = graph_labels(arch, vocabulary)
    edges = [[k, k + 1] for k in range(len(labels) - 1)]
    return LayerGraph(labels=labels, units=units, edges=edges)
