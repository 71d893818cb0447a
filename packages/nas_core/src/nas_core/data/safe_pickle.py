"""Loading the pickles of a CIFAR-10 python-format folder without running their code.

Python's pickle can call any importable function while it loads. The CIFAR batches
only need numpy's array reconstruction (and, for files written by Python 3 with
protocol 2, ``_codecs.encode`` for bytes), so the unpickler below resolves those names
and refuses every other one: a crafted file cannot import or call anything else.
"""

from __future__ import annotations

import codecs
import pickle
from typing import Any, BinaryIO

import numpy as np

try:  # numpy 2
    from numpy._core import multiarray, numeric
except ImportError:  # numpy 1.26
    from numpy.core import multiarray, numeric  # type: ignore[no-redef]

__all__ = ["load_restricted"]

_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): multiarray._reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): multiarray._reconstruct,
    ("numpy.core.multiarray", "scalar"): multiarray.scalar,
    ("numpy._core.multiarray", "scalar"): multiarray.scalar,
    ("numpy.core.numeric", "_frombuffer"): numeric._frombuffer,  # protocol 5
    ("numpy._core.numeric", "_frombuffer"): numeric._frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,
    ("builtins", "bytearray"): bytearray,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "complex"): complex,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused to load {module}.{name}: only numpy arrays and plain values are "
                "allowed in a data file"
            ) from None


def load_restricted(f: BinaryIO) -> Any:
    """One pickled object of `f` (bytes keys stay bytes, as in the CIFAR-10 files)."""
    return _RestrictedUnpickler(f, encoding="bytes").load()
