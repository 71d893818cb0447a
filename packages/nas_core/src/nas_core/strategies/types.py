"""What a strategy is given and what it answers (issue 21's contract): plain structs,
so the steering code can record them in events as they are."""

from __future__ import annotations

import msgspec

from nas_core.arch.layers import Architecture

__all__ = ["Constraints", "Observed", "Proposal", "SearchSpec"]


class Constraints(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What every proposal of a search must satisfy (see `constraints`)."""

    max_params: int | None = None
    forbid_kinds: tuple[str, ...] = ()
    """Layer ``type``s of the architecture JSON that no proposal may hold."""
    require_kinds: tuple[str, ...] = ()
    """Layer ``type``s that every proposal must hold (each at least once)."""
    region: tuple[tuple[float, float], ...] | None = None
    """A polygon (x, y vertices, in order) of the structure projection to stay in."""


class Observed(msgspec.Struct, frozen=True):
    """One model the search may learn from, in the order it joined the search (oldest
    first: the aging evolution removes the oldest)."""

    model_id: str
    arch: Architecture
    params: int
    epochs: int
    """Epochs asked for so far (trained, running or queued)."""
    val_acc: tuple[float, ...]
    """Validation accuracy per epoch, in order (shorter than `epochs` while training)."""
    finished: bool
    """No training of it is queued or running (it finished, failed or was stopped)."""
    position: tuple[float, float] | None = None
    """Its place in the structure projection, once embedded."""
    proposed_by_step: int | None = None
    """The step of this search that proposed it; None for a model added by a person."""


class Proposal(msgspec.Struct, frozen=True):
    """One step of a search: train a new architecture, or continue a model."""

    step: int
    kind: str
    """``"new"`` (train `arch`) or ``"continue"`` (train `parent` `epochs` more)."""
    arch: Architecture | None
    parent: str | None
    """The model it mutated or continues; None for a fresh sample."""
    epochs: int
    why: str
    scores: dict[str, float] = {}


class SearchSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A search as it was started: strategy, seed, epochs per model (Hyperband: the
    top rung's), the strategy's options and the constraints."""

    strategy: str
    seed: int
    epochs: int
    options: dict[str, float | int | str] = {}
    constraints: Constraints = Constraints()
