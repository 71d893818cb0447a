"""`pip install packages/snacs` alone (not editable, no torch) gives a working CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_plain_install_in_a_fresh_venv(tmp_path):
    source = tmp_path / "snacs-src"
    shutil.copytree(
        PACKAGE,
        source,
        ignore=shutil.ignore_patterns(
            "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis", "build", "dist"
        ),
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(source),
        ],
        check=True,
        timeout=600,
        env=env,
    )
    shutil.rmtree(source)  # the installed package must not need its source tree

    legend = subprocess.run(
        [str(bindir / "snacs"), "legend", "-o", "-"],
        capture_output=True,
        check=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    root = ET.fromstring(legend.stdout)
    assert root.get("class") == "snac-legend"

    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.util, snacs; "
            "print(importlib.util.find_spec('torch') is None, snacs.__file__)",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    no_torch, location = probe.stdout.split()
    assert no_torch == "True"
    assert Path(location).resolve().is_relative_to(venv.resolve())

    gallery = subprocess.run(
        [str(bindir / "snacs"), "gallery", "-o", str(tmp_path / "g")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert gallery.stdout.strip() == str(tmp_path / "g" / "index.html")
    assert (tmp_path / "g" / "vgg16.svg").is_file()
