"""`propose`: the one entry point the steering code calls, whatever the strategy."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nas_core.arch import Input, Limits
from nas_core.errors import NasCoreError
from nas_core.generators import SearchSpace

from .bayesopt import propose_bayesopt
from .context import Context
from .distance import DistanceCache
from .evolution import propose_evolution
from .hyperband import propose_hyperband
from .metaqnn import propose_metaqnn
from .random_chain import propose_random
from .types import Observed, Proposal, SearchSpec

__all__ = ["STRATEGY_NAMES", "StrategyError", "propose"]

_STRATEGIES: dict[str, Callable[[Context, int, int], list[Proposal]]] = {
    "random": propose_random,
    "evolution": propose_evolution,
    "hyperband": propose_hyperband,
    "bayesopt": propose_bayesopt,
    "metaqnn": propose_metaqnn,
}
STRATEGY_NAMES: tuple[str, ...] = tuple(_STRATEGIES)


class StrategyError(NasCoreError, ValueError):
    """Raised when a strategy cannot run a search spec (unknown strategy, bad option)."""


def propose(
    spec: SearchSpec,
    observed: Sequence[Observed],
    step: int,
    count: int,
    *,
    space: SearchSpace,
    input_shape: tuple[int, int, int],
    num_classes: int,
    limits: Limits | None = None,
    distance: DistanceCache | None = None,
) -> list[Proposal]:
    """Up to `count` proposals for steps `step`, `step + 1`, ... (a step that cannot be
    made is left out; Hyperband stops at a promotion whose rung is still training).
    Each satisfies `spec.constraints`. Deterministic in (spec, observed, step, count,
    space, input, limits); `distance` only caches OTMANN pairs across calls (pass the
    same `DistanceCache` to every call of a session to reuse them)."""
    if spec.strategy not in _STRATEGIES:
        raise StrategyError(
            f"unknown strategy {spec.strategy!r}: use one of {', '.join(STRATEGY_NAMES)}"
        )
    if step < 0 or count < 0:
        raise StrategyError(f"step and count must be >= 0, not {step} and {count}")
    if spec.epochs < 1:
        raise StrategyError(f"a search trains each model for >= 1 epoch, not {spec.epochs}")
    ctx = Context(
        spec=spec,
        observed=observed,
        space=space,
        input=Input(shape=tuple(input_shape), classes=num_classes),
        limits=limits or Limits(),
        cache=distance if distance is not None else DistanceCache(),
    )
    try:
        return _STRATEGIES[spec.strategy](ctx, step, count)
    except ValueError as exc:
        if isinstance(exc, StrategyError):
            raise
        raise StrategyError(f"{spec.strategy} search: {exc}") from exc
