"""Import an archive of ``remap export --with-weights`` into a store: every member is
checked first (the session file whole, each weights file against its digest, no weights
file that the session does not record), then the session is imported, then its weights
are stored. Shared by ``remap import`` and ``POST /api/import``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .archive import read_archive
from .errors import WeightsError
from .store import WeightStore

if TYPE_CHECKING:
    from ..events import ImportResult

__all__ = ["import_archive"]


def import_archive(
    store,
    file: str | os.PathLike | IO[bytes],
    *,
    data_root: str | os.PathLike,
    max_bytes: int | None = None,
) -> tuple[ImportResult, int]:
    """(the import's result, how many weights files were stored). `WeightsError` or
    `SessionFileError` name what is wrong; nothing is written then. `max_bytes` caps the
    archive's unpacked size (an upload cannot unpack into more than it may send)."""
    # the event log imports `weights.ref` (through specs): import it here, not at the top
    from ..events import TrainingFinished, import_session, read_session_file

    name, session_bytes, weights = read_archive(file, max_bytes=max_bytes)
    parsed = read_session_file(session_bytes)
    recorded = {
        e.event.result.weights.digest
        for e in parsed.envelopes
        if isinstance(e.event, TrainingFinished) and e.event.result.weights is not None
    }
    stray = sorted(set(weights) - recorded)
    if stray:
        raise WeightsError(
            f"weights/{stray[0][:2]}/{stray[0]}.pt is not recorded by any "
            f'"training finished" of {name}; nothing was imported'
        )
    result = import_session(store, session_bytes, data_root=Path(data_root))
    target = WeightStore.in_data_dir(Path(data_root))
    for digest, data in weights.items():
        target.put(data, digest)
    return result, len(weights)
