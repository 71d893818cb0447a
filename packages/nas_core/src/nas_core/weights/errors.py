"""The one error of `nas_core.weights`."""

from __future__ import annotations

from nas_core.errors import NasCoreError

__all__ = ["WeightsError"]


class WeightsError(NasCoreError):
    """Raised when a weights file is missing, damaged, or cannot be stored or sent; the
    message names the file or digest and what is wrong."""
