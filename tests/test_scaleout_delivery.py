"""Scale-out keeps every record and every training (issue 23), on a real Redis.

A private ``redis-server`` without persistence, one ``remap serve --broker`` (a
subprocess, so that it can be paused with SIGSTOP) and one ``remap worker``. The faults
land where records are in flight:

- the server paused while a worker's first records wait on ``"events"``, and Redis
  SIGKILLed and started again on the same port meanwhile: "training started" and the
  first epochs are lost with it (A, B, C), and so is the head of the queue's message
  on ``"train"`` (F);
- the server SIGKILLed with records it had fetched, then started again (D).

Every time: every model done, every epoch of every model once and in order before its
one "training finished", one training per model (no attempt failed or trained again),
no model left queued or cancelled, and the models trained in queue order.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import redis

from nas_core.events import (
    EpochCompleted,
    EventStore,
    TrainingCancelled,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
)

from .conftest import START_TIMEOUT_S, RemapProc, start_redis
from .test_scaleout_redis import _env, _free_redis, _server, _wait_settled

MODELS = 3
EPOCHS = 300  # a second or so a model: records stream while the faults land
PAUSE_S = 0.3
TRAINING = TrainingStarted | EpochCompleted | TrainingFinished | TrainingFailed | TrainingCancelled


def _worker(url: str, stack: ExitStack) -> RemapProc:
    worker = RemapProc(["worker", "--broker", url, "--processes", "1"], _env())
    stack.callback(worker.stop)
    worker.wait_for("worker ", START_TIMEOUT_S)
    return worker


def _session(client: httpx.Client, concurrency: int) -> tuple[str, list[str]]:
    """A session of `MODELS` tiny models; its id and the queue's order."""
    created = client.post(
        "/api/sessions",
        json={
            "name": "delivery",
            "data": {"limit": 200},
            "settings": {"train": {"epochs": EPOCHS}, "concurrency": concurrency},
            "sample": MODELS,
            "seed": 7,
        },
    )
    assert created.status_code == 201, created.text
    session = created.json()["session"]
    return session, list(client.get(f"/api/sessions/{session}/state").json()["queue"])


def _waiting_records(url: str, at_least: int, timeout_s: float = 60.0) -> None:
    """Until `at_least` records wait on ``"events"`` (the server is paused)."""
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout_s
    try:
        while client.hlen("dramatiq:events.msgs") < at_least:
            assert time.monotonic() < deadline, "no records waiting on events"
            time.sleep(0.02)
    finally:
        client.close()


