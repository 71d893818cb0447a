"""Models per wall-second: sampled models trained on digits, against a naive loop.

Three ways over the same models (digits, the same epochs and training recipe: Adam,
step decay, batch 256, validation every epoch, the test set at the end), for two
workloads: ``sampled``, ten models sampled from the default search space (seed 0), and
``small-cnn``, DESIGN.md's example CNN ten times (the issue's reference figures are for
such a model):

- **baseline**: the textbook loop in one process, ``DataLoader(TensorDataset(...),
  batch_size=256, shuffle=True)`` with torch's default threads;
- **train**: `nas_core.training.train` in one process (the data set on the device as
  tensors, batches by index), torch's default threads;
- **pool**: `nas_core.training.TrainerPool` with two one-thread worker processes, fed
  by two caller threads as the Dramatiq workers feed it (started and warmed up before
  the clock runs; its start-up is reported apart).

Each benchmark's ``extra_info`` holds models per second and the mean test accuracy
(the recipes differ only in data handling, so the accuracies must agree within noise).
The issue asks the pool for at least 1.5× the baseline's models per second; nothing
here asserts on time. Under ``--benchmark-disable`` (``make test``) each runs once on
three models for one epoch.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from nas_core.arch import (
    Architecture,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Input,
    Limits,
    MaxPool,
    ReLU,
)
from nas_core.data import Dataset, load_dataset
from nas_core.generators import load_search_space, sample
from nas_core.specs import DataSpec, TrainConfig
from nas_core.training import TrainerPool, TrainJob, build_module, train

pytest.importorskip("pytest_benchmark")

DATA = DataSpec()  # digits: 1,222 training, 216 validation, 359 test examples
INPUT = Input((1, 8, 8), 10)
SMALL_CNN = Architecture(
    "m17", INPUT, (Conv(32, 3), ReLU(), MaxPool(2), Dropout(0.25), Flatten(), Dense(10))
)
WORKLOADS = ["sampled", "small-cnn"]
# (workload, variant): (models per second, mean test accuracy)
SUMMARY: dict[tuple[str, str], tuple[float, float]] = {}


def _workload(benchmark, workload: str) -> tuple[list[Architecture], TrainConfig, int]:
    """The models, the training config and the rounds: small under --benchmark-disable."""
    quick = benchmark.disabled
    count = 3 if quick else 10
    if workload == "sampled":
        models = sample(0, count, input=INPUT, space=load_search_space(), limits=Limits())
    else:
        models = [SMALL_CNN] * count
    return models, TrainConfig(epochs=1 if quick else 10), 1 if quick else 3


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_dataset(DATA)


@pytest.fixture(scope="module")
def pool():
    """Two one-thread workers, up and warm (torch and digits loaded) before any clock,
    and the seconds that took."""
    started = time.perf_counter()
    with TrainerPool(2, data=DATA) as pool, ThreadPoolExecutor(2) as callers:
        warm = TrainJob("warm", SMALL_CNN, TrainConfig(epochs=1), 0, DATA)
        list(callers.map(pool.run, [warm, warm]))
        yield pool, time.perf_counter() - started


def naive_train(arch: Architecture, data: Dataset, config: TrainConfig, seed: int) -> float:
    """The baseline: a DataLoader over TensorDatasets, the same recipe; test accuracy."""
    torch.manual_seed(seed)
    model = build_module(arch)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=config.gamma)
    loss_fn = torch.nn.CrossEntropyLoss()

    def loader(x: np.ndarray, y: np.ndarray, shuffle: bool) -> DataLoader:
        dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        return DataLoader(dataset, batch_size=config.batch_size, shuffle=shuffle)

    train_loader = loader(data.x_train, data.y_train, True)
    val_loader = loader(data.x_val, data.y_val, False)
    test_loader = loader(data.x_test, data.y_test, False)

    def evaluate(batches: DataLoader) -> tuple[float, float]:
        model.eval()
        loss = correct = 0.0
        with torch.no_grad():
            for xb, yb in batches:
                logits = model(xb)
                loss += loss_fn(logits, yb).item() * len(yb)
                correct += (logits.argmax(1) == yb).sum().item()
        n = len(batches.dataset)
        return loss / n, correct / n

    for _ in range(config.epochs):
        model.train()
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        schedule.step()
        evaluate(val_loader)
    return evaluate(test_loader)[1]


def _record(
    benchmark, workload: str, name: str, models: int, seconds: float, accuracies: list[float]
) -> None:
    rate, acc = models / seconds, float(np.mean(accuracies))
    benchmark.extra_info.update(models_per_s=rate, s_per_model=seconds / models, mean_acc=acc)
    SUMMARY[workload, name] = (rate, acc)
    line = f"{workload} {name}: {rate:.2f} models/s ({seconds / models:.3f} s/model), "
    line += f"mean test acc {acc:.3f}"
    base = SUMMARY.get((workload, "baseline"))
    if base is not None and name != "baseline":
        ratio = rate / base[0]
        benchmark.extra_info["x_baseline"] = ratio
        line += f", {ratio:.2f}x the baseline's models/s"
    print("\n" + line)


@pytest.mark.parametrize("workload", WORKLOADS)
def test_baseline_dataloader_loop(benchmark, digits: Dataset, workload: str) -> None:
    models, config, rounds = _workload(benchmark, workload)
    accuracies: list[float] = []

    def run() -> None:
        accuracies[:] = [naive_train(a, digits, config, seed=k) for k, a in enumerate(models)]

    started = time.perf_counter()
    benchmark.pedantic(run, rounds=rounds, warmup_rounds=0 if benchmark.disabled else 1)
    seconds = _best(benchmark, started, rounds)
    _record(benchmark, workload, "baseline", len(models), seconds, accuracies)


@pytest.mark.parametrize("workload", WORKLOADS)
def test_train_in_one_process(benchmark, digits: Dataset, workload: str) -> None:
    models, config, rounds = _workload(benchmark, workload)
    accuracies: list[float] = []

    def run() -> None:
        accuracies[:] = [train(a, digits, config, seed=k).test_acc for k, a in enumerate(models)]

    started = time.perf_counter()
    benchmark.pedantic(run, rounds=rounds, warmup_rounds=0 if benchmark.disabled else 1)
    seconds = _best(benchmark, started, rounds)
    _record(benchmark, workload, "train", len(models), seconds, accuracies)


@pytest.mark.parametrize("workload", WORKLOADS)
def test_trainer_pool_of_two(benchmark, pool, workload: str) -> None:
    pool, start_s = pool
    models, config, rounds = _workload(benchmark, workload)
    jobs = [TrainJob(f"{a.name}-{k}", a, config, k, DATA) for k, a in enumerate(models)]
    benchmark.extra_info["pool_start_s"] = start_s
    accuracies: list[float] = []

    with ThreadPoolExecutor(2) as callers:  # as two Dramatiq worker threads would

        def run() -> None:
            accuracies[:] = [r.test_acc for r in callers.map(pool.run, jobs)]

        started = time.perf_counter()
        benchmark.pedantic(run, rounds=rounds)
        seconds = _best(benchmark, started, rounds)
    _record(benchmark, workload, "pool", len(models), seconds, accuracies)
    base = SUMMARY.get((workload, "baseline"))
    if not benchmark.disabled and base is not None:
        # same recipe, different data handling: the accuracies agree within noise
        assert abs(SUMMARY[workload, "pool"][1] - base[1]) < 0.1, SUMMARY


def _best(benchmark, started: float, rounds: int) -> float:
    """Seconds of the fastest round (pytest-benchmark's own figure when it measures)."""
    if benchmark.disabled or benchmark.stats is None:
        return (time.perf_counter() - started) / rounds
    return benchmark.stats.stats.min
