"""The events of a session and their envelope (DESIGN.md, "Events are the source of truth").

Every event is a frozen msgspec struct tagged on ``"kind"`` in one union, `Event`.
Each kind has a schema version (the class constant ``VERSION``); the store records the
version beside the body, and `nas_core.events.upcast` turns an older body into the
current struct on read, never rewriting what is stored. `EVENT_TYPES` and `VERSIONS`
are derived from the union, as are the stores' and the decoders' tables.

Add an event kind (CONTRIBUTING.md, "Add an event kind"), e.g. ``"model_pinned"``:

1. here: ``class ModelPinned(_Event, tag="model_pinned")`` with its fields and a
   docstring, added to `Event`; `EVENT_TYPES`, `VERSIONS` (version 1), the stores, the
   decoders and the JSON Schema follow from the union;
2. `nas_core.events.fold`: its handler in ``_HANDLERS`` (a test fails until it has
   one); if a command appends it, that command's row in ``commands._DECIDERS``;
3. the client fold ``packages/ui/src/core/fold.js`` (``HANDLERS``), and an action that
   makes the kind in ``packages/nas_core/tests/nas_core_event_sim.py``, so that
   ``tests/test_ui_fold.py`` holds the two folds to agree on it (it fails until the
   simulated log has every kind); its tag in ``CONTRACT_KINDS`` of
   ``packages/nas_core/tests/test_events_kinds.py``.

Changing a kind later: a new field with a default needs no new version (old bodies
decode with the default); any other change is one: bump its ``VERSION``, keep the old
struct in `nas_core.events.upcast`, and register one upcasting step there.

Value types are embedded, not redefined: `DataSpec`, `Settings`, `TrainConfig`,
`EpochMetrics`, `TrainResult` (`nas_core.specs`), `Architecture` and `Input`
(`nas_core.arch`), `Change` (`nas_core.arch.diff`), `Edit` (`nas_core.generators`),
`SearchSpace`. All structs are ``gc=False``: they hold no reference cycles, and
keeping a replay's hundreds of thousands of them out of the garbage collector is
what makes a replay fast.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, get_args

import msgspec

from nas_core.arch.diff import Change
from nas_core.arch.layers import Architecture, Input
from nas_core.generators.handcraft import Edit
from nas_core.generators.search_space import SearchSpace
from nas_core.specs import DataSpec, EpochMetrics, Settings, TrainConfig, TrainResult

__all__ = [
    "EVENT_TYPES",
    "PROJECTIONS",
    "VERSIONS",
    "Ablation",
    "DrawerChanged",
    "Envelope",
    "EpochCompleted",
    "Event",
    "Handcrafted",
    "LayoutRecomputed",
    "ModelCreated",
    "ModelEmbedded",
    "Origin",
    "Pending",
    "Projection",
    "QueueReordered",
    "Sampled",
    "SessionCreated",
    "Split",
    "TrainingCancelled",
    "TrainingFailed",
    "TrainingFinished",
    "TrainingQueued",
    "TrainingStarted",
    "Variation",
    "ViewChanged",
    "event_kind",
    "event_schema",
]

ModelId = Annotated[str, msgspec.Meta(min_length=1)]
Count = Annotated[int, msgspec.Meta(ge=0)]
Attempt = Annotated[int, msgspec.Meta(ge=1)]
Seed = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]

Projection = Literal["accuracy", "structure", "predictions", "search"]
"""The overview's projections: validation accuracy against parameters (the default),
OTMANN distances (structure), prediction distances (predictions), and the search
view."""

EmbeddedProjection = Literal["structure", "predictions"]
PROJECTIONS: tuple[str, ...] = get_args(Projection)


class _Value(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    pass


class Split(_Value):
    """How many examples the train, validation and test sets hold."""

    train: Count
    val: Count
    test: Count


# --- origins of a model (tagged on "type") -------------------------------------------


class _Origin(_Value, tag_field="type"):
    pass


class Sampled(_Origin, tag="sampled"):
    """Drawn from the search space's chain: the `index`-th (from 0) of the models that
    the sample command `batch` drew with `seed`."""

    seed: Seed
    index: Count
    batch: str


class Ablation(_Origin, tag="ablation"):
    """`parent` with the layer at `index` removed (command `batch`)."""

    parent: ModelId
    index: Count
    batch: str = ""


class Variation(_Origin, tag="variation"):
    """The `index`-th (from 0) variation of `parent` that the vary command `batch` made
    with `seed`, `allowed` change kinds per layer and at most `max_changes` changes
    (recorded so that re-executing the log makes the same children). The keys of
    `allowed` are layer indices written as strings (``"10"``), as JSON writes them, so
    that the event also encodes with sorted keys (canonical JSON)."""

    parent: ModelId
    seed: Seed
    index: Count
    batch: str = ""
    allowed: dict[str, tuple[str, ...]] = {}
    max_changes: Annotated[int, msgspec.Meta(ge=1)] = 2


class Handcrafted(_Origin, tag="handcraft"):
    """`parent` with `edits` applied (paper C1)."""

    parent: ModelId
    edits: tuple[Edit, ...]
    batch: str = ""


Origin = Sampled | Ablation | Variation | Handcrafted


# --- the events (tagged on "kind") ---------------------------------------------------


class _Event(_Value, tag_field="kind"):
    VERSION: ClassVar[int] = 1


class SessionCreated(_Event, tag="session_created"):
    """A session begins: its data set and split, the data's class names and input shape,
    its settings, and the search space it samples from (its hash, and the table itself
    so that a shared session file re-executes anywhere). `data_digest` is the SHA-256
    of the loaded split arrays (`nas_core.specs.DatasetInfo.digest`), so a
    re-execution can tell it trains on the same examples."""

    name: str
    data: DataSpec
    class_names: tuple[str, ...]
    split: Split
    input: Input
    settings: Settings
    search_space_hash: str
    search_space: SearchSpace | None = None
    data_digest: str = ""


class ModelCreated(_Event, tag="model_created"):
    """A model joins the session (ids ``m1``, ``m2``, … in creation order;
    ``arch.name == model``). `changes` turn the parent into it (empty when sampled);
    `description` says so in the paper's words (Fig. 7)."""

    model: ModelId
    arch: Architecture
    parent: str | None
    origin: Origin
    changes: tuple[Change, ...]
    description: str
    params: Count
    flops: Count
    arch_hash: str


