"""Regularized (aging) evolution (Real et al., "Regularized Evolution for Image
Classifier Architecture Search", AAAI 2019).

The population is the last `population` (P, default 20) models of the search that
have a result, in the order they joined it (a model a person adds joins at its place
in that order): the oldest leaves as a new one arrives. Until the search holds P
models it proposes fresh samples (the paper's random initial population). Then each
step samples `sample` (S, default 5) members uniformly without replacement, takes the
best (by best validation accuracy; ties: the younger), and proposes one mutation of it
(the variation generator's atomic changes). Everything is recomputed from `observed`
each call; a step's draws are seeded by (seed, step), so a replay proposes the same.
"""

from __future__ import annotations

from collections.abc import Sequence

from .context import Context, best_acc
from .seeds import stream
from .types import Observed, Proposal

__all__ = ["population", "propose_evolution", "tournament"]


def population(observed: Sequence[Observed], size: int) -> list[Observed]:
    """The last `size` finished models with a result (the oldest first)."""
    return [o for o in observed if o.finished and o.val_acc][-size:]


def tournament(members: Sequence[Observed], sample_size: int, seed: int, step: int) -> Observed:
    """The best of `sample_size` members drawn uniformly without replacement."""
    drawn = stream(seed, "tournament", step).distinct(range(len(members)), sample_size)
    return members[max(drawn, key=lambda i: (best_acc(members[i]), i))]


def propose_evolution(ctx: Context, step: int, count: int) -> list[Proposal]:
    size = int(ctx.spec.options.get("population", 20))
    sample_size = int(ctx.spec.options.get("sample", 5))
    if size < 1 or not 1 <= sample_size <= size:
        raise ValueError(f"evolution needs 1 <= sample ({sample_size}) <= population ({size})")
    members = population(ctx.observed, size)
    joined = len(ctx.observed)
    out = []
    for k in range(step, step + count):
        name = f"e{k}"
        if joined + len(out) < size or len(members) < sample_size:
            arch = ctx.fresh(k, name)
            if arch is not None:
                why = f"initial population: a fresh sample ({joined + len(out) + 1} of {size})"
                out.append(Proposal(k, "new", arch, None, ctx.spec.epochs, why))
            continue
        parent = tournament(members, sample_size, ctx.spec.seed, k)
        child = ctx.mutate(parent.arch, k, name)
        if child is None:
            continue
        why = (
            f"mutated {parent.model_id} (best of {sample_size} of the last {len(members)}, "
            f"val acc {best_acc(parent):.3f}): {'; '.join(child.description)}"
        )
        scores = {"parent_acc": best_acc(parent)}
        out.append(Proposal(k, "new", child.arch, parent.model_id, ctx.spec.epochs, why, scores))
    return out