def _wait_training(client: httpx.Client, session: str, timeout_s: float = 60.0) -> None:
    """Until a model has recorded epochs (records stream to the server)."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = client.get(f"/api/sessions/{session}/state").json()
        if any(m["status"] == "running" and m["curve"] for m in state["models"].values()):
            return
        assert time.monotonic() < deadline, "no training with epochs"
        time.sleep(0.05)


def _pause_holding_fetched(url: str, server: RemapProc, tries: int = 200) -> None:
    """SIGSTOP the server at a moment it holds records fetched from ``"events"`` and
    not acknowledged (Dramatiq's acks set of its broker), with more waiting behind."""
    client = redis.Redis.from_url(url)
    try:
        for _ in range(tries):
            os.kill(server.proc.pid, signal.SIGSTOP)
            acks = list(client.scan_iter(match="dramatiq:__acks__.*.events"))
            if sum(client.scard(k) for k in acks) and client.hlen("dramatiq:events.msgs") > 2:
                return
            os.kill(server.proc.pid, signal.SIGCONT)
            time.sleep(0.005)
    finally:
        client.close()
    pytest.fail("the server never held a fetched record")


def _check_whole(data_dir: Path, session: str, queue: list[str]) -> None:
    """Every epoch of every model once, in order, then its one "training finished";
    one attempt each, trained in queue order; nothing failed or cancelled."""
    with EventStore(data_dir / "remap.db") as store:
        log = store.read(session)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert len({e.id for e in log}) == len(log)
    events = [e.event for e in log]
    assert not [e for e in events if isinstance(e, TrainingFailed | TrainingCancelled)]
    started = [e for e in events if isinstance(e, TrainingStarted)]
    assert [(s.model, s.attempt) for s in started] == [(m, 1) for m in queue]  # F
    assert Counter(e.model for e in events if isinstance(e, TrainingFinished)) == Counter(
        dict.fromkeys(queue, 1)
    )
    for model in queue:
        mine = [e for e in events if isinstance(e, TRAINING) and e.model == model]
        assert isinstance(mine[0], TrainingStarted), mine[0]
        assert isinstance(mine[-1], TrainingFinished), mine[-1]
        epochs = [e.metrics.epoch for e in mine if isinstance(e, EpochCompleted)]
        assert epochs == list(range(1, EPOCHS + 1)), f"{model}: {epochs[:40]}…"
        assert len(mine) == EPOCHS + 2


def _settled_done(base: str, session: str, procs: list[RemapProc]) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        state = _wait_settled(client, session, procs)
    statuses = {k: m["status"] for k, m in state["models"].items()}
    assert set(statuses.values()) == {"done"}, statuses


@pytest.mark.slow
def test_redis_lost_while_the_server_paused_loses_no_record_and_no_turn(
    tmp_path: Path,
) -> None:
    """A, B, C and F: "training started" and the first epochs of the head of the queue
    wait on Redis for a paused server when Redis dies; the next model's message waits
    on ``"train"`` (one worker, two dispatched) and dies too."""
    data_dir = tmp_path / "data"
    with ExitStack() as stack:
        url, folder, port, redis_procs = _free_redis(tmp_path, stack)
        server, base = _server(url, data_dir)
        stack.callback(server.stop)
        worker = _worker(url, stack)
        stack.callback(_resume, server, worker)
        with httpx.Client(base_url=base, timeout=30) as client:
            os.kill(worker.proc.pid, signal.SIGSTOP)  # the messages wait on "train"
            session, queue = _session(client, concurrency=2)
        os.kill(server.proc.pid, signal.SIGSTOP)
        os.kill(worker.proc.pid, signal.SIGCONT)
        _waiting_records(url, 5)  # "started" and a few epochs, the server asleep
        time.sleep(PAUSE_S)
        redis_procs[0].kill()  # SIGKILL: they are gone, and the queued message too
        redis_procs[0].wait()
        redis_procs.append(start_redis(folder, port))
        os.kill(server.proc.pid, signal.SIGCONT)
        _settled_done(base, session, [server, worker])
        for proc in (worker, server):
            assert proc.stop() == 0, "".join(proc.output)
    _check_whole(data_dir, session, queue)
    said = "".join(worker.output) + "".join(server.output)
    assert "Redis restarted:" in said, said  # the worker sent the lost records again
    assert "model m2 (attempt 1, claim free) has no message" in said, said  # F's window


def _resume(*procs: RemapProc) -> None:
    """SIGCONT to each that still runs (a test that failed may leave one paused)."""
    for p in procs:
        if p.proc.poll() is None:
            os.kill(p.proc.pid, signal.SIGCONT)


@pytest.mark.slow
def test_a_server_killed_with_records_it_fetched_leaves_every_curve_whole_and_in_order(
    tmp_path: Path,
) -> None:
    """D: records the dead server had fetched come back behind newer ones."""
    data_dir = tmp_path / "data"
    with ExitStack() as stack:
        url, _folder, _port, _redis = _free_redis(tmp_path, stack)
        server, base = _server(url, data_dir)
        stack.callback(server.stop)
        worker = _worker(url, stack)
        stack.callback(_resume, server)
        with httpx.Client(base_url=base, timeout=30) as client:
            session, queue = _session(client, concurrency=1)
            _wait_training(client, session)
        _pause_holding_fetched(url, server)
        time.sleep(PAUSE_S)
        server.kill()  # SIGKILL: what it fetched waits for its heartbeat to lapse
        server, base = _server(url, data_dir)
        stack.callback(server.stop)
        _settled_done(base, session, [server, worker])
        for proc in (worker, server):
            assert proc.stop() == 0, "".join(proc.output)
    _check_whole(data_dir, session, queue)
    # the gap is filled by whichever comes first: the worker re-sending what its receipt
    # lacks, or Redis handing the dead server's fetched records back (under load the
    # second can win); either way the curve above is whole and in order
