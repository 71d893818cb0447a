"""The session's data set for the views: example images of each class (the paper's data
selector, Fig. 2b) and any example as a PNG (the confusion-matrix popovers, Fig. 2a).

    GET /api/sessions/{session}/data/classes?per_class=N   -> ClassExamples (JSON)
    GET /api/sessions/{session}/data/{split}/{index}.png   -> image/png

The data set is loaded as the trainers load it (`nas_core.data.load_dataset` on the
session's `DataSpec`), so indices mean what they mean in training and in a model's
``result.predictions``; it is checked once against the digest recorded when the session
was created. PNGs are written with zlib and struct alone.
"""

from __future__ import annotations

import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from nas_core.data import DataError, Dataset, load_dataset
from nas_core.events import SessionCreated
from nas_core.specs import DataSpec

from .api import ClassExamples
from .errors import ApiError

__all__ = [
    "MIN_SIDE",
    "PER_CLASS_DEFAULT",
    "PER_CLASS_MAX",
    "SPLITS",
    "class_examples",
    "encode_png",
    "example_png",
    "to_pixels",
]

SPLITS = ("train", "val", "test")
PER_CLASS_DEFAULT = 8
PER_CLASS_MAX = 64
MIN_SIDE = 32  # images are upscaled (nearest neighbour) until their longer side is this
CACHE = "private, max-age=86400, immutable"  # a session's split never changes (its digest)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> grey, grey+alpha, RGB, RGBA
_encode = msgspec.json.Encoder().encode


# --- PNG ------------------------------------------------------------------------------


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def encode_png(pixels: np.ndarray) -> bytes:
    """`pixels` (uint8, (H, W) or (H, W, C) with C of 1 to 4) as an 8-bit PNG: grey,
    grey with alpha, RGB or RGBA by the number of channels."""
    if pixels.dtype != np.uint8:
        raise ValueError(f"PNG pixels must be uint8, not {pixels.dtype}")
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.ndim != 3 or pixels.shape[2] not in _COLOUR_TYPE or 0 in pixels.shape:
        raise ValueError(f"PNG pixels must be (H, W) or (H, W, 1..4), not {pixels.shape}")
    h, w, c = pixels.shape
    rows = pixels.reshape(h, w * c)
    scanlines = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1)  # filter 0: none
    header = struct.pack(">IIBBBBB", w, h, 8, _COLOUR_TYPE[c], 0, 0, 0)
    return (
        _PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(scanlines.tobytes(), 6))
        + _chunk(b"IEND", b"")
    )


