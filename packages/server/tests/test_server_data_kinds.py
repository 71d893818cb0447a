"""The data routes on every kind a user keeps, created over HTTP from files this test
writes: an RGB image folder of non-square images, a Quick, Draw! folder, IDX files.
Their example PNGs are the source pixels exactly; a bad folder creates no session."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from starlette.testclient import TestClient

from nas_core.data import encode_idx
from nas_core.service import SessionService
from remap_server.data_api import MIN_SIDE


def _image_folder(root: Path) -> dict[tuple[str, int], np.ndarray]:
    """RGB PNGs of 9 high × 14 wide, 5 per class; their pixels by (class, number)."""
    pixels = {}
    for label, name in enumerate(("cat", "bird")):
        (root / name).mkdir(parents=True)
        for k in range(5):
            image = np.random.default_rng([label, k]).integers(0, 256, (9, 14, 3), np.uint8)
            Image.fromarray(image).save(root / name / f"{k}.png")
            pixels[(name, k)] = image
    return pixels


def _quickdraw(root: Path) -> None:
    root.mkdir(parents=True)
    for label, name in enumerate(("cat", "bird", "fish")):
        rows = np.random.default_rng(label).integers(0, 256, (12, 784), np.uint8)
        np.save(root / f"full_numpy_bitmap_{name}.npy", rows)


def _idx(root: Path) -> None:
    root.mkdir(parents=True)
    for prefix, n in (("train", 20), ("t10k", 6)):
        labels = (np.arange(n) % 2).astype(np.uint8)
        images = np.random.default_rng(n).integers(0, 256, (n, 6, 10), np.uint8)
        (root / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(encode_idx(images)))
        (root / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(encode_idx(labels)))


MODES = {"L": 0, "RGB": 2}  # Pillow's mode -> PNG colour type


def decode_png(data: bytes) -> tuple[int, np.ndarray]:
    """(PNG colour type, uint8 (H, W, C) pixels), read back with Pillow."""
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        pixels = np.asarray(image)
        return MODES[image.mode], pixels if pixels.ndim == 3 else pixels[:, :, None]


def _create(client: TestClient, session: str, data: dict) -> None:
    r = client.post("/api/sessions", json={"name": session, "session": session, "data": data})
    assert r.status_code == 201, r.text


def _png(client: TestClient, session: str, split: str, i: int) -> tuple[int, np.ndarray]:
    r = client.get(f"/api/sessions/{session}/data/{split}/{i}.png")
    assert r.status_code == 200, r.text
    return decode_png(r.content)


def test_an_rgb_image_folder_of_non_square_images(
    client: TestClient, service: SessionService
) -> None:
    pixels = _image_folder(service.data_root / "pets")
    _create(client, "pets", {"kind": "image_folder", "path": "pets"})
    state = client.get("/api/sessions/pets/state").json()
    assert state["data"]["kind"] == "image_folder"
    assert state["class_names"] == ["bird", "cat"]
    classes = client.get("/api/sessions/pets/data/classes?per_class=2").json()
    assert [len(e) for e in classes["examples"]] == [2, 2]
    colour, shown = _png(client, "pets", "train", classes["examples"][1][0])
    assert colour == 2  # RGB
    k = -(-MIN_SIDE // 14)  # the longer side reaches MIN_SIDE
    assert shown.shape == (9 * k, 14 * k, 3)
    originals = [p for (name, _), p in pixels.items() if name == "cat"]
    assert any(np.array_equal(shown[::k, ::k], p) for p in originals)


def test_a_subset_resized_image_folder(client: TestClient, service: SessionService) -> None:
    _image_folder(service.data_root / "pets2")
    (service.data_root / "pets2" / "dog").mkdir()
    data = {"kind": "image_folder", "path": "pets2", "classes": ["cat", "bird"],
            "image_size": [16, 8]}  # fmt: skip
    _create(client, "pets2", data)
    state = client.get("/api/sessions/pets2/state").json()
    assert state["class_names"] == ["cat", "bird"]
    assert state["input"]["shape"] == [3, 16, 8]
    _, shown = _png(client, "pets2", "test", 0)
    assert shown.shape == (32, 16, 3)


def test_quickdraw_and_idx_examples(client: TestClient, service: SessionService) -> None:
    _quickdraw(service.data_root / "qd")
    _create(client, "qd", {"kind": "quickdraw", "path": "qd", "per_class": 10})
    state = client.get("/api/sessions/qd/state").json()
    assert state["class_names"] == ["bird", "cat", "fish"]
    assert state["split"]["train"] + state["split"]["val"] + state["split"]["test"] == 30
    colour, shown = _png(client, "qd", "train", 0)
    assert (colour, shown.shape) == (0, (56, 56, 1))
    _idx(service.data_root / "mnist")
    _create(client, "mnist", {"kind": "idx", "path": "mnist"})
    colour, shown = _png(client, "mnist", "test", 5)
    expected = np.random.default_rng(6).integers(0, 256, (6, 6, 10), np.uint8)[5]
    k = -(-MIN_SIDE // 10)
    np.testing.assert_array_equal(shown[::k, ::k, 0], expected)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"kind": "image_folder", "path": "broken"}, "broken/b/x.png: not a readable PNG image"),
        ({"kind": "image_folder", "path": "broken", "classes": ["a", "z"]}, "no class 'z'"),
    ],
)
def test_a_bad_folder_is_422_and_creates_nothing(
    client: TestClient, service: SessionService, data: dict, says: str
) -> None:
    root = service.data_root / "broken"
    if not root.exists():
        for name in ("a", "b"):
            (root / name).mkdir(parents=True)
            Image.fromarray(np.zeros((4, 4), np.uint8)).save(root / name / "0.png")
        (root / "b" / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    before = len(client.get("/api/sessions").json())
    r = client.post("/api/sessions", json={"name": "bad", "data": data})
    assert r.status_code == 422
    assert says in r.json()["error"]
    assert len(client.get("/api/sessions").json()) == before
