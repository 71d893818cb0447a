"""The scale-out mode end to end on a real Redis (DESIGN.md, "Two ways to run").

One ``remap serve --broker`` (the store's only writer, consuming ``"events"``) and two
``remap worker --broker --processes 1`` processes (consuming ``"train"``) share a
private ``redis-server`` (the `redis_url` fixture). Twenty tiny models are sampled
over the HTTP API; each must be trained (by both workers between them), recorded once
(no doubled id, no gap in seq, one "training finished" per model), embedded, and
streamed once over SSE. Then the processes stop on SIGINT as a user's Ctrl-C would.

Faults on Redis: a worker SIGKILLed mid-training (its model is retried on the other
worker as attempt 2 within Dramatiq's heartbeat timeout, made short by `make_broker`),
and Redis itself SIGKILLed and started again on the same port with its queues lost
(workers and server reconnect; models it lost are sent again; all of them finish).
A Redis without persistence also loses the events it holds for the server (a known gap:
run Redis with ``appendonly yes`` where that matters).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import redis

from nas_core.events import (
    EpochCompleted,
    EventStore,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
)
from nas_core.service import RedisCancelFlags

REMAP = [sys.executable, "-m", "remap_server.cli"]
MODELS = 20
CONCURRENCY = 2  # one model per worker: each takes only what it can train now
DONE_TIMEOUT_S = 180.0
START_TIMEOUT_S = 60.0


class Proc:
    """A ``remap`` subprocess whose output lines are collected by a reader thread."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*REMAP, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_for(self, text: str, timeout_s: float) -> str:
        """The first output line containing `text` (fails with the output so far)."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(0.01, min(left, 0.5)))
            except queue.Empty:
                line = ""
            if text in line:
                return line
            if left <= 0 or (not line and self.proc.poll() is not None):
                pytest.fail(f"no {text!r} from {self.proc.args}: {''.join(self.output)}")

    def stop(self, timeout_s: float = 30.0) -> int:
        """SIGINT (Ctrl-C), then SIGKILL if it has not ended after `timeout_s`."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(10)  # it reads to the end of the output, then the pipe closes
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return self.proc.returncode


def _env() -> dict[str, str]:
    drop = ("REMAP_TOKEN", "REMAP_DATA_DIR")
    return {k: v for k, v in os.environ.items() if k not in drop}


