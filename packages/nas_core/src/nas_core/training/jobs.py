"""What a trainer process is asked to do, and what it says back (msgpack over a pipe)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from nas_core.arch import Architecture
from nas_core.specs import DataSpec, EpochMetrics, TrainConfig, TrainResult

__all__ = ["TrainJob", "WorkerInfo"]

Seed = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class TrainJob(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One model to train: its id (for messages and errors), architecture, training
    configuration, seed, the data set (loaded once per worker process and kept) and the
    folder relative data paths are resolved in (``None``: as given)."""

    model_id: str
    arch: Architecture
    config: TrainConfig
    seed: Seed
    data: DataSpec = DataSpec()
    data_root: str | None = None


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


ToWorker = Train | Cancel | Stop
FromWorker = Epoch | Done | Cancelled | Failed

encode = msgspec.msgpack.Encoder().encode
decode_to_worker = msgspec.msgpack.Decoder(ToWorker).decode
decode_from_worker = msgspec.msgpack.Decoder(FromWorker).decode
