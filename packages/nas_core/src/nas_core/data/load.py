"""`load_dataset`: read a data set, keep the classes asked for, cap its training
examples, split off validation; and `detect_kind`, which tells from what a path holds
which kind of data set it is.

To add a kind: a module with its reader, a row in `_READERS` (and in `_OPTIONS` for the
options it takes), a test in `detect_kind`, the kind in `DataSpec.kind`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from nas_core.specs import DataSpec

from .dataset import Dataset
from .errors import DataError
from .idx import find_idx_files, read_idx
from .image_folder import IMAGE_SUFFIXES, class_folders, read_image_folder
from .paths import resolve_path
from .quickdraw import npy_files, read_quickdraw
from .raw import Raw, read_cifar10, read_digits, read_npz
from .select import select_classes
from .split import stratified_take, stream

__all__ = ["KINDS", "detect_kind", "load_dataset"]

_READERS: dict[str, Callable[[DataSpec, Path], Raw]] = {
    "npz": lambda spec, path: read_npz(path),
    "cifar10": lambda spec, path: read_cifar10(path),
    "idx": lambda spec, path: read_idx(path),
    "image_folder": lambda spec, path: read_image_folder(
        path,
        classes=spec.classes,
        image_size=spec.image_size,
        test_fraction=spec.test_fraction,
        split_seed=spec.split_seed,
    ),
    "quickdraw": lambda spec, path: read_quickdraw(
        path,
        classes=spec.classes,
        per_class=spec.per_class,
        test_fraction=spec.test_fraction,
        split_seed=spec.split_seed,
    ),
}
KINDS = ("digits", *_READERS)
# the options only some kinds take (`classes` and `limit` apply to every kind)
_OPTIONS = {"image_size": ("image_folder",), "per_class": ("quickdraw",)}
_WORDS = {
    "image_folder": "an image folder",
    "quickdraw": "a Quick, Draw! folder",
}


def _check_options(spec: DataSpec) -> None:
    for option, kinds in _OPTIONS.items():
        if getattr(spec, option) is not None and spec.kind not in kinds:
            raise DataError(
                f"{option} applies to {' and '.join(_WORDS[k] for k in kinds)} only, "
                f"not to a {spec.kind} data set"
            )


def _read(spec: DataSpec, root: Path | None) -> tuple[Raw, str]:
    _check_options(spec)
    if spec.kind == "digits":
        if spec.path:
            raise DataError(f"the bundled digits take no path, but DataSpec.path is {spec.path!r}")
        raw = read_digits(spec.test_fraction, spec.split_seed)
        return select_classes(raw, spec.classes, None), "sklearn:digits"
    reader = _READERS.get(spec.kind)
    if reader is None:
        raise DataError(f"unknown data set kind {spec.kind!r}: use {', '.join(KINDS)}")
    path = resolve_path(spec.path, spec.kind, root)
    return select_classes(reader(spec, path), spec.classes, str(path)), str(path)


def _has_images(folder: Path) -> bool:
    return any(
        p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
        for p in folder.iterdir()
    )


def detect_kind(path: Path) -> str:
    """The kind of data set `path` holds: ``npz`` for a ``.npz`` file; for a folder
    ``cifar10`` (``data_batch_1`` or ``batches.meta``), ``idx`` (MNIST-style IDX
    files), ``quickdraw`` (``.npy`` files) or ``image_folder`` (class subfolders of
    images, or ``train/``). Raises `DataError` saying what it found instead."""
    where = str(path)
    if not path.exists():
        raise DataError("no such file or folder", path=where)
    if path.is_file():
        if path.suffix.lower() == ".npz":
            return "npz"
        raise DataError(
            "a data file must be an .npz file (x_train, y_train, x_test, y_test); the "
            "other kinds are folders: CIFAR-10, IDX files, Quick, Draw! .npy files, or "
            "one subfolder of images per class",
            path=where,
        )
    try:
        if (path / "data_batch_1").exists() or (path / "batches.meta").exists():
            return "cifar10"
        if find_idx_files(path):
            return "idx"
        if npy_files(path):
            return "quickdraw"
        if (path / "train").is_dir():
            return "image_folder"
        if any(_has_images(sub) for sub in class_folders(path)):
            return "image_folder"
    except OSError as exc:
        raise DataError(
            f"cannot read the folder ({exc.strerror or 'refused'})", path=where
        ) from exc
    raise DataError(
        "holds no data set REMAP reads: a CIFAR-10 python folder (data_batch_1 …), "
        "MNIST-style IDX files (train-images-idx3-ubyte …), Quick, Draw! .npy files, or "
        "one subfolder of PNG/JPEG images per class",
        path=where,
    )


def load_dataset(spec: DataSpec, *, root: Path | None = None) -> Dataset:
    """Load the data set `spec` names and split it.

    Only the classes ``spec.classes`` names are kept (relabelled in that order). The
    training examples of the source (for a source with no test split of its own: what
    its seeded, stratified ``test_fraction`` split leaves) are then capped at
    ``spec.limit`` (a stratified sample), then ``spec.val_fraction`` of them become the
    validation set (stratified, at least one example on each side); the test set is the
    source's, never sampled. Every draw uses ``spec.split_seed``, so the same spec gives
    the same split anywhere. A relative ``spec.path`` is taken inside `root` (when
    given) and may not leave it.

    Raises `DataError` naming the file and what is wrong with it.
    """
    raw, source = _read(spec, root)
    x, y = raw.x_train, raw.y_train
    if spec.limit is not None and spec.limit < len(y):
        keep, _ = stratified_take(y, spec.limit, stream(spec.split_seed, 1))
        x, y = x[keep], y[keep]
    if len(y) < 2:
        raise DataError(
            f"{len(y)} training example(s) cannot be split into training and validation",
            path=None if spec.kind == "digits" else source,
        )
    n_val = min(max(round(spec.val_fraction * len(y)), 1), len(y) - 1)
    val, train = stratified_take(y, n_val, stream(spec.split_seed, 2))
    return Dataset(
        x_train=np.ascontiguousarray(x[train]),
        y_train=y[train],
        x_val=np.ascontiguousarray(x[val]),
        y_val=y[val],
        x_test=raw.x_test,
        y_test=raw.y_test,
        class_names=raw.class_names,
        spec=spec,
        source=source,
    )
