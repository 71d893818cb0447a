"""Ablations: one child per selected layer, with that layer removed (paper 5.4, and C2:
the brushing selector picks which layers)."""

from __future__ import annotations

from collections.abc import Sequence

from nas_core.arch.canonical import arch_hash
from nas_core.arch.diff import Remove, apply_changes, describe_change_list
from nas_core.arch.layers import Architecture, Limits
from nas_core.arch.validate import validate
from nas_core.errors import ArchitectureError

from ._common import checked_parent
from .results import Child, Skipped

__all__ = ["ablate"]


def ablate(
    parent: Architecture,
    indices: Sequence[int],
    *,
    limits: Limits,
    existing: frozenset[str] = frozenset(),
) -> tuple[list[Child], list[Skipped]]:
    """One child per index in `indices` (in their order), that layer removed.

    A child that would be invalid (e.g. removing the flatten or the classifier), a
    duplicate of a model in `existing` (`arch_hash` values) or of an earlier child,
    an index out of range or listed twice, is skipped with its reason — never
    silently. Children are named ``f"{parent.name}-a{index}"`` (placeholders).
    """
    checked_parent(parent, limits)
    seen = set(existing) | {arch_hash(parent)}
    by_hash: dict[str, int] = {}
    done: set[int] = set()
    children: list[Child] = []
    skipped: list[Skipped] = []
    n = len(parent.layers)
    for index in indices:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
            skipped.append(Skipped(index, f"no layer at index {index}: the parent has {n} layers"))
            continue
        if index in done:
            skipped.append(Skipped(index, f"index {index} is listed twice"))
            continue
        done.add(index)
        changes = (Remove(index),)
        child = apply_changes(parent, changes, name=f"{parent.name}-a{index}")
        try:
            validate(child, limits)
        except ArchitectureError as exc:
            skipped.append(Skipped(index, f"removing layer {index} gives an invalid model: {exc}"))
            continue
        digest = arch_hash(child)
        if digest in by_hash:
            skipped.append(Skipped(index, f"same model as removing layer {by_hash[digest]}"))
            continue
        if digest in seen:
            skipped.append(Skipped(index, "duplicate of an existing model"))
            continue
        by_hash[digest] = index
        children.append(Child(child, changes, tuple(describe_change_list(parent, changes))))
    return children, skipped
