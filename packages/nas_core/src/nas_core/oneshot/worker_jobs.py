"""A trainer process's one-shot jobs (torch; imported only inside workers): train a
supernet and write its checkpoint, or score a batch of subgraphs with its weights."""

from __future__ import annotations

import traceback
from collections import OrderedDict
from pathlib import Path

from nas_core.training.jobs import (
    Cancelled,
    EvalJob,
    EvalResult,
    Failed,
    OneShotDone,
    SubgraphScore,
    SupernetEpoch,
    SupernetJob,
    SupernetProgress,
    SupernetResult,
)

__all__ = ["run_job", "run_oneshot_job"]

NETS_KEPT = 2  # loaded supernets a worker keeps (by checkpoint digest)
_nets: OrderedDict[str, object] = OrderedDict()


def _net(job: EvalJob):
    from .train import load_checkpoint

    net = _nets.get(job.sha256)
    if net is None:
        net = _nets[job.sha256] = load_checkpoint(job.arch, Path(job.checkpoint), job.sha256)
        while len(_nets) > NETS_KEPT:
            _nets.popitem(last=False)
    else:
        _nets.move_to_end(job.sha256)
    return net


def run_job(job: SupernetJob | EvalJob, data, device, on_epoch=None, should_stop=None):
    """The job's result (`SupernetResult` or `EvalResult`); raises as training does."""
    from .train import evaluate_masks, save_checkpoint, train_supernet

    if isinstance(job, SupernetJob):
        trained = train_supernet(
            job.arch, data, job.config, seed=job.seed, device=device,
            on_epoch=None if on_epoch is None else (lambda e: on_epoch(SupernetProgress(*e))),
            should_stop=should_stop,
        )  # fmt: skip
        sha, size, path = save_checkpoint(trained.net, Path(job.folder))
        last = trained.epochs[-1].val_loss if trained.epochs else float("nan")
        return SupernetResult(sha, size, str(path), trained.wall_s, last)
    scores = evaluate_masks(
        _net(job), data, job.masks, job.recalibration, device=device, should_stop=should_stop
    )
    return EvalResult(tuple(SubgraphScore(*s) for s in scores))


def run_oneshot_job(job, dataset, device, send, should_stop):
    """One job in a pool worker, answered with `OneShotDone`, `Cancelled` or `Failed`."""
    from nas_core.training.errors import TrainingCancelled

    try:
        data = dataset(job.data, job.data_root)
        result = run_job(job, data, device, lambda p: send(SupernetEpoch(p)), should_stop)
        return OneShotDone(result)
    except TrainingCancelled as exc:
        return Cancelled(exc.epochs)
    except Exception as exc:
        return Failed(f"{type(exc).__name__}: {exc}", traceback.format_exc())
