"""Checks and conversions shared by the loaders: images to float32 (N, C, H, W), labels
to int64 (N,), with a `DataError` naming the file and the array when they do not fit."""

from __future__ import annotations

import numpy as np

from .errors import DataError

__all__ = ["as_images", "as_labels", "check_labels"]


def _channels_last(shape: tuple[int, ...]) -> bool:
    """(N, H, W, C) when the last axis looks like channels: at most 4 and smaller than
    the second axis (28×28×1, 32×32×3); otherwise (N, C, H, W)."""
    return shape[3] <= 4 and shape[3] < shape[1]


def as_images(x: np.ndarray, name: str, path: str) -> np.ndarray:
    """`x` as C-contiguous float32 (N, C, H, W): (N, H, W) gains one channel, (N, H, W, C)
    is transposed; uint8 is scaled from 0..255 to 0..1, floats are kept as they are."""
    if x.ndim not in (3, 4):
        raise DataError(
            f"{name} must be images of shape (N, H, W), (N, H, W, C) or (N, C, H, W), "
            f"not an array of shape {x.shape}",
            path=path,
        )
    if x.shape[0] == 0:
        raise DataError(f"{name} is empty", path=path)
    if min(x.shape) < 1:
        raise DataError(f"{name} has an empty axis: shape {x.shape}", path=path)
    if x.dtype == np.uint8:
        out = x.astype(np.float32) / np.float32(255.0)
    elif np.issubdtype(x.dtype, np.floating):
        out = x.astype(np.float32)
        if not np.isfinite(out).all():
            raise DataError(f"{name} holds NaN or infinite values", path=path)
    else:
        raise DataError(
            f"{name} has dtype {x.dtype}: use uint8 (0..255, scaled to 0..1) or a float type",
            path=path,
        )
    if out.ndim == 3:
        out = out[:, None]
    elif _channels_last(out.shape):
        out = out.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(out)


def as_labels(y: np.ndarray, name: str, path: str, n: int) -> np.ndarray:
    """`y` as int64 (N,); accepts (N,) and (N, 1) integer arrays of length `n`."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(f"{name} must be a vector of N labels, not shape {y.shape}", path=path)
    if not (np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_):
        raise DataError(f"{name} must hold integer class labels, not dtype {y.dtype}", path=path)
    if len(y) != n:
        raise DataError(f"{name} has {len(y)} labels for {n} images", path=path)
    return y.astype(np.int64)


def check_labels(y: np.ndarray, name: str, path: str, classes: int) -> None:
    """Every label of `y` in ``0..classes - 1``."""
    bad = (y < 0) | (y >= classes)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{name}[{i}] is {int(y[i])}: labels must be in 0..{classes - 1} "
            f"({classes} classes); {int(bad.sum())} label(s) out of range",
            path=path,
        )
