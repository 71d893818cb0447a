"""A strategy's proposal step against the training it schedules (issue 21: at most 5 %),
and the GP search's step at 500 observed models with 1,000 candidates.

- **proposal vs training**: for each strategy, a session-like history of `OBSERVED`
  models (the random chain's, with made-up accuracies, the distance cache warm as in a
  running session), then one step proposing `COUNT` models is timed; the baseline in
  the same run is the real training of what the step proposed, on digits, each model
  for its epochs (`nas_core.training.train`). ``extra_info["share"]``: the step's
  seconds over those trainings' seconds (the issue's bound: 0.05).
- **GP at 500**: `bayesopt`'s step with 500 finished models and 1,000 candidates
  (warm: the observed models' distance matrix is cached, as in a session), the time
  split into its parts (candidates, their OTMANN rows, GP fit, posterior and EI).

Nothing asserts on time. Under ``--benchmark-disable`` (``make test``) the sizes are
small (20 observed, 50 candidates, one round)."""

from __future__ import annotations

import random
import time

import msgspec
import numpy as np
import pytest

from nas_core.arch import count_params
from nas_core.data import load_dataset
from nas_core.generators import load_search_space
from nas_core.specs import DataSpec, TrainConfig
from nas_core.strategies import STRATEGY_NAMES, DistanceCache, Observed, SearchSpec, gp, propose
from nas_core.strategies import bayesopt as bo
from nas_core.strategies.context import Context

pytest.importorskip("pytest_benchmark")

SPACE = load_search_space()
SHAPE, CLASSES = (1, 8, 8), 10
EPOCHS = 3
COUNT = 2
SHARES: dict[str, float] = {}


def _history(n: int, seed: int = 0) -> list[Observed]:
    """`n` finished models of the random chain, with made-up accuracy curves."""
    props = propose(SearchSpec("random", seed, EPOCHS), [], 0, n, space=SPACE,
                    input_shape=SHAPE, num_classes=CLASSES)  # fmt: skip
    rng = random.Random(seed)
    return [
        Observed(
            f"m{i}",
            p.arch,
            count_params(p.arch),
            EPOCHS,
            tuple(sorted(rng.uniform(0.3, 0.97) for _ in range(EPOCHS))),
            True,
            (rng.random(), rng.random()),
            i,
        )
        for i, p in enumerate(props)
    ]


@pytest.fixture(scope="module")
def digits():
    """Digits, with torch warmed up by one training (its first is slower)."""
    from nas_core.training import train

    data = load_dataset(DataSpec())
    train(_history(1)[0].arch, data, TrainConfig(epochs=1), seed=0)
    return data


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_proposal_step_vs_the_training_it_schedules(benchmark, digits, strategy) -> None:
    quick = benchmark.disabled
    observed = _history(20 if quick else 100)
    options = {"candidates": 50} if quick else {}
    spec = SearchSpec(strategy, 7, EPOCHS, options=options)
    cache = DistanceCache()
    args = {"space": SPACE, "input_shape": SHAPE, "num_classes": CLASSES, "distance": cache}
    propose(spec, observed, len(observed), COUNT, **args)  # warm: the session's cache
    steps = iter(range(len(observed) + COUNT, 10**6, COUNT))  # each round a new step
    step = len(observed) + COUNT
    made = benchmark.pedantic(
        lambda: propose(spec, observed, next(steps), COUNT, **args), rounds=1 if quick else 5
    )
    assert made
    stats = benchmark.stats.stats if benchmark.stats else None
    step_s = stats.median if stats else _timed(spec, observed, step, args)
    trained = _scheduled_training(made, observed, digits)
    share = step_s / trained
    SHARES[strategy] = share
    benchmark.extra_info.update(step_s=step_s, proposals=len(made), train_s=trained, share=share)
    print(f"\n{strategy}: a step of {len(made)} proposals {step_s * 1e3:.1f} ms, the "
          f"trainings it schedules {trained:.2f} s: {100 * share:.2f} % (bound 5 %)")  # fmt: skip


