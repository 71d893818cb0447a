"""The read model of a session: a pure fold of its events.

`apply(state, envelope)` returns the state after one event and never mutates its
input; `fold(envelopes, state)` applies many; `state_at(envelopes, seq)` is the view at
seq N (the fold of events 1..N). No other code builds a `SessionState`.

Speed: a replay folds hundreds of thousands of events, so `fold` does not copy the
state per event. It thaws the state once into a private `_Builder` (shallow copies of
the top-level containers; a model's record or a projection's dict is copied only when
an event first touches it), applies every event in place, and freezes once. `apply`
is the same thing for one event, so the two agree by construction (and the tests hold
them to it).

Training events carry the attempt they belong to. One that does not fit the model's
current state (a late epoch of a cancelled attempt, a redelivered "started") changes
nothing: at-least-once delivery must not corrupt the view.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from datetime import datetime
from typing import Literal, get_args

import msgspec
from msgspec.structs import astuple

from nas_core.arch.diff import Change
from nas_core.arch.layers import Architecture, Input
from nas_core.generators.search_space import SearchSpace
from nas_core.specs import DataSpec, EpochMetrics, Settings, TrainConfig, TrainResult

from . import kinds as k
from .fold_auto_search import AUTO_SEARCH_HANDLERS, AutoSearchRecord, apply_auto_search
from .fold_notes import Note, change_tags, remove_note, write_note
from .fold_oneshot import ONESHOT_HANDLERS, OneShotDraft, OneShotState, cancel_supernet
from .kinds import (
    ConcurrencyChanged,
    DrawerChanged,
    Envelope,
    EpochCompleted,
    LayoutRecomputed,
    LimitsChanged,
    ModelCreated,
    ModelEmbedded,
    ModelImported,
    NoteRemoved,
    NoteWritten,
    Origin,
    Projection,
    QueuePaused,
    QueueReordered,
    QueueResumed,
    SessionCreated,
    Split,
    SupernetTrainingFailed,
    SupernetTrainingFinished,
    SupernetTrainingQueued,
    SupernetTrainingStarted,
    TagsChanged,
    TrainingCancelled,
    TrainingFailed,
    TrainingFinished,
    TrainingQueued,
    TrainingStarted,
    ViewChanged,
)

__all__ = [
    "STATUSES",
    "LayoutInfo",
    "ModelState",
    "SessionState",
    "Status",
    "View",
    "apply",
    "fold",
    "load_state",
    "state_at",
]

Status = Literal["created", "queued", "running", "done", "failed", "cancelled"]
STATUSES: tuple[str, ...] = get_args(Status)


class ModelState(msgspec.Struct, frozen=True, gc=False):
    """One model: lineage (`parent`, `origin`, `changes`, `description`), its
    architecture and size, and its training.

    `status`: ``created`` (not yet queued), ``queued``, ``running``, ``done``,
    ``failed``, ``cancelled``. `attempts`: training attempts started so far (it numbers
    them). `tries`: the attempts since the model was last queued that count against the
    retry budget (a crashed worker is retried while ``tries < max_attempts``): an attempt
    stopped with its process (``TrainingFailed.stopped``) does not count. `curve`: the
    epochs of the current (or last) attempt. `error`: the last failure's reason.
    `started_s`: when its training began, in seconds since the session began (for a
    model REMAP trains: its last attempt's "training started"), or since its search
    began (an imported model, "model imported"; None when the search did not say).
    """

    id: str
    arch: Architecture
    parent: str | None
    origin: Origin
    changes: tuple[Change, ...]
    description: str
    params: int
    flops: int
    arch_hash: str
    created_seq: int
    created_at: str
    status: Status = "created"
    config: TrainConfig | None = None
    seed: int | None = None
    estimate_s: float | None = None
    attempts: int = 0
    tries: int = 0
    worker: str | None = None
    curve: tuple[EpochMetrics, ...] = ()
    result: TrainResult | None = None
    error: str | None = None
    started_s: float | None = None  # issue 20: see the docstring
    # issue 20: the times of the current attempt as the browser's fold keeps them (ISO;
    # its queue, progress and search views read them), so that a page can start its
    # fold from the server's state (`GET …/snapshot`) rather than from seq 1
    queued_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    # issue 22: the model's tags (in the order first given) and notes
    # (`nas_core.events.fold_notes`); kept before `epoch_at`, which `_Draft` freezes last
    tags: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    epoch_at: tuple[str, ...] = ()  # the time of each curve entry


class View(msgspec.Struct, frozen=True, gc=False):
    """What the overview shows: its projection and the class that shades the circles
    (``None``: all classes)."""

    projection: Projection = "accuracy"
    selected_class: int | None = None


class LayoutInfo(msgspec.Struct, frozen=True, gc=False):
    """The last full layout of a projection: its seq and why it was recomputed."""

    seq: int
    reason: str


class SessionState(msgspec.Struct, frozen=True, gc=False):
    """A session as every view sees it (the fold of its events).

    `models` is in creation order; `queue` in training order (the next first);
    `drawer` in the order models were added. `embeddings[projection][model]` is the
    model's (x, y); `layouts[projection]` the last recomputation. (The recorded distance
    rows are not folded: only the embedder places models with them, and it reads them
    from the log's records, `nas_core.service.restore`.) Containers are never mutated once a
    state is built: treat them as read-only. `paused`: no training starts (the
    queue is paused); `concurrency`: the live limit once changed (`concurrency_limit`).
    `median_rule`: the session's median stopping rule for every training (the other
    models it needs at an epoch; ``None``: off), `median_stopped` the models it stopped,
    in order.
    """

    session: str = ""
    name: str = ""
    created_at: str | None = None
    data: DataSpec | None = None
    settings: Settings | None = None
    class_names: tuple[str, ...] = ()
    split: Split | None = None
    input: Input | None = None
    search_space_hash: str = ""
    search_space: SearchSpace | None = None
    models: dict[str, ModelState] = {}
    queue: tuple[str, ...] = ()
    drawer: tuple[str, ...] = ()
    view: View = View()
    embeddings: dict[str, dict[str, tuple[float, float]]] = {}
    layouts: dict[str, LayoutInfo] = {}
    last_seq: int = 0
    paused: bool = False
    oneshot: OneShotState = OneShotState()  # issue 18: `nas_core.events.fold_oneshot`
    auto_searches: dict[str, AutoSearchRecord] = {}  # issue 21: `fold_auto_search`
    concurrency: int | None = None
    tags: tuple[str, ...] = ()  # issue 22: the session's own tags and notes
    notes: tuple[Note, ...] = ()
    median_rule: int | None = None  # issue 21: the rule "for any training"
    median_stopped: tuple[str, ...] = ()

    @property
    def created(self) -> bool:
        """Whether the session's "session created" event has been applied."""
        return self.settings is not None

    def concurrency_limit(self) -> int:
        """How many models may train at once: the last "concurrency changed", else the
        settings' (`paused` says whether any may start)."""
        if self.concurrency is not None:
            return self.concurrency
        return (self.settings or Settings()).concurrency

    def running(self) -> tuple[str, ...]:
        """The models training now, in creation order."""
        return tuple(m for m, s in self.models.items() if s.status == "running")


