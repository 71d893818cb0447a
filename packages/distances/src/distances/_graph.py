"""`LayerGraph`, and the per-graph quantities OTMANN needs (computed once, cached).

For one graph and one vocabulary, `features` gives what NASBOT's ``NeuralNetwork``
computes when it is built (``nn/neural_network.py``):

- the label id of every node;
- the layer masses (``compute_layer_masses``): input channels are the sum of the
  parents' output channels (the input layer outputs 1); a conv layer weighs
  ``in * units``, an fc layer ``0.1 * in * units``, a pool ``in``; ``ip`` and ``op``
  weigh ``max(0.1 * total, 100)`` where ``total`` is the sum of those masses, and the
  softmax layers share that same amount; REMAP's activations, dropout and batch norm
  (vocabulary "remap") weigh ``0.1 * in`` and pass their channels on;
- 24 path lengths per node: from ``ip`` back to the node and from the node forward to
  ``op``, each as the shortest, the longest and the random-walk (mean over children or
  parents) path, counting only the nodes of one group — all, conv, pool, fc — where a
  path counts the node itself and every node after it up to, but not including, ``op``
  (forward), or the node and every node before it down to, but not including, ``ip``
  (backward). These are NASBOT's ``compute_nn_path_lengths`` on the edge weights of
  ``get_layer_or_group_edge_weights_from_edge_weights``.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ._errors import DistancesError
from ._vocab import Vocabulary

__all__ = ["Features", "LayerGraph", "features"]

_NON_PROC_MASS_FRAC = 0.1  # NASBOT's _NON_PROC_LAYERY_MASS_FRAC
_NON_PROC_MASS_MIN = 100  # NASBOT: max(0.1 * total, 100)
_FC_MASS_COEF = 0.1  # NASBOT's _FC_LAYER_MASS_COEFF
# REMAP's activations, dropout and batch norm: a tenth of their input channels, so that
# they never outweigh the conv or fc layer that feeds them (see `otmann_matrix`).
_ELEMENTWISE_MASS_COEF = 0.1
N_PATH_FEATURES = 24  # (backward, forward) × 4 groups × (shortest, longest, rw)


@dataclass(frozen=True, slots=True)
class LayerGraph:
    """A network as a directed acyclic graph of labelled layers.

    ``LayerGraph(labels=["ip", "conv3", "max-pool", "fc", "softmax", "op"],
    units=[None, 32, None, 128, None, None], edges=[[0, 1], [1, 2], [2, 3], [3, 4],
    [4, 5]])``. Lists, tuples or any iterables are accepted and stored as tuples.

    - ``labels``: one per node, from the vocabulary used (see `otmann_matrix`); exactly
      one ``ip`` and one ``op``.
    - ``units``: one per node: the filters of a conv/res layer and the units of an fc
      layer (positive integers), ``None`` for every other node.
    - ``edges``: ``[from, to]`` node index pairs; duplicates count once. Every node
      must lie on a path from ``ip`` to ``op`` and the graph must have no cycle.

    Construction checks only the shapes and types; what depends on the vocabulary
    (labels, units, edges, paths) is checked by `otmann_matrix`, whose errors name the
    graph. Graphs are immutable and hashable; each caches its OTMANN features per
    vocabulary, so computing many rows against the same graphs prepares them once.
    """

    labels: tuple[str, ...]
    units: tuple[int | None, ...]
    edges: tuple[tuple[int, int], ...]
    _cache: dict[str, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __init__(
        self,
        labels: Iterable[str],
        units: Iterable[int | None],
        edges: Iterable[Iterable[int]],
    ) -> None:
        set_ = object.__setattr__
        set_(self, "labels", _labels(labels))
        set_(self, "units", _units(units))
        set_(self, "edges", _edges(edges))
        set_(self, "_cache", {})
        if len(self.units) != len(self.labels):
            raise DistancesError(
                f"LayerGraph: {len(self.labels)} labels but {len(self.units)} units: "
                "give one unit count (or None) per label"
            )

    @classmethod
    def chain(cls, labels: Iterable[str], units: Iterable[int | None]) -> LayerGraph:
        """A sequential network: node k feeds node k + 1."""
        labels = _labels(labels)
        return cls(labels, units, [(k, k + 1) for k in range(len(labels) - 1)])

    def __len__(self) -> int:
        return len(self.labels)


def _labels(labels: Iterable[str]) -> tuple[str, ...]:
    if isinstance(labels, str):
        raise DistancesError("LayerGraph: labels must be a sequence of strings, not a string")
    out = tuple(labels)
    for k, label in enumerate(out):
        if not isinstance(label, str):
            raise DistancesError(f"LayerGraph: labels[{k}] is {label!r}, not a string")
    return out


def _units(units: Iterable[int | None]) -> tuple[int | None, ...]:
    out: list[int | None] = []
    for k, unit in enumerate(units):
        if unit is None:
            out.append(None)
            continue
        try:
            if isinstance(unit, bool):
                raise TypeError
            out.append(operator.index(unit))
        except TypeError:
            raise DistancesError(
                f"LayerGraph: units[{k}] is {unit!r}: use an integer or None"
            ) from None
    return tuple(out)


def _edges(edges: Iterable[Iterable[int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for k, edge in enumerate(edges):
        try:
            pair = tuple(operator.index(v) for v in edge if not isinstance(v, bool))
            if len(pair) != 2 or len(pair) != len(tuple(edge)):
                raise TypeError
        except TypeError:
            raise DistancesError(
                f"LayerGraph: edges[{k}] is {edge!r}: use a pair of node indices [from, to]"
            ) from None
        out.append((pair[0], pair[1]))
    return tuple(out)


class Features(NamedTuple):
    """One graph's OTMANN inputs in one vocabulary (node order as given)."""

    ids: np.ndarray  # (n,) int64 label ids
    masses: np.ndarray  # (n,) float64
    total: float  # masses.sum()
    paths: np.ndarray  # (n, 24) float64: backward 12 then forward 12, groups × types
    ip: int  # the ip node
    op: int  # the op node
    decisions: np.ndarray  # the softmax nodes
    rest: np.ndarray  # every other node
    # Laid out for stacking many graphs at once (see `_otmann.Prepared`):
    packed: np.ndarray  # (len(rest) + 1, 26): mass, label id, 24 paths; a zero dummy row
    singles: np.ndarray  # (3, 25): mass and paths of ip, op, the softmax (0 unless one)
    decision_mass: float  # the softmax nodes' total mass


