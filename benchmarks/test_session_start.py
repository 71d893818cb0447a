"""The default start (issue 6): 100 sampled models × 10 epochs on digits, every event
recorded, every model embedded, in ≤ 60 s of wall time on a 2-core machine.

Baseline in the same run: the same models (same architectures, same seeds) trained
bare by the same `TrainerPool` of two processes (no store, no broker, no embedding),
which bounds what the service costs.
Under ``--benchmark-disable`` (how `make test` runs this file) the start is 4 models
× 1 epoch, so the file stays a quick end-to-end check.
"""

from __future__ import annotations

import math
import threading

import pytest

from nas_core.arch import Input, Limits
from nas_core.data import load_dataset
from nas_core.events import EventStore, derive_seed
from nas_core.generators import load_search_space, sample
from nas_core.service import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig
from nas_core.training import TrainerPool, TrainJob

FULL = (100, 10)
SMALL = (4, 1)
SEED = 0


@pytest.fixture(scope="module")
def size(request) -> tuple[int, int]:
    return SMALL if request.config.getoption("benchmark_disable", False) else FULL


def pareto(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The models no other beats on both fewer parameters and higher accuracy."""
    front, best = [], -math.inf
    for params, acc in sorted(points, key=lambda p: (p[0], -p[1])):
        if acc > best:
            front.append((params, acc))
            best = acc
    return front


@pytest.mark.slow
def test_default_start(benchmark, size, tmp_path) -> None:
    models, epochs = size
    runs = iter(range(100))

    def start():
        store = EventStore(tmp_path / f"start-{next(runs)}.db")
        with SessionService(store, processes=2) as service:
            session = service.create_session(
                "start", DataSpec(), Settings(train=TrainConfig(epochs=epochs))
            )
            service.start(session, models=models, seed=SEED)
            state = service.wait_idle(session, timeout_s=1800)
        store.close()
        return state

    state = benchmark.pedantic(start, rounds=1, iterations=1)
    done = [m for m in state.models.values() if m.status == "done"]
    assert len(done) == models
    for projection in ("structure", "predictions"):
        assert len(state.embeddings[projection]) == models
    front = pareto([(m.params, m.result.test_acc) for m in done])
    benchmark.extra_info.update(
        models=models,
        epochs=epochs,
        best_test_acc=max(acc for _, acc in front),
        smallest_params=min(p for p, _ in front),
        pareto_front=front,
    )


@pytest.mark.slow
def test_baseline_bare_pool_training(benchmark, size) -> None:
    models, epochs = size
    space = load_search_space()
    info = load_dataset(DataSpec()).info()
    archs = sample(
        SEED, models, input=Input(info.input_shape, len(info.class_names)),
        space=space, limits=Limits(),
    )  # fmt: skip
    config = TrainConfig(epochs=epochs)

    def train_all():
        with TrainerPool(2, data=DataSpec()) as pool:
            jobs = iter(enumerate(archs))
            lock = threading.Lock()
            results = []

            def worker():
                while True:
                    with lock:
                        item = next(jobs, None)
                    if item is None:
                        return
                    _, arch = item
                    seed = derive_seed("train", SEED, arch.name)  # the service's seeds
                    job = TrainJob(model_id=arch.name, arch=arch, config=config, seed=seed)
                    results.append(pool.run(job))

            threads = [threading.Thread(target=worker) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        return results

    results = benchmark.pedantic(train_all, rounds=1, iterations=1)
    assert len(results) == models
