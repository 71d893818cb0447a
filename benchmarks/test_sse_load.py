"""A bounded load loop on loopback (issue 9, "Load"): 50 SSE subscribers and a steady
stream of commands against a real `remap serve` process, for 60 s.

The commands cycle through drawer add / change view / drawer remove / change view on a
session of three models (sampled, then cancelled: nothing trains), posted one at a time
at `REMAP_LOAD_RATE` commands per second (default 50) from one HTTP client. Every
subscriber reads the event stream from the seq before the load began, and must receive
every event of the session exactly once, in order: 0 lost, 0 doubled. Reported (printed
and kept in ``extra_info``): append-to-client latency p50/p99 (from just before a POST
to a subscriber's arrival of its event), commands per second achieved, and the server's
RSS sampled every 2 s (it must not grow once warm).

Baseline in the same run: the same loop with 1 subscriber. Durations:
``REMAP_LOAD_SECONDS`` (default 60; the baseline a third of it); under
``--benchmark-disable`` (how ``make test`` runs it) 3 s each. Everything stops by
itself: the clients when the loop ends, the server when the module's tests are done.
Nothing asserts on time.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("pytest_benchmark")

SESSION = "load"
MODELS = ("m1", "m2", "m3")
SECONDS = float(os.environ.get("REMAP_LOAD_SECONDS", "60"))
RATE = float(os.environ.get("REMAP_LOAD_RATE", "50"))
RSS_EVERY_S = 2.0


def rss_mib(pid: int) -> float:
    """The resident set of process `pid` in MiB (Linux: /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def commands(k: int) -> dict:
    """The k-th command of the cycle; every drawer change is valid where it falls."""
    model = MODELS[(k // 4) % len(MODELS)]
    step = k % 4
    if step == 0:
        return {"type": "drawer_add", "models": [model]}
    if step == 2:
        return {"type": "drawer_remove", "models": [model]}
    projection = "accuracy" if step == 1 else "structure"
    return {"type": "change_view", "projection": projection, "selected_class": k % 10}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, remap_serve) -> Iterator[tuple[str, int]]:
    """A `remap serve` process with the load session; its URL and pid."""
    with remap_serve(tmp_path_factory.mktemp("load")) as (base, proc):
        with httpx.Client(base_url=base, timeout=60) as c:
            body = {"name": "load", "session": SESSION, "data": {"limit": 200},
                    "settings": {"train": {"epochs": 1}, "concurrency": 1}}  # fmt: skip
            assert c.post("/api/sessions", json=body).status_code == 201
            url = f"/api/sessions/{SESSION}/commands"
            assert c.post(url, json={"type": "sample", "count": len(MODELS)}).status_code == 202
            for model in reversed(MODELS):  # the queue first, then whatever started
                c.post(url, json={"type": "cancel", "model": model})
            deadline = time.monotonic() + 60
            while True:  # until the trainer has recorded every cancel
                models = c.get(f"/api/sessions/{SESSION}/state").json()["models"]
                if all(m["status"] not in ("queued", "running") for m in models.values()):
                    break
                assert time.monotonic() < deadline, models
                time.sleep(0.1)
        yield base, proc.pid


class Subscriber:
    """One SSE client: the seqs it received, in order, and when each arrived."""

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.arrived: dict[int, float] = {}
        self.ready = asyncio.Event()

    async def listen(self, client: httpx.AsyncClient, url: str) -> None:
        async with client.stream("GET", url) as r:
            assert r.status_code == 200
            self.ready.set()
            async for line in r.aiter_lines():
                if line.startswith("id: "):
                    seq = int(line[4:])
                    self.seqs.append(seq)
                    self.arrived.setdefault(seq, time.perf_counter())


async def load(base: str, pid: int, subscribers: int, seconds: float) -> dict:
    """Run the loop; the figures."""
    limits = httpx.Limits(max_connections=subscribers + 10)
    streams = httpx.AsyncClient(timeout=httpx.Timeout(30, read=None), limits=limits)
    poster = httpx.AsyncClient(base_url=base, timeout=30)
    subs = [Subscriber() for _ in range(subscribers)]
    tasks: list[asyncio.Task] = []
    rss: list[tuple[float, float]] = []
    posted: dict[int, float] = {}  # seq -> just before the POST that appended it
    try:
        start_seq = (await poster.get(f"/api/sessions/{SESSION}/state")).json()["last_seq"]
        url = f"{base}/api/sessions/{SESSION}/events?after={start_seq}"
        tasks = [asyncio.create_task(s.listen(streams, url)) for s in subs]
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subs)), 30)

        async def sample_rss() -> None:
            t0 = time.perf_counter()
            while True:
                rss.append((time.perf_counter() - t0, rss_mib(pid)))
                await asyncio.sleep(RSS_EVERY_S)

        sampler = asyncio.create_task(sample_rss())
        began = time.perf_counter()
        k = 0
        # whole cycles only, so the drawer is empty again for the next run
        while (now := time.perf_counter()) - began < seconds or k % 4:
            pause = began + k / RATE - now  # a steady rate, not a burst
            if pause > 0:
                await asyncio.sleep(pause)
            t = time.perf_counter()
            r = await poster.post(f"/api/sessions/{SESSION}/commands", json=commands(k))
            assert r.status_code == 202, r.text
            accepted = r.json()
            for seq in range(accepted["first_seq"], accepted["last_seq"] + 1):
                posted[seq] = t
            k += 1
        elapsed = time.perf_counter() - began
        last_seq = (await poster.get(f"/api/sessions/{SESSION}/state")).json()["last_seq"]
        deadline = time.perf_counter() + 30
        while any(s.seqs[-1:] != [last_seq] for s in subs) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)  # let the last events reach everyone
        rss.append((time.perf_counter() - began, rss_mib(pid)))
        sampler.cancel()
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await streams.aclose()
        await poster.aclose()
    expected = list(range(start_seq + 1, last_seq + 1))
    lost = sum(len(set(expected) - set(s.seqs)) for s in subs)
    doubled = sum(len(s.seqs) - len(set(s.seqs)) for s in subs)
    out_of_order = sum(s.seqs != sorted(s.seqs) for s in subs)
    latencies = sorted(
        s.arrived[seq] - posted[seq] for s in subs for seq in posted if seq in s.arrived
    )
    pick = lambda q: 1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return {
        "subscribers": subscribers,
        "seconds": elapsed,
        "commands": k,
        "commands_per_s": k / elapsed,
        "events": len(expected),
        "deliveries": len(latencies),
        "p50_ms": pick(0.50),
        "p99_ms": pick(0.99),
        "max_ms": 1000 * latencies[-1],
        "lost": lost,
        "doubled": doubled,
        "out_of_order": out_of_order,
        "rss_mib": [(round(t, 1), round(m, 1)) for t, m in rss],
    }


