"""Helpers shared by ablate, vary and handcraft."""

from __future__ import annotations

from nas_core.arch.layers import Architecture, Limits
from nas_core.arch.shapes import LayerInfo
from nas_core.arch.validate import validate
from nas_core.errors import ArchitectureError, GeneratorError


def checked_parent(parent: Architecture, limits: Limits) -> list[LayerInfo]:
    """The parent's layer infos; a `GeneratorError` if the parent itself is invalid."""
    try:
        return validate(parent, limits)
    except ArchitectureError as exc:
        raise GeneratorError(f"the parent {parent.name!r} is invalid: {exc}") from exc


def in_shapes(parent: Architecture, infos: list[LayerInfo]) -> list[tuple[int, ...]]:
    """The input shape of every layer of `parent`, and the output's at the end."""
    return [tuple(parent.input.shape)] + [info.out_shape for info in infos]


def summarize(reasons: dict[str, int]) -> str:
    """``"rejected: 12 × over the parameter cap; 1 × duplicate of an existing model"``."""
    if not reasons:
        return "none was rejected"
    return "rejected: " + "; ".join(f"{n} × {reason}" for reason, n in reasons.items())
