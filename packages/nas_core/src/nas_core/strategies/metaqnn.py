"""MetaQNN (Baker et al., "Designing Neural Network Architectures using Reinforcement
Learning", ICLR 2017): epsilon-greedy Q-learning over the layer transitions of the
sampling chain's own table.

A state is (depth, the previous layer with its parameters; ``start`` at depth 0), an
action the next layer: a kind the chain's row allows after the previous kind (weight
> 0, so the Q-learner walks the same graph the random chain does) with parameters from
the grids that fit the current shape, or the classifier (terminal). A flatten is put
before the first dense as the chain does. Q starts at 0.5 everywhere; after each
finished model joins the replay memory, `replay` (default 100) models are drawn from
it uniformly with replacement and each trajectory is updated from its end with
Q(s, a) <- (1 - alpha) Q(s, a) + alpha (r + max_a' Q(s', a')), alpha 0.01, the reward
r the best validation accuracy at the classifier and 0 before (the paper's rule). The
Q table is a function of `observed` (the finished models in order), so a replay gives
the same table; `QMemo` (kept in the session's `DistanceCache`) continues it from the
longest replayed prefix it holds instead of replaying every model on every call.

Epsilon follows the paper's schedule (Table 2: 1500 models at 1.0, then 100 each at
0.9, 0.8, 0.7 and 150 each at 0.6 ... 0.1, 2,700 in all), scaled to the search's
budget (`budget`, default 100 models): exploration first, then exploitation.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from nas_core.arch import Architecture, ArchitectureError, layer_fields, layer_type, validate
from nas_core.arch.layers import Flatten
from nas_core.arch.shapes import step as shape_step
from nas_core.generators.chain import (
    KINDS,
    Stream,
    chain_kind,
    fits,
    grid_values,
    make_layer,
    next_weights,
)

from .context import ATTEMPTS, Context, best_acc
from .seeds import stream
from .types import Observed, Proposal

__all__ = ["PAPER_SCHEDULE", "QMemo", "QTable", "epsilon", "learn", "propose_metaqnn"]

PAPER_SCHEDULE: tuple[tuple[float, int], ...] = (
    (1.0, 1500), (0.9, 100), (0.8, 100), (0.7, 100), (0.6, 150),
    (0.5, 150), (0.4, 150), (0.3, 150), (0.2, 150), (0.1, 150),
)  # fmt: skip
ALPHA = 0.01
Q_INIT = 0.5
CLASSIFIER = "classifier"

State = tuple[int, str]
QTable = dict[State, dict[str, float]]


def epsilon(step: int, budget: int) -> float:
    """Epsilon for the model at `step` (from 0) of a search of `budget` models."""
    total = sum(n for _, n in PAPER_SCHEDULE)
    at = step * total / max(1, budget)
    for eps, n in PAPER_SCHEDULE:
        if at < n:
            return eps
        at -= n
    return PAPER_SCHEDULE[-1][0]


def token(layer: object) -> str:
    fields = layer_fields(layer)
    inner = ",".join(f"{k}={fields[k]}" for k in sorted(fields))
    return f"{layer_type(layer)}({inner})"


def trajectory(arch: Architecture) -> list[tuple[State, str]]:
    """The (state, action) pairs of `arch`'s walk (flatten is not a step)."""
    layers = [x for x in arch.layers if layer_type(x) != "flatten"]
    out, prev = [], "start"
    for depth, layer in enumerate(layers):
        action = CLASSIFIER if depth == len(layers) - 1 else token(layer)
        out.append(((depth, prev), action))
        prev = action
    return out


def _update(q: QTable, path: list[tuple[State, str]], reward: float) -> None:
    for t in range(len(path) - 1, -1, -1):
        state, action = path[t]
        if t == len(path) - 1:
            target = reward
        else:
            nxt = q.get(path[t + 1][0])
            target = max(max(nxt.values()), Q_INIT) if nxt else Q_INIT
            # unseen actions of the next state are still at Q_INIT: the max includes them
        row = q.setdefault(state, {})
        row[action] = (1 - ALPHA) * row.get(action, Q_INIT) + ALPHA * target


Memory = list[tuple[list[tuple[State, str]], float]]
CHECKPOINT = 16
"""`QMemo` keeps a copy of the table every this many replayed models."""


def _replay(q: QTable, memory: Memory, seed: int, replay: int, n: int) -> None:
    """Replay after the `n`-th (from 0) finished model joined `memory`."""
    draws = stream(seed, "replay", n)
    for _ in range(replay):
        path, reward = memory[draws.below(len(memory))]
        _update(q, path, reward)


def _copy(q: QTable) -> QTable:
    return {state: dict(row) for state, row in q.items()}


class QMemo:
    """The Q table of the finished models replayed so far, for one (seed, replay):
    the models' keys (id, reward) in order, the table after them, and copies of it
    every `CHECKPOINT` models, so that a call whose models extend the last ones
    replays only the new, and one that differs (a model finished out of order) goes
    back to the last copy before the difference. Same tables as replaying all."""

    def __init__(self) -> None:
        self.keys: list[tuple[str, float]] = []
        self.memory: Memory = []
        self.q: QTable = {}
        self.copies: dict[int, QTable] = {0: {}}

    def table(self, done: Sequence[Observed], seed: int, replay: int) -> QTable:
        keys = [(o.model_id, best_acc(o)) for o in done]
        same = 0
        for a, b in zip(keys, self.keys, strict=False):
            if a != b:
                break
            same += 1
        if same < len(self.keys):  # back to the last copy at or before the difference
            back = max(n for n in self.copies if n <= same)
            self.q, self.keys, self.memory = (
                _copy(self.copies[back]),
                self.keys[:back],
                self.memory[:back],
            )
            self.copies = {n: c for n, c in self.copies.items() if n <= back}
        for n in range(len(self.keys), len(keys)):
            self.memory.append((trajectory(done[n].arch), keys[n][1]))
            self.keys.append(keys[n])
            _replay(self.q, self.memory, seed, replay, n)
            if (n + 1) % CHECKPOINT == 0:
                self.copies[n + 1] = _copy(self.q)
        return self.q


