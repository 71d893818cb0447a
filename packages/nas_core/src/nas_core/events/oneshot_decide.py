"""The one-shot commands' deciders, and what the log asks for next (issue 18).

Deciders (`ONESHOT_DECIDERS`, rows of `commands._DECIDERS`) check a command against the
state with `$` paths and return its events; every random draw (sampled masks, initial
populations, children, rank-check masks) comes from a seed recorded in the log and
derived with `derive_seed` from the command's seed or id. `follow(state)` is the pure
step that keeps a search going once evaluations arrive (an iteration completed, the
next one planned from ``derive_seed(search_seed, iteration)``, a rank check's figures);
`pending_work(state)` lists what needs a worker (supernet trainings, subgraphs to
score). The service runs the work and appends its results (`nas_core.service.oneshot`).
"""

from __future__ import annotations

import importlib.metadata
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec
import numpy as np

from nas_core.arch.canonical import arch_hash
from nas_core.arch.shapes import count_flops, count_params
from nas_core.arch.validate import validate
from nas_core.errors import ArchitectureError
from nas_core.oneshot.edits import apply_edits
from nas_core.oneshot.errors import SupernetError
from nas_core.oneshot.evolve import (
    EPSILON,
    block_fitness,
    fitness,
    initial_population,
    loss_stats,
    marginal_scores,
    next_generation,
    random_mask,
)
from nas_core.oneshot.projection import (
    DISTANCES,
    Placer,
    condensed,
    ged_labelled,
    in_region,
    smacof,
)
from nas_core.oneshot.rank import rank_check
from nas_core.oneshot.space import (
    block_ids,
    count_subgraphs,
    decode_super,
    enumerate_masks,
    subgraph_arch,
    super_hash,
    super_params,
)
from nas_core.oneshot.templates import load_template
from nas_core.oneshot.types import (
    Constraint,
    Mask,
    Recalibration,
    SuperArchitecture,
    SupernetConfig,
    mask_key,
    sort_mask,
)
from nas_core.packed import pack_floats

from . import kinds as k
from .errors import CommandError
from .fold import SessionState
from .fold_oneshot import SearchRecord, SupernetRecord
from .seeds import derive_seed

if TYPE_CHECKING:
    from .commands import (
        AssembleCandidate,
        ClearRegion,
        ContinueSearch,
        DefineSupernet,
        EditSupernet,
        HighlightBlocks,
        PauseSearch,
        RankCheck,
        SampleSearchSpace,
        SelectRegion,
        StartSearch,
        TrainSupernet,
    )

__all__ = [
    "EvalWork",
    "SupernetWork",
    "follow",
    "pending_work",
    "placer",
]

SPACE_METHOD = "smacof"  # classical MDS refined by stress majorisation (projection.py)
SPACE_DISTANCE = "ged-labelled"


# --- lookups ---------------------------------------------------------------------------


def _supernet(state: SessionState, ident: str | None, path: str = "$.supernet") -> SupernetRecord:
    one = state.oneshot
    ident = one.supernet if ident is None else ident
    if ident is None:
        raise CommandError(path, "no supernet has been defined in this session")
    record = one.supernets.get(ident)
    if record is None:
        raise CommandError(path, f"no supernet {ident!r} in this session")
    return record


def _search(state: SessionState, ident: str | None, path: str = "$.search") -> SearchRecord:
    one = state.oneshot
    ident = one.search if ident is None else ident
    if ident is None:
        raise CommandError(path, "no search has been started in this session")
    record = one.searches.get(ident)
    if record is None:
        raise CommandError(path, f"no search {ident!r} in this session")
    return record


def _seed(command: Any, what: str, base: str) -> int:
    return derive_seed(what, base) if command.seed is None else command.seed


def _fmt(shape) -> str:
    return "×".join(str(d) for d in shape)


# --- models (as the other model-making commands make them) ---------------------------


def _next_ids(state: SessionState, n: int) -> list[str]:
    ids: list[str] = []
    i = len(state.models) + 1
    while len(ids) < n:
        if f"m{i}" not in state.models:
            ids.append(f"m{i}")
        i += 1
    return ids


