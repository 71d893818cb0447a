"""The random chain: today's start, one fresh sample of the search space's Markov chain
per step (`generators.sample`), each with a seed derived from the search's and the step."""

from __future__ import annotations

from .context import Context
from .types import Proposal

__all__ = ["propose_random"]


def propose_random(ctx: Context, step: int, count: int) -> list[Proposal]:
    out = []
    for k in range(step, step + count):
        arch = ctx.fresh(k, f"s{k}")
        if arch is not None:
            why = "a fresh sample of the chain"
            out.append(Proposal(k, "new", arch, None, ctx.spec.epochs, why))
    return out
