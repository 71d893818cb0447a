"""The step that keeps a session's automated searches going (issue 21), pure.

`follow(state, space)` asks each running search with budget left and room in its
window (at most `WINDOW` of its proposals waiting or training at once, so a strategy
that learns from results sees them) for proposals (`nas_core.strategies.propose`, given
what the search observed, derived from the log) and returns the events that make them:
"model created" with an `AutoSearch` origin and "training queued". A "continue"
proposal (a Hyperband promotion) is a new model that starts from its parent's stored
weights, as "train longer" does (`nas_core.service.dispatch`). Event ids name the
search and step (``auto:{search}:{step}:…``), so a repeated step appends nothing new;
and because the proposals depend only on the log, a re-execution that drops them
(`nas_core.service.replay_plan`) makes them again. The session service calls it after
every append (`SessionService`).

`median_stops(state)` is the median stopping rule acted on, pure too: for each running
training of a search started with `median_stop`, after each epoch (but its last), the
"median stopped" event when `nas_core.strategies.median_stop` says so against the other
models the search learns from; with the session's rule on (`set_median_rule`), the same
for every other running training against the session's models ("training median
stopped"); the service appends it and sets the model's cancel flag,
and the worker records the cancel. Its id names the model and attempt, so it is
appended once; a re-execution leaves it out and decides it again from the new curves.
"""

from __future__ import annotations

import logging
import statistics

import msgspec

from nas_core.events import Pending, SessionState
from nas_core.events import kinds as k
from nas_core.events.auto_search_state import budget_left, next_step, observed, proposals, used
from nas_core.events.kinds import AutoSearch, Continued, Event, Imported
from nas_core.events.made import Estimator, next_ids
from nas_core.events.made import created as created_event
from nas_core.events.made import queued as queue_event
from nas_core.events.made import space_of as recorded_space
from nas_core.events.seeds import derive_seed
from nas_core.generators import SearchSpace
from nas_core.strategies import DistanceCache, Proposal, StrategyError, median_stop, propose

__all__ = ["MEDIAN_MIN", "WINDOW", "follow", "median_stops", "space_of"]

log = logging.getLogger(__name__)

WINDOW = 2
"""Proposals of one search that wait or train at once."""

_WAITING = ("created", "queued", "running")

MEDIAN_MIN = 5
"""Other models that must have reached an epoch before the median rule stops at it
(the search's option ``median_min`` overrides it)."""


def space_of(state: SessionState) -> SearchSpace:
    """The search space the session samples from (the one its log recorded)."""
    return recorded_space(state, None)


def follow(
    state: SessionState,
    space: SearchSpace,
    estimate: Estimator | None = None,
    *,
    distance: DistanceCache | None = None,
) -> list[Pending]:
    """The events that let every running search propose what it has room for;
    `distance`: the session's OTMANN cache, kept across calls (None: measured anew)."""
    out: list[Pending] = []
    for record in state.auto_searches.values():
        if record.status != "running" or state.input is None:
            continue
        made = proposals(state, record.search)
        room = WINDOW - sum(m.status in _WAITING for m in made)
        spent = used(state, record.search)
        count = min(room, budget_left(record, spent, record.spec.epochs))
        if count <= 0:
            continue
        step = next_step(state, record.search)
        try:
            chosen = propose(
                record.spec, observed(state, record), step, count, space=space,
                input_shape=state.input.shape, num_classes=state.input.classes,
                limits=None if state.settings is None else state.settings.limits,
                distance=distance,
            )  # fmt: skip
        except StrategyError as exc:  # the search cannot go on; the session does
            log.warning("automated search %s proposes nothing: %s", record.search, exc)
            continue
        events = _made(state, record, _within(record, spent, chosen[:count]), estimate)
        out.extend(Pending(f"auto:{record.search}:{step}:{j}", e) for j, e in enumerate(events))
        if events:  # one search per call: the next sees the state these events make
            break
    return out


def _within(record, spent, chosen: list[Proposal]) -> list[Proposal]:
    """The proposals the epoch budget still allows, in order."""
    if record.epochs is None:
        return chosen
    left, kept = record.epochs - spent.epochs, []
    for p in chosen:
        if p.epochs > left:
            break
        kept.append(p)
        left -= p.epochs
    return kept


