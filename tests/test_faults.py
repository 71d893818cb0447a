"""Faults (issue 9): ``remap serve`` killed with SIGKILL during a burst of commands and
epochs, and a store that cannot be written.

A server trains a few tiny models while two threads fire commands (each with its own
Idempotency-Key) and three SSE clients listen. The server is SIGKILLed mid-burst; its
trainer processes must end by themselves. A new server on the same data folder must
then hold every command that got a 2xx (once), take a retried command as a no-op, let
each SSE client resume with ``Last-Event-ID`` with no gap and no duplicate, and retrain
the models the kill interrupted.

A store that cannot be written (the disk full: a file-size limit on the server process,
which stops root too) makes every command a 503 saying so, and leaves nothing
half-written: once the limit is lifted the same commands apply, once each, and the file
passes SQLite's integrity check.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import threading
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from nas_core.events import (
    EpochCompleted,
    EventStore,
    TrainingFailed,
    TrainingFinished,
    load_state,
)

from .conftest import START_TIMEOUT_S, RemapProc, remap_env

SESSION = "faults"
IDLE_TIMEOUT_S = 60.0
ORPHAN_TIMEOUT_S = 10.0  # a trainer looks at its parent at every batch and every 1 s idle
BURST_BEFORE_KILL = 30  # commands answered 2xx before the kill
EPOCHS = 30  # a tiny model takes a few ms an epoch: the kill lands mid-training


class Server(RemapProc):
    """A ``remap serve --port 0`` subprocess; `base` is the URL it prints."""

    def __init__(self, data_dir: Path) -> None:
        args = ["serve", "--port", "0", "--data-dir", str(data_dir), "--processes", "2"]
        super().__init__(args, remap_env())
        line = self.wait_for("REMAP is running at http://127.0.0.1:", START_TIMEOUT_S)
        self.base = line.split(" at ", 1)[1].split()[0].split("?")[0].rstrip("/")


class Listener:
    """An SSE client in a thread, recording (seq, kind, envelope id, model or None) of
    each event."""

    def __init__(self, url: str, last_event_id: int | None = None, until: int | None = None):
        self.url = url
        self.headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
        self.params = {} if until is None else {"until": until}
        self.seen: list[tuple[int, str, str, str | None]] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        seq, kind = None, None
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(10, read=30)) as c,
                c.stream("GET", self.url, headers=self.headers, params=self.params) as r,
            ):
                for line in r.iter_lines():
                    if line.startswith("id: "):
                        seq = int(line[4:])
                    elif line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        envelope = json.loads(line[6:])
                        assert envelope["seq"] == seq
                        self.seen.append(
                            (seq, kind, envelope["id"], envelope["event"].get("model"))
                        )
        except httpx.HTTPError:
            pass  # the server was killed: what was received is kept

    def last(self) -> int:
        return self.seen[-1][0] if self.seen else 0

    def training(self) -> set[str]:
        """The models seen in the middle of their epochs."""
        busy: set[str] = set()
        for _, kind, _, model in list(self.seen):
            if kind == "epoch_completed":
                busy.add(model)
            elif kind in ("training_finished", "training_failed", "training_cancelled"):
                busy.discard(model)
        return busy


class Burst:
    """Two threads firing commands until stopped; `sent` holds (key, command, answer)
    with answer = (status, first_seq, last_seq), or None when no answer came."""

    def __init__(self, base: str, model: str) -> None:
        self.base = base
        self.model = model
        self.sent: list[tuple[str, dict, tuple[int, int | None, int | None] | None]] = []
        self.ok = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(name, make), daemon=True)
            for name, make in (("drawer", self._drawer), ("view", self._view))
        ]
        for t in self.threads:
            t.start()

    def _drawer(self, k: int) -> dict:
        kind = "drawer_add" if k % 2 == 0 else "drawer_remove"
        return {"type": kind, "models": [self.model]}

    def _view(self, k: int) -> dict:
        return {"type": "change_view", "projection": ("accuracy", "search")[k % 2],
                "selected_class": k % 10}  # fmt: skip

    def _run(self, name: str, make) -> None:
        url = f"{self.base}/api/sessions/{SESSION}/commands"
        with httpx.Client(timeout=10) as client:
            k = 0
            while not self.stopping.is_set():
                key, command = f"burst-{name}-{k}", make(k)
                try:
                    r = client.post(url, json=command, headers={"Idempotency-Key": key})
                    body = r.json()
                    answer = (r.status_code, body.get("first_seq"), body.get("last_seq"))
                except httpx.HTTPError:
                    answer = None  # killed while in flight: it may or may not be applied
                with self.lock:
                    self.sent.append((key, command, answer))
                    if answer is not None and 200 <= answer[0] < 300:
                        self.ok += 1
                if answer is None:
                    return
                k += 1

    def join(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(15)


def _children() -> dict[int, list[int]]:
    """Each live pid's child pids, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting to be reaped has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _state(client: httpx.Client) -> dict:
    r = client.get(f"/api/sessions/{SESSION}/state")
    assert r.status_code == 200, r.text
    return r.json()