def features(graph: LayerGraph, vocab: Vocabulary, where: str) -> Features:
    """`graph`'s features in `vocab`, cached on the graph; errors name it as `where`."""
    cached = graph._cache.get(vocab.name)
    if cached is None:
        try:
            cached = _compute(graph, vocab)
        except _Problem as problem:
            raise DistancesError(f"graph {where}: {problem}") from None
        graph._cache[vocab.name] = cached
    return cached


class _Problem(Exception):
    pass


def _name(graph: LayerGraph, node: int) -> str:
    return f"node {node} ({graph.labels[node]!r})"


def _compute(graph: LayerGraph, vocab: Vocabulary) -> Features:
    labels, n = graph.labels, len(graph.labels)
    ids = []
    for node, label in enumerate(labels):
        label_id = vocab.lookup(label)
        if label_id is None:
            raise _Problem(
                f"node {node} has unknown label {label!r} for vocabulary {vocab.name!r} "
                f"(it knows {vocab.known})"
            )
        ids.append(label_id)
    infos = [vocab.info(i) for i in ids]
    kinds = [info.kind for info in infos]
    for end in ("ip", "op"):
        found = [k for k, kind in enumerate(kinds) if kind == end]
        if len(found) != 1:
            raise _Problem(
                f"has {len(found) or 'no'} {end!r} node{'s' if len(found) > 1 else ''}"
                + (f" ({', '.join(map(str, found))})" if found else "")
                + "; it needs exactly one"
            )
    ip, op = kinds.index("ip"), kinds.index("op")

    children: list[list[int]] = [[] for _ in range(n)]
    parents: list[list[int]] = [[] for _ in range(n)]
    for k, (i, j) in enumerate(graph.edges):
        if not (0 <= i < n and 0 <= j < n):
            raise _Problem(f"edge {k} ({i}, {j}) is out of range: the graph has {n} nodes")
        if j not in children[i]:
            children[i].append(j)
            parents[j].append(i)

    order = _topological_order(children, parents, n)
    if len(order) < n:
        stuck = sorted(set(range(n)) - set(order))
        raise _Problem(f"has a cycle: nodes {', '.join(map(str, stuck[:8]))} lie on or after one")
    reach = _reachable(children, ip)
    if op not in reach:
        raise _Problem(f"has no path from ip (node {ip}) to op (node {op})")
    back = _reachable(parents, op)
    for node in order:
        if node not in reach or node not in back:
            side = "ip cannot reach it" if node not in reach else "it cannot reach op"
            raise _Problem(f"{_name(graph, node)} is not on a path from ip to op: {side}")

    for node, (kind, unit) in enumerate(zip(kinds, graph.units, strict=True)):
        if kind in ("conv", "fc"):
            if unit is None or unit <= 0:
                raise _Problem(f"{_name(graph, node)} needs a positive number of units, got {unit}")
        elif unit is not None:
            raise _Problem(f"{_name(graph, node)} has no units: give None, not {unit}")
        if kind == "decision":
            for child in children[node]:
                if child != op:
                    raise _Problem(
                        f"{_name(graph, child)} follows the softmax node {node}: "
                        "only op may follow a softmax"
                    )

    masses = _masses(kinds, graph.units, parents, order, n)
    paths = _paths(infos, children, parents, order, n)
    decisions = [k for k, kind in enumerate(kinds) if kind == "decision"]
    rest = [k for k, kind in enumerate(kinds) if kind not in ("ip", "op", "decision")]
    ids_arr = np.asarray(ids, dtype=np.int64)
    rest_arr = np.asarray(rest, dtype=np.int64)
    packed = np.zeros((len(rest) + 1, 2 + N_PATH_FEATURES))
    packed[:-1, 0] = masses[rest_arr]
    packed[:-1, 1] = ids_arr[rest_arr]
    packed[:-1, 2:] = paths[rest_arr]
    singles = np.zeros((3, 1 + N_PATH_FEATURES))
    for row, node in enumerate((ip, op, decisions[0] if len(decisions) == 1 else None)):
        if node is not None:
            singles[row, 0] = masses[node]
            singles[row, 1:] = paths[node]
    return Features(
        ids_arr,
        masses,
        float(masses.sum()),
        paths,
        ip,
        op,
        np.asarray(decisions, dtype=np.int64),
        rest_arr,
        packed,
        singles,
        float(masses[decisions].sum()) if decisions else 0.0,
    )


