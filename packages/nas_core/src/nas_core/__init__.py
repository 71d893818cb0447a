"""REMAP's core: architectures, the four generators, the event log and its store, data
sets, training, and the session service that trains and embeds models in the background.

Subpackages (each with its own small API): `nas_core.arch`, `nas_core.generators`,
`nas_core.events`, `nas_core.data`, `nas_core.training`, `nas_core.service`. The names
below are the entry points most callers need; they load on first use, so that
``import nas_core`` stays cheap (no torch, no Dramatiq until asked for).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from nas_core.errors import NasCoreError
from nas_core.specs import DataSpec, Settings, TrainConfig

if TYPE_CHECKING:
    from nas_core.arch import Architecture, decode_architecture
    from nas_core.data import load_dataset
    from nas_core.events import CommandError, EventStore, SessionState, decode_command
    from nas_core.service import SessionService

__all__ = [
    "Architecture",
    "CommandError",
    "DataSpec",
    "EventStore",
    "NasCoreError",
    "SessionService",
    "SessionState",
    "Settings",
    "TrainConfig",
    "decode_architecture",
    "decode_command",
    "load_dataset",
]

_LAZY = {
    "Architecture": "nas_core.arch",
    "decode_architecture": "nas_core.arch",
    "load_dataset": "nas_core.data",
    "CommandError": "nas_core.events",
    "EventStore": "nas_core.events",
    "SessionState": "nas_core.events",
    "decode_command": "nas_core.events",
    "SessionService": "nas_core.service",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nas_core' has no attribute {name!r}")
