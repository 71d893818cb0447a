"""A small real session file: the event simulator of nas_core's tests writes a session
(a few sampled models, one trained) to a SQLite store, exported as a session file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "nas_core" / "tests"))

from nas_core.events import EventStore, export_session

from nas_core_event_sim import Sim

STEPS = (("sample", 3), ("sample", 4), ("sample", 5), ("start", 0), ("epoch", 1), ("finish", 2))


@pytest.fixture(scope="session")
def session_file(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("notebook")
    with EventStore(root / "source.db") as store:
        Sim(store, session="s1", name="shared").play(list(STEPS))
        path = root / "s1.remap.jsonl"
        export_session(store, "s1", path)
    return path