class _Draft(msgspec.Struct, gc=False):
    """A model's record while a fold changes it: `ModelState`'s fields in the same
    order, mutable, the curve a list (an epoch is an append, not a copy)."""

    id: str
    arch: Architecture
    parent: str | None
    origin: Origin
    changes: tuple[Change, ...]
    description: str
    params: int
    flops: int
    arch_hash: str
    created_seq: int
    created_at: str
    status: Status = "created"
    config: TrainConfig | None = None
    seed: int | None = None
    estimate_s: float | None = None
    attempts: int = 0
    tries: int = 0
    worker: str | None = None
    curve: list[EpochMetrics] = []
    result: TrainResult | None = None
    error: str | None = None
    started_s: float | None = None
    queued_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    tags: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    epoch_at: list[str] = []

    def freeze(self) -> ModelState:
        values = astuple(self)
        return ModelState(
            *values[:_CURVE], tuple(self.curve), *values[_CURVE + 1 : -1], tuple(self.epoch_at)
        )


_CURVE = ModelState.__struct_fields__.index("curve")
assert _Draft.__struct_fields__ == ModelState.__struct_fields__
assert ModelState.__struct_fields__[-1] == "epoch_at"


def _thaw_model(model: ModelState) -> _Draft:
    draft = _Draft(*astuple(model))
    draft.curve = list(model.curve)
    draft.epoch_at = list(model.epoch_at)
    return draft


