"""The data routes: class examples as JSON and data-set examples as PNGs, decoded here
with zlib alone and compared with the arrays the trainers load."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from starlette.testclient import TestClient

from nas_core.data import load_dataset
from nas_core.packed import unpack_labels
from nas_core.service import SessionService
from remap_server.data_api import MIN_SIDE, encode_png, to_pixels

TRAINED = "trained"  # the conftest's session (digits, 200 training examples)
SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 4: 2, 2: 3, 6: 4}  # PNG colour type -> channels


def decode_png(data: bytes) -> tuple[int, np.ndarray]:
    """(colour type, uint8 (H, W, C) pixels) of an unfiltered, 8-bit, non-interlaced PNG;
    every chunk's CRC checked."""
    assert data[:8] == SIGNATURE
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(tag + body), tag
        chunks.append((tag, body))
        pos += 12 + length
    assert [t for t, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    w, h, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, compression, filtering, interlace) == (8, 0, 0, 0)
    c = CHANNELS[colour]
    rows = np.frombuffer(zlib.decompress(chunks[1][1]), np.uint8).reshape(h, 1 + w * c)
    assert not rows[:, 0].any(), "every scanline uses filter 0"
    return colour, rows[:, 1:].reshape(h, w, c)


@pytest.fixture(scope="module")
def digits(service: SessionService):
    """The trained session's data set, loaded the way the trainers load it."""
    return load_dataset(service.state(TRAINED).data, root=service.data_root)


def expected(image: np.ndarray, k: int) -> np.ndarray:
    pixels = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8).transpose(1, 2, 0)
    return np.repeat(np.repeat(pixels, k, axis=0), k, axis=1)


# --- /data/classes ----------------------------------------------------------------------


def test_classes_gives_names_examples_and_test_labels(client: TestClient, digits) -> None:
    r = client.get(f"/api/sessions/{TRAINED}/data/classes")
    assert r.status_code == 200, r.text
    assert "max-age" in r.headers["cache-control"]
    body = r.json()
    assert body["class_names"] == list(digits.class_names)
    assert len(body["examples"]) == digits.classes
    for c, indices in enumerate(body["examples"]):
        assert 0 < len(indices) <= 8
        assert indices == sorted(set(indices))
        assert all(digits.y_train[i] == c for i in indices)
    assert body["test_labels"] == digits.y_test.tolist()


def test_classes_per_class(client: TestClient, digits) -> None:
    three = client.get(f"/api/sessions/{TRAINED}/data/classes?per_class=3").json()
    assert all(len(ix) == min(3, int((digits.y_train == c).sum()))
               for c, ix in enumerate(three["examples"]))  # fmt: skip
    assert client.get(f"/api/sessions/{TRAINED}/data/classes?per_class=0").json()["examples"] == [
        [] for _ in digits.class_names
    ]


def test_confusion_cells_are_found_from_test_labels(
    client: TestClient, service: SessionService
) -> None:
    """What the inspector does: the examples of cell (true, predicted) are those whose
    test label is `true` and whose prediction is `predicted`; they add up to the cell."""
    labels = client.get(f"/api/sessions/{TRAINED}/data/classes").json()["test_labels"]
    model = next(m for m in service.state(TRAINED).models.values() if m.result is not None)
    result = model.result
    predictions = unpack_labels(result.predictions)
    assert len(predictions) == len(labels)
    for t, row in enumerate(result.confusion):
        for p, count in enumerate(row):
            cell = [i for i, y in enumerate(labels) if y == t and predictions[i] == p]
            assert len(cell) == count


@pytest.mark.parametrize("query", ["per_class=65", "per_class=-1", "per_class=x", "per_class="])
def test_classes_refuses_bad_per_class(client: TestClient, query: str) -> None:
    r = client.get(f"/api/sessions/{TRAINED}/data/classes?{query}")
    assert r.status_code == 400
    assert r.json()["path"] == "?per_class"
    assert set(r.json()) == {"error", "path", "line"}


# --- PNGs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_png_is_the_example_upscaled(client: TestClient, digits, split: str) -> None:
    images = getattr(digits, f"x_{split}")
    k = MIN_SIDE // 8
    for index in (0, len(images) - 1):
        r = client.get(f"/api/sessions/{TRAINED}/data/{split}/{index}.png")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "image/png"
        assert r.content[:8] == SIGNATURE
        assert struct.unpack(">II", r.content[16:24]) == (8 * k, 8 * k)  # IHDR width, height
        colour, pixels = decode_png(r.content)
        assert colour == 0  # grey
        np.testing.assert_array_equal(pixels, expected(images[index], k))


def test_png_caching(client: TestClient) -> None:
    url = f"/api/sessions/{TRAINED}/data/test/3.png"
    first = client.get(url)
    assert "immutable" in first.headers["cache-control"]
    etag = first.headers["etag"]
    again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = client.get(f"/api/sessions/{TRAINED}/data/test/4.png")
    assert other.headers["etag"] != etag


