"""OTMANN the straightforward way: one pair at a time, through `ot.emd`.

The same maths as `otmann_matrix` written as NASBOT writes it (``evaluate_single``
and ``get_ot_cost_matrix`` of ``nn/nn_comparators.py``, ``opt_transport`` of
``utils/oper_utils.py``), on the same per-graph features. Kept as a plain oracle for
the tests and as the baseline of ``benchmarks/test_distances.py``; not public API.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._graph import LayerGraph, features
from ._otmann import REPLACE_COST_INF_WITH, _coefficient, _graph_list
from ._vocab import get_vocabulary

__all__ = ["otmann_matrix_reference", "otmann_pair_reference"]


def otmann_pair_reference(
    x1: LayerGraph,
    x2: LayerGraph,
    *,
    struct_coef: float = 0.1,
    mislabel_coef: float = 1.0,
    non_assignment_penalty: float = 1.0,
    normalize: bool = False,
    vocabulary: str = "nasbot",
) -> float:
    """The OTMANN distance between two graphs, computed on its own."""
    import ot

    vocab = get_vocabulary(vocabulary)
    nap = _coefficient("non_assignment_penalty", non_assignment_penalty)
    f1, f2 = features(x1, vocab, "x1"), features(x2, vocab, "x2")
    labels = vocab.costs(nap)
    mislabel = labels[np.ix_(f1.ids, f2.ids)]
    bkwd = np.abs(f1.paths[:, None, :12] - f2.paths[None, :, :12]).mean(axis=2)
    fwd = np.abs(f1.paths[:, None, 12:] - f2.paths[None, :, 12:]).mean(axis=2)
    struct = (bkwd + fwd) / 2
    with np.errstate(invalid="ignore"):  # 0 * inf, replaced below as NASBOT does
        cost = mislabel_coef * mislabel + struct_coef * struct
    row = nap * np.ones((1, cost.shape[1]))
    col = nap * np.ones((cost.shape[0] + 1, 1))
    col[-1] = 0.0
    cost = np.hstack((np.vstack((cost, row)), col))
    cost[~np.isfinite(cost)] = REPLACE_COST_INF_WITH
    supplies = np.append(f1.masses, f2.total)
    demands = np.append(f2.masses, f1.total)
    total = supplies.sum()
    plan = ot.emd(supplies / total, demands / demands.sum(), cost)
    lp = float(np.sum(total * plan * cost))
    return lp / total if normalize else lp


def otmann_matrix_reference(
    a: Sequence[LayerGraph],
    b: Sequence[LayerGraph] | None = None,
    **options: object,
) -> np.ndarray:
    """`otmann_matrix` pair by pair (b=None: each unordered pair once, mirrored)."""
    xs = _graph_list(a, "a")
    ys = xs if b is None else _graph_list(b, "b")
    out = np.zeros((len(xs), len(ys)))
    for i, x in enumerate(xs):
        for j in range(i + 1 if b is None else 0, len(ys)):
            out[i, j] = otmann_pair_reference(x, ys[j], **options)  # type: ignore[arg-type]
            if b is None:
                out[j, i] = out[i, j]
    return out
