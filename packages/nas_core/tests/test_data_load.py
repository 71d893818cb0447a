"""Loading the bundled digits, .npz files and CIFAR-10 python-format folders the tests
write, and the errors that name the file and what is wrong with it."""

from __future__ import annotations

import io
import os
import pickle
import struct
from pathlib import Path
from typing import ClassVar

import msgspec
import numpy as np
import pytest

from nas_core.data import DataError, Dataset, load_dataset
from nas_core.errors import NasCoreError
from nas_core.specs import DatasetInfo, DataSpec

# --- digits ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_dataset(DataSpec())


def test_digits_are_split_into_train_validation_and_test(digits: Dataset) -> None:
    info = digits.info()
    assert (info.n_train, info.n_val, info.n_test) == (1222, 216, 359)  # 1797 = 80/20, 85/15
    assert info.input_shape == (1, 8, 8) == digits.input_shape
    assert info.class_names == tuple("0123456789")
    assert digits.classes == 10
    for x in (digits.x_train, digits.x_val, digits.x_test):
        assert x.dtype == np.float32
        assert x.flags.c_contiguous
        assert x.min() >= 0.0
        assert x.max() == 1.0
    for y in (digits.y_train, digits.y_val, digits.y_test):
        assert y.dtype == np.int64
        assert set(np.unique(y)) == set(range(10))  # stratified: every class everywhere
    assert digits.source == "sklearn:digits"


def test_digits_splits_are_disjoint(digits: Dataset) -> None:
    rows = [{x.tobytes() for x in part} for part in (digits.x_train, digits.x_val, digits.x_test)]
    # digits holds a few exact duplicates, so compare sizes rather than demand none
    assert len(rows[0] | rows[1] | rows[2]) > 0.99 * sum(map(len, rows))


def test_the_split_is_a_function_of_the_seed(digits: Dataset) -> None:
    again = load_dataset(DataSpec())
    other = load_dataset(DataSpec(split_seed=1))
    assert again.digest == digits.digest
    assert other.digest != digits.digest
    assert other.info().n_train == digits.info().n_train


def test_info_roundtrips_as_json(digits: Dataset) -> None:
    info = digits.info()
    assert msgspec.json.decode(msgspec.json.encode(info), type=DatasetInfo) == info
    assert len(info.digest) == 64


def test_limit_caps_the_training_examples_stratified() -> None:
    data = load_dataset(DataSpec(limit=200, val_fraction=0.25))
    info = data.info()
    assert (info.n_train, info.n_val, info.n_test) == (150, 50, 359)
    assert np.bincount(data.y_train, minlength=10).min() >= 13
    assert np.bincount(data.y_val, minlength=10).min() >= 4


def test_digits_take_no_path() -> None:
    with pytest.raises(DataError, match="digits take no path"):
        load_dataset(DataSpec(path="x.npz"))


def test_data_error_is_a_nas_core_error_and_pickles() -> None:
    err = DataError("missing array(s) y_test", path="/data/a.npz")
    assert isinstance(err, NasCoreError)
    back = pickle.loads(pickle.dumps(err))
    assert (str(back), back.path) == ("/data/a.npz: missing array(s) y_test", "/data/a.npz")


# --- npz ------------------------------------------------------------------------------


def _npz(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def _images(n: int, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, *shape), dtype=np.uint8)


def _labels(n: int, classes: int = 3) -> np.ndarray:
    return np.arange(n) % classes


@pytest.mark.parametrize(
    ("shape", "to_nchw"),
    [
        ((6, 5), lambda x: x[:, None]),  # N, H, W
        ((6, 5, 3), lambda x: x.transpose(0, 3, 1, 2)),  # N, H, W, C
        ((3, 6, 5), lambda x: x),  # N, C, H, W
        ((6, 6, 1), lambda x: x.transpose(0, 3, 1, 2)),  # N, H, W, 1
    ],
)
def test_npz_layouts_become_nchw_scaled_to_one(tmp_path: Path, shape, to_nchw) -> None:
    x_train, x_test = _images(40, shape), _images(12, shape, seed=1)
    path = _npz(
        tmp_path / "d.npz", x_train=x_train, y_train=_labels(40), x_test=x_test,
        y_test=_labels(12),
    )  # fmt: skip
    data = load_dataset(DataSpec(kind="npz", path=str(path)))
    np.testing.assert_array_equal(data.x_test, to_nchw(x_test).astype(np.float32) / 255)
    assert data.input_shape == to_nchw(x_test).shape[1:]
    assert data.class_names == ("0", "1", "2")
    assert data.info().n_train + data.info().n_val == 40
    assert data.source == str(path.resolve())


