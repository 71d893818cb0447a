"""The one-shot part of a session's read model (`SessionState.oneshot`): supernets and
their trainings, the sampled space, every scored subgraph, the searches with their
iterations and regions, highlights, candidates and rank checks. Pure, like the rest of
the fold: `nas_core.events.fold` hands the one-shot kinds to `apply_oneshot` on a
`OneShotDraft` (thawed once per fold, frozen once), and `packages/ui/src/core/fold.js`
mirrors it field by field (`tests/test_ui_fold.py`).
"""

from __future__ import annotations

import msgspec

from nas_core.oneshot.edits import LegoEdit
from nas_core.oneshot.types import (
    Constraint,
    PlannedChild,
    Region,
    SuperArchitecture,
    SupernetConfig,
    mask_key,
)

from . import kinds as k

__all__ = [
    "ONESHOT_HANDLERS",
    "CandidateRecord",
    "EvalRecord",
    "Highlight",
    "IterationRecord",
    "OneShotDraft",
    "OneShotState",
    "PlannedRecord",
    "RankRecord",
    "RankResult",
    "RegionState",
    "SearchRecord",
    "SpaceRecord",
    "SupernetPoint",
    "SupernetRecord",
    "apply_oneshot",
    "cancel_supernet",
]


class _R(msgspec.Struct, frozen=True, gc=False):
    pass


class SupernetPoint(_R):
    epoch: int
    train_loss: float
    val_loss: float
    seconds: float
    lr: float


class SupernetRecord(_R):
    """A supernet version and its training (`status`: defined, queued, running, done,
    failed, cancelled). Its training is an entry of the session's queue, as a model's:
    `tries` counts the attempts since it was last queued, against the retry budget."""

    id: str
    arch: SuperArchitecture
    hash: str
    params: int
    blocks: int
    subgraphs: int
    parent: str | None
    edits: tuple[LegoEdit, ...]
    template: str
    defined_seq: int
    status: str = "defined"
    config: SupernetConfig | None = None
    seed: int | None = None
    attempts: int = 0
    tries: int = 0
    curve: tuple[SupernetPoint, ...] = ()
    sha256: str = ""
    size: int = 0
    path: str = ""
    wall_s: float | None = None
    error: str | None = None


class SpaceRecord(_R):
    seed: int
    masks: tuple[tuple[str, ...], ...]
    positions: tuple[tuple[float, float], ...] = ()
    distance: str = ""
    method: str = ""


class EvalRecord(_R):
    mask: tuple[str, ...]
    val_loss: float
    val_acc: float
    per_class_acc: tuple[float, ...]
    position: tuple[float, float] | None
    seq: int


class PlannedRecord(_R):
    iteration: int
    elite: tuple[tuple[str, ...], ...]
    children: tuple[PlannedChild, ...]


class IterationRecord(_R):
    iteration: int
    population: tuple[tuple[str, ...], ...]
    losses: tuple[float, ...]
    fitness: tuple[float, ...]
    loss_stats: tuple[float, float, float]
    block_fitness: dict[str, float]
    marginal: dict[str, float | None]


class RegionState(_R):
    region: Region
    members: tuple[tuple[str, ...], ...]
    constraint: Constraint


class SearchRecord(_R):
    """A search (`status`: running, paused, done); `planned` is the last planned
    iteration, `history` the completed ones."""

    id: str
    supernet: str
    population: int
    keep: int
    mutation: float
    selection: str
    epsilon: float
    iterations: int
    seed: int
    status: str = "running"
    planned: PlannedRecord | None = None
    history: tuple[IterationRecord, ...] = ()
    region: RegionState | None = None


class Highlight(_R):
    op: str
    blocks: tuple[str, ...]
    masks: tuple[tuple[str, ...], ...]


class CandidateRecord(_R):
    search: str
    supernet: str
    rule: str
    threshold: float
    mask: tuple[str, ...]
    model: str


class RankResult(_R):
    oneshot_acc: tuple[float, ...]
    standalone_acc: tuple[float, ...]
    kendall_tau: float
    tau_ci: tuple[float, float]
    spearman: float
    noise_ceiling: float | None
    top1_rank: int
    regret: float


class RankRecord(_R):
    check: str
    supernet: str
    masks: tuple[tuple[str, ...], ...]
    models: tuple[tuple[str, ...], ...]
    status: str = "running"
    result: RankResult | None = None


class OneShotState(_R):
    """See the module. `supernet` / `search`: the current (last defined / started)."""

    supernet: str | None = None
    supernets: dict[str, SupernetRecord] = {}
    spaces: dict[str, SpaceRecord] = {}
    evaluations: dict[str, dict[str, EvalRecord]] = {}
    search: str | None = None
    searches: dict[str, SearchRecord] = {}
    highlight: Highlight | None = None
    candidates: tuple[CandidateRecord, ...] = ()
    rank_checks: dict[str, RankRecord] = {}


