"""Fixtures of the server's tests: a real `SessionService` (one trainer process) on a
store in a temporary folder, with one small trained session, and a real uvicorn server
on a free loopback port for the tests that need real HTTP connections."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from starlette.testclient import TestClient

from nas_core.events import EventStore
from nas_core.service import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig
from remap_server import create_app

DATA = DataSpec(limit=200)
SETTINGS = Settings(train=TrainConfig(epochs=1))
TRAINED = "trained"  # the session every read-only test looks at: 3 models, trained
# A TestClient's own host ("testserver") is no name of this machine: the app, bound to
# loopback, refuses it (the Host check against DNS rebinding). Clients use this one.
LOCAL = "http://127.0.0.1"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("remap-data")


@pytest.fixture(scope="session")
def service(data_dir: Path) -> Iterator[SessionService]:
    store = EventStore(data_dir / "remap.db")
    svc = SessionService(store, data_root=data_dir, processes=1)
    svc.create_session("trained", DATA, SETTINGS, session=TRAINED, command_id="create")
    svc.start(TRAINED, 3, seed=1)
    svc.wait_idle(TRAINED, timeout_s=120)
    yield svc
    svc.close()
    store.close()


@pytest.fixture(scope="session")
def client(service: SessionService) -> Iterator[TestClient]:
    with TestClient(create_app(service), base_url=LOCAL) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(app) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread; yields its base URL; stops it after."""
    sock = socket.create_server(("127.0.0.1", 0))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as `remap serve` does
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="error", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=2)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        app.state.hub.closing = True
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def serve() -> Callable:
    return running
