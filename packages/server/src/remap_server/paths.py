"""Where REMAP keeps its files, and the rule that keeps client-given paths inside it.

The data folder holds the event store (``remap.db``) and any data set files that
clients of the HTTP API may name. It is ``--data-dir``, else ``REMAP_DATA_DIR``, else
the per-user data folder (``$XDG_DATA_HOME/remap``, ``~/.local/share/remap``; on macOS
``~/Library/Application Support/remap``; on Windows ``%LOCALAPPDATA%\\remap``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from nas_core.specs import DataSpec

__all__ = ["STORE_FILE", "PathError", "check_data_spec", "default_data_dir", "store_path"]

STORE_FILE = "remap.db"


class PathError(ValueError):
    """A path from a client that is not allowed; `path` is the JSON path of the field."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{reason} - at `{path}`")


def default_data_dir(env: dict[str, str] | None = None) -> Path:
    """The data folder when ``--data-dir`` is not given (see the module)."""
    env = dict(os.environ) if env is None else env
    if env.get("REMAP_DATA_DIR"):
        return Path(env["REMAP_DATA_DIR"]).expanduser()
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "win32":  # pragma: no cover - not the platform the tests run on
        return Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local") / "remap"
    if sys.platform == "darwin":  # pragma: no cover
        return home / "Library" / "Application Support" / "remap"
    return Path(env.get("XDG_DATA_HOME") or home / ".local" / "share") / "remap"


def store_path(data_dir: str | Path) -> Path:
    """The event store file in `data_dir`."""
    return Path(data_dir) / STORE_FILE


def check_data_spec(spec: DataSpec, data_dir: Path | None, where: str = "$.data") -> None:
    """Refuse a client's data set path that could read outside the data folder: an
    absolute path, or one that resolves (``..``, links) outside `data_dir`. With no data
    folder, a client may name no file at all (only the bundled data sets)."""
    if spec.path is None:
        return
    path = f"{where}.path"
    if data_dir is None:
        raise PathError(path, "this server has no data folder: only bundled data sets")
    if Path(spec.path).is_absolute() or spec.path.startswith("~"):
        raise PathError(path, "must be relative to the server's data folder")
    base = Path(data_dir).expanduser().resolve()
    full = (base / spec.path).resolve()
    if not full.is_relative_to(base):
        raise PathError(path, "leaves the server's data folder")