def _wait(what: str, check, timeout_s: float, poll_s: float = 0.05) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(poll_s)


@pytest.mark.slow
def test_server_killed_mid_burst_loses_and_doubles_nothing(tmp_path: Path) -> None:
    db = tmp_path / "remap.db"
    server = Server(tmp_path)
    try:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            created = client.post(
                "/api/sessions",
                json={
                    "name": "faults",
                    "session": SESSION,
                    "data": {"limit": 200},
                    "settings": {"train": {"epochs": EPOCHS}, "concurrency": 2},
                    "sample": 6,
                    "seed": 5,
                },
            )
            assert created.status_code == 201, created.text
            models = sorted(_state(client)["models"])
            assert len(models) == 6
            events_url = f"{server.base}/api/sessions/{SESSION}/events"
            listeners = [Listener(events_url) for _ in range(3)]
            # start the burst while the trainers warm up, kill once a model is in its epochs
            _wait(
                "a model to train",
                lambda: any(m["status"] == "running" for m in _state(client)["models"].values()),
                START_TIMEOUT_S,
            )
        burst = Burst(server.base, models[0])
        _wait(
            "the burst and the epochs",
            lambda: burst.ok >= BURST_BEFORE_KILL and listeners[0].training(),
            START_TIMEOUT_S,
            poll_s=0.005,
        )
        trainers = _descendants(server.proc.pid)
        assert trainers, "the server has no trainer processes"
        server.kill()
        burst.join()
        for listener in listeners:
            listener.thread.join(15)
    finally:
        server.close()

    # no orphan: the trainers notice their parent is gone and end by themselves
    _wait(
        f"the trainers {sorted(trainers)} to exit",
        lambda: not any(_alive(p) for p in trainers),
        ORPHAN_TIMEOUT_S,
    )
    with EventStore(db) as store:
        at_kill = load_state(store, SESSION)
    running_at_kill = {m.id for m in at_kill.models.values() if m.status == "running"}
    answered = [(key, a) for key, _, a in burst.sent if a is not None and 200 <= a[0] < 300]
    assert len(answered) >= BURST_BEFORE_KILL

    server = Server(tmp_path)
    try:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            # with no command: the interrupted models train again, and the session goes idle
            def idle() -> bool:
                state = _state(client)
                statuses = Counter(m["status"] for m in state["models"].values())
                placed = {len(v) for v in state["embeddings"].values()}
                busy = statuses["queued"] + statuses["running"]
                return busy == 0 and placed == {statuses["done"]}

            _wait("the session to be idle", idle, IDLE_TIMEOUT_S)
            # a retry of an applied command writes nothing; one without an answer may
            before, fresh = _state(client)["last_seq"], 0
            for key, command, answer in burst.sent:
                r = client.post(
                    f"/api/sessions/{SESSION}/commands",
                    json=command,
                    headers={"Idempotency-Key": key},
                )
                if answer is not None and 200 <= answer[0] < 300:
                    assert r.status_code == 202, r.text
                    body = r.json()
                    assert body["replayed"] is True, (key, body)
                    assert (body["first_seq"], body["last_seq"]) == answer[1:], (key, body)
                elif r.status_code == 202 and not r.json()["replayed"]:
                    fresh += r.json()["last_seq"] - r.json()["first_seq"] + 1
            last = _state(client)["last_seq"]
            assert last == before + fresh, "a retried command was applied twice"
            events_url = f"{server.base}/api/sessions/{SESSION}/events"
            resumed = [Listener(events_url, x.last(), until=last) for x in listeners]
            for r in resumed:
                r.thread.join(30)
        assert server.stop() == 0, "".join(server.output)
    finally:
        server.close()

    with EventStore(db) as store:
        log = store.read(SESSION)
        final = load_state(store, SESSION)
        for key, (_, first, last_seq) in answered:
            assert first is not None, key
            found = store.find(SESSION, f"{key}:0")
            assert found is not None, f"{key} got a 2xx and is not in the log"
            assert found.seq == first, key
            for k, seq in enumerate(range(first, last_seq + 1)):
                assert log[seq - 1].id == f"{key}:{k}", (key, seq)
    assert [e.seq for e in log] == list(range(1, len(log) + 1)), "a gap or a doubled seq"
    assert len({e.id for e in log}) == len(log), "an event id is recorded twice"
    assert len(log) == last, "events were recorded after the session was idle"
    # each burst command once, whether or not its answer came back
    keys = Counter(e.id.rsplit(":", 1)[0] for e in log if e.id.startswith("burst-"))
    assert all(e.id.endswith(":0") for e in log if e.id.startswith("burst-")), "one event each"
    assert max(keys.values()) == 1

    # every SSE client: what it saw before the kill + after resuming = the log
    wanted = [(e.seq, e.id) for e in log]
    for before, after in zip(listeners, resumed, strict=True):
        stream = [(s, i) for s, _, i, _ in before.seen + after.seen]
        assert stream == wanted, (before.last(), len(before.seen), len(after.seen))

    # no model is left running; those the kill interrupted failed with a retry, then trained
    assert not [m.id for m in final.models.values() if m.status in ("running", "queued")]
    assert running_at_kill, "no model was training at the kill"
    mid_epochs = 0
    for model in running_at_kill:
        events = [e.event for e in log if getattr(e.event, "model", None) == model]
        failed = [
            k for k, e in enumerate(events)
            if isinstance(e, TrainingFailed) and e.will_retry
        ]  # fmt: skip
        assert failed, f"{model} was running at the kill and is not recorded failed"
        mid_epochs += any(isinstance(e, EpochCompleted) for e in events[: failed[0]])
        assert any(isinstance(e, TrainingFinished) for e in events[failed[-1] :]), model
        assert final.models[model].status == "done", (model, final.models[model].status)
    assert mid_epochs, "the kill did not land in the middle of a training"


