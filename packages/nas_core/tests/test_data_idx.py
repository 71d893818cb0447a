"""MNIST-style IDX files the tests write (struct and gzip): the parser's round trip and
its refusals (hypothesis), and the four-file folder."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from nas_core_data_files import idx_folder

from nas_core.data import DataError, encode_idx, load_dataset, parse_idx
from nas_core.data.idx import read_idx
from nas_core.specs import DataSpec

DTYPES = [">u1", ">i1", ">i2", ">i4", ">f4", ">f8"]


def spec(path: Path, **options) -> DataSpec:
    return DataSpec(kind="idx", path=str(path), **options)


def test_a_hand_written_file_parses() -> None:
    data = struct.pack(">BBBBII", 0, 0, 0x08, 2, 2, 3) + bytes(range(6))
    assert parse_idx(data).tolist() == [[0, 1, 2], [3, 4, 5]]
    data = struct.pack(">BBBBI", 0, 0, 0x0B, 1, 2) + struct.pack(">hh", -2, 300)
    out = parse_idx(data)
    assert out.tolist() == [-2, 300]
    assert out.dtype == np.int16


@given(
    hnp.arrays(
        dtype=st.sampled_from(DTYPES),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
        elements={"allow_nan": False},
    )
)
def test_parse_inverts_encode(array: np.ndarray) -> None:
    out = parse_idx(encode_idx(array))
    assert out.shape == array.shape
    assert out.dtype == array.dtype.newbyteorder("=")
    np.testing.assert_array_equal(out, array)


def _valid() -> st.SearchStrategy[bytes]:
    return hnp.arrays(
        dtype=st.sampled_from(DTYPES),
        shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4),
        elements={"allow_nan": False},
    ).map(encode_idx)


@st.composite
def corrupted(draw) -> bytes:
    """A valid file broken one way: cut short, grown, a header byte changed."""
    data = draw(_valid())
    how = draw(st.sampled_from(["cut", "grow", "magic", "type", "dims"]))
    if how == "cut":
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "grow":
        return data + draw(st.binary(min_size=1, max_size=16))
    if how == "magic":
        i = draw(st.integers(0, 1))
        return data[:i] + bytes([draw(st.integers(1, 255))]) + data[i + 1 :]
    if how == "type":
        code = draw(st.integers(0, 255).filter(lambda c: c not in (8, 9, 11, 12, 13, 14)))
        return data[:2] + bytes([code]) + data[3:]
    ndim = data[3]
    d = draw(st.integers(0, ndim - 1))
    start = 4 + 4 * d
    old = int.from_bytes(data[start : start + 4], "big")
    new = draw(st.integers(0, 2**32 - 1).filter(lambda v: v != old))
    others = 1
    for k in range(ndim):
        if k != d:
            others *= int.from_bytes(data[4 + 4 * k : 8 + 4 * k], "big")
    if others == 0:  # a zero elsewhere keeps the body empty whatever this one says
        return data[:2] + b"\xff" + data[3:]
    return data[:start] + new.to_bytes(4, "big") + data[start + 4 :]


@given(corrupted())
def test_every_corruption_is_a_data_error(data: bytes) -> None:
    with pytest.raises(DataError):
        parse_idx(data, "f")


@settings(max_examples=200)
@given(st.binary(max_size=64))
def test_random_bytes_parse_or_give_a_data_error(data: bytes) -> None:
    try:
        out = parse_idx(data, "f")
    except DataError as exc:
        where = exc.path
    else:
        where = "f"
        assert encode_idx(out) == data
    assert where == "f"


@pytest.mark.parametrize("gz", [False, True])
def test_an_idx_folder_loads(tmp_path: Path, gz: bool) -> None:
    root = idx_folder(tmp_path / "mnist", n_train=30, n_test=12, classes=3, size=(7, 5), gz=gz)
    data = load_dataset(spec(root))
    assert data.class_names == ("0", "1", "2")
    assert data.input_shape == (1, 7, 5)
    assert data.info().n_test == 12
    assert data.info().n_train + data.info().n_val == 30
    subset = load_dataset(spec(root, classes=("2", "0")))
    assert subset.class_names == ("2", "0")
    assert subset.info().n_test == 8


def test_dotted_names_and_test_prefix_are_taken(tmp_path: Path) -> None:
    root = idx_folder(tmp_path / "m")
    for p in list(root.iterdir()):
        p.rename(root / p.name.replace("-idx", ".idx").replace("t10k", "test"))
    assert read_idx(root).x_test.shape[0] == 10


def test_bad_magic_names_the_file(tmp_path: Path) -> None:
    root = idx_folder(tmp_path / "m")
    bad = root / "train-images-idx3-ubyte"
    bad.write_bytes(b"\x08\x03" + bad.read_bytes()[2:])
    with pytest.raises(DataError, match="bad magic number 0x0803") as info:
        load_dataset(spec(root))
    assert info.value.path == str(bad)


def test_labels_that_do_not_match_the_images(tmp_path: Path) -> None:
    root = idx_folder(tmp_path / "m")
    bad = root / "t10k-labels-idx1-ubyte"
    bad.write_bytes(encode_idx(np.zeros(9, np.uint8)))
    with pytest.raises(DataError, match="test labels has 9 labels for 10 images") as info:
        load_dataset(spec(root))
    assert info.value.path == str(bad)


def test_a_truncated_file_and_a_corrupt_gzip(tmp_path: Path) -> None:
    root = idx_folder(tmp_path / "m", gz=True)
    bad = root / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:15])
    with pytest.raises(DataError, match="not a readable gzip file") as info:
        load_dataset(spec(root))
    assert info.value.path == str(bad)
    bad.write_bytes(gzip.compress(encode_idx(np.zeros(30, np.uint8))[:-3]))
    with pytest.raises(DataError, match="truncated"):
        load_dataset(spec(root))


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    root = idx_folder(tmp_path / "m")
    (root / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(DataError, match=r"missing IDX file\(s\) t10k-images-idx3-ubyte"):
        load_dataset(spec(root))


def test_images_must_be_three_dimensional(tmp_path: Path) -> None:
    root = idx_folder(tmp_path / "m")
    bad = root / "train-images-idx3-ubyte"
    bad.write_bytes(encode_idx(np.zeros((30, 49), np.uint8)))
    with pytest.raises(DataError, match=r"shape \(30, 49\): images are N×height×width"):
        load_dataset(spec(root))