class _Builder:
    """A mutable session state, private to this module (see the module docstring)."""

    def __init__(self, state: SessionState) -> None:
        self.state = state
        self.meta: dict[str, object] = {}  # session-level fields that changed
        self.models: dict[str, ModelState | _Draft] = dict(state.models)
        self.queue = dict.fromkeys(state.queue)
        self.drawer = dict.fromkeys(state.drawer)
        self.view = state.view
        self.embeddings = dict(state.embeddings)
        self.owned: set[tuple[str, str]] = set()  # inner dicts copied already
        self.layouts = dict(state.layouts)
        self.last_seq = state.last_seq

    def draft(self, model: str) -> _Draft | None:
        record = self.models.get(model)
        if record is None or type(record) is _Draft:
            return record
        draft = self.models[model] = _thaw_model(record)
        return draft

    def inner(self, table: str, projection: str) -> dict:
        outer = self.embeddings
        if (table, projection) not in self.owned:
            outer[projection] = dict(outer.get(projection, {}))
            self.owned.add((table, projection))
        return outer[projection]

    def freeze(self) -> SessionState:
        models = {k: (v.freeze() if type(v) is _Draft else v) for k, v in self.models.items()}
        meta = self.meta
        if isinstance(meta.get("oneshot"), OneShotDraft):
            meta = {**meta, "oneshot": meta["oneshot"].freeze()}
        return msgspec.structs.replace(
            self.state,
            **meta,
            models=models,
            queue=tuple(self.queue),
            drawer=tuple(self.drawer),
            view=self.view,
            embeddings=self.embeddings,
            layouts=self.layouts,
            last_seq=self.last_seq,
        )


# --- one handler per event kind (they mutate the builder only) -----------------------


def _session_created(b: _Builder, e: SessionCreated, env: Envelope) -> None:
    if b.state.settings is not None or "settings" in b.meta:
        return  # a session is created once; a second "created" changes nothing
    b.meta.update(
        session=env.session,
        name=e.name,
        created_at=env.at,
        data=e.data,
        settings=e.settings,
        class_names=e.class_names,
        split=e.split,
        input=e.input,
        search_space_hash=e.search_space_hash,
        search_space=e.search_space,
    )


def _model_created(b: _Builder, e: ModelCreated, env: Envelope) -> None:
    if e.model not in b.models:
        b.models[e.model] = _Draft(
            e.model, e.arch, e.parent, e.origin, e.changes, e.description, e.params,
            e.flops, e.arch_hash, env.seq, env.at, curve=[], epoch_at=[],
        )  # fmt: skip


def _training_queued(b: _Builder, e: TrainingQueued, env: Envelope) -> None:
    m = b.draft(e.model)
    if m is None or m.status in ("queued", "running"):
        return
    m.status = "queued"
    m.config = e.config
    m.seed = e.seed
    m.estimate_s = e.estimate_s
    m.tries = 0  # queued anew (e.g. a failed model by hand): a fresh retry budget
    m.queued_at = env.at
    b.queue[e.model] = None


def _training_started(b: _Builder, e: TrainingStarted, env: Envelope) -> None:
    m = b.draft(e.model)
    if m is None or m.status != "queued" or e.attempt <= m.attempts:
        return
    m.status = "running"
    m.attempts = e.attempt
    m.tries += 1
    m.worker = e.worker
    m.curve = []
    m.epoch_at = []
    m.result = None
    m.started_s = _seconds_since(b.meta.get("created_at", b.state.created_at), env.at)
    m.started_at = env.at
    m.finished_at = None
    b.queue.pop(e.model, None)


def _seconds_since(start: str | None, at: str) -> float | None:
    """Seconds from the ISO time `start` to `at` (None without a start)."""
    if start is None:
        return None
    return max(0.0, (datetime.fromisoformat(at) - datetime.fromisoformat(start)).total_seconds())


def _model_imported(b: _Builder, e: ModelImported, env: Envelope) -> None:
    if e.model not in b.models:  # finished as it comes: nothing of it trains here
        b.models[e.model] = _Draft(
            e.model, e.arch, None, e.origin, (), e.description, e.params, e.flops,
            e.arch_hash, env.seq, env.at, status="done", curve=list(e.curve),
            result=e.result, started_s=e.started_s, epoch_at=[],
        )  # fmt: skip


def _training_finished(b: _Builder, e: TrainingFinished, env: Envelope) -> None:
    m = b.draft(e.model)
    if m is None or m.status != "running" or m.attempts != e.attempt:
        return
    m.status = "done"
    m.result = e.result
    m.error = None
    m.finished_at = env.at


