"""Hyperband (Li et al., "Hyperband: A Novel Bandit-Based Approach to Hyperparameter
Optimization", JMLR 2017) over epochs, with successive halving inside each bracket.

With R = the search's epochs and eta (default 3), s_max = floor(log_eta R); bracket s
(s_max down to 0) starts n = ceil((s_max + 1) / (s + 1) * eta^s) models at
r = R / eta^s epochs (rounded, at least 1); rung i keeps floor(n / eta^i) of them at
r * eta^i epochs. The plan is a fixed sequence of slots, one per step: a bracket's
rung-0 slots are fresh samples ("new"), its rung-i slots are promotions ("continue":
train a model of rung i-1 for the epochs up to rung i from its stored weights), so
the curves of promoted models interleave with new ones as in MAST's Hyperband view.
After the last bracket the plan repeats (a new Hyperband iteration).

State comes from `observed` alone: rung 0 of a bracket is the models proposed at its
slots (`proposed_by_step`); rung i is the top floor(n / eta^i) of rung i-1 by
validation accuracy at rung i-1's epochs (ties: model id). A promotion step waits
(no proposal) until every model of the rung below has its epochs or has stopped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from .context import Context
from .types import Observed, Proposal

__all__ = ["Rung", "Slot", "brackets", "plan", "propose_hyperband", "slot"]


class Rung(NamedTuple):
    models: int
    epochs: int


class Slot(NamedTuple):
    iteration: int
    bracket: int
    """s: s_max for the most aggressive bracket, down to 0."""
    rung: int
    index: int
    first_step: int
    """The step of the bracket's first slot."""


def brackets(max_epochs: int, eta: int) -> list[tuple[int, list[Rung]]]:
    """``[(s, rungs)]`` from s_max down to 0 (the paper's table)."""
    if max_epochs < 1 or eta < 2:
        raise ValueError(f"Hyperband needs epochs >= 1 and eta >= 2, not {max_epochs}, {eta}")
    s_max = 0
    while eta ** (s_max + 1) <= max_epochs:
        s_max += 1  # floor(log_eta R) without float error
    out = []
    for s in range(s_max, -1, -1):
        n = math.ceil((s_max + 1) * eta**s / (s + 1))
        rungs = []
        for i in range(s + 1):
            epochs = max(1, round(max_epochs * eta ** (i - s)))
            rungs.append(Rung(n // eta**i, epochs))
        out.append((s, rungs))
    return out


def plan(max_epochs: int, eta: int) -> list[tuple[int, int, int, int]]:
    """One iteration's slots in step order: ``(s, rung, index, bracket's first slot)``."""
    out = []
    for s, rungs in brackets(max_epochs, eta):
        first = len(out)
        for i, rung in enumerate(rungs):
            out.extend((s, i, j, first) for j in range(rung.models))
    return out


def slot(step: int, max_epochs: int, eta: int) -> Slot:
    """The slot of `step`."""
    slots = plan(max_epochs, eta)
    iteration, k = divmod(step, len(slots))
    s, i, j, first = slots[k]
    return Slot(iteration, s, i, j, iteration * len(slots) + first)


def _acc_at(o: Observed, epochs: int) -> float:
    return o.val_acc[epochs - 1] if len(o.val_acc) >= epochs else -1.0


def _done(o: Observed, epochs: int) -> bool:
    return len(o.val_acc) >= epochs or (o.finished and o.epochs >= epochs)


def rung_members(
    observed: Sequence[Observed], at: Slot, rung: int, rungs: list[Rung]
) -> list[Observed] | None:
    """The models of `rung` of the bracket of `at`, best first, or None while the
    rung below is still training."""
    zero_steps = range(at.first_step, at.first_step + rungs[0].models)
    members = [o for o in observed if o.proposed_by_step in zero_steps]
    for i in range(1, rung + 1):
        below = rungs[i - 1].epochs
        if not all(_done(o, below) for o in members):
            return None
        members = sorted(members, key=lambda o: (-_acc_at(o, below), o.model_id))
        members = members[: rungs[i].models]
    return members


def propose_hyperband(ctx: Context, step: int, count: int) -> list[Proposal]:
    eta = int(ctx.spec.options.get("eta", 3))
    table = dict(brackets(ctx.spec.epochs, eta))
    out = []
    for k in range(step, step + count):
        at = slot(k, ctx.spec.epochs, eta)
        rungs = table[at.bracket]
        where = f"bracket s={at.bracket}, rung {at.rung} ({rungs[at.rung].epochs} epochs)"
        if at.rung == 0:
            arch = ctx.fresh(k, f"h{k}")
            if arch is not None:
                why = f"Hyperband {where}: a fresh sample"
                scores = {"bracket": at.bracket, "rung": 0}
                out.append(Proposal(k, "new", arch, None, rungs[0].epochs, why, scores))
            continue
        members = rung_members(ctx.observed, at, at.rung, rungs)
        if members is None:
            break  # the rung below is training: this step waits
        if at.index >= len(members):
            continue  # fewer models reached this rung (some were left out)
        model = members[at.index]
        below = rungs[at.rung - 1].epochs
        if ctx.spec.constraints.region is not None and model.position is None:
            continue  # its place cannot be checked
        problem = ctx.check_model(model)
        if problem is not None:
            continue
        acc = _acc_at(model, below)
        why = (
            f"Hyperband {where}: promote {model.model_id}, "
            f"#{at.index + 1} of rung {at.rung - 1} (val acc {acc:.3f} at {below} epochs)"
        )
        scores = {"bracket": at.bracket, "rung": at.rung, "val_acc": acc}
        more = rungs[at.rung].epochs - below
        out.append(Proposal(k, "continue", None, model.model_id, more, why, scores))
    return out
