"""Where a data set's path points: relative paths are resolved inside ``root``."""

from __future__ import annotations

from pathlib import Path

from .errors import DataError

__all__ = ["resolve_path"]


def resolve_path(path: str | None, kind: str, root: Path | None) -> Path:
    """The absolute path of a data set. With a `root`, a relative `path` is taken inside
    it and must stay there (``../`` or a link out of it is refused), so that a path that
    came over the network cannot read elsewhere; an absolute path is taken as it is."""
    if not path:
        raise DataError(f"a {kind} data set needs a path (DataSpec.path is empty)")
    p = Path(path).expanduser()
    if root is None or p.is_absolute():
        return p.resolve()
    base = Path(root).expanduser().resolve()
    full = (base / p).resolve()
    if not full.is_relative_to(base):
        raise DataError(f"the path leaves the data folder {base}", path=path)
    return full
