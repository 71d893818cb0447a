"""Commands: what a model builder asks for, and the pure handler that turns a command
into the events to append.

A command is a msgspec struct in one union tagged on ``"type"`` (the server decodes a
POST body straight into it: `decode_command`; its JSON Schema is `command_schema`).
`decide(state, command)` validates the command against the session's current state
and returns the events (and the effects for the caller: `StopTraining` for a cancel of a
model a worker has), or raises `CommandError` with a JSON path into the command
(``$.edits[1].index``) — then nothing is appended. It does no I/O (except loading a
bundled search space by name on "create session" when the caller passes none) and
draws no randomness of its own: a seed the command leaves out is derived from the
command's id, and is recorded.

Event ids: ``f"{command.id}:{k}"`` for the k-th event (from 0), so a retried command
with the same id appends nothing new. A command without an id gets
``f"c{state.last_seq}-{digest}"`` (its content's hash at that state): deterministic,
but only a client-chosen id makes a retry after success harmless.

Model-making commands (sample, ablate, vary, handcraft) create the models ("model
created", ids ``m{n}`` in creation order) and queue them ("training queued") with the
parent's training config, so a child trains as many epochs as its parent; the training
seed is derived from the command's seed (or the parent's training seed) and the model
id (`derive_seed`). Each takes optional training overrides (`train`, a
`nas_core.train_overrides.TrainOverrides`) applied to that config and recorded in the
children's origins. "replicate" trains a model's architecture again with new seeds.
The session controls (pause / resume the queue, set the concurrency) record when
models may train, and "cancel models" cancels a brushed set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from typing import Annotated, Any, Literal, NamedTuple

import msgspec

from nas_core.arch.diff import describe_changes
from nas_core.arch.layers import Input, Limits
from nas_core.errors import GeneratorError, HandcraftError, SearchSpaceError
from nas_core.generators import (
    VARIATION_KINDS,
    Child,
    Edit,
    SearchSpace,
    Skipped,
    ablate,
    allow_all,
    handcraft,
    load_search_space,
    sample_report,
    search_space_hash,
    vary,
)
from nas_core.oneshot.edits import LegoEdit
from nas_core.oneshot.types import SuperArchitecture
from nas_core.specs import DatasetInfo, DataSpec, Settings, TrainConfig
from nas_core.train_overrides import TrainOverrides, apply_overrides
from nas_core.weights.ref import Weights
from snacs import duplicate_key_problem, explain_decode_error, utf8_problem

from . import auto_search_decide, notes_decide, oneshot_decide
from .errors import CommandError, SessionExists
from .fold import ModelState, SessionState
from .kinds import (
    Ablation,
    ConcurrencyChanged,
    Continued,
    DrawerChanged,
    Event,
    Handcrafted,
    LimitsChanged,
    Origin,
    Pending,
    Projection,
    QueuePaused,
    QueueReordered,
    QueueResumed,
    Replicated,
    Sampled,
    SessionCreated,
    Split,
    TrainingCancelled,
    TrainingQueued,
    Variation,
    ViewChanged,
)
from .made import Estimator
from .made import created as _created
from .made import next_ids as _next_ids
from .made import queued as _queued
from .made import space_of as _space
from .seeds import derive_seed

__all__ = [
    "Ablate",
    "AddToAutoSearch",
    "Cancel",
    "CancelModels",
    "ChangeTags",
    "ChangeView",
    "Command",
    "ConstrainAutoSearch",
    "ContinueTraining",
    "CreateSession",
    "Decision",
    "DrawerAdd",
    "DrawerRemove",
    "Enqueue",
    "Estimator",
    "Handcraft",
    "PauseAutoSearch",
    "PauseQueue",
    "RemoveNote",
    "Reorder",
    "Replicate",
    "ResumeAutoSearch",
    "ResumeQueue",
    "Sample",
    "SetAutoSearchBudget",
    "SetConcurrency",
    "SetLimits",
    "SetMedianRule",
    "StartAutoSearch",
    "StopAutoSearch",
    "StopTraining",
    "Vary",
    "WriteNote",
    "command_schema",
    "convert_command",
    "decide",
    "decode_command",
    "derive_seed",
    "handle",
]

CommandId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.\-]{1,128}$")]
ModelId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Models = Annotated[tuple[ModelId, ...], msgspec.Meta(min_length=1)]
Index = Annotated[int, msgspec.Meta(ge=0)]
Seed = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
VariationKind = Literal["prepend", "remove", "replace", "reparameterize"]


class _Command(
    msgspec.Struct, tag_field="type", kw_only=True, forbid_unknown_fields=True, frozen=True
):
    """Base of every command: an optional client-chosen `id` that makes retries safe."""

    id: CommandId | None = None


class CreateSession(_Command, tag="create_session"):
    """Start a session on data set `data` with `settings`."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    data: DataSpec = DataSpec()
    settings: Settings = Settings()


class Sample(_Command, tag="sample"):
    """Draw `count` new models from the search space's chain with `seed` (paper 5.2)."""

    count: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    seed: Seed | None = None
    train: TrainOverrides | None = None


