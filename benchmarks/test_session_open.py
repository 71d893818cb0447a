"""Opening sessions from snapshots (issue 20, item 2), each against its baseline in the
same run.

- ``test_open_session``: one session of ``MODELS`` models trained 10 epochs and
  embedded by the real `Embedder` (~16 events a model), with 100 events after its
  snapshot: ``whole_log`` restores it from seq 1 (what every open did before), and
  ``snapshot_tail`` loads the snapshot, checks it against the log, and restores the
  100-event tail on top.
- ``test_serve_start``: `SessionService.resume_all` (what ``remap serve`` does before it
  answers) over ``SESSIONS`` copies of a finished session: ``no_snapshots`` folds and
  restores every one; ``snapshots`` finds them covered and done with one query and
  opens none of them; ``empty_store`` is the service's own start with no session (the
  constant part of both).

- ``test_remap_serve_answers_state``: the real ``remap serve`` process on a data folder
  holding one imported search (issue 20: "ready (state answered) in <= 2 s" with 100,000
  models), timed from its start to the end of the first ``GET .../state``: ``snapshot``
  with `REMAP_SERVE_MODELS` (100,000) models and the snapshot a closing service wrote;
  ``rebuild`` (the baseline: how every start went before) with 10,000 models and no
  snapshot, so the start folds and embeds the whole log.

Sizes: ``MODELS`` 2,000 and ``SESSIONS`` 20 of 500 models; under
``--benchmark-disable`` 60 and 3 of 40, and 300 and 100 served. ``extra_info`` has the
events read.
"""

from __future__ import annotations

import os
import random
import time
import urllib.request

import msgspec
import numpy as np
import pytest

import nas_core.service.session as session_module
from nas_core.arch import Input, Limits, arch_hash, count_flops, count_params
from nas_core.events import (
    CreateSession,
    EpochCompleted,
    EventStore,
    ModelCreated,
    Pending,
    Sampled,
    SessionState,
    TrainingFinished,
    TrainingQueued,
    TrainingStarted,
    handle,
)
from nas_core.generators import load_search_space, sample
from nas_core.imports import parse_search_lines
from nas_core.packed import pack_labels
from nas_core.service import Embedder, SessionService, restore
from nas_core.service.import_search import import_search
from nas_core.service.snapshots import SnapshotStore, snapshot_of, valid_for
from nas_core.specs import DatasetInfo, EpochMetrics, TrainConfig, TrainResult

pytest.importorskip("pytest_benchmark")

DIGITS = DatasetInfo(
    n_train=1222, n_val=215, n_test=360, input_shape=(1, 8, 8),
    class_names=tuple(str(i) for i in range(10)), digest="0" * 64,
)  # fmt: skip
TAIL = 100


def disabled(config) -> bool:
    return bool(config.getoption("benchmark_disable")) and not config.getoption("benchmark_enable")


def session_events(models: int) -> list[Pending]:
    """A finished session of `models` models, 10 epochs each, embedded for real."""
    rnd = random.Random(5)
    rng = np.random.default_rng(5)
    archs = sample(
        3, models, input=Input((1, 8, 8), 10), space=load_search_space(), limits=Limits()
    )
    out = list(handle(SessionState(), CreateSession(name="open"), dataset=DIGITS))
    embedder = Embedder()
    truth = rng.integers(0, 10, DIGITS.n_test)
    for k, arch in enumerate(archs):
        m = f"m{k + 1}"
        arch = msgspec.structs.replace(arch, name=m)
        params, flops = count_params(arch), count_flops(arch)
        out.append(Pending(f"c{k}", ModelCreated(
            m, arch, None, Sampled(seed=3, index=k, batch="b"), (), f"Sampled #{k}", params,
            flops, arch_hash(arch),
        )))  # fmt: skip
        out.append(Pending(f"q{k}", TrainingQueued(m, TrainConfig(), seed=k)))
        out.append(Pending(f"{m}:1:started", TrainingStarted(m, 1, "w1")))
        for e in range(1, 11):
            metrics = EpochMetrics(e, rnd.random(), 0.5, rnd.random(), 0.5, 0.1, 1e-3)
            out.append(Pending(f"{m}:1:epoch:{e}", EpochCompleted(m, 1, metrics)))
        predictions = truth.copy()
        wrong = rng.random(DIGITS.n_test) < rng.uniform(0.02, 0.5)
        predictions[wrong] = rng.integers(0, 10, int(wrong.sum()))
        result = TrainResult(
            epochs=10, best_epoch=10, stopped_early=False, test_loss=0.5, test_acc=0.5,
            per_class_acc=(0.5,) * 10, confusion=((36,) * 10,) * 10,
            predictions=pack_labels(predictions), params=params, flops=flops,
            forward_ms=0.1, backward_ms=0.2, wall_s=1.0, device="cpu",
        )  # fmt: skip
        out.append(Pending(f"{m}:1:finished", TrainingFinished(m, 1, result)))
        update = embedder.add(m, arch, predictions)
        out += [Pending(f"{m}:embedded:{e.projection}", e) for e in update.placements]
        out += [Pending(f"{m}:layout:{e.projection}", e) for e in update.relayouts]
    return out


def fill(store: EventStore, session: str, events: list[Pending]) -> None:
    for k in range(0, len(events), 10_000):
        store.append(session, events[k : k + 10_000])


