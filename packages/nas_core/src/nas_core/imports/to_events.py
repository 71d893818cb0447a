"""A parsed search file as the events that import it ("model imported", one a model).

Pure: the session's state, the search's id and source in, the events (or every line's
errors, `SearchFileError`) out. An architecture must validate as REMAP trains it and
take the session's input (the children of an imported model train on the session's
data); predictions must have one label per test example of the session's data.

Built for 100,000 lines a go (issue 20): an architecture a search trained many times is
checked and counted once, and the predictions of every model are gathered into one
label table and packed together (`import_batch`), the table the embedder then takes.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np

from nas_core.arch import (
    ArchitectureError,
    arch_hash,
    count_flops,
    count_params,
    decode_architecture,
    validate,
)
from nas_core.events.fold import SessionState
from nas_core.events.kinds import Imported, ModelImported, Pending
from nas_core.packed import pack_label_rows
from nas_core.specs import EpochMetrics, TrainResult

from .keras import KerasError, is_keras, keras_to_architecture
from .search_file import LineError, SearchFile, SearchFileError, SearchModel

__all__ = ["ImportBatch", "import_batch", "import_events"]


class ImportBatch(msgspec.Struct, frozen=True):
    """The events of an import, in the file's order, and the predictions of the models
    that recorded them: `predicted` (positions in `events`) and `predictions`, one row
    of labels each (a 2-D integer array, the rows in that order)."""

    events: list[Pending]
    predicted: tuple[int, ...]
    predictions: Any  # np.ndarray (msgspec has no type for it)


def _next_ids(state: SessionState, n: int) -> list[str]:
    ids: list[str] = []
    k = len(state.models) + 1
    while len(ids) < n:
        if f"m{k}" not in state.models:
            ids.append(f"m{k}")
        k += 1
    return ids


def _architecture(model: SearchModel, model_id: str, state: SessionState, search: SearchFile):
    raw: dict[str, Any] = model.architecture
    prefix = "$.architecture"
    if is_keras(raw):
        try:
            raw = keras_to_architecture(raw)
        except KerasError as error:
            raise _Refused(prefix + error.path[1:], error.reason) from None
    raw = {**raw, "name": model_id}
    if "input" not in raw:
        default = search.header.input if search.header is not None else None
        default = default or state.input
        if default is not None:
            raw["input"] = msgspec.to_builtins(default)
    try:
        arch = decode_architecture(raw)
        validate(arch, None)
    except ArchitectureError as error:
        path = prefix + (error.path or "$")[1:]
        if error.path is None and error.index is not None:
            path = f"{prefix}.layers[{error.index}]"
        raise _Refused(path, error.reason) from None
    if state.input is not None and arch.input != state.input:
        raise _Refused(f"{prefix}.input", (
            f"is shape {list(arch.input.shape)} with {arch.input.classes} classes, the "
            f"session's data is {list(state.input.shape)} with {state.input.classes} "
            "(its children train on the session's data)"
        ))  # fmt: skip
    return arch


class _Refused(Exception):
    def __init__(self, path: str, reason: str) -> None:
        self.path, self.reason = path, reason


def _curve(model: SearchModel) -> tuple[EpochMetrics, ...]:
    curve, before = [], 0.0
    for e in model.epochs:
        curve.append(EpochMetrics(
            e.epoch, e.train_loss, e.train_acc, e.val_loss, e.val_acc, e.wall_s - before, None
        ))  # fmt: skip
        before = e.wall_s
    return tuple(curve)


def _result(model: SearchModel, params: int, flops: int, packed: bytes) -> TrainResult | None:
    if model.test_acc is None:
        return None
    last = model.epochs[-1]
    return TrainResult(
        epochs=last.epoch, best_epoch=last.epoch, stopped_early=False, test_loss=None,
        test_acc=model.test_acc, per_class_acc=(), confusion=(), predictions=packed,
        params=params if model.params is None else model.params, flops=flops,
        forward_ms=None, backward_ms=None, wall_s=last.wall_s, device="imported",
    )  # fmt: skip


def import_events(
    search: SearchFile, state: SessionState, *, search_id: str, source: str
) -> list[Pending]:
    """The "model imported" events of `search` into the session of `state`, in the
    file's order; raises `SearchFileError` naming each bad line (nothing to write)."""
    return import_batch(search, state, search_id=search_id, source=source).events


def import_batch(
    search: SearchFile, state: SessionState, *, search_id: str, source: str
) -> ImportBatch:
    """`import_events` with the predictions of the models that recorded them as one
    label table (`ImportBatch`); raises `SearchFileError` naming each bad line."""
    errors: list[LineError] = []
    events: list[Pending] = []
    test = None if state.split is None else state.split.test
    ids = _next_ids(state, len(search.models))
    table = search.labels if search.labels is not None else np.zeros((0, 0), dtype=np.uint8)
    width = table.shape[1]
    has_labels = set(search.labelled)
    packed = iter(pack_label_rows(table))
    predicted: list[int] = []
    kept: list[int] = []  # the rows of `table` of models that import
    row = -1
    # a search trains an architecture many times (the parser gives equal ones one
    # dict): check each once
    known: dict[int, tuple] = {}
    for k, (model, line, model_id) in enumerate(zip(search.models, search.lines, ids, strict=True)):
        labelled = k in has_labels
        labels = b""
        if labelled:
            labels, row = next(packed), row + 1
        key = id(model.architecture)
        seen = known.get(key)
        if seen is None:
            try:
                arch = _architecture(model, "m", state, search)
            except _Refused as refused:
                errors.append(LineError(line, refused.path, refused.reason))
                continue
            seen = known[key] = (arch, count_params(arch), count_flops(arch), arch_hash(arch))
        arch, params, flops, digest = seen
        arch = msgspec.structs.replace(arch, name=model_id)
        if labelled and test and width != test:
            errors.append(LineError(line, "$.predictions", (
                f"has {width} labels, the session's test set has {test} "
                "examples (one label per test example, in its order)"
            )))  # fmt: skip
            continue
        origin = Imported(search=search_id, source=source, line=line, name=model.name)
        result = _result(model, params, flops, labels)
        event = ModelImported(
            model=model_id, arch=arch, origin=origin,
            description=f"imported: {model.name} (line {line} of {source})",
            params=params, flops=flops, arch_hash=digest, curve=_curve(model),
            result=result, started_s=model.started_s,
        )  # fmt: skip
        if result is not None and labels:
            predicted.append(len(events))
            kept.append(row)
        events.append(Pending(f"{search_id}:{line}", event))
    if errors:
        raise SearchFileError(errors, source)
    return ImportBatch(events, tuple(predicted), table[kept] if kept else table[:0])
