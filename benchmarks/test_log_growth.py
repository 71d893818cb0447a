"""Bytes a model adds to the log, at 1,000 and at 100,000 models (issue 20: "a log that
grows O(n)"), against the log the program before issue 20 wrote, in the same run.

Each model's events as the service records them: created, queued, started, 10 epochs,
finished (360 packed test-set predictions: digits), and embedded in both projections by
the real `Embedder` (its landmark rows, packed), plus the "layout recomputed" events
the drift rule made (`Embedder.add_many`: what `add` records, a batch at a time).
Architectures are drawn from `POOL` (2,000) sampled from the default search space for
digits; predictions are synthetic (no training). The baseline is the same log in
version 1 form: predictions a JSON list, and each model's two rows lists of floats
against every model embedded before it (its bytes, taken from 200 models' real
encodings, grow linearly with n: O(n²) in all).

``extra_info``: ``bytes_per_model`` (new), ``baseline_bytes_per_model`` (version 1) and
their ratio; the test holds the new ones at 1k and 100k to within 10 % (a size, not a
time). Under ``--benchmark-disable`` (``make test``) the sizes are 100 and 400.
"""

from __future__ import annotations

import functools
import random

import msgspec
import numpy as np
import pytest

from nas_core.arch import Input, Limits, arch_hash, count_flops, count_params
from nas_core.events import (
    EpochCompleted,
    ModelCreated,
    Sampled,
    TrainingFinished,
    TrainingQueued,
    TrainingStarted,
)
from nas_core.generators import load_search_space, sample
from nas_core.packed import pack_labels
from nas_core.service import Embedder
from nas_core.specs import EpochMetrics, TrainConfig, TrainResult

pytest.importorskip("pytest_benchmark")

DIGITS = Input((1, 8, 8), 10)
TEST = 360
POOL = 2_000  # distinct architectures the models are drawn from
_encode = msgspec.json.Encoder().encode


def sizes(config) -> tuple[int, int]:
    off = bool(config.getoption("benchmark_disable")) and not config.getoption("benchmark_enable")
    return (100, 400) if off else (1_000, 100_000)


def _model_events(k: int, arch, predictions: np.ndarray, rnd: random.Random) -> list:
    m = f"m{k + 1}"
    arch = msgspec.structs.replace(arch, name=m)
    params, flops = count_params(arch), count_flops(arch)
    events = [
        ModelCreated(m, arch, None, Sampled(seed=7, index=k, batch="start"), (),
                     f"Sampled (seed 7, #{k})", params, flops, arch_hash(arch)),
        TrainingQueued(m, TrainConfig(), seed=k),
        TrainingStarted(m, 1, "worker-1"),
    ]  # fmt: skip
    for e in range(1, 11):
        metrics = EpochMetrics(e, rnd.random(), rnd.random(), rnd.random(), rnd.random(), 0.1, 1e-3)
        events.append(EpochCompleted(m, 1, metrics))
    result = TrainResult(
        epochs=10, best_epoch=10, stopped_early=False, test_loss=rnd.random(),
        test_acc=rnd.random(), per_class_acc=tuple(rnd.random() for _ in range(10)),
        confusion=tuple(tuple(rnd.randrange(40) for _ in range(10)) for _ in range(10)),
        predictions=pack_labels(predictions), params=params, flops=flops,
        forward_ms=rnd.random(), backward_ms=rnd.random(), wall_s=rnd.random(), device="cpu",
    )  # fmt: skip
    events.append(TrainingFinished(m, 1, result))
    return events


@functools.cache
def log_bytes(n: int) -> dict[str, float]:
    """The log of `n` models: its bytes per model, now and as version 1 wrote it."""
    rnd = random.Random(3)
    pool = sample(11, min(n, POOL), input=DIGITS, space=load_search_space("default-v1"),
                  limits=Limits())  # fmt: skip
    archs = [pool[k % len(pool)] for k in range(n)]
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 10, TEST)
    table = np.tile(truth, (n, 1))
    wrong = rng.random((n, TEST)) < rng.uniform(0.02, 0.5, (n, 1))
    table[wrong] = rng.integers(0, 10, int(wrong.sum()))
    names = [f"m{k + 1}" for k in range(n)]
    updates = Embedder().add_many(names, archs, table)
    total = 0
    baseline = 0
    every = max(1, n // 200)
    sampled_rows: list[tuple[int, int]] = []  # (k, bytes of model k's two v1 rows)
    for k, (arch, update) in enumerate(zip(archs, updates, strict=True)):
        predictions = table[k]
        events = _model_events(k, arch, predictions, rnd)
        events += update.events()
        total += sum(len(_encode(e)) for e in events)
        # version 1: the same events but predictions and rows as lists
        finished = msgspec.to_builtins(events[-len(update.events()) - 1])
        finished["result"]["predictions"] = predictions.tolist()
        baseline += sum(len(_encode(e)) for e in events[: -len(update.events()) - 1])
        baseline += len(_encode(finished)) + sum(len(_encode(r)) for r in update.relayouts)
        if k % every == 0:
            against = [f"m{j + 1}" for j in range(k)]
            row = [rnd.random() for _ in range(k)]
            one = {"kind": "model_embedded", "model": f"m{k + 1}", "x": rnd.random()}
            one |= {"projection": "structure", "y": rnd.random()}
            one |= {"distances": row, "against": against}
            sampled_rows.append((k, 2 * len(_encode(one))))
    ks, bs = np.array(sampled_rows, dtype=float).T
    slope, intercept = np.polyfit(ks, bs, 1)  # a row's bytes grow linearly with k
    baseline += float(np.sum(intercept + slope * np.arange(n)))
    return {"bytes_per_model": total / n, "baseline_bytes_per_model": baseline / n}


@pytest.mark.benchmark(group="log-growth")
@pytest.mark.parametrize("which", ["small", "large"])
def test_log_bytes_per_model(benchmark, request, which: str) -> None:
    n = sizes(request.config)[which == "large"]
    figures = benchmark.pedantic(lambda: log_bytes(n), rounds=1, iterations=1)
    benchmark.extra_info["models"] = n
    benchmark.extra_info.update({k: round(v) for k, v in figures.items()})
    ratio = figures["baseline_bytes_per_model"] / figures["bytes_per_model"]
    benchmark.extra_info["baseline_over_new"] = round(ratio, 2)


def test_bytes_per_model_do_not_grow_with_the_session(request) -> None:
    small, large = (log_bytes(n) for n in sizes(request.config))
    a, b = small["bytes_per_model"], large["bytes_per_model"]
    assert abs(b - a) / a <= 0.10, (a, b)
    # the version 1 log grows per model: what the landmarks fixed
    assert large["baseline_bytes_per_model"] > 1.5 * small["baseline_bytes_per_model"]
