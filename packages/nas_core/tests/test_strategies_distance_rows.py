"""The distance cache's rows of candidates (graphs not kept): a later call with some of
the same candidates, against the same or a grown set of stored graphs, gives what a
fresh computation gives, and solves only what it did not know."""

from __future__ import annotations

import numpy as np

from nas_core.generators import load_search_space
from nas_core.strategies import DistanceCache, SearchSpec, propose
from nas_core.strategies import distance as dist

ARCHS = [
    p.arch
    for p in propose(
        SearchSpec("random", 11, 1), [], 0, 14, space=load_search_space(),
        input_shape=(1, 8, 8), num_classes=10,
    )
]  # fmt: skip


def test_candidate_rows_are_reused_and_agree_with_a_fresh_computation(monkeypatch) -> None:
    cache = DistanceCache()
    stored, later = ARCHS[:6], ARCHS[6:8]
    cands_1, cands_2 = ARCHS[8:12], ARCHS[10:14]  # two in common
    cache.matrix(stored, stored, keep=True)
    first = cache.matrix(cands_1, stored)
    assert np.allclose(first, DistanceCache().matrix(cands_1, stored))
    new = {cache.key(a, "nasbot") for a in cands_1} - {cache.key(a, "nasbot") for a in stored}
    assert len(cache._rows["nasbot"]) == len(new)  # kept apart: not stored graphs
    cache.matrix(stored + later, stored + later, keep=True)  # the observed grow
    import distances

    solved: list[int] = []
    real = distances.otmann_matrix

    def counting(a, b, **kw):
        solved.append(len(a) * len(b))
        return real(a, b, **kw)

    monkeypatch.setattr(distances, "otmann_matrix", counting)
    second = cache.matrix(cands_2, stored + later)
    work = sum(solved)
    assert np.allclose(second, DistanceCache().matrix(cands_2, stored + later))
    reused = sum(cache.key(a, "nasbot") in new for a in cands_2)
    assert reused
    assert work < len(cands_2) * 8
    monkeypatch.setattr(dist, "ROWS", 1)
    cache.matrix(cands_1, stored)
    assert len(cache._rows["nasbot"]) == 1  # bounded
