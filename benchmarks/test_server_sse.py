"""Append-to-browser latency over SSE on loopback, and commands per second (issue 7).

A real `remap serve` process on a free loopback port; real HTTP clients (httpx, one
asyncio loop in this process) subscribe to ``/api/sessions/{id}/events``. One round:
POST a "change view" command, then wait until every subscriber has received its event.
The latency of a subscriber is the time from just before the POST to its arrival of
that event (so it includes deciding the command, the durable append, the wake-up, the
SSE write and the client's parsing) — with 1 and with 50 subscribers; target: p99 ≤ 50
ms with 50. Commands per second: sequential POSTs with no subscriber.

Baselines in the same run, in-process without HTTP: the store's append → async `wait`
wake-up latency with 1 and 50 waiters, and `SessionService.execute` per second.

p50/p99 (ms) and rates are printed and kept in each benchmark's ``extra_info``. Nothing
asserts on time. Rounds: ``REMAP_BENCH_ROUNDS`` (default 300); under
``--benchmark-disable`` a few rounds only.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nas_core.events import ChangeView, EventStore, Pending, ViewChanged
from nas_core.service import SessionService
from nas_core.specs import DataSpec

pytest.importorskip("pytest_benchmark")

SESSION = "bench"
ROUNDS = int(os.environ.get("REMAP_BENCH_ROUNDS", "300"))


def _rounds(benchmark) -> int:
    return 3 if benchmark.disabled else ROUNDS


def _percentiles(values: list[float]) -> dict[str, float]:
    s = sorted(values)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return {"p50_ms": 1000 * pick(0.50), "p99_ms": 1000 * pick(0.99), "n": len(s)}


class Loop:
    """An asyncio loop in a thread, to run the clients beside the synchronous test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, remap_serve) -> Iterator[str]:
    with remap_serve(tmp_path_factory.mktemp("bench")) as (base, _):
        body = {"name": "bench", "session": SESSION, "data": {"limit": 200}}
        r = httpx.post(f"{base}/api/sessions", json=body, timeout=60)
        assert r.status_code == 201, r.text
        yield base


class Subscribers:
    """`n` SSE clients on one loop; `round` posts a command and waits for all of them."""

    def __init__(self, base: str, n: int, loop: Loop) -> None:
        self.base, self.n, self.loop = base, n, loop
        self.target = -1
        self.seen: dict[int, list[float]] = {}
        self.done = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.k = 0
        loop.run(self._start())

    async def _start(self) -> None:
        limits = httpx.Limits(max_connections=self.n + 10)
        self.stream_client = httpx.AsyncClient(timeout=httpx.Timeout(30, read=None), limits=limits)
        self.post_client = httpx.AsyncClient(timeout=30)
        last = (await self.post_client.get(f"{self.base}/api/sessions/{SESSION}/state")).json()
        ready = [asyncio.Event() for _ in range(self.n)]
        self.target = last["last_seq"]
        self.tasks = [asyncio.create_task(self._listen(e)) for e in ready]
        await asyncio.wait_for(self.done.wait(), 30)  # every subscriber has caught up

    async def _listen(self, ready: asyncio.Event) -> None:
        url = f"{self.base}/api/sessions/{SESSION}/events"
        async with self.stream_client.stream("GET", url) as r:
            ready.set()
            async for line in r.aiter_lines():
                if line.startswith("id: "):
                    seq = int(line[4:])
                    arrived = self.seen.setdefault(seq, [])
                    arrived.append(time.perf_counter())
                    if seq == self.target and len(arrived) == self.n:
                        self.done.set()

    async def _round(self) -> list[float]:
        self.k += 1
        self.done = asyncio.Event()
        self.seen.clear()
        self.target = -1  # known once the POST answers; events may arrive before that
        body = {"type": "change_view", "projection": "accuracy", "selected_class": self.k % 10}
        start = time.perf_counter()
        r = await self.post_client.post(f"{self.base}/api/sessions/{SESSION}/commands", json=body)
        self.target = seq = r.json()["first_seq"]
        if len(self.seen.get(seq, ())) == self.n:
            self.done.set()
        await asyncio.wait_for(self.done.wait(), 30)
        return [t - start for t in self.seen[seq]]

    def round(self) -> list[float]:
        return self.loop.run(self._round())

    def close(self) -> None:
        async def stop() -> None:
            for t in self.tasks:
                t.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            await self.stream_client.aclose()
            await self.post_client.aclose()

        self.loop.run(stop())


