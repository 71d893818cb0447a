"""How long a training took as one waits for it: from its "training started" to its
"training finished" as the log recorded them. That span holds what `TrainResult.wall_s`
does not (it times `train` alone): the worker taking the job up, loading the data set,
reporting back. Fitting the estimate on it is what calibrates the per-model overhead
(issue 17: ablations estimated 0.5 s took 2.3–3.1 s). Pure: reads envelopes' ``at``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

# the events' own module: `restore` imports this, and the `nas_core.events` package
# imports `restore` (see there)
from nas_core.events.kinds import Envelope, TrainingFinished, TrainingStarted

__all__ = ["observed_seconds", "started_key", "training_seconds"]


def started_key(event: TrainingStarted | TrainingFinished) -> tuple[str, int]:
    """The attempt an event belongs to: its model and attempt."""
    return event.model, event.attempt


def observed_seconds(started_at: str | None, finished_at: str, wall_s: float) -> float:
    """The seconds a training took from its start to its end as recorded, never less
    than the trainer's own `wall_s` (nor that alone when a time does not read)."""
    start, end = _seconds(started_at), _seconds(finished_at)
    if start is None or end is None:
        return wall_s
    return max(wall_s, end - start)


def training_seconds(envelopes: Iterable[Envelope]) -> dict[str, float]:
    """Each finished model's `observed_seconds` (of its last finished attempt)."""
    started: dict[tuple[str, int], str] = {}
    seconds: dict[str, float] = {}
    for env in envelopes:
        event = env.event
        if isinstance(event, TrainingStarted):
            started.setdefault(started_key(event), env.at)  # a redelivery starts nothing
        elif isinstance(event, TrainingFinished):
            at = started.get(started_key(event))
            seconds[event.model] = observed_seconds(at, env.at, event.result.wall_s)
    return seconds


def _seconds(at: str | None) -> float | None:
    if at is None:
        return None
    try:
        return datetime.fromisoformat(at).timestamp()
    except ValueError:
        return None
