"""Scripted users (issue 21): policies that drive the same commands a person sends
from REMAP's UI (sample, ablate, vary, handcraft), so that their sessions are ordinary
sessions anyone can open and watch. Pure: each is a generator that yields the next
command and is sent the session's state once everything that command queued has
trained (`nas_core.study.run` drives it). A policy decides from validation accuracy
(what the overview shows), never from the test split or from the budget left.

``user-paper`` follows the use case of the REMAP paper (section 7): sample an overview;
pick the smallest model on the Pareto front of (validation accuracy, parameters) that
has "reasonably high accuracy" (here: within 90 % of the best so far) and is not yet
explored; ablate it (every layer but the classifier, flatten and a lone conv: the
subselection of C2); vary the ablation that improved most (the baseline when none
did); then handcraft the combination: all improving removals at once, and the round's
best model made smaller (its widest layer halved, as the paper's "filters 32 → 16").
Then the next baseline, from the front as it is now.

``user-vary-best``: sample the same overview, then keep varying the most accurate
model.
"""

from __future__ import annotations

from collections.abc import Generator

from nas_core.arch.layers import Conv, Dense, Flatten
from nas_core.events import SessionState
from nas_core.events.commands import Ablate, Command, Handcraft, Sample, Vary
from nas_core.events.fold import ModelState
from nas_core.events.kinds import Ablation
from nas_core.events.seeds import derive_seed
from nas_core.generators.handcraft import RemoveEdit, Reparam

__all__ = ["User", "baseline", "front_models", "make_user", "val_acc"]

User = Generator[Command, SessionState, None]
NEAR_BEST = 0.9
"""A baseline's validation accuracy is at least this fraction of the best so far."""


def val_acc(m: ModelState) -> float:
    """The validation accuracy of the weights a model was tested with."""
    if m.result is None or not m.curve:
        return 0.0
    at = min(m.result.best_epoch, len(m.curve)) - 1
    return m.curve[at].val_acc


def _trained(state: SessionState) -> list[ModelState]:
    return [m for m in state.models.values() if m.status == "done" and m.result is not None]


def front_models(state: SessionState) -> list[ModelState]:
    """The trained models on the Pareto front of (validation accuracy, fewer params),
    smallest first (the lower right edge of REMAP's overview)."""
    front, best = [], -1.0
    for m in sorted(_trained(state), key=lambda m: (m.params, -val_acc(m), m.created_seq)):
        if val_acc(m) > best:
            front.append(m)
            best = val_acc(m)
    return front


def baseline(state: SessionState, explored: set[str]) -> ModelState | None:
    """The next model to explore: the smallest front model within `NEAR_BEST` of the
    best accuracy; else the most accurate unexplored model; None when all are."""
    trained = [m for m in _trained(state) if m.id not in explored]
    if not trained:
        return None
    best = max(val_acc(m) for m in _trained(state))
    for m in front_models(state):
        if m.id not in explored and val_acc(m) >= NEAR_BEST * best:
            return m
    return max(trained, key=lambda m: (val_acc(m), -m.params, -m.created_seq))


def _ablatable(m: ModelState) -> tuple[int, ...]:
    layers = m.arch.layers
    last_dense = max((i for i, x in enumerate(layers) if isinstance(x, Dense)), default=-1)
    convs = [i for i, x in enumerate(layers) if isinstance(x, Conv)]
    skip = {last_dense} | (set(convs) if len(convs) == 1 else set())
    return tuple(i for i, x in enumerate(layers) if i not in skip and not isinstance(x, Flatten))


def _children(state: SessionState, batch: str) -> list[ModelState]:
    return [
        m for m in state.models.values()
        if getattr(m.origin, "batch", None) == batch and m.status == "done"
    ]  # fmt: skip


def _slimmer(m: ModelState) -> Reparam | None:
    """Halve the widest conv or hidden dense layer of `m` (None: nothing to halve)."""
    layers = m.arch.layers
    last_dense = max((i for i, x in enumerate(layers) if isinstance(x, Dense)), default=-1)
    widths = [
        (x.filters if isinstance(x, Conv) else x.units, i)
        for i, x in enumerate(layers)
        if isinstance(x, Conv) or (isinstance(x, Dense) and i != last_dense)
    ]
    if not widths:
        return None
    width, index = max(widths, key=lambda w: (w[0], -w[1]))
    if width < 4:
        return None
    key = "filters" if isinstance(layers[index], Conv) else "units"
    return Reparam(index=index, params={key: width // 2})


def paper_user(seed: int, overview: int = 10, variations: int = 5) -> User:
    """The REMAP paper's use case as a script (see the module)."""
    state = yield Sample(id="user-overview", count=overview, seed=seed)
    explored: set[str] = set()
    for r in range(10_000):
        b = baseline(state, explored)
        if b is None:
            return
        explored.add(b.id)
        improved: list[ModelState] = []
        indices = _ablatable(b)
        if indices:
            batch = f"user-r{r}-ablate-{b.id}"
            state = yield Ablate(id=batch, model=b.id, indices=indices)
            improved = [c for c in _children(state, batch) if val_acc(c) > val_acc(b)]
        improved.sort(key=lambda c: (-val_acc(c), c.params, c.created_seq))
        target = state.models[improved[0].id] if improved else b
        batch = f"user-r{r}-vary-{target.id}"
        state = yield Vary(
            id=batch, model=target.id, count=variations, seed=derive_seed("user-paper", seed, r)
        )
        round_models = [b, *improved, *_children(state, batch)]
        if len(improved) >= 2:  # the removals that helped, all at once
            removed = sorted(
                (c.origin.index for c in improved if isinstance(c.origin, Ablation)), reverse=True
            )
            state = yield Handcraft(
                id=f"user-r{r}-combine-{b.id}", model=b.id,
                edits=tuple(RemoveEdit(index=i) for i in removed),
            )  # fmt: skip
            round_models += _children(state, f"user-r{r}-combine-{b.id}")
        top = max(round_models, key=lambda m: (val_acc(m), -m.params))
        slim = _slimmer(top)
        if slim is not None:
            state = yield Handcraft(id=f"user-r{r}-slim-{top.id}", model=top.id, edits=(slim,))


def vary_best_user(seed: int, overview: int = 10, variations: int = 5) -> User:
    """Keep varying the most accurate model (see the module)."""
    state = yield Sample(id="user-overview", count=overview, seed=seed)
    for r in range(100_000):
        trained = _trained(state)
        if not trained:
            return
        best = max(trained, key=lambda m: (val_acc(m), -m.params, -m.created_seq))
        state = yield Vary(
            id=f"user-r{r}-vary-{best.id}", model=best.id, count=variations,
            seed=derive_seed("user-vary-best", seed, r),
        )  # fmt: skip


def make_user(policy: str, seed: int, overview: int, variations: int) -> User:
    """The scripted user called `policy` (`nas_core.study.spec.SCRIPTED`)."""
    if policy == "user-paper":
        return paper_user(seed, overview, variations)
    if policy == "user-vary-best":
        return vary_best_user(seed, overview, variations)
    raise ValueError(f"no scripted user {policy!r}")