def test_npz_floats_are_kept_and_class_names_read(tmp_path: Path) -> None:
    x = np.random.default_rng(0).normal(size=(30, 4, 4)).astype(np.float64)
    path = _npz(
        tmp_path / "f.npz", x_train=x, y_train=_labels(30, 4), x_test=x[:8],
        y_test=_labels(8, 4).reshape(8, 1), class_names=np.array(["a", "b", "c", "d", "e"]),
    )  # fmt: skip
    data = load_dataset(DataSpec(kind="npz", path=str(path), val_fraction=0.2))
    np.testing.assert_allclose(data.x_test[:, 0], x[:8].astype(np.float32))
    assert data.class_names == ("a", "b", "c", "d", "e")
    assert data.classes == 5  # a class without examples still counts
    np.testing.assert_array_equal(data.y_test, _labels(8, 4))


def test_relative_paths_resolve_inside_root(tmp_path: Path) -> None:
    (tmp_path / "sets").mkdir()
    _npz(
        tmp_path / "sets" / "d.npz", x_train=_images(20, (4, 4)), y_train=_labels(20),
        x_test=_images(5, (4, 4)), y_test=_labels(5),
    )  # fmt: skip
    data = load_dataset(DataSpec(kind="npz", path="sets/d.npz"), root=tmp_path)
    assert data.info().n_test == 5
    with pytest.raises(DataError, match="leaves the data folder"):
        load_dataset(DataSpec(kind="npz", path="../d.npz"), root=tmp_path / "sets")
    absolute = str(tmp_path / "sets" / "d.npz")
    assert load_dataset(DataSpec(kind="npz", path=absolute), root=tmp_path / "sets")


def test_a_link_out_of_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    target = _npz(
        tmp_path / "outside.npz", x_train=_images(20, (4, 4)), y_train=_labels(20),
        x_test=_images(5, (4, 4)), y_test=_labels(5),
    )  # fmt: skip
    os.symlink(target, tmp_path / "root" / "in.npz")
    with pytest.raises(DataError, match="leaves the data folder"):
        load_dataset(DataSpec(kind="npz", path="in.npz"), root=tmp_path / "root")


GOOD = {
    "x_train": _images(20, (4, 4)),
    "y_train": _labels(20),
    "x_test": _images(6, (4, 4)),
    "y_test": _labels(6),
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"y_test": None}, r"missing array\(s\) y_test \(it has: x_test, x_train, y_train\)"),
        ({"y_train": _labels(19)}, "y_train has 19 labels for 20 images"),
        ({"y_test": np.array([0, 1, 2, 0, 1, -1])}, r"y_test\[5\] is -1: labels must be in"),
        (
            {"y_train": _labels(20), "class_names": np.array(["a", "b"])},
            r"y_train\[2\] is 2: labels must be in 0..1 \(2 classes\)",
        ),
        ({"x_train": np.zeros((20, 16), np.uint8)}, r"x_train must be images of shape"),
        ({"x_test": _images(6, (5, 4))}, "x_train and x_test hold images of different shapes"),
        ({"y_train": _labels(20).astype(float)}, "y_train must hold integer class labels"),
        ({"x_train": _images(20, (4, 4)).astype(np.int32)}, "x_train has dtype int32"),
        ({"x_test": np.full((6, 4, 4), np.nan)}, "x_test holds NaN or infinite values"),
        ({"y_train": np.zeros((20, 2), int)}, r"y_train must be a vector of N labels"),
        ({"y_train": np.zeros(20, int), "y_test": np.zeros(6, int)}, "at least 2 classes"),
        ({"class_names": np.array([["a"], ["b"]])}, "class_names must be a vector of strings"),
        ({"x_test": np.zeros((0, 4, 4), np.uint8), "y_test": _labels(0)}, "x_test is empty"),
    ],
)
def test_npz_errors_name_the_file_and_the_problem(tmp_path: Path, change, message) -> None:
    arrays = {**GOOD, **change}
    path = _npz(tmp_path / "bad.npz", **{k: v for k, v in arrays.items() if v is not None})
    with pytest.raises(DataError, match=message) as info:
        load_dataset(DataSpec(kind="npz", path=str(path)))
    assert str(info.value).startswith(str(path.resolve()))
    assert info.value.path == str(path.resolve())


