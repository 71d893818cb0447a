"""The search-space scatter: distances between subgraphs, their layout, and where a
new subgraph falls in it (pure numpy).

Distance ``"ged-labelled"`` (ONESHOT.md §4.8): a graph edit distance between subgraphs
whose nodes are the active blocks' *components*, labelled by type and parameters (so
conv 3 / 5 / 7 differ, conv 3 and conv 5 less than conv 3 and conv 7); edges chain a
block's components and join the last component of every active block of a layer to the
first of every active block of the next. Exact GED is exponential; this is the cost of
one explicit edit path (so an upper bound of it): within a layer, active blocks are
matched to minimise the summed block costs (brute force, layers hold few blocks), the
components of matched blocks aligned by the cheapest order-keeping alignment (nodes and
edges counted, chain ends tied where edges attach); a substituted node costs the
relative difference of its parameters (0 when equal, 1 for another type), a deleted or
inserted node or edge 1. Nodes never map across layers, which is where exact GED can be
cheaper (checked against networkx on tiny spaces in the tests). The older
``"ged-identity"`` distance (nodes = block ids, unlabelled) stays for the scatters
recorded with it.

Layout ``"smacof"``: metric MDS by stress majorisation from the classical (Torgerson)
layout plus a seeded jitter of 1e-3 of its spread. Classical MDS alone collapses
symmetric spaces: the 18 single-path LeNet subgraphs span several equal eigenvalues,
and two dimensions kept of them put several subgraphs on the same spot; at a local
minimum of stress, points at a positive distance never coincide (de Leeuw 1984), and
the jitter breaks the symmetric saddle where classical MDS starts. New subgraphs are
placed by Gower's out-of-sample formula from the recorded positions and distances only,
so placing never moves the recorded points and replays need no refit:
``y = -½ (XᵀX)⁻¹ Xᵀ (d² - a)``, ``a`` the mean squared distance of each sample point to
the sample.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from functools import lru_cache

import msgspec
import numpy as np

from .space import block_layers
from .types import Mask, Region, SuperArchitecture

__all__ = [
    "DISTANCES",
    "Placer",
    "classical_mds",
    "component_cost",
    "condensed",
    "ged_identity",
    "ged_labelled",
    "in_region",
    "smacof",
    "square",
]


def _graph(mask: Mask, where: dict[str, int]) -> tuple[set[str], set[tuple[str, str]]]:
    nodes = set(mask)
    by_layer: dict[int, list[str]] = {}
    for b in mask:
        by_layer.setdefault(where[b], []).append(b)
    edges = set()
    for i in sorted(by_layer):
        for a in by_layer[i]:
            for b in by_layer.get(i + 1, ()):
                edges.add((a, b))
    return nodes, edges


def ged_identity(sa: SuperArchitecture, masks: Sequence[Mask]) -> np.ndarray:
    """The (n, n) matrix of identity-correspondence edit distances (block ids as
    unlabelled nodes; kept for scatters recorded as ``"ged-identity"``)."""
    where = block_layers(sa)
    graphs = [_graph(m, where) for m in masks]
    n = len(masks)
    d = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            (na, ea), (nb, eb) = graphs[i], graphs[j]
            d[i, j] = d[j, i] = len(na ^ nb) + len(ea ^ eb)
    return d


# --- the labelled distance -------------------------------------------------------------

Label = tuple[tuple[str, object], ...]  # a component as sorted (field, value) pairs


def _label(component) -> Label:
    return tuple(sorted(msgspec.to_builtins(component).items()))


def component_cost(a: Label, b: Label) -> float:
    """Substituting component `a` by `b`: 0 when equal, 1 for another type, else the
    largest relative difference of a parameter (``|p - q| / max(|p|, |q|)``; 1 for a
    non-numeric one that differs)."""
    if a == b:
        return 0.0
    da, db = dict(a), dict(b)
    if da.get("type") != db.get("type"):
        return 1.0
    worst = 0.0
    for key in da.keys() | db.keys():
        p, q = da.get(key), db.get(key)
        if p == q:
            continue
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (p, q))
        worst = max(worst, abs(p - q) / max(abs(p), abs(q)) if numeric else 1.0)
    return min(worst, 1.0)


@lru_cache(maxsize=4096)
def _align(
    a: tuple[Label, ...], b: tuple[Label, ...], head: bool, tail: bool
) -> tuple[float, tuple]:
    """The cheapest order-keeping alignment of two component chains, counting nodes and
    edges, with the chains' ends tied to each other where an edge from the layer before
    (`head`) or to the layer after (`tail`) attaches: (its cost, matched index pairs).
    Exact for chains; short chains make the O(n²m²) search cheap."""
    n, m = len(a), len(b)
    inf = float("inf")

    def sub(i: int, j: int) -> float:  # augmented indices: 0 and n+1 / m+1 are the ends
        if (i in (0, n + 1)) or (j in (0, m + 1)):
            return 0.0 if (i == 0) == (j == 0) and (i == n + 1) == (j == m + 1) else inf
        return component_cost(a[i - 1], b[j - 1])

    f = {(0, 0): 0.0}
    back: dict[tuple[int, int], tuple[int, int]] = {}
    for i in range(1, n + 2):
        for j in range(1, m + 2):
            here = sub(i, j)
            if here == inf:
                continue
            best, arg = inf, None
            for (p, q), before in f.items():
                if p < i and q < j:
                    kept = 2.0 if (p, q) == (i - 1, j - 1) else 0.0
                    if (p == 0 and not head) or (i == n + 1 and not tail):
                        kept = 0.0  # no edge there (the first or the last layer)
                    c = before + (i - p - 1) + (j - q - 1) - kept
                    if c < best - 1e-12:
                        best, arg = c, (p, q)
            if arg is not None:
                f[(i, j)], back[(i, j)] = best + here, arg
    pairs, at = [], (n + 1, m + 1)
    while at != (0, 0):
        at = back[at]
        if at != (0, 0):
            pairs.append((at[0] - 1, at[1] - 1))
    edges = (n - 1) + (m - 1) + 2 * (head + tail)
    return f[(n + 1, m + 1)] + edges, tuple(reversed(pairs))


class _Labelled:
    """The labelled distance of one super-architecture (caches per layer matchings)."""

    def __init__(self, sa: SuperArchitecture) -> None:
        self.where = block_layers(sa)
        self.chain = {
            b.id: tuple(_label(c) for c in b.components) for L in sa.layers for b in L.blocks
        }
        self.layers = len(sa.layers)
        self._match: dict[tuple, tuple] = {}

    def _layers(self, mask: Mask) -> list[tuple[str, ...]]:
        out: list[list[str]] = [[] for _ in range(self.layers)]
        for b in mask:
            out[self.where[b]].append(b)
        return [tuple(x) for x in out]

    def _pair(self, a: str, b: str) -> tuple[float, tuple]:
        i = self.where[a]
        return _align(self.chain[a], self.chain[b], i > 0, i < self.layers - 1)

    def _matching(self, xs: tuple[str, ...], ys: tuple[str, ...]) -> tuple:
        """The block matching of one layer with the least cost (matched blocks' chain
        costs, an unmatched block's nodes and edges): (pairs, cost)."""
        key = (xs, ys)
        if key not in self._match:
            best: tuple = ((), float("inf"))
            small, large, flip = (xs, ys, False) if len(xs) <= len(ys) else (ys, xs, True)
            for chosen in itertools.permutations(large, len(small)):
                pairs = [(b, a) if flip else (a, b) for a, b in zip(small, chosen, strict=True)]
                cost = sum(self._pair(a, b)[0] for a, b in pairs)
                matched = {a for a, _ in pairs} | {b for _, b in pairs}
                cost += sum(2 * len(self.chain[c]) for c in (*xs, *ys) if c not in matched)
                if cost < best[1] - 1e-12:
                    best = (tuple(pairs), cost)
            self._match[key] = best
        return self._match[key]

    @staticmethod
    def _edges(layers: list[tuple[str, ...]], chain) -> set[tuple]:
        """Edges between component nodes named (block, index)."""
        edges = set()
        for i, blocks in enumerate(layers):
            for b in blocks:
                edges.update(((b, k), (b, k + 1)) for k in range(len(chain[b]) - 1))
                for c in layers[i + 1] if i + 1 < len(layers) else ():
                    edges.add(((b, len(chain[b]) - 1), (c, 0)))
        return edges

    def distance(self, m: Mask, n: Mask) -> float:
        if tuple(m) == tuple(n):
            return 0.0
        lm, ln = self._layers(m), self._layers(n)
        node_cost, phi = 0.0, {}
        for xs, ys in zip(lm, ln, strict=True):
            for a, b in self._matching(xs, ys)[0]:
                for i, j in self._pair(a, b)[1]:
                    phi[(a, i)] = (b, j)
                    node_cost += component_cost(self.chain[a][i], self.chain[b][j])
        deleted = sum(len(self.chain[b]) for L in lm for b in L) - len(phi)
        inserted = sum(len(self.chain[b]) for L in ln for b in L) - len(phi)
        node_cost += deleted + inserted
        ea, eb = self._edges(lm, self.chain), self._edges(ln, self.chain)
        kept = sum(1 for u, v in ea if u in phi and v in phi and (phi[u], phi[v]) in eb)
        return node_cost + len(ea) + len(eb) - 2 * kept


def ged_labelled(sa: SuperArchitecture, masks: Sequence[Mask]) -> np.ndarray:
    """The (n, n) matrix of labelled edit distances (see the module)."""
    metric = _Labelled(sa)
    n = len(masks)
    d = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            d[i, j] = d[j, i] = metric.distance(tuple(masks[i]), tuple(masks[j]))
    return d


def _row_identity(sa: SuperArchitecture, masks: Sequence[Mask], mask: Mask) -> np.ndarray:
    return ged_identity(sa, [*masks, tuple(mask)])[-1, :-1]


def _row_labelled(sa: SuperArchitecture, masks: Sequence[Mask], mask: Mask) -> np.ndarray:
    metric = _Labelled(sa)
    return np.array([metric.distance(tuple(m), tuple(mask)) for m in masks])


DISTANCES: dict[str, tuple[Callable, Callable]] = {
    "ged-labelled": (ged_labelled, _row_labelled),
    "ged-identity": (ged_identity, _row_identity),
}
"""Distance kind (as recorded) -> (matrix of masks, one mask's row against masks)."""


def condensed(d: np.ndarray) -> np.ndarray:
    """The upper triangle of a square matrix, row by row (n(n-1)/2 values)."""
    return d[np.triu_indices(len(d), k=1)]


def square(values: Sequence[float], n: int) -> np.ndarray:
    """The square matrix of a condensed one."""
    d = np.zeros((n, n))
    d[np.triu_indices(n, k=1)] = values
    return d + d.T


def classical_mds(d: np.ndarray, dims: int = 2) -> np.ndarray:
    """Classical (Torgerson) MDS; each axis's sign fixed so that its largest |value| is
    positive (the layout is then unique up to ties of eigenvalues)."""
    n = len(d)
    j = np.eye(n) - 1.0 / n
    b = -0.5 * j @ (d**2) @ j
    w, v = np.linalg.eigh(b)
    top = np.argsort(w)[::-1][:dims]
    x = v[:, top] * np.sqrt(np.maximum(w[top], 0.0))
    for k in range(x.shape[1]):
        if x[np.argmax(np.abs(x[:, k])), k] < 0:
            x[:, k] = -x[:, k]
    return x


def smacof(
    d: np.ndarray, seed: int, dims: int = 2, iterations: int = 500, tol: float = 1e-9
) -> np.ndarray:
    """Metric MDS by stress majorisation (Guttman transforms) from the classical layout
    plus a seeded jitter (see the module); then rotated to its principal axes, signs as
    `classical_mds` fixes them. Deterministic for a given `d` and `seed`."""
    n = len(d)
    x = classical_mds(d, dims)
    if n < 3:
        return x
    rng = np.random.Generator(np.random.PCG64(seed))
    spread = float(np.abs(x).max()) or 1.0
    x = x + 1e-3 * spread * rng.standard_normal(x.shape)
    x -= x.mean(axis=0)
    off = ~np.eye(n, dtype=bool)
    before = np.inf
    for _ in range(iterations):
        delta = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
        stress = float(((delta - d)[off] ** 2).sum()) / 2
        if before - stress < tol * max(before, 1e-300):
            break
        before = stress
        with np.errstate(divide="ignore", invalid="ignore"):
            b = np.where(delta > 0, -d / delta, 0.0)
        b[~off] = 0.0
        b[~off] = -b.sum(axis=1)
        x = b @ x / n
    x -= x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    x = x @ vt.T
    for k in range(x.shape[1]):
        if x[np.argmax(np.abs(x[:, k])), k] < 0:
            x[:, k] = -x[:, k]
    return x


class Placer:
    """Places new masks into a recorded layout (Gower's formula, see the module)."""

    def __init__(
        self,
        sa: SuperArchitecture,
        masks: Sequence[Mask],
        positions,
        distances: np.ndarray,
        kind: str = "ged-labelled",
    ) -> None:
        self.sa = sa
        self.row = DISTANCES[kind][1]
        self.masks = list(masks)
        self.x = np.asarray(positions, dtype=np.float64)
        self.a = (distances**2).mean(axis=1)
        gram = self.x.T @ self.x
        self.inv = np.linalg.pinv(gram)
        self.index = {tuple(m): i for i, m in enumerate(self.masks)}

    def place(self, mask: Mask) -> tuple[float, float]:
        i = self.index.get(tuple(mask))
        if i is not None:
            return float(self.x[i, 0]), float(self.x[i, 1])
        d = self.row(self.sa, self.masks, tuple(mask))
        y = -0.5 * self.inv @ self.x.T @ (d**2 - self.a)
        return float(y[0]), float(y[1])


def in_region(region: Region, point: Sequence[float]) -> bool:
    """Whether `point` lies in the rectangle (two corners) or polygon (even-odd rule)."""
    x, y = float(point[0]), float(point[1])
    if region.shape == "rect":
        (x0, y0), (x1, y1) = region.points[0], region.points[1]
        return min(x0, x1) <= x <= max(x0, x1) and min(y0, y1) <= y <= max(y0, y1)
    inside = False
    pts = region.points
    for k in range(len(pts)):
        (xa, ya), (xb, yb) = pts[k], pts[(k + 1) % len(pts)]
        if (ya > y) != (yb > y) and x < (xb - xa) * (y - ya) / (yb - ya) + xa:
            inside = not inside
    return inside
