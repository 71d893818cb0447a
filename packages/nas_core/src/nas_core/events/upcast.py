"""Decoding stored event bodies, upcasting older schema versions on the way.

A stored row keeps the body and version it was written with, forever. Reading it
decodes the body with the struct of *that* version and runs the registered upcasters,
one version step at a time, until the event is current. Adding a version to a kind
means: bump its ``VERSION``, keep the old struct here, and register one step.

The registered example is real: "training queued" version 1 recorded only the number
of epochs (the original REMAP's one training setting); version 2 records the whole
`TrainConfig` and an estimate. A version 1 body reads as version 2 with the other
settings at their defaults and no estimate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

import msgspec

from nas_core.oneshot.types import SupernetConfig
from nas_core.packed import pack_floats, pack_labels
from nas_core.specs import Accuracy, Count, NonNegative, PositiveInt, TrainConfig, TrainResult
from snacs import explain_decode_error

from .errors import EventDecodeError
from .kinds import (
    EVENT_TYPES,
    VERSIONS,
    Event,
    ModelEmbedded,
    SupernetTrainingQueued,
    TrainingFinished,
    TrainingQueued,
    event_kind,
)

__all__ = [
    "ModelEmbeddedV1",
    "SupernetConfigV1",
    "SupernetTrainingQueuedV1",
    "TrainResultV1",
    "TrainingFinishedV1",
    "TrainingQueuedV1",
    "decode_event",
    "register_upcaster",
    "upcasters",
]


class _Step(msgspec.Struct, frozen=True):
    old_type: type
    step: Callable[[Any], Any]
    decoder: msgspec.json.Decoder


_STEPS: dict[tuple[str, int], _Step] = {}
_CURRENT = msgspec.json.Decoder(Event)


def register_upcaster(kind: str, from_version: int, old_type: type):
    """Register ``step(old) -> next`` turning a `kind` event of `from_version` (decoded
    as `old_type`) into version ``from_version + 1`` (the next old struct, or the current
    event struct). Used as a decorator."""
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown event kind {kind!r}")
    if not 1 <= from_version < VERSIONS[kind]:
        raise ValueError(
            f"{kind} is at version {VERSIONS[kind]}: an upcaster from version {from_version} "
            "has nothing to do"
        )

    def register(step: Callable[[Any], Any]) -> Callable[[Any], Any]:
        _STEPS[(kind, from_version)] = _Step(old_type, step, msgspec.json.Decoder(old_type))
        return step

    return register


def upcasters() -> dict[tuple[str, int], type]:
    """The registered steps: ``(kind, from_version)`` → the struct that version decodes as."""
    return {key: step.old_type for key, step in _STEPS.items()}


def decode_event(
    kind: str, version: int, body: bytes | memoryview | str, *, path: str = "$"
) -> Event:
    """The current event struct of a stored body of `kind` at `version`.

    Raises `EventDecodeError` for an unknown kind, a version newer than this program
    knows or with no upcaster, or a body that does not match its schema (or whose
    ``"kind"`` tag is not `kind`); a schema mismatch names the JSON path in REMAP's
    words, with `path` as the body's own path (``"$.event"`` in a session file line).
    """
    current = VERSIONS.get(kind)
    if current is None:
        raise EventDecodeError(kind, version, "unknown event kind (written by a newer program?)")
    if version == current:
        try:
            event = _CURRENT.decode(body)
        except (msgspec.DecodeError, UnicodeError) as exc:
            raise EventDecodeError(kind, version, str(explain_decode_error(exc, path))) from exc
    elif version > current or version < 1:
        why = "newer than this program knows" if version > current else "not a version"
        raise EventDecodeError(kind, version, f"{why} (current: {current})")
    else:
        event = _upcast(kind, version, current, body, path)
    if event_kind(event) != kind:
        raise EventDecodeError(kind, version, f"the body is a {event_kind(event)!r} event")
    return event


def _upcast(
    kind: str, version: int, current: int, body: bytes | memoryview | str, path: str
) -> Event:
    step = _STEPS.get((kind, version))
    if step is None:
        raise EventDecodeError(kind, version, f"no upcaster to version {version + 1}")
    try:
        value = step.decoder.decode(body)
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise EventDecodeError(kind, version, str(explain_decode_error(exc, path))) from exc
    for v in range(version, current):
        s = _STEPS.get((kind, v))
        if s is None:
            raise EventDecodeError(kind, version, f"no upcaster from version {v} to {v + 1}")
        value = s.step(value)
    return value


# --- training_queued: version 1 → 2 ---------------------------------------------------


class TrainingQueuedV1(
    msgspec.Struct, tag_field="kind", tag="training_queued", forbid_unknown_fields=True, frozen=True
):
    """Version 1 of "training queued": the number of epochs and the training seed."""

    model: Annotated[str, msgspec.Meta(min_length=1)]
    epochs: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


@register_upcaster("training_queued", 1, TrainingQueuedV1)
def _training_queued_v2(old: TrainingQueuedV1) -> TrainingQueued:
    return TrainingQueued(
        model=old.model, config=TrainConfig(epochs=old.epochs), seed=old.seed, estimate_s=None
    )


# --- training_finished: version 1 → 2 (packed predictions) ----------------------------

_Model = Annotated[str, msgspec.Meta(min_length=1)]


class TrainResultV1(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """`TrainResult` as version 1 of "training finished" held it: the predictions a
    list of labels. The other fields keep their current types (and bounds)."""

    epochs: PositiveInt
    best_epoch: PositiveInt
    stopped_early: bool
    test_loss: NonNegative
    test_acc: Accuracy
    per_class_acc: tuple[Accuracy, ...]
    confusion: tuple[tuple[Count, ...], ...]
    predictions: tuple[Count, ...]
    params: Count
    flops: Count
    forward_ms: NonNegative
    backward_ms: NonNegative
    wall_s: NonNegative
    device: str


class TrainingFinishedV1(
    msgspec.Struct,
    tag_field="kind",
    tag="training_finished",
    forbid_unknown_fields=True,
    frozen=True,
    gc=False,
):
    """Version 1 of "training finished": its result's predictions a list of labels."""

    model: _Model
    attempt: PositiveInt
    result: TrainResultV1


