"""The automated-search side of the event-log simulation (issue 21): real steering
commands through `decide`, and the service's proposal step (`follow`, with the real
strategies package) played against the simulated state, so that logs hold every
steering kind and models of origin "auto_search". `auto_search_step(sim, n)` is one step
(the random sessions' ``"auto_search"`` action)."""

from __future__ import annotations

from nas_core.events.commands import (
    AddToAutoSearch,
    ConstrainAutoSearch,
    PauseAutoSearch,
    ResumeAutoSearch,
    SetAutoSearchBudget,
    SetMedianRule,
    StartAutoSearch,
    StopAutoSearch,
)
from nas_core.service.auto_search import follow, space_of

__all__ = ["auto_search_step", "auto_search_story"]


def auto_search_step(sim, n: int) -> None:
    """One steering step chosen by `n`, then what the running searches propose."""
    searches = sim.state.auto_searches
    choice = n % 8
    models = list(sim.state.models)
    if not searches or choice == 0:
        sim.try_command(
            StartAutoSearch(
                strategy="random", models=2 + n % 4, seed=n, epochs=1 + n % 2,
                max_params=None if n % 3 else 50_000, forbid_kinds=("tanh",) if n % 2 else (),
            )
        )  # fmt: skip
    elif choice == 1:
        sim.try_command(PauseAutoSearch())
    elif choice == 2:
        sim.try_command(ResumeAutoSearch())
    elif choice == 3:
        sim.try_command(SetAutoSearchBudget(models=1 + n % 6, epochs=None if n % 2 else 40))
    elif choice == 4:
        sim.try_command(ConstrainAutoSearch(max_params=30_000 + n % 5 * 10_000))
    elif choice == 5 and models:
        sim.try_command(AddToAutoSearch(models=(models[n % len(models)],)))
    elif choice == 6 and n % 5 == 0:
        sim.try_command(StopAutoSearch())
    elif choice == 7:
        sim.try_command(SetMedianRule(on=bool(n % 2), min_models=1 + n % 5))
    if sim.state.auto_searches:
        sim.append(follow(sim.state, space_of(sim.state)))


def auto_search_story(sim) -> None:
    """Every steering kind once, with the fold's guards: a search started, given the
    population, constrained, paused (twice: the second changes nothing), its budget
    raised, resumed, proposing, a training median-stopped (twice: once counts), the
    session's own median rule on, stopping a training, and off, the search stopped
    (then a late resume changes nothing), and steps for a search that does not exist."""
    from nas_core.events import Pending
    from nas_core.events import kinds as k

    models = list(sim.state.models)[:2]
    sim.command(StartAutoSearch(strategy="random", models=2, seed=2**62 + 5, epochs=1))
    sim.append(follow(sim.state, space_of(sim.state)))
    sim.command(AddToAutoSearch(models=tuple(models)))
    sim.append([Pending("as-dup", k.AutoSearchPopulationAdded("a1", (models[0], models[0])))])
    sim.command(ConstrainAutoSearch(max_params=40_000, forbid_kinds=("tanh",)))
    sim.command(PauseAutoSearch())
    sim.append([Pending("as-pause-again", k.AutoSearchPaused("a1"))])
    sim.command(SetAutoSearchBudget(models=3, epochs=50))
    sim.command(ResumeAutoSearch())
    sim.append(follow(sim.state, space_of(sim.state)))
    stopped = k.AutoSearchMedianStopped("a1", models[0], 1, 1, 0.4, 0.6, 5)
    sim.append([Pending("as-median", stopped), Pending("as-median-again", stopped)])
    # the session's rule for any training: on, a training stopped (twice: once counts,
    # and one of a model the session lacks: nothing), off
    sim.command(SetMedianRule(on=True, min_models=3))
    by_rule = k.TrainingMedianStopped(models[1], 1, 1, 0.2, 0.5, 3)
    sim.append([Pending("rule-stop", by_rule), Pending("rule-stop-again", by_rule)])
    ghost = k.TrainingMedianStopped("m999", 1, 1, 0.2, 0.5, 3)
    sim.append([Pending("rule-ghost", ghost)])
    sim.command(SetMedianRule(on=False))
    sim.command(StopAutoSearch())
    sim.append([Pending("as-late", k.AutoSearchResumed("a1"))])
    sim.append([Pending("as-ghost", k.AutoSearchBudgetChanged("a9", models=1))])
