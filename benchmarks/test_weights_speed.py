"""Weights kept, at no cost to the event path (issue 19, "Speed").

- The default start (100 sampled models × 10 epochs on digits, as `remap new` runs it)
  with the weights written (every finished training's file, by its trainer process) and,
  in the same run, with ``keep_weights=False`` as the baseline: within 10 %.
- "training finished" latency: for each model, the time from its last "epoch completed"
  to its "training finished" in the log (the stretch where the weights are written and
  that the SSE stream then waits on), median and p95, with and without weights.
- ONNX export (``torch.onnx.export`` with the TorchScript exporter, then onnxruntime on
  the test split against torch) of the largest model of the default start: ≤ 2 s.

Under ``--benchmark-disable`` (``make test``) the start is 4 models × 1 epoch.
"""

from __future__ import annotations

import statistics
import types
from datetime import datetime

import pytest

from nas_core.arch import Input, Limits
from nas_core.data import load_dataset
from nas_core.events import EpochCompleted, EventStore, TrainingFinished
from nas_core.generators import load_search_space, sample
from nas_core.service import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig

FULL = (100, 10)
SMALL = (4, 1)


@pytest.fixture(scope="module")
def size(request) -> tuple[int, int]:
    return SMALL if request.config.getoption("benchmark_disable", False) else FULL


def _at(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _finish_gaps(store: EventStore, session: str) -> list[float]:
    last_epoch: dict[str, float] = {}
    gaps = []
    for e in store.read(session):
        if isinstance(e.event, EpochCompleted):
            last_epoch[e.event.model] = _at(e.at)
        elif isinstance(e.event, TrainingFinished) and e.event.model in last_epoch:
            gaps.append(_at(e.at) - last_epoch[e.event.model])
    return gaps


@pytest.mark.slow
@pytest.mark.parametrize("keep", [False, True], ids=["baseline-no-weights", "weights"])
def test_start_with_and_without_weights(benchmark, size, tmp_path, keep) -> None:
    models, epochs = size
    benchmark.group = "start 100x10: weights kept vs not"
    runs = iter(range(100))
    seen = {}

    def start():
        root = tmp_path / f"run-{next(runs)}"
        root.mkdir()
        store = EventStore(root / "remap.db")
        with SessionService(store, data_root=root, processes=2, keep_weights=keep) as service:
            session = service.create_session(
                "start", DataSpec(), Settings(train=TrainConfig(epochs=epochs))
            )
            service.start(session, models=models, seed=0)
            state = service.wait_idle(session, timeout_s=3600)
        seen["gaps"] = _finish_gaps(store, session)
        store.close()
        seen["files"] = len(list(root.glob("weights/*/*.pt")))
        return state

    state = benchmark.pedantic(start, rounds=1, iterations=1)
    done = [m for m in state.models.values() if m.status == "done"]
    assert len(done) == models
    assert all((m.result.weights is not None) == keep for m in done)
    assert seen["files"] == (len({m.result.weights.digest for m in done}) if keep else 0)
    gaps = sorted(seen["gaps"])
    benchmark.extra_info.update(
        models=models,
        epochs=epochs,
        keep_weights=keep,
        finished_gap_median_ms=1000 * statistics.median(gaps),
        finished_gap_p95_ms=1000 * gaps[int(0.95 * (len(gaps) - 1))],
    )


@pytest.mark.slow
def test_onnx_export_of_the_largest_default_model(benchmark, tmp_path) -> None:
    from nas_core.export.formats import _onnx
    from nas_core.training import build_module
    from nas_core.weights import state_dict_bytes

    data = load_dataset(DataSpec())
    archs = sample(
        0, 100, input=Input(data.input_shape, data.classes), space=load_search_space(),
        limits=Limits(),
    )  # fmt: skip
    from nas_core.arch import count_params

    largest = max(archs, key=count_params)
    module = build_module(largest).eval()
    model = types.SimpleNamespace(id=largest.name, arch=largest)
    weights = state_dict_bytes(module)

    def export():
        return _onnx(None, model, module, weights, tmp_path / "m.onnx", lambda: data)

    out = benchmark.pedantic(export, rounds=3, iterations=1)
    assert out[tmp_path / "m.onnx"][:2]  # bytes of an ONNX model
    benchmark.extra_info.update(params=count_params(largest), model=largest.name)
