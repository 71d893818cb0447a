"""Image folders (one subfolder of PNG/JPEG files per class) the tests write with Pillow:
grey and colour, any size, optional train/ and test/ splits, and every refusal naming
the file and what is wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from nas_core_data_files import image_folder, pattern, write_image

from nas_core.data import DataError, load_dataset
from nas_core.data.image_folder import read_image_folder
from nas_core.specs import DataSpec


def spec(path: Path, **options) -> DataSpec:
    return DataSpec(kind="image_folder", path=str(path), **options)


def test_a_grey_png_folder_loads_non_square_with_exact_pixels(tmp_path: Path) -> None:
    root = image_folder(tmp_path / "pets", n=10, size=(6, 5))
    data = load_dataset(spec(root))
    assert data.class_names == ("bird", "cat", "dog")  # folder names, sorted
    assert data.input_shape == (1, 6, 5)
    info = data.info()
    assert info.n_train + info.n_val + info.n_test == 30
    assert info.n_test == 6  # the seeded, stratified 20 % of a folder with no test/
    assert np.bincount(data.y_test).tolist() == [2, 2, 2]
    raw = read_image_folder(root)
    # every image read is one of the files, scaled from 0..255 to 0..1
    files = {
        (c, k): pattern(label, k, (6, 5), False).astype(np.float32) / 255
        for label, c in enumerate(("cat", "bird", "dog"))
        for k in range(10)
    }
    first_bird = raw.x_train[raw.y_train == 0][0, 0]
    assert any(np.array_equal(first_bird, files[("bird", k)]) for k in range(10))
    assert raw.x_train.dtype == np.float32
    assert raw.x_train.flags.c_contiguous


def test_colour_jpegs_give_three_channels_and_grey_ones_join_them(tmp_path: Path) -> None:
    root = image_folder(tmp_path / "pets", n=5, size=(4, 9), rgb=True, suffix=".jpg")
    write_image(root / "cat" / "grey.png", pattern(0, 99, (4, 9), False))
    raw = read_image_folder(root)
    assert raw.x_train.shape[1:] == (3, 4, 9)
    grey = np.concatenate([raw.x_train, raw.x_test])
    # the grey image became three equal channels
    assert any(np.array_equal(g[0], g[1]) and np.array_equal(g[1], g[2]) for g in grey)


def test_train_and_test_folders_are_the_splits(tmp_path: Path) -> None:
    image_folder(tmp_path / "d" / "train", classes=("a", "b"), n=8)
    image_folder(tmp_path / "d" / "test", classes=("a", "b"), n=3)
    data = load_dataset(spec(tmp_path / "d"))
    assert data.class_names == ("a", "b")
    assert data.info().n_test == 6
    assert data.info().n_train + data.info().n_val == 16


def test_image_size_resizes_every_image(tmp_path: Path) -> None:
    root = image_folder(tmp_path / "d", classes=("a", "b"), n=4, size=(10, 12))
    write_image(root / "a" / "big.png", pattern(0, 7, (31, 17), False))
    data = load_dataset(spec(root, image_size=(8, 6)))
    assert data.input_shape == (1, 8, 6)


def test_a_subset_of_classes_reads_only_those_folders_in_the_order_asked(tmp_path: Path) -> None:
    root = image_folder(tmp_path / "d", n=5)
    (root / "dog" / "000.png").write_bytes(b"not a png")  # never opened
    data = load_dataset(spec(root, classes=("cat", "bird")))
    assert data.class_names == ("cat", "bird")
    assert set(np.unique(np.concatenate([data.y_train, data.y_val, data.y_test]))) == {0, 1}


def test_hidden_entries_and_other_files_are_skipped(tmp_path: Path) -> None:
    root = image_folder(tmp_path / "d", classes=("a", "b"), n=5)
    (root / "a" / "notes.txt").write_text("x")
    (root / "a" / ".DS_Store").write_bytes(b"\0\1")
    (root / ".thumbnails").mkdir()
    (root / "README").write_text("my pets")
    assert read_image_folder(root).class_names == ("a", "b")


def _mixed(root: Path) -> tuple[Path, str]:
    image_folder(root, classes=("a", "b"), n=3, size=(6, 6))
    bad = write_image(root / "b" / "wide.png", pattern(1, 9, (6, 10), False))
    return bad, "is 10×6 pixels, but the first image"


def _empty(root: Path) -> tuple[Path, str]:
    image_folder(root, classes=("a", "b"), n=3)
    (root / "c").mkdir()
    (root / "c" / "notes.txt").write_text("no images here")
    return root / "c", "an empty class folder"


def _corrupt(root: Path) -> tuple[Path, str]:
    image_folder(root, classes=("a", "b"), n=3)
    bad = root / "b" / "001.png"
    bad.write_bytes(bad.read_bytes()[:40])  # truncated
    return bad, "not a readable PNG image"


def _garbage_jpeg(root: Path) -> tuple[Path, str]:
    image_folder(root, classes=("a", "b"), n=3)
    bad = root / "a" / "zz.jpeg"
    bad.write_bytes(b"\xff\xd8\xff" + b"\x00" * 50)
    return bad, "not a readable JPEG image"


def _one_class(root: Path) -> tuple[Path, str]:
    image_folder(root, classes=("a",), n=3)
    return root, "at least 2 classes, but it has 1"


def _test_only(root: Path) -> tuple[Path, str]:
    image_folder(root / "test", classes=("a", "b"), n=3)
    return root, "holds test/ but no train/"


def _extra_test_class(root: Path) -> tuple[Path, str]:
    image_folder(root / "train", classes=("a", "b"), n=3)
    image_folder(root / "test", classes=("a", "b", "c"), n=2)
    return root / "test", "test/ has class folder(s) c that train/ lacks"


@pytest.mark.parametrize(
    "make",
    [_mixed, _empty, _corrupt, _garbage_jpeg, _one_class, _test_only, _extra_test_class],
)
def test_bad_folders_are_refused_naming_the_file(tmp_path: Path, make) -> None:
    bad, message = make(tmp_path / "d")
    with pytest.raises(DataError) as info:
        load_dataset(spec(tmp_path / "d"))
    assert info.value.path == str(bad)
    assert message in info.value.message
    assert str(info.value).startswith(f"{bad}: ")


def test_mixed_sizes_say_how_to_fix_it(tmp_path: Path) -> None:
    _mixed(tmp_path / "d")
    with pytest.raises(DataError, match=r"--image-size"):
        load_dataset(spec(tmp_path / "d"))


def test_an_unknown_class_lists_the_known_ones(tmp_path: Path) -> None:
    root = image_folder(tmp_path / "d", n=3)
    with pytest.raises(DataError) as info:
        load_dataset(spec(root, classes=("cat", "horse")))
    assert info.value.message == (
        "no class 'horse' in this data set; the data set's classes are bird, cat, dog"
    )


def test_image_size_is_for_image_folders_only() -> None:
    with pytest.raises(DataError, match="image_size applies to an image folder only"):
        load_dataset(DataSpec(image_size=(8, 8)))


def test_16_bit_grey_pngs_are_scaled_from_their_full_range(tmp_path: Path) -> None:
    from PIL import Image

    for name in ("a", "b"):
        (tmp_path / "d" / name).mkdir(parents=True)
        for k in range(3):
            pixels = np.full((4, 4), 65535 if name == "a" else 257 * 10, np.uint16)
            Image.fromarray(pixels).save(tmp_path / "d" / name / f"{k}.png")
    raw = read_image_folder(tmp_path / "d", test_fraction=0.34)
    x = np.concatenate([raw.x_train, raw.x_test])
    y = np.concatenate([raw.y_train, raw.y_test])
    assert raw.x_train.shape[1:] == (1, 4, 4)
    np.testing.assert_allclose(x[y == 0], 1.0)
    np.testing.assert_allclose(x[y == 1], 10 / 255, rtol=1e-6)
