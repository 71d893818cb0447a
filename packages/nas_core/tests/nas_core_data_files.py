"""Small data sets of each kind, written by the tests themselves: image folders (PNG and
JPEG through Pillow), Quick, Draw! ``.npy`` folders and MNIST-style IDX files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from PIL import Image

from nas_core.data import encode_idx


def pattern(label: int, k: int, size: tuple[int, int], rgb: bool) -> np.ndarray:
    """A uint8 image that a small network can tell by class: a bright band whose row
    depends on the label, with a little per-example noise."""
    h, w = size
    rng = np.random.default_rng([label, k])
    image = rng.integers(0, 40, size=(h, w, 3) if rgb else (h, w), dtype=np.uint8)
    row = (label * h) // 3 % h
    image[row : row + max(1, h // 4)] = 230
    if rgb:
        image[..., label % 3] = 255 - image[..., label % 3]
    return image


def write_image(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def image_folder(
    root: Path,
    classes: tuple[str, ...] = ("cat", "bird", "dog"),
    n: int = 6,
    size: tuple[int, int] = (6, 5),
    rgb: bool = False,
    suffix: str = ".png",
) -> Path:
    """`root` with one subfolder of `n` images per class."""
    for label, name in enumerate(classes):
        for k in range(n):
            write_image(root / name / f"{k:03d}{suffix}", pattern(label, k, size, rgb))
    return root


def quickdraw_folder(
    root: Path, classes: tuple[str, ...] = ("cat", "bird", "dog"), n: int = 20
) -> Path:
    """`root` with one ``full_numpy_bitmap_<class>.npy`` of `n` 28×28 drawings per class;
    drawing k of class c has every pixel ``(c * 50 + k) % 256`` in its first row."""
    root.mkdir(parents=True, exist_ok=True)
    for label, name in enumerate(classes):
        rows = np.stack([pattern(label, k, (28, 28), False).reshape(784) for k in range(n)])
        rows[:, :28] = ((label * 50 + np.arange(n)) % 256)[:, None]
        np.save(root / f"full_numpy_bitmap_{name}.npy", rows)
    return root


def idx_folder(
    root: Path,
    n_train: int = 30,
    n_test: int = 10,
    classes: int = 3,
    size: tuple[int, int] = (7, 7),
    gz: bool = False,
) -> Path:
    """`root` with the four MNIST-style IDX files."""
    root.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % classes).astype(np.uint8)
        images = np.stack([pattern(int(c), k, size, False) for k, c in enumerate(labels)])
        for what, array, dims in (("images", images, 3), ("labels", labels, 1)):
            data = encode_idx(array)
            name = f"{prefix}-{what}-idx{dims}-ubyte"
            if gz:
                (root / (name + ".gz")).write_bytes(gzip.compress(data))
            else:
                (root / name).write_bytes(data)
    return root