@pytest.mark.parametrize("n", [1, 50])
def test_sse_latency(benchmark, server: str, n: int) -> None:
    loop = Loop()
    subs = Subscribers(server, n, loop)
    latencies: list[float] = []
    try:
        for _ in range(_rounds(benchmark)):
            latencies.extend(subs.round())
        benchmark.pedantic(subs.round, rounds=1 if benchmark.disabled else 20, iterations=1)
    finally:
        subs.close()
        loop.close()
    stats = _percentiles(latencies)
    benchmark.extra_info.update(stats, subscribers=n)
    print(f"\nSSE append-to-client, {n} subscribers: p50 {stats['p50_ms']:.2f} ms, "
          f"p99 {stats['p99_ms']:.2f} ms over {stats['n']} deliveries")  # fmt: skip
    assert len(latencies) == n * _rounds(benchmark)


@pytest.mark.parametrize("n", [1, 50])
def test_baseline_store_wait_latency(benchmark, tmp_path: Path, n: int) -> None:
    """The floor: append through the store, wake `n` in-process async waiters."""
    latencies: list[float] = []
    with EventStore(tmp_path / "base.db") as store:
        store.append(SESSION, [Pending("v0", ViewChanged("accuracy", None))])

        async def rounds(count: int) -> None:
            for k in range(count):
                after = store.last_seq(SESSION)
                waiters = [asyncio.create_task(store.wait(SESSION, after, 10)) for _ in range(n)]
                await asyncio.sleep(0)  # let them register
                arrivals: list[float] = []
                for w in waiters:
                    w.add_done_callback(lambda _, got=arrivals: got.append(time.perf_counter()))
                start = time.perf_counter()
                event = Pending(f"v{k + 1}-{after}", ViewChanged("search", k % 10))
                await asyncio.to_thread(store.append, SESSION, [event])
                await asyncio.gather(*waiters)
                latencies.extend(t - start for t in arrivals)

        asyncio.run(rounds(_rounds(benchmark)))
        benchmark.pedantic(lambda: asyncio.run(rounds(1)), rounds=1 if benchmark.disabled else 20)
    stats = _percentiles(latencies)
    benchmark.extra_info.update(stats, subscribers=n)
    print(f"\nbaseline store append-to-waiter, {n} waiters: p50 {stats['p50_ms']:.2f} ms, "
          f"p99 {stats['p99_ms']:.2f} ms")  # fmt: skip


def test_commands_per_second(benchmark, server: str) -> None:
    count = 5 if benchmark.disabled else 200
    with httpx.Client(base_url=server, timeout=30) as c:
        url = f"/api/sessions/{SESSION}/commands"

        def burst() -> None:
            for k in range(count):
                r = c.post(url, json={"type": "change_view", "projection": "structure",
                                      "selected_class": k % 10})  # fmt: skip
                assert r.status_code == 202

        start = time.perf_counter()
        burst()
        rate = count / (time.perf_counter() - start)
        benchmark.pedantic(burst, rounds=1 if benchmark.disabled else 3)
    benchmark.extra_info["commands_per_s"] = rate
    print(f"\nHTTP commands: {rate:.0f} per second (sequential, one client)")


def test_baseline_execute_per_second(benchmark, tmp_path: Path) -> None:
    count = 5 if benchmark.disabled else 200
    with EventStore(tmp_path / "exec.db") as store, SessionService(
        store, data_root=tmp_path, processes=1
    ) as svc:  # fmt: skip
        svc.create_session("bench", DataSpec(limit=200), session=SESSION)

        def burst() -> None:
            for k in range(count):
                svc.execute(SESSION, ChangeView(projection="structure", selected_class=k % 10))

        start = time.perf_counter()
        burst()
        rate = count / (time.perf_counter() - start)
        benchmark.pedantic(burst, rounds=1 if benchmark.disabled else 3)
    benchmark.extra_info["commands_per_s"] = rate
    print(f"\nbaseline SessionService.execute: {rate:.0f} per second (in-process)")
