"""Trained weights as content-addressed files beside the event log.

Every finished training's weights (the epoch it ended on, or the best one with early
stopping) are a ``torch.save`` of the ``state_dict``, stored once under the data folder
as ``weights/<digest[:2]>/<digest>.pt`` by the process that trained the model (never by
the store's writer); "training finished" records their `Weights` (digest and size) in
its result. Remote workers send theirs to the server (`RemoteWeights`). A session and
its weights travel as one ``.zip`` (`write_archive`, `read_archive`, `import_archive`).

`state_dict_bytes` and `load_state_dict` need torch and load it on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .archive import is_archive, read_archive, write_archive
from .errors import WeightsError
from .ref import DIGEST, Weights, is_digest
from .remote import RemoteWeights, WeightClient
from .store import WEIGHTS_DIR, WeightStore, digest_of

if TYPE_CHECKING:
    from .codec import load_state_dict, state_dict_bytes
    from .import_archive import import_archive

__all__ = [
    "DIGEST",
    "WEIGHTS_DIR",
    "RemoteWeights",
    "WeightClient",
    "WeightStore",
    "Weights",
    "WeightsError",
    "digest_of",
    "import_archive",
    "is_archive",
    "is_digest",
    "load_state_dict",
    "read_archive",
    "state_dict_bytes",
    "write_archive",
]

_LAZY = {
    "load_state_dict": ".codec",
    "state_dict_bytes": ".codec",
    "import_archive": ".import_archive",  # it imports the event log, which imports us
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