def test_npz_object_arrays_are_refused_without_unpickling(tmp_path: Path) -> None:
    path = tmp_path / "obj.npz"
    np.savez(path, **GOOD, class_names=np.array(["a", "b", "c"], dtype=object))
    with pytest.raises(DataError, match="cannot read it without pickle"):
        load_dataset(DataSpec(kind="npz", path=str(path)))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_bytes(b"not a zip file"), "not a readable .npz file"),
        (lambda p: p.mkdir(), "not a file"),
    ],
)
def test_missing_or_broken_npz(tmp_path: Path, make, message) -> None:
    path = tmp_path / "d.npz"
    make(path)
    with pytest.raises(DataError, match=message):
        load_dataset(DataSpec(kind="npz", path=str(path)))


def test_a_path_is_required_for_files() -> None:
    with pytest.raises(DataError, match="a cifar10 data set needs a path"):
        load_dataset(DataSpec(kind="cifar10"))


def test_one_training_example_cannot_be_split(tmp_path: Path) -> None:
    path = _npz(
        tmp_path / "one.npz", x_train=_images(1, (4, 4)), y_train=np.array([1]),
        x_test=_images(2, (4, 4)), y_test=np.array([0, 1]),
    )  # fmt: skip
    with pytest.raises(DataError, match="1 training example"):
        load_dataset(DataSpec(kind="npz", path=str(path)))


# --- CIFAR-10 python format -------------------------------------------------------------


class Py2Pickler(pickle._Pickler):  # type: ignore[name-defined]
    """Writes pickles as Python 2's cPickle wrote the CIFAR-10 files: text and bytes as
    Python 2 ``str`` (BINSTRING) and numpy's array functions under ``numpy.core``."""

    dispatch: ClassVar[dict] = dict(pickle._Pickler.dispatch)  # type: ignore[attr-defined]

    def save_py2_str(self, obj) -> None:
        b = obj.encode("latin1") if isinstance(obj, str) else bytes(obj)
        if len(b) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(b)]) + b)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(b)) + b)
        self.memoize(obj)

    def save_global(self, obj, name=None) -> None:
        module = obj.__module__.replace("numpy._core", "numpy.core")
        self.write(pickle.GLOBAL + f"{module}\n{name or obj.__qualname__}\n".encode())
        self.memoize(obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str


def _dump(path: Path, obj, style: str) -> None:
    with path.open("wb") as f:
        if style == "py2":
            Py2Pickler(f, protocol=2).dump(obj)
        else:
            pickle.dump(obj, f, protocol=int(style))


def _cifar(folder: Path, *, batches: int = 2, n: int = 10, style: str = "py2") -> dict:
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(3)
    written = {}
    for name in [f"data_batch_{k}" for k in range(1, batches + 1)] + ["test_batch"]:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, n)]
        _dump(folder / name, {b"batch_label": b"b", b"data": data, b"labels": labels}, style)
        written[name] = (data, labels)
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer"]
    names += [b"dog", b"frog", b"horse", b"ship", b"truck"]
    _dump(folder / "batches.meta", {b"label_names": names, b"num_vis": 3072}, style)
    return written


