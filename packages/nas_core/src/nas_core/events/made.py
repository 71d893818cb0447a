"""What every decider that adds models makes: the next free model ids, a "model created"
event for an architecture, its "training queued" with an estimate, and the session's
search space. Shared by `commands`, `auto_search_decide` and the automated-search
service, so none of them imports another's private helpers."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from nas_core.arch.canonical import arch_hash
from nas_core.arch.layers import Architecture
from nas_core.arch.shapes import count_flops, count_params
from nas_core.errors import SearchSpaceError
from nas_core.generators import SearchSpace, load_search_space, search_space_hash
from nas_core.specs import TrainConfig

from .errors import CommandError
from .fold import ModelState, SessionState
from .kinds import ModelCreated, Origin, TrainingQueued

__all__ = ["Estimator", "created", "next_ids", "queued", "space_of"]

# seconds a training of (flops, config) is expected to take; None when unknown
Estimator = Callable[[int, TrainConfig], float | None]


def space_of(state: SessionState, space: SearchSpace | None) -> SearchSpace:
    """The search space a command samples from: its own, else the session's recorded
    one, checked against the hash the session recorded."""
    if space is None:
        space = state.search_space
    if space is None:  # a session recorded before the table was kept in the event
        try:
            space = load_search_space(state.settings.search_space)
        except SearchSpaceError as exc:
            raise CommandError("$", str(exc)) from exc
    if state.search_space_hash and search_space_hash(space) != state.search_space_hash:
        raise CommandError(
            "$", "the search space differs from the one this session recorded (its hash changed)"
        )
    return space


def next_ids(state: SessionState, n: int) -> list[str]:
    """`n` model ids not yet taken: m<k> counting on from the number of models."""
    ids: list[str] = []
    k = len(state.models) + 1
    while len(ids) < n:
        candidate = f"m{k}"
        if candidate not in state.models:
            ids.append(candidate)
        k += 1
    return ids


def created(
    model: str, arch: Architecture, parent: ModelState | None, origin: Origin, changes: tuple,
    description: str,
) -> ModelCreated:  # fmt: skip
    arch = msgspec.structs.replace(arch, name=model)
    return ModelCreated(
        model=model,
        arch=arch,
        parent=None if parent is None else parent.id,
        origin=origin,
        changes=tuple(changes),
        description=description,
        params=count_params(arch),
        flops=count_flops(arch),
        arch_hash=arch_hash(arch),
    )


def queued(
    created: ModelCreated, config: TrainConfig, seed: int, estimate: Estimator | None
) -> TrainingQueued:
    estimate_s = None if estimate is None else estimate(created.flops, config)
    return TrainingQueued(created.model, config, seed, estimate_s)
