"""Compact binary forms of the log's big arrays (DESIGN.md: "Predictions are packed bytes").

A finished model's test-set predictions and a model's distance row are the bulk of a
session's log. As JSON lists they cost 2-20 characters a number and dominate decode
time; as bytes (base64 in JSON, raw in msgpack) they cost at most 1.34 characters a
label (4-bit labels: 0.67) and decode with one base64 pass.

- labels: ``[bits][count: uint32 LE][data]``, `bits` in 4, 8, 16, 32 (the fewest that
  hold the largest label); 4-bit labels are two a byte, the first in the low nibble.
- floats: little-endian float64, 8 bytes each, exact (a restore lays out the same
  numbers the live session did, so positions reproduce bit for bit).

Pure functions; `PackError` says what is wrong with a packed value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nas_core.errors import NasCoreError

__all__ = [
    "PackError", "pack_floats", "pack_label_rows", "pack_labels", "unpack_floats", "unpack_labels",
]  # fmt: skip

_HEADER = 5
_DTYPES = {8: np.dtype("<u1"), 16: np.dtype("<u2"), 32: np.dtype("<u4")}


class PackError(NasCoreError, ValueError):
    """Raised for a value that cannot be packed, or packed bytes that are not what
    their header says."""


def pack_labels(labels: Sequence[int] | np.ndarray) -> bytes:
    """`labels` (non-negative class labels, below 2**32) packed; see the module."""
    a = np.asarray(labels)
    if a.ndim != 1:
        raise PackError(f"labels must be one-dimensional, got shape {a.shape}")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise PackError(f"labels must be integers, got {a.dtype}")
    top = int(a.max()) if a.size else 0
    if a.size and int(a.min()) < 0:
        raise PackError(f"labels must be >= 0, got {int(a.min())}")
    if top >= 2**32:
        raise PackError(f"labels must be below 2**32, got {top}")
    bits = 4 if top < 16 else 8 if top < 256 else 16 if top < 65536 else 32
    header = bytes((bits,)) + a.size.to_bytes(4, "little")
    if bits == 4:
        nibbles = np.zeros(a.size + (a.size & 1), dtype=np.uint8)
        nibbles[: a.size] = a
        return header + (nibbles[0::2] | (nibbles[1::2] << 4)).tobytes()
    return header + a.astype(_DTYPES[bits]).tobytes()


def pack_label_rows(rows: np.ndarray) -> list[bytes]:
    """`pack_labels` of each row of the 2-D integer array `rows`, byte for byte; rows of
    4-bit labels (class labels below 16: most) are packed together in one pass."""
    a = np.asarray(rows)
    if a.ndim != 2:
        raise PackError(f"label rows must be two-dimensional, got shape {a.shape}")
    if not a.shape[1]:
        return [pack_labels(row) for row in a]
    if not np.issubdtype(a.dtype, np.integer):
        raise PackError(f"labels must be integers, got {a.dtype}")
    small = (a.min(axis=1) >= 0) & (a.max(axis=1) < 16)
    out: list[bytes] = [b""] * len(a)
    which = np.flatnonzero(small)
    if len(which):
        count = a.shape[1]
        nibbles = np.zeros((len(which), count + (count & 1)), dtype=np.uint8)
        nibbles[:, :count] = a[which]
        body = (nibbles[:, 0::2] | (nibbles[:, 1::2] << 4)).tobytes()
        header = bytes((4,)) + count.to_bytes(4, "little")
        width = (count + 1) // 2
        for j, i in enumerate(which.tolist()):
            out[i] = header + body[j * width : (j + 1) * width]
    for i in np.flatnonzero(~small).tolist():
        out[i] = pack_labels(a[i])
    return out


def unpack_labels(packed: bytes | bytearray | memoryview) -> np.ndarray:
    """The labels of `packed` (a read-only uint8/16/32 array); `PackError` when its
    length is not the one its header says."""
    raw = memoryview(packed).cast("B")
    if len(raw) < _HEADER:
        raise PackError(f"packed labels are {len(raw)} bytes, shorter than their 5-byte header")
    bits, count = raw[0], int.from_bytes(raw[1:_HEADER], "little")
    body = raw[_HEADER:]
    if bits == 4:
        need = (count + 1) // 2
        if len(body) != need:
            raise PackError(_length(count, bits, need, len(body)))
        data = np.frombuffer(body, dtype=np.uint8)
        out = np.empty(2 * need, dtype=np.uint8)
        out[0::2] = data & 0x0F
        out[1::2] = data >> 4
        return out[:count]
    dtype = _DTYPES.get(bits)
    if dtype is None:
        raise PackError(f"packed labels say {bits} bits a label: not 4, 8, 16 or 32")
    need = count * dtype.itemsize
    if len(body) != need:
        raise PackError(_length(count, bits, need, len(body)))
    return np.frombuffer(body, dtype=dtype)


def pack_floats(values: Sequence[float] | np.ndarray) -> bytes:
    """`values` as little-endian float64 bytes."""
    return np.asarray(values, dtype="<f8").tobytes()


def unpack_floats(packed: bytes | bytearray | memoryview) -> np.ndarray:
    """The float64 values of `packed`; `PackError` when it is not a whole number of them."""
    if len(packed) % 8:
        raise PackError(f"packed floats are {len(packed)} bytes, not a multiple of 8")
    return np.frombuffer(packed, dtype="<f8")


def _length(count: int, bits: int, need: int, got: int) -> str:
    return f"packed labels say {count} labels of {bits} bits ({need} bytes) but hold {got} bytes"
