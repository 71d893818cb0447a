"""How many CPU threads torch uses in this process."""

from __future__ import annotations

import contextlib

__all__ = ["set_threads"]


def set_threads(n: int) -> int:
    """Let torch use `n` intra-op threads (and, where it still can, `n` inter-op
    threads) in this process; returns the previous intra-op count. Several trainings
    side by side each want 1, so that together they use the cores without fighting
    over them; one training alone wants one per core (torch's default)."""
    import torch

    if n < 1:
        raise ValueError(f"threads must be >= 1, not {n}")
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    with contextlib.suppress(RuntimeError):  # settable only before any parallel work
        torch.set_num_interop_threads(n)
    return before
