"""The server's errors, and the HTTP status of each error nas_core raises.

Every error the server raises on purpose derives from `RemapServerError`. nas_core
knows nothing of HTTP: its errors say what went wrong by their class (`UnknownSession`,
`SessionExists` …), and `STATUS` here is the one place that gives each class its
status (`status_of`), so no answer is chosen by the words of a message.
"""

from __future__ import annotations

from nas_core.errors import NasCoreError
from nas_core.events import (
    ConcurrencyError,
    SessionExists,
    StoreError,
    UnknownSession,
)
from nas_core.service import SessionSetAside

from .api import ErrorBody

__all__ = [
    "STATUS",
    "ApiError",
    "BindError",
    "BodyTooLarge",
    "CliError",
    "RemapServerError",
    "status_of",
]


class RemapServerError(Exception):
    """Base class of every error the server raises on purpose: catch it to handle any
    of them."""


class ApiError(RemapServerError):
    """Raised inside a handler for an answer other than success: `status`, and `body`,
    the `ErrorBody` saying what is wrong (`error`) and where (`path`, `line`)."""

    def __init__(
        self, status: int, error: str, path: str | None = None, line: int | None = None
    ) -> None:
        super().__init__(error)
        self.status = status
        self.body = ErrorBody(error, path, line)


class BodyTooLarge(RemapServerError):
    """Raised when a request body is over its cap (`limit` bytes): a 413."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the request body is larger than {limit:,} bytes")


class BindError(RemapServerError, ValueError):
    """Raised when the server is to bind an address other machines can reach without a
    token; the message says how to give one. Also a `ValueError`, as it always was."""


class CliError(RemapServerError):
    """Raised by a ``remap`` command for a failure to report on stderr; `status` is the
    exit status (1: the work failed; 2: a usage error)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# The HTTP status of each nas_core error class; the most derived class listed wins.
STATUS: dict[type[Exception], int] = {
    NasCoreError: 422,  # the input does not apply
    UnknownSession: 404,
    SessionExists: 409,
    SessionSetAside: 409,  # its log cannot be restored; the other sessions are served
    StoreError: 503,  # the store cannot be written: nothing was recorded
    ConcurrencyError: 409,  # another process wrote first: try again
}


def status_of(error: Exception) -> int:
    """The HTTP status of `error` by its class (`STATUS`), 500 when none is listed."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500
