"""Receipts: how far the store has recorded each training attempt (scale-out).

End-to-end delivery of a worker's records. The server, once it has stored the records
of an attempt up to and including its `n`-th (in the attempt's own order, see
`nas_core.service.in_order`), publishes ``n + 1`` in a Redis key per attempt,
``{namespace}:remap-recorded:{session}:{model}:{attempt}``; a worker keeps each attempt's
records until the receipt covers them all and sends again what it does not
(`nas_core.service.actors`). A receipt only grows (one Lua step takes the larger), and
a TTL bounds the keys nobody reads any more. Redis losing the keys (a restart without
persistence) costs repeats, never a record: the worker also remembers the last receipt
it read, and the store ignores an id it holds.

The embedded mode needs none: its broker lives in the one process that also records.
`receipts_for(broker)` is None there.
"""

from __future__ import annotations

from collections.abc import Sequence

import dramatiq

from .broker import is_redis

__all__ = ["RECEIPT_TTL_S", "RedisReceipts", "receipts_for"]

RECEIPT_TTL_S = 2 * 24 * 3600

_RAISE = """
local v = tonumber(redis.call("get", KEYS[1]) or "0")
if tonumber(ARGV[1]) > v then redis.call("set", KEYS[1], ARGV[1], "EX", ARGV[2]) end
return v
"""

Attempt = tuple[str, str, int]  # (session, model, attempt)


class RedisReceipts:
    """Receipts as Redis keys on the broker's server (see the module)."""

    def __init__(self, client: object, namespace: str = "dramatiq") -> None:
        self._client = client
        self.namespace = namespace
        self._raise = client.register_script(_RAISE)  # type: ignore[attr-defined]

    def key(self, attempt: Attempt) -> str:
        session, model, number = attempt
        return f"{self.namespace}:remap-recorded:{session}:{model}:{number}"

    def mark(self, attempt: Attempt, count: int) -> None:
        """The store holds the attempt's first `count` records (the server)."""
        self.mark_all({attempt: count})

    def mark_all(self, counts: dict[Attempt, int]) -> None:
        """`mark` for each attempt of `counts`, in one round trip."""
        pipe = self._client.pipeline(transaction=False)  # type: ignore[attr-defined]
        for attempt, count in counts.items():
            self._raise(keys=[self.key(attempt)], args=[count, RECEIPT_TTL_S], client=pipe)
        pipe.execute()

    def read(self, attempts: Sequence[Attempt]) -> list[int]:
        """How many records of each attempt the store holds, as published (0 when
        nothing is, or Redis lost it)."""
        if not attempts:
            return []
        values = self._client.mget([self.key(a) for a in attempts])  # type: ignore[attr-defined]
        return [0 if v is None else int(v) for v in values]


def receipts_for(broker: dramatiq.Broker) -> RedisReceipts | None:
    """`RedisReceipts` on a Redis broker's server; None for the embedded `StubBroker`."""
    if not is_redis(broker):
        return None
    return RedisReceipts(broker.client, broker.namespace)  # type: ignore[attr-defined]
