"""An Optuna study as a search file (issue 20), read with optuna itself.

`storage` is an RDB URL (``sqlite:///study.db``) or a journal file (a path: read with
``JournalStorage(JournalFileBackend(path))``). Every finished or pruned trial is one
model, in trial-number order (a pruned trial is a training a Hyperband-style pruner cut
short: it is part of how the search went). The mapping:

- architecture: the trial's user attribute ``"architecture"`` (REMAP's architecture
  JSON or a Keras Sequential ``to_json()``, as an object or a JSON string); else its
  params ``n_layers`` and, for each layer i from 0, ``layer{i}_type`` (a REMAP layer
  type: conv, maxpool, avgpool, dense, dropout, batchnorm, relu, tanh, sigmoid,
  flatten) with ``layer{i}_filters``, ``layer{i}_kernel``, ``layer{i}_pool``,
  ``layer{i}_units``, ``layer{i}_rate`` as the type takes them. The input is the
  session's (or the study's user attribute ``"input"``).
- epochs: the intermediate values, in step order, are the validation accuracies of
  epochs 1, 2, …; their ``wall_s``: the user attribute ``"epoch_wall_s"`` (a list, the
  training time when each epoch ended), else the trial's duration spread evenly over
  them (Optuna records no time per report). A trial with no intermediate value is one
  epoch whose validation accuracy is the user attribute ``"val_acc"``, else its value.
- test accuracy: the user attribute ``"test_acc"``, else the trial's value when the
  study maximizes and the value is in [0, 1] (a finished trial only).
- ``params``: user attribute ``"params"``; predictions: user attribute
  ``"predictions"``; ``started_s``: the trial's ``datetime_start`` less the study's
  first one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .search_file import LineError, SearchFile, SearchFileError, parse_search_lines

__all__ = ["LAYER_FIELDS", "read_optuna_study"]

LAYER_FIELDS = {
    "conv": ("filters", "kernel"), "maxpool": ("pool",), "avgpool": ("pool",),
    "dense": ("units",), "dropout": ("rate",),
}  # fmt: skip


def _storage(storage: str):
    import optuna

    if "://" in storage:
        return storage
    path = Path(storage)
    if not path.is_file():
        raise SearchFileError(
            [LineError(1, "$", f"no such journal file {storage!r} (or give an RDB URL)")],
            storage,
        )
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    del optuna
    return JournalStorage(JournalFileBackend(str(path)))


def _architecture(trial) -> dict[str, Any]:
    arch = trial.user_attrs.get("architecture")
    if isinstance(arch, str):
        try:
            return json.loads(arch)
        except ValueError:
            return {"user attribute architecture": arch}  # refused by the format check
    if isinstance(arch, dict):
        return arch
    params = trial.params
    layers = []
    for i in range(int(params.get("n_layers", 0))):
        kind = params.get(f"layer{i}_type")
        layer: dict[str, Any] = {"type": kind}
        for name in LAYER_FIELDS.get(kind, ()):
            if f"layer{i}_{name}" in params:
                layer[name] = params[f"layer{i}_{name}"]
        layers.append(layer)
    return {"layers": layers}


def _line(trial, first_start, maximize: bool) -> dict[str, Any]:
    attrs = trial.user_attrs
    steps = sorted(trial.intermediate_values.items())
    duration = 0.0
    if trial.datetime_start is not None and trial.datetime_complete is not None:
        duration = (trial.datetime_complete - trial.datetime_start).total_seconds()
    if steps:
        walls = attrs.get("epoch_wall_s")
        if not isinstance(walls, list) or len(walls) != len(steps):
            walls = [duration * (k + 1) / len(steps) for k in range(len(steps))]
        epochs = [
            {"epoch": k + 1, "wall_s": w, "val_acc": v}
            for k, ((_, v), w) in enumerate(zip(steps, walls, strict=True))
        ]
    else:
        epochs = [{"epoch": 1, "wall_s": duration, "val_acc": attrs.get("val_acc", trial.value)}]
    line: dict[str, Any] = {
        "name": f"trial {trial.number}", "architecture": _architecture(trial), "epochs": epochs,
    }  # fmt: skip
    complete = trial.state.name == "COMPLETE"
    test = attrs.get("test_acc")
    if test is None and complete and maximize and trial.value is not None:
        test = trial.value if 0.0 <= trial.value <= 1.0 else None
    if test is not None:
        line["test_acc"] = test
    for key in ("params", "predictions"):
        if key in attrs:
            line[key] = attrs[key]
    if trial.datetime_start is not None and first_start is not None:
        line["started_s"] = (trial.datetime_start - first_start).total_seconds()
    return line


def read_optuna_study(storage: str, study: str) -> SearchFile:
    """The finished and pruned trials of `study` in `storage` as a `SearchFile` (see the
    module for the mapping); its errors name the trial."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    where = f"optuna study {study!r} in {storage}"
    try:
        loaded = optuna.load_study(study_name=study, storage=_storage(storage))
    except KeyError:
        raise SearchFileError([LineError(1, "$", f"no study named {study!r}")], where) from None
    trials = [
        t for t in loaded.get_trials(deepcopy=False)
        if t.state.name in ("COMPLETE", "PRUNED")
    ]  # fmt: skip
    trials.sort(key=lambda t: t.number)
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    first = min(starts) if starts else None
    maximize = loaded.direction.name == "MAXIMIZE" if len(loaded.directions) == 1 else False
    header: dict[str, Any] = {"format": "remap-search", "source": where}
    if isinstance(loaded.user_attrs.get("input"), dict):
        header["input"] = loaded.user_attrs["input"]
    rows = [json.dumps(header)] + [json.dumps(_line(t, first, maximize)) for t in trials]
    try:
        return parse_search_lines("\n".join(rows))
    except SearchFileError as error:  # line k + 1 is trial trials[k - 1]
        errors = [
            LineError(e.line, e.path, f"(trial {trials[e.line - 2].number}) {e.reason}")
            if 2 <= e.line <= len(trials) + 1 else e
            for e in error.errors
        ]  # fmt: skip
        raise SearchFileError(errors, where) from None
