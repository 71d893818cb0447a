"""The export formats and the file suffix each writes to (no torch here)."""

from __future__ import annotations

__all__ = ["FORMATS", "SUFFIXES"]

FORMATS = ("state_dict", "torchscript", "onnx", "python")
SUFFIXES = {"state_dict": ".pt", "torchscript": ".pt", "onnx": ".onnx", "python": ".py"}
