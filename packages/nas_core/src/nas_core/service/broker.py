"""The Dramatiq broker of a deployment, and the in-process worker of the embedded mode.

- ``make_broker(None)``: a `StubBroker` (embedded default: one process, nothing to
  install or start);
- ``make_broker("redis://host:6379/0")``: a `RedisBroker` (scale-out: the server and any
  number of ``remap worker`` processes share it).

Either way the broker is a fresh object that nothing registers globally: actors are
declared on it explicitly (`nas_core.service.actors.declare_actors`).
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlsplit

import dramatiq
from dramatiq.brokers.stub import StubBroker

__all__ = ["EmbeddedWorker", "check_redis_url", "make_broker", "start_worker"]

REDIS_SCHEMES = ("redis", "rediss", "unix")


def check_redis_url(url: str) -> str:
    """`url` if it names a Redis server (``redis://``, ``rediss://`` or ``unix://``),
    else a ValueError that says what is wrong with it."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"broker URL must be a non-empty string, got {url!r}")
    try:
        parts = urlsplit(url)
        port = parts.port  # parsing the port raises on a non-number or out of range
    except ValueError as error:
        raise ValueError(f"broker URL {url!r} is malformed: {error}") from None
    if parts.scheme not in REDIS_SCHEMES:
        raise ValueError(
            f"broker URL {url!r}: unsupported scheme {parts.scheme or '(none)'!r}; "
            "use redis://host:port/db (or rediss://, unix://), or no URL for the embedded broker"
        )
    if parts.scheme == "unix":
        if not parts.path:
            raise ValueError(f"broker URL {url!r}: a unix:// URL needs a socket path")
        return url
    if not parts.hostname:
        raise ValueError(f"broker URL {url!r}: no host (expected redis://host:port/db)")
    if port == 0:
        raise ValueError(f"broker URL {url!r}: port 0 is not a port")
    db = parts.path.lstrip("/")
    if db and not db.isdigit():
        raise ValueError(
            f"broker URL {url!r}: the database {db!r} must be a number (redis://host:port/0)"
        )
    return url


def make_broker(url: str | None = None) -> dramatiq.Broker:
    """A new broker: `StubBroker` when `url` is None, else a `RedisBroker` on `url`.

    Connecting to Redis is lazy: a wrong host shows up at the first send or consume,
    a malformed URL here (ValueError naming it)."""
    if url is None:
        return StubBroker()
    from dramatiq.brokers.redis import RedisBroker

    return RedisBroker(url=check_redis_url(url))


class EmbeddedWorker:
    """A started `dramatiq.Worker` on some queues of a broker; `stop` ends it cleanly."""

    def __init__(self, worker: dramatiq.Worker, queues: frozenset[str]) -> None:
        self.worker = worker
        self.queues = queues
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def running(self) -> bool:
        return not self._stopped

    def join(self, timeout_s: float | None = None) -> None:
        """Wait until this worker's queues are empty and their messages processed
        (messages sent meanwhile count too). Raises `dramatiq.errors.QueueJoinTimeout`
        after `timeout_s`. Join the ``"train"`` worker before the ``"events"`` one: a
        training sends its events as it goes."""
        broker = self.worker.broker
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        for name in sorted(self.queues):
            left = None if deadline is None else max(1, int((deadline - time.monotonic()) * 1000))
            if isinstance(broker, StubBroker):
                broker.join(name, timeout=left, fail_fast=False)
            else:
                broker.join(name, timeout=left)
        self.worker.join()

    def stop(self, timeout_s: float = 600.0) -> None:
        """Stop consuming, let the messages in progress finish (up to `timeout_s`),
        put prefetched ones back on the broker. Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self.worker.stop(timeout=int(timeout_s * 1000))


def start_worker(
    broker: dramatiq.Broker,
    queues: set[str] | frozenset[str],
    worker_threads: int,
    *,
    idle_wake_ms: int = 200,
    prefetch: int | None = None,
) -> EmbeddedWorker:
    """Start a `dramatiq.Worker` in this process consuming `queues` with
    `worker_threads` threads (declare the actors first: that declares the queues).
    `idle_wake_ms`: how often idle threads look up (bounds how long `stop` waits for
    them; Dramatiq's default is a second). `prefetch`: messages taken from each queue
    ahead of the threads (Dramatiq's default: twice the threads). A ``remap worker``
    takes only what it can train now (``prefetch=worker_threads``): a message waiting
    on a busy or dead worker is a model another, idle worker could be training."""
    if worker_threads < 1:
        raise ValueError(f"worker_threads must be >= 1, got {worker_threads}")
    if prefetch is not None and prefetch < 1:
        raise ValueError(f"prefetch must be >= 1, got {prefetch}")
    names = frozenset(queues)
    if not names:
        raise ValueError("start_worker needs at least one queue")
    declared = broker.get_declared_queues()
    missing = sorted(names - declared)
    if missing:
        raise ValueError(
            f"queue(s) {', '.join(missing)} not declared on the broker "
            f"(declared: {', '.join(sorted(declared)) or 'none'}); declare the actors first"
        )
    worker = dramatiq.Worker(
        broker, queues=set(names), worker_threads=worker_threads, worker_timeout=idle_wake_ms
    )
    if prefetch is not None:  # no constructor argument; `start` reads it for each consumer
        worker.queue_prefetch = prefetch
    # One process runs a worker per queue set (the events one with a single thread, so
    # that records keep their order); each adds its own consumer middleware, which
    # Dramatiq logs as a possible mistake. Here it is the intent: drop that one line.
    broker.logger.addFilter(_second_worker_filter)
    try:
        worker.start()
    finally:
        broker.logger.removeFilter(_second_worker_filter)
    return EmbeddedWorker(worker, names)


def _second_worker_filter(record: logging.LogRecord) -> bool:
    return not (
        isinstance(record.msg, str)
        and record.msg.startswith("You're adding a middleware of the same type twice")
        and bool(record.args)
        and type(record.args[0]).__name__ == "_WorkerMiddleware"  # type: ignore[index]
    )