class TrainingQueued(_Event, tag="training_queued"):
    """A model waits to train with `config` and training `seed`; `estimate_s` is the
    predicted training time (the paper's "Est. Training"), when one is known.

    Version 2: version 1 recorded only ``epochs`` (the original REMAP's one training
    setting) and no estimate; `nas_core.events.upcast` reads it as version 2.
    """

    VERSION: ClassVar[int] = 2

    model: ModelId
    config: TrainConfig
    seed: Seed
    estimate_s: float | None = None


class TrainingStarted(_Event, tag="training_started"):
    """Attempt `attempt` (from 1) of training `model` began on `worker`."""

    model: ModelId
    attempt: Attempt
    worker: str


class EpochCompleted(_Event, tag="epoch_completed"):
    """An epoch of attempt `attempt` finished."""

    model: ModelId
    attempt: Attempt
    metrics: EpochMetrics


class TrainingFinished(_Event, tag="training_finished"):
    """Attempt `attempt` finished; `result` holds the test-set figures and predictions."""

    model: ModelId
    attempt: Attempt
    result: TrainResult


class TrainingFailed(_Event, tag="training_failed"):
    """Attempt `attempt` failed with `reason`; `will_retry`: the model goes back to the
    head of the queue for another attempt, else it stays failed.

    `stopped`: the attempt did not fail, it was stopped with the process training it (a
    server's or a worker's Ctrl-C; a stop is not a user's cancel): it goes back on the
    queue (`will_retry`) and does not count against the retry budget (`ModelState.tries`).
    """

    model: ModelId
    attempt: Attempt
    reason: str
    will_retry: bool
    stopped: bool = False


class TrainingCancelled(_Event, tag="training_cancelled"):
    """A queued model left the queue, or a running one was stopped (`was_running`)."""

    model: ModelId
    was_running: bool


class QueueReordered(_Event, tag="queue_reordered"):
    """The queue's new order: every queued model, the next to train first."""

    order: tuple[ModelId, ...]


class DrawerChanged(_Event, tag="drawer_changed"):
    """Models added to and removed from the model drawer (paper Fig. 1B)."""

    added: tuple[ModelId, ...] = ()
    removed: tuple[ModelId, ...] = ()


class ViewChanged(_Event, tag="view_changed"):
    """The overview shows `projection`; circles are shaded by the accuracy on
    `selected_class` (``None``: on all classes)."""

    projection: Projection
    selected_class: Annotated[int, msgspec.Meta(ge=0)] | None = None


class ModelEmbedded(_Event, tag="model_embedded"):
    """A finished model placed in a projection at (`x`, `y`) by out-of-sample MDS;
    `distances` is its row against the models `against` (recorded, so a replay never
    recomputes it)."""

    model: ModelId
    projection: EmbeddedProjection
    x: float
    y: float
    distances: tuple[float, ...] = ()
    against: tuple[ModelId, ...] = ()


class LayoutRecomputed(_Event, tag="layout_recomputed"):
    """A projection laid out afresh: every model's new position, and why."""

    projection: EmbeddedProjection
    positions: dict[str, tuple[float, float]]
    reason: str


Event = (
    SessionCreated
    | ModelCreated
    | TrainingQueued
    | TrainingStarted
    | EpochCompleted
    | TrainingFinished
    | TrainingFailed
    | TrainingCancelled
    | QueueReordered
    | DrawerChanged
    | ViewChanged
    | ModelEmbedded
    | LayoutRecomputed
)

EVENT_TYPES: dict[str, type] = {cls.__struct_config__.tag: cls for cls in get_args(Event)}
"""Event struct by its ``"kind"`` tag."""

VERSIONS: dict[str, int] = {kind: cls.VERSION for kind, cls in EVENT_TYPES.items()}
"""The current schema version of each event kind."""


def event_kind(event: object) -> str:
    """The ``"kind"`` tag of an event struct."""
    return type(event).__struct_config__.tag  # type: ignore[attr-defined]


class Envelope(msgspec.Struct, frozen=True, gc=False):
    """An event as stored: `seq` (gapless per session, from 1), `id` (unique in the
    session; appending it again is a no-op), `at` (UTC, ISO-8601 with milliseconds and
    ``Z``), `session`, and the event with its schema `version` (the current version
    once read: older bodies are upcast)."""

    seq: int
    id: str
    at: str
    session: str
    version: int
    event: Event


class Pending(msgspec.Struct, frozen=True, gc=False):
    """An event to append: its id (retry-safe: an id the session already holds is a
    no-op) and, when it must be kept (an import), its time."""

    id: Annotated[str, msgspec.Meta(min_length=1)]
    event: Event
    at: str | None = None


def event_schema() -> dict:
    """The JSON Schema of an envelope and its event union (for the server's OpenAPI
    document and for clients that fold events themselves)."""
    return msgspec.json.schema(Envelope)
