"""Quick, Draw! folders of per-class (N, 784) uint8 ``.npy`` bitmaps the tests write: the
class names, the seeded per-class sample, and the refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from nas_core_data_files import quickdraw_folder

from nas_core.data import DataError, load_dataset
from nas_core.data.quickdraw import read_quickdraw
from nas_core.specs import DataSpec


def spec(path: Path, **options) -> DataSpec:
    return DataSpec(kind="quickdraw", path=str(path), **options)


def _ids(raw) -> set[tuple[int, int]]:
    """(class, drawing number) of every drawing read (the first row encodes it)."""
    x = np.concatenate([raw.x_train, raw.x_test])
    y = np.concatenate([raw.y_train, raw.y_test])
    first = np.rint(x[:, 0, 0, 0] * 255).astype(int)
    return {(int(c), int(v)) for c, v in zip(y, first, strict=True)}


def test_a_quickdraw_folder_loads_as_28_by_28_with_prefixless_names(tmp_path: Path) -> None:
    root = quickdraw_folder(tmp_path / "qd", n=20)
    data = load_dataset(spec(root))
    assert data.class_names == ("bird", "cat", "dog")  # file names, sorted, prefix dropped
    assert data.input_shape == (1, 28, 28)
    info = data.info()
    assert info.n_train + info.n_val + info.n_test == 60
    assert info.n_test == 12
    raw = read_quickdraw(root)
    assert len(_ids(raw)) == 60  # every drawing exactly once


def test_per_class_takes_a_seeded_sample_of_each_class(tmp_path: Path) -> None:
    root = quickdraw_folder(tmp_path / "qd", n=20)
    a = read_quickdraw(root, per_class=5, split_seed=1)
    b = read_quickdraw(root, per_class=5, split_seed=1)
    c = read_quickdraw(root, per_class=5, split_seed=2)
    assert np.bincount(np.concatenate([a.y_train, a.y_test])).tolist() == [5, 5, 5]
    assert _ids(a) == _ids(b)
    assert _ids(a) != _ids(c)
    # a class's sample does not depend on which other classes are read
    cats = read_quickdraw(root, classes=("cat", "dog"), per_class=5, split_seed=1)
    bird, cat, dog = a.class_names.index("bird"), a.class_names.index("cat"), 2
    assert bird == 0
    assert {v for c, v in _ids(a) if c == cat} == {v for c, v in _ids(cats) if c == 0}
    assert {v for c, v in _ids(a) if c == dog} == {v for c, v in _ids(cats) if c == 1}
    # more than a class holds: all of it
    assert len(_ids(read_quickdraw(root, per_class=500))) == 60


def test_a_subset_of_classes(tmp_path: Path) -> None:
    root = quickdraw_folder(tmp_path / "qd", n=10)
    data = load_dataset(spec(root, classes=("dog", "cat")))
    assert data.class_names == ("dog", "cat")


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((5, 28, 28), np.uint8), "holds a uint8 array of shape (5, 28, 28)"),
        (np.zeros((5, 783), np.uint8), "of shape (5, 783)"),
        (np.zeros((5, 784), np.float32), "holds a float32 array"),
        (np.zeros((0, 784), np.uint8), "an empty class"),
    ],
)
def test_a_wrong_npy_is_refused_naming_it(tmp_path: Path, array, message) -> None:
    root = quickdraw_folder(tmp_path / "qd", n=5)
    bad = root / "full_numpy_bitmap_cat.npy"
    np.save(bad, array)
    with pytest.raises(DataError) as info:
        load_dataset(spec(root))
    assert info.value.path == str(bad)
    assert message in info.value.message


def test_a_corrupt_npy_is_refused(tmp_path: Path) -> None:
    root = quickdraw_folder(tmp_path / "qd", n=5)
    bad = root / "full_numpy_bitmap_dog.npy"
    bad.write_bytes(bad.read_bytes()[:200])
    with pytest.raises(DataError, match=r"not a readable \.npy file") as info:
        load_dataset(spec(root))
    assert info.value.path == str(bad)


def test_an_object_npy_is_refused_without_unpickling(tmp_path: Path) -> None:
    root = quickdraw_folder(tmp_path / "qd", n=5)
    np.save(root / "x.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match=r"not a readable \.npy file"):
        load_dataset(spec(root))


def test_one_file_is_not_enough(tmp_path: Path) -> None:
    root = quickdraw_folder(tmp_path / "qd", classes=("cat",), n=5)
    with pytest.raises(DataError, match="at least 2 classes, but it has 1"):
        load_dataset(spec(root))


def test_per_class_is_for_quickdraw_only() -> None:
    with pytest.raises(DataError, match="per_class applies to a Quick, Draw! folder only"):
        load_dataset(DataSpec(per_class=3))
