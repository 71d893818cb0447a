"""Live events over real HTTP (uvicorn on a loopback port, httpx clients): resume with
Last-Event-ID across a server restart on the same store file, many subscribers, and
heartbeats."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from nas_core.events import ChangeView, DrawerAdd, DrawerRemove, EventStore
from nas_core.service import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig
from remap_server import Limits, create_app

SETTINGS = Settings(train=TrainConfig(epochs=1))


class Subscriber:
    """Reads an SSE stream in a thread; `ids` are the seqs received, `comments` the
    heartbeat lines."""

    def __init__(self, url: str, last_event_id: int | None = None) -> None:
        self.url = url
        self.headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
        self.ids: list[int] = []
        self.comments = 0
        self.connected = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(10, read=30)) as c,
                c.stream("GET", self.url, headers=self.headers) as r,
            ):
                self.connected.set()
                for line in r.iter_lines():
                    if line.startswith("id: "):
                        self.ids.append(int(line[4:]))
                    elif line.startswith(":"):
                        self.comments += 1
        except (httpx.RemoteProtocolError, httpx.ReadError):
            pass  # the server went away: what was received is kept
        finally:
            self.connected.set()

    def wait_for(self, seq: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while (not self.ids or self.ids[-1] < seq) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.ids, f"nothing received, waiting for {seq}"
        assert self.ids[-1] >= seq, (self.ids[-5:], seq)


def _views(service: SessionService, session: str, n: int) -> None:
    for k in range(n):
        service.execute(session, ChangeView(projection="accuracy", selected_class=k % 10))


def test_resume_across_a_restart_loses_and_doubles_nothing(tmp_path: Path, serve) -> None:
    db = tmp_path / "remap.db"
    session = "live"
    with EventStore(db) as store, SessionService(store, data_root=tmp_path, processes=1) as svc:
        svc.create_session("live", DataSpec(limit=200), SETTINGS, session=session)
        _views(svc, session, 5)
        with serve(create_app(svc)) as base:
            first = Subscriber(f"{base}/api/sessions/{session}/events")
            first.wait_for(6)
            _views(svc, session, 4)
            first.wait_for(10)
        first.thread.join(10)
        seen = list(first.ids)
        _views(svc, session, 3)  # appended while no server runs
    assert seen == list(range(1, 11))
    with EventStore(db) as store, SessionService(store, data_root=tmp_path, processes=1) as svc:
        with serve(create_app(svc)) as base:
            again = Subscriber(f"{base}/api/sessions/{session}/events", last_event_id=seen[-1])
            again.wait_for(13)
            svc.execute(session, ChangeView(projection="search"))
            again.wait_for(14)
        again.thread.join(10)
    assert seen + again.ids == list(range(1, 15))


def test_many_subscribers_see_every_event_once(tmp_path: Path, serve) -> None:
    with EventStore(tmp_path / "remap.db") as store, SessionService(
        store, data_root=tmp_path, processes=1
    ) as svc:  # fmt: skip
        svc.create_session("many", DataSpec(limit=200), SETTINGS, session="many")
        svc.start("many", 1, seed=0)
        svc.wait_idle("many", timeout_s=120)
        with serve(create_app(svc)) as base:
            subs = [Subscriber(f"{base}/api/sessions/many/events") for _ in range(8)]
            start = store.last_seq("many")
            for s in subs:
                s.wait_for(start)
            for k in range(10):
                cmd = DrawerAdd(models=("m1",)) if k % 2 == 0 else DrawerRemove(models=("m1",))
                svc.execute("many", cmd)
            last = store.last_seq("many")
            for s in subs:
                s.wait_for(last)
        for s in subs:
            s.thread.join(10)
            assert s.ids == list(range(1, last + 1))


def test_heartbeats_keep_a_quiet_stream_open(tmp_path: Path, serve) -> None:
    with EventStore(tmp_path / "remap.db") as store, SessionService(
        store, data_root=tmp_path, processes=1
    ) as svc:  # fmt: skip
        svc.create_session("quiet", DataSpec(limit=200), SETTINGS, session="quiet")
        with serve(create_app(svc, limits=Limits(heartbeat_s=0.1))) as base:
            sub = Subscriber(f"{base}/api/sessions/quiet/events")
            sub.wait_for(1)
            deadline = time.monotonic() + 5
            while sub.comments < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
        sub.thread.join(10)
    assert sub.comments >= 2
    assert sub.ids == [1]
