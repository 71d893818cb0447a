"""An image folder: one subfolder of PNG or JPEG files per class, the layout of
torchvision's ``ImageFolder``, optionally split into ``train/`` and ``test/`` folders
that each hold the class subfolders.

Images are read with Pillow. Grey images stay one channel unless the folder also holds
colour ones, then every image is RGB (an alpha channel is dropped). Every image is
resized (bilinear) to ``image_size`` (height, width) or, without it, must have the size
of the first image read (the first file of the first class, by name). Without a
``test/`` folder the test split is a seeded, stratified ``test_fraction`` of the images.
Hidden entries (a leading ``.``) and files of other types are skipped, as
``ImageFolder`` does.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .errors import DataError
from .raw import Raw
from .select import pick_classes
from .split import hold_out

__all__ = ["IMAGE_SUFFIXES", "class_folders", "read_image_folder"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
_GREY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


def _visible(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _images(folder: Path) -> list[Path]:
    return [p for p in _visible(folder) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]


def class_folders(folder: Path) -> list[Path]:
    """The class subfolders of `folder` (its visible subfolders, by name)."""
    return [p for p in _visible(folder) if p.is_dir()]


def _read_image(path: Path) -> np.ndarray:
    """One image as uint8 (H, W) when grey, (H, W, 3) otherwise."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                if image.mode in _GREY_MODES:
                    if image.mode.startswith("I;16"):  # 16-bit grey: 0..65535
                        array = np.asarray(image, dtype=np.float64) / 257.0
                        return np.clip(np.rint(array), 0, 255).astype(np.uint8)
                    if image.mode in ("I", "F"):  # no fixed range: the image's own
                        array = np.asarray(image, dtype=np.float64)
                        top = max(float(array.max()), 1.0)
                        return np.clip(array / top * 255.0, 0, 255).astype(np.uint8)
                    return np.asarray(image.convert("L"), dtype=np.uint8)
                return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        kind = path.suffix.lower().lstrip(".").upper().replace("JPG", "JPEG")
        raise DataError(
            f"not a readable {kind} image (it is corrupt, truncated or of another format)",
            path=str(path),
        ) from exc


def _resize(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    h, w = size
    if pixels.shape[:2] == (h, w):
        return pixels
    image = Image.fromarray(pixels)
    return np.asarray(image.resize((w, h), Image.Resampling.BILINEAR), dtype=np.uint8)


class _Reader:
    """Reads images one after the other, holding them to one size."""

    def __init__(self, size: tuple[int, int] | None) -> None:
        self.size = size  # None until the first image sets it
        self.fixed = size is not None
        self.first: Path | None = None

    def read(self, path: Path) -> np.ndarray:
        pixels = _read_image(path)
        if self.size is None:
            self.size, self.first = pixels.shape[:2], path
        if self.fixed:
            return _resize(pixels, self.size)
        if pixels.shape[:2] != self.size:
            h, w = pixels.shape[:2]
            raise DataError(
                f"is {w}×{h} pixels, but the first image ({self.first}) is "
                f"{self.size[1]}×{self.size[0]}: give an image size (--image-size) to "
                "resize them all to one",
                path=str(path),
            )
        return pixels


def _read_split(
    folder: Path, names: tuple[str, ...], reader: _Reader, *, required: bool
) -> tuple[list[np.ndarray], list[int]]:
    images: list[np.ndarray] = []
    labels: list[int] = []
    for label, name in enumerate(names):
        sub = folder / name
        if not sub.is_dir():
            if required:
                raise DataError(f"no folder for class {name!r}", path=str(folder))
            continue
        files = _images(sub)
        if not files:
            raise DataError(
                "an empty class folder: it holds no .png, .jpg or .jpeg file", path=str(sub)
            )
        for path in files:
            images.append(reader.read(path))
            labels.append(label)
    return images, labels


def _stack(images: list[np.ndarray], rgb: bool) -> np.ndarray:
    """uint8 images as float32 (N, C, H, W) in 0..1 (no guessing of the channel axis,
    which a tiny image would fool)."""
    if rgb:
        images = [i if i.ndim == 3 else np.repeat(i[:, :, None], 3, axis=2) for i in images]
        stacked = np.stack(images).transpose(0, 3, 1, 2)
    else:
        stacked = np.stack(images)[:, None]
    return np.ascontiguousarray(stacked, dtype=np.float32) / np.float32(255.0)


def read_image_folder(
    folder: Path,
    *,
    classes: tuple[str, ...] | None = None,
    image_size: tuple[int, int] | None = None,
    test_fraction: float = 0.2,
    split_seed: int = 0,
) -> Raw:
    """The image folder at `folder` as `Raw` arrays (see the module's docstring); only
    the classes `classes` names are read (all of them by default)."""
    where = str(folder)
    if not folder.is_dir():
        raise DataError("no such folder" if not folder.exists() else "not a folder", path=where)
    train_dir, test_dir = folder / "train", folder / "test"
    split = train_dir.is_dir()
    if not split and test_dir.is_dir():
        raise DataError("holds test/ but no train/ folder", path=where)
    top = train_dir if split else folder
    known = tuple(p.name for p in class_folders(top))
    if len(known) < 2:
        raise DataError(
            f"an image folder needs one subfolder per class and at least 2 classes, but "
            f"it has {len(known)} subfolder(s)",
            path=str(top),
        )
    names = tuple(known[i] for i in pick_classes(known, classes, str(top)))
    if split and test_dir.is_dir():
        extra = sorted({p.name for p in class_folders(test_dir)} - set(known))
        if extra:
            raise DataError(
                f"test/ has class folder(s) {', '.join(extra)} that train/ lacks",
                path=str(test_dir),
            )
    reader = _Reader(image_size)
    x, y = _read_split(top, names, reader, required=True)
    if split and test_dir.is_dir():
        tx, ty = _read_split(test_dir, names, reader, required=False)
        if not tx:
            raise DataError("test/ holds no image of the classes to read", path=str(test_dir))
        rgb = any(i.ndim == 3 for i in x + tx)
        x_train, y_train = _stack(x, rgb), np.asarray(y, np.int64)
        x_test, y_test = _stack(tx, rgb), np.asarray(ty, np.int64)
    else:
        rgb = any(i.ndim == 3 for i in x)
        images, labels = _stack(x, rgb), np.asarray(y, np.int64)
        test, train = hold_out(labels, test_fraction, split_seed)
        if len(test) == 0:
            raise DataError(
                f"{len(labels)} image(s) are too few to hold out a test split", path=where
            )
        x_train, y_train, x_test, y_test = images[train], labels[train], images[test], labels[test]
    return Raw(np.ascontiguousarray(x_train), y_train, np.ascontiguousarray(x_test), y_test, names)
