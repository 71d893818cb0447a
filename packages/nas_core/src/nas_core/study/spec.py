"""What a study runs (issue 21): its tasks, policies, budgets, seeds and how every
model trains, and the names of its runs' sessions. Pure."""

from __future__ import annotations

import hashlib

import msgspec

from nas_core.errors import NasCoreError
from nas_core.specs import TrainConfig

__all__ = [
    "POLICIES",
    "SCRIPTED",
    "STRATEGIES",
    "StudyError",
    "StudySpec",
    "run_session_id",
]

STRATEGIES = ("random", "evolution", "hyperband", "metaqnn", "bayesopt")
"""The automated searches compared, by their `nas_core.strategies` names."""
SCRIPTED = ("user-paper", "user-vary-best")
"""The scripted users (`nas_core.study.users`)."""
POLICIES = STRATEGIES + SCRIPTED


class StudyError(NasCoreError, ValueError):
    """Raised when a study cannot be run as asked: an unknown policy or task, a budget below
    1 or listed twice, no seeds (the words name the option)."""


class StudySpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A study: every policy on every task with every seed, each run one session that
    trains until it has queued ``max(budgets)`` model-epochs; each budget is measured
    on the models a run queued within it (`nas_core.study.measure`). Every model trains
    `train.epochs` epochs (Hyperband's largest rung), one at a time per session (so
    that what a search has seen when it proposes does not depend on timing)."""

    tasks: tuple[str, ...] = ("digits", "noisy-digits")
    policies: tuple[str, ...] = POLICIES
    budgets: tuple[int, ...] = (100, 300, 1000)
    seeds: int = 5
    train: TrainConfig = TrainConfig(epochs=3, batch_size=64)
    overview: int = 10
    """Models a scripted user samples first (the overview it starts from)."""
    variations: int = 5
    """Variations a scripted user asks for at a time."""
    bayesopt_candidates: int = 300
    """Candidates the GP search scores per proposal."""
    limit: int | None = None
    """At most this many training examples per task (quick runs; None: all)."""

    @property
    def max_budget(self) -> int:
        return max(self.budgets)

    def check(self, known_tasks) -> None:
        """Raise `StudyError` naming the first option that does not make sense."""
        if not self.budgets or any(b < 1 for b in self.budgets):
            raise StudyError(f"--budgets: give model-epochs of 1 or more, not {self.budgets}")
        if len(set(self.budgets)) != len(self.budgets):
            raise StudyError(f"--budgets: a budget is listed twice in {self.budgets}")
        if self.seeds < 1:
            raise StudyError(f"--seeds: run at least 1 seed, not {self.seeds}")
        for name in self.tasks:
            if name not in known_tasks:
                raise StudyError(f"--tasks: no task {name!r} (the tasks: {', '.join(known_tasks)})")
        for name in self.policies:
            if name not in POLICIES:
                raise StudyError(
                    f"--policies: no policy {name!r} (the policies: {', '.join(POLICIES)})"
                )
        if not self.tasks or not self.policies:
            raise StudyError("--tasks and --policies: name at least one of each")
        if min(self.budgets) < self.train.epochs:
            raise StudyError(
                f"--budgets: the smallest budget ({min(self.budgets)}) trains not even one "
                f"model of {self.train.epochs} epochs"
            )

    def digest(self) -> str:
        """Six hex digits that change with everything that makes a run's models
        (not with the budgets below the largest, which only measure)."""
        what = (self.max_budget, self.train, self.overview, self.variations,
                self.bayesopt_candidates)  # fmt: skip
        if self.limit is not None:  # (left out when None: older studies keep their ids)
            what = (*what, self.limit)
        return hashlib.sha256(msgspec.json.encode(what)).hexdigest()[:6]


def run_session_id(spec: StudySpec, task: str, policy: str, seed: int) -> str:
    """The session of one run: readable, and the same for the same study."""
    return f"study-{task}-{policy}-s{seed}-{spec.digest()}"[:64]
