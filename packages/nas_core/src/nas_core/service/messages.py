"""What travels on the broker: the two queues, their messages, and the ids of the
events a training reports.

- ``"train"`` carries `TrainTask` (a `TrainJob`, its session and attempt) to
  ``train_model``;
- ``"events"`` carries `EventRecord` (one training event for a session's log) to
  ``record_events``, in the process that owns the store.

Record ids are deterministic (`event_id`: ``f"{model}:{attempt}:started"``,
``…:epoch:{n}``, ``…:finished``, ``…:failed``, ``…:cancelled``), so a redelivered
message is a no-op in the store. `pending_tasks` and `pending_records` read what a
Redis broker holds on a queue (the watchdog's view of what is on its way).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

import dramatiq
import msgspec

from nas_core.events import (
    EpochCompleted,
    TrainingCancelled,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
)
from nas_core.training import TrainJob

__all__ = [
    "EVENTS_QUEUE",
    "TRAIN_QUEUE",
    "EventRecord",
    "TrainTask",
    "TrainingEvent",
    "decode_record",
    "decode_task",
    "encode",
    "event_id",
    "pending_records",
    "pending_tasks",
]

TRAIN_QUEUE = "train"
EVENTS_QUEUE = "events"

log = logging.getLogger(__name__)

Attempt = Annotated[int, msgspec.Meta(ge=1)]
TrainingEvent = (
    TrainingStarted | EpochCompleted | TrainingFinished | TrainingFailed | TrainingCancelled
)


class TrainTask(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A ``train_model`` message: which session's model to train, how, which attempt.
    `tries`: what this attempt counts against the retry budget (`ModelState.tries` once
    it starts; ``None``: as many as `attempt`)."""

    session: Annotated[str, msgspec.Meta(min_length=1)]
    job: TrainJob
    attempt: Attempt = 1
    tries: Attempt | None = None

    @property
    def counted(self) -> int:
        """The tries this attempt makes, counting itself (see `tries`)."""
        return self.attempt if self.tries is None else self.tries


class EventRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A ``record_events`` message: an event for `session`'s log with its
    deterministic `id`. The owner appends it as ``Pending(id, event)``.

    `n`: its place among the records of its attempt (0: the first), `after`: the id of
    the record before it (None for the first): the owner appends an attempt's records
    in that order whatever order they arrive in (`nas_core.service.in_order`). Both
    None: a record from outside the attempt's run (a dead holder's failure, recorded by
    whoever found it), appended as it comes."""

    session: Annotated[str, msgspec.Meta(min_length=1)]
    id: Annotated[str, msgspec.Meta(min_length=1)]
    event: TrainingEvent
    n: Annotated[int, msgspec.Meta(ge=0)] | None = None
    after: str | None = None

    @property
    def attempt(self) -> tuple[str, str, int] | None:
        """(session, model, attempt) of an in-order record, else None."""
        if self.n is None:
            return None
        number = getattr(self.event, "attempt", None)
        if number is None:  # a "training cancelled" of an older worker: as it comes
            return None
        return self.session, self.event.model, number


def event_id(model: str, attempt: int, step: str) -> str:
    """The deterministic id of a training event: ``f"{model}:{attempt}:{step}"``."""
    return f"{model}:{attempt}:{step}"


encode = msgspec.json.Encoder().encode
decode_task = msgspec.json.Decoder(TrainTask).decode
decode_record = msgspec.json.Decoder(EventRecord).decode


def pending_tasks(broker: dramatiq.Broker, queue: str = TRAIN_QUEUE) -> set[tuple[str, str, int]]:
    """(session, model, attempt) of every ``train_model`` message a Redis broker holds
    on `queue` (waiting or fetched and not acked)."""
    return {(t.session, t.job.model_id, t.attempt) for t in _messages(broker, queue, decode_task)}


def pending_records(broker: dramatiq.Broker) -> set[tuple[str, str]]:
    """(session, model) of every ``record_events`` message not yet recorded."""
    return {
        (r.session, getattr(r.event, "model", ""))
        for r in _messages(broker, EVENTS_QUEUE, decode_record)
    }


def _messages(broker: dramatiq.Broker, queue: str, decode: Callable[[bytes], object]) -> list:
    out = []
    for raw in broker.client.hvals(f"{broker.namespace}:{queue}.msgs"):  # type: ignore[attr-defined]
        try:
            args = msgspec.json.decode(raw)["args"]
            out.append(decode(args[0]))
        except (msgspec.DecodeError, KeyError, IndexError, TypeError):
            log.warning("an unreadable message on queue %s: %.200r", queue, raw)
    return out
