"""Checking a proposal against a search's constraints.

Parameter cap and layer kinds are read off the architecture. The region of the
structure projection is harder: a model gets its position only once it is trained and
embedded. A new architecture is therefore checked at an **estimate** of its position:
the mean of the positions of its `NEIGHBOURS` (3) nearest embedded models, weighted by
1 / distance (a neighbour at distance 0 gives its own position), by the OTMANN
distance the structure projection itself uses (``"remap"`` vocabulary, normalised).
Out-of-sample MDS places a new model near the models it is closest to, so the estimate
lands where the model will, up to the projection's own error; a search that must stay
in a region proposes only what is estimated inside it. With no embedded model there
is nothing to estimate from, and no proposal can be checked: none is made. A
"continue" proposal trains a model that has a position: that position is checked.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nas_core.arch import Architecture, count_params, layer_type

from .distance import DistanceCache
from .types import Constraints, Observed

__all__ = ["NEIGHBOURS", "estimate_position", "inside", "violation"]

NEIGHBOURS = 3


def inside(point: tuple[float, float], polygon: Sequence[tuple[float, float]]) -> bool:
    """Whether `point` lies inside `polygon` (even-odd rule; on an edge counts inside)."""
    x, y = point
    n = len(polygon)
    hit = False
    for k in range(n):
        (x1, y1), (x2, y2) = polygon[k], polygon[(k + 1) % n]
        cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
        if cross == 0 and min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2):
            return True
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def estimate_position(
    arch: Architecture, observed: Sequence[Observed], cache: DistanceCache
) -> tuple[float, float] | None:
    """Where `arch` should land in the structure projection (see the module), or None
    when no observed model has a position."""
    placed = [o for o in observed if o.position is not None]
    if not placed:
        return None
    d = cache.matrix([arch], [o.arch for o in placed], "remap")[0]
    order = np.argsort(d, kind="stable")[:NEIGHBOURS]
    points = np.array([placed[i].position for i in order], dtype=float)
    if d[order[0]] <= 1e-12:
        return (float(points[0, 0]), float(points[0, 1]))
    w = 1.0 / d[order]
    x, y = (w[:, None] * points).sum(axis=0) / w.sum()
    return (float(x), float(y))


def violation(
    arch: Architecture,
    constraints: Constraints,
    observed: Sequence[Observed],
    cache: DistanceCache,
    position: tuple[float, float] | None = None,
) -> str | None:
    """Why `arch` breaks `constraints` (one phrase), or None when it satisfies them.
    `position`: its known place (a model being continued); else it is estimated."""
    if constraints.max_params is not None:
        params = count_params(arch)
        if params > constraints.max_params:
            return f"{params:,} parameters, over the cap of {constraints.max_params:,}"
    kinds = {layer_type(layer) for layer in arch.layers}
    forbidden = sorted(kinds & set(constraints.forbid_kinds))
    if forbidden:
        return f"holds forbidden layers: {', '.join(forbidden)}"
    missing = sorted(set(constraints.require_kinds) - kinds)
    if missing:
        return f"lacks required layers: {', '.join(missing)}"
    if constraints.region is not None:
        where = position if position is not None else estimate_position(arch, observed, cache)
        if where is None:
            return "no embedded model to estimate its place in the region from"
        if not inside(where, constraints.region):
            return f"estimated at ({where[0]:.3g}, {where[1]:.3g}), outside the region"
    return None