class Ablate(_Command, tag="ablate"):
    """One child of `model` per layer index in `indices`, that layer removed (5.4, C2)."""

    model: ModelId
    indices: Annotated[tuple[Index, ...], msgspec.Meta(min_length=1)]
    train: TrainOverrides | None = None


class Vary(_Command, tag="vary"):
    """`count` variations of `model`, each with 1..`max_changes` changes of the kinds
    `allowed` per layer index (default: every kind at every layer) (5.4, Fig. 3b)."""

    model: ModelId
    count: Annotated[int, msgspec.Meta(ge=1, le=200)]
    seed: Seed | None = None
    allowed: dict[Index, tuple[VariationKind, ...]] | None = None
    max_changes: Annotated[int, msgspec.Meta(ge=1, le=16)] = 2
    train: TrainOverrides | None = None


class Handcraft(_Command, tag="handcraft"):
    """A child of `model` made by `edits` (insert, remove, reparam) (6.2, C1)."""

    model: ModelId
    edits: Annotated[tuple[Edit, ...], msgspec.Meta(min_length=1)]
    train: TrainOverrides | None = None


class Replicate(_Command, tag="replicate"):
    """Train `model`'s architecture again with `seeds` new training seeds (drawn from
    `seed`): `seeds` new models of origin "replicate" in `model`'s group (issue 19).
    The one way to train an architecture twice: the generators skip duplicates."""

    model: ModelId
    seeds: Annotated[int, msgspec.Meta(ge=1, le=100)]
    seed: Seed | None = None
    train: TrainOverrides | None = None


class Enqueue(_Command, tag="enqueue"):
    """Queue models that are not queued, training or trained (e.g. cancelled ones), or
    trained ones whose weights file is missing (retrain them)."""

    models: Models


class ContinueTraining(_Command, tag="continue_training"):
    """Train longer: a new model (origin "continued") that starts from finished
    `model`'s recorded weights and trains `epochs` more epochs, its curve going on from
    where `model`'s training ended (issue 19)."""

    model: ModelId
    epochs: Annotated[int, msgspec.Meta(ge=1, le=1000)]


class Reorder(_Command, tag="reorder"):
    """The queue's new order, the next to train first. A client orders the queue it last
    saw, which may have moved on: a listed model that has left the queue since (it
    started, finished or was cancelled) is passed over, and a queued model the order
    leaves out (queued since) keeps its turn after the listed ones. A model of no
    session or listed twice is an error."""

    order: tuple[ModelId, ...]


class Cancel(_Command, tag="cancel"):
    """Take a queued model off the queue, or stop a training one."""

    model: ModelId


class CancelModels(_Command, tag="cancel_models"):
    """Cancel every queued or training model of `models` (a brushed set); the others
    (done, failed, cancelled) are passed over and reported as skipped."""

    models: Models


class PauseQueue(_Command, tag="pause_queue"):
    """Start no training until "resume_queue"; running ones finish."""


class ResumeQueue(_Command, tag="resume_queue"):
    """Start trainings again."""


class SetConcurrency(_Command, tag="set_concurrency"):
    """Train at most `concurrency` models of the session at once from now on."""

    concurrency: Annotated[int, msgspec.Meta(ge=1, le=64)]


class SetLimits(_Command, tag="set_limits"):
    """Change the session's size cap (``settings.limits``): what the generators make
    from now on stays within it."""

    limits: Limits


class DrawerAdd(_Command, tag="drawer_add"):
    """Put models into the model drawer."""

    models: Models


class DrawerRemove(_Command, tag="drawer_remove"):
    """Take models out of the model drawer."""

    models: Models


class ChangeView(_Command, tag="change_view"):
    """Show `projection`; shade the circles by the accuracy on `selected_class`."""

    projection: Projection
    selected_class: Annotated[int, msgspec.Meta(ge=0)] | None = None


# --- one-shot search (issue 18; deciders in `nas_core.events.oneshot_decide`) --------

OptionalId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None
BlockName = Annotated[str, msgspec.Meta(max_length=16)]
MaskBody = Annotated[tuple[BlockName, ...], msgspec.Meta(min_length=1, max_length=1000)]


class DefineSupernet(_Command, tag="define_supernet"):
    """A new supernet from a bundled `template` or a whole `arch` (exactly one)."""

    template: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    arch: SuperArchitecture | None = None


class EditSupernet(_Command, tag="edit_supernet"):
    """A new supernet version: `supernet` (default: the current) with Lego `edits`."""

    edits: Annotated[tuple[LegoEdit, ...], msgspec.Meta(min_length=1, max_length=200)]
    supernet: OptionalId = None