@pytest.mark.parametrize(
    ("path", "says"),
    [
        (f"/api/sessions/{TRAINED}/data/bogus/0.png", "no split 'bogus'"),
        (f"/api/sessions/{TRAINED}/data/test/99999.png", "no example 99999 in test"),
        (f"/api/sessions/{TRAINED}/data/train/-1.png", "no example '-1'"),
        (f"/api/sessions/{TRAINED}/data/val/x.png", "no example 'x'"),
        (f"/api/sessions/{TRAINED}/data/val/%C2%B2.png", "no example"),  # "²".isdigit()
        ("/api/sessions/nope/data/test/0.png", "no session 'nope'"),
        ("/api/sessions/nope/data/classes", "no session 'nope'"),
    ],
)
def test_bad_examples_are_404(client: TestClient, path: str, says: str) -> None:
    r = client.get(path)
    assert r.status_code == 404, r.text
    assert set(r.json()) == {"error", "path", "line"}
    assert says in r.json()["error"]


# --- other data sets ------------------------------------------------------------------------


def _npz(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    np.savez(
        path,
        x_train=rng.integers(0, 256, (40, 5, 4, 3), dtype=np.uint8),  # channels last
        y_train=np.arange(40) % 2,
        x_test=rng.integers(0, 256, (10, 5, 4, 3), dtype=np.uint8),
        y_test=np.arange(10) % 2,
        class_names=np.array(["cat", "dog"]),
    )


def _session(client: TestClient, session: str, file: str) -> None:
    body = {"name": session, "session": session, "data": {"kind": "npz", "path": file}}
    assert client.post("/api/sessions", json=body).status_code == 201


def test_rgb_examples(client: TestClient, service: SessionService) -> None:
    _npz(service.data_root / "rgb.npz", seed=1)
    _session(client, "rgb", "rgb.npz")
    data = load_dataset(service.state("rgb").data, root=service.data_root)
    classes = client.get("/api/sessions/rgb/data/classes?per_class=2").json()
    assert classes["class_names"] == ["cat", "dog"]
    assert classes["examples"] == [[int(i) for i in np.flatnonzero(data.y_train == c)[:2]]
                                   for c in (0, 1)]  # fmt: skip
    r = client.get("/api/sessions/rgb/data/train/5.png")
    colour, pixels = decode_png(r.content)
    assert colour == 2  # RGB
    k = -(-MIN_SIDE // 5)
    assert pixels.shape == (5 * k, 4 * k, 3)
    np.testing.assert_array_equal(pixels, expected(data.x_train[5], k))


def test_a_changed_data_file_is_refused(client: TestClient, service: SessionService) -> None:
    _npz(service.data_root / "moved.npz", seed=2)
    _session(client, "moved", "moved.npz")
    _npz(service.data_root / "moved.npz", seed=3)  # same shapes, other pixels
    r = client.get("/api/sessions/moved/data/test/0.png")
    assert r.status_code == 409
    assert "digest differs" in r.json()["error"]


def test_a_missing_data_file_is_422(client: TestClient, service: SessionService) -> None:
    _npz(service.data_root / "lost.npz", seed=4)
    _session(client, "lost", "lost.npz")
    (service.data_root / "lost.npz").unlink()
    r = client.get("/api/sessions/lost/data/classes")
    assert r.status_code == 422
    assert "cannot be loaded" in r.json()["error"]
    assert str(service.data_root) not in r.json()["error"]  # the server's folders stay private


# --- the encoder --------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        np.uint8,
        st.tuples(st.integers(1, 9), st.integers(1, 9), st.sampled_from([1, 2, 3, 4])),
    )
)
def test_encode_png_round_trips(pixels: np.ndarray) -> None:
    colour, decoded = decode_png(encode_png(pixels))
    assert CHANNELS[colour] == pixels.shape[2]
    np.testing.assert_array_equal(decoded, pixels)


def test_encode_png_refuses_what_png_cannot_hold() -> None:
    with pytest.raises(ValueError, match="uint8"):
        encode_png(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match=r"\(2, 2, 5\)"):
        encode_png(np.zeros((2, 2, 5), np.uint8))


def test_to_pixels_maps_the_range_and_upscales() -> None:
    image = np.array([[[-1.0, 0.0], [1.0, 3.0]]], np.float32)  # (1, 2, 2), outside 0..1
    pixels = to_pixels(image, low=-1.0, high=3.0)
    assert pixels.shape == (MIN_SIDE, MIN_SIDE, 1)
    assert pixels[0, 0, 0] == 0
    assert pixels[-1, -1, 0] == 255
    assert pixels[0, -1, 0] == round(255 / 4)
    many = to_pixels(np.zeros((6, 40, 40), np.float32), 0.0, 1.0)
    assert many.shape == (40, 40, 1)  # no PNG type has six channels: the first one; no upscaling
