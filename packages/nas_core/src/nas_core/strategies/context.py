"""What every strategy shares: the session's search space, input and limits, the
distance cache, and drawing a fresh sample or a mutation that satisfies the
constraints (retrying with derived seeds; never returning one that breaks them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nas_core.arch import Architecture, Input, Limits, arch_hash
from nas_core.errors import GeneratorError
from nas_core.generators import Child, SearchSpace, allow_all, sample, vary

from .constraints import violation
from .distance import DistanceCache
from .seeds import derive
from .types import Observed, SearchSpec

__all__ = ["ATTEMPTS", "Context", "best_acc"]

ATTEMPTS = 20
"""Draws tried for one proposal before it is left out."""


def best_acc(o: Observed) -> float:
    """A model's score: its best validation accuracy so far (0 before any epoch)."""
    return max(o.val_acc, default=0.0)


@dataclass
class Context:
    spec: SearchSpec
    observed: Sequence[Observed]
    space: SearchSpace
    input: Input
    limits: Limits
    cache: DistanceCache
    taken: set[str] = field(default_factory=set)
    """`arch_hash` of the observed models and of the proposals made so far."""

    def __post_init__(self) -> None:
        # each step hashes the same observed architectures again: keep their digests
        # for the session, by object (the entry holds the object, so its id stays its own)
        known: dict = self.cache.derived.setdefault("arch_hash", {})  # type: ignore[assignment]
        for o in self.observed:
            entry = known.get(id(o.arch))
            if entry is None or entry[0] is not o.arch:
                entry = known[id(o.arch)] = (o.arch, arch_hash(o.arch))
            self.taken.add(entry[1])
        cap = self.spec.constraints.max_params
        if cap is not None and cap < self.limits.max_params:
            self.limits = Limits(
                max_params=cap, max_depth=self.limits.max_depth, max_flops=self.limits.max_flops
            )

    def check(self, arch: Architecture) -> str | None:
        return violation(arch, self.spec.constraints, self.observed, self.cache)

    def check_model(self, model: Observed) -> str | None:
        """Why continuing `model` would break the constraints (at its known place)."""
        return violation(
            model.arch, self.spec.constraints, self.observed, self.cache, model.position
        )

    def accept(self, arch: Architecture) -> bool:
        """Whether `arch` is new and satisfies the constraints; if so it is taken."""
        digest = arch_hash(arch)
        if digest in self.taken or self.check(arch) is not None:
            return False
        self.taken.add(digest)
        return True

    def fresh(self, step: int, name: str) -> Architecture | None:
        """A sample of the chain that satisfies the constraints, or None."""
        for attempt in range(ATTEMPTS):
            seed = derive(self.spec.seed, "sample", step, attempt)
            try:
                (arch,) = sample(
                    seed, 1, input=self.input, space=self.space, limits=self.limits,
                    existing=frozenset(self.taken), name_prefix=name,
                )  # fmt: skip
            except GeneratorError:
                continue
            arch = Architecture(name=name, input=arch.input, layers=arch.layers)
            if self.accept(arch):
                return arch
        return None

    def mutations(self, parent: Architecture, count: int, seed: int) -> list[Child]:
        """Up to `count` new variations of `parent` (the variation generator's atomic
        changes, at most two), not yet checked against the constraints."""
        # vary refuses a count it cannot make: ask for fewer until it can
        while count > 0:
            try:
                children, _ = vary(
                    parent, count, seed=seed, allowed=allow_all(parent), space=self.space,
                    limits=self.limits, existing=frozenset(self.taken),
                    max_attempts=3 * count + 10,
                )  # fmt: skip
            except GeneratorError:
                count //= 2
                continue
            return children
        return []

    def mutate(self, parent: Architecture, step: int, name: str) -> Child | None:
        """One variation of `parent` that satisfies the constraints, or None."""
        for attempt in range(ATTEMPTS):
            for child in self.mutations(parent, 1, derive(self.spec.seed, "vary", step, attempt)):
                arch = Architecture(name=name, input=child.arch.input, layers=child.arch.layers)
                if self.accept(arch):
                    return Child(arch, child.changes, child.description)
        return None