@pytest.mark.parametrize("style", ["py2", "2", "4"])
def test_cifar_folder_loads_as_nchw(tmp_path: Path, style: str) -> None:
    written = _cifar(tmp_path / "cifar", style=style)
    data = load_dataset(DataSpec(kind="cifar10", path="cifar", val_fraction=0.25), root=tmp_path)
    test_data, test_labels = written["test_batch"]
    np.testing.assert_array_equal(data.x_test, test_data.reshape(-1, 3, 32, 32) / np.float32(255))
    np.testing.assert_array_equal(data.y_test, test_labels)
    assert data.class_names[:3] == ("airplane", "automobile", "bird")
    assert data.input_shape == (3, 32, 32)
    assert (data.info().n_train, data.info().n_val) == (15, 5)
    pool = np.concatenate([written["data_batch_1"][0], written["data_batch_2"][0]])
    rows = {r.tobytes() for r in (pool.reshape(-1, 3, 32, 32) / np.float32(255))}
    assert {r.tobytes() for r in data.x_train} <= rows


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_cifar_pickles_cannot_run_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cifar"
    _cifar(folder)
    with (folder / "data_batch_1").open("wb") as f:
        pickle.dump({b"data": _Boom(), b"labels": []}, f)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=r"refused to load posix.system") as info:
        load_dataset(DataSpec(kind="cifar10", path=str(folder)))
    assert info.value.path == str(folder / "data_batch_1")
    assert not (tmp_path / "pwned").exists()


def _rewrite(folder: Path, name: str, obj) -> None:
    with (folder / name).open("wb") as f:
        pickle.dump(obj, f)


@pytest.mark.parametrize(
    ("breakage", "where", "message"),
    [
        (lambda f: (f / "test_batch").unlink(), "test_batch", "missing file"),
        (lambda f: (f / "batches.meta").unlink(), "batches.meta", "missing file"),
        (
            lambda f: _rewrite(f, "data_batch_2", {b"data": np.zeros((2, 3072), np.uint8)}),
            "data_batch_2",
            r"missing key b'labels' \(it has: b'data'\)",
        ),
        (
            lambda f: _rewrite(
                f, "data_batch_1", {b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}
            ),
            "data_batch_1",
            "rows must hold 3072 values",
        ),
        (
            lambda f: _rewrite(
                f, "test_batch", {b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}
            ),
            "test_batch",
            r"b'labels'\[1\] is 10: labels must be in 0..9",
        ),
        (
            lambda f: _rewrite(
                f, "test_batch", {b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}
            ),
            "test_batch",
            "b'labels' has 1 labels for 2 images",
        ),
        (
            lambda f: _rewrite(f, "test_batch", {b"data": np.zeros((2, 3072)), b"labels": [0, 1]}),
            "test_batch",
            "b'data' must be a uint8 array",
        ),
        (lambda f: (f / "test_batch").write_bytes(b"junk"), "test_batch", "not a readable"),
        (lambda f: _rewrite(f, "test_batch", [1, 2]), "test_batch", "expected a pickled dict"),
        (lambda f: _rewrite(f, "batches.meta", {}), "batches.meta", "b'label_names' must be"),
    ],
)
def test_cifar_errors_name_the_file(tmp_path: Path, breakage, where, message) -> None:
    folder = tmp_path / "cifar"
    _cifar(folder)
    breakage(folder)
    with pytest.raises(DataError, match=message) as info:
        load_dataset(DataSpec(kind="cifar10", path=str(folder)))
    assert info.value.path == str(folder / where)


def test_cifar_batches_must_start_at_one_without_gaps(tmp_path: Path) -> None:
    folder = tmp_path / "cifar"
    _cifar(folder, batches=3)
    (folder / "data_batch_2").unlink()
    with pytest.raises(DataError, match="without gaps, found data_batch_1, data_batch_3"):
        load_dataset(DataSpec(kind="cifar10", path=str(folder)))
    for name in ("data_batch_1", "data_batch_3"):
        (folder / name).unlink()
    with pytest.raises(DataError, match="no data_batch_1"):
        load_dataset(DataSpec(kind="cifar10", path=str(folder)))


def test_cifar_path_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such folder"):
        load_dataset(DataSpec(kind="cifar10", path=str(tmp_path / "nope")))
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(DataError, match="not a folder"):
        load_dataset(DataSpec(kind="cifar10", path=str(tmp_path / "file")))


def test_restricted_unpickler_reads_plain_values() -> None:
    from nas_core.data.safe_pickle import load_restricted

    value = {b"a": [1, 2.5, "s", None, (True,)], b"n": np.arange(3)}
    loaded = load_restricted(io.BytesIO(pickle.dumps(value, protocol=5)))
    assert loaded[b"a"] == value[b"a"]
    np.testing.assert_array_equal(loaded[b"n"], value[b"n"])
