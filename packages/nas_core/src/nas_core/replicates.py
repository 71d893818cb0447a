"""Replicate groups: a model and the models that train its architecture again with
other seeds (origin "replicate", `nas_core.events.Replicated`), and the mean ± sd of
their test accuracy.

A group is named by its first model: every replicate's origin names it in ``of``
(replicating a replicate repeats the original), so grouping needs no search. The
standard deviation is the sample one (n - 1); it needs two trained members. The
browser computes the same in ``packages/ui/src/core/replicates.js``.
"""

from __future__ import annotations

import math

import msgspec

from nas_core.events import Replicated, SessionState

__all__ = ["GroupStats", "group_of", "group_stats", "groups"]


class GroupStats(msgspec.Struct, frozen=True, gc=False):
    """A group's test accuracy over its `n` trained members: `mean` and `sd` (``None``
    with fewer than two members trained; `mean` ``None`` with none)."""

    group: str
    members: tuple[str, ...]
    n: int
    mean: float | None
    sd: float | None


def group_of(state: SessionState, model: str) -> str:
    """The group `model` belongs to: its own id, or the model it replicates."""
    origin = state.models[model].origin
    return origin.of if isinstance(origin, Replicated) else model


def groups(state: SessionState) -> dict[str, tuple[str, ...]]:
    """Every group with replicates: its first model → its members (creation order)."""
    members: dict[str, list[str]] = {}
    for mid, m in state.models.items():
        if isinstance(m.origin, Replicated) and m.origin.of in state.models:
            members.setdefault(m.origin.of, [m.origin.of]).append(mid)
    return {g: tuple(ms) for g, ms in members.items()}


def group_stats(state: SessionState, model: str) -> GroupStats:
    """Mean ± sd of the test accuracy of `model`'s group (see `GroupStats`)."""
    group = group_of(state, model)
    members = groups(state).get(group, (group,))
    accs = [
        state.models[m].result.test_acc  # type: ignore[union-attr]
        for m in members
        if state.models[m].status == "done" and state.models[m].result is not None
    ]
    n = len(accs)
    mean = sum(accs) / n if n else None
    sd = None
    if n >= 2 and mean is not None:
        sd = math.sqrt(sum((a - mean) ** 2 for a in accs) / (n - 1))
    return GroupStats(group, members, n, mean, sd)
