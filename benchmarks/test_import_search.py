"""Import of a search REMAP did not run (issue 20): models a second, end to end — the
file parsed and checked, every model's "model imported" event, its embedding in both
projections (landmark MDS: rows against the first 64), the log appended in one
transaction and the session's state folded — against a baseline in the same run: the
same models recorded through the ordinary per-model path of a training REMAP ran
(created, queued, started, each epoch, finished: one transaction a model, then its
embedding, as `SessionService._apply` records a worker's events).

The search file: `REMAP_IMPORT_MODELS` models (100,000, the issue's figure: "≥ 10,000
models/s"; 300 under ``--benchmark-disable``, ``make test``), 3 epochs each, a test
accuracy and 359
test-set predictions (digits), drawn from one architecture in 100 (sampled from the
default search space), as a search that trains configurations at several budgets
does. The baseline records the first `BASELINE` (2,000) of them. ``extra_info``:
``models_per_s``, ``baseline_models_per_s`` and their ratio, and the models.
"""

from __future__ import annotations

import os
import time

import msgspec
import numpy as np
import pytest

from nas_core.arch import Limits
from nas_core.events import (
    EpochCompleted,
    EventStore,
    ModelCreated,
    Pending,
    TrainingFinished,
    TrainingQueued,
    TrainingStarted,
)
from nas_core.events.kinds import Sampled
from nas_core.generators import load_search_space, sample
from nas_core.imports import parse_search_lines
from nas_core.service import SessionService
from nas_core.service.import_search import import_search
from nas_core.specs import EpochMetrics, TrainConfig

pytest.importorskip("pytest_benchmark")

BASELINE = 2_000
DISTINCT = 100  # models per distinct architecture


def disabled(config) -> bool:
    return bool(config.getoption("benchmark_disable")) and not config.getoption("benchmark_enable")


class _NoTraining:
    def run(self, job, *, on_epoch=None, should_stop=None):  # never called: nothing queues
        raise AssertionError("the benchmark trains nothing")


def search_text(n: int, state) -> bytes:
    archs = sample(0, max(1, n // DISTINCT), input=state.input,
                   space=load_search_space("default-v1"), limits=Limits())  # fmt: skip
    dicts = [{k: v for k, v in msgspec.to_builtins(a).items() if k != "name"} for a in archs]
    predictions = np.random.default_rng(0).integers(0, 10, (n, state.split.test)).tolist()
    encode = msgspec.json.encode
    rows = [encode({"format": "remap-search", "source": "benchmark"})]
    for i in range(n):
        rows.append(encode({
            "name": f"t{i}", "architecture": dicts[i % len(dicts)], "started_s": 0.5 * i,
            "epochs": [{"epoch": e, "wall_s": 2.0 * e, "val_acc": 0.3 + 0.1 * e,
                        "val_loss": 1.0 / e} for e in (1, 2, 3)],
            "test_acc": 0.6, "predictions": predictions[i],
        }))  # fmt: skip
    return b"\n".join(rows) + b"\n"


def per_model_events(e) -> list[Pending]:
    """The events of imported model `e` as a REMAP training records them."""
    m = e.model
    result = msgspec.structs.replace(e.result, test_loss=0.5, forward_ms=0.1, backward_ms=0.1)
    origin = Sampled(seed=0, index=0, batch="bench")
    created = ModelCreated(m, e.arch, None, origin, (), "sampled", e.params, e.flops, e.arch_hash)
    curve = [EpochMetrics(c.epoch, 0.5, 0.5, 0.5, c.val_acc, c.seconds, 0.001) for c in e.curve]
    return [
        Pending(f"{m}:created", created),
        Pending(f"{m}:queued", TrainingQueued(m, TrainConfig(epochs=3), 0)),
        Pending(f"{m}:1:started", TrainingStarted(m, 1, "w")),
        *(Pending(f"{m}:1:epoch:{c.epoch}", EpochCompleted(m, 1, c)) for c in curve),
        Pending(f"{m}:1:finished", TrainingFinished(m, 1, result)),
    ]


@pytest.mark.benchmark(group="import-search")
def test_import_search_models_per_second(benchmark, request, tmp_path) -> None:
    n = 300 if disabled(request.config) else int(os.environ.get("REMAP_IMPORT_MODELS", "100000"))
    import ot  # noqa: F401  (the server has it loaded: not the import's cost)

    with EventStore(tmp_path / "b.db") as store:  # noqa: SIM117
        with SessionService(store, runner=_NoTraining(), processes=1, snapshots=False) as svc:
            base = svc.create_session("baseline")
            text = search_text(n, svc.state(base))
            # the baseline: the same models through the per-model path
            from nas_core.imports import import_events

            events = import_events(parse_search_lines(text), svc.state(base), search_id="b",
                                   source="b")[: min(n, BASELINE)]  # fmt: skip
            with svc._lock:  # as the recording thread holds it
                live = svc._open(base)
                started = time.perf_counter()
                for p in events:
                    svc._append(base, live, per_model_events(p.event))
                    svc._embed(base, live, p.event.model)
                baseline_rate = len(events) / (time.perf_counter() - started)

            def run():
                session = svc.create_session("imported")
                began = time.perf_counter()
                done = import_search(svc, session, parse_search_lines(text), source="bench")
                took = time.perf_counter() - began
                return session, done, took

            session, done, took = benchmark.pedantic(run, rounds=1, iterations=1)
            state = svc.state(session)
    assert len(done.models) == n
    assert done.embedded == n
    assert len(state.embeddings["structure"]) == n
    assert len(state.models) == n
    rate = n / took
    benchmark.extra_info.update(
        models=n, models_per_s=round(rate), baseline_models_per_s=round(baseline_rate),
        ratio=round(rate / baseline_rate, 2),
    )  # fmt: skip
