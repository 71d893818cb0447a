"""`TrainerPool`: long-lived worker processes that train one model at a time each.

Each worker is a spawned interpreter with one torch thread (several side by side use
the cores without fighting over them), connected by a pipe; it loads a data set once
and keeps it. `TrainerPool.run` blocks the calling thread while one worker trains
the job, passes each epoch's metrics to ``on_epoch`` in that thread, forwards a cancel
when ``should_stop()`` turns true, and turns a dead worker into `WorkerDied` (and
starts a new worker in its place). Several threads may call `run` at once; each gets
a worker of its own, or waits for one. The parent needs no torch.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from pathlib import Path

from nas_core.specs import DataSpec, EpochMetrics, TrainResult

from .errors import TrainingCancelled, TrainingError, TrainingFailed, WorkerDied
from .jobs import (
    Cancel,
    Cancelled,
    Done,
    Epoch,
    Failed,
    OneShotDone,
    RunOneShot,
    Stop,
    SupernetEpoch,
    Train,
    TrainJob,
    WorkerInfo,
    decode_from_worker,
    encode,
)
from .worker import worker_main

__all__ = ["TrainerPool"]

POLL_S = 0.05  # how often a waiting caller asks should_stop() and checks its worker


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is None:
        return "stopped answering"
    if exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


class _Worker:
    def __init__(self, process, conn) -> None:
        self.process = process
        self.conn = conn
        self.send_lock = threading.Lock()
        self.model_id: str | None = None
        self.jobs_done = 0
        self.answered = False  # whether the current job got its final answer

    def send(self, msg) -> bool:
        """Send `msg`; False when the pipe is broken (the worker is gone)."""
        try:
            with self.send_lock:
                self.conn.send_bytes(encode(msg))
            return True
        except OSError:
            return False


class TrainerPool:
    """`processes` worker processes training models, each with `threads` torch threads.

    `data` (with `data_root`), when given, is loaded by every worker as it starts, so
    the first jobs need not wait for it. `device` is passed to `train` (``None``: CUDA
    when the worker sees a GPU, else the CPU). `context` is the multiprocessing start
    method (``"spawn"`` or ``"forkserver"``; never ``"fork"``, which would copy the
    caller's threads and locks). Use it as a context manager, or call `close`.
    """

    def __init__(
        self,
        processes: int = 2,
        *,
        threads: int = 1,
        data: DataSpec | None = None,
        data_root: str | Path | None = None,
        device: str | None = None,
        context: str = "spawn",
    ) -> None:
        if processes < 1:
            raise ValueError(f"processes must be >= 1, not {processes}")
        if context not in ("spawn", "forkserver"):
            raise ValueError(f"context must be 'spawn' or 'forkserver', not {context!r}")
        self._ctx = multiprocessing.get_context(context)
        self._args = (threads, device, data, None if data_root is None else str(data_root))
        self._lock = threading.Lock()
        self._closed = False
        self._workers: list[_Worker] = []
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        for _ in range(processes):
            self._idle.put(self._start())

    # --- workers -------------------------------------------------------------------

    def _start(self) -> _Worker:
        ours, theirs = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=worker_main, args=(theirs, *self._args), name="nas-core-trainer", daemon=True
        )
        process.start()
        theirs.close()  # so that the worker's death reads as end-of-file here
        worker = _Worker(process, ours)
        with self._lock:
            self._workers.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        """Kill `worker` (if it still runs) and put a fresh one in its place."""
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        with self._lock:
            self._workers.remove(worker)
            closed = self._closed
        if not closed:
            self._idle.put(self._start())

    @property
    def workers(self) -> tuple[WorkerInfo, ...]:
        """The live worker processes, and what each is training."""
        with self._lock:
            return tuple(
                WorkerInfo(w.process.pid or 0, w.model_id, w.jobs_done) for w in self._workers
            )

    @property
    def size(self) -> int:
        """The number of worker processes."""
        with self._lock:
            return len(self._workers)

    # --- jobs ----------------------------------------------------------------------

    def run(
        self,
        job: TrainJob,
        *,
        on_epoch: Callable[[EpochMetrics], object] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> TrainResult:
        """Train `job` on a free worker (waiting for one) and return its result.

        Blocks the calling thread; ``on_epoch`` is called in it after every epoch, and
        ``should_stop()`` is polled in it every few tens of milliseconds: once it is
        true the worker stops at its next batch boundary. If ``on_epoch`` raises, the
        job is cancelled and that exception propagates.

        Raises `TrainingCancelled` (stopped on request), `TrainingFailed` (the training
        raised in the worker; its reason names the exception), `WorkerDied` (the
        worker process ended without an answer; a new one already replaces it) and
        `TrainingError` once the pool is closed.
        """
        worker = self._take()
        worker.answered = False
        try:
            return self._exchange(worker, job, on_epoch, should_stop)
        finally:
            worker.model_id = None
            if worker.answered:
                worker.jobs_done += 1
                self._idle.put(worker)
            else:  # dead, or left mid-job (an interrupt): it cannot be trusted again
                self._retire(worker)

    def _take(self) -> _Worker:
        while True:
            if self._closed:
                raise TrainingError("the trainer pool is closed")
            try:
                return self._idle.get(timeout=POLL_S * 4)
            except queue.Empty:
                continue

    def _exchange(
        self,
        worker: _Worker,
        job: TrainJob,
        on_epoch: Callable[[EpochMetrics], object] | None,
        should_stop: Callable[[], bool] | None,
    ) -> TrainResult:
        worker.model_id = job.model_id
        if not worker.send(Train(job) if isinstance(job, TrainJob) else RunOneShot(job)):
            raise self._died(worker, job)
        cancelled = False
        raised: BaseException | None = None  # from on_epoch; re-raised once the job ends
        asked = time.monotonic()
        while True:
            ready = wait([worker.conn, worker.process.sentinel], timeout=POLL_S)
            if worker.conn in ready or (ready and worker.conn.poll()):
                try:
                    msg = decode_from_worker(worker.conn.recv_bytes())
                except (EOFError, OSError):
                    raise self._died(worker, job) from None
                if not isinstance(msg, Epoch | SupernetEpoch):
                    worker.answered = True  # the job is over; the worker waits for the next
                    if raised is not None:
                        raise raised
                    if isinstance(msg, Done | OneShotDone):
                        return msg.result
                    if isinstance(msg, Cancelled):
                        raise TrainingCancelled(msg.epochs)
                    assert isinstance(msg, Failed)
                    raise TrainingFailed(msg.reason, msg.details)
                if on_epoch is not None and raised is None:
                    try:
                        on_epoch(msg.metrics)
                    except BaseException as exc:
                        raised = exc
                        cancelled = cancelled or worker.send(Cancel())
            elif ready:  # the process ended and nothing is left to read
                raise self._died(worker, job)
            # ask after every epoch, and every POLL_S while none comes
            if (
                not cancelled
                and should_stop is not None
                and (ready or time.monotonic() - asked >= POLL_S)
            ):
                asked = time.monotonic()
                if should_stop():
                    cancelled = worker.send(Cancel())

    def _died(self, worker: _Worker, job: TrainJob) -> WorkerDied:
        worker.process.join(timeout=2)
        code = worker.process.exitcode
        how = "was stopped: the trainer pool was closed" if self._closed else _how_it_ended(code)
        return WorkerDied(
            f"worker process {worker.process.pid} {how} while training model {job.model_id}",
            code,
            stopped=self._closed,
        )

    # --- closing -------------------------------------------------------------------

    def close(self, timeout: float = 5.0) -> None:
        """Stop every worker (a training in progress stops at its next batch boundary
        and its `run` raises) and wait up to `timeout` seconds before killing them."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._workers)
        for w in workers:
            w.send(Stop())
        for w in workers:
            w.process.join(timeout)
            if w.process.is_alive():
                w.process.kill()
                w.process.join(1)
        for w in workers:
            with contextlib.suppress(OSError):
                if w.model_id is None:
                    w.conn.close()

    def __enter__(self) -> TrainerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