def _created(model: str, arch, parent, origin, changes: tuple, description: str):
    arch = msgspec.structs.replace(arch, name=model)
    return k.ModelCreated(
        model=model, arch=arch, parent=parent, origin=origin, changes=tuple(changes),
        description=description, params=count_params(arch), flops=count_flops(arch),
        arch_hash=arch_hash(arch),
    )  # fmt: skip


def _queued(created, config, seed: int, estimate):
    estimate_s = None if estimate is None else estimate(created.flops, config)
    return k.TrainingQueued(created.model, config, seed, estimate_s)


# --- define / edit / train -------------------------------------------------------------


def _defined(state: SessionState, sa: SuperArchitecture, path: str, **extra) -> k.SupernetDefined:
    if state.input is not None and (
        tuple(sa.input.shape) != tuple(state.input.shape) or sa.input.classes != state.input.classes
    ):
        raise CommandError(
            path,
            f"the supernet takes {_fmt(sa.input.shape)} inputs and {sa.input.classes} classes, "
            f"but this session's data are {_fmt(state.input.shape)} with "
            f"{state.input.classes} classes",
        )
    ident = f"s{len(state.oneshot.supernets) + 1}"
    return k.SupernetDefined(
        supernet=ident, arch=sa, hash=super_hash(sa), params=super_params(sa),
        blocks=len(block_ids(sa)), subgraphs=count_subgraphs(sa), **extra,
    )  # fmt: skip


def define(state: SessionState, command: DefineSupernet, call) -> list:
    if (command.template is None) == (command.arch is None):
        raise CommandError("$", "give exactly one of `template` and `arch`")
    try:
        if command.template is not None:
            sa = load_template(command.template)
            return [_defined(state, sa, "$.template", template=command.template)]
        sa = decode_super(command.arch, "$.arch")
    except SupernetError as exc:
        raise CommandError(exc.path, exc.reason) from None
    return [_defined(state, sa, "$.arch.input")]


def edit(state: SessionState, command: EditSupernet, call) -> list:
    parent = _supernet(state, command.supernet)
    try:
        sa = apply_edits(parent.arch, command.edits, "$.edits")
    except SupernetError as exc:
        raise CommandError(exc.path, exc.reason) from None
    return [_defined(state, sa, "$.edits", parent=parent.id, edits=command.edits)]


def train(state: SessionState, command: TrainSupernet, call) -> list:
    record = _supernet(state, command.supernet)
    if record.status in ("queued", "running"):
        raise CommandError("$.supernet", f"supernet {record.id} is already {record.status}")
    config = SupernetConfig(
        epochs=command.epochs, lr=command.lr, momentum=command.momentum,
        batch_size=command.batch_size, keep_prob=command.keep_prob, routing=command.routing,
    )  # fmt: skip
    return [k.SupernetTrainingQueued(record.id, config, _seed(command, "supernet", call.base))]


# --- the search space ------------------------------------------------------------------