class TrainSupernet(_Command, tag="train_supernet"):
    """Train the supernet's shared weights (SGD with momentum, cosine schedule, path
    dropout per sample, or per batch as in the paper with ``routing="batch"``; see
    `nas_core.oneshot.SupernetConfig`)."""

    supernet: OptionalId = None
    epochs: Annotated[int, msgspec.Meta(ge=1, le=500)] = 15
    lr: Annotated[float, msgspec.Meta(gt=0.0, le=10.0)] = 0.1
    momentum: Annotated[float, msgspec.Meta(ge=0.0, lt=1.0)] = 0.9
    batch_size: Annotated[int, msgspec.Meta(ge=2, le=4096)] = 64
    keep_prob: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 0.5
    routing: Literal["sample", "batch"] = "sample"
    seed: Seed | None = None


class SampleSearchSpace(_Command, tag="sample_search_space"):
    """Draw `count` subgraphs for the search-space scatter and lay them out."""

    supernet: OptionalId = None
    count: Annotated[int, msgspec.Meta(ge=3, le=1000)] = 100
    seed: Seed | None = None


class StartSearch(_Command, tag="start_search"):
    """Start the evolutionary search: `population` (default: the number of blocks),
    the top `keep` kept (default: half), `mutation` rate, `iterations`."""

    supernet: OptionalId = None
    iterations: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 10
    population: Annotated[int, msgspec.Meta(ge=2, le=1000)] | None = None
    keep: Annotated[int, msgspec.Meta(ge=0, le=999)] | None = None
    mutation: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.1
    selection: Literal["fitness", "rank"] = "fitness"
    seed: Seed | None = None


class ContinueSearch(_Command, tag="continue_search"):
    """Run `iterations` more iterations of the search."""

    iterations: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    search: OptionalId = None


class PauseSearch(_Command, tag="pause_search"):
    """Plan no further iteration until continued."""

    search: OptionalId = None


class SelectRegion(_Command, tag="select_region"):
    """Steer the search into a region of the scatter (rect: two corners)."""

    shape: Literal["rect", "polygon"]
    points: Annotated[tuple[tuple[float, float], ...], msgspec.Meta(min_length=2, max_length=1000)]
    mode: Literal["pool", "blocks"] = "pool"
    search: OptionalId = None


class ClearRegion(_Command, tag="clear_region"):
    """The search is no longer steered by a region."""

    search: OptionalId = None


class HighlightBlocks(_Command, tag="highlight_blocks"):
    """Highlight the union / intersection / complement of the blocks of `masks`
    (default: the current search's region members)."""

    op: Literal["union", "intersection", "complement"]
    masks: Annotated[tuple[MaskBody, ...], msgspec.Meta(max_length=10000)] | None = None


class AssembleCandidate(_Command, tag="assemble_candidate"):
    """Combine the blocks with high fitness into a candidate model and train it alone:
    per layer the blocks with fitness >= `threshold` (``"fitness"``; the fittest where
    none is), the fittest (``"argmax"``), or the best evaluated subgraph (``"best"``)."""

    search: OptionalId = None
    rule: Literal["fitness", "argmax", "best"] = "fitness"
    threshold: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.5
    epochs: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None


class RankCheck(_Command, tag="rank_check"):
    """Train `count` single-path subgraphs alone with `seeds` seeds each and compare
    their accuracy with their one-shot scores (Kendall τ-b)."""

    supernet: OptionalId = None
    count: Annotated[int, msgspec.Meta(ge=3, le=1000)] = 30
    seeds: Annotated[int, msgspec.Meta(ge=1, le=5)] = 2
    seed: Seed | None = None
    epochs: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None


ONESHOT_COMMANDS = (
    DefineSupernet | EditSupernet | TrainSupernet | SampleSearchSpace | StartSearch
    | ContinueSearch | PauseSearch | SelectRegion | ClearRegion | HighlightBlocks
    | AssembleCandidate | RankCheck
)  # fmt: skip
# --- end of one-shot search --------------------------------------------------------


# --- automated searches a person steers (issue 21; deciders: auto_search_decide) ----

StrategyName = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
LayerKind = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
LayerKinds = Annotated[tuple[LayerKind, ...], msgspec.Meta(max_length=32)]
Polygon = Annotated[tuple[tuple[float, float], ...], msgspec.Meta(max_length=1000)]
Budget = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
OptionValue = float | int | str


class StartAutoSearch(_Command, tag="start_auto_search"):
    """Start automated search `search` (default ``a1``, ``a2``, …) with `strategy`: it
    proposes models of `epochs` epochs each (default: the session's) until it has made
    `models` models or used `budget_epochs` model-epochs (at least one of the two), seeded
    with `seed`, within the parameter cap and the layer kinds forbidden / required and
    the `region` of the structure projection; `scope` is its initial population."""

    strategy: StrategyName
    models: Budget | None = None
    budget_epochs: Budget | None = None
    epochs: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    seed: Seed | None = None
    search: OptionalId = None
    options: dict[Annotated[str, msgspec.Meta(max_length=40)], OptionValue] = {}
    max_params: Annotated[int, msgspec.Meta(ge=1)] | None = None
    forbid_kinds: LayerKinds = ()
    require_kinds: LayerKinds = ()
    region: Polygon | None = None
    scope: Annotated[tuple[ModelId, ...], msgspec.Meta(max_length=10000)] = ()
    median_stop: bool = False


