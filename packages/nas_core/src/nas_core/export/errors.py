"""The one error of `nas_core.export`."""

from __future__ import annotations

from nas_core.errors import NasCoreError

__all__ = ["ExportError"]


class ExportError(NasCoreError):
    """Raised when a model cannot be exported: it has not finished training, its
    weights file is missing, the format is unknown, or the exported model would not
    predict what REMAP recorded (ONNX checked with onnxruntime)."""
