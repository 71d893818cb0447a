"""The session service (`SessionService`: the one owner of the store, REMAP's loop of
train → record → embed) and its parts: embedding finished models into the two learned
projections, the Dramatiq broker, actors and in-process workers, and cancel flags."""

from .actors import (
    EVENTS_QUEUE,
    MAX_ATTEMPTS,
    TRAIN_QUEUE,
    Actors,
    EventRecord,
    Runner,
    Runtime,
    TrainTask,
    declare_actors,
    event_id,
)
from .broker import EmbeddedWorker, check_redis_url, make_broker, start_worker
from .cancel import CancelFlags, MemoryCancelFlags, RedisCancelFlags, stopper
from .embedding import PROJECTIONS, Embedder, EmbeddingError, EmbedUpdate
from .session import Outcome, Progress, SessionService

__all__ = [
    "EVENTS_QUEUE",
    "MAX_ATTEMPTS",
    "PROJECTIONS",
    "TRAIN_QUEUE",
    "Actors",
    "CancelFlags",
    "EmbedUpdate",
    "EmbeddedWorker",
    "Embedder",
    "EmbeddingError",
    "EventRecord",
    "MemoryCancelFlags",
    "Outcome",
    "Progress",
    "RedisCancelFlags",
    "Runner",
    "Runtime",
    "SessionService",
    "TrainTask",
    "check_redis_url",
    "declare_actors",
    "event_id",
    "make_broker",
    "start_worker",
    "stopper",
]