def _made(state: SessionState, record, chosen: list[Proposal], estimate) -> list[Event]:
    ids = next_ids(state, len(chosen))
    created, queued = [], []
    for mid, p in zip(ids, chosen, strict=True):
        parent = None if p.parent is None else state.models.get(p.parent)
        origin = AutoSearch(
            search=record.search, strategy=record.spec.strategy, step=p.step,
            parent=p.parent, why=p.why, scores=dict(p.scores),
        )  # fmt: skip
        arch = p.arch
        if p.kind == "continue":
            if parent is None or parent.result is None or parent.result.weights is None:
                continue  # nothing to continue from (its weights were not kept)
            arch = parent.arch
            origin = msgspec.structs.replace(
                origin, epoch=parent.result.best_epoch, weights=parent.result.weights.digest
            )
        if arch is None:
            continue
        c = created_event(mid, arch, parent, origin, (), p.why or f"proposed by {record.search}")
        base = parent.config if parent is not None and parent.config is not None else None
        config = msgspec.structs.replace(base or state.settings.train, epochs=p.epochs)
        seed = derive_seed("auto_search", record.spec.seed, mid)
        created.append(c)
        queued.append(queue_event(c, config, seed, estimate))
    return [*created, *queued]


def _from_start(m) -> bool:
    """Whether `m`'s curve starts at epoch 1 (not a training continued from weights)."""
    return not (isinstance(m.origin, AutoSearch) and m.origin.weights is not None)


def median_stops(state: SessionState) -> list[Pending]:
    """The "median stopped" events of the running trainings the rule stops now."""
    out: list[Pending] = []
    for record in state.auto_searches.values():
        if not record.median_stop:
            continue
        least = int(record.spec.options.get("median_min", MEDIAN_MIN))
        members = [state.models[m] for m in record.population if m in state.models]
        members += proposals(state, record.search)
        curves = {m.id: [p.val_acc for p in m.curve] for m in members if _from_start(m)}
        for m in proposals(state, record.search):
            verdict = None if m.id in record.stopped_early else _verdict(m, curves, least)
            if verdict is not None:
                event = k.AutoSearchMedianStopped(search=record.search, **verdict)
                out.append(Pending(f"median:{record.search}:{m.id}:{m.attempts}", event))
    return out + _session_rule_stops(state)


def _session_rule_stops(state: SessionState) -> list[Pending]:
    """The session's own rule (`SessionState.median_rule`, "for any training"): each
    running training but those of a search with a rule of its own (above), against
    every other model of the session REMAP trained from epoch 1 (not imported curves,
    measured elsewhere, nor continued ones, which start past epoch 1)."""
    least = state.median_rule
    if least is None:
        return []
    own = {r.search for r in state.auto_searches.values() if r.median_stop}
    curves = {
        m.id: [p.val_acc for p in m.curve]
        for m in state.models.values()
        if m.curve and _from_start(m) and not isinstance(m.origin, Imported | Continued)
    }
    out: list[Pending] = []
    for m in state.models.values():
        if m.id in state.median_stopped or (
            isinstance(m.origin, AutoSearch) and m.origin.search in own
        ):
            continue
        verdict = _verdict(m, curves, least)
        if verdict is not None:
            event = k.TrainingMedianStopped(**verdict)
            out.append(Pending(f"median:{m.id}:{m.attempts}", event))
    return out


def _verdict(m, curves: dict[str, list[float]], least: int) -> dict | None:
    """The fields of a stop of running model `m` after its latest epoch (but its last)
    when the rule says so against the other `curves`; ``None`` when it does not."""
    epoch = len(m.curve)
    last = m.config.epochs if m.config is not None else 0
    if m.status != "running" or not 1 <= epoch < last or m.id not in curves:
        return None
    others = [c for mid, c in curves.items() if mid != m.id and len(c) >= epoch]
    if not median_stop(others, curves[m.id], epoch, least):
        return None
    median = statistics.median(sum(c[:epoch]) / epoch for c in others)
    return {"model": m.id, "attempt": m.attempts, "epoch": epoch,
            "best": max(curves[m.id]), "median": median, "others": len(others)}  # fmt: skip
