"""`TrainerPool`: worker processes that train, stream epochs, cancel, fail, die and are
replaced, in parallel for several caller threads, and never outlive their parent."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import msgspec
import pytest

from nas_core.arch import Architecture, Conv, Dense, Dropout, Flatten, Input, MaxPool, ReLU
from nas_core.data import load_dataset
from nas_core.packed import unpack_labels
from nas_core.specs import DataSpec, EpochMetrics, TrainConfig, TrainResult
from nas_core.training import (
    TrainerPool,
    TrainingCancelled,
    TrainingError,
    TrainingFailed,
    TrainJob,
    WorkerDied,
    set_threads,
    train,
)

DATA = DataSpec(limit=300)
CNN = Architecture(
    "cnn",
    Input((1, 8, 8), 10),
    (Conv(6, 3), ReLU(), MaxPool(2), Dropout(0.25), Flatten(), Dense(10)),
)


def _job(model_id: str, epochs: int = 2, seed: int = 7, **data) -> TrainJob:
    spec = msgspec.structs.replace(DATA, **data) if data else DATA
    return TrainJob(model_id, CNN, TrainConfig(epochs=epochs, batch_size=64), seed, spec)


def _untimed(result: TrainResult) -> TrainResult:
    return msgspec.structs.replace(result, wall_s=0.0, forward_ms=0.0, backward_ms=0.0)


@pytest.fixture(scope="module")
def pool():
    with TrainerPool(2, data=DATA) as pool:
        yield pool


def test_a_job_streams_its_epochs_to_the_calling_thread(pool: TrainerPool) -> None:
    seen: list[tuple[int, EpochMetrics]] = []
    result = pool.run(_job("m1"), on_epoch=lambda m: seen.append((threading.get_ident(), m)))
    assert [m.epoch for _, m in seen] == [1, 2]
    assert {ident for ident, _ in seen} == {threading.get_ident()}
    assert result.epochs == 2
    assert len(unpack_labels(result.predictions)) == 359
    # the worker (one torch thread) reproduces an in-process training exactly
    before = set_threads(1)
    try:
        local = train(CNN, load_dataset(DATA), _job("m1").config, seed=7)
    finally:
        set_threads(before)
    assert _untimed(local) == _untimed(result)
    assert [m.val_loss for _, m in seen] == list(_val_losses())


def _val_losses() -> list[float]:
    losses: list[float] = []
    before = set_threads(1)
    try:
        train(CNN, load_dataset(DATA), _job("m1").config, seed=7,
              on_epoch=lambda m: losses.append(m.val_loss))  # fmt: skip
    finally:
        set_threads(before)
    return losses


def test_two_threads_train_side_by_side_on_two_workers(pool: TrainerPool) -> None:
    results: dict[str, TrainResult] = {}
    pids: dict[str, set[int]] = {"a": set(), "b": set()}
    both_running = threading.Barrier(2, timeout=60)

    def run(model_id: str) -> None:
        def on_epoch(m: EpochMetrics) -> None:
            pids[model_id] |= {w.pid for w in pool.workers if w.model_id == model_id}
            if m.epoch == 1:
                both_running.wait()  # each waits for the other: they run at the same time

        results[model_id] = pool.run(_job(model_id, epochs=3), on_epoch=on_epoch)

    threads = [threading.Thread(target=run, args=(m,)) for m in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert set(results) == {"a", "b"}
    assert _untimed(results["a"]) == _untimed(results["b"])  # same seed, two processes
    assert len(pids["a"]) == len(pids["b"]) == 1
    assert pids["a"] != pids["b"]


def test_a_cancelled_job_stops_and_the_worker_carries_on(pool: TrainerPool) -> None:
    seen: list[EpochMetrics] = []
    with pytest.raises(TrainingCancelled) as info:
        pool.run(_job("long", epochs=500), on_epoch=seen.append, should_stop=lambda: bool(seen))
    assert 1 <= info.value.epochs < 500
    pids = {w.pid for w in pool.workers}
    assert pool.run(_job("after", epochs=1)).epochs == 1
    assert {w.pid for w in pool.workers} == pids  # nobody died


def test_a_killed_worker_raises_worker_died_and_is_replaced(pool: TrainerPool) -> None:
    killed: list[int] = []

    def kill_it(m: EpochMetrics) -> None:
        if not killed:
            (pid,) = [w.pid for w in pool.workers if w.model_id == "doomed"]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with pytest.raises(WorkerDied, match="was killed by SIGKILL while training model doomed") as e:
        pool.run(_job("doomed", epochs=500), on_epoch=kill_it)
    assert e.value.exitcode == -signal.SIGKILL
    assert pool.size == 2
    assert killed[0] not in {w.pid for w in pool.workers}
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(pool.run(_job("next", epochs=1))))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert [r.epochs for r in results] == [1, 1]  # the new worker trains too


def test_an_exception_in_the_worker_is_a_training_failure(pool: TrainerPool) -> None:
    pids = {w.pid for w in pool.workers}
    with pytest.raises(TrainingFailed, match=r"DataError: .*nowhere\.npz: no such file") as info:
        pool.run(_job("bad", kind="npz", path="/nowhere.npz"))
    assert "Traceback" in info.value.details
    three = msgspec.structs.replace(
        CNN, input=Input((1, 8, 8), 3), layers=(*CNN.layers[:-1], Dense(3))
    )
    wrong = msgspec.structs.replace(_job("wrong"), arch=three)
    with pytest.raises(TrainingFailed, match=r"TrainingError: .* the data set has 10 classes"):
        pool.run(wrong)
    assert {w.pid for w in pool.workers} == pids


def test_an_exception_in_on_epoch_cancels_the_job_and_propagates(pool: TrainerPool) -> None:
    def boom(m: EpochMetrics) -> None:
        raise KeyError("from on_epoch")

    pids = {w.pid for w in pool.workers}
    with pytest.raises(KeyError, match="from on_epoch"):
        pool.run(_job("x", epochs=500), on_epoch=boom)
    assert pool.run(_job("y", epochs=1)).epochs == 1
    assert {w.pid for w in pool.workers} == pids  # the worker answered: it stays


def test_jobs_and_errors_cross_process_boundaries() -> None:
    job = _job("m9")
    assert msgspec.json.decode(msgspec.json.encode(job), type=TrainJob) == job
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(job), type=TrainJob) == job
    for err in (
        TrainingCancelled(3),
        TrainingFailed("ValueError: x", "tb"),
        WorkerDied("gone", -9),
        WorkerDied("stopped: the pool was closed", None, stopped=True),
    ):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err)
        assert str(back) == str(err)
        assert back.__dict__ == err.__dict__


def test_a_closed_pool_refuses_jobs() -> None:
    pool = TrainerPool(1)
    processes = [w.pid for w in pool.workers]
    pool.close()
    with pytest.raises(TrainingError, match="closed"):
        pool.run(_job("late"))
    for pid in processes:
        assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_workers_exit_when_their_parent_dies(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, signal, sys, threading
        from nas_core.specs import DataSpec, TrainConfig
        from nas_core.training import TrainerPool, TrainJob
        from nas_core.arch import Architecture, Dense, Flatten, Input

        if __name__ == "__main__":
            pool = TrainerPool(2)
            arch = Architecture("m", Input((1, 8, 8), 10), (Flatten(), Dense(10)))
            job = TrainJob("busy", arch, TrainConfig(epochs=1000), 0, DataSpec(limit=100))
            def on_epoch(m):  # one worker training, one idle: then the parent dies
                print(" ".join(str(w.pid) for w in pool.workers), flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
            pool.run(job, on_epoch=on_epoch)
        """
    )
    (tmp_path / "parent.py").write_text(script)
    out = subprocess.run(
        [sys.executable, str(tmp_path / "parent.py")], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == -signal.SIGKILL, out.stderr
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)


def test_handing_jobs_to_a_pool_needs_no_torch() -> None:
    code = (
        "import sys, nas_core.training, nas_core.data;"
        "from nas_core.training import TrainerPool, TrainJob, Throughput;"
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
