"""The three source formats, read into one shape: `Raw` train and test arrays.

Each reader checks what its format promises and raises `DataError` naming the file and
what is wrong; `nas_core.data.load` then limits and splits. Labels must lie in
``0..classes - 1``; the class names give the number of classes when the file has them.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .arrays import as_images, as_labels, check_labels
from .errors import DataError
from .safe_pickle import load_restricted
from .split import stratified_take, stream

__all__ = ["Raw", "classes_of", "read_cifar10", "read_digits", "read_npz"]

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class Raw:
    """A data set before the validation split: float32 (N, C, H, W) images, int64 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]


def classes_of(
    y_train: np.ndarray, y_test: np.ndarray, names: tuple[str, ...] | None, path: str
) -> tuple[str, ...]:
    """The class names: the file's, or ``"0", "1", …`` up to the largest label."""
    if names is None:
        top = max(int(y_train.max(initial=0)), int(y_test.max(initial=0)))
        names = tuple(str(c) for c in range(top + 1))
    if len(names) < 2:
        raise DataError(f"a data set needs at least 2 classes, but it has {len(names)}", path=path)
    check_labels(y_train, "y_train", path, len(names))
    check_labels(y_test, "y_test", path, len(names))
    return names


def _same_image_shape(x_train: np.ndarray, x_test: np.ndarray, path: str) -> None:
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataError(
            f"x_train and x_test hold images of different shapes "
            f"({'×'.join(map(str, x_train.shape[1:]))} and "
            f"{'×'.join(map(str, x_test.shape[1:]))} as channels×height×width)",
            path=path,
        )


