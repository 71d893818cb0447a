"""What a trainer process is asked to do, and what it says back (msgpack over a pipe)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from nas_core.arch import Architecture
from nas_core.oneshot.types import Recalibration, SuperArchitecture, SupernetConfig
from nas_core.specs import DataSpec, EpochMetrics, TrainConfig, TrainResult
from nas_core.weights.ref import DIGEST

__all__ = ["EvalJob", "EvalResult", "SupernetJob", "SupernetResult", "TrainJob", "WorkerInfo"]

Seed = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class TrainJob(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One model to train: its id (for messages and errors), architecture, training
    configuration, seed, the data set (loaded once per worker process and kept) and the
    folder relative data paths are resolved in (``None``: as given).

    `weights_dir`: the `nas_core.weights.WeightStore` folder the trainer process writes
    the tested weights into (``None``: not kept). `init_weights`: the digest of the
    weights to start from (in that folder), and `first_epoch` the number of the first
    epoch (train longer: a model continued from its parent's epoch 10 starts at 11)."""

    model_id: str
    arch: Architecture
    config: TrainConfig
    seed: Seed
    data: DataSpec = DataSpec()
    data_root: str | None = None
    weights_dir: str | None = None
    init_weights: Annotated[str, msgspec.Meta(pattern=DIGEST)] | None = None
    first_epoch: Annotated[int, msgspec.Meta(ge=1)] = 1


class WorkerInfo(msgspec.Struct, frozen=True, gc=False):
    """A worker process of a `TrainerPool`: its pid, the model it trains (``None`` when
    idle) and how many jobs it has answered."""

    pid: int
    model_id: str | None
    jobs_done: int


# --- the messages between a pool and its worker processes -------------------------


class Train(msgspec.Struct, tag="train", frozen=True, gc=False):
    job: TrainJob


class Cancel(msgspec.Struct, tag="cancel", frozen=True, gc=False):
    pass


class Stop(msgspec.Struct, tag="stop", frozen=True, gc=False):
    pass


class Epoch(msgspec.Struct, tag="epoch", frozen=True, gc=False):
    metrics: EpochMetrics


class Done(msgspec.Struct, tag="done", frozen=True, gc=False):
    result: TrainResult


class Cancelled(msgspec.Struct, tag="cancelled", frozen=True, gc=False):
    epochs: int


class Failed(msgspec.Struct, tag="failed", frozen=True, gc=False):
    reason: str
    details: str


# --- one-shot search (issue 18): a supernet's training and a batch of subgraph scores --


class SupernetJob(
    msgspec.Struct, tag="supernet", frozen=True, forbid_unknown_fields=True, gc=False
):
    """Train a supernet's shared weights (`nas_core.oneshot.train`) and write the
    checkpoint into `folder` (``{sha256}.pt``). `model_id` names the job in messages."""

    model_id: str
    arch: SuperArchitecture
    config: SupernetConfig
    seed: Seed
    folder: str
    data: DataSpec = DataSpec()
    data_root: str | None = None


class EvalJob(msgspec.Struct, tag="eval", frozen=True, forbid_unknown_fields=True, gc=False):
    """Score `masks` with the weights of the checkpoint at `checkpoint` (its `sha256`
    checked; the worker keeps the last few loaded)."""

    model_id: str
    arch: SuperArchitecture
    checkpoint: str
    sha256: str
    masks: tuple[tuple[str, ...], ...]
    recalibration: Recalibration
    data: DataSpec = DataSpec()
    data_root: str | None = None


class SupernetProgress(msgspec.Struct, frozen=True, gc=False):
    epoch: int
    train_loss: float
    val_loss: float
    seconds: float
    lr: float


class SupernetResult(msgspec.Struct, tag="supernet", frozen=True, gc=False):
    sha256: str
    size: int
    path: str
    wall_s: float
    val_loss: float


class SubgraphScore(msgspec.Struct, frozen=True, gc=False):
    mask: tuple[str, ...]
    val_loss: float
    val_acc: float
    per_class_acc: tuple[float, ...]
    predictions: bytes
    ms: float


class EvalResult(msgspec.Struct, tag="eval", frozen=True, gc=False):
    scores: tuple[SubgraphScore, ...]


class RunOneShot(msgspec.Struct, tag="oneshot", frozen=True, gc=False):
    job: SupernetJob | EvalJob


class SupernetEpoch(msgspec.Struct, tag="supernet_epoch", frozen=True, gc=False):
    metrics: SupernetProgress


class OneShotDone(msgspec.Struct, tag="oneshot_done", frozen=True, gc=False):
    result: SupernetResult | EvalResult


ToWorker = Train | Cancel | Stop | RunOneShot
FromWorker = Epoch | Done | Cancelled | Failed | SupernetEpoch | OneShotDone

encode = msgspec.msgpack.Encoder().encode
decode_to_worker = msgspec.msgpack.Decoder(ToWorker).decode
decode_from_worker = msgspec.msgpack.Decoder(FromWorker).decode