class OneShotDraft:
    """A mutable `OneShotState` while a fold runs (containers copied once)."""

    def __init__(self, s: OneShotState) -> None:
        self.supernet = s.supernet
        self.supernets = dict(s.supernets)
        self.spaces = dict(s.spaces)
        self.evaluations = dict(s.evaluations)
        self.owned: set[str] = set()
        self.search = s.search
        self.searches = dict(s.searches)
        self.highlight = s.highlight
        self.candidates = list(s.candidates)
        self.rank_checks = dict(s.rank_checks)

    def evals(self, supernet: str) -> dict[str, EvalRecord]:
        if supernet not in self.owned:
            self.evaluations[supernet] = dict(self.evaluations.get(supernet, {}))
            self.owned.add(supernet)
        return self.evaluations[supernet]

    def freeze(self) -> OneShotState:
        return OneShotState(
            self.supernet, self.supernets, self.spaces, self.evaluations, self.search,
            self.searches, self.highlight, tuple(self.candidates), self.rank_checks,
        )  # fmt: skip


_replace = msgspec.structs.replace


def _defined(d: OneShotDraft, e: k.SupernetDefined, env) -> None:
    if e.supernet in d.supernets:
        return
    d.supernets[e.supernet] = SupernetRecord(
        e.supernet, e.arch, e.hash, e.params, e.blocks, e.subgraphs, e.parent, e.edits,
        e.template, env.seq,
    )  # fmt: skip
    d.supernet = e.supernet


def _queued(d: OneShotDraft, e: k.SupernetTrainingQueued, env) -> None:
    r = d.supernets.get(e.supernet)
    if r is None or r.status in ("queued", "running"):
        return
    d.supernets[e.supernet] = _replace(
        r, status="queued", config=e.config, seed=e.seed, curve=(), error=None, tries=0
    )


def _started(d: OneShotDraft, e: k.SupernetTrainingStarted, env) -> None:
    r = d.supernets.get(e.supernet)
    if r is None or r.status != "queued" or e.attempt <= r.attempts:
        return
    d.supernets[e.supernet] = _replace(
        r, status="running", attempts=e.attempt, tries=r.tries + 1, curve=()
    )


def _epoch(d: OneShotDraft, e: k.SupernetEpochCompleted, env) -> None:
    r = d.supernets.get(e.supernet)
    if r is None or r.status != "running" or r.attempts != e.attempt:
        return
    point = SupernetPoint(e.epoch, e.train_loss, e.val_loss, e.seconds, e.lr)
    d.supernets[e.supernet] = _replace(r, curve=(*r.curve, point))


def _finished(d: OneShotDraft, e: k.SupernetTrainingFinished, env) -> None:
    r = d.supernets.get(e.supernet)
    if r is None or r.status != "running" or r.attempts != e.attempt:
        return
    d.supernets[e.supernet] = _replace(
        r, status="done", sha256=e.sha256, size=e.size, path=e.path, wall_s=e.wall_s
    )
    d.evaluations[e.supernet] = {}  # new weights: earlier scores do not hold
    d.owned.add(e.supernet)


def _failed(d: OneShotDraft, e: k.SupernetTrainingFailed, env) -> None:
    r = d.supernets.get(e.supernet)
    if r is None or r.status != "running" or r.attempts != e.attempt:
        return
    status = "queued" if e.will_retry else "failed"  # a retry: back at the queue's head
    d.supernets[e.supernet] = _replace(r, status=status, error=e.reason)


def cancel_supernet(d: OneShotDraft, supernet: str, attempt: int | None) -> bool:
    """A "training cancelled" of `supernet` (its queue entry, as a model's); whether it
    applied. `attempt`: a worker's cancel of that attempt (None: taken off the queue)."""
    r = d.supernets.get(supernet)
    if r is None or r.status not in ("queued", "running"):
        return False
    if attempt is not None:
        if attempt < r.attempts or (r.status == "running" and attempt != r.attempts):
            return False
        r = _replace(r, attempts=attempt)
    d.supernets[supernet] = _replace(r, status="cancelled")
    return True


def _sampled(d: OneShotDraft, e: k.SearchSpaceSampled, env) -> None:
    if e.supernet in d.supernets:
        d.spaces[e.supernet] = SpaceRecord(e.seed, e.masks)


def _projected(d: OneShotDraft, e: k.SearchSpaceProjected, env) -> None:
    space = d.spaces.get(e.supernet)
    if space is not None and len(space.masks) == len(e.positions):
        d.spaces[e.supernet] = _replace(
            space, positions=e.positions, distance=e.distance, method=e.method
        )


