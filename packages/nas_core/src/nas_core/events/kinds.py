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
from nas_core.arch.layers import Architecture, Input, Limits
from nas_core.generators.handcraft import Edit
from nas_core.generators.search_space import SearchSpace
from nas_core.oneshot.edits import LegoEdit
from nas_core.oneshot.types import (
    Constraint,
    PlannedChild,
    Recalibration,
    Region,
    SuperArchitecture,
    SupernetConfig,
)
from nas_core.specs import DataSpec, EpochMetrics, Settings, TrainConfig, TrainResult
from nas_core.strategies import Constraints, SearchSpec
from nas_core.train_overrides import TrainOverrides
from nas_core.weights.ref import DIGEST

__all__ = [
    "EVENT_TYPES",
    "PROJECTIONS",
    "VERSIONS",
    "Ablation",
    "ConcurrencyChanged",
    "Continued",
    "DrawerChanged",
    "Envelope",
    "EpochCompleted",
    "Event",
    "Handcrafted",
    "Imported",
    "LayoutRecomputed",
    "LimitsChanged",
    "ModelCreated",
    "ModelEmbedded",
    "ModelImported",
    "NoteRemoved",
    "NoteWritten",
    "Origin",
    "Pending",
    "Projection",
    "QueuePaused",
    "QueueReordered",
    "QueueResumed",
    "Replicated",
    "Sampled",
    "SessionCreated",
    "Split",
    "TagsChanged",
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
    train: TrainOverrides | None = None


class Ablation(_Origin, tag="ablation"):
    """`parent` with the layer at `index` removed (command `batch`)."""

    parent: ModelId
    index: Count
    batch: str = ""
    train: TrainOverrides | None = None


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
    train: TrainOverrides | None = None


class Handcrafted(_Origin, tag="handcraft"):
    """`parent` with `edits` applied (paper C1)."""

    parent: ModelId
    edits: tuple[Edit, ...]
    batch: str = ""
    train: TrainOverrides | None = None


class Replicated(_Origin, tag="replicate"):
    """The `index`-th (from 0) replicate of model `of` that the replicate command
    `batch` made with `seed`: the same architecture trained again with another training
    seed (``derive_seed("replicate", seed, index)``). `of` is always the first model of
    the group (replicating a replicate repeats its original), so a group is a model and
    every model whose origin names it in `of` (`nas_core.replicates`)."""

    of: ModelId
    seed: Seed
    index: Count
    batch: str = ""
    train: TrainOverrides | None = None


class Continued(_Origin, tag="continued"):
    """Train longer (MAST: a model still improving when its training was cut off):
    `parent`'s weights of its epoch `epoch` (the ones "training finished" recorded)
    trained for more epochs by the continue command `batch`; `weights` is the digest of
    that file (`nas_core.weights`), the one the new model starts from. Its curve goes on
    from epoch ``epoch + 1``; its training seed is ``derive_seed("continue", batch)``."""

    parent: ModelId
    epoch: Annotated[int, msgspec.Meta(ge=1)]
    weights: Annotated[str, msgspec.Meta(pattern=DIGEST)]
    batch: str = ""


class OneShot(_Origin, tag="oneshot"):
    """Made by a one-shot search (issue 18): the subgraph `mask` of supernet
    `supernet`, assembled by `rule` (``"fitness"``, ``"argmax"``, ``"best"``) after
    iteration `iteration` of search `search`, or trained for a rank check
    (``rule="rank-check"``, `search` the check's id, `iteration` the seed's index)."""

    supernet: str
    search: str
    iteration: Count
    mask: tuple[str, ...]
    rule: str
    batch: str = ""  # no generator re-runs it: a re-execution copies the model


class Imported(_Origin, tag="imported"):
    """Trained outside REMAP and imported (issue 20, `nas_core.imports`): line `line`
    (from 1) of the search file `source` (a path, an Optuna study's storage and name),
    imported as search `search` (one id per import), where it was called `name`."""

    search: str
    source: str
    line: Annotated[int, msgspec.Meta(ge=1)]
    name: str = ""


# --- automated searches a person steers (issue 21, nas_core.strategies) -------------


class AutoSearch(_Origin, tag="auto_search"):
    """Proposed by automated search `search` (strategy `strategy`) at its step `step`:
    a new architecture (mutated from `parent`, or a fresh sample when `parent` is None)
    or, when `weights` is set, `parent` trained longer from the weights of its epoch
    `epoch` (a Hyperband promotion, as "continued"); `why` says why in REMAP's words
    and `scores` holds the strategy's figures (EI, Q value, ...)."""

    search: ModelId
    strategy: str
    step: Count
    parent: str | None = None
    why: str = ""
    scores: dict[str, float] = {}
    epoch: Annotated[int, msgspec.Meta(ge=1)] | None = None
    weights: Annotated[str, msgspec.Meta(pattern=DIGEST)] | None = None
    batch: str = ""


Origin = (
    Sampled
    | Ablation
    | Variation
    | Handcrafted
    | Replicated
    | Continued
    | OneShot
    | Imported
    | AutoSearch
)


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
    """Attempt `attempt` finished; `result` holds the test-set figures and predictions.

    Version 2: the predictions are packed bytes (`nas_core.packed`); version 1 recorded
    them as a list of labels, and `nas_core.events.upcast` packs them on read.
    """

    VERSION: ClassVar[int] = 2

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
    """A queued model left the queue, or a running one was stopped (`was_running`).
    `attempt`: the attempt a worker cancelled (one cancelled before it started uses its
    number up, so that the model queued again trains as the next one); None for a
    model cancelled off the queue, and in logs written before it was recorded."""

    model: ModelId
    was_running: bool
    attempt: Attempt | None = None


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
    `distances` is its row (packed float64, `nas_core.packed`) against the session's
    landmarks, the first ``len(distances) / 8`` models embedded (landmark MDS: a row
    grows with the session up to `nas_core.service.embedding.LANDMARKS` models and
    stays that long, so a model adds the same bytes to the log at any session size).
    Recorded, so a replay never recomputes it. `against` names the row's models only
    in an upcast version 1 event (empty: the first ones embedded, as said).

    Version 2: version 1 recorded the row as a list of floats against every model
    embedded before it; `nas_core.events.upcast` packs it on read.
    """

    VERSION: ClassVar[int] = 2

    model: ModelId
    projection: EmbeddedProjection
    x: float
    y: float
    distances: bytes = b""
    against: tuple[ModelId, ...] = ()


class LayoutRecomputed(_Event, tag="layout_recomputed"):
    """A projection laid out afresh: every model's new position, and why."""

    projection: EmbeddedProjection
    positions: dict[str, tuple[float, float]]
    reason: str


# --- session controls (issue 19): when models train, not what ----------------------


class QueuePaused(_Event, tag="queue_paused"):
    """No training starts until "queue resumed"; the running ones finish."""


class QueueResumed(_Event, tag="queue_resumed"):
    """Trainings start again from the head of the queue."""


class ConcurrencyChanged(_Event, tag="concurrency_changed"):
    """At most `concurrency` models of the session train at once from now on (the
    embedded mode also caps it at its trainer processes); running ones over a lowered
    limit finish."""

    concurrency: Annotated[int, msgspec.Meta(ge=1, le=64)]


class LimitsChanged(_Event, tag="limits_changed"):
    """The session's size cap (``settings.limits``) from now on: the generators refuse
    children beyond it; the models made before stay (the overview can hide those over
    it)."""

    limits: Limits


# --- an imported search (issue 20, nas_core.imports) ---------------------------------


class ModelImported(_Event, tag="model_imported"):
    """A model a search REMAP did not run trained: it joins the session finished, with
    what was recorded of it (`origin` says where from). `curve` holds its epochs (what
    the file did not record is None), `result` its test figures when it recorded a test
    accuracy (else None: it shows by its validation accuracy); `started_s`: seconds
    from the search's start to the start of its training (None: not recorded). Ids
    and `arch.name` as "model created"'s; `arch_hash`, `params` and `flops` as REMAP
    counts them."""

    model: ModelId
    arch: Architecture
    origin: Imported
    description: str
    params: Count
    flops: Count
    arch_hash: str
    curve: tuple[EpochMetrics, ...] = ()
    result: TrainResult | None = None
    started_s: Annotated[float, msgspec.Meta(ge=0)] | None = None


# --- end of an imported search -------------------------------------------------------


# --- one-shot search (issue 18, nas_core.oneshot; ONESHOT.md §2) ---------------------


class SupernetDefined(_Event, tag="supernet_defined"):
    """A supernet version: its template `arch` (layers > blocks > components), the
    template's `hash` (`nas_core.oneshot.super_hash`), the parameters of all blocks,
    its block and valid-subgraph counts, and where it came from: a bundled `template`
    or `parent` with the Lego `edits` applied."""

    supernet: ModelId
    arch: SuperArchitecture
    hash: str
    params: Count
    blocks: Count
    subgraphs: Count
    parent: str | None = None
    edits: tuple[LegoEdit, ...] = ()
    template: str = ""


class SupernetTrainingQueued(_Event, tag="supernet_training_queued"):
    """The supernet's shared weights are to be trained with `config` and `seed`.
    Version 2: the config records its `routing` (version 1 bodies: ``"batch"``)."""

    VERSION: ClassVar[int] = 2
    supernet: ModelId
    config: SupernetConfig
    seed: Seed


class SupernetTrainingStarted(_Event, tag="supernet_training_started"):
    """Attempt `attempt` of training the supernet began on `worker`."""

    supernet: ModelId
    attempt: Attempt
    worker: str


class SupernetEpochCompleted(_Event, tag="supernet_epoch_completed"):
    """An epoch of the supernet's training: the mean path-dropout training loss and
    the validation loss averaged over 8 fixed masks."""

    supernet: ModelId
    attempt: Attempt
    epoch: Attempt
    train_loss: float
    val_loss: float
    seconds: float
    lr: float


class SupernetTrainingFinished(_Event, tag="supernet_training_finished"):
    """The weights are trained: the checkpoint's SHA-256, size and `path` (relative to
    the data folder, ``supernets/{session}/{sha256}.pt``)."""

    supernet: ModelId
    attempt: Attempt
    sha256: str
    size: Count
    path: str
    wall_s: float
    val_loss: float


class SupernetTrainingFailed(_Event, tag="supernet_training_failed"):
    """The supernet's training failed with `reason`; `will_retry`: it goes back to the
    head of the queue for another attempt (within the retry budget, as a model's)."""

    supernet: ModelId
    attempt: Attempt
    reason: str
    will_retry: bool = False


class SearchSpaceSampled(_Event, tag="search_space_sampled"):
    """Masks drawn from the supernet's subgraphs with `seed` (the scatter's points)."""

    supernet: ModelId
    seed: Seed
    masks: tuple[tuple[str, ...], ...]


class SearchSpaceProjected(_Event, tag="search_space_projected"):
    """The sampled masks laid out: their `distances` (condensed, packed float64) by
    `distance`, and their `positions` (in the masks' order) by `method`."""

    supernet: ModelId
    distance: str
    distances: bytes
    method: str
    seed: Seed
    positions: tuple[tuple[float, float], ...]
    versions: dict[str, str] = {}


class SearchStarted(_Event, tag="search_started"):
    """An evolutionary search over the supernet's subgraphs: population, the elite kept
    per iteration, mutation rate, selection rule, ε of the fitness, the target number
    of iterations, the split it scores on, the batch-norm recalibration, its seed and
    the region it starts with."""

    search: ModelId
    supernet: ModelId
    population: Attempt
    keep: Count
    mutation: float
    selection: str
    epsilon: float
    iterations: Count
    eval_split: str
    recalibration: Recalibration
    seed: Seed
    region: Region | None = None


class SearchIterationPlanned(_Event, tag="search_iteration_planned"):
    """Iteration `iteration`'s population to be: the `elite` kept and the `children`
    with their lineage (iteration 0: the random initial population)."""

    search: ModelId
    iteration: Count
    elite: tuple[tuple[str, ...], ...]
    children: tuple[PlannedChild, ...]


class SubgraphEvaluated(_Event, tag="subgraph_evaluated"):
    """A subgraph scored with the shared weights on the validation set (after its
    batch-norm recalibration with `recal_seed`); `position` is where it falls in the
    scatter (out-of-sample), when the space has been projected."""

    supernet: ModelId
    search: str
    mask: tuple[str, ...]
    val_loss: float
    val_acc: float
    per_class_acc: tuple[float, ...]
    predictions: bytes
    recal_seed: Seed
    ms: float
    position: tuple[float, float] | None = None


class SearchIterationCompleted(_Event, tag="search_iteration_completed"):
    """Iteration `iteration` scored: its population and losses, normalised fitness,
    [max, mean, min] loss, each block's fitness (share of the population holding it)
    and its marginal score (mean accuracy with it minus without, over every evaluated
    subgraph)."""

    search: ModelId
    iteration: Count
    population: tuple[tuple[str, ...], ...]
    losses: tuple[float, ...]
    fitness: tuple[float, ...]
    loss_stats: tuple[float, float, float]
    block_fitness: dict[str, float]
    marginal: dict[str, float | None]


class SearchPaused(_Event, tag="search_paused"):
    """The search plans no further iteration until continued."""

    search: ModelId


class SearchContinued(_Event, tag="search_continued"):
    """The search goes on to `iterations` iterations in all."""

    search: ModelId
    iterations: Count


class RegionSelected(_Event, tag="region_selected"):
    """A region of the scatter steers the search: its members (the masks inside it) and
    the constraint derived from them."""

    search: ModelId
    region: Region
    members: tuple[tuple[str, ...], ...]
    constraint: Constraint


class RegionCleared(_Event, tag="region_cleared"):
    """The search is no longer steered by a region."""

    search: ModelId


class BlocksHighlighted(_Event, tag="blocks_highlighted"):
    """Blocks highlighted by union / intersection / complement of `masks` (a view
    event, kept for the timeline)."""

    op: Literal["union", "intersection", "complement"]
    blocks: tuple[str, ...]
    masks: tuple[tuple[str, ...], ...]


class CandidateAssembled(_Event, tag="candidate_assembled"):
    """The blocks chosen by `rule` (with `threshold`) make the candidate `model`
    (created and queued by the events that follow)."""

    search: str
    supernet: ModelId
    rule: str
    threshold: float
    mask: tuple[str, ...]
    model: ModelId


class RankCheckStarted(_Event, tag="rank_check_started"):
    """A rank check: `masks` trained stand-alone, `models[i]` the models of mask i (one
    per seed), to compare with their one-shot scores."""

    check: ModelId
    supernet: ModelId
    masks: tuple[tuple[str, ...], ...]
    models: tuple[tuple[str, ...], ...]


class RankCheckCompleted(_Event, tag="rank_check_completed"):
    """The rank check's figures (`nas_core.oneshot.rank_check`): Kendall τ-b between
    one-shot and stand-alone accuracy (mean of the seeds) with its 95% bootstrap
    interval, Spearman's ρ, the seed-to-seed τ (noise ceiling), the stand-alone rank of
    one-shot's top-1 and its regret."""

    check: ModelId
    oneshot_acc: tuple[float, ...]
    standalone_acc: tuple[float, ...]
    kendall_tau: float
    tau_ci: tuple[float, float]
    spearman: float
    noise_ceiling: float | None
    top1_rank: Attempt
    regret: float


ONESHOT_EVENTS = (
    SupernetDefined | SupernetTrainingQueued | SupernetTrainingStarted
    | SupernetEpochCompleted | SupernetTrainingFinished | SupernetTrainingFailed
    | SearchSpaceSampled | SearchSpaceProjected | SearchStarted | SearchIterationPlanned
    | SubgraphEvaluated | SearchIterationCompleted | SearchPaused | SearchContinued
    | RegionSelected | RegionCleared | BlocksHighlighted | CandidateAssembled
    | RankCheckStarted | RankCheckCompleted
)  # fmt: skip
# --- end of one-shot search --------------------------------------------------------


# --- automated searches (issue 21): the steering events -------------------------


class AutoSearchStarted(_Event, tag="auto_search_started"):
    """Automated search `search` starts with `spec` (strategy, seed, epochs per model,
    options, constraints) and a budget: at most `models` proposals and/or `epochs`
    model-epochs of training (None: no cap of that kind). `scope` is its initial
    population (models it may learn from); `median_stop` asks for the median stopping
    rule on its trainings."""

    search: ModelId
    spec: SearchSpec
    models: Annotated[int, msgspec.Meta(ge=1)] | None = None
    epochs: Annotated[int, msgspec.Meta(ge=1)] | None = None
    scope: tuple[ModelId, ...] = ()
    median_stop: bool = False


class AutoSearchPaused(_Event, tag="auto_search_paused"):
    """The search proposes nothing until resumed; its queued models still train."""

    search: ModelId


class AutoSearchResumed(_Event, tag="auto_search_resumed"):
    """The search proposes again."""

    search: ModelId


class AutoSearchStopped(_Event, tag="auto_search_stopped"):
    """The search is over: it proposes nothing more (its queued models still train)."""

    search: ModelId


class AutoSearchBudgetChanged(_Event, tag="auto_search_budget_changed"):
    """The search's budget from now on (what it used stays counted)."""

    search: ModelId
    models: Annotated[int, msgspec.Meta(ge=1)] | None = None
    epochs: Annotated[int, msgspec.Meta(ge=1)] | None = None


class AutoSearchConstrained(_Event, tag="auto_search_constrained"):
    """The search's proposals from now on satisfy `constraints` (parameter cap, layer
    kinds forbidden or required, a region of the structure projection)."""

    search: ModelId
    constraints: Constraints


class AutoSearchPopulationAdded(_Event, tag="auto_search_population_added"):
    """`models` (e.g. from the drawer) join the search's population: it learns from
    them as from its own proposals."""

    search: ModelId
    models: tuple[ModelId, ...]


class AutoSearchMedianStopped(_Event, tag="auto_search_median_stopped"):
    """The median stopping rule stopped attempt `attempt` of `model`, a training of
    search `search`, after its epoch `epoch`: its best validation accuracy so far
    (`best`) was below `median`, the median of the running averages at that epoch of
    the `others` other models the search learns from. Its worker then records the
    cancel ("training cancelled", was running)."""

    search: ModelId
    model: ModelId
    attempt: Attempt
    epoch: Annotated[int, msgspec.Meta(ge=1)]
    best: float
    median: float
    others: Count


class MedianRuleChanged(_Event, tag="median_rule_changed"):
    """The median stopping rule for every training of the session from now on (any
    origin: sampled, ablation, variation, handcrafted, a search's): on when `min_models`
    is set (how many other models must have reached an epoch before it stops a
    training there), off when it is ``None``. A search started with its own rule keeps
    it for its trainings."""

    min_models: Annotated[int, msgspec.Meta(ge=1)] | None = None


class TrainingMedianStopped(_Event, tag="training_median_stopped"):
    """The session's median stopping rule stopped attempt `attempt` of `model` after
    its epoch `epoch`: its best validation accuracy so far (`best`) was below `median`,
    the median of the running averages at that epoch of the `others` other models of
    the session that reached it. Its worker then records the cancel."""

    model: ModelId
    attempt: Attempt
    epoch: Annotated[int, msgspec.Meta(ge=1)]
    best: float
    median: float
    others: Count


AUTO_SEARCH_EVENTS = (
    AutoSearchStarted | AutoSearchPaused | AutoSearchResumed | AutoSearchStopped
    | AutoSearchBudgetChanged | AutoSearchConstrained | AutoSearchPopulationAdded
    | AutoSearchMedianStopped | MedianRuleChanged | TrainingMedianStopped
)  # fmt: skip
# --- end of automated searches -----------------------------------------------------


# --- notes and tags (issue 22): on a model, or on the session (`model` None) ---------

NoteText = Annotated[str, msgspec.Meta(max_length=4000)]
TagName = Annotated[str, msgspec.Meta(max_length=40)]


class NoteWritten(_Event, tag="note_written"):
    """Note `note` on model `model` (None: on the session) reads `text` from now on: a
    new note, or the new text of the note of that id (`nas_core.events.fold_notes`)."""

    note: ModelId
    text: NoteText
    model: ModelId | None = None


class NoteRemoved(_Event, tag="note_removed"):
    """Note `note` on model `model` (None: on the session) is taken away."""

    note: ModelId
    model: ModelId | None = None


class TagsChanged(_Event, tag="tags_changed"):
    """Tags taken from (`removed`, first) and given to (`added`) model `model` (None:
    the session)."""

    added: tuple[TagName, ...] = ()
    removed: tuple[TagName, ...] = ()
    model: ModelId | None = None


NOTES_EVENTS = NoteWritten | NoteRemoved | TagsChanged
# --- end of notes and tags ---------------------------------------------------------


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
    | QueuePaused
    | QueueResumed
    | ConcurrencyChanged
    | LimitsChanged
    | ModelImported
    | ONESHOT_EVENTS
    | AUTO_SEARCH_EVENTS
    | NOTES_EVENTS  # issue 22: notes and tags
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