def to_pixels(image: np.ndarray, low: float, high: float) -> np.ndarray:
    """One example, float (C, H, W), as uint8 (H·k, W·k, C′) for `encode_png`: values
    mapped from `low`..`high` to 0..255, channels beyond four dropped, and each pixel
    repeated k times both ways so that the longer side reaches `MIN_SIDE`."""
    scaled = (np.asarray(image, np.float64) - low) / (high - low) * 255.0
    pixels = np.clip(np.rint(scaled), 0, 255).astype(np.uint8).transpose(1, 2, 0)
    if pixels.shape[2] > 4:
        pixels = pixels[:, :, :1]  # no PNG colour type fits: show the first channel
    k = max(1, -(-MIN_SIDE // max(pixels.shape[:2])))
    return np.repeat(np.repeat(pixels, k, axis=0), k, axis=1)


# --- the data sets ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Loaded:
    """A loaded data set and the value range its images are drawn from: 0..1 (what the
    loaders give for uint8 sources), widened to the data's own minimum and maximum."""

    dataset: Dataset
    low: float
    high: float

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        d = self.dataset
        return {
            "train": (d.x_train, d.y_train),
            "val": (d.x_val, d.y_val),
            "test": (d.x_test, d.y_test),
        }[name]


class _Datasets:
    """The last few data sets loaded, by spec and data folder; each loads once however
    many image requests ask for it at the same moment."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[DataSpec, Path | None], _Loaded] = OrderedDict()
        self._gates: dict[tuple[DataSpec, Path | None], threading.Lock] = {}
        self._checked: set[tuple[str, str]] = set()  # (store, session): digest matches

    def get(self, spec: DataSpec, root: Path | None) -> _Loaded:
        key = (spec, root)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            gate = self._gates.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            dataset = load_dataset(spec, root=root)
            xs = (dataset.x_train, dataset.x_val, dataset.x_test)
            low = min(0.0, *(float(x.min()) for x in xs))
            high = max(1.0, *(float(x.max()) for x in xs))
            loaded = _Loaded(dataset, low, high)
            with self._lock:
                self._items[key] = loaded
                self._gates.pop(key, None)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return loaded

    def checked(self, store: str, session: str) -> bool:
        with self._lock:
            return (store, session) in self._checked

    def mark_checked(self, store: str, session: str) -> None:
        with self._lock:
            self._checked.add((store, session))


_DATASETS = _Datasets()


def _session_data(hub, session: str) -> _Loaded:
    """The session's data set, loaded (once) and checked against its recorded digest."""
    spec = hub.service.state(session).data
    if spec is None:
        raise ApiError(404, f"session {session} has no data set yet")
    root = hub.service.data_root
    try:
        loaded = _DATASETS.get(spec, root)
    except DataError as exc:
        reason = str(exc) if root is None else str(exc).replace(f"{root}/", "")
        raise ApiError(
            422, f"the data set of session {session} cannot be loaded: {reason}"
        ) from exc
    store = str(hub.store.path)
    if not _DATASETS.checked(store, session):
        first = hub.store.read(session, after=0, limit=1)
        event = first[0].event if first else None
        recorded = event.data_digest if isinstance(event, SessionCreated) else ""
        if recorded and recorded != loaded.dataset.digest:
            raise ApiError(
                409,
                f"the data set of session {session} is not the one it was created with "
                f"(its digest differs): its examples cannot be shown",
            )
        _DATASETS.mark_checked(store, session)
    return loaded


# --- the handlers -------------------------------------------------------------------------


def _per_class(request: Request) -> int:
    text = request.query_params.get("per_class")
    if text is None:
        return PER_CLASS_DEFAULT
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise ApiError(
            400, f"?per_class must be a non-negative integer, not {text!r}", "?per_class"
        )
    value = int(text)
    if value > PER_CLASS_MAX:
        raise ApiError(
            400, f"?per_class must be at most {PER_CLASS_MAX}, not {value}", "?per_class"
        )
    return value


def _examples(loaded: _Loaded, per_class: int) -> ClassExamples:
    d = loaded.dataset
    examples = tuple(
        tuple(int(i) for i in np.flatnonzero(d.y_train == c)[:per_class]) for c in range(d.classes)
    )
    return ClassExamples(d.class_names, examples, tuple(int(y) for y in d.y_test))


async def class_examples(request: Request) -> Response:
    """``GET /api/sessions/{session}/data/classes``: `ClassExamples`."""
    hub = request.app.state.hub
    session = hub.session_id(request)
    per_class = _per_class(request)
    loaded = await run_in_threadpool(_session_data, hub, session)
    body = _encode(_examples(loaded, per_class))
    return Response(body, media_type="application/json", headers={"cache-control": CACHE})


def _index(text: str, split: str, n: int) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise ApiError(404, f"no example {text!r} in {split}: an index is a non-negative integer")
    index = int(text)
    if index >= n:
        raise ApiError(404, f"no example {index} in {split}, which has {n} (0 to {n - 1})")
    return index


async def example_png(request: Request) -> Response:
    """``GET /api/sessions/{session}/data/{split}/{index}.png``: one example as a PNG."""
    hub = request.app.state.hub
    session = hub.session_id(request)
    split = request.path_params["split"]
    if split not in SPLITS:
        raise ApiError(404, f"no split {split!r}: use train, val or test")
    loaded = await run_in_threadpool(_session_data, hub, session)
    images, _ = loaded.split(split)
    index = _index(request.path_params["index"], split, len(images))
    etag = f'"{loaded.dataset.digest[:20]}-{split}-{index}"'
    headers = {"cache-control": CACHE, "etag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    png = encode_png(to_pixels(images[index], loaded.low, loaded.high))
    return Response(png, media_type="image/png", headers=headers)