@register_upcaster("training_finished", 1, TrainingFinishedV1)
def _training_finished_v2(old: TrainingFinishedV1) -> TrainingFinished:
    fields = msgspec.structs.asdict(old.result)
    fields["predictions"] = pack_labels(old.result.predictions)
    return TrainingFinished(model=old.model, attempt=old.attempt, result=TrainResult(**fields))


# --- model_embedded: version 1 → 2 (a packed row) -------------------------------------


class ModelEmbeddedV1(
    msgspec.Struct,
    tag_field="kind",
    tag="model_embedded",
    forbid_unknown_fields=True,
    frozen=True,
    gc=False,
):
    """Version 1 of "model embedded": its row a list of floats against `against`
    (every model embedded before it)."""

    model: _Model
    projection: Literal["structure", "predictions"]
    x: float
    y: float
    distances: tuple[float, ...] = ()
    against: tuple[_Model, ...] = ()


@register_upcaster("model_embedded", 1, ModelEmbeddedV1)
def _model_embedded_v2(old: ModelEmbeddedV1) -> ModelEmbedded:
    return ModelEmbedded(
        model=old.model,
        projection=old.projection,
        x=old.x,
        y=old.y,
        distances=pack_floats(old.distances),
        against=old.against,
    )


# --- supernet_training_queued: version 1 → 2 (the config records its routing) ---------


class SupernetConfigV1(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """`SupernetConfig` before `routing`: those supernets took one path per batch (the
    paper's scheme). Every field was written out, so the old defaults never apply."""

    epochs: Annotated[int, msgspec.Meta(ge=1, le=500)]
    lr: Annotated[float, msgspec.Meta(gt=0.0, le=10.0)]
    momentum: Annotated[float, msgspec.Meta(ge=0.0, lt=1.0)]
    batch_size: Annotated[int, msgspec.Meta(ge=2, le=4096)]
    keep_prob: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)]
    schedule: Literal["cosine"] = "cosine"
    optimizer: Literal["sgd", "adam"] = "sgd"
    weight_decay: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 1e-4


class SupernetTrainingQueuedV1(
    msgspec.Struct,
    tag_field="kind",
    tag="supernet_training_queued",
    forbid_unknown_fields=True,
    frozen=True,
    gc=False,
):
    """Version 1 of "supernet training queued": its config without `routing`."""

    supernet: _Model
    config: SupernetConfigV1
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


@register_upcaster("supernet_training_queued", 1, SupernetTrainingQueuedV1)
def _supernet_training_queued_v2(old: SupernetTrainingQueuedV1) -> SupernetTrainingQueued:
    config = SupernetConfig(**msgspec.structs.asdict(old.config), routing="batch")
    return SupernetTrainingQueued(supernet=old.supernet, config=config, seed=old.seed)
