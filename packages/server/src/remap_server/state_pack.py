"""The lean first payload of a big session (issue 20): ``GET …/state/overview`` and
one model's full record, ``GET …/models/{model}/state``.

`GET …/state` answers every model whole (its architecture, every epoch, its test
predictions and confusion: 3–4 KB of JSON a model), which at 100,000 models is far
more than the overview's first paint draws. The overview form is the same state with
its models packed by column (`PackedModels`: little-endian typed arrays, base64 in
JSON, one entry per model in creation order) holding only what the overview, the
header and the queue read of a finished model; models whose record can still change
(created, queued, running), the drawer's and those with tags or notes come whole in
`full`. A page folds on from it as from `GET …/state` (the same `last_seq`, the stream
resumed right after it) and fetches a model's whole record when it needs it
(`model_state`, which says the seq it is at, so the page folds the events after that
seq onto it: nothing is lost or folded twice).
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from datetime import datetime

import msgspec
import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from nas_core.arch.layers import Input
from nas_core.events import SessionState
from nas_core.events.fold import STATUSES, LayoutInfo, ModelState, View
from nas_core.events.fold_auto_search import AutoSearchRecord
from nas_core.events.fold_notes import Note
from nas_core.events.fold_oneshot import OneShotState
from nas_core.events.kinds import Split
from nas_core.service import SessionSetAside
from nas_core.specs import DataSpec, Settings

from .errors import ApiError

__all__ = [
    "ModelRecord",
    "OverviewState",
    "PackedModels",
    "model_state",
    "overview_state",
    "pack_overview",
]

PER_CLASS_SCALE = 65534  # per-class accuracies as uint16 k / 65534; 65535: none
_WHOLE = frozenset({"created", "queued", "running"})  # records a tail event may change
_encode = msgspec.json.Encoder().encode


class PackedModels(msgspec.Struct, kw_only=True):
    """Every model of a session by column, in creation order; each bytes field is a
    little-endian typed array of `count` entries (base64 in JSON). `status`: uint8,
    an index into `statuses`; `origin`: uint8, an index into `origin_kinds` (the
    origin's ``type``); `parent`: int32, the parent's index in `ids` (−1: none);
    `params`, `flops`, `created_seq`: float64; `epochs`: uint16, the length of the
    current curve; `val_last`, `val_best`, `test_acc`: float32 (NaN: none yet);
    `per_class`: uint16, `classes` entries a model, the test recall of each class
    times 65534 (65535: no result); `started_s`: float64 (NaN: none); `finished_ms`:
    float64, the current attempt's end in ms since 1970 (NaN: none); `positions`:
    projection → float32 (x, y) pairs (NaN: not placed)."""

    count: int
    ids: list[str]
    statuses: list[str]
    status: bytes
    origin_kinds: list[str]
    origin: bytes
    parent: bytes
    params: bytes
    flops: bytes
    created_seq: bytes
    epochs: bytes
    val_last: bytes
    val_best: bytes
    test_acc: bytes
    classes: int
    per_class: bytes
    started_s: bytes
    finished_ms: bytes
    positions: dict[str, bytes]


class OverviewState(msgspec.Struct, kw_only=True):
    """`SessionState` with its models packed (`PackedModels`) and `full` holding the
    whole records of the models not finished and of the drawer's; no embeddings map
    (the positions are columns) and no search space (only the server keeps it)."""

    session: str
    name: str
    created_at: str | None
    data: DataSpec | None
    settings: Settings | None
    class_names: tuple[str, ...]
    split: Split | None
    input: Input | None
    search_space_hash: str
    queue: tuple[str, ...]
    drawer: tuple[str, ...]
    view: View
    layouts: dict[str, LayoutInfo]
    last_seq: int
    paused: bool
    oneshot: OneShotState
    auto_searches: dict[str, AutoSearchRecord]
    concurrency: int | None
    models: PackedModels
    full: dict[str, ModelState]
    tags: tuple[str, ...] = ()  # the session's own (issue 22)
    notes: tuple[Note, ...] = ()


class ModelRecord(msgspec.Struct):
    """One model's whole record (as `GET …/state` has it) in the session's fold at
    `last_seq`."""

    last_seq: int
    model: ModelState


def _ms(iso: str | None) -> float:
    return float("nan") if iso is None else datetime.fromisoformat(iso).timestamp() * 1000


def pack_overview(state: SessionState) -> OverviewState:
    """The overview form of `state` (pure). One pass over the models into lists, then
    one array each: at 100,000 models per-model numpy calls would dominate. The
    collector is paused meanwhile: the lists' floats would set off full collections
    over the state's millions of objects (most of the time, at 100,000 models)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _pack(state)
    finally:
        if enabled:
            gc.enable()


def _pack(state: SessionState) -> OverviewState:
    models = list(state.models.values())
    ids = list(state.models)
    n = len(models)
    index = {m: i for i, m in enumerate(ids)}
    status_of = {s: i for i, s in enumerate(STATUSES)}
    kinds: dict[str, int] = {}
    nan = float("nan")
    classes = len(state.class_names)
    no_result = (nan,) * classes
    tags: dict[type, int] = {}
    for m in models:  # __struct_config__ builds an object each call: once a type
        kind = type(m.origin)
        if kind not in tags:
            tags[kind] = kinds.setdefault(kind.__struct_config__.tag, len(kinds))
    curves = [m.curve for m in models]
    results = [m.result for m in models]
    # a list comprehension a column: several times faster than one loop appending to many
    cols = {
        "status": [status_of[m.status] for m in models],
        "origin": [tags[type(m.origin)] for m in models],
        "parent": [-1 if m.parent is None else index.get(m.parent, -1) for m in models],
        "params": [m.params for m in models],
        "flops": [m.flops for m in models],
        "seq": [m.created_seq for m in models],
        "epochs": [min(len(c), 65535) for c in curves],
        "last": [c[-1].val_acc if c else nan for c in curves],
        "best": [max([e.val_acc for e in c]) if c else nan for c in curves],
        "test": [nan if r is None else r.test_acc for r in results],
        "per_class": [
            no_result if r is None
            else r.per_class_acc if len(r.per_class_acc) == classes
            else (tuple(r.per_class_acc) + no_result)[:classes]
            for r in results
        ],
        "started": [nan if m.started_s is None else m.started_s for m in models],
        "finished": [_ms(m.finished_at) for m in models],
    }  # fmt: skip
    per = np.array(cols["per_class"], np.float64).reshape(n, classes)
    per_class = np.where(np.isnan(per), 65535, np.rint(np.nan_to_num(per) * PER_CLASS_SCALE))
    positions = {}
    for projection, placed in state.embeddings.items():
        xy = np.full((n, 2), nan, np.float32)
        pairs = [(index[model], point) for model, point in placed.items() if model in index]
        if pairs:
            rows, points = zip(*pairs, strict=True)
            xy[np.array(rows)] = np.array(points, np.float32).reshape(-1, 2)
        positions[projection] = xy.tobytes()

    def col(name: str, dtype: str) -> bytes:
        return np.array(cols[name], dtype).tobytes()

    packed = PackedModels(
        count=n, ids=ids, statuses=list(STATUSES), status=col("status", "u1"),
        origin_kinds=list(kinds), origin=col("origin", "u1"), parent=col("parent", "<i4"),
        params=col("params", "<f8"), flops=col("flops", "<f8"), created_seq=col("seq", "<f8"),
        epochs=col("epochs", "<u2"), val_last=col("last", "<f4"), val_best=col("best", "<f4"),
        test_acc=col("test", "<f4"), classes=classes,
        per_class=per_class.astype("<u2").tobytes(), started_s=col("started", "<f8"),
        finished_ms=col("finished", "<f8"), positions=positions,
    )  # fmt: skip
    drawer = set(state.drawer)
    # tagged or annotated models come whole: the drawer, the lineage and the filters
    # show their tags and notes from the first paint (few models carry any)
    full = {m.id: m for m in models if m.status in _WHOLE or m.id in drawer or m.tags or m.notes}
    return OverviewState(
        session=state.session, name=state.name, created_at=state.created_at, data=state.data,
        settings=state.settings, class_names=state.class_names, split=state.split,
        input=state.input, search_space_hash=state.search_space_hash, queue=state.queue,
        drawer=state.drawer, view=state.view, layouts=state.layouts, last_seq=state.last_seq,
        paused=state.paused, oneshot=state.oneshot, auto_searches=state.auto_searches,
        concurrency=state.concurrency, models=packed, full=full, tags=state.tags,
        notes=state.notes,
    )  # fmt: skip


# The encoded answer of the last few (store, session, seq): a page reloaded, or a second
# tab, on a big session that has not moved costs nothing.
_cache: OrderedDict[tuple[int, str, int], bytes] = OrderedDict()
_cache_lock = threading.Lock()
_CACHED = 4


def _current(hub, session: str) -> SessionState:
    try:
        return hub.service.state(session)
    except SessionSetAside:  # its log does not restore, yet it may still fold (as /state)
        from nas_core.events import load_state

        return load_state(hub.store, session)


def _overview_bytes(hub, session: str) -> bytes:
    state = _current(hub, session)
    key = (id(hub.store), session, state.last_seq)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    body = _encode(pack_overview(state))
    with _cache_lock:
        _cache[key] = body
        while len(_cache) > _CACHED:
            _cache.popitem(last=False)
    return body


async def overview_state(request: Request) -> Response:
    hub = request.app.state.hub
    session = hub.session_id(request)
    body = await run_in_threadpool(_overview_bytes, hub, session)
    return Response(body, media_type="application/json")


async def model_state(request: Request) -> Response:
    hub = request.app.state.hub
    session = hub.session_id(request)
    model = request.path_params["model"]
    state = await run_in_threadpool(_current, hub, session)
    record = state.models.get(model)
    if record is None:
        raise ApiError(404, f"no model {model!r} in session {session}")
    return Response(_encode(ModelRecord(state.last_seq, record)), media_type="application/json")