def _distinct_masks(sa: SuperArchitecture, n: int, seed: int) -> list[Mask]:
    """`n` distinct valid masks (all of them, in a seeded order, when n >= the space)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    total = count_subgraphs(sa)
    if n >= total or total <= 4 * n:
        every = list(enumerate_masks(sa))
        order = rng.permutation(len(every))[: min(n, total)]
        return [every[i] for i in order]
    seen: dict[Mask, None] = {}
    while len(seen) < n:
        seen.setdefault(random_mask(sa, rng, Constraint()), None)
    return list(seen)


def sample_space(state: SessionState, command: SampleSearchSpace, call) -> list:
    record = _supernet(state, command.supernet)
    seed = _seed(command, "space", call.base)
    masks = _distinct_masks(record.arch, command.count, seed)
    d = ged_labelled(record.arch, masks)
    x = smacof(d, seed)
    versions = {"numpy": np.__version__, "nas_core": _version("nas_core")}
    return [
        k.SearchSpaceSampled(record.id, seed, tuple(masks)),
        k.SearchSpaceProjected(
            record.id, SPACE_DISTANCE, pack_floats(condensed(d)), SPACE_METHOD, seed,
            tuple((float(a), float(b)) for a, b in x), versions,
        ),
    ]  # fmt: skip


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def placer(state: SessionState, supernet: str) -> Placer | None:
    """Places masks into the supernet's recorded scatter (None before it is projected)."""
    one = state.oneshot
    space = one.spaces.get(supernet)
    record = one.supernets.get(supernet)
    if space is None or record is None or not space.positions:
        return None
    kind = space.distance if space.distance in DISTANCES else SPACE_DISTANCE
    key = (record.hash, kind, tuple(tuple(m) for m in space.masks))
    d = _space_distances.get(key)
    if d is None:
        d = DISTANCES[kind][0](record.arch, space.masks)
        if len(_space_distances) >= 8:  # a few scatters (the labelled distance is not free)
            _space_distances.pop(next(iter(_space_distances)))
        _space_distances[key] = d
    return Placer(record.arch, space.masks, space.positions, d, kind)


_space_distances: dict[tuple, np.ndarray] = {}


# --- the search ------------------------------------------------------------------------


def _steering(state: SessionState, search: SearchRecord):
    """(constraint, accept, fallback) of the search's region (none without one)."""
    region = search.region
    if region is None:
        return Constraint(), None, None
    if region.region.mode == "blocks":
        return region.constraint, None, None
    place = placer(state, search.supernet)
    if place is None:
        return Constraint(), None, None
    inside = region.region
    members = [tuple(m) for m in region.members]

    def accept(mask: Mask) -> bool:
        return tuple(mask) in members or in_region(inside, place.place(mask))

    def fallback(mask: Mask, seen: set) -> Mask | None:
        free = [m for m in members if m not in seen] or members
        if not free:
            return None
        x = np.asarray(place.place(mask))
        dist = [float(np.sum((np.asarray(place.place(m)) - x) ** 2)) for m in free]
        return free[int(np.argmin(dist))]

    return Constraint(), accept, fallback


def start(state: SessionState, command: StartSearch, call) -> list:
    record = _supernet(state, command.supernet)
    if record.status not in ("queued", "running", "done"):
        raise CommandError(
            "$.supernet", f"supernet {record.id} is not trained: train it first (train_supernet)"
        )
    blocks = len(block_ids(record.arch))
    population = command.population or blocks
    keep = population // 2 if command.keep is None else command.keep
    if keep >= population:
        raise CommandError("$.keep", f"keep ({keep}) must be below the population ({population})")
    seed = _seed(command, "search", call.base)
    ident = f"q{len(state.oneshot.searches) + 1}"
    started = k.SearchStarted(
        search=ident, supernet=record.id, population=population, keep=keep,
        mutation=command.mutation, selection=command.selection, epsilon=EPSILON,
        iterations=command.iterations, eval_split="val",
        recalibration=Recalibration(512, derive_seed("recalibrate", seed)), seed=seed,
    )  # fmt: skip
    children = initial_population(record.arch, population, derive_seed(seed, 0))
    return [started, k.SearchIterationPlanned(ident, 0, (), tuple(children))]


def continue_search(state: SessionState, command: ContinueSearch, call) -> list:
    search = _search(state, command.search)
    return [k.SearchContinued(search.id, len(search.history) + command.iterations)]


def pause(state: SessionState, command: PauseSearch, call) -> list:
    search = _search(state, command.search)
    if search.status != "running":
        raise CommandError("$.search", f"search {search.id} is not running (it is {search.status})")
    return [k.SearchPaused(search.id)]


def _points(state: SessionState, supernet: str) -> list[tuple[Mask, tuple[float, float]]]:
    """Every placed mask of the scatter: the sample, then evaluated subgraphs."""
    one = state.oneshot
    space = one.spaces.get(supernet)
    out: dict[Mask, tuple[float, float]] = {}
    if space is not None:
        out.update(zip(space.masks, space.positions, strict=False))
    for r in one.evaluations.get(supernet, {}).values():
        if r.position is not None:
            out.setdefault(r.mask, r.position)
    return list(out.items())


