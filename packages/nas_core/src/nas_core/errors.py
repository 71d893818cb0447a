"""Errors raised by `nas_core`.

Every error of the package derives from `NasCoreError`, so a caller (the server, the
CLI) can catch one class and turn it into a 4xx answer or a line on stderr. Callers
tell the cases apart by class (`nas_core.events.UnknownSession`, `SessionExists` …),
never by the words of a message; nas_core knows nothing of HTTP (the server maps
classes to statuses). Messages name what is wrong, where, and, when it is not obvious,
what to do about it.
"""

from __future__ import annotations

__all__ = [
    "ArchitectureError",
    "GeneratorError",
    "HandcraftError",
    "NasCoreError",
    "SearchSpaceError",
]


class NasCoreError(Exception):
    """Base class of every error raised by `nas_core`: catch it to handle any of them."""


class ArchitectureError(NasCoreError):
    """Raised when an architecture is malformed or invalid.

    `index` is the offending layer's index (``None`` when the problem is not one
    layer's, e.g. the whole model is over the parameter cap), `reason` says what is
    wrong, and `path` is the JSON path of a decoding error (``$.layers[2].rate``).
    ``str(error)`` reads ``"layer 4: conv after dense"``; a decoding error (one with a
    `path`) reads as REMAP's reason followed by the path:
    ``"must be less than 1.0 - at `$.layers[2].rate`"``.
    """

    def __init__(self, index: int | None, reason: str, *, path: str | None = None) -> None:
        self.index = index
        self.reason = reason
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.index is None or self.path is not None:
            return self.reason
        return f"layer {self.index}: {self.reason}"

    def __reduce__(self):  # keep pickling (e.g. across worker processes) faithful
        return (_rebuild_architecture_error, (self.index, self.reason, self.path))


def _rebuild_architecture_error(index, reason, path):
    return ArchitectureError(index, reason, path=path)


class SearchSpaceError(NasCoreError):
    """Raised when a search-space table cannot be found, decoded or validated."""


class GeneratorError(NasCoreError):
    """Raised when a generator cannot do what it was asked.

    `skipped` holds the attempts that were rejected on the way (each a
    `nas_core.generators.Skipped` with its reason), so the caller can show why.
    """

    def __init__(self, message: str, *, skipped: tuple = ()) -> None:
        self.skipped = tuple(skipped)
        super().__init__(message)


class HandcraftError(GeneratorError):
    """Raised when a handcrafted edit list cannot be applied.

    `path` points into the command (``$.edits[1].index``); ``str(error)`` reads
    ``"no layer at index 9 (...) - at `$.edits[1].index`"``.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{reason} - at `{path}`")

    def __reduce__(self):
        return (HandcraftError, (self.path, self.reason))
