"""NASBOT-style Bayesian optimisation (Kandasamy et al., "Neural Architecture Search
with Bayesian Optimisation and Optimal Transport", NeurIPS 2018).

A GP (`gp`) on the OTMANN distance (``"nasbot"`` vocabulary, normalised, see
`distance`) models the best validation accuracy of the finished models. Candidates
are drawn by the variation generator from the best models (`parents`, default 10,
each giving an equal share of `candidates`, default 1,000): NASBOT's evolutionary
acquisition optimiser, one generation. A step proposes the candidate of highest
expected improvement over the best accuracy so far; a batch of `count` proposals takes
the next highest whose parent differs from earlier picks' where it can (a cheap
diversification; NASBOT's asynchronous workers use the posterior of the observed
models only, so do we). Until `initial` (default 5) models are finished it proposes
fresh samples. Each proposal says why: its EI, mean, sd, the parent and the changes.
"""

from __future__ import annotations

import numpy as np

from nas_core.arch import Architecture

from . import gp
from .context import Context, best_acc
from .seeds import derive
from .types import Proposal

__all__ = ["candidates", "propose_bayesopt"]


def candidates(ctx: Context, step: int, parents, total: int) -> list:
    """``(parent, child)`` pairs: up to `total` new children of `parents`, satisfying
    the constraints' parameter cap and layer kinds (the region is checked on picks)."""
    share = max(1, total // max(1, len(parents)))
    out = []
    for rank, parent in enumerate(parents):
        seed = derive(ctx.spec.seed, "candidates", step, rank)
        for child in ctx.mutations(parent.arch, share, seed):
            out.append((parent, child))
    return out


def propose_bayesopt(ctx: Context, step: int, count: int) -> list[Proposal]:
    opts = ctx.spec.options
    initial = int(opts.get("initial", 5))
    n_parents = int(opts.get("parents", 10))
    total = int(opts.get("candidates", 1000))
    done = [o for o in ctx.observed if o.finished and o.val_acc]
    out: list[Proposal] = []
    if len(done) < initial:
        for k in range(step, step + count):
            arch = ctx.fresh(k, f"b{k}")
            if arch is not None:
                why = f"initial design: a fresh sample ({len(done)} of {initial} finished)"
                out.append(Proposal(k, "new", arch, None, ctx.spec.epochs, why))
        return out
    y = np.array([best_acc(o) for o in done])
    d = ctx.cache.matrix([o.arch for o in done], [o.arch for o in done], "nasbot", keep=True)
    fitted = gp.fit(d, y)
    order = sorted(range(len(done)), key=lambda i: (-y[i], i))
    parents = [done[i] for i in order[:n_parents]]
    pool = candidates(ctx, step, parents, total)
    if not pool:
        return out
    d_new = ctx.cache.matrix([c.arch for _, c in pool], [o.arch for o in done], "nasbot")
    mu, sigma = gp.posterior(fitted, d_new)
    best = float(y.max())
    ei = gp.expected_improvement(mu, sigma, best)
    ranked = sorted(range(len(pool)), key=lambda i: (-ei[i], i))
    used_parents: set[str] = set()
    picked: set[int] = set()
    k = step
    for pass_ in (0, 1):  # first distinct parents, then any
        for i in ranked:
            if len(out) == count:
                break
            parent, child = pool[i]
            if i in picked or (pass_ == 0 and parent.model_id in used_parents):
                continue
            arch = Architecture(name=f"b{k}", input=child.arch.input, layers=child.arch.layers)
            if not ctx.accept(arch):
                continue
            picked.add(i)
            used_parents.add(parent.model_id)
            why = (
                f"mutated {parent.model_id}: {'; '.join(child.description)}; "
                f"EI {ei[i]:.4f} (mean {mu[i]:.3f}, sd {sigma[i]:.3f}), best so far {best:.3f}"
            )
            scores = {
                "ei": float(ei[i]), "mu": float(mu[i]), "sigma": float(sigma[i]),
                "best": best, "beta": fitted.beta, "noise": fitted.noise,
                "candidates": float(len(pool)),
            }  # fmt: skip
            out.append(Proposal(k, "new", arch, parent.model_id, ctx.spec.epochs, why, scores))
            k += 1
    return out
