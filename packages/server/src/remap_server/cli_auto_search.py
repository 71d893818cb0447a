"""`remap new --strategy NAME --models N` (issue 21): the new session's models come from
an automated search instead of the sampling chain. The flags here; `cmd_new` calls
`start_auto_search` in place of the ready-made start."""

from __future__ import annotations

import argparse

__all__ = ["add_auto_search_flags", "start_auto_search"]


def add_auto_search_flags(p: argparse.ArgumentParser) -> None:
    from nas_core.strategies import STRATEGY_NAMES

    p.add_argument(
        "--strategy",
        default=None,
        choices=list(STRATEGY_NAMES),
        metavar="NAME",
        help=f"propose the models with an automated search: {', '.join(STRATEGY_NAMES)} "
        "(--models is then its budget; --seed its seed)",
    )
    p.add_argument(
        "--budget-epochs",
        type=int,
        default=None,
        metavar="N",
        help="with --strategy: stop once the search has queued N model-epochs",
    )
    p.add_argument(
        "--median-stop",
        action="store_true",
        help="with --strategy: stop a training whose best validation accuracy so far is "
        "below the median of the search's other models at the same epoch",
    )


def start_auto_search(service, session: str, args: argparse.Namespace) -> None:
    """Start the search `args` ask for in `session` (its budget: --models and/or
    --budget-epochs; each model trains --epochs epochs; the session's --max-params is
    its parameter cap too)."""
    from nas_core.events.commands import StartAutoSearch

    service.execute(
        session,
        StartAutoSearch(
            id=f"new-{args.strategy}", strategy=args.strategy, models=args.models,
            budget_epochs=args.budget_epochs, epochs=args.epochs, seed=args.seed,
            max_params=args.max_params, median_stop=getattr(args, "median_stop", False),
        ),
    )  # fmt: skip
