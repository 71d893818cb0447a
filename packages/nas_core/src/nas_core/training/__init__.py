"""Training: the torch module of an architecture, the training loop, the time
estimate, and a pool of worker processes that train models side by side.

`build_module`, `train`, `pick_device` and `set_threads` need torch and import it on
first use; the rest (errors, `TrainJob`, `TrainerPool`, `Throughput`) does not, so a
process that only hands jobs to a pool never loads torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import TrainingCancelled, TrainingError, TrainingFailed, WorkerDied
from .estimate import Observation, Throughput
from .jobs import TrainJob, WorkerInfo
from .pool import TrainerPool

if TYPE_CHECKING:
    from .loop import pick_device, train
    from .module import build_module
    from .threads import set_threads

__all__ = [
    "Observation",
    "Throughput",
    "TrainJob",
    "TrainerPool",
    "TrainingCancelled",
    "TrainingError",
    "TrainingFailed",
    "WorkerDied",
    "WorkerInfo",
    "build_module",
    "pick_device",
    "set_threads",
    "train",
]

_LAZY = {
    "build_module": ".module",
    "pick_device": ".loop",
    "set_threads": ".threads",
    "train": ".loop",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
