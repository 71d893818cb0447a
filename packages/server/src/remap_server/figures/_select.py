"""Which models a figure shows and the numbers it reads from each, from the folded
session state alone."""

from __future__ import annotations

from collections.abc import Sequence

from nas_core.events import ModelState, SessionState
from remap_server.errors import RemapServerError

__all__ = [
    "FigureError",
    "best_val",
    "chosen",
    "finished_s",
    "lineage_edges",
    "test_acc",
]


class FigureError(RemapServerError, ValueError):
    """Raised when a figure cannot be drawn as asked: an unknown view, projection or
    model, or a view with nothing to show; the message says what is allowed."""


def test_acc(m: ModelState) -> float | None:
    return None if m.result is None else m.result.test_acc


def best_val(m: ModelState) -> float | None:
    vals = [e.val_acc for e in m.curve]
    return max(vals) if vals else None


def finished_s(m: ModelState) -> float | None:
    """When the model's training ended, in seconds since the session began."""
    if m.started_s is None or m.result is None:
        return None
    return m.started_s + sum(e.seconds for e in m.curve)


def chosen(state: SessionState, models: Sequence[str] | None, *, fallback: str) -> list[str]:
    """The models asked for (each must exist), else the drawer, else by `fallback`:
    ``"best"`` the most accurate trained model, ``"none"`` nothing."""
    if models:
        missing = [m for m in models if m not in state.models]
        if missing:
            known = ", ".join(list(state.models)[:8]) or "none yet"
            raise FigureError(
                f"no model {missing[0]!r} in session {state.session} (its models: {known}…)"
                if len(state.models) > 8
                else f"no model {missing[0]!r} in session {state.session} (its models: {known})"
            )
        return list(dict.fromkeys(models))
    if state.drawer:
        return [m for m in state.drawer if m in state.models]
    if fallback == "best":
        trained = [m for m in state.models.values() if m.result is not None]
        if trained:
            return [max(trained, key=lambda m: (m.result.test_acc, -m.params)).id]
    return []


def lineage_edges(state: SessionState, ids: Sequence[str]) -> list[tuple[str, str]]:
    """Parent → child edges touching `ids`: each one's parent, and each one's children."""
    wanted = set(ids)
    edges = []
    for m in state.models.values():
        linked = m.parent is not None and m.parent in state.models
        if linked and (m.id in wanted or m.parent in wanted):
            edges.append((m.parent, m.id))
    return edges
