"""Shared set-up of the benchmarks that drive a real `remap serve` on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def _remap_serve(data_dir: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`remap serve --port 0` on `data_dir` (no token): its base URL and process;
    terminated on exit."""
    env = {k: v for k, v in os.environ.items() if k != "REMAP_TOKEN"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "remap_server.cli", "serve", "--port", "0", "--processes", "1",
         "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert "running at" in line, proc.stderr.read()
        yield line.split(" at ", 1)[1].split()[0].rstrip("/"), proc
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


@pytest.fixture(scope="session")
def remap_serve():
    """A context manager starting `remap serve` on a data folder (see `_remap_serve`)."""
    return _remap_serve


@pytest.fixture(scope="session")
def import_bench():
    """The import benchmark's module (`search_text`, `_NoTraining`), for the benchmarks
    that serve an imported search (the import mode puts no test folder on sys.path)."""
    import importlib.util

    path = Path(__file__).with_name("test_import_search.py")
    spec = importlib.util.spec_from_file_location("remap_bench_import_search", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
