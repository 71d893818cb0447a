"""What an automated search has done, derived from the log (issue 21): its proposals
are the models whose origin names it, its budget used is their count and the epochs
they were queued for, and what it learns from (`observed`) is its population and its
proposals as the strategies see them (`nas_core.strategies.Observed`). Pure."""

from __future__ import annotations

from typing import NamedTuple

from nas_core.strategies import Observed

from .fold import ModelState, SessionState
from .fold_auto_search import AutoSearchRecord
from .kinds import AutoSearch

__all__ = ["Used", "budget_left", "next_step", "observed", "proposals", "used"]


_ENDED = ("done", "failed", "cancelled")


class Used(NamedTuple):
    models: int
    epochs: int


def proposals(state: SessionState, search: str) -> list[ModelState]:
    """The models `search` proposed, in creation order."""
    return [
        m for m in state.models.values()
        if isinstance(m.origin, AutoSearch) and m.origin.search == search
    ]  # fmt: skip


def used(state: SessionState, search: str) -> Used:
    """How many models `search` proposed and the epochs they were queued for."""
    made = proposals(state, search)
    return Used(len(made), sum(m.config.epochs for m in made if m.config is not None))


def budget_left(record: AutoSearchRecord, spent: Used, epochs_next: int) -> int:
    """How many more models of `epochs_next` epochs each the budget allows (a large
    number when it caps neither)."""
    left = 1 << 30
    if record.models is not None:
        left = min(left, record.models - spent.models)
    if record.epochs is not None:
        left = min(left, (record.epochs - spent.epochs) // max(1, epochs_next))
    return max(0, left)


def next_step(state: SessionState, search: str) -> int:
    """The step number of `search`'s next proposal."""
    return 1 + max((m.origin.step for m in proposals(state, search)), default=-1)  # type: ignore[union-attr]


def _observed(state: SessionState, m: ModelState, step: int | None) -> Observed:
    position = state.embeddings.get("structure", {}).get(m.id)
    first = m.origin.epoch if isinstance(m.origin, AutoSearch) and m.origin.epoch else 0
    return Observed(
        model_id=m.id,
        arch=m.arch,
        params=m.params,
        epochs=first + len(m.curve),
        val_acc=tuple(p.val_acc for p in m.curve),
        finished=m.status in _ENDED,  # a stopped training counts with its curve so far
        position=None if position is None else (float(position[0]), float(position[1])),
        proposed_by_step=step,
    )


def observed(state: SessionState, record: AutoSearchRecord) -> list[Observed]:
    """What `record`'s search learns from: its population, then its own proposals."""
    out = [_observed(state, state.models[m], None) for m in record.population if m in state.models]
    own = proposals(state, record.search)
    out.extend(_observed(state, m, m.origin.step) for m in own)  # type: ignore[union-attr]
    return out