class PauseAutoSearch(_Command, tag="pause_auto_search"):
    """The search (default: the latest) proposes nothing until resumed."""

    search: OptionalId = None


class ResumeAutoSearch(_Command, tag="resume_auto_search"):
    """The paused search proposes again."""

    search: OptionalId = None


class StopAutoSearch(_Command, tag="stop_auto_search"):
    """End the search: it proposes nothing more."""

    search: OptionalId = None


class SetAutoSearchBudget(_Command, tag="set_auto_search_budget"):
    """The search's budget from now on: `models` proposals and/or `epochs` model-epochs."""

    models: Budget | None = None
    epochs: Budget | None = None
    search: OptionalId = None


class ConstrainAutoSearch(_Command, tag="constrain_auto_search"):
    """The search's constraints from now on (they replace the ones it had)."""

    max_params: Annotated[int, msgspec.Meta(ge=1)] | None = None
    forbid_kinds: LayerKinds = ()
    require_kinds: LayerKinds = ()
    region: Polygon | None = None
    search: OptionalId = None


class AddToAutoSearch(_Command, tag="add_to_auto_search"):
    """Add `models` (e.g. the drawer's) to the search's population."""

    models: Models
    search: OptionalId = None


class SetMedianRule(_Command, tag="set_median_rule"):
    """Turn the median stopping rule on (`on`) or off for every training of the
    session, searches' or not: a training whose best validation accuracy so far is
    below the median of the other models' running averages at its epoch is stopped
    there, once `min_models` others have reached that epoch."""

    on: bool
    min_models: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 5


AUTO_SEARCH_COMMANDS = (
    StartAutoSearch | PauseAutoSearch | ResumeAutoSearch | StopAutoSearch
    | SetAutoSearchBudget | ConstrainAutoSearch | AddToAutoSearch | SetMedianRule
)  # fmt: skip
# --- end of automated searches -----------------------------------------------------


# --- notes and tags (issue 22; deciders: notes_decide) -------------------------------

NoteText = Annotated[str, msgspec.Meta(max_length=4000)]
TagName = Annotated[str, msgspec.Meta(max_length=40)]
TagNames = Annotated[tuple[TagName, ...], msgspec.Meta(max_length=32)]


class WriteNote(_Command, tag="write_note"):
    """Write a note on `model` (None: on the session): a new one, or, when `note` names
    one of its notes, that note's new text."""

    text: NoteText
    model: ModelId | None = None
    note: ModelId | None = None


class RemoveNote(_Command, tag="remove_note"):
    """Take note `note` off `model` (None: off the session)."""

    note: ModelId
    model: ModelId | None = None


class ChangeTags(_Command, tag="change_tags"):
    """Give `model` (None: the session) the tags `add` and take `remove` from it."""

    add: TagNames = ()
    remove: TagNames = ()
    model: ModelId | None = None


NOTES_COMMANDS = WriteNote | RemoveNote | ChangeTags
# --- end of notes and tags ---------------------------------------------------------


Command = (
    CreateSession
    | Sample
    | Ablate
    | Vary
    | Handcraft
    | Replicate
    | ContinueTraining
    | Enqueue
    | Reorder
    | Cancel
    | CancelModels
    | PauseQueue
    | ResumeQueue
    | SetConcurrency
    | SetLimits
    | DrawerAdd
    | DrawerRemove
    | ChangeView
    | ONESHOT_COMMANDS
    | AUTO_SEARCH_COMMANDS
    | NOTES_COMMANDS  # issue 22
)


class StopTraining(msgspec.Struct, frozen=True, gc=False):
    """An effect: ask the worker that has `model` to stop it (its cancel flag); the
    worker records "training cancelled" when it stops."""

    model: str


class Decision(msgspec.Struct, frozen=True, gc=False):
    """`decide`'s answer: the events to append, the children that were not made
    (ablations that would be invalid or duplicates, rejected variation attempts), each
    with its reason — reported, never silent — and the effects for the caller to carry
    out once the events are appended."""

    events: tuple[Pending, ...]
    skipped: tuple[Skipped, ...] = ()
    effects: tuple[StopTraining, ...] = ()


"""``estimate(flops, config) -> seconds`` of training a model, or ``None``."""


# --- decoding ------------------------------------------------------------------------

_DECODER = msgspec.json.Decoder(Command)


def _command_error(exc: BaseException) -> CommandError:
    reason, path = explain_decode_error(exc)
    return CommandError(path, reason)


def decode_command(data: bytes | str) -> Command:
    """Decode a command from JSON; a `CommandError` carries the path and REMAP's reason
    (`snacs.explain_decode_error`). Bytes that are not UTF-8 and an object with a key
    twice (``"`count` appears twice - at `$`"``) are refused too."""
    try:
        raw = data.encode() if isinstance(data, str) else bytes(data)
        problem = utf8_problem(raw)
        if problem is not None:
            raise CommandError(problem.path, problem.reason)
        command = _DECODER.decode(raw)
    except (msgspec.DecodeError, UnicodeError, RecursionError) as exc:
        raise _command_error(exc) from exc
    problem = duplicate_key_problem(raw)
    if problem is not None:
        raise CommandError(problem.path, problem.reason)
    return command


