"""Per-child training settings: what a model-making command changes of the config its
children would otherwise train with (the parent's, or the session's for a sample).

Every field is optional; a field left out keeps the inherited value. The bounds are
`TrainConfig`'s, so a decoded override always makes a valid config, and a bad one is
refused at the door with its JSON path (``$.train.epochs``). ``patience`` 0 means
"never stop early" (``TrainConfig.patience = None``): a form cannot tell "leave it"
from "turn it off" with one empty box, so "off" has its own value.

The overrides are recorded twice, for two readers: in the child's origin (so that
re-executing the log rebuilds the command with them, `nas_core.service.replay_plan`)
and, applied, in its "training queued" config (what the worker trains with).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from nas_core.specs import TrainConfig

__all__ = ["TrainOverrides", "apply_overrides"]


class TrainOverrides(
    msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False, omit_defaults=True
):
    """Optional changes to the inherited `TrainConfig` (see the module); the fields left
    out are not written (an origin records only what was overridden)."""

    epochs: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    lr: Annotated[float, msgspec.Meta(gt=0.0, le=10.0)] | None = None
    batch_size: Annotated[int, msgspec.Meta(ge=1, le=65536)] | None = None
    gamma: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] | None = None
    patience: Annotated[int, msgspec.Meta(ge=0, le=1000)] | None = None


def apply_overrides(config: TrainConfig, overrides: TrainOverrides | None) -> TrainConfig:
    """`config` with the fields `overrides` sets (``patience`` 0: no early stopping)."""
    if overrides is None:
        return config
    changes = {f: getattr(overrides, f) for f in overrides.__struct_fields__}
    changes = {f: v for f, v in changes.items() if v is not None}
    if changes.get("patience") == 0:
        changes["patience"] = None
    return msgspec.structs.replace(config, **changes) if changes else config
