"""`remap new` on the data kinds a user keeps (an image folder the test writes with
Pillow), with a subset of classes, an image size and a parameter cap; and its refusals,
which create no session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nas_core.events import EventStore, SessionCreated
from remap_server.cli import main

REMAP = [sys.executable, "-m", "remap_server.cli"]


def _folder(root: Path, classes=("a", "b", "c"), n: int = 12) -> Path:
    """Colour PNGs of 10×12 pixels: class k is bright in channel k."""
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for k in range(n):
            pixels = np.random.default_rng([label, k]).integers(0, 60, (10, 12, 3), np.uint8)
            pixels[..., label % 3] = 220
            Image.fromarray(pixels).save(root / name / f"{k}.png")
    return root


def _created(data_dir: Path) -> list[SessionCreated]:
    with EventStore(data_dir / "remap.db") as store:
        return [store.read(s.id, limit=1)[0].event for s in store.sessions()]


def test_new_trains_on_an_image_folder_subset(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "pets")
    data_dir = tmp_path / "store"
    done = subprocess.run(
        [*REMAP, "new", "--data", str(folder), "--classes", "c,a", "--image-size", "8",
         "--max-params", "60000", "--models", "2", "--epochs", "1", "--processes", "1",
         "--no-progress", "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 models, 2 trained" in done.stdout
    (created,) = _created(data_dir)
    assert created.data.kind == "image_folder"
    assert created.data.path == str(folder.resolve())
    assert created.data.classes == ("c", "a")
    assert created.data.image_size == (8, 8)
    assert created.class_names == ("c", "a")
    assert tuple(created.input.shape) == (3, 8, 8)
    assert created.settings.limits.max_params == 60000


def _bad_image(root: Path) -> tuple[Path, str]:
    folder = _folder(root, n=3)
    (folder / "b" / "1.png").write_bytes(b"\x89PNG broken")
    return folder, f"{folder / 'b' / '1.png'}: not a readable PNG image"


def _empty_class(root: Path) -> tuple[Path, str]:
    folder = _folder(root, n=3)
    (folder / "d").mkdir()
    (folder / "d" / "x.txt").write_text("")
    return folder, f"{folder / 'd'}: an empty class folder"


def _mixed(root: Path) -> tuple[Path, str]:
    folder = _folder(root, n=3)
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(folder / "a" / "small.png")
    return folder, "is 5×5 pixels, but the first image"


@pytest.mark.parametrize("make", [_bad_image, _empty_class, _mixed])
def test_bad_folders_exit_1_and_create_no_session(tmp_path: Path, make, capsys) -> None:
    folder, message = make(tmp_path / "pets")
    data_dir = tmp_path / "store"
    status = main(["new", "--data", str(folder), "--models", "2", "--epochs", "1",
                   "--processes", "1", "--no-progress", "--data-dir", str(data_dir)])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 1
    assert message in err
    assert "Traceback" not in err
    assert _created(data_dir) == []


def test_an_unknown_class_lists_the_known_ones(tmp_path: Path, capsys) -> None:
    folder = _folder(tmp_path / "pets", n=3)
    status = main(["new", "--data", str(folder), "--classes", "a,horse", "--no-progress",
                   "--processes", "1", "--data-dir", str(tmp_path / "s")])  # fmt: skip
    assert status == 1
    assert "no class 'horse' in this data set; the data set's classes are a, b, c" in (
        capsys.readouterr().err
    )
    assert _created(tmp_path / "s") == []


def test_a_path_that_holds_no_data_set_exits_2(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    status = main(["new", "--data", str(tmp_path / "empty"), "--data-dir", str(tmp_path / "s")])
    assert status == 2
    assert "holds no data set REMAP reads" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--image-size", "big", "not an image size"),
        ("--image-size", "0x4", "sides of 1 to 4096"),
        ("--classes", "a,,b", "an empty class name"),
        ("--max-params", "0", "must be 1 or more"),
        ("--per-class", "x", "not a whole number"),
    ],
)
def test_bad_option_values_are_usage_errors(flag, value, words, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["new", flag, value])
    assert exc.value.code == 2
    assert words in capsys.readouterr().err
