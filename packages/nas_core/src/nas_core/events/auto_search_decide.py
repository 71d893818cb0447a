"""The deciders of the automated-search steering commands (issue 21), rows of
`commands._DECIDERS`: start, pause, resume, stop, change the budget, constrain, add to
the population. Each checks the command against the session with `$` paths into it and
returns the events; a seed the command leaves out is derived from its id and recorded
in the spec. What the search then proposes is the service's step
(`nas_core.service.auto_search`)."""

from __future__ import annotations

from nas_core.arch.layers import LAYER_TYPES
from nas_core.strategies import STRATEGY_NAMES, Constraints, SearchSpec, StrategyError, propose

from . import kinds as k
from .errors import CommandError
from .fold import SessionState
from .fold_auto_search import AutoSearchRecord
from .made import space_of
from .seeds import derive_seed

__all__ = [
    "add_population",
    "change_budget",
    "constrain",
    "pause",
    "resume",
    "start",
    "stop",
]


def _kinds(kinds: tuple[str, ...], path: str) -> tuple[str, ...]:
    seen: list[str] = []
    for j, kind in enumerate(kinds):
        if kind not in LAYER_TYPES:
            known = ", ".join(sorted(LAYER_TYPES))
            raise CommandError(f"{path}[{j}]", f"{kind!r} is no layer kind (one of {known})")
        if kind in seen:
            raise CommandError(f"{path}[{j}]", f"{kind} is listed twice")
        seen.append(kind)
    return tuple(seen)


def _constraints(command, path: str = "$") -> Constraints:
    forbid = _kinds(tuple(command.forbid_kinds), f"{path}.forbid_kinds")
    require = _kinds(tuple(command.require_kinds), f"{path}.require_kinds")
    for j, kind in enumerate(require):
        if kind in forbid:
            raise CommandError(
                f"{path}.require_kinds[{j}]", f"{kind} is both required and forbidden"
            )
    region = None if command.region is None else tuple(tuple(p) for p in command.region)
    if region is not None and len(region) < 3:
        raise CommandError(f"{path}.region", "a region is a polygon of at least 3 points")
    return Constraints(
        max_params=command.max_params, forbid_kinds=forbid, require_kinds=require,
        region=region,
    )  # fmt: skip


def _models(state: SessionState, models: tuple[str, ...], path: str) -> tuple[str, ...]:
    seen: list[str] = []
    for j, mid in enumerate(models):
        if mid not in state.models:
            raise CommandError(f"{path}[{j}]", f"no model {mid!r} in this session")
        if mid in seen:
            raise CommandError(f"{path}[{j}]", f"{mid} is listed twice")
        seen.append(mid)
    return tuple(seen)


def _budget(models: int | None, epochs: int | None, path: str) -> None:
    if models is None and epochs is None:
        raise CommandError(path, "give a budget: a number of models, of epochs, or both")


def _search(state: SessionState, search: str | None) -> AutoSearchRecord:
    searches = state.auto_searches
    if search is None:
        if not searches:
            raise CommandError("$.search", "no automated search has been started")
        return searches[next(reversed(searches))]
    record = searches.get(search)
    if record is None:
        raise CommandError("$.search", f"no automated search {search!r} in this session")
    return record


def start(state: SessionState, command, call) -> list:
    if command.strategy not in STRATEGY_NAMES:
        names = ", ".join(STRATEGY_NAMES)
        raise CommandError("$.strategy", f"no strategy {command.strategy!r} (one of {names})")
    _budget(command.models, command.budget_epochs, "$.models")
    ident = command.search or f"a{len(state.auto_searches) + 1}"
    if ident in state.auto_searches:
        raise CommandError("$.search", f"there is an automated search {ident} already")
    scope = _models(state, tuple(command.scope), "$.scope")
    epochs = command.epochs or state.settings.train.epochs
    seed = derive_seed("auto_search", call.base) if command.seed is None else command.seed
    spec = SearchSpec(
        strategy=command.strategy, seed=seed, epochs=epochs, options=dict(command.options),
        constraints=_constraints(command),
    )  # fmt: skip
    _try(state, spec, call)
    started = k.AutoSearchStarted(
        search=ident, spec=spec, models=command.models, epochs=command.budget_epochs,
        scope=scope, median_stop=command.median_stop,
    )  # fmt: skip
    return [started]


def _try(state: SessionState, spec: SearchSpec, call) -> None:
    """Refuse a spec the strategy cannot work with (e.g. an option it cannot read) now,
    not when the service first asks it for a proposal."""
    try:
        propose(
            spec, [], 0, 1, space=space_of(state, call.space), input_shape=state.input.shape,
            num_classes=state.input.classes, limits=state.settings.limits,
        )  # fmt: skip
    except StrategyError as exc:
        raise CommandError("$.options", str(exc)) from exc


def pause(state: SessionState, command, call) -> list:
    record = _search(state, command.search)
    if record.status != "running":
        raise CommandError("$.search", f"search {record.search} is {record.status}, not running")
    return [k.AutoSearchPaused(record.search)]


def resume(state: SessionState, command, call) -> list:
    record = _search(state, command.search)
    if record.status != "paused":
        raise CommandError("$.search", f"search {record.search} is {record.status}, not paused")
    return [k.AutoSearchResumed(record.search)]


def stop(state: SessionState, command, call) -> list:
    record = _search(state, command.search)
    if record.status == "stopped":
        raise CommandError("$.search", f"search {record.search} is stopped already")
    return [k.AutoSearchStopped(record.search)]


def change_budget(state: SessionState, command, call) -> list:
    record = _search(state, command.search)
    _budget(command.models, command.epochs, "$.models")
    if (command.models, command.epochs) == (record.models, record.epochs):
        raise CommandError("$", f"search {record.search} has this budget already")
    return [k.AutoSearchBudgetChanged(record.search, command.models, command.epochs)]


def constrain(state: SessionState, command, call) -> list:
    record = _search(state, command.search)
    constraints = _constraints(command)
    if constraints == record.spec.constraints:
        raise CommandError("$", f"search {record.search} has these constraints already")
    return [k.AutoSearchConstrained(record.search, constraints)]


def set_median_rule(state: SessionState, command, call) -> list:
    wanted = command.min_models if command.on else None
    if wanted == state.median_rule:
        now = f"on (after {wanted} others)" if wanted is not None else "off"
        raise CommandError("$.on", f"the median stopping rule is {now} already")
    return [k.MedianRuleChanged(wanted)]


def add_population(state: SessionState, command, call) -> list:
    record = _search(state, command.search)
    models = _models(state, tuple(command.models), "$.models")
    new = tuple(m for m in models if m not in record.population)
    if not new:
        raise CommandError(
            "$.models", f"these models are in search {record.search}'s population already"
        )
    return [k.AutoSearchPopulationAdded(record.search, new)]