def convert_command(data: Any) -> Command:
    """A command from builtins (a dict decoded elsewhere), validated as `decode_command`."""
    try:
        return msgspec.convert(data, Command)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _command_error(exc) from exc


def command_schema() -> dict[str, Any]:
    """The JSON Schema of the command union (for the server's OpenAPI document)."""
    return msgspec.json.schema(Command)


# --- helpers -------------------------------------------------------------------------


_ENCODE = msgspec.json.Encoder().encode


def _base_id(state: SessionState, command: _Command) -> str:
    if command.id is not None:
        return command.id
    digest = hashlib.sha256(_ENCODE(command)).hexdigest()[:16]
    return f"c{state.last_seq}-{digest}"


def _pending(base: str, events: list[Event]) -> tuple[Pending, ...]:
    return tuple(Pending(f"{base}:{k}", e) for k, e in enumerate(events))


def _need_session(state: SessionState) -> None:
    if not state.created:
        raise CommandError("$", "the session has not been created yet")


def _model(state: SessionState, model: str, path: str) -> ModelState:
    found = state.models.get(model)
    if found is None:
        raise CommandError(path, f"no model {model!r} in this session")
    return found


def _hashes(state: SessionState) -> frozenset[str]:
    return frozenset(m.arch_hash for m in state.models.values())


def _config(state: SessionState, model: ModelState | None) -> TrainConfig:
    if model is not None and model.config is not None:
        return model.config
    return state.settings.train


def _children(
    state: SessionState,
    parent: ModelState,
    children: list[Child],
    origins: list[Origin],
    estimate: Estimator | None,
    seed: int | None,
    train: TrainOverrides | None = None,
) -> list[Event]:
    ids = _next_ids(state, len(children))
    created = [
        _created(
            mid, child.arch, parent, origin, child.changes,
            ", ".join(describe_changes(parent.arch, child.arch)),
        )
        for mid, child, origin in zip(ids, children, origins, strict=True)
    ]  # fmt: skip
    config = apply_overrides(_config(state, parent), train)
    base = parent.seed if seed is None else seed
    queued = [_queued(c, config, derive_seed("train", base, c.model), estimate) for c in created]
    return [*created, *queued]


# --- the handler ---------------------------------------------------------------------


class _Call(NamedTuple):
    """What `decide` hands each command's handler beside the state and the command."""

    base: str  # the base of the event ids (`_base_id`)
    dataset: DatasetInfo | None
    space: SearchSpace | None
    estimate: Estimator | None
    skipped: list[Skipped]  # the children a generator did not make, added to by handlers
    dispatched: Collection[str]  # the models handed to a worker
    effects: list[StopTraining]  # added to by handlers
    weights_present: Callable[[Weights], bool] | None = None  # None: no weights folder


def decide(
    state: SessionState,
    command: Command,
    *,
    dataset: DatasetInfo | None = None,
    space: SearchSpace | None = None,
    estimate: Estimator | None = None,
    dispatched: Collection[str] = frozenset(),
    weights_present: Callable[[Weights], bool] | None = None,
) -> Decision:
    """The events that `command` appends to a session in `state` (see the module).

    `dataset` is required by "create session": the loaded data set's
    `nas_core.specs.DatasetInfo` (``Dataset.info()``; loading is I/O the caller does).
    `space` overrides the search space (default: the one the session recorded, or for
    "create session" the bundled or file table that ``settings.search_space`` names).
    `estimate` predicts training seconds for "training queued". `dispatched`: the
    models handed to a worker; cancelling one is the effect `StopTraining` (its worker
    records the cancel), not an event. `weights_present`: whether a recorded weights
    file is in the data folder (a trained model whose file is missing may be queued
    again; None: no folder, a trained model may not). Raises `CommandError` (nothing to
    append) when the command does not apply.
    """
    base = _base_id(state, command)
    if type(command) is not CreateSession:  # the one command that needs no session
        _need_session(state)
    decider = _DECIDERS.get(type(command))
    if decider is None:
        raise CommandError("$", f"not a command: {type(command).__name__}")
    skipped: list[Skipped] = []
    effects: list[StopTraining] = []
    call = _Call(base, dataset, space, estimate, skipped, dispatched, effects, weights_present)
    events = decider(state, command, call)
    return Decision(_pending(base, events), tuple(skipped), tuple(effects))


def handle(
    state: SessionState,
    command: Command,
    *,
    dataset: DatasetInfo | None = None,
    space: SearchSpace | None = None,
    estimate: Estimator | None = None,
) -> list[Pending]:
    """`decide`'s events only."""
    return list(decide(state, command, dataset=dataset, space=space, estimate=estimate).events)


