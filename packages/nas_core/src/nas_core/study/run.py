"""Running a study (issue 21): every (task, policy, seed) is one ordinary session of a
`SessionService`, trained to the study's largest budget; the I/O edge of
`nas_core.study` (the pure parts: `spec`, `users`, `measure`, `aggregate`).

An automated search is started with "start auto search" and a model-epoch budget; a
scripted user's commands are executed one at a time, each after the models of the one
before have trained, and trimmed to the budget left (fewer variations, a subset of
the ablations). Each session trains one model at a time (concurrency 1), so what a
policy has seen when it decides never depends on timing, and the study is the same
every time; `parallel` sessions run at once. When a run is over, its Pareto front
goes into its drawer ("study-done"): whoever opens the session sees what it found,
and a study run again reuses the sessions that are over (an interrupted automated
search resumes; an interrupted scripted user cannot, it says so)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec
import numpy as np

from nas_core.events import CommandError, SessionState
from nas_core.events.commands import (
    Ablate,
    Command,
    DrawerAdd,
    Handcraft,
    Sample,
    StartAutoSearch,
    Vary,
)
from nas_core.specs import DataSpec, Settings

from .aggregate import RunKey
from .measure import Found, found_within, spent_epochs
from .spec import SCRIPTED, StudyError, StudySpec, run_session_id
from .tasks import noisy_digits
from .users import front_models, make_user

__all__ = ["DONE", "Run", "fit_budget", "run_study", "task_data"]

DONE = "study-done"
"""The id of the command that ends a run (its front into the drawer)."""
STALE = 50
"""A scripted user whose commands made no model this many times in a row is done."""

Progress = Callable[[str, int], object]
"""Told (session, model-epochs queued so far) as a run goes."""


class Run(msgspec.Struct, frozen=True):
    task: str
    policy: str
    seed: int
    session: str


def task_data(task: str, root: Path, limit: int | None = None) -> DataSpec:
    """The data set of `task` (at most `limit` training examples); ``noisy-digits`` is
    written under `root` once."""
    if task == "digits":
        return DataSpec(limit=limit)
    if task == "noisy-digits":
        path = (root / "study-data" / "noisy-digits.npz").resolve()
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_suffix(".part.npz")
            np.savez_compressed(part, **noisy_digits(0))
            os.replace(part, path)  # whole or not at all
        return DataSpec(kind="npz", path=str(path), limit=limit)
    raise StudyError(f"--tasks: no task {task!r}")


def run_study(
    spec: StudySpec,
    service,
    root: Path,
    *,
    parallel: int = 2,
    on_progress: Progress | None = None,
) -> tuple[list[Run], dict[RunKey, Found]]:
    """Run `spec` (its sessions in `service`'s store, data under `root`); the runs and
    what each found within each budget."""
    data = {task: task_data(task, root, spec.limit) for task in spec.tasks}
    runs = [
        Run(task, policy, seed, run_session_id(spec, task, policy, seed))
        for task in spec.tasks for policy in spec.policies for seed in range(spec.seeds)
    ]  # fmt: skip
    tell = on_progress or (lambda session, spent: None)
    lock = threading.Lock()

    def one(run: Run) -> SessionState:
        state = _run(spec, service, run, data[run.task], lambda s: _told(lock, tell, run, s))
        return state

    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="study") as pool:
        states = list(pool.map(one, runs))
    found = {
        (run.task, run.policy, run.seed, budget): found_within(state, budget)
        for run, state in zip(runs, states, strict=True)
        for budget in spec.budgets
    }
    return runs, found


def _told(lock: threading.Lock, tell: Progress, run: Run, spent: int) -> None:
    with lock:
        tell(run.session, spent)


def _run(spec: StudySpec, service, run: Run, data: DataSpec, tell) -> SessionState:
    session = run.session
    settings = Settings(train=spec.train, concurrency=1)
    if service.store.session(session) is None:
        name = f"study: {run.policy} on {run.task}, seed {run.seed}"
        service.create_session(name, data, settings, session=session, command_id="create")
    elif service.store.find(session, f"{DONE}:0") is not None:
        state = service.state(session)
        tell(spent_epochs(state))
        return state
    elif run.policy in SCRIPTED and service.state(session).models:
        raise StudyError(
            f"session {session} holds a scripted user's run that was interrupted, and a "
            "scripted user cannot take up where it stopped: give another --out"
        )

    def progress(_p) -> None:
        tell(spent_epochs(service.state(session)))

    if run.policy in SCRIPTED:
        state = _drive_user(spec, service, run, progress)
    else:
        options = {"candidates": spec.bayesopt_candidates} if run.policy == "bayesopt" else {}
        service.execute(session, StartAutoSearch(
            id="study-search", strategy=run.policy, budget_epochs=spec.max_budget,
            epochs=spec.train.epochs, seed=run.seed, options=options,
        ))  # fmt: skip
        state = service.wait_idle(session, on_progress=progress)
    front = tuple(m.id for m in front_models(state))
    if front:
        service.execute(session, DrawerAdd(id=DONE, models=front))
    return service.state(session)


def _drive_user(spec: StudySpec, service, run: Run, progress) -> SessionState:
    user = make_user(run.policy, run.seed, spec.overview, spec.variations)
    state = service.state(run.session)
    stale = 0
    try:
        command = next(user)
        while stale < STALE:
            fitted = fit_budget(command, spec.max_budget - spent_epochs(state), spec.train.epochs)
            if fitted is None:
                break
            before = len(state.models)
            # nothing to make (every child a duplicate, say): the user goes on
            with contextlib.suppress(CommandError):
                service.execute(run.session, fitted)
            state = service.wait_idle(run.session, on_progress=progress)
            stale = 0 if len(state.models) > before else stale + 1
            command = user.send(state)
    except StopIteration:
        pass
    return service.wait_idle(run.session)


def fit_budget(command: Command, left: int, epochs: int) -> Command | None:
    """`command` cut to what `left` model-epochs pay for (models of `epochs` each);
    None when not even one model fits."""
    most = left // max(1, epochs)
    if most < 1:
        return None
    replace = msgspec.structs.replace
    if isinstance(command, Sample | Vary):
        return replace(command, count=min(command.count, most))
    if isinstance(command, Ablate):
        return replace(command, indices=command.indices[:most])
    if isinstance(command, Handcraft):
        return command
    raise TypeError(f"a scripted user sent {type(command).__name__}, which the study cannot pay")
