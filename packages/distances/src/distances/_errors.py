"""The package's one error class."""

from __future__ import annotations

__all__ = ["DistancesError"]


class DistancesError(ValueError):
    """Raised when an input to `distances` is invalid; the message says what, where and why.

    A subclass of `ValueError`, so ``except ValueError`` catches it too. Graph problems
    name the graph (``a[3]``, ``b[0]``) and the node or edge, e.g.
    ``graph a[3]: edge 5 (2, 9) is out of range: the graph has 8 nodes``.
    """
