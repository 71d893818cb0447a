"""The scale-out mode end to end on a real Redis (DESIGN.md, "Two ways to run").

One ``remap serve --broker`` (the store's only writer, consuming ``"events"``) and two
``remap worker --broker --processes 1`` processes (consuming ``"train"``) share a
private ``redis-server`` (the `redis_url` fixture). Twenty tiny models are sampled
over the HTTP API; each must be trained (by both workers between them), recorded once
(no doubled id, no gap in seq, one "training finished" per model), embedded, and
streamed once over SSE. Then the processes stop on SIGINT as a user's Ctrl-C would.
"""

from __future__ import annotations

import json
import os
import queue
import signal
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

from nas_core.events import EventStore, TrainingFinished, TrainingStarted
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


def _wait_done(client: httpx.Client, session: str, procs: list[Proc]) -> dict:
    """The session's state once every model is done and placed in both projections."""
    deadline = time.monotonic() + DONE_TIMEOUT_S
    while True:
        state = client.get(f"/api/sessions/{session}/state").json()
        models = state["models"].values()
        statuses = Counter(m["status"] for m in models)
        placed = [len(v) for v in state["embeddings"].values()]
        if statuses == {"done": MODELS} and placed == [MODELS, MODELS]:
            return state
        for p in procs:
            assert p.proc.poll() is None, f"{p.proc.args} ended: {''.join(p.output)}"
        assert time.monotonic() < deadline, f"not done after {DONE_TIMEOUT_S} s: {statuses}"
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