def select_region(state: SessionState, command: SelectRegion, call) -> list:
    search = _search(state, command.search)
    if command.shape == "rect" and len(command.points) != 2:
        raise CommandError("$.points", "a rectangle is given by its 2 corners")
    if command.shape == "polygon" and len(command.points) < 3:
        raise CommandError("$.points", "a polygon needs at least 3 points")
    space = state.oneshot.spaces.get(search.supernet)
    if space is None or not space.positions:
        raise CommandError("$", "the search space has not been sampled: sample_search_space first")
    region = k.Region(command.shape, command.points, command.mode)
    members = [m for m, p in _points(state, search.supernet) if in_region(region, p)]
    if not members:
        raise CommandError("$.points", "the region holds no subgraph of the scatter")
    members_set = [set(m) for m in members]
    everything = block_ids(_supernet(state, search.supernet).arch)
    on = sort_mask(set.intersection(*members_set))
    off = sort_mask(b for b in everything if not any(b in m for m in members_set))
    return [k.RegionSelected(search.id, region, tuple(sort_mask(m) for m in members),
                             Constraint(on, off))]  # fmt: skip


def clear_region(state: SessionState, command: ClearRegion, call) -> list:
    search = _search(state, command.search)
    if search.region is None:
        raise CommandError("$.search", f"search {search.id} has no region")
    return [k.RegionCleared(search.id)]


def highlight(state: SessionState, command: HighlightBlocks, call) -> list:
    record = _supernet(state, None)
    everything = block_ids(record.arch)
    if command.masks is None:
        search = _search(state, None)
        if search.region is None:
            raise CommandError("$.masks", "no masks given and the search has no region")
        masks = [tuple(m) for m in search.region.members]
        record = state.oneshot.supernets[search.supernet]
        everything = block_ids(record.arch)
    else:
        known = set(everything)
        for i, m in enumerate(command.masks):
            for j, b in enumerate(m):
                if b not in known:
                    raise CommandError(f"$.masks[{i}][{j}]", f"no block {b!r} in {record.id}")
        masks = [sort_mask(m) for m in command.masks]
    sets = [set(m) for m in masks]
    union = set().union(*sets) if sets else set()
    if command.op == "union":
        blocks = union
    elif command.op == "intersection":
        blocks = set.intersection(*sets) if sets else set()
    else:
        blocks = set(everything) - union
    return [k.BlocksHighlighted(command.op, sort_mask(blocks), tuple(masks))]


# --- candidates and the rank check -----------------------------------------------------


def _assemble_mask(record: SupernetRecord, search: SearchRecord, rule: str, tau: float,
                   state: SessionState) -> Mask:  # fmt: skip
    last = search.history[-1]
    if rule == "best":
        evals = state.oneshot.evaluations.get(search.supernet, {})
        pool = [evals[mask_key(m)] for m in last.population if mask_key(m) in evals]
        best = min(pool, key=lambda r: (r.val_loss, mask_key(r.mask)))
        return tuple(best.mask)
    fit = last.block_fitness
    marginal = last.marginal
    chosen: list[str] = []
    for layer in record.arch.layers:
        ids = [b.id for b in layer.blocks]

        def score(b: str, ids: list[str] = ids) -> tuple:
            return (fit.get(b, 0.0), marginal.get(b) or 0.0, -ids.index(b))

        top = max(ids, key=score)
        if rule == "fitness" and record.arch.path_mode == "multi":
            chosen.extend([b for b in ids if fit.get(b, 0.0) >= tau] or [top])
        else:
            chosen.append(top)
    return sort_mask(chosen)