def _create_session(state: SessionState, command: CreateSession, call: _Call) -> list[Event]:
    dataset, space = call.dataset, call.space
    if state.created:
        raise SessionExists("$", f"the session {state.name!r} has already been created")
    if dataset is None:
        raise CommandError("$.data", "the loaded data set's facts (DatasetInfo) are missing")
    if len(dataset.class_names) < 2:
        raise CommandError(
            "$.data", f"the data set has {len(dataset.class_names)} class(es): it needs 2 or more"
        )
    if space is None:
        try:
            space = load_search_space(command.settings.search_space)
        except SearchSpaceError as exc:
            raise CommandError("$.settings.search_space", str(exc)) from exc
    created = SessionCreated(
        name=command.name,
        data=command.data,
        class_names=dataset.class_names,
        split=Split(dataset.n_train, dataset.n_val, dataset.n_test),
        input=Input(shape=dataset.input_shape, classes=len(dataset.class_names)),
        settings=command.settings,
        search_space_hash=search_space_hash(space),
        search_space=space,
        data_digest=dataset.digest,
    )
    return [created]


def _sample(state: SessionState, command: Sample, call: _Call) -> list[Event]:
    base, estimate = call.base, call.estimate
    table = _space(state, call.space)
    seed = derive_seed("sample", base) if command.seed is None else command.seed
    try:
        report = sample_report(
            seed, command.count, input=state.input, space=table,
            limits=state.settings.limits, existing=_hashes(state),
        )  # fmt: skip
    except GeneratorError as exc:
        raise CommandError("$.count", str(exc)) from exc
    ids = _next_ids(state, len(report.architectures))
    origins = [Sampled(seed, k, base, command.train) for k in range(len(ids))]
    created = [
        _created(mid, arch, None, origin, (), f"Sampled (seed {seed}, #{origin.index})")
        for mid, arch, origin in zip(ids, report.architectures, origins, strict=True)
    ]
    config = apply_overrides(state.settings.train, command.train)
    queued = [_queued(c, config, derive_seed("train", seed, c.model), estimate) for c in created]
    return [*created, *queued]


def _ablate(state: SessionState, command: Ablate, call: _Call) -> list[Event]:
    parent = _model(state, command.model, "$.model")
    n = len(parent.arch.layers)
    seen: set[int] = set()
    for j, index in enumerate(command.indices):
        if index >= n:
            raise CommandError(
                f"$.indices[{j}]", f"no layer at index {index}: {parent.id} has {n} layers"
            )
        if index in seen:
            raise CommandError(f"$.indices[{j}]", f"index {index} is listed twice")
        seen.add(index)
    try:
        children, rejected = ablate(
            parent.arch, command.indices, limits=state.settings.limits, existing=_hashes(state)
        )
    except GeneratorError as exc:
        raise CommandError("$.model", str(exc)) from exc
    call.skipped.extend(rejected)
    if not children:
        reasons = "; ".join(f"layer {s.index_or_attempt}: {s.reason}" for s in rejected)
        raise CommandError("$.indices", f"no ablation of {parent.id} can be made ({reasons})")
    origins: list[Origin] = [
        Ablation(parent.id, c.changes[0].index, call.base, command.train) for c in children
    ]
    return _children(state, parent, children, origins, call.estimate, None, command.train)


def _vary(state: SessionState, command: Vary, call: _Call) -> list[Event]:
    base = call.base
    parent = _model(state, command.model, "$.model")
    table = _space(state, call.space)
    n = len(parent.arch.layers)
    if command.allowed is None:
        allowed = dict.fromkeys(allow_all(parent.arch), VARIATION_KINDS)
    else:
        for index, kinds in command.allowed.items():
            if index >= n:
                raise CommandError(
                    f"$.allowed['{index}']",
                    f"no layer at index {index}: {parent.id} has layers 0 to {n - 1}",
                )
            if len(set(kinds)) != len(kinds):
                raise CommandError(f"$.allowed['{index}']", "a change kind is listed twice")
        allowed = {i: tuple(k) for i, k in sorted(command.allowed.items())}
    seed = derive_seed("vary", base) if command.seed is None else command.seed
    try:
        children, rejected = vary(
            parent.arch, command.count, seed=seed, allowed=allowed,
            max_changes=command.max_changes, space=table, limits=state.settings.limits,
            existing=_hashes(state),
        )  # fmt: skip
    except GeneratorError as exc:
        where = "$.allowed" if str(exc).startswith("no allowed change") else "$.count"
        raise CommandError(where, str(exc)) from exc
    call.skipped.extend(rejected)
    recorded = {str(i): tuple(kinds) for i, kinds in allowed.items()}
    origins: list[Origin] = [
        Variation(parent.id, seed, k, base, recorded, command.max_changes, command.train)
        for k in range(len(children))
    ]
    return _children(state, parent, children, origins, call.estimate, seed, command.train)


