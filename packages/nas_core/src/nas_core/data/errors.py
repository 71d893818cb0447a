"""The error of the data loaders."""

from __future__ import annotations

from nas_core.errors import NasCoreError

__all__ = ["DataError"]


class DataError(NasCoreError):
    """Raised when a data set cannot be loaded: a missing or unreadable file, a missing
    key, arrays of the wrong shape or type, mismatched lengths, labels out of range.

    ``path`` is the file or folder at fault (``None`` when the problem is the request
    itself); ``str(error)`` names it and says what is wrong.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)

    def __reduce__(self):  # keep pickling (e.g. across worker processes) faithful
        return (_rebuild, (self.message, self.path))


def _rebuild(message: str, path: str | None) -> DataError:
    return DataError(message, path=path)
