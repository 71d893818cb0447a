"""`derive_seed`: seeds derived from text, the same on every machine."""

from __future__ import annotations

import hashlib

__all__ = ["derive_seed"]


def derive_seed(*parts: object) -> int:
    """A seed in [0, 2**63) derived from `parts` (SHA-256 of their text): the same
    parts give the same seed on every machine."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big") >> 1