def _handcraft(state: SessionState, command: Handcraft, call: _Call) -> list[Event]:
    parent = _model(state, command.model, "$.model")
    try:
        child = handcraft(
            parent.arch, command.edits, limits=state.settings.limits, existing=_hashes(state)
        )
    except HandcraftError as exc:
        raise CommandError(exc.path, exc.reason) from exc
    except GeneratorError as exc:
        raise CommandError("$.model", str(exc)) from exc
    origin = Handcrafted(parent.id, command.edits, call.base, command.train)
    return _children(state, parent, [child], [origin], call.estimate, None, command.train)


def _replicate(state: SessionState, command: Replicate, call: _Call) -> list[Event]:
    model = _model(state, command.model, "$.model")
    origin = model.origin
    of = state.models.get(origin.of, model) if isinstance(origin, Replicated) else model
    seed = derive_seed("replicate", call.base) if command.seed is None else command.seed
    created = [
        _created(
            mid, of.arch, of, Replicated(of.id, seed, k, call.base, command.train), (),
            f"Replicate of {of.id} (seed {seed}, #{k})",
        )
        for k, mid in enumerate(_next_ids(state, command.seeds))
    ]  # fmt: skip
    config = apply_overrides(_config(state, of), command.train)
    queued = [
        _queued(c, config, derive_seed("replicate", seed, k), call.estimate)
        for k, c in enumerate(created)
    ]
    return [*created, *queued]


_NOT_QUEUEABLE = {
    "queued": "is already queued",
    "running": "is training",
    "done": "has finished training",
}


def _enqueue(state: SessionState, command: Enqueue, call: _Call) -> list[Event]:
    estimate = call.estimate
    events: list[Event] = []
    seen: set[str] = set()
    for j, mid in enumerate(command.models):
        path = f"$.models[{j}]"
        model = _model(state, mid, path)
        if mid in seen:
            raise CommandError(path, f"{mid} is listed twice")
        seen.add(mid)
        if model.status in _NOT_QUEUEABLE and not _weights_lost(model, call):
            raise CommandError(path, f"{mid} {_NOT_QUEUEABLE[model.status]}")
        config = _config(state, model)
        seed = derive_seed("train", mid) if model.seed is None else model.seed
        estimate_s = None if estimate is None else estimate(model.flops, config)
        events.append(TrainingQueued(mid, config, seed, estimate_s))
    return events


def _weights_lost(model: ModelState, call: _Call) -> bool:
    """A trained model whose weights file is not in the data folder (retrain it)."""
    if model.status != "done" or call.weights_present is None or model.result is None:
        return False
    weights = model.result.weights
    return weights is None or not call.weights_present(weights)


def _continue_training(state: SessionState, command: ContinueTraining, call: _Call) -> list[Event]:
    parent = _model(state, command.model, "$.model")
    if parent.status != "done" or parent.result is None:
        raise CommandError(
            "$.model", f"{parent.id} has not finished training (it is {parent.status})"
        )
    weights = parent.result.weights
    if weights is None or (call.weights_present is not None and not call.weights_present(weights)):
        raise CommandError(
            "$.model", f"{parent.id}'s weights are missing: retrain it first (queue it again)"
        )
    epoch = parent.result.best_epoch
    (mid,) = _next_ids(state, 1)
    created = _created(
        mid, parent.arch, parent, Continued(parent.id, epoch, weights.digest, call.base), (),
        f"Continued from {parent.id} at epoch {epoch} (+{command.epochs} epochs)",
    )  # fmt: skip
    config = msgspec.structs.replace(_config(state, parent), epochs=command.epochs)
    return [created, _queued(created, config, derive_seed("continue", call.base), call.estimate)]


def _reorder(state: SessionState, command: Reorder, call: _Call) -> list[Event]:
    queued = set(state.queue)
    seen: set[str] = set()
    for j, mid in enumerate(command.order):
        if mid in seen:
            raise CommandError(f"$.order[{j}]", f"{mid} is listed twice")
        if mid not in state.models and mid not in state.oneshot.supernets:
            raise CommandError(f"$.order[{j}]", f"{mid} is no model of this session")
        seen.add(mid)
    return [QueueReordered(tuple(m for m in command.order if m in queued))]


def _queue_entry(state: SessionState, ident: str, path: str):
    """A model, or a supernet whose training is an entry of the queue (issue 18): both
    have an `id` and a `status`, and are cancelled alike."""
    supernet = state.oneshot.supernets.get(ident)
    if ident not in state.models and supernet is not None:
        return supernet
    return _model(state, ident, path)


def _cancel(state: SessionState, command: Cancel, call: _Call) -> list[Event]:
    model = _queue_entry(state, command.model, "$.model")
    if model.status not in ("queued", "running"):
        raise CommandError(
            "$.model", f"{model.id} is not queued or training (it is {model.status})"
        )
    if model.id in call.dispatched:  # its worker stops it and records the cancel
        call.effects.append(StopTraining(model.id))
        return []
    return [TrainingCancelled(model.id, was_running=model.status == "running")]


