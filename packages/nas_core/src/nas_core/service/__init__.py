"""The session service (`SessionService`: the one owner of the store, REMAP's loop of
train → record → embed) and its parts: embedding finished models into the two learned
projections, the Dramatiq broker, actors and in-process workers, the messages on its
queues, the attempts' claims and cancel flags."""

from .actors import MAX_ATTEMPTS, STOPPED, Actors, Runner, Runtime, declare_actors
from .broker import EmbeddedWorker, check_redis_url, make_broker, start_worker
from .cancel import CancelFlags, MemoryCancelFlags, RedisCancelFlags, stopper
from .claims import Claims, MemoryClaims, RedisClaims
from .embedding import PROJECTIONS, Embedder, EmbedderSnapshot, EmbeddingError, EmbedUpdate
from .messages import EVENTS_QUEUE, TRAIN_QUEUE, EventRecord, TrainTask, event_id
from .restore import Restored, RestoreError, SessionSetAside, restore
from .session import Outcome, Progress, SessionService
from .snapshots import Snapshot, SnapshotStore

__all__ = [
    "EVENTS_QUEUE",
    "MAX_ATTEMPTS",
    "PROJECTIONS",
    "STOPPED",
    "TRAIN_QUEUE",
    "Actors",
    "CancelFlags",
    "Claims",
    "EmbedUpdate",
    "EmbeddedWorker",
    "Embedder",
    "EmbedderSnapshot",
    "EmbeddingError",
    "EventRecord",
    "MemoryCancelFlags",
    "MemoryClaims",
    "Outcome",
    "Progress",
    "RedisCancelFlags",
    "RedisClaims",
    "RestoreError",
    "Restored",
    "Runner",
    "Runtime",
    "SessionService",
    "SessionSetAside",
    "Snapshot",
    "SnapshotStore",
    "TrainTask",
    "check_redis_url",
    "declare_actors",
    "event_id",
    "make_broker",
    "restore",
    "start_worker",
    "stopper",
]
