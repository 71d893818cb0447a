"""The errors of training: a cancelled run, a failed one, a worker process that died.

All derive from `TrainingError` (a `NasCoreError`). They pickle faithfully, so that
they can cross process boundaries (Dramatiq, multiprocessing) unchanged.
"""

from __future__ import annotations

from nas_core.errors import NasCoreError

__all__ = ["TrainingCancelled", "TrainingError", "TrainingFailed", "WorkerDied"]


class TrainingError(NasCoreError):
    """Base class of the training errors; raised as itself when a training request
    cannot start (e.g. the architecture's input does not match the data set)."""


class TrainingCancelled(TrainingError):
    """Raised when the run was asked to stop: it stopped at a batch boundary after
    ``epochs`` complete epochs."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs
        super().__init__(f"training cancelled after {epochs} complete epoch(s)")

    def __reduce__(self):
        return (TrainingCancelled, (self.epochs,))


class TrainingFailed(TrainingError):
    """Raised when the training raised inside a worker process. ``reason`` is
    ``"Kind: message"`` of the exception there; ``details`` its traceback text."""

    def __init__(self, reason: str, details: str = "") -> None:
        self.reason = reason
        self.details = details
        super().__init__(reason)

    def __reduce__(self):
        return (TrainingFailed, (self.reason, self.details))


class WorkerDied(TrainingError):
    """Raised when the worker process training the model ended without an answer
    (killed, out of memory, crashed); ``reason`` says how (its exit code or signal).
    The pool has already replaced it, so the job may be retried. ``stopped``: the pool
    was closed under it (its owner stopping, e.g. on Ctrl-C), which is no crash."""

    def __init__(self, reason: str, exitcode: int | None = None, stopped: bool = False) -> None:
        self.reason = reason
        self.exitcode = exitcode
        self.stopped = stopped
        super().__init__(reason)

    def __reduce__(self):
        return (WorkerDied, (self.reason, self.exitcode, self.stopped))
