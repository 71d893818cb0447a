"""The error of the one-shot language: a path into the super-architecture and why."""

from __future__ import annotations

from nas_core.errors import NasCoreError

__all__ = ["SupernetError"]


class SupernetError(NasCoreError):
    """Raised when a super-architecture, a mask or an edit is invalid. `path` is the
    JSON path (``$.layers[2].blocks[1]``), `reason` says what is wrong; ``str(error)``
    reads ``"$.layers[2].blocks[1]: output shape 32×4×4 differs from block b4's 16×4×4"``."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def __reduce__(self):
        return (SupernetError, (self.path, self.reason))
