"""A Quick, Draw! folder: one ``.npy`` file of 28×28 bitmaps per class, each a
``(N, 784)`` uint8 array (Google's ``full_numpy_bitmap_<class>.npy``; the prefix is
dropped from the class name). The files are memory-mapped, so that a seeded sample of
``per_class`` drawings of each class reads only those rows. The test split is a seeded,
stratified ``test_fraction`` of what is read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import DataError
from .raw import Raw
from .select import pick_classes
from .split import hold_out

__all__ = ["PREFIX", "SIDE", "npy_files", "read_quickdraw"]

SIDE = 28
PREFIX = "full_numpy_bitmap_"


def npy_files(folder: Path) -> list[Path]:
    """The visible ``.npy`` files of `folder`, by name."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() == ".npy" and not p.name.startswith(".") and p.is_file()
    )


def _class_name(path: Path) -> str:
    stem = path.stem
    return stem[len(PREFIX) :] if stem.startswith(PREFIX) and len(stem) > len(PREFIX) else stem


def _open(path: Path) -> np.ndarray:
    where = str(path)
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(
            "not a readable .npy file (corrupt, truncated, or an object array)", path=where
        ) from exc
    if not isinstance(array, np.ndarray):
        raise DataError("not a .npy array file", path=where)
    if array.ndim != 2 or array.shape[1] != SIDE * SIDE or array.dtype != np.uint8:
        raise DataError(
            f"holds a {array.dtype} array of shape {array.shape}: a Quick, Draw! bitmap "
            f"file is uint8 of shape (N, {SIDE * SIDE}), one 28×28 drawing per row",
            path=where,
        )
    if array.shape[0] == 0:
        raise DataError("an empty class: the file holds no drawing", path=where)
    return array


def _sample(n: int, per_class: int | None, seed: int, k: int) -> np.ndarray:
    """Sorted rows to read of a class with `n` drawings: all, or `per_class` of them
    drawn with a generator of its own (the `k`-th file), so that a class's sample does
    not depend on which other classes are read."""
    if per_class is None or per_class >= n:
        return np.arange(n)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3, k]))
    return np.sort(rng.choice(n, size=per_class, replace=False))


def read_quickdraw(
    folder: Path,
    *,
    classes: tuple[str, ...] | None = None,
    per_class: int | None = None,
    test_fraction: float = 0.2,
    split_seed: int = 0,
) -> Raw:
    """The Quick, Draw! folder at `folder` as `Raw` arrays (see the module's docstring)."""
    where = str(folder)
    if not folder.is_dir():
        raise DataError("no such folder" if not folder.exists() else "not a folder", path=where)
    files = npy_files(folder)
    known = tuple(_class_name(p) for p in files)
    if len(set(known)) != len(known):
        twice = sorted({n for n in known if known.count(n) > 1})
        raise DataError(f"two files name class {twice[0]!r}", path=where)
    if len(files) < 2:
        raise DataError(
            f"a Quick, Draw! folder needs one .npy file per class and at least 2 classes, "
            f"but it has {len(files)}",
            path=where,
        )
    picked = pick_classes(known, classes, where)
    parts, labels = [], []
    for label, k in enumerate(picked):
        array = _open(files[k])
        rows = _sample(array.shape[0], per_class, split_seed, k)
        parts.append(np.asarray(array[rows]))
        labels.append(np.full(len(rows), label, dtype=np.int64))
    x = np.concatenate(parts).reshape(-1, 1, SIDE, SIDE).astype(np.float32) / np.float32(255.0)
    y = np.concatenate(labels)
    test, train = hold_out(y, test_fraction, split_seed)
    if len(test) == 0:
        raise DataError(f"{len(y)} drawing(s) are too few to hold out a test split", path=where)
    names = tuple(known[k] for k in picked)
    return Raw(
        np.ascontiguousarray(x[train]), y[train], np.ascontiguousarray(x[test]), y[test], names
    )
