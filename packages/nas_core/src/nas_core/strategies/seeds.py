"""Seeds derived from a search's seed and a purpose: each draw of a strategy has its own
stream, a pure function of (seed, what, step, attempt), the same on every machine."""

from __future__ import annotations

import hashlib

from nas_core.generators.chain import Stream

__all__ = ["derive", "stream"]


def derive(seed: int, *parts: object) -> int:
    """A 63-bit seed from `seed` and `parts` (SHA-256 of their text)."""
    text = ":".join(str(p) for p in (seed, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def stream(seed: int, *parts: object) -> Stream:
    """The generators' portable stream, seeded by `derive`."""
    return Stream(derive(seed, *parts))