def _training_failed(b: _Builder, e: TrainingFailed, env: Envelope) -> None:
    m = b.draft(e.model)
    if m is None or m.status != "running" or m.attempts != e.attempt:
        return
    m.error = e.reason
    if e.stopped:  # a stop, not a fault: it does not use up the retries
        m.tries = max(0, m.tries - 1)
    if e.will_retry:
        m.status = "queued"  # next to train: back at the head of the queue
        b.queue = {e.model: None, **b.queue}
    else:
        m.status = "failed"
        m.finished_at = env.at


def _training_cancelled(b: _Builder, e: TrainingCancelled, env: Envelope) -> None:
    m = b.draft(e.model)
    if m is None:  # a supernet training's queue entry, if any
        if cancel_supernet(_oneshot_draft(b), e.model, e.attempt):
            b.queue.pop(e.model, None)
        return
    if m is None or m.status not in ("queued", "running"):
        return
    if e.attempt is not None:  # a worker's: of this attempt, or late
        if e.attempt < m.attempts or (m.status == "running" and e.attempt != m.attempts):
            return
        m.attempts = e.attempt  # cancelled before it started: the number is used up
    m.status = "cancelled"
    m.finished_at = env.at
    b.queue.pop(e.model, None)


def _queue_reordered(b: _Builder, e: QueueReordered, env: Envelope) -> None:
    queued = b.queue
    order = [m for m in dict.fromkeys(e.order) if m in queued]
    b.queue = dict.fromkeys(order) | queued  # any model the order left out keeps its turn


def _drawer_changed(b: _Builder, e: DrawerChanged, env: Envelope) -> None:
    for m in e.removed:
        b.drawer.pop(m, None)
    for m in e.added:
        if m in b.models:
            b.drawer[m] = None


def _view_changed(b: _Builder, e: ViewChanged, env: Envelope) -> None:
    b.view = View(e.projection, e.selected_class)


def _model_embedded(b: _Builder, e: ModelEmbedded, env: Envelope) -> None:
    if e.model not in b.models:
        return
    b.inner("embeddings", e.projection)[e.model] = (e.x, e.y)


def _queue_paused(b: _Builder, e: QueuePaused | QueueResumed, env: Envelope) -> None:
    b.meta["paused"] = type(e) is QueuePaused


def _concurrency_changed(b: _Builder, e: ConcurrencyChanged, env: Envelope) -> None:
    b.meta["concurrency"] = e.concurrency


def _median_rule_changed(b: _Builder, e: k.MedianRuleChanged, env: Envelope) -> None:
    b.meta["median_rule"] = e.min_models


def _training_median_stopped(b: _Builder, e: k.TrainingMedianStopped, env: Envelope) -> None:
    stopped = b.meta.get("median_stopped", b.state.median_stopped)
    if e.model in b.models and e.model not in stopped:
        b.meta["median_stopped"] = (*stopped, e.model)


def _limits_changed(b: _Builder, e: LimitsChanged, env: Envelope) -> None:
    settings = b.meta.get("settings", b.state.settings)
    if settings is not None:  # the generators read the cap from the settings
        b.meta["settings"] = msgspec.structs.replace(settings, limits=e.limits)


def _layout_recomputed(b: _Builder, e: LayoutRecomputed, env: Envelope) -> None:
    b.embeddings[e.projection] = dict(e.positions)
    b.owned.add(("embeddings", e.projection))
    b.layouts[e.projection] = LayoutInfo(env.seq, e.reason)


def _notes(b: _Builder, e: NoteWritten | NoteRemoved | TagsChanged, env: Envelope) -> None:
    """Notes and tags on a model (its draft), or on the session (`model` None)."""
    if e.model is None:
        notes, tags = b.meta.get("notes", b.state.notes), b.meta.get("tags", b.state.tags)
    else:
        target = b.draft(e.model)
        if target is None:
            return  # a model this session does not have: nothing to note on
        notes, tags = target.notes, target.tags
    if type(e) is TagsChanged:
        tags = change_tags(tags, e)
    elif type(e) is NoteWritten:
        notes = write_note(notes, e, env)
    else:
        notes = remove_note(notes, e)
    if e.model is None:
        b.meta.update(notes=notes, tags=tags)
    else:
        target.notes, target.tags = notes, tags


_SUPERNET_QUEUE = frozenset(
    (SupernetTrainingQueued, SupernetTrainingStarted, SupernetTrainingFinished,
     SupernetTrainingFailed)
)  # fmt: skip


def _auto_search(b: _Builder, e: object, env: Envelope) -> None:
    searches = b.meta.get("auto_searches")
    if searches is None:  # copied once per fold
        searches = b.meta["auto_searches"] = dict(b.state.auto_searches)
    apply_auto_search(searches, e, env)


