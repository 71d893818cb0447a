"""`Weights`: what "training finished" records of a model's trained weights (their
SHA-256 and size), never the bytes themselves (DESIGN: artefacts live beside the log)."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec

__all__ = ["DIGEST", "Weights", "is_digest"]

DIGEST = r"^[0-9a-f]{64}$"
"""A weights file's name: the lowercase hex SHA-256 of its bytes."""
_DIGEST = re.compile(r"[0-9a-f]{64}")


class Weights(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """A content-addressed weights file: `digest` (SHA-256 of the file, hex) and `size`
    in bytes. The file is ``<data folder>/weights/<digest[:2]>/<digest>.pt``
    (`nas_core.weights.WeightStore`), a ``torch.save`` of the model's ``state_dict``."""

    digest: Annotated[str, msgspec.Meta(pattern=DIGEST)]
    size: Annotated[int, msgspec.Meta(ge=1)]


def is_digest(text: object) -> bool:
    """Whether `text` is a weights digest (64 lowercase hex digits, nothing else)."""
    return isinstance(text, str) and _DIGEST.fullmatch(text) is not None
