"""Fixtures and helpers of the cross-package tests: a private Redis server for the
scale-out mode, and the processes the faults and scale-out tests start.

`redis_url` starts Debian's ``redis-server`` on a free loopback port, in a temporary
folder, with persistence off (no RDB snapshots, no AOF), and stops it when the test
session ends. ``make test`` installs ``redis-server`` when it is missing; run by hand
without it, the fixture fails with a message that says how to get it. `RemapProc` is a
``remap`` subcommand whose output a reader thread collects; `start_redis` a private
Redis (the restart tests kill and start their own).
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

REMAP = [sys.executable, "-m", "remap_server.cli"]
START_TIMEOUT_S = 60.0


def remap_env(**extra: str) -> dict[str, str]:
    """This environment without a token or data folder of the user's, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in ("REMAP_TOKEN", "REMAP_DATA_DIR")}
    env.update(extra)
    return env


class RemapProc:
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

    def wait_for(self, text: str, timeout_s: float = START_TIMEOUT_S) -> str:
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
                self.kill()
                pytest.fail(f"no {text!r} from {self.proc.args}: {''.join(self.output)}")

    def kill(self) -> None:
        """SIGKILL: no goodbye."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)

    def close(self) -> None:
        """Kill it if it still runs, and close its output once read to the end."""
        self.kill()
        self.reader.join(10)
        assert self.proc.stdout is not None
        if not self.proc.stdout.closed:
            self.proc.stdout.close()

    def stop(self, timeout_s: float = 30.0) -> int:
        """SIGINT (Ctrl-C), then SIGKILL if it has not ended after `timeout_s`; its exit
        code, once its output is read to the end."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.close()
        return self.proc.returncode


def start_redis(folder: Path, port: int) -> subprocess.Popen:
    """Debian's ``redis-server`` on loopback `port`, in `folder`, persistence off, once it
    answers a ping."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not installed: `make test` installs it "
            "(or: apt-get install redis-server)"
        )
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
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    log = (folder / "redis.log").read_text(errors="replace")[-2000:]
                    pytest.fail(f"redis-server on port {port} did not start:\n{log}")
                time.sleep(0.05)
    finally:
        client.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``redis://127.0.0.1:PORT/0`` of a private, empty, non-persistent Redis server."""
    port = _free_port()
    proc = start_redis(tmp_path_factory.mktemp("redis"), port)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