def _cancel_models(state: SessionState, command: CancelModels, call: _Call) -> list[Event]:
    events: list[Event] = []
    seen: set[str] = set()
    for j, mid in enumerate(command.models):
        path = f"$.models[{j}]"
        model = _queue_entry(state, mid, path)
        if mid in seen:
            raise CommandError(path, f"{mid} is listed twice")
        seen.add(mid)
        if model.status not in ("queued", "running"):
            call.skipped.append(Skipped(j, f"{mid} is not queued or training ({model.status})"))
        elif mid in call.dispatched:  # its worker stops it and records the cancel
            call.effects.append(StopTraining(mid))
        else:
            events.append(TrainingCancelled(mid, was_running=model.status == "running"))
    if not events and not call.effects:
        raise CommandError("$.models", "none of these models is queued or training")
    return events


def _pause_queue(state: SessionState, command: PauseQueue, call: _Call) -> list[Event]:
    if state.paused:
        raise CommandError("$", "the queue is paused already")
    return [QueuePaused()]


def _resume_queue(state: SessionState, command: ResumeQueue, call: _Call) -> list[Event]:
    if not state.paused:
        raise CommandError("$", "the queue is not paused")
    return [QueueResumed()]


def _set_concurrency(state: SessionState, command: SetConcurrency, call: _Call) -> list[Event]:
    if command.concurrency == state.concurrency_limit():
        raise CommandError("$.concurrency", f"the concurrency is {command.concurrency} already")
    return [ConcurrencyChanged(command.concurrency)]


def _set_limits(state: SessionState, command: SetLimits, call: _Call) -> list[Event]:
    if state.settings is not None and command.limits == state.settings.limits:
        raise CommandError("$.limits", "the session has these limits already")
    return [LimitsChanged(command.limits)]


def _drawer(state: SessionState, command: DrawerAdd | DrawerRemove, call: _Call) -> list[Event]:
    adding = isinstance(command, DrawerAdd)
    drawer = set(state.drawer)
    seen: set[str] = set()
    for j, mid in enumerate(command.models):
        path = f"$.models[{j}]"
        _model(state, mid, path)
        if mid in seen:
            raise CommandError(path, f"{mid} is listed twice")
        seen.add(mid)
        if adding and mid in drawer:
            raise CommandError(path, f"{mid} is already in the drawer")
        if not adding and mid not in drawer:
            raise CommandError(path, f"{mid} is not in the drawer")
    models = tuple(command.models)
    return [DrawerChanged(added=models) if adding else DrawerChanged(removed=models)]


def _change_view(state: SessionState, command: ChangeView, call: _Call) -> list[Event]:
    chosen = command.selected_class
    if chosen is not None and chosen >= len(state.class_names):
        raise CommandError(
            "$.selected_class",
            f"no class {chosen}: the data set has classes 0 to {len(state.class_names) - 1}",
        )
    return [ViewChanged(command.projection, chosen)]


# One row per command (a test holds the table to the `Command` union).
_DECIDERS: dict[type, Callable[[SessionState, Any, _Call], list[Event]]] = {
    CreateSession: _create_session,
    Sample: _sample,
    Ablate: _ablate,
    Vary: _vary,
    Handcraft: _handcraft,
    Replicate: _replicate,
    ContinueTraining: _continue_training,
    Enqueue: _enqueue,
    Reorder: _reorder,
    Cancel: _cancel,
    CancelModels: _cancel_models,
    PauseQueue: _pause_queue,
    ResumeQueue: _resume_queue,
    SetConcurrency: _set_concurrency,
    SetLimits: _set_limits,
    DrawerAdd: _drawer,
    DrawerRemove: _drawer,
    ChangeView: _change_view,
}

# The one-shot deciders live in their own module (issue 18).
_DECIDERS.update(
    {
        DefineSupernet: oneshot_decide.define,
        EditSupernet: oneshot_decide.edit,
        TrainSupernet: oneshot_decide.train,
        SampleSearchSpace: oneshot_decide.sample_space,
        StartSearch: oneshot_decide.start,
        ContinueSearch: oneshot_decide.continue_search,
        PauseSearch: oneshot_decide.pause,
        SelectRegion: oneshot_decide.select_region,
        ClearRegion: oneshot_decide.clear_region,
        HighlightBlocks: oneshot_decide.highlight,
        AssembleCandidate: oneshot_decide.assemble,
        RankCheck: oneshot_decide.rank,
    }
)

# The automated-search steering deciders live in their own module (issue 21).
_DECIDERS.update(
    {
        StartAutoSearch: auto_search_decide.start,
        PauseAutoSearch: auto_search_decide.pause,
        ResumeAutoSearch: auto_search_decide.resume,
        StopAutoSearch: auto_search_decide.stop,
        SetAutoSearchBudget: auto_search_decide.change_budget,
        ConstrainAutoSearch: auto_search_decide.constrain,
        AddToAutoSearch: auto_search_decide.add_population,
        SetMedianRule: auto_search_decide.set_median_rule,
    }
)

# Notes and tags (issue 22) have their deciders in their own module.
_DECIDERS.update(
    {
        WriteNote: notes_decide.write,
        RemoveNote: notes_decide.remove,
        ChangeTags: notes_decide.change_tags,
    }
)
