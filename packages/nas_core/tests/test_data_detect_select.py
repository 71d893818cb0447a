"""Which kind a path holds (`detect_kind`), and a subset of classes of any kind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from nas_core_data_files import idx_folder, image_folder, quickdraw_folder

from nas_core.data import DataError, detect_kind, load_dataset
from nas_core.specs import DataSpec


def _npz(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "d.npz"
    y = np.arange(20) % 4
    np.savez(
        path,
        x_train=np.zeros((20, 4, 4), np.uint8),
        y_train=y,
        x_test=np.zeros((8, 4, 4), np.uint8),
        y_test=y[:8],
        class_names=np.array(["w", "x", "y", "z"]),
    )
    return path


def _cifar(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "batches.meta").write_bytes(b"")
    return root


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (_npz, "npz"),
        (_cifar, "cifar10"),
        (lambda r: idx_folder(r), "idx"),
        (lambda r: idx_folder(r, gz=True), "idx"),
        (lambda r: quickdraw_folder(r, n=2), "quickdraw"),
        (lambda r: image_folder(r, n=1), "image_folder"),
        (lambda r: image_folder(r / "train", n=1, suffix=".jpg").parent, "image_folder"),
    ],
)
def test_the_kind_is_told_from_what_the_path_holds(tmp_path: Path, make, kind) -> None:
    assert detect_kind(make(tmp_path / "d")) == kind


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda r: r, "no such file or folder"),
        (lambda r: (r.mkdir(), r)[1], "holds no data set REMAP reads"),
        (
            lambda r: (r.mkdir(), (r / "a").mkdir(), (r / "a" / "t.txt").write_text("x"), r)[3],
            "holds no data set REMAP reads",
        ),
        (lambda r: (r.write_text("x"), r)[1], "a data file must be an .npz file"),
    ],
)
def test_what_is_no_data_set_says_so(tmp_path: Path, make, message) -> None:
    path = make(tmp_path / "d")
    with pytest.raises(DataError, match=message) as info:
        detect_kind(path)
    assert info.value.path == str(path)


def test_a_subset_of_the_digits_relabels_in_the_order_asked() -> None:
    full = load_dataset(DataSpec())
    data = load_dataset(DataSpec(classes=("7", "1")))
    assert data.class_names == ("7", "1")
    assert data.info().n_test == int(np.isin(full.y_test, [1, 7]).sum())
    seven = full.x_test[full.y_test == 7]
    assert np.array_equal(data.x_test[data.y_test == 0], seven)


def test_a_subset_of_an_npz(tmp_path: Path) -> None:
    data = load_dataset(DataSpec(kind="npz", path=str(_npz(tmp_path)), classes=("z", "x")))
    assert data.class_names == ("z", "x")
    assert set(np.unique(data.y_test)) == {0, 1}


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        (
            ("3",),
            "a subset of classes needs at least 2 classes, not 1 (3); the data set's "
            "classes are 0, 1, 2, 3, 4, 5, 6, 7, 8, 9",
        ),
        (("3", "3"), "class '3' is asked for twice"),
        (
            ("3", "cat", "dog"),
            "no class 'cat', 'dog' in this data set; the data set's classes "
            "are 0, 1, 2, 3, 4, 5, 6, 7, 8, 9",
        ),
    ],
)
def test_bad_subsets_are_refused(classes, message) -> None:
    with pytest.raises(DataError) as info:
        load_dataset(DataSpec(classes=classes))
    assert info.value.message == message


def test_a_subset_class_without_training_examples(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(
        path,
        x_train=np.zeros((6, 4, 4), np.uint8),
        y_train=np.array([0, 0, 0, 1, 1, 1]),
        x_test=np.zeros((3, 4, 4), np.uint8),
        y_test=np.array([0, 1, 2]),
    )
    with pytest.raises(DataError, match="the training split has no example of class '2'"):
        load_dataset(DataSpec(kind="npz", path=str(path), classes=("0", "2")))
