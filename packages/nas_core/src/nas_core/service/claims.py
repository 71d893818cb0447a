"""Claims: who started which training attempt, so that no attempt trains twice.

A worker claims (session, model, attempt) before it trains it, naming itself
(``"{broker_id}|{worker}"``), and marks the claim ended when the attempt ends. A
message whose attempt is claimed is a redelivery (see `nas_core.service.actors`);
`take_over` tells a dead holder (no heartbeat) from a live one, atomically, so that of
a worker and the server's watchdog exactly one records the dead holder's failure. Two
implementations with one interface, as the cancel flags:

- `RedisClaims` for the scale-out mode (a Redis key per attempt with a TTL; a holder
  is alive while its Dramatiq broker beats);
- `MemoryClaims` for the embedded mode (one process, a dict under a lock; every holder
  is this process, alive). A `StubBroker` delivers no message twice, so an ended
  attempt's claim is dropped at once: an attempt cancelled before it started may be
  sent again under the same number and train.

`claims_for(broker)` picks the one that fits the broker.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

import dramatiq

from .broker import HEARTBEAT_TIMEOUT_MS, is_redis

__all__ = ["ENDED", "Claims", "MemoryClaims", "RedisClaims", "claims_for", "holder_name"]

CLAIM_TTL_S = 7 * 24 * 3600
ENDED = "\x00ended"  # a claim's value once its attempt ended


class Claims(Protocol):
    """Where the attempts' claims live."""

    def value(self, worker: str) -> str:
        """What a claim by `worker` of this process holds."""

    def claim(self, session: str, model: str, attempt: int, worker: str) -> str | None:
        """Claim the attempt for `worker`: None if it was free, else who holds it (or
        `ENDED`)."""

    def end(self, session: str, model: str, attempt: int) -> None:
        """Mark the attempt ended."""

    def take_over(self, session: str, model: str, attempt: int) -> tuple[str, str]:
        """``("ended", "")``, ``("alive", holder)`` (nothing changed), or ``("taken",
        holder)``: the holder (``""``: none, the claim was lost) has no heartbeat, and
        the claim is now ended, by this call alone."""

    def check(self, session: str, model: str, attempt: int) -> str:
        """``"free"`` (no claim), ``"ended"``, ``"alive"`` (its holder beats) or
        ``"dead"``; changes nothing."""

    def release(self, session: str, model: str, attempt: int) -> None:
        """Forget the attempt's claim (its message is sent again: it may train)."""


def holder_name(held: str) -> str:
    """The worker's name in a claim's value (``"{broker_id}|{worker}"``)."""
    return held.split("|", 1)[-1] or "(unknown)"


def claims_for(broker: dramatiq.Broker) -> Claims:
    """`RedisClaims` on a Redis broker's server, else `MemoryClaims`."""
    if not is_redis(broker):
        return MemoryClaims()
    return RedisClaims(
        broker.client,  # type: ignore[attr-defined]
        broker.namespace,  # type: ignore[attr-defined]
        broker.broker_id,  # type: ignore[attr-defined]
        broker.heartbeat_timeout,  # type: ignore[attr-defined]
    )


class MemoryClaims:
    """Claims in this process's memory (embedded mode); thread-safe. See the module."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str, int], str] = {}

    def value(self, worker: str) -> str:
        return f"|{worker}"

    def claim(self, session: str, model: str, attempt: int, worker: str) -> str | None:
        key = (session, model, attempt)
        with self._lock:
            held = self._held.get(key)
            if held is None:
                self._held[key] = self.value(worker)
        return held

    def end(self, session: str, model: str, attempt: int) -> None:
        self.release(session, model, attempt)

    def take_over(self, session: str, model: str, attempt: int) -> tuple[str, str]:
        with self._lock:
            held = self._held.get((session, model, attempt))
        return ("taken", "") if held is None else ("alive", held)

    def check(self, session: str, model: str, attempt: int) -> str:
        with self._lock:
            return "free" if (session, model, attempt) not in self._held else "alive"

    def release(self, session: str, model: str, attempt: int) -> None:
        with self._lock:
            self._held.pop((session, model, attempt), None)


# Atomically: an attempt's claim is ended, alive (its holder's broker beat within the
# timeout), or taken over (set ended now; returns what it held, "" when it was missing).
_TAKE_OVER = """
local v = redis.call("get", KEYS[1])
if v == ARGV[1] then return {"ended", ""} end
if v then
  local id = string.match(v, "^([^|]*)|")
  if id then
    local beat = redis.call("zscore", KEYS[2], id)
    if beat and tonumber(beat) >= tonumber(ARGV[2]) - tonumber(ARGV[3]) then
      return {"alive", v}
    end
  end
end
redis.call("set", KEYS[1], ARGV[1], "EX", ARGV[4])
return {"taken", v or ""}
"""


class RedisClaims:
    """Claims as keys ``{namespace}:remap-claim:{session}:{model}:{attempt}`` on the
    broker's Redis, holding ``"{broker_id}|{worker}"``, then `ENDED`; a TTL bounds
    them. `broker_id`: this process's Dramatiq broker id, whose heartbeat tells whether
    a holder is alive."""

    def __init__(
        self,
        client: object,
        namespace: str = "dramatiq",
        broker_id: str = "",
        heartbeat_timeout_ms: int = HEARTBEAT_TIMEOUT_MS,
    ) -> None:
        self._client = client
        self.namespace = namespace
        self.broker_id = broker_id
        self.heartbeat_timeout_ms = heartbeat_timeout_ms
        self._take_over = client.register_script(_TAKE_OVER)  # type: ignore[attr-defined]

    def key(self, session: str, model: str, attempt: int) -> str:
        return f"{self.namespace}:remap-claim:{session}:{model}:{attempt}"

    def value(self, worker: str) -> str:
        return f"{self.broker_id}|{worker}"

    def claim(self, session: str, model: str, attempt: int, worker: str) -> str | None:
        key = self.key(session, model, attempt)
        client = self._client
        if client.set(key, self.value(worker), nx=True, ex=CLAIM_TTL_S):  # type: ignore[attr-defined]
            return None
        held = client.get(key)  # type: ignore[attr-defined]
        return None if held is None else held.decode(errors="replace")

    def end(self, session: str, model: str, attempt: int) -> None:
        self._client.set(self.key(session, model, attempt), ENDED, ex=CLAIM_TTL_S)  # type: ignore[attr-defined]

    def take_over(self, session: str, model: str, attempt: int) -> tuple[str, str]:
        keys = [self.key(session, model, attempt), f"{self.namespace}:__heartbeats__"]
        now_ms = int(time.time() * 1000)
        args = [ENDED, now_ms, self.heartbeat_timeout_ms, CLAIM_TTL_S]
        outcome, held = self._take_over(keys=keys, args=args)
        return outcome.decode(), held.decode(errors="replace")

    def check(self, session: str, model: str, attempt: int) -> str:
        client = self._client
        held = client.get(self.key(session, model, attempt))  # type: ignore[attr-defined]
        if held is None:
            return "free"
        value = held.decode(errors="replace")
        if value == ENDED:
            return "ended"
        broker_id = value.split("|", 1)[0]
        beat = client.zscore(f"{self.namespace}:__heartbeats__", broker_id)  # type: ignore[attr-defined]
        alive = beat is not None and beat >= time.time() * 1000 - self.heartbeat_timeout_ms
        return "alive" if alive else "dead"

    def release(self, session: str, model: str, attempt: int) -> None:
        self._client.delete(self.key(session, model, attempt))  # type: ignore[attr-defined]