def _oneshot_draft(b: _Builder) -> OneShotDraft:
    draft = b.meta.get("oneshot")
    if not isinstance(draft, OneShotDraft):
        draft = b.meta["oneshot"] = OneShotDraft(b.state.oneshot)
    return draft


def _oneshot(b: _Builder, e: object, env: Envelope) -> None:
    draft = _oneshot_draft(b)
    ONESHOT_HANDLERS[type(e)](draft, e, env)
    if type(e) in _SUPERNET_QUEUE:  # a supernet training is an entry of the queue
        r = draft.supernets.get(e.supernet)
        if r is None or r.status != "queued":
            b.queue.pop(e.supernet, None)
        elif type(e) is SupernetTrainingFailed:  # retried: back at the head
            b.queue = {e.supernet: None, **{m: None for m in b.queue if m != e.supernet}}
        else:
            b.queue[e.supernet] = None


# One row per event kind but "epoch completed", which `_run` folds inline (the most
# frequent kind: no call per epoch). A test holds the table to the `Event` union.
_HANDLERS = {
    SessionCreated: _session_created,
    ModelCreated: _model_created,
    TrainingQueued: _training_queued,
    TrainingStarted: _training_started,
    TrainingFinished: _training_finished,
    TrainingFailed: _training_failed,
    TrainingCancelled: _training_cancelled,
    QueueReordered: _queue_reordered,
    DrawerChanged: _drawer_changed,
    ViewChanged: _view_changed,
    ModelEmbedded: _model_embedded,
    LayoutRecomputed: _layout_recomputed,
    QueuePaused: _queue_paused,
    QueueResumed: _queue_paused,
    ConcurrencyChanged: _concurrency_changed,
    k.MedianRuleChanged: _median_rule_changed,  # issue 21: the rule for any training
    k.TrainingMedianStopped: _training_median_stopped,
    LimitsChanged: _limits_changed,
    ModelImported: _model_imported,  # issue 20
    **dict.fromkeys(ONESHOT_HANDLERS, _oneshot),  # issue 18: one-shot kinds
    **dict.fromkeys(AUTO_SEARCH_HANDLERS, _auto_search),  # issue 21: steering kinds
    **dict.fromkeys((NoteWritten, NoteRemoved, TagsChanged), _notes),  # issue 22
}


def _run(b: _Builder, envelopes: Iterable[Envelope]) -> None:
    handlers = _HANDLERS
    models = b.models
    last = b.last_seq
    for env in envelopes:
        seq = env.seq
        if seq <= last:
            continue  # already folded: a replay may overlap the state it starts from
        event = env.event
        if type(event) is EpochCompleted:  # most events are epochs: no call for them
            m = models.get(event.model)
            if m is not None:
                if type(m) is not _Draft:
                    m = b.draft(event.model)
                if m.status == "running" and m.attempts == event.attempt:
                    m.curve.append(event.metrics)
                    m.epoch_at.append(env.at)
        else:
            handlers[type(event)](b, event, env)
        last = seq
    b.last_seq = last


def apply(state: SessionState, envelope: Envelope) -> SessionState:
    """The state after `envelope`'s event (pure: `state` is left as it was). An
    envelope at or below ``state.last_seq`` is already folded in: `state` comes back."""
    if envelope.seq <= state.last_seq:
        return state
    b = _Builder(state)
    _run(b, (envelope,))
    return b.freeze()


def fold(envelopes: Iterable[Envelope], state: SessionState | None = None) -> SessionState:
    """The state after every envelope in order, starting from `state` (default: the
    empty state). Envelopes at or below the state's ``last_seq`` are skipped."""
    # A fold allocates only what the new state keeps: nothing for the collector to
    # find, so it is paused (if it was running) rather than left to rescan the heap.
    collecting = gc.isenabled()
    gc.disable()
    try:
        b = _Builder(SessionState() if state is None else state)
        _run(b, envelopes)
        return b.freeze()
    finally:
        if collecting:
            gc.enable()


def state_at(envelopes: Iterable[Envelope], seq: int) -> SessionState:
    """The view at `seq`: the fold of the envelopes with seq <= `seq`."""
    return fold(e for e in envelopes if e.seq <= seq)


def load_state(store, session: str, *, upto: int | None = None) -> SessionState:
    """Replay `session` from `store` (an `EventStore`): the state at its last seq, or
    at `upto`."""
    envelopes = store.read(session)
    return fold(envelopes) if upto is None else state_at(envelopes, upto)
