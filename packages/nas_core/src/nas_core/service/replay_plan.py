"""What re-executing a session's log does, step by step (pure).

Re-execution re-runs the generators from what the log recorded, not from its results:
every batch of "model created" events (one sample / ablate / vary / handcraft command,
named by its origins' ``batch``) becomes that command again — the same seed, parent,
indices, allowed kinds, edits and id — to be decided against the re-executed state, so
the architectures come from the generators anew and a log whose generators no longer
reproduce shows it. Everything else a user decided (queue orders, drawer, view,
enqueueing a cancelled model, cancelling a waiting one) is copied as recorded; what the
system derived (trainings, embeddings, layouts) is left out, to be produced again.
The commands' training overrides (``train``) come back from the origins. A continued
model ("train longer") is copied: it starts from the weights file its origin names. Pausing the
queue and changing the concurrency are left out too: they decided when models trained,
not what, and a re-execution trains every model.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from nas_core.events import (
    Ablate,
    Ablation,
    Command,
    Continued,
    DrawerChanged,
    Envelope,
    Handcraft,
    Handcrafted,
    ModelCreated,
    Pending,
    QueueReordered,
    Replicate,
    Replicated,
    Sample,
    Sampled,
    SessionCreated,
    TrainingCancelled,
    TrainingQueued,
    Variation,
    Vary,
    ViewChanged,
)
from nas_core.events import kinds as k

__all__ = ["Step", "plan_reexecution"]

_COPIED = (SessionCreated, QueueReordered, DrawerChanged, ViewChanged, TrainingQueued)
# Issue 20: a model imported from a search REMAP did not run cannot be trained again; it
# is copied as recorded (its placements are derived, and made again when embedded).
_IMPORTED_COPIED = (k.ModelImported,)
# Issue 18: the one-shot decisions are copied (the plan of a search's first iteration is
# its start's); what the runner derived (supernet trainings, scores, later iterations,
# rank-check figures) is left out and made again, so a re-execution shows whether the
# weights' digest and the losses repeat. A region or a pause is copied in order, but no
# longer tied to the iteration it came after (the new search runs as the runner goes).
# Issue 21: an automated search's steering is copied in order; its proposals are left out
# (models and their queueing) and made again by the service from the re-executed log.
_AUTO_SEARCH_COPIED = (
    k.AutoSearchStarted, k.AutoSearchPaused, k.AutoSearchResumed, k.AutoSearchStopped,
    k.AutoSearchBudgetChanged, k.AutoSearchConstrained, k.AutoSearchPopulationAdded,
    k.MedianRuleChanged,  # the user's switch; what the rule stops is decided again
)  # fmt: skip
_ONESHOT_COPIED = (
    k.SupernetDefined, k.SupernetTrainingQueued, k.SearchSpaceSampled, k.SearchSpaceProjected,
    k.SearchStarted, k.SearchPaused, k.SearchContinued, k.RegionSelected, k.RegionCleared,
    k.BlocksHighlighted, k.CandidateAssembled, k.RankCheckStarted,
)  # fmt: skip


class Step(msgspec.Struct, frozen=True):
    """One step: a command to decide again (with the models it made originally), or
    recorded events to append as they are."""

    command: Command | None = None
    models: tuple[str, ...] = ()
    copied: tuple[Pending, ...] = ()


def plan_reexecution(envelopes: Sequence[Envelope]) -> list[Step]:
    """The steps that re-execute `envelopes` (a whole session log, in seq order)."""
    batches: dict[str, list[ModelCreated]] = {}
    for e in envelopes:
        if isinstance(e.event, ModelCreated) and e.event.origin.batch:
            batches.setdefault(e.event.origin.batch, []).append(e.event)
    remade: set[str] = set()  # models a re-decided command queues by itself
    steps: list[Step] = []
    for e in envelopes:
        event = e.event
        if isinstance(event, ModelCreated) and isinstance(event.origin, k.AutoSearch):
            remade.add(event.model)  # the service proposes it again (issue 21)
            continue
        if isinstance(event, ModelCreated):
            batch = event.origin.batch
            # recorded before origins named their command, or continued (it starts from
            # the weights file its origin names, which a decision now could not know): copy
            if not batch or isinstance(event.origin, Continued):
                steps.append(Step(copied=(Pending(e.id, event),)))
                continue
            if batch not in batches:
                continue  # the command of this batch is planned already
            made = batches.pop(batch)
            steps.append(Step(command=_command(batch, made), models=tuple(m.model for m in made)))
            remade.update(m.model for m in made)
        elif isinstance(event, TrainingQueued) and event.model in remade:
            remade.discard(event.model)  # the re-decided command queues it again
        elif (
            isinstance(event, _COPIED + _IMPORTED_COPIED + _ONESHOT_COPIED + _AUTO_SEARCH_COPIED)
            or (isinstance(event, TrainingCancelled) and not event.was_running)
            or (isinstance(event, k.SearchIterationPlanned) and event.iteration == 0)
        ):
            steps.append(Step(copied=(Pending(e.id, event),)))
    return steps


def _command(batch: str, made: list[ModelCreated]) -> Command:
    """The command that made the models of `batch` (all of one origin type)."""
    first = made[0].origin
    if isinstance(first, Sampled):
        return Sample(id=batch, count=len(made), seed=first.seed, train=first.train)
    if isinstance(first, Ablation):
        indices = tuple(m.origin.index for m in made)  # type: ignore[union-attr]
        return Ablate(id=batch, model=first.parent, indices=indices, train=first.train)
    if isinstance(first, Replicated):
        return Replicate(
            id=batch, model=first.of, seeds=len(made), seed=first.seed, train=first.train
        )
    if isinstance(first, Variation):
        allowed = {int(k): v for k, v in first.allowed.items()} or None
        return Vary(
            id=batch, model=first.parent, count=len(made), seed=first.seed,
            allowed=allowed, max_changes=first.max_changes, train=first.train,
        )  # fmt: skip
    assert isinstance(first, Handcrafted)
    return Handcraft(id=batch, model=first.parent, edits=first.edits, train=first.train)