def learn(
    observed: Sequence[Observed], seed: int, replay: int, memo: QMemo | None = None
) -> QTable:
    """The Q table after replaying the finished models in order (see the module); with
    `memo`, continued from what it replayed before (the same table; do not change it)."""
    done = [o for o in observed if o.finished and o.val_acc]
    if memo is not None:
        return memo.table(done, seed, replay)
    q: QTable = {}
    memory: Memory = []
    for n, o in enumerate(done):
        memory.append((trajectory(o.arch), best_acc(o)))
        _replay(q, memory, seed, replay, n)
    return q


def _action_memo(ctx: Context) -> dict:
    """`_actions`' answers for this space and depth cap, kept for the session's later
    steps (every walk asks the same few questions; same answers without)."""
    key = ("metaqnn-actions", msgspec.json.encode(ctx.space), ctx.limits.max_depth)
    return ctx.cache.derived.setdefault(key, {})  # type: ignore[return-value]


def _actions(ctx: Context, prev_kind: str, shape, flat: bool, depth: int, memo: dict) -> list:
    """(token, kind, layer) of every allowed next layer, in a fixed order."""
    key = (prev_kind, shape, flat, depth)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _allowed(ctx, prev_kind, shape, flat, depth)
    return found


def _allowed(ctx: Context, prev_kind: str, shape, flat: bool, depth: int) -> list[tuple]:
    out = []
    for kind, weight in next_weights(ctx.space, prev_kind, flat):
        if weight <= 0 or kind == CLASSIFIER or not fits(ctx.space, kind, shape):
            continue
        adds = 2 if kind == "dense" and not flat else 1
        needed = 1 if flat or kind == "dense" else 2
        if depth + adds + needed > ctx.limits.max_depth:
            continue
        combos: list[dict] = [{}]
        for g in KINDS[kind].grids:
            combos = [{**c, g: v} for c in combos for v in grid_values(ctx.space, g, shape)]
        for values in combos:
            layer = make_layer(kind, values)
            out.append((token(layer), kind, layer))
    return out


def _walk(ctx: Context, q: QTable, eps: float, draws: Stream, name: str) -> Architecture | None:
    layers: list[object] = []
    shape, flat_by, params, flops = tuple(ctx.input.shape), None, 0, 0
    prev_token, prev_kind, depth = "start", "start", 0
    memo = _action_memo(ctx)

    def add(layer: object) -> None:
        nonlocal shape, flat_by, params, flops
        shape, flat_by, p, f = shape_step(len(layers), layer, shape, flat_by)
        params, flops = params + p, flops + f
        layers.append(layer)

    while True:
        flat = flat_by is not None
        options = _actions(ctx, prev_kind, shape, flat, len(layers), memo)
        ends = dict(next_weights(ctx.space, prev_kind, flat)).get(CLASSIFIER, 0.0) > 0
        choices = [t for t, _, _ in options] + ([CLASSIFIER] if ends or not options else [])
        if draws.below(1 << 30) < eps * (1 << 30):
            choice = draws.choice(choices)
        else:
            row = q.get((depth, prev_token), {})
            choice = max(choices, key=lambda a: row.get(a, Q_INIT))  # ties: the first
        if choice == CLASSIFIER:
            if not flat:
                add(Flatten())
            add(make_layer("dense", {"units": ctx.input.classes}))
        else:
            _, kind, layer = next(o for o in options if o[0] == choice)
            if kind == "dense" and not flat:
                add(Flatten())
            add(layer)
        if params > ctx.limits.max_params or flops > ctx.limits.max_flops:
            return None
        if choice == CLASSIFIER:
            arch = Architecture(name=name, input=ctx.input, layers=tuple(layers))
            try:
                validate(arch, ctx.limits)
            except ArchitectureError:
                return None
            return arch
        prev_token, prev_kind, depth = choice, chain_kind(layers[-1]) or "start", depth + 1


def propose_metaqnn(ctx: Context, step: int, count: int) -> list[Proposal]:
    budget = int(ctx.spec.options.get("budget", 100))
    replay = int(ctx.spec.options.get("replay", 100))
    memo = ctx.cache.derived.setdefault(("metaqnn", ctx.spec.seed, replay), QMemo())
    q = learn(ctx.observed, ctx.spec.seed, replay, memo)
    out = []
    for k in range(step, step + count):
        eps = epsilon(k, budget)
        for attempt in range(ATTEMPTS):
            arch = _walk(ctx, q, eps, stream(ctx.spec.seed, "walk", k, attempt), f"q{k}")
            if arch is not None and ctx.accept(arch):
                path = trajectory(arch)
                value = q.get(path[-1][0], {}).get(CLASSIFIER, Q_INIT)
                why = f"MetaQNN epsilon {eps:.1f}: {'explores' if eps >= 0.5 else 'exploits'}"
                scores = {"epsilon": eps, "q_last": value, "replayed": float(len(q))}
                out.append(Proposal(k, "new", arch, None, ctx.spec.epochs, why, scores))
                break
    return out