def read_digits(test_fraction: float, split_seed: int) -> Raw:
    """scikit-learn's bundled 8×8 digits (1,797 images, 0..16 scaled to 0..1), with a
    stratified test split of `test_fraction` drawn with `split_seed`."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images.astype(np.float32) / np.float32(16.0))[:, None]
    y = bunch.target.astype(np.int64)
    test, train = stratified_take(y, round(test_fraction * len(y)), stream(split_seed, 0))
    return Raw(
        np.ascontiguousarray(x[train]),
        y[train],
        np.ascontiguousarray(x[test]),
        y[test],
        tuple(str(c) for c in bunch.target_names),
    )


def read_npz(path: Path) -> Raw:
    """An ``.npz`` file with ``x_train, y_train, x_test, y_test`` and, optionally,
    ``class_names`` (an array of strings). Images as (N, H, W), (N, H, W, C) or
    (N, C, H, W); uint8 is scaled to 0..1. Saved without pickle (object arrays refused)."""
    where = str(path)
    if not path.is_file():
        raise DataError("no such file" if not path.exists() else "not a file", path=where)
    if not zipfile.is_zipfile(path):
        raise DataError("not a readable .npz file (it is no zip archive)", path=where)
    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = set(npz.files)
            missing = [k for k in NPZ_KEYS if k not in keys]
            if missing:
                raise DataError(
                    f"missing array(s) {', '.join(missing)} (it has: "
                    f"{', '.join(sorted(keys)) or 'nothing'}); an .npz data set needs "
                    f"{', '.join(NPZ_KEYS)} and may have class_names",
                    path=where,
                )
            arrays = {k: npz[k] for k in (*NPZ_KEYS, "class_names") if k in keys}
    except DataError:
        raise
    except ValueError as exc:  # an object array needs pickle, which stays off
        raise DataError(f"cannot read it without pickle: {exc}", path=where) from exc
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"not a readable .npz file ({exc})", path=where) from exc
    x_train = as_images(arrays["x_train"], "x_train", where)
    x_test = as_images(arrays["x_test"], "x_test", where)
    _same_image_shape(x_train, x_test, where)
    y_train = as_labels(arrays["y_train"], "y_train", where, len(x_train))
    y_test = as_labels(arrays["y_test"], "y_test", where, len(x_test))
    names = None
    if "class_names" in arrays:
        raw_names = arrays["class_names"]
        if raw_names.ndim != 1 or raw_names.dtype.kind not in "US":
            raise DataError(
                f"class_names must be a vector of strings, not {raw_names.dtype} of "
                f"shape {raw_names.shape}",
                path=where,
            )
        names = tuple(
            n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n)
            for n in raw_names.tolist()
        )
    return Raw(x_train, y_train, x_test, y_test, classes_of(y_train, y_test, names, where))


def _unpickle(path: Path) -> dict:
    where = str(path)
    if not path.is_file():
        raise DataError("missing file of a CIFAR-10 python-format folder", path=where)
    try:
        with path.open("rb") as f:
            obj = load_restricted(f)
    except Exception as exc:  # any unpickling failure is a bad file, whatever its kind
        raise DataError(f"not a readable CIFAR-10 pickle ({exc})", path=where) from exc
    if not isinstance(obj, dict):
        raise DataError(f"expected a pickled dict, found {type(obj).__name__}", path=where)
    return obj


def _cifar_batch(path: Path, classes: int) -> tuple[np.ndarray, np.ndarray]:
    where = str(path)
    batch = _unpickle(path)
    for key in (b"data", b"labels"):
        if key not in batch:
            have = ", ".join(sorted(repr(k) for k in batch)) or "nothing"
            raise DataError(f"missing key {key!r} (it has: {have})", path=where)
    data = batch[b"data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        kind = (
            f"{data.dtype} array of shape {data.shape}"
            if isinstance(data, np.ndarray)
            else (type(data).__name__)
        )
        raise DataError(f"b'data' must be a uint8 array N×3072, not {kind}", path=where)
    if data.shape[1] != 3 * 32 * 32:
        raise DataError(
            f"b'data' rows must hold 3072 values (3×32×32), not {data.shape[1]}", path=where
        )
    try:
        labels = np.asarray(batch[b"labels"])
    except (TypeError, ValueError) as exc:
        raise DataError(f"b'labels' is not a list of integers ({exc})", path=where) from exc
    labels = as_labels(labels, "b'labels'", where, len(data))
    check_labels(labels, "b'labels'", where, classes)
    return data.reshape(-1, 3, 32, 32), labels


def read_cifar10(folder: Path) -> Raw:
    """A CIFAR-10 python-format folder: ``data_batch_1`` … ``data_batch_5`` (at least
    the first; they are read in order), ``test_batch`` and ``batches.meta`` (its
    ``label_names``), each a pickle of bytes-keyed dicts. Pickles are loaded with a
    restricted unpickler that only rebuilds numpy arrays and plain values."""
    where = str(folder)
    if not folder.is_dir():
        raise DataError(
            "no such folder"
            if not folder.exists()
            else "not a folder (a CIFAR-10 "
            "python-format folder holds data_batch_1..5, test_batch and batches.meta)",
            path=where,
        )
    numbers = sorted(
        int(m.group(1))
        for p in folder.iterdir()
        if (m := re.fullmatch(r"data_batch_(\d+)", p.name))
    )
    if not numbers:
        raise DataError(
            "no data_batch_1 (a CIFAR-10 python-format folder holds data_batch_1..5, "
            "test_batch and batches.meta)",
            path=where,
        )
    if numbers != list(range(1, len(numbers) + 1)):
        raise DataError(
            f"the training batches must be data_batch_1..{len(numbers)} without gaps, "
            f"found data_batch_{', data_batch_'.join(map(str, numbers))}",
            path=where,
        )
    meta = _unpickle(folder / "batches.meta")
    names_raw = meta.get(b"label_names")
    if not isinstance(names_raw, list) or not all(isinstance(n, bytes | str) for n in names_raw):
        raise DataError("b'label_names' must be a list of names", path=str(folder / "batches.meta"))
    names = tuple(n.decode("utf-8", "replace") if isinstance(n, bytes) else n for n in names_raw)
    if len(names) < 2:
        raise DataError(
            f"b'label_names' must name at least 2 classes, not {len(names)}",
            path=str(folder / "batches.meta"),
        )
    parts = [_cifar_batch(folder / f"data_batch_{k}", len(names)) for k in numbers]
    test_x, test_y = _cifar_batch(folder / "test_batch", len(names))
    train_x = np.concatenate([x for x, _ in parts])
    train_y = np.concatenate([y for _, y in parts])
    x_train = as_images(train_x, "b'data'", where)
    x_test = as_images(test_x, "b'data'", str(folder / "test_batch"))
    return Raw(x_train, train_y, x_test, test_y, names)
