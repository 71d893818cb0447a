"""What one run found within a budget (issue 21), pure: the models it queued, in the
order it queued them, while their epochs add up to at most the budget; of those, the
trained ones as ``(test accuracy, params)``.

One run per (task, policy, seed) trains to the study's largest budget and every
smaller budget is read off its beginning: every policy decides from what it has seen
so far, never from how much budget is left, so the first 100 model-epochs of a
1,000-epoch run are what a 100-epoch run would have queued (the anytime view of a
search, as a person who stops when satisfied)."""

from __future__ import annotations

from typing import NamedTuple

from nas_core.events import SessionState

__all__ = ["Found", "found_within", "spent_epochs"]


class Found(NamedTuple):
    """The trained models ``(test accuracy, params)`` and the model-epochs queued
    within a budget."""

    models: tuple[tuple[float, int], ...]
    epochs: int
    queued: int


def _queued(state: SessionState) -> list:
    made = [m for m in state.models.values() if m.config is not None and m.status != "created"]
    return sorted(made, key=lambda m: m.created_seq)


def spent_epochs(state: SessionState) -> int:
    """The model-epochs a session has queued so far."""
    return sum(m.config.epochs for m in _queued(state))


def found_within(state: SessionState, budget: int) -> Found:
    """The models of `state` queued within `budget` model-epochs (see the module)."""
    spent, models, queued = 0, [], 0
    for m in _queued(state):
        if spent + m.config.epochs > budget:
            break
        spent += m.config.epochs
        queued += 1
        if m.status == "done" and m.result is not None:
            models.append((m.result.test_acc, m.params))
    return Found(tuple(models), spent, queued)
