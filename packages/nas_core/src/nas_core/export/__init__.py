"""A trained model out of REMAP: ``state_dict`` (with a JSON sidecar), ``torchscript``,
``onnx`` (checked with onnxruntime) or a standalone ``python`` file.

Everything but `FORMATS`, `SUFFIXES` and `ExportError` loads on first use (`export_model`
and `trained_module` need torch; `sidecar` and `preprocessing` do not).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import ExportError
from .kinds import FORMATS, SUFFIXES

if TYPE_CHECKING:
    from .formats import export_model, exported_files, trained_module
    from .preprocessing import preprocessing
    from .sidecar import sidecar

__all__ = [
    "FORMATS",
    "SUFFIXES",
    "ExportError",
    "export_model",
    "exported_files",
    "preprocessing",
    "sidecar",
    "trained_module",
]

_LAZY = {
    "export_model": ".formats",
    "exported_files": ".formats",
    "trained_module": ".formats",
    "preprocessing": ".preprocessing",
    "sidecar": ".sidecar",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