def report(figures: dict) -> str:
    rss = figures["rss_mib"]
    over_time = ", ".join(f"{t:.0f}s {m:.0f}" for t, m in rss)
    return (
        f"\nSSE load, {figures['subscribers']} subscribers, {figures['seconds']:.0f} s: "
        f"{figures['commands']} commands ({figures['commands_per_s']:.1f}/s), "
        f"{figures['events']} events, {figures['deliveries']} deliveries; "
        f"p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms, "
        f"max {figures['max_ms']:.1f} ms; lost {figures['lost']}, doubled "
        f"{figures['doubled']}, out of order {figures['out_of_order']}\n"
        f"  server RSS MiB: {over_time}"
    )


@pytest.mark.parametrize("subscribers", [1, 50], ids=["baseline-1", "load-50"])
def test_sse_load(benchmark, server: tuple[str, int], subscribers: int) -> None:
    base, pid = server
    full = SECONDS if subscribers > 1 else SECONDS / 3
    seconds = 3.0 if benchmark.disabled else full
    figures: dict = {}

    def run() -> None:
        figures.update(asyncio.run(load(base, pid, subscribers, seconds)))

    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(figures)
    print(report(figures))
    assert figures["lost"] == 0
    assert figures["doubled"] == 0
    assert figures["out_of_order"] == 0
    if seconds >= 30:  # warm after the first third: the rest must not grow
        rss = figures["rss_mib"]
        warm = [m for t, m in rss if t >= seconds / 3]
        assert max(warm) <= warm[0] + 32, rss
