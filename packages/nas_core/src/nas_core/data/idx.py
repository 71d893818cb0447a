"""MNIST-style IDX files: ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` in one folder (``test-``
for ``t10k-``, ``.`` for the ``-`` before ``idx`` and a ``.gz`` suffix are taken too;
an uncompressed file wins over its ``.gz``). MNIST, Fashion-MNIST and KMNIST ship so.

An IDX file is two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C
int32, 0x0D float32, 0x0E float64), the number of dimensions, each dimension as a
big-endian uint32, then the values, big-endian, row-major, nothing after them.
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import numpy as np

from .arrays import as_images, as_labels
from .errors import DataError
from .raw import Raw, classes_of

__all__ = ["IDX_FILE", "encode_idx", "find_idx_files", "parse_idx", "read_idx"]

IDX_FILE = re.compile(r"(train|t10k|test)-(images|labels)[.-]idx(\d)-ubyte(\.gz)?")
_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(v).newbyteorder("="): k for k, v in _TYPES.items()}
MAX_CLASSES = 10_000  # a label beyond this is a corrupt file, not a class
_ROLES = {
    ("train", "images"): "training images",
    ("train", "labels"): "training labels",
    ("test", "images"): "test images",
    ("test", "labels"): "test labels",
}


def parse_idx(data: bytes, where: str | None = None) -> np.ndarray:
    """The array an IDX file's bytes hold, in native byte order. Raises `DataError`
    (naming `where`) for a bad magic number, a short header, or a body that is not
    exactly as long as its dimensions say."""
    if len(data) < 4:
        raise DataError(
            f"too short for an IDX file ({len(data)} bytes; the header is 4+)", path=where
        )
    if data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        raise DataError(
            f"not an IDX file: bad magic number 0x{data[:4].hex()} (an IDX file begins "
            "0x0000, a type code 08, 09, 0B, 0C, 0D or 0E, and its number of dimensions)",
            path=where,
        )
    ndim = data[3]
    if ndim == 0:
        raise DataError("an IDX file with 0 dimensions holds no array", path=where)
    start = 4 + 4 * ndim
    if len(data) < start:
        raise DataError(
            f"the header of {ndim} dimension(s) needs {start} bytes, the file has {len(data)}",
            path=where,
        )
    dims = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_TYPES[data[2]])
    count = 1
    for d in dims:
        count *= d
    need = start + count * dtype.itemsize
    if len(data) != need:
        shape = "×".join(map(str, dims))
        raise DataError(
            f"its header says {shape} values of {dtype.itemsize} byte(s) ({need - start:,} "
            f"bytes), but {len(data) - start:,} bytes follow the header "
            f"({'truncated' if len(data) < need else 'extra bytes at the end'})",
            path=where,
        )
    array = np.frombuffer(data, dtype, count=count, offset=start).reshape(dims)
    return array.astype(dtype.newbyteorder("="))


def encode_idx(array: np.ndarray) -> bytes:
    """`array` as the bytes of an IDX file (the inverse of `parse_idx`)."""
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None or not 1 <= array.ndim <= 255:
        raise ValueError(f"no IDX type for a {array.dtype} array of {array.ndim} dimensions")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + np.ascontiguousarray(array, _TYPES[code]).tobytes()


def find_idx_files(folder: Path) -> dict[tuple[str, str], Path]:
    """The IDX files of `folder` by (split, what): ``("train", "images")`` …"""
    found: dict[tuple[str, str], Path] = {}
    for path in sorted(folder.iterdir(), key=lambda p: (p.suffix == ".gz", p.name)):
        m = IDX_FILE.fullmatch(path.name)
        if m and path.is_file():
            split = "train" if m.group(1) == "train" else "test"
            found.setdefault((split, m.group(2)), path)
    return found


def _read_file(path: Path) -> np.ndarray:
    where = str(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                data = f.read()
        else:
            data = path.read_bytes()
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError("not a readable gzip file (corrupt or truncated)", path=where) from exc
    except OSError as exc:
        raise DataError(
            f"cannot read it ({exc.strerror or 'the system refused'})", path=where
        ) from exc
    return parse_idx(data, where)


def read_idx(folder: Path) -> Raw:
    """The IDX files of `folder` as `Raw` arrays; class names are ``"0"`` … up to the
    largest label."""
    where = str(folder)
    if not folder.is_dir():
        raise DataError("no such folder" if not folder.exists() else "not a folder", path=where)
    found = find_idx_files(folder)
    missing = [
        f"{'t10k' if s == 'test' else s}-{w}-idx{3 if w == 'images' else 1}-ubyte"
        for (s, w) in _ROLES
        if (s, w) not in found
    ]
    if missing:
        raise DataError(f"missing IDX file(s) {', '.join(missing)} (optionally .gz)", path=where)
    arrays = {key: _read_file(found[key]) for key in _ROLES}
    out = {}
    for split in ("train", "test"):
        images, labels = arrays[(split, "images")], arrays[(split, "labels")]
        ipath, lpath = str(found[(split, "images")]), str(found[(split, "labels")])
        if images.ndim != 3:
            raise DataError(
                f"holds an array of shape {images.shape}: images are N×height×width", path=ipath
            )
        x = as_images(images, _ROLES[(split, "images")], ipath)
        y = as_labels(labels, _ROLES[(split, "labels")], lpath, len(x))
        out[split] = (x, y)
    (x_train, y_train), (x_test, y_test) = out["train"], out["test"]
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataError(
            f"the training images are {'×'.join(map(str, x_train.shape[2:]))} and the test "
            f"images {'×'.join(map(str, x_test.shape[2:]))}: they must be one size",
            path=where,
        )
    top = max(int(y_train.max(initial=0)), int(y_test.max(initial=0)))
    if top >= MAX_CLASSES:
        raise DataError(
            f"a label is {top}: labels name classes 0..{MAX_CLASSES - 1} at most",
            path=str(found[("train" if y_train.max(initial=0) == top else "test", "labels")]),
        )
    names = classes_of(y_train, y_test, None, where)
    return Raw(x_train, y_train, x_test, y_test, names)