def _sse_envelopes(client: httpx.Client, session: str, until: int) -> list[dict]:
    """Every envelope of the session's event stream up to seq `until`, in order."""
    envelopes, ids = [], []
    with client.stream("GET", f"/api/sessions/{session}/events", params={"until": until}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("id:"):
                ids.append(int(line[3:].strip()))
            elif line.startswith("data:"):
                envelopes.append(json.loads(line[5:].strip()))
    assert ids == [e["seq"] for e in envelopes]
    return envelopes


def _wait_done(client: httpx.Client, session: str, procs: list[Proc], models: int = MODELS) -> dict:
    """The session's state once every model is done and placed in both projections."""
    deadline = time.monotonic() + DONE_TIMEOUT_S
    while True:
        state = client.get(f"/api/sessions/{session}/state").json()
        statuses = Counter(m["status"] for m in state["models"].values())
        placed = [len(v) for v in state["embeddings"].values()]
        if statuses == {"done": models} and placed == [models, models]:
            return state
        for p in procs:
            assert p.proc.poll() is None, f"{p.proc.args} ended: {''.join(p.output)}"
        failed = {k: m["error"] for k, m in state["models"].items() if m["status"] == "failed"}
        assert not failed, f"failed: {failed}\n" + "\n".join("".join(p.output) for p in procs)
        assert time.monotonic() < deadline, (
            f"not done after {DONE_TIMEOUT_S} s: {statuses}\n"
            + json.dumps(
                {
                    k: (m["status"], m["attempts"], m["worker"], len(m["curve"]))
                    for k, m in state["models"].items()
                }
            )
            + "\n".join("".join(p.output) for p in procs)
        )
        time.sleep(0.25)


@pytest.mark.slow
def test_twenty_models_across_two_workers(redis_url: str, tmp_path: Path) -> None:
    env = _env()
    with ExitStack() as stack:
        server = Proc(
            ["serve", "--broker", redis_url, "--port", "0", "--data-dir", str(tmp_path)], env
        )
        stack.callback(server.stop)
        workers = []
        for _ in range(2):
            worker = Proc(["worker", "--broker", redis_url, "--processes", "1"], env)
            stack.callback(worker.stop)
            workers.append(worker)
        line = server.wait_for("REMAP is running at http://127.0.0.1:", START_TIMEOUT_S)
        base = line.split(" at ", 1)[1].split()[0].split("?")[0]
        names = [w.wait_for("worker ", START_TIMEOUT_S).split()[1].rstrip(":") for w in workers]
        assert len(set(names)) == 2, names

        with httpx.Client(base_url=base, timeout=30) as client:
            created = client.post(
                "/api/sessions",
                json={
                    "name": "scale-out",
                    "data": {"limit": 200},
                    "settings": {"train": {"epochs": 1}, "concurrency": CONCURRENCY},
                    "sample": MODELS,
                    "seed": 3,
                },
            )
            assert created.status_code == 201, created.text
            session = created.json()["session"]
            state = _wait_done(client, session, [server, *workers])
            last = state["last_seq"]
            streamed = _sse_envelopes(client, session, last)

        # Ctrl-C on each: the workers are idle, the server has recorded everything
        for proc in (*workers, server):
            assert proc.stop() == 0, "".join(proc.output)

    with EventStore(tmp_path / "remap.db") as store:
        log = store.read(session)
    seqs = [e.seq for e in log]
    assert seqs == list(range(1, len(log) + 1)), "the log has a gap or a doubled seq"
    assert len({e.id for e in log}) == len(log), "an event id is recorded twice"
    assert len(log) == last, "events were recorded after every model was done"

    finished = Counter(e.event.model for e in log if isinstance(e.event, TrainingFinished))
    assert finished == Counter(dict.fromkeys(state["models"], 1))
    started = [e.event for e in log if isinstance(e.event, TrainingStarted)]
    assert len(started) == MODELS, "a model was started twice (a redelivery or a retry)"
    assert {s.worker for s in started} == set(names), "not both workers trained"
    # the server's limit holds, and the two workers trained side by side
    running, most = set(), 0
    for e in log:
        if isinstance(e.event, TrainingStarted):
            running.add(e.event.model)
            most = max(most, len(running))
        elif isinstance(e.event, TrainingFinished):
            running.discard(e.event.model)
    assert most == CONCURRENCY

    # the view's stream: every event once, in order, the same as the log
    assert [e["seq"] for e in streamed] == seqs
    assert [e["id"] for e in streamed] == [e.id for e in log]


def test_redis_cancel_flags(redis_url: str) -> None:
    prefix = f"test-cancel-{uuid.uuid4().hex[:8]}"
    flags = RedisCancelFlags.from_url(redis_url, prefix=prefix, ttl_s=60)
    client = redis.Redis.from_url(redis_url)
    try:
        assert not flags.is_cancelled("s1", "m1")
        flags.cancel("s1", "m1")
        assert flags.is_cancelled("s1", "m1")
        assert not flags.is_cancelled("s1", "m2")  # per model
        assert not flags.is_cancelled("s2", "m1")  # per session
        assert 0 < client.ttl(flags.key("s1", "m1")) <= 60  # a forgotten flag expires
        # another process (a worker) sees the flag through its own connection
        other = RedisCancelFlags.from_url(redis_url, prefix=prefix)
        assert other.is_cancelled("s1", "m1")
        flags.clear("s1", "m1")
        assert not flags.is_cancelled("s1", "m1")
        assert not other.is_cancelled("s1", "m1")
        flags.clear("s1", "m1")  # clearing twice is harmless
        with pytest.raises(ValueError, match="session must be a non-empty string"):
            flags.cancel("", "m1")
        short = RedisCancelFlags(client, prefix=prefix, ttl_s=1)
        short.cancel("s3", "m1")
        assert short.is_cancelled("s3", "m1")
        # the TTL is enforced by Redis itself: wait for the key to expire
        deadline = time.monotonic() + 10
        while short.is_cancelled("s3", "m1"):
            assert time.monotonic() < deadline, "a flag with a 1 s TTL did not expire"
            time.sleep(0.1)
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


# ---------------------------------------------------------------- faults on Redis

FAULT_MODELS = 4
FAULT_EPOCHS = 150  # a tiny model trains for seconds: a kill lands mid-training


def _db(url: str, db: int) -> str:
    """`url` on another database (the tests here do not share Dramatiq's keys)."""
    return url.rsplit("/", 1)[0] + f"/{db}"


class Deployment:
    """``remap serve --broker`` and two ``remap worker --broker --processes 1``."""

    def __init__(self, stack: ExitStack, url: str, data_dir: Path) -> None:
        env = _env()
        self.server = Proc(
            ["serve", "--broker", url, "--port", "0", "--data-dir", str(data_dir)], env
        )
        stack.callback(self.server.stop)
        self.workers = []
        for _ in range(2):
            worker = Proc(["worker", "--broker", url, "--processes", "1"], env)
            stack.callback(worker.stop)
            self.workers.append(worker)
        line = self.server.wait_for("REMAP is running at http://127.0.0.1:", START_TIMEOUT_S)
        self.base = line.split(" at ", 1)[1].split()[0].split("?")[0]
        self.names = [
            w.wait_for("worker ", START_TIMEOUT_S).split()[1].rstrip(":") for w in self.workers
        ]

    def new_session(
        self,
        client: httpx.Client,
        name: str,
        concurrency: int = 2,
        epochs: int = FAULT_EPOCHS,
        limit: int = 200,
    ) -> str:
        created = client.post(
            "/api/sessions",
            json={
                "name": name,
                "data": {"limit": limit},
                "settings": {"train": {"epochs": epochs}, "concurrency": concurrency},
                "sample": FAULT_MODELS,
                "seed": 5,
            },
        )
        assert created.status_code == 201, created.text
        return created.json()["session"]


def _wait_state(client: httpx.Client, session: str, check, what: str) -> dict:
    deadline = time.monotonic() + DONE_TIMEOUT_S
    while True:
        state = client.get(f"/api/sessions/{session}/state").json()
        if check(state):
            return state
        statuses = Counter(m["status"] for m in state["models"].values())
        assert time.monotonic() < deadline, f"no {what} after {DONE_TIMEOUT_S} s: {statuses}"
        assert statuses["done"] < len(state["models"]), f"no {what}: all done"
        time.sleep(0.1)


def _check_log(data_dir: Path, session: str, models: int) -> list:
    """The session's log: no gap, no doubled id, each model finished once."""
    with EventStore(data_dir / "remap.db") as store:
        log = store.read(session)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert len({e.id for e in log}) == len(log)
    finished = Counter(e.event.model for e in log if isinstance(e.event, TrainingFinished))
    assert len(finished) == models
    assert set(finished.values()) == {1}
    return log


@pytest.mark.slow
def test_a_worker_killed_mid_training_on_redis_is_retried_on_the_other(
    redis_url: str, tmp_path: Path
) -> None:
    url = _db(redis_url, 1)
    with ExitStack() as stack:
        d = Deployment(stack, url, tmp_path)
        with httpx.Client(base_url=d.base, timeout=30) as client:
            session = d.new_session(client, "kill a worker")

            def running_with_epochs(state: dict) -> bool:
                return any(
                    m["status"] == "running" and m["curve"] and m["worker"] == d.names[0]
                    for m in state["models"].values()
                )

            state = _wait_state(client, session, running_with_epochs, "model training on 1")
            victim = next(
                k
                for k, m in state["models"].items()
                if m["status"] == "running" and m["worker"] == d.names[0]
            )
            d.workers[0].proc.kill()  # SIGKILL: no goodbye, its message stays unacked
            d.workers[0].proc.wait()
            _wait_done(client, session, [d.server, d.workers[1]], FAULT_MODELS)
        for proc in (d.workers[1], d.server):
            assert proc.stop() == 0, "".join(proc.output)

    log = _check_log(tmp_path, session, FAULT_MODELS)
    mine = [e.event for e in log if getattr(e.event, "model", None) == victim]
    started = [e for e in mine if isinstance(e, TrainingStarted)]
    assert [(s.attempt, s.worker) for s in started] == [(1, d.names[0]), (2, d.names[1])]
    failed = [e for e in mine if isinstance(e, TrainingFailed)]
    assert [(f.attempt, f.will_retry) for f in failed] == [(1, True)]
    assert f"worker {d.names[0]} stopped responding" in failed[0].reason
    (finished,) = (e for e in mine if isinstance(e, TrainingFinished))
    assert finished.attempt == 2
    # the record of attempt 2 is whole: its curve is every epoch, once
    epochs = [e.metrics.epoch for e in mine if isinstance(e, EpochCompleted) and e.attempt == 2]
    assert epochs == list(range(1, FAULT_EPOCHS + 1))
    # the other models: one attempt each, and no model was left "running"
    others = Counter(e.event.model for e in log if isinstance(e.event, TrainingStarted))
    assert others == Counter({**dict.fromkeys(others, 1), victim: 2})


def _start_redis(folder: Path, port: int) -> subprocess.Popen:
    """A non-persistent ``redis-server`` on `port` (as the `redis_url` fixture's)."""
    binary = shutil.which("redis-server")
    assert binary is not None, "redis-server is not installed (make test installs it)"
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
         "--save", "", "--appendonly", "no", "--daemonize", "no",
         "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port)
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            try:
                client.ping()
                return proc
            except redis.ConnectionError:
                assert proc.poll() is None, (folder / "redis.log").read_text(errors="replace")
                assert time.monotonic() < deadline, f"redis-server on {port} did not start"
                time.sleep(0.05)
    finally:
        client.close()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()


@pytest.mark.slow
def test_redis_restarted_while_workers_run_recovers_by_itself(tmp_path: Path) -> None:
    folder = tmp_path / "redis"
    folder.mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    data_dir = tmp_path / "data"
    with ExitStack() as stack:
        first = _start_redis(folder, port)
        stack.callback(_stop, first)
        d = Deployment(stack, url, data_dir)
        with httpx.Client(base_url=d.base, timeout=30) as client:
            session = d.new_session(client, "restart redis", concurrency=2, epochs=100, limit=1500)

            def training_and_queued(state: dict) -> bool:
                models = state["models"].values()
                running = [m for m in models if m["status"] == "running" and m["curve"]]
                return bool(running) and any(m["status"] == "queued" for m in models)

            _wait_state(client, session, training_and_queued, "one training, one queued")
            first.kill()  # SIGKILL: the queued models' messages are gone with it
            first.wait()
            time.sleep(2.0)  # everyone notices: sends and fetches fail meanwhile
            second = _start_redis(folder, port)
            stack.callback(_stop, second)
            state = _wait_done(client, session, [d.server, *d.workers], FAULT_MODELS)
            assert all(m["status"] == "done" for m in state["models"].values())
        for proc in (*d.workers, d.server):
            assert proc.stop() == 0, "".join(proc.output)

    log = _check_log(data_dir, session, FAULT_MODELS)
    started = Counter(e.event.model for e in log if isinstance(e.event, TrainingStarted))
    assert set(started) == set(state["models"])
    assert not [e for e in log if isinstance(e.event, TrainingFailed)]
