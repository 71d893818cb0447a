"""The automated searches of a session's read model (`SessionState.auto_searches`,
issue 21): each search's spec, budget, status and the population it was given. What it
proposed and how much of its budget that used is derived from the models whose origin
names it (`nas_core.events.auto_search_state`), so nothing is counted twice. Pure, like
the rest of the fold; `packages/ui/src/core/fold.js` mirrors it (`tests/test_ui_fold.py`).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from nas_core.strategies import Constraints, SearchSpec

from . import kinds as k

__all__ = ["AUTO_SEARCH_HANDLERS", "AutoSearchRecord", "apply_auto_search"]

AutoSearchStatus = Literal["running", "paused", "stopped"]


class AutoSearchRecord(msgspec.Struct, frozen=True, gc=False):
    """A search as its steering events left it: `models` / `epochs` its budget (None:
    no cap of that kind), `population` the models it was given (its scope, then those
    added), `started_seq` the seq of its start, `stopped_early` the models whose
    training the median stopping rule stopped (in the order it stopped them)."""

    search: str
    spec: SearchSpec
    models: int | None
    epochs: int | None
    population: tuple[str, ...]
    median_stop: bool
    started_seq: int
    status: AutoSearchStatus = "running"
    stopped_early: tuple[str, ...] = ()

    @property
    def constraints(self) -> Constraints:
        return self.spec.constraints


def _started(d: dict, e: k.AutoSearchStarted, env) -> None:
    if e.search not in d:
        d[e.search] = AutoSearchRecord(
            e.search, e.spec, e.models, e.epochs, tuple(e.scope), e.median_stop, env.seq
        )


def _status(status: AutoSearchStatus, *, unless: tuple[str, ...]):
    def handler(d: dict, e, env) -> None:
        r = d.get(e.search)
        if r is not None and r.status not in unless:
            d[e.search] = msgspec.structs.replace(r, status=status)

    return handler


def _budget(d: dict, e: k.AutoSearchBudgetChanged, env) -> None:
    r = d.get(e.search)
    if r is not None:
        d[e.search] = msgspec.structs.replace(r, models=e.models, epochs=e.epochs)


def _constrained(d: dict, e: k.AutoSearchConstrained, env) -> None:
    r = d.get(e.search)
    if r is not None:
        spec = msgspec.structs.replace(r.spec, constraints=e.constraints)
        d[e.search] = msgspec.structs.replace(r, spec=spec)


def _population(d: dict, e: k.AutoSearchPopulationAdded, env) -> None:
    r = d.get(e.search)
    if r is not None:
        added = tuple(m for m in dict.fromkeys(e.models) if m not in r.population)
        d[e.search] = msgspec.structs.replace(r, population=(*r.population, *added))


def _median_stopped(d: dict, e: k.AutoSearchMedianStopped, env) -> None:
    r = d.get(e.search)
    if r is not None and e.model not in r.stopped_early:
        d[e.search] = msgspec.structs.replace(r, stopped_early=(*r.stopped_early, e.model))


AUTO_SEARCH_HANDLERS = {
    k.AutoSearchStarted: _started,
    k.AutoSearchPaused: _status("paused", unless=("stopped", "paused")),
    k.AutoSearchResumed: _status("running", unless=("stopped", "running")),
    k.AutoSearchStopped: _status("stopped", unless=("stopped",)),
    k.AutoSearchBudgetChanged: _budget,
    k.AutoSearchConstrained: _constrained,
    k.AutoSearchPopulationAdded: _population,
    k.AutoSearchMedianStopped: _median_stopped,
}


def apply_auto_search(searches: dict, event, env) -> None:
    """Apply one steering event to `searches` (a copy the caller owns)."""
    AUTO_SEARCH_HANDLERS[type(event)](searches, event, env)