def _topological_order(children: list[list[int]], parents: list[list[int]], n: int) -> list[int]:
    """Kahn's algorithm, starting from every node without parents in index order."""
    waiting = [len(p) for p in parents]
    order = [k for k in range(n) if waiting[k] == 0]
    for node in order:  # `order` grows while we walk it
        for child in children[node]:
            waiting[child] -= 1
            if waiting[child] == 0:
                order.append(child)
    return order


def _reachable(neighbours: list[list[int]], start: int) -> set[int]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in neighbours[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _masses(
    kinds: list[str],
    units: tuple[int | None, ...],
    parents: list[list[int]],
    order: list[int],
    n: int,
) -> np.ndarray:
    """NASBOT's compute_num_channels_at_each_layer + compute_layer_masses."""
    masses = np.zeros(n)
    out: list[int] = [0] * n
    decisions = []
    for node in order:
        kind = kinds[node]
        if kind == "ip":
            out[node] = 1
            continue
        if kind == "op":
            continue
        if kind == "decision":
            decisions.append(node)
            continue
        channels = sum(out[p] for p in parents[node])
        if kind == "through":
            masses[node] = channels
            out[node] = channels
        elif kind == "elementwise":
            masses[node] = _ELEMENTWISE_MASS_COEF * channels
            out[node] = channels
        else:
            unit = units[node]
            assert unit is not None
            masses[node] = channels * unit
            if kind == "fc":
                masses[node] *= _FC_MASS_COEF
            out[node] = unit
    non_proc = max(_NON_PROC_MASS_FRAC * masses.sum(), _NON_PROC_MASS_MIN)
    if decisions:
        masses[decisions] = non_proc / float(len(decisions))
    masses[[k for k in range(n) if kinds[k] in ("ip", "op")]] = non_proc
    return masses


def _paths(
    infos: list,
    children: list[list[int]],
    parents: list[list[int]],
    order: list[int],
    n: int,
) -> np.ndarray:
    """(n, 24): for backward then forward, for each group, shortest, longest, rw."""
    weights = [(1.0, *(1.0 if g else 0.0 for g in info.groups)) for info in infos]
    out = np.empty((n, N_PATH_FEATURES))
    for column, (sequence, links) in enumerate(((order, parents), (order[::-1], children))):
        short: list[tuple[float, ...]] = [()] * n
        long: list[tuple[float, ...]] = [()] * n
        walk: list[tuple[float, ...]] = [()] * n
        for node in sequence:
            near = links[node]
            if not near:  # ip going backward, op going forward
                short[node] = long[node] = walk[node] = (0.0, 0.0, 0.0, 0.0)
                continue
            w = weights[node]
            s, lo, rw = [], [], []
            for g in range(4):
                steps = [short[m][g] + w[g] for m in near]
                s.append(min(steps))
                lo.append(max(long[m][g] + w[g] for m in near))
                rw.append(sum(walk[m][g] + w[g] for m in near) / float(len(near)))
            short[node], long[node], walk[node] = tuple(s), tuple(lo), tuple(rw)
        block = np.array([[v for g in range(4) for v in (short[k][g], long[k][g], walk[k][g])]
                          for k in range(n)])  # fmt: skip
        out[:, 12 * column : 12 * column + 12] = block
    return out
