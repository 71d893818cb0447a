"""OTMANN distances between architectures for the strategies, with a cache.

Two uses, two vocabularies:

- ``"nasbot"`` (the GP's kernel, as NASBOT computes it): NASBOT's labels, so
  activations, dropout and batch norm carry no node; normalised (the OT cost over the
  two total masses, in [0, 1]-ish), ``struct_coef=0.1``;
- ``"remap"`` (where a proposal would land in the structure projection): exactly the
  distance the structure embedding uses (`nas_core.service.embedding`).

Pairs are keyed by the graphs (labels and units), not the models: two architectures
with the same graph (a change of dropout rate or activation under ``"nasbot"``) have
the same rows, so a candidate one such change from an observed model costs nothing,
and each distinct pair is solved once per cache. The cache holds only numbers derived
from its inputs: the answers are the same with or without it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from nas_core.arch import Architecture, graph_labels, to_layer_graph

__all__ = ["STRUCT_COEF", "DistanceCache"]

STRUCT_COEF = 0.1
ROWS = 4096
"""Rows of candidates' graphs kept (see `DistanceCache._rows`)."""

GraphKey = tuple[tuple[str, ...], tuple[int | None, ...]]


class DistanceCache:
    """Normalised OTMANN distances between architectures, cached by graph pair.

    Pairs asked for with ``keep=True`` (the observed models: the GP's matrix grows by
    one row a model) are stored in a dense matrix per vocabulary; others (a call's
    candidates) reuse every stored row of a graph the store already knows (a candidate
    with an observed model's graph), and their rows against the stored graphs are kept
    apart for the next calls (the `ROWS` last used)."""

    def __init__(self) -> None:
        self._graphs: dict[tuple[str, GraphKey], object] = {}
        self._index: dict[str, dict[GraphKey, int]] = {}
        self._store: dict[str, np.ndarray] = {}
        self._rows: dict[str, OrderedDict[GraphKey, np.ndarray]] = {}
        """Rows of graphs not kept (recent candidates) against the stored graphs, by
        store index (NaN: not known), the `ROWS` last used: the next step's candidates
        repeat many of the last's graphs."""
        self.derived: dict[object, object] = {}
        """Other numbers the strategies derive from the log and reuse across calls of
        one session (MetaQNN's Q table, by its replayed models); same answers without."""

    def __len__(self) -> int:
        return sum(len(ix) for ix in self._index.values())

    def key(self, arch: Architecture, vocabulary: str) -> GraphKey:
        labels, units = graph_labels(arch, vocabulary)
        key = (tuple(labels), tuple(units))
        if (vocabulary, key) not in self._graphs:
            self._graphs[vocabulary, key] = to_layer_graph(arch, vocabulary)
        return key

    def _stored(self, vocabulary: str, keys: list[GraphKey]) -> None:
        index = self._index.setdefault(vocabulary, {})
        new = [k for k in dict.fromkeys(keys) if k not in index]
        if not new:
            return
        for k in new:
            index[k] = len(index)
        old = self._store.get(vocabulary, np.zeros((0, 0)))
        n = len(index)
        if n > old.shape[0]:
            grown = np.full((max(n, 2 * old.shape[0], 64),) * 2, np.nan)
            grown[: old.shape[0], : old.shape[0]] = old
            np.fill_diagonal(grown, 0.0)
            self._store[vocabulary] = grown

    def matrix(
        self,
        a: Sequence[Architecture],
        b: Sequence[Architecture],
        vocabulary: str = "nasbot",
        *,
        keep: bool = False,
    ) -> np.ndarray:
        """The (len(a), len(b)) distances, solving only the graph pairs not known."""
        from distances import otmann_matrix  # POT loads slowly: only when needed

        keys_a = [self.key(x, vocabulary) for x in a]
        keys_b = [self.key(x, vocabulary) for x in b]
        ua = list(dict.fromkeys(keys_a))
        ub = list(dict.fromkeys(keys_b))
        small = np.full((len(ua), len(ub)), np.nan)
        index = self._index.get(vocabulary, {})
        store = self._store.get(vocabulary)
        ra = [(i, index[k]) for i, k in enumerate(ua) if k in index]
        rb = [(j, index[k]) for j, k in enumerate(ub) if k in index]
        if ra and rb and store is not None:
            ia, sa = map(list, zip(*ra, strict=True))
            jb, sb = map(list, zip(*rb, strict=True))
            small[np.ix_(ia, jb)] = store[np.ix_(sa, sb)]
        side = self._rows.setdefault(vocabulary, OrderedDict())
        stored_b = [(j, index[k]) for j, k in enumerate(ub) if k in index]
        if stored_b and side:
            jb, sb = (np.array(x) for x in zip(*stored_b, strict=True))
            for i, k in enumerate(ua):
                row = side.get(k)
                if row is not None and k not in index:
                    known = sb < len(row)
                    small[i, jb[known]] = row[sb[known]]
        pos_b = {k: j for j, k in enumerate(ub)}
        for i, k in enumerate(ua):
            if k in pos_b:
                small[i, pos_b[k]] = 0.0
        pos_a = {k: i for i, k in enumerate(ua)}
        mutual = [(i, pos_b[k]) for i, k in enumerate(ua) if k in pos_b]
        missing = np.isnan(small)
        by_cols: dict[tuple[int, ...], list[int]] = {}
        for i in np.flatnonzero(missing.any(axis=1)):
            by_cols.setdefault(tuple(np.flatnonzero(missing[i])), []).append(int(i))
        for cols, rows in sorted(by_cols.items(), key=lambda kv: -len(kv[1])):
            rows = [i for i in rows if np.isnan(small[i, list(cols)]).any()]
            if not rows:
                continue  # filled by symmetry meanwhile
            values = otmann_matrix(
                [self._graphs[vocabulary, ua[i]] for i in rows],
                [self._graphs[vocabulary, ub[j]] for j in cols],
                struct_coef=STRUCT_COEF,
                normalize=True,
                vocabulary=vocabulary,
            )
            small[np.ix_(rows, list(cols))] = values
            if mutual:  # d is symmetric: a pair (x, y) answers (y, x) where both sides hold them
                for r, i in enumerate(rows):
                    if ua[i] in pos_b:
                        for c, j in enumerate(cols):
                            if ub[j] in pos_a:
                                small[pos_a[ub[j]], pos_b[ua[i]]] = values[r, c]
        if stored_b and not keep:
            self._remember(vocabulary, ua, small, stored_b)
        if keep:
            self._stored(vocabulary, ua + ub)
            index, store = self._index[vocabulary], self._store[vocabulary]
            sa = [index[k] for k in ua]
            sb = [index[k] for k in ub]
            store[np.ix_(sa, sb)] = small
            store[np.ix_(sb, sa)] = small.T
        return small[np.ix_([pos_a[k] for k in keys_a], [pos_b[k] for k in keys_b])]

    def _remember(self, vocabulary: str, ua, small, cols) -> None:
        """Keep the rows of `ua`'s graphs that are not stored, against the stored."""
        index, side = self._index.get(vocabulary, {}), self._rows[vocabulary]
        jb, sb = (np.array(x) for x in zip(*cols, strict=True))
        for i, k in enumerate(ua):
            if k in index:
                continue
            row = side.pop(k, None)
            if row is None or len(row) < len(index):
                grown = np.full(len(index), np.nan)
                if row is not None:
                    grown[: len(row)] = row
                row = grown
            row[sb] = small[i, jb]
            side[k] = row
        while len(side) > ROWS:
            side.popitem(last=False)