def _post(client: httpx.Client, url: str, key: str, body: dict) -> httpx.Response:
    return client.post(url, json=body, headers={"Idempotency-Key": key})


@pytest.mark.slow
def test_a_store_that_cannot_be_written_answers_503_and_keeps_nothing_half_written(
    tmp_path: Path,
) -> None:
    """Disk full, made real for root too: RLIMIT_FSIZE on the server process at the
    write-ahead log's size, so the next commit's write fails in the kernel (EFBIG)."""
    db, wal = tmp_path / "remap.db", tmp_path / "remap.db-wal"
    server = Server(tmp_path)
    try:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            created = client.post(
                "/api/sessions",
                json={"name": "full", "session": SESSION, "data": {"limit": 200}},
            )
            assert created.status_code == 201, created.text
            commands = f"/api/sessions/{SESSION}/commands"
            views = [
                (
                    f"view-{k}",
                    {"type": "change_view", "projection": "accuracy", "selected_class": k},
                )
                for k in range(4)
            ]
            assert _post(client, commands, "warm", views[0][1]).status_code == 202
            before = _state(client)["last_seq"]
            # an SSE client that stays connected through the fault, up to the retries
            listener = Listener(f"{server.base}/api/sessions/{SESSION}/events", 0, before + 4)
            # the log's frames so far were written one after another (far from an
            # automatic checkpoint), so the next commit writes past the file's end
            limit = wal.stat().st_size
            assert limit > 0
            resource.prlimit(
                server.proc.pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY)
            )
            # one event, many events in one transaction, a new session: each refused whole
            refused = [
                *[(commands, key, body) for key, body in views],
                (commands, "sample", {"type": "sample", "count": 20, "seed": 1}),
                ("/api/sessions", "new", {"name": "other", "session": "other"}),
            ]
            for url, key, body in refused:
                r = _post(client, url, key, body)
                assert r.status_code == 503, (key, r.status_code, r.text)
                error = r.json()["error"]
                assert "event store cannot be written" in error, error
                assert str(tmp_path) not in error, "the answer shows the server's files"
            # reads still work and see nothing new
            assert _state(client)["last_seq"] == before
            assert client.get("/api/sessions/other/state").status_code == 404

            # the fault lifted: the same server takes the refused commands, each once
            resource.prlimit(server.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
            for key, body in views:
                r = _post(client, commands, key, body)
                assert r.status_code == 202, r.text
                assert r.json()["replayed"] is False, (key, r.json())
                assert r.json()["first_seq"] == r.json()["last_seq"], key
            last = _state(client)["last_seq"]
            assert last == before + len(views)
            listener.thread.join(30)
            assert not listener.thread.is_alive(), "the event stream stalled after the fault"
        server.kill()  # SIGKILL: what is on disk must stand by itself
    finally:
        server.close()

    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    with EventStore(db) as store:  # its own quick_check on open
        log = store.read(SESSION)
        assert store.session("other") is None, "the refused session was half created"
    assert [e.seq for e in log] == list(range(1, last + 1)), "a gap or a doubled seq"
    assert len({e.id for e in log}) == len(log)
    assert not [e.id for e in log if e.id.startswith("sample:")], "the refused sample is in the log"
    assert [e.id for e in log[before:]] == [f"{key}:0" for key, _ in views]
    assert [(x[0], x[2]) for x in listener.seen] == [(e.seq, e.id) for e in log]
