"""Cancel flags: how a running training learns that it should stop.

The owner process sets a flag per (session, model); the training actor, wherever it
runs, polls it through the runner's ``should_stop`` at batch boundaries and before it
starts. Two implementations with one interface:

- `MemoryCancelFlags` for the embedded mode (one process, a set under a lock);
- `RedisCancelFlags` for the scale-out mode (a Redis key per session/model with a TTL,
  so a flag nobody clears cannot outlive its use by much).

A check on Redis is a network round trip, so `stopper` polls it at most every
``poll_interval_s`` seconds; in memory it polls every call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["CancelFlags", "MemoryCancelFlags", "RedisCancelFlags", "stopper"]


@runtime_checkable
class CancelFlags(Protocol):
    """Where cancel requests live. ``poll_interval_s``: how often a training may ask."""

    poll_interval_s: float

    def cancel(self, session: str, model: str) -> None:
        """Ask the training of `model` in `session` to stop (now or before it starts)."""

    def is_cancelled(self, session: str, model: str) -> bool:
        """Whether a cancel is pending for `model` in `session`."""

    def clear(self, session: str, model: str) -> None:
        """Forget the request (the training ended; the model may be queued again)."""


def _check_names(session: str, model: str) -> None:
    for what, value in (("session", session), ("model", model)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"cancel flag: {what} must be a non-empty string, got {value!r}")


class MemoryCancelFlags:
    """Cancel flags in this process's memory (embedded mode); thread-safe."""

    poll_interval_s = 0.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flags: set[tuple[str, str]] = set()

    def cancel(self, session: str, model: str) -> None:
        _check_names(session, model)
        with self._lock:
            self._flags.add((session, model))

    def is_cancelled(self, session: str, model: str) -> bool:
        with self._lock:
            return (session, model) in self._flags

    def clear(self, session: str, model: str) -> None:
        with self._lock:
            self._flags.discard((session, model))


class RedisCancelFlags:
    """Cancel flags as Redis keys ``{prefix}:{session}:{model}`` with a TTL (scale-out).

    `client` is a ``redis.Redis`` (or anything with its ``set(name, value, ex=)``,
    ``exists(name)`` and ``delete(name)``); `from_url` makes one. The TTL (default a
    week) bounds how long a flag can linger if the owner never clears it.
    """

    def __init__(
        self,
        client: object,
        *,
        prefix: str = "remap:cancel",
        ttl_s: int = 7 * 24 * 3600,
        poll_interval_s: float = 0.25,
    ) -> None:
        if ttl_s < 1:
            raise ValueError(f"RedisCancelFlags: ttl_s must be >= 1 second, got {ttl_s}")
        if poll_interval_s < 0:
            raise ValueError(
                f"RedisCancelFlags: poll_interval_s must be >= 0, got {poll_interval_s}"
            )
        self._client = client
        self.prefix = prefix
        self.ttl_s = int(ttl_s)
        self.poll_interval_s = float(poll_interval_s)

    @classmethod
    def from_url(cls, url: str, **options: object) -> RedisCancelFlags:
        """Flags on the Redis server at `url` (checked as `make_broker` checks it)."""
        import redis

        from .broker import check_redis_url

        return cls(redis.Redis.from_url(check_redis_url(url)), **options)  # type: ignore[arg-type]

    def key(self, session: str, model: str) -> str:
        _check_names(session, model)
        return f"{self.prefix}:{session}:{model}"

    def cancel(self, session: str, model: str) -> None:
        self._client.set(self.key(session, model), b"1", ex=self.ttl_s)  # type: ignore[attr-defined]

    def is_cancelled(self, session: str, model: str) -> bool:
        return bool(self._client.exists(self.key(session, model)))  # type: ignore[attr-defined]

    def clear(self, session: str, model: str) -> None:
        self._client.delete(self.key(session, model))  # type: ignore[attr-defined]


def stopper(
    flags: CancelFlags, session: str, model: str, *, clock: Callable[[], float] = time.monotonic
) -> Callable[[], bool]:
    """A ``should_stop`` for the runner: true once `model` is cancelled. It asks `flags`
    at most every ``flags.poll_interval_s`` seconds and stays true once it saw a cancel."""
    interval = flags.poll_interval_s
    last = -float("inf")
    seen = False

    def should_stop() -> bool:
        nonlocal last, seen
        if seen:
            return True
        now = clock()
        if now - last >= interval:
            last = now
            seen = flags.is_cancelled(session, model)
        return seen

    return should_stop