def assemble(state: SessionState, command: AssembleCandidate, call) -> list:
    search = _search(state, command.search)
    if not search.history:
        raise CommandError("$.search", f"search {search.id} has no completed iteration yet")
    record = state.oneshot.supernets[search.supernet]
    mask = _assemble_mask(record, search, command.rule, command.threshold, state)
    try:
        arch = subgraph_arch(record.arch, mask)
        validate(arch, state.settings.limits)
    except SupernetError:
        raise CommandError(
            "$.rule",
            f"the assembled subgraph {list(mask)} has several blocks in a layer: v1 trains "
            f"only single-path candidates as models (use rule 'argmax' or 'best')",
        ) from None
    except ArchitectureError as exc:
        raise CommandError(
            "$.rule", f"the assembled candidate is not a valid model: {exc}"
        ) from None
    (model,) = _next_ids(state, 1)
    origin = k.OneShot(record.id, search.id, len(search.history), mask, command.rule)
    created = _created(
        model, arch, None, origin, (),
        f"One-shot candidate of {search.id} ({command.rule}): {' '.join(mask)}",
    )  # fmt: skip
    config = state.settings.train
    if command.epochs is not None:
        config = msgspec.structs.replace(config, epochs=command.epochs)
    queued = _queued(created, config, derive_seed("train", call.base, model), call.estimate)
    assembled = k.CandidateAssembled(
        search.id, record.id, command.rule, command.threshold, mask, model
    )
    return [assembled, created, queued]


def rank(state: SessionState, command: RankCheck, call) -> list:
    record = _supernet(state, command.supernet)
    if record.arch.path_mode != "single":
        raise CommandError("$.supernet", "the rank check trains single-path subgraphs only")
    seed = _seed(command, "rank-check", call.base)
    masks = _distinct_masks(record.arch, command.count, seed)
    if len(masks) < 3:
        raise CommandError("$.count", "the supernet has fewer than 3 subgraphs to rank")
    check = f"r{len(state.oneshot.rank_checks) + 1}"
    ids = _next_ids(state, len(masks) * command.seeds)
    config = state.settings.train
    if command.epochs is not None:
        config = msgspec.structs.replace(config, epochs=command.epochs)
    created, queued, models = [], [], []
    for i, mask in enumerate(masks):
        arch = subgraph_arch(record.arch, mask)
        row = []
        for s in range(command.seeds):
            mid = ids[i * command.seeds + s]
            origin = k.OneShot(record.id, check, s, mask, "rank-check")
            made = _created(mid, arch, None, origin, (), f"Rank check {check}, seed {s + 1}")
            created.append(made)
            queued.append(_queued(made, config, derive_seed("rank-check", seed, s), call.estimate))
            row.append(mid)
        models.append(tuple(row))
    started = k.RankCheckStarted(check, record.id, tuple(masks), tuple(models))
    return [started, *created, *queued]


# --- what follows from the log ---------------------------------------------------------


def _iteration_done(state: SessionState, search: SearchRecord) -> list:
    """The search's next event, if its evaluations allow one."""
    planned = search.planned
    record = state.oneshot.supernets[search.supernet]
    evals = state.oneshot.evaluations.get(search.supernet, {})
    if planned is None:
        return []
    done = {h.iteration for h in search.history}
    if planned.iteration not in done:
        population = [*planned.elite, *(ch.mask for ch in planned.children)]
        if not all(mask_key(m) in evals for m in population):
            return []
        losses = [evals[mask_key(m)].val_loss for m in population]
        scored = {r.mask: r.val_acc for r in evals.values()}
        return [
            k.SearchIterationCompleted(
                search.id, planned.iteration, tuple(tuple(m) for m in population),
                tuple(losses), tuple(fitness(losses, search.selection, search.epsilon)),
                loss_stats(losses), block_fitness(record.arch, population),
                marginal_scores(record.arch, scored),
            )
        ]  # fmt: skip
    if search.status != "running" or len(search.history) >= search.iterations:
        return []
    last = search.history[-1]
    constraint, accept, fallback = _steering(state, search)
    nxt = planned.iteration + 1
    elite, children = next_generation(
        record.arch, last.population, last.losses, keep=search.keep,
        seed=derive_seed(search.seed, nxt), mutation=search.mutation,
        selection=search.selection, constraint=constraint, accept=accept, fallback=fallback,
        size=search.population,
    )  # fmt: skip
    if accept is not None or constraint != Constraint():
        elite = [m for m in elite if accept is None or accept(m)]  # steered: elite obeys too
        if constraint != Constraint():
            elite = [m for m in elite if set(constraint.on) <= set(m)
                     and not set(constraint.off) & set(m)]  # fmt: skip
    return [k.SearchIterationPlanned(search.id, nxt, tuple(elite), tuple(children))]


