"""OTMANN distance matrices (Kandasamy et al. 2018), as NASBOT computes them, fast."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ._errors import DistancesError
from ._graph import N_PATH_FEATURES, Features, LayerGraph, features
from ._vocab import get_vocabulary

__all__ = ["REPLACE_COST_INF_WITH", "otmann_matrix", "prepare"]

REPLACE_COST_INF_WITH = 7.65432e5  # NASBOT: forbidden matches cost this in the OT problem
MAX_ITER = 100_000  # ot.emd's numItermax, as NASBOT calls it
_OPTIMAL = 1  # POT's ProblemType OPTIMAL


def otmann_matrix(
    a: Sequence[LayerGraph] | LayerGraph,
    b: Sequence[LayerGraph] | LayerGraph | None = None,
    *,
    struct_coef: float = 0.1,
    mislabel_coef: float = 1.0,
    non_assignment_penalty: float = 1.0,
    normalize: bool = False,
    vocabulary: str = "nasbot",
) -> np.ndarray:
    r"""OTMANN distances between the graphs of `a` and those of `b`: a (len(a), len(b)) array.

    ``b=None`` means ``b=a``: the symmetric matrix, each unordered pair solved once and
    a zero diagonal. A single `LayerGraph` counts as a list of one. `vocabulary` is
    ``"nasbot"`` (NASBOT's CNN labels, the default) or ``"remap"`` (below).

    The distance between networks :math:`G_1` (layers :math:`i`, masses :math:`m_i`,
    total :math:`T_1`) and :math:`G_2` (:math:`j`, :math:`m_j`, :math:`T_2`) is the
    optimal transport cost

    .. math::
        d = \min_{Z \ge 0} \langle Z, C \rangle
        \quad\text{s.t.}\quad Z\mathbf 1 = (m_1, T_2),\ Z^\top \mathbf 1 = (m_2, T_1)

    over the layers plus one dummy layer on each side, with

    - :math:`C_{ij} = \text{mislabel\_coef} \cdot M_{\ell(i)\ell(j)} +
      \text{struct\_coef} \cdot S_{ij}` between layers, where a forbidden match
      (:math:`M = \infty`) costs 7.65432e5 instead;
    - :math:`C = \text{non\_assignment\_penalty}` between a layer and the dummy layer,
      0 between the two dummies;
    - :math:`S_{ij}` the mean absolute difference of the 24 path lengths of `i` and `j`
      (from ``ip`` and to ``op``; shortest, longest and random-walk; counting all,
      conv, pool or fc layers);
    - :math:`M` the label mismatch costs, times ``non_assignment_penalty``.

    ``normalize=False`` returns :math:`d` (NASBOT's ``dist_type="lp"``),
    ``normalize=True`` returns :math:`d / (T_1 + T_2)` (``"emd"``). Both are what
    NASBOT's ``OTMANNDistanceComputer`` returns (kirthevasank/nasbot,
    ``nn/nn_comparators.py``), to 1e-9 relative.

    **Vocabulary "nasbot"** (the default; NASBOT's CNN labels, exact): ``ip``, ``op``,
    ``conv3/5/7``, ``res3/5/7``, ``max-pool``, ``avg-pool``, ``fc``, ``softmax``.

    =====================  ==========================================================
    labels                 mismatch cost (times ``non_assignment_penalty`` = ``p``)
    =====================  ==========================================================
    same label             0
    conv k1 – conv k2      :math:`r = \sqrt{2}/10 \cdot \sqrt{|k_1-k_2|}` (same for res–res)
    conv k1 – res k2       :math:`r` if :math:`r > p`, else :math:`0.9 r + 0.1 p`
    max-pool – avg-pool    0.5
    anything else          never (7.65432e5)
    =====================  ==========================================================

    Masses: a conv/res layer weighs (input channels × filters), an fc layer
    0.1 × (input channels × units), a pool its input channels; input channels are the
    sum of the parents' output channels, ``ip`` outputs 1. ``ip`` and ``op`` weigh
    ``max(0.1 × sum of those masses, 100)``, the softmax layers share that amount.

    **Vocabulary "remap"** (REMAP's structure view). NASBOT's labels cannot tell relu
    from tanh, a dropout from nothing, or a 2×2 pool from a 3×3 one; this vocabulary
    keeps those layers as nodes. On graphs that use only NASBOT's labels it gives
    exactly the "nasbot" distances. Labels and mismatch costs (times ``p``):

    ==========================================  ========================================
    labels                                      mismatch cost (times ``p``)
    ==========================================  ========================================
    ``conv<k>``, ``res<k>`` (any kernel size)   NASBOT's conv/res formulas above
    ``max-pool<s>`` – ``max-pool<t>``           :math:`0.25 |\log_2(s/t)|` (2↔3: 0.146,
                                                2↔4: 0.25, 2↔5: 0.330, 3↔5: 0.184);
                                                same for ``avg-pool``; a bare
                                                ``max-pool`` is ``max-pool2``
    ``max-pool<s>`` – ``avg-pool<t>``           :math:`0.5 + 0.25 |\log_2(s/t)|`
    ``tanh`` – ``sigmoid``                      0.1 (both saturating)
    ``relu`` – ``tanh`` or ``sigmoid``          0.25
    ``dropout``, ``batchnorm``                  0 with themselves, never with anything else
    ``ip``, ``op``, ``softmax``, ``fc``         as in "nasbot"
    anything else                               never (7.65432e5)
    ==========================================  ========================================

    Masses: conv, res, fc, pools, softmax, ``ip`` and ``op`` as in "nasbot".
    Activations, dropout and batch norm have no (or, for batch norm, very few)
    parameters, so they weigh only 0.1 × their input channels and pass their channels
    on: never more than the conv or fc layer that feeds them, yet enough that relu vs
    tanh, or a dropout vs none, moves the distance. Structural groups are NASBOT's:
    every conv/res size is in ``conv``, every pool kind and size in ``pool``, ``fc`` in
    ``fc``, and every node (activations, dropout and batch norm included) in ``all``,
    so the same layers fall in the same groups in every network.

    Speed: each graph's masses and path lengths are computed once (and cached on the
    graph), the cost matrices of a whole row are built in one vectorised step, ip, op
    and softmax layers are matched in closed form (they can only match their own kind,
    so the problem splits exactly), and POT's C network simplex solves the rest
    directly, without ``ot.emd``'s per-call checks.

    Raises `DistancesError` (a `ValueError`) naming the graph (``a[3]``, ``b[0]``) and
    the problem on an unknown label, an edge out of range, a cycle, no path from ip to
    op, a node off every ip→op path, missing or extra units, a layer after a softmax,
    or a negative or non-finite coefficient.
    """
    vocab = get_vocabulary(vocabulary)
    mc = _coefficient("mislabel_coef", mislabel_coef)
    sc = _coefficient("struct_coef", struct_coef)
    nap = _coefficient("non_assignment_penalty", non_assignment_penalty)
    graphs_a = _graph_list(a, "a")
    feats_a = [features(g, vocab, f"a[{k}]") for k, g in enumerate(graphs_a)]
    if b is None:
        feats_b, symmetric = feats_a, True
    else:
        graphs_b = _graph_list(b, "b")
        feats_b = [features(g, vocab, f"b[{k}]") for k, g in enumerate(graphs_b)]
        symmetric = False
    out = np.zeros((len(feats_a), len(feats_b)))
    if not feats_a or not feats_b:
        return out
    costs = _Costs(vocab.costs(nap), mc, sc, nap)
    # ip, op and softmax layers match only their own kind. While a forbidden match
    # costs more than leaving both ends unassigned (2 * nap), the transport problem
    # splits exactly into one problem per kind: ip, op and (one) softmax are solved in
    # closed form for all pairs at once, and the network simplex sees only the rest.
    split = 2 * nap <= REPLACE_COST_INF_WITH
    prepared = Prepared(feats_b, costs.dummy, split=split)
    for i, fa in enumerate(feats_a):
        start = i + 1 if symmetric else 0
        if start < len(feats_b):
            out[i, start:] = _row(fa, prepared, start, costs, split)
            if normalize:
                out[i, start:] /= fa.total + prepared.totals[start:]
    if symmetric:
        out += out.T
    return out


def _coefficient(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DistancesError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise DistancesError(f"{name} must be finite and >= 0, got {value!r}")
    return number


def _graph_list(graphs: Any, side: str) -> list[LayerGraph]:
    if isinstance(graphs, LayerGraph):
        return [graphs]
    if not isinstance(graphs, Iterable) or isinstance(graphs, str | bytes):
        raise DistancesError(f"{side} must be a list of LayerGraph, got {type(graphs).__name__}")
    out = list(graphs)
    for k, g in enumerate(out):
        if not isinstance(g, LayerGraph):
            raise DistancesError(f"graph {side}[{k}] is a {type(g).__name__}, not a LayerGraph")
    return out


class _Costs:
    """The label costs split for fast gathering (dummy label last), and the coefficients."""

    def __init__(self, labels: np.ndarray, mc: float, sc: float, nap: float) -> None:
        size = labels.shape[0]
        forbidden = np.zeros((size + 1, size + 1), dtype=bool)
        forbidden[:size, :size] = np.isinf(labels)
        finite = np.full((size + 1, size + 1), nap)
        finite[:size, :size] = np.where(forbidden[:size, :size], 0.0, labels) * mc
        finite[size, size] = 0.0
        self.finite = finite  # mislabel_coef * M, 0 where forbidden; dummy row/col: nap
        self.forbidden = forbidden  # where M is inf
        self.dummy = size
        self.struct = sc / N_PATH_FEATURES  # struct_coef times the mean over 24 lengths
        self.nap = nap


class _Layout:
    """Some nodes of many graphs laid end to end, each graph's followed by a dummy node.

    Built from rows (mass, label id, 24 path lengths), each graph's ending in its dummy.
    """

    def __init__(self, blocks: Sequence[np.ndarray], dummy: int) -> None:
        sizes = np.fromiter((len(b) for b in blocks), dtype=np.int64, count=len(blocks))
        offsets = np.zeros(len(blocks) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        rows = np.concatenate(blocks) if blocks else np.zeros((0, 2 + N_PATH_FEATURES))
        self.sizes, self.offsets, self.dummies = sizes, offsets, offsets[1:] - 1
        self.masses = np.ascontiguousarray(rows[:, 0])
        self.ids = rows[:, 1].astype(np.int64)
        self.ids[self.dummies] = dummy
        self.paths = np.ascontiguousarray(rows[:, 2:])
        self.totals = np.add.reduceat(self.masses, offsets[:-1]) if blocks else np.zeros(0)


class _Singles:
    """One node per graph (its ip, its op or its only softmax): its mass and path lengths."""

    def __init__(self, rows: np.ndarray) -> None:
        self.masses = np.ascontiguousarray(rows[:, 0])
        self.paths = np.ascontiguousarray(rows[:, 1:])


def _all_nodes(f: Features) -> np.ndarray:
    """Every node of `f` as layout rows (mass, label id, paths), then the dummy row."""
    rows = np.zeros((len(f.ids) + 1, 2 + N_PATH_FEATURES))
    rows[:-1, 0], rows[:-1, 1], rows[:-1, 2:] = f.masses, f.ids, f.paths
    return rows


class Prepared:
    """The graphs on the `b` side, laid out for `_row`."""

    def __init__(self, feats: Sequence[Features], dummy: int, *, split: bool) -> None:
        self.feats = feats
        self.totals = np.fromiter((f.total for f in feats), dtype=np.float64, count=len(feats))
        if not split:
            self.main = _Layout([_all_nodes(f) for f in feats], dummy)
            return
        self.main = _Layout([f.packed for f in feats], dummy)
        singles = np.stack([f.singles for f in feats])
        self.ips, self.ops, self.decision = (_Singles(singles[:, k]) for k in range(3))
        self.n_decisions = np.fromiter((len(f.decisions) for f in feats), np.int64, len(feats))
        self.decision_masses = np.fromiter((f.decision_mass for f in feats), float, len(feats))


def prepare(feats: Sequence[Features], dummy: int, *, split: bool = True) -> Prepared:
    """Lay out `feats` (the `b` side) for `_row`; `dummy` is the dummy label's id."""
    return Prepared(feats, dummy, split=split)


def _row(fa: Features, pb: Prepared, start: int, costs: _Costs, split: bool) -> np.ndarray:
    """Unnormalised distances from one graph to the graphs start.. of `pb`."""
    if not split:
        return _transport(fa, np.arange(len(fa.ids)), fa.total, pb.main, start, costs)
    out = _transport(fa, fa.rest, float(fa.masses[fa.rest].sum()), pb.main, start, costs)
    out += _single_pairs(fa.masses[fa.ip], fa.paths[fa.ip], pb.ips, start, costs)
    out += _single_pairs(fa.masses[fa.op], fa.paths[fa.op], pb.ops, start, costs)
    # softmax layers: none on one side, one against one, or a small problem of their own
    counts = pb.n_decisions[start:]
    mass = float(fa.masses[fa.decisions].sum())
    decisions = costs.nap * (mass + pb.decision_masses[start:])
    if len(fa.decisions) == 1:
        node = int(fa.decisions[0])
        one = counts == 1
        if one.any():
            both = _single_pairs(fa.masses[node], fa.paths[node], pb.decision, start, costs)
            decisions[one] = both[one]
    many = np.flatnonzero((counts >= 1) & ((counts >= 2) | (len(fa.decisions) >= 2)))
    for k in many.tolist() if len(fa.decisions) else ():
        fb = pb.feats[start + k]
        decisions[k] = _pair(fa, fa.decisions, fb, fb.decisions, costs)
    return out + decisions


def _single_pairs(
    mass: float, paths: np.ndarray, singles: _Singles, start: int, costs: _Costs
) -> np.ndarray:
    """Transport between one node of `a` and one node (same label) of each `b` graph.

    Matching the smaller mass costs c each, leaving it costs nap at both ends: the
    optimum is nap * (x + y) + min(c - 2 nap, 0) * min(x, y).
    """
    other = singles.masses[start:]
    struct = np.abs(singles.paths[start:] - paths).sum(axis=1) * costs.struct
    gain = np.minimum(struct - 2 * costs.nap, 0.0) * np.minimum(other, mass)
    return costs.nap * (other + mass) + gain


def _cost_matrix(
    fa: Features, nodes_a: np.ndarray, ids_b: np.ndarray, paths_b: np.ndarray,
    dummies: np.ndarray, costs: _Costs,
) -> np.ndarray:  # fmt: skip
    """Costs between `b` nodes (rows, dummies included) and `a`'s nodes then a dummy."""
    from scipy.spatial.distance import cdist

    na = len(nodes_a)
    ids_a = np.append(fa.ids[nodes_a], costs.dummy)
    cost = costs.finite[np.ix_(ids_b, ids_a)]
    if costs.struct:
        struct = cdist(paths_b, fa.paths[nodes_a], "cityblock")
        struct *= costs.struct
        cost[:, :na] += struct
    cost[costs.forbidden[np.ix_(ids_b, ids_a)]] = REPLACE_COST_INF_WITH
    cost[dummies, :na] = costs.nap
    cost[:, na] = costs.nap
    cost[dummies, na] = 0.0
    return cost


def _transport(
    fa: Features, nodes_a: np.ndarray, total_a: float, pb: _Layout, start: int, costs: _Costs
) -> np.ndarray:
    """The optimal transport cost between `nodes_a` of `fa` and each graph start.. of `pb`.

    Both sides get a dummy node that takes the other side's total mass at cost nap; the
    masses are normalised to sum 1 per pair (as NASBOT's opt_transport does) and the
    cost scaled back.
    """
    na = len(nodes_a)
    totals_b = pb.totals[start:]
    if na == 0:
        return costs.nap * totals_b
    lo = int(pb.offsets[start])
    dummies = pb.dummies[start:] - lo
    # Every pair's cost matrix at once, transposed: one block of rows per b graph.
    cost = _cost_matrix(fa, nodes_a, pb.ids[lo:], pb.paths[lo:], dummies, costs)
    totals = totals_b + total_a
    supply_b = pb.masses[lo:].copy()
    supply_b[dummies] = total_a
    supply_b /= np.repeat(totals, pb.sizes[start:])
    supply_a = np.empty((len(totals), na + 1))
    supply_a[:, :na] = fa.masses[nodes_a]
    supply_a[:, na] = totals_b
    supply_a /= totals[:, None]
    out = np.empty(len(totals))
    emd_c = _solver()
    bounds = (pb.offsets[start:] - lo).tolist()
    for k, size in enumerate(pb.sizes[start:].tolist()):
        if size == 1:  # nothing on b's side: everything of a's goes unassigned
            out[k] = costs.nap * total_a / totals[k]
            continue
        s, e = bounds[k], bounds[k + 1]
        result = emd_c(supply_b[s:e], supply_a[k], cost[s:e], MAX_ITER, 1)
        if result[4] != _OPTIMAL:
            result = _retry(supply_b[s:e], supply_a[k], cost[s:e], result[4])
        out[k] = result[1]
    out *= totals
    return out


def _pair(fa: Features, nodes_a: np.ndarray, fb: Features, nodes_b: np.ndarray, c: _Costs) -> float:
    """The transport cost between some nodes of two graphs (both non-empty), on its own."""
    cost = _cost_matrix(
        fa, nodes_a, np.append(fb.ids[nodes_b], c.dummy),
        np.vstack([fb.paths[nodes_b], np.zeros((1, N_PATH_FEATURES))]),
        np.array([len(nodes_b)]), c,
    )  # fmt: skip
    mass_a, mass_b = fa.masses[nodes_a], fb.masses[nodes_b]
    total_a, total_b = float(mass_a.sum()), float(mass_b.sum())
    total = total_a + total_b
    supply_b = np.append(mass_b, total_a) / total
    supply_a = np.append(mass_a, total_b) / total
    result = _solver()(supply_b, supply_a, cost, MAX_ITER, 1)
    if result[4] != _OPTIMAL:
        result = _retry(supply_b, supply_a, cost, result[4])
    return float(result[1]) * total


def _retry(a: np.ndarray, b: np.ndarray, cost: np.ndarray, code: int) -> tuple:
    result = _solver()(a, b, np.ascontiguousarray(cost), 100 * MAX_ITER, 1)
    if result[4] != _OPTIMAL:
        raise RuntimeError(f"POT's network simplex did not reach the optimum (code {code})")
    return result


_EMD_C: Any = None


def _solver() -> Any:
    """POT's C network simplex, without `ot.emd`'s Python-side checks (imported lazily)."""
    global _EMD_C
    if _EMD_C is None:
        from ot.lp.emd_wrap import emd_c

        _EMD_C = emd_c
    return _EMD_C
