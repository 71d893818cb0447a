"""The loop of one pool worker process: receive a job, train, stream epochs back.

It runs in a fresh (spawned) interpreter: the thread count is fixed before torch is
imported. It answers every job with exactly one of `Done`, `Cancelled` or `Failed`
(after any number of `Epoch` messages) and stays alive for the next one. It ends when
told to `Stop`, or when the parent process is gone (its pipe closes, or it is
re-parented), so no worker outlives its pool.
"""

from __future__ import annotations

import contextlib
import os
import signal
import traceback
from collections import OrderedDict
from multiprocessing.connection import Connection
from pathlib import Path

from nas_core.specs import DataSpec

from .jobs import (
    Cancel,
    Cancelled,
    Done,
    Epoch,
    Failed,
    RunOneShot,
    Stop,
    Train,
    TrainJob,
    decode_to_worker,
    encode,
)

__all__ = ["worker_main"]

DATA_CACHE = 2  # data sets kept per worker process (the most recently used)
IDLE_CHECK_S = 1.0  # how often an idle worker checks that its parent still lives


class _ParentGone(BaseException):
    """The pool's process is gone or closing: leave at once (not an `Exception`, so
    that no handler of the training turns it into a failure)."""


def worker_main(
    conn: Connection, threads: int, device: str | None, preload: DataSpec | None, root: str | None
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    from nas_core.data import load_dataset

    from .loop import train
    from .threads import set_threads

    set_threads(threads)
    parent = os.getppid()
    cache: OrderedDict[tuple[DataSpec, str | None], object] = OrderedDict()

    def dataset(spec: DataSpec, root: str | None):
        key = (spec, root)
        if key in cache:
            cache.move_to_end(key)
        else:
            cache[key] = load_dataset(spec, root=Path(root) if root else None)
            while len(cache) > DATA_CACHE:
                cache.popitem(last=False)
        return cache[key]

    def receive(timeout: float | None):
        """The next message, or None after `timeout`; raises `_ParentGone`."""
        if os.getppid() != parent:
            raise _ParentGone
        try:
            if not conn.poll(timeout):
                return None
            return decode_to_worker(conn.recv_bytes())
        except (EOFError, OSError):
            raise _ParentGone from None

    def send(msg) -> None:
        try:
            conn.send_bytes(encode(msg))
        except OSError:  # the pipe broke: the parent is gone
            raise _ParentGone from None

    def should_stop() -> bool:
        msg = receive(0)
        if isinstance(msg, Stop):
            raise _ParentGone
        return isinstance(msg, Cancel)

    if preload is not None:
        # a failure is reported again, with its reason, by the first job that needs it
        with contextlib.suppress(Exception):
            dataset(preload, root)
    try:
        while True:
            msg = receive(IDLE_CHECK_S)
            if msg is None or isinstance(msg, Cancel):
                continue  # a late cancel of a job that had already finished
            if isinstance(msg, Stop):
                return
            if isinstance(msg, RunOneShot):  # issue 18: a supernet or a batch of scores
                from nas_core.oneshot.worker_jobs import run_oneshot_job

                send(run_oneshot_job(msg.job, dataset, device, send, should_stop))
                continue
            assert isinstance(msg, Train)
            send(_run(msg.job, dataset, train, device, send, should_stop))
    except _ParentGone:
        return


def _run(job: TrainJob, dataset, train, device: str | None, send, should_stop):
    """One job, answered with `Done`, `Cancelled` or `Failed`."""
    from .errors import TrainingCancelled

    try:
        data = dataset(job.data, job.data_root)
        initial, keep = _weights(job)
        result = train(
            job.arch,
            data,
            job.config,
            seed=job.seed,
            device=device,
            on_epoch=lambda m: send(Epoch(m)),
            should_stop=should_stop,
            initial=initial,
            first_epoch=job.first_epoch,
            keep=keep,
        )
        return Done(result)
    except TrainingCancelled as exc:
        return Cancelled(exc.epochs)
    except Exception as exc:
        return Failed(f"{type(exc).__name__}: {exc}", traceback.format_exc())


def _weights(job: TrainJob):
    """The job's initial ``state_dict`` (or None) and the `keep` that stores the tested
    weights in its folder (or None): written here, in the trainer process, so that the
    process recording events never waits on a file."""
    if job.weights_dir is None:
        if job.init_weights is not None:
            raise ValueError(f"model {job.model_id} starts from weights, but no folder holds them")
        return None, None
    from nas_core.weights import WeightStore, load_state_dict, state_dict_bytes

    store = WeightStore(job.weights_dir)
    initial = None
    if job.init_weights is not None:
        initial = load_state_dict(store.read(job.init_weights), f"weights {job.init_weights[:12]}…")
    return initial, lambda module: store.put(state_dict_bytes(module))