def _rank_done(state: SessionState, check) -> list:
    evals = state.oneshot.evaluations.get(check.supernet, {})
    if not all(mask_key(m) in evals for m in check.masks):
        return []
    rows = []
    for mask, models in zip(check.masks, check.models, strict=True):
        states = [state.models.get(m) for m in models]
        if any(s is None or s.status in ("created", "queued", "running") for s in states):
            return []
        if all(s.status == "done" and s.result is not None for s in states):
            rows.append((evals[mask_key(mask)].val_acc, [s.result.test_acc for s in states]))
    if len(rows) < 3:
        return []
    oneshot = [r[0] for r in rows]
    standalone = np.asarray([r[1] for r in rows]).T
    result = rank_check(oneshot, standalone, seed=derive_seed("bootstrap", check.check))
    return [
        k.RankCheckCompleted(
            check.check, tuple(oneshot), tuple(float(v) for v in standalone.mean(axis=0)),
            result.kendall_tau, result.tau_ci, result.spearman, result.noise_ceiling,
            result.top1_rank, result.regret,
        )
    ]  # fmt: skip


def follow(state: SessionState) -> list:
    """The events the log implies next (see the module); [] when nothing follows."""
    out: list = []
    for search in state.oneshot.searches.values():
        if state.oneshot.supernets[search.supernet].status == "done":
            out.extend(_iteration_done(state, search))
    for check in state.oneshot.rank_checks.values():
        if check.status == "running":
            out.extend(_rank_done(state, check))
    return out


class SupernetWork(NamedTuple):
    supernet: str
    arch: SuperArchitecture
    config: SupernetConfig
    seed: int
    attempt: int


class EvalWork(NamedTuple):
    supernet: str
    search: str
    masks: tuple[Mask, ...]
    recalibration: Recalibration


def pending_work(state: SessionState) -> list[SupernetWork | EvalWork]:
    """What a worker must do for the log to go on: queued supernet trainings first,
    then the subgraphs a running search, a rank check or the scatter waits for."""
    one = state.oneshot
    work: list = []
    for r in one.supernets.values():
        if r.status == "queued" and r.config is not None and r.seed is not None:
            work.append(SupernetWork(r.id, r.arch, r.config, r.seed, r.attempts + 1))
    for search in one.searches.values():
        record = one.supernets[search.supernet]
        if record.status != "done" or search.planned is None:
            continue
        if search.planned.iteration in {h.iteration for h in search.history}:
            continue
        evals = one.evaluations.get(search.supernet, {})
        wanted = [*search.planned.elite, *(ch.mask for ch in search.planned.children)]
        missing = tuple(dict.fromkeys(tuple(m) for m in wanted if mask_key(m) not in evals))
        if missing:
            recal = Recalibration(512, derive_seed("recalibrate", search.seed))
            work.append(EvalWork(search.supernet, search.id, missing, recal))
    for supernet, record in one.supernets.items():
        if record.status != "done":
            continue
        evals = one.evaluations.get(supernet, {})
        masks: list[Mask] = []
        for check in one.rank_checks.values():
            if check.supernet == supernet and check.status == "running":
                masks.extend(tuple(m) for m in check.masks)
        space = one.spaces.get(supernet)
        if space is not None:
            masks.extend(tuple(m) for m in space.masks)
        missing = tuple(dict.fromkeys(m for m in masks if mask_key(m) not in evals))
        if missing:
            work.append(EvalWork(supernet, "", missing, Recalibration(512, 0)))
    return work
