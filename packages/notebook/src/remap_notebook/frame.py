"""`models_frame`: a session's models as a pandas DataFrame, with the columns of
``remap table`` (remap_server.models_table)."""

from __future__ import annotations

import os

import msgspec
import pandas as pd

from nas_core.events import SessionState
from nas_core.events.fold import fold
from nas_core.events.session_file import read_session_file
from remap_server.models_table import COLUMNS, table_rows

__all__ = ["models_frame"]


def models_frame(path_or_state: str | os.PathLike | SessionState) -> pd.DataFrame:
    """One row per model of a session file (or a folded `SessionState`), in creation
    order; `weights` is ``missing`` for a file's recorded weights (no data folder)."""
    if isinstance(path_or_state, SessionState):
        state = path_or_state
    else:
        state = fold(read_session_file(path_or_state).envelopes)
    rows = [msgspec.structs.asdict(r) for r in table_rows(state, None)]
    return pd.DataFrame(rows, columns=list(COLUMNS))