def _search_started(d: OneShotDraft, e: k.SearchStarted, env) -> None:
    if e.search in d.searches or e.supernet not in d.supernets:
        return
    region = None if e.region is None else RegionState(e.region, (), Constraint())
    d.searches[e.search] = SearchRecord(
        e.search, e.supernet, e.population, e.keep, e.mutation, e.selection, e.epsilon,
        e.iterations, e.seed, "running" if e.iterations > 0 else "done", region=region,
    )  # fmt: skip
    d.search = e.search


def _planned(d: OneShotDraft, e: k.SearchIterationPlanned, env) -> None:
    s = d.searches.get(e.search)
    if s is not None:
        planned = PlannedRecord(e.iteration, e.elite, e.children)
        d.searches[e.search] = _replace(s, planned=planned)


def _evaluated(d: OneShotDraft, e: k.SubgraphEvaluated, env) -> None:
    if e.supernet not in d.supernets:
        return
    d.evals(e.supernet)[mask_key(e.mask)] = EvalRecord(
        e.mask, e.val_loss, e.val_acc, e.per_class_acc, e.position, env.seq
    )


def _completed(d: OneShotDraft, e: k.SearchIterationCompleted, env) -> None:
    s = d.searches.get(e.search)
    if s is None or any(h.iteration == e.iteration for h in s.history):
        return
    record = IterationRecord(
        e.iteration, e.population, e.losses, e.fitness, e.loss_stats, e.block_fitness,
        e.marginal,
    )  # fmt: skip
    history = (*s.history, record)
    status = "done" if len(history) >= s.iterations else s.status
    d.searches[e.search] = _replace(s, history=history, status=status)


def _paused(d: OneShotDraft, e: k.SearchPaused, env) -> None:
    s = d.searches.get(e.search)
    if s is not None and s.status == "running":
        d.searches[e.search] = _replace(s, status="paused")


def _continued(d: OneShotDraft, e: k.SearchContinued, env) -> None:
    s = d.searches.get(e.search)
    if s is not None:
        status = "running" if len(s.history) < e.iterations else "done"
        d.searches[e.search] = _replace(s, iterations=e.iterations, status=status)


def _region_selected(d: OneShotDraft, e: k.RegionSelected, env) -> None:
    s = d.searches.get(e.search)
    if s is not None:
        d.searches[e.search] = _replace(s, region=RegionState(e.region, e.members, e.constraint))


def _region_cleared(d: OneShotDraft, e: k.RegionCleared, env) -> None:
    s = d.searches.get(e.search)
    if s is not None:
        d.searches[e.search] = _replace(s, region=None)


def _highlighted(d: OneShotDraft, e: k.BlocksHighlighted, env) -> None:
    d.highlight = Highlight(e.op, e.blocks, e.masks)


def _assembled(d: OneShotDraft, e: k.CandidateAssembled, env) -> None:
    d.candidates.append(CandidateRecord(e.search, e.supernet, e.rule, e.threshold, e.mask, e.model))


def _rank_started(d: OneShotDraft, e: k.RankCheckStarted, env) -> None:
    if e.check not in d.rank_checks:
        d.rank_checks[e.check] = RankRecord(e.check, e.supernet, e.masks, e.models)


def _rank_completed(d: OneShotDraft, e: k.RankCheckCompleted, env) -> None:
    r = d.rank_checks.get(e.check)
    if r is None:
        return
    result = RankResult(
        e.oneshot_acc, e.standalone_acc, e.kendall_tau, e.tau_ci, e.spearman,
        e.noise_ceiling, e.top1_rank, e.regret,
    )  # fmt: skip
    d.rank_checks[e.check] = _replace(r, status="done", result=result)


ONESHOT_HANDLERS = {
    k.SupernetDefined: _defined,
    k.SupernetTrainingQueued: _queued,
    k.SupernetTrainingStarted: _started,
    k.SupernetEpochCompleted: _epoch,
    k.SupernetTrainingFinished: _finished,
    k.SupernetTrainingFailed: _failed,
    k.SearchSpaceSampled: _sampled,
    k.SearchSpaceProjected: _projected,
    k.SearchStarted: _search_started,
    k.SearchIterationPlanned: _planned,
    k.SubgraphEvaluated: _evaluated,
    k.SearchIterationCompleted: _completed,
    k.SearchPaused: _paused,
    k.SearchContinued: _continued,
    k.RegionSelected: _region_selected,
    k.RegionCleared: _region_cleared,
    k.BlocksHighlighted: _highlighted,
    k.CandidateAssembled: _assembled,
    k.RankCheckStarted: _rank_started,
    k.RankCheckCompleted: _rank_completed,
}
"""One handler per one-shot event kind (each mutates the draft only)."""


def apply_oneshot(draft: OneShotDraft, event, env) -> None:
    """Fold one one-shot event into `draft`."""
    ONESHOT_HANDLERS[type(event)](draft, event, env)
