"""A strategy's proposal step against the training it schedules (issue 21: at most 5 %),
and the GP search's step at 500 observed models with 1,000 candidates.

- **proposal vs training**: for each strategy, a session-like history of `OBSERVED`
  models (the random chain's, with made-up accuracies, the distance cache warm as in a
  running session), then one step proposing `COUNT` models is timed; the baseline in
  the same run is the real training of the step's first proposal on digits for the
  search's epochs (`nas_core.training.train`). ``extra_info["share"]``: the step's
  seconds per proposed model over that training's seconds (the issue's bound: 0.05).
- **GP at 500**: `bayesopt`'s step with 500 finished models and 1,000 candidates
  (warm: the observed models' distance matrix is cached, as in a session), the time
  split into its parts (candidates, their OTMANN rows, GP fit, posterior and EI).

Nothing asserts on time. Under ``--benchmark-disable`` (``make test``) the sizes are
small (20 observed, 50 candidates, one round)."""

from __future__ import annotations

import random
import time

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
    seconds = (stats.median if stats else _timed(spec, observed, step, args)) / len(made)
    first = made[0]
    arch = first.arch if first.arch is not None else observed[0].arch
    started = time.perf_counter()
    from nas_core.training import train

    train(arch, digits, TrainConfig(epochs=first.epochs), seed=0)
    trained = time.perf_counter() - started
    share = seconds / trained
    SHARES[strategy] = share
    benchmark.extra_info.update(step_s_per_model=seconds, train_s=trained, share=share)
    print(f"\n{strategy}: {seconds * 1e3:.1f} ms a proposal, its training {trained:.2f} s: "
          f"{100 * share:.2f} % (bound 5 %)")  # fmt: skip


def _timed(spec, observed, step, args) -> float:
    started = time.perf_counter()
    propose(spec, observed, step, COUNT, **args)
    return time.perf_counter() - started


def test_gp_fit_and_ei_at_500_observed_models(benchmark) -> None:
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
    benchmark.extra_info.update(observed=n, candidates=total, **parts)
    print(f"\nGP step at {n} observed, {total} candidates: "
          + ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in parts.items()))  # fmt: skip


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
