"""The Dramatiq broker of a deployment, and the in-process worker of the embedded mode.

- ``make_broker(None)``: a `StubBroker` (embedded default: one process, nothing to
  install or start);
- ``make_broker("redis://host:6379/0")``: a `RedisBroker` (scale-out: the server and any
  number of ``remap worker`` processes share it).

Either way the broker is a fresh object that nothing registers globally: actors are
declared on it explicitly (`nas_core.service.actors.declare_actors`).

A dead worker on Redis. Dramatiq keeps each fetched message in a per-broker "acks" set
until it is acked; a broker whose last heartbeat (any command it sends) is older than
``heartbeat_timeout`` counts as dead, and "maintenance" (run by a command's Lua script
on that command's queue) puts a dead broker's unacked messages back on the queue.
Dramatiq's defaults (60 s, maintenance on 0.1 % of commands, and a busy worker sends
no command at all while it trains) leave a model of a SIGKILLed worker waiting for
minutes. Here every process that runs a worker also runs a `Heartbeat` thread: every
``HEARTBEAT_INTERVAL_S`` it asks the size of each declared queue, which both proves it
alive and runs maintenance on that queue (``qsize`` always does, see
`MaintainedRedisBroker`). So a dead worker's message is back on its queue within
``HEARTBEAT_TIMEOUT_MS`` + ``HEARTBEAT_INTERVAL_S`` of its last heartbeat, while any
other process of the deployment is up. The same thread notices a restarted Redis (its
``run_id`` changed: with persistence off its queues are gone) and tells the server.

Redis unreachable for a while (restarting): `transient` tells such an error from the
others, and `patiently` tries an action again with backoff for up to
``SEND_PATIENCE_S``, so that a training in progress survives a broker restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import dramatiq
from dramatiq.brokers.stub import StubBroker

__all__ = [
    "HEARTBEAT_INTERVAL_S",
    "HEARTBEAT_TIMEOUT_MS",
    "EmbeddedWorker",
    "Heartbeat",
    "check_redis_url",
    "is_redis",
    "make_broker",
    "patiently",
    "start_worker",
    "transient",
]

REDIS_SCHEMES = ("redis", "rediss", "unix")
HEARTBEAT_TIMEOUT_MS = 15_000  # silent this long: a broker (process) counts as dead
HEARTBEAT_INTERVAL_S = 3.0  # well under the timeout: a live process is never taken for dead
MAINTENANCE_CHANCE = 10_000  # per million other commands (Dramatiq's default: 1,000)
SEND_PATIENCE_S = 300.0  # how long a worker keeps trying to reach a Redis that is down

log = logging.getLogger(__name__)
T = TypeVar("T")


def check_redis_url(url: str) -> str:
    """`url` if it names a Redis server (``redis://``, ``rediss://`` or ``unix://``),
    else a ValueError that says what is wrong with it."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"broker URL must be a non-empty string, got {url!r}")
    try:
        parts = urlsplit(url)
        port = parts.port  # parsing the port raises on a non-number or out of range
    except ValueError as error:  # urllib's words stay out of the message
        bad_port = "Port" in str(error)
        part = "its port is not a number from 0 to 65535" if bad_port else "its host cannot be read"
        raise ValueError(f"broker URL {url!r} is malformed: {part}") from None
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
    return _redis_broker(check_redis_url(url))


def _redis_broker(url: str) -> dramatiq.Broker:
    from dramatiq.brokers.redis import RedisBroker

    class MaintainedRedisBroker(RedisBroker):
        """A `RedisBroker` whose ``qsize`` command (the `Heartbeat`'s, and `join`'s)
        always runs queue maintenance; other commands at ``maintenance_chance``."""

        def _should_do_maintenance(self, command: str) -> int:
            return 1 if command == "qsize" else super()._should_do_maintenance(command)

    return MaintainedRedisBroker(
        url=url, heartbeat_timeout=HEARTBEAT_TIMEOUT_MS, maintenance_chance=MAINTENANCE_CHANCE
    )


def is_redis(broker: dramatiq.Broker) -> bool:
    """Whether `broker` is a Redis broker (scale-out), not the embedded `StubBroker`."""
    return hasattr(broker, "client") and hasattr(broker, "broker_id")


def transient(error: BaseException) -> bool:
    """Whether `error` is the broker being unreachable (worth trying again)."""
    if isinstance(error, ConnectionError | TimeoutError):  # OS-level socket errors
        return True
    names = {c.__name__ for c in type(error).__mro__}
    return bool(names & {"ConnectionError", "TimeoutError", "BrokerConnectionError"})


def patiently(what: str, action: Callable[[], T], patience_s: float = SEND_PATIENCE_S) -> T:
    """`action()`, tried again with backoff while the broker is unreachable."""
    deadline = time.monotonic() + patience_s
    wait = 0.1
    while True:
        try:
            return action()
        except Exception as error:
            if not transient(error) or time.monotonic() + wait > deadline:
                raise
            log.warning("%s: broker unreachable (%s); trying again in %.1f s", what, error, wait)
            time.sleep(wait)
            wait = min(wait * 2, 2.0)


class Heartbeat:
    """A daemon thread that keeps a Redis broker's process alive in Dramatiq's eyes,
    runs maintenance on every declared queue (see the module docstring), and calls
    ``on_restart(restarted)`` once each time Redis is back after it could not be
    reached (``restarted``: False), or runs with another ``run_id`` (a restart: its
    queues are gone when it does not persist them; ``restarted``: True). Errors
    reaching Redis are logged and retried."""

    def __init__(
        self,
        broker: dramatiq.Broker,
        *,
        interval_s: float = HEARTBEAT_INTERVAL_S,
        on_restart: Callable[[bool], object] | None = None,
    ) -> None:
        self.broker = broker
        self.interval_s = interval_s
        self.on_restart = on_restart
        self._stop = threading.Event()
        self._run_id: str | None = None
        self._down = False
        self._thread = threading.Thread(target=self._run, name="remap-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def beat(self) -> bool:
        """One heartbeat; False (logged once per outage) when Redis cannot be reached."""
        try:
            info = self.broker.client.info("server")  # type: ignore[attr-defined]
            for queue in sorted(self.broker.get_declared_queues()):
                self.broker.do_qsize(queue)  # type: ignore[attr-defined]
        except Exception as error:  # Redis down or restarting: try again next beat
            if not self._down:
                log.warning("Redis broker unreachable (%s); retrying", error)
            self._down = True
            return False
        run_id = str(info["run_id"])
        restarted = self._run_id is not None and run_id != self._run_id
        back, self._down, self._run_id = self._down, False, run_id
        if (restarted or back) and self.on_restart is not None:
            try:
                self.on_restart(restarted)
            except Exception:
                log.exception("handling the Redis broker's return failed")
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.beat()


class EmbeddedWorker:
    """A started `dramatiq.Worker` on some queues of a broker; `stop` ends it cleanly."""

    def __init__(
        self, worker: dramatiq.Worker, queues: frozenset[str], heartbeat: Heartbeat | None = None
    ) -> None:
        self.worker = worker
        self.queues = queues
        self.heartbeat = heartbeat
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

    def finish(self, timeout_s: float) -> bool:
        """After `stop`: wait up to `timeout_s` more for the messages still in progress
        (a training its pool was closed under reports it stopped); whether none is."""
        deadline = time.monotonic() + timeout_s
        for thread in self.worker.workers:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self.worker.workers)

    def stop(self, timeout_s: float = 600.0) -> None:
        """Stop consuming, let the messages in progress finish (up to `timeout_s`),
        put prefetched ones back on the broker. Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        try:
            self.worker.stop(timeout=int(timeout_s * 1000))
        finally:
            if self.heartbeat is not None:  # last: a stopping worker still holds messages
                self.heartbeat.stop()


def start_worker(
    broker: dramatiq.Broker,
    queues: set[str] | frozenset[str],
    worker_threads: int,
    *,
    idle_wake_ms: int = 200,
    prefetch: int | None = None,
    on_broker_restart: Callable[[bool], object] | None = None,
) -> EmbeddedWorker:
    """Start a `dramatiq.Worker` in this process consuming `queues` with
    `worker_threads` threads (declare the actors first: that declares the queues).
    `idle_wake_ms`: how often idle threads look up (bounds how long `stop` waits for
    them; Dramatiq's default is a second). `prefetch`: messages taken from each queue
    ahead of the threads (Dramatiq's default: twice the threads). A ``remap worker``
    takes only what it can train now (``prefetch=worker_threads``): a message waiting
    on a busy or dead worker is a model another, idle worker could be training.

    On a Redis broker the worker comes with a `Heartbeat` (see the module docstring);
    `on_broker_restart` is its ``on_restart``."""
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
    heartbeat = None
    if is_redis(broker):
        heartbeat = Heartbeat(broker, on_restart=on_broker_restart).start()
    return EmbeddedWorker(worker, names, heartbeat)


def _second_worker_filter(record: logging.LogRecord) -> bool:
    return not (
        isinstance(record.msg, str)
        and record.msg.startswith("You're adding a middleware of the same type twice")
        and bool(record.args)
        and type(record.args[0]).__name__ == "_WorkerMiddleware"  # type: ignore[index]
    )
