"""`remap new --strategy NAME --models N` (issue 21): the new session's models come from
an automated search instead of the sampling chain; `--median-rule` turns the session's
median stopping rule on for every training. The flags here; `cmd_new` calls
`set_median_rule`, then `start_auto_search` in place of the ready-made start."""

from __future__ import annotations

import argparse

__all__ = ["add_auto_search_flags", "set_median_rule", "start_auto_search"]


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
    p.add_argument(
        "--median-rule",
        type=_model_count,
        nargs="?",
        const=5,
        default=None,
        metavar="N",
        help="the median stopping rule for every training of the session, searched or "
        "sampled: stop one whose best validation accuracy so far is below the median of "
        "the session's other models at its epoch, once N of them (5) have reached it",
    )


def _model_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"must be a number of models from 1 to 1000, not {text!r}")
    return value


def set_median_rule(service, session: str, args: argparse.Namespace) -> None:
    """Turn the session's median stopping rule on when `--median-rule` asks for it."""
    from nas_core.events.commands import SetMedianRule

    if getattr(args, "median_rule", None) is not None:
        service.execute(session, SetMedianRule(on=True, min_models=args.median_rule))


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