def _scheduled_training(made, observed, data) -> float:
    """Seconds to train what a step proposed: each new model for its epochs, each
    continued one (Hyperband's promotions) for its further epochs. The proposals'
    trainings differ a hundredfold (an MLP on 8×8 digits trains 3 epochs in 15 ms, a
    convnet in 1.5 s), so every one the step made is trained, not a stand-in."""
    from nas_core.training import train

    archs = {o.model_id: o.arch for o in observed}
    started = time.perf_counter()
    for p in made:
        arch = p.arch if p.arch is not None else archs[p.parent]
        train(arch, data, TrainConfig(epochs=p.epochs), seed=0)
    return time.perf_counter() - started


def _timed(spec, observed, step, args) -> float:
    started = time.perf_counter()
    propose(spec, observed, step, COUNT, **args)
    return time.perf_counter() - started


def test_gp_fit_and_ei_at_500_observed_models(benchmark, digits) -> None:
    quick = benchmark.disabled
    n, total = (30, 50) if quick else (500, 1000)
    observed = _history(n, seed=1)
    spec = SearchSpec("bayesopt", 3, EPOCHS, options={"candidates": total})
    cache = DistanceCache()
    args = {"space": SPACE, "input_shape": SHAPE, "num_classes": CLASSES, "distance": cache}
    propose(spec, observed, 0, 1, **args)  # warm: the observed matrix is cached
    steps = iter(range(1, 1000))
    made = benchmark.pedantic(
        lambda: propose(spec, observed, next(steps), 1, **args), rounds=1 if quick else 5
    )
    assert made
    assert "ei" in made[0].scores
    parts = _parts(spec, observed, cache, total)
    stats = benchmark.stats.stats if benchmark.stats else None
    step_s = stats.median if stats else sum(parts.values())
    # the baseline: the proposal's own training, for the search's epochs and for the
    # session's default (what `remap new --strategy bayesopt` schedules)
    shares = {}
    for epochs in (EPOCHS, TrainConfig().epochs):
        made_e = [msgspec.structs.replace(made[0], epochs=epochs)]
        shares[f"share_{epochs}_epochs"] = step_s / _scheduled_training(made_e, observed, digits)
    benchmark.extra_info.update(observed=n, candidates=total, step_s=step_s, **parts, **shares)
    print(f"\nGP step at {n} observed, {total} candidates: {step_s * 1e3:.0f} ms ("
          + ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in parts.items()) + "); of the "
          "training it schedules: "
          + ", ".join(f"{k} {100 * v:.1f} %" for k, v in shares.items()))  # fmt: skip


def _parts(spec, observed, cache, total) -> dict[str, float]:
    """One step's time by part (warm cache), measured apart."""
    from nas_core.arch import Input, Limits

    ctx = Context(spec, observed, SPACE, Input(SHAPE, CLASSES), Limits(), cache)
    clock = time.perf_counter
    t0 = clock()
    y = np.array([max(o.val_acc) for o in observed])
    d = cache.matrix([o.arch for o in observed], [o.arch for o in observed], "nasbot", keep=True)
    t1 = clock()
    fitted = gp.fit(d, y)
    t2 = clock()
    parents = sorted(observed, key=lambda o: -max(o.val_acc))[:10]
    pool = bo.candidates(ctx, 999, parents, total)
    t3 = clock()
    d_new = cache.matrix([c.arch for _, c in pool], [o.arch for o in observed], "nasbot")
    t4 = clock()
    mu, sigma = gp.posterior(fitted, d_new)
    gp.expected_improvement(mu, sigma, float(y.max()))
    t5 = clock()
    return {"observed_matrix_s": t1 - t0, "gp_fit_s": t2 - t1, "candidates_s": t3 - t2,
            "candidate_rows_s": t4 - t3, "posterior_ei_s": t5 - t4}  # fmt: skip
