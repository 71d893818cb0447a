"""Where REMAP keeps its files, and the rule that keeps client-given paths inside it.

The data folder holds the event store (``remap.db``) and any data set files that
clients of the HTTP API may name (`check_data_spec`, from `nas_core.specs`, keeps their
paths inside it). It is ``--data-dir``, else ``REMAP_DATA_DIR``, else
the per-user data folder (``$XDG_DATA_HOME/remap``, ``~/.local/share/remap``; on macOS
``~/Library/Application Support/remap``; on Windows ``%LOCALAPPDATA%\\remap``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# the rule lives in nas_core, where `remap import` and the HTTP API both go through it
from nas_core.specs import PathError, check_data_spec

__all__ = ["STORE_FILE", "PathError", "check_data_spec", "default_data_dir", "store_path"]

STORE_FILE = "remap.db"


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
