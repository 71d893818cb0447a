"""Automated searches (issue 21): pure, seeded strategies that propose models.

No clock, no global random state, no I/O: a strategy's state (population, rung, GP
fit, Q table) is recomputed from the models it is given, so a replay or a re-execution
proposes the same models. `propose` dispatches on `SearchSpec.strategy`."""

from .constraints import estimate_position, inside, violation
from .distance import DistanceCache
from .evolution import population, tournament
from .gp import expected_improvement, fit, posterior
from .hyperband import brackets, plan, slot
from .median_stop import median_stop
from .metaqnn import PAPER_SCHEDULE, epsilon
from .propose import STRATEGY_NAMES, StrategyError, propose
from .types import Constraints, Observed, Proposal, SearchSpec

__all__ = [
    "PAPER_SCHEDULE",
    "STRATEGY_NAMES",
    "Constraints",
    "DistanceCache",
    "Observed",
    "Proposal",
    "SearchSpec",
    "StrategyError",
    "brackets",
    "epsilon",
    "estimate_position",
    "expected_improvement",
    "fit",
    "inside",
    "median_stop",
    "plan",
    "population",
    "posterior",
    "propose",
    "slot",
    "tournament",
    "violation",
]