@pytest.fixture(scope="module")
def one_big(request, tmp_path_factory):
    models = 60 if disabled(request.config) else 2_000
    events = session_events(models)
    path = tmp_path_factory.mktemp("open") / "remap.db"
    store = EventStore(path, synchronous="NORMAL")
    fill(store, "big", events[:-TAIL])
    whole = store.read("big")
    snaps = SnapshotStore.beside(store)
    snaps.save(snapshot_of("big", whole[-1], restore(whole)))
    fill(store, "big", events[-TAIL:])
    yield store, snaps, len(events)
    snaps.close()
    store.close()


@pytest.mark.benchmark(group="open")
@pytest.mark.parametrize("how", ["whole_log", "snapshot_tail"])
def test_open_session(benchmark, request, one_big, how: str) -> None:
    store, snaps, count = one_big

    def whole():
        return restore(store.read("big"))

    def from_snapshot():
        snap = snaps.load("big")
        at = store.read("big", after=snap.seq - 1, limit=1)
        assert valid_for(snap, at[0])
        return restore(store.read("big", after=snap.seq), snap)

    run = whole if how == "whole_log" else from_snapshot
    rounds = 1 if disabled(request.config) else 5
    restored = benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=1)
    assert restored.state.last_seq == count
    benchmark.extra_info["events_in_log"] = count
    benchmark.extra_info["events_read"] = count if how == "whole_log" else TAIL + 1


@pytest.fixture(scope="module")
def many(request, tmp_path_factory):
    n, models = (3, 40) if disabled(request.config) else (20, 500)
    events = session_events(models)
    path = tmp_path_factory.mktemp("start") / "remap.db"
    with EventStore(path, synchronous="NORMAL") as store:
        for k in range(n):
            fill(store, f"s{k}", events)
    return path, n, len(events)


@pytest.mark.benchmark(group="serve-start")
@pytest.mark.parametrize("how", ["no_snapshots", "snapshots", "empty_store"])
def test_serve_start(benchmark, request, many, tmp_path, how: str, monkeypatch) -> None:
    path, n, count = many
    monkeypatch.setattr(session_module, "SNAPSHOT_EVERY", min(count, 2_000))
    store = EventStore(tmp_path / "empty.db" if how == "empty_store" else path)
    if how == "snapshots":  # a first start wrote them
        with SessionService(store, processes=1) as service:
            service.resume_all()
    opened: list[int] = []

    def start():
        with SessionService(store, processes=1, snapshots=how == "snapshots") as service:
            assert service.resume_all() == {}
            opened.append(len(service._live_sessions))

    rounds = 1 if disabled(request.config) else 3
    benchmark.pedantic(start, rounds=rounds, iterations=1)
    store.close()
    assert opened[-1] == (n if how == "no_snapshots" else 0)
    n = 0 if how == "empty_store" else n
    benchmark.extra_info.update(sessions=n, events_each=count, opened=opened[-1])


def _served_folder(bench, folder, models: int, *, snapshot: bool) -> tuple[str, int]:
    """A data folder whose store holds one session of `models` imported models (and
    its snapshot, or none): the session id and its last seq. `bench`: the import
    benchmark's module (its search file)."""
    folder.mkdir(parents=True, exist_ok=True)
    with EventStore(folder / "remap.db", synchronous="NORMAL") as store:  # noqa: SIM117
        with SessionService(
            store, runner=bench._NoTraining(), processes=1, snapshots=snapshot, data_root=folder
        ) as svc:
            session = svc.create_session("served")
            text = bench.search_text(models, svc.state(session))
            import_search(svc, session, parse_search_lines(text), source="bench")
            last = svc.state(session).last_seq
    assert (folder / "remap.db.snapshots").exists() == snapshot
    return session, last


@pytest.fixture(scope="module")
def served(request, tmp_path_factory, import_bench):
    off = disabled(request.config)
    big = 300 if off else int(os.environ.get("REMAP_SERVE_MODELS", "100000"))
    base = 100 if off else 10_000
    root = tmp_path_factory.mktemp("serve")
    return {
        "snapshot": (
            root / "big",
            big,
            *_served_folder(import_bench, root / "big", big, snapshot=True),
        ),
        "rebuild": (
            root / "base",
            base,
            *_served_folder(import_bench, root / "base", base, snapshot=False),
        ),
    }


@pytest.mark.benchmark(group="serve-state")
@pytest.mark.parametrize("how", ["rebuild", "snapshot"])
def test_remap_serve_answers_state(benchmark, remap_serve, served, how: str) -> None:
    folder, models, session, last = served[how]
    answers: list[dict] = []

    def start_and_ask():
        began = time.perf_counter()
        with remap_serve(folder) as (url, _):
            with urllib.request.urlopen(f"{url}/api/sessions/{session}/state", timeout=600) as r:
                body = r.read()
            took = time.perf_counter() - began
        answers.append({"s": took, "bytes": len(body), "state": msgspec.json.decode(body)})
        return took

    benchmark.pedantic(start_and_ask, rounds=1, iterations=1)
    answer = answers[-1]
    state = answer["state"]
    assert state["last_seq"] == last
    assert len(state["models"]) == models
    benchmark.extra_info.update(
        models=models, events=last, seconds_to_state=round(answer["s"], 3),
        state_bytes=answer["bytes"],
    )  # fmt: skip
