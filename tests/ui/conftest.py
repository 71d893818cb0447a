"""Fixtures of the browser tests: the UI bundle (built when stale), a real `remap serve`
on loopback with a small session that trains as the tests run, and Debian's chromium
driven by Playwright.

Screenshots go to ``out/screenshots/`` (test output; look at them). ``make test``
installs chromium and the npm packages; run by hand without them, the fixtures fail
with a message that says how to get them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "packages" / "ui"
BUNDLE = ROOT / "packages" / "server" / "src" / "remap_server" / "static" / "ui" / "remap.js"
SCREENSHOTS = ROOT / "out" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1440, "height": 900}  # a laptop screen


def _stale() -> bool:
    if not BUNDLE.exists():
        return True
    built = BUNDLE.stat().st_mtime
    sources = [*UI.joinpath("src").rglob("*.js"), UI / "build.mjs", UI / "package-lock.json"]
    return any(p.stat().st_mtime > built for p in sources)


@pytest.fixture(scope="session")
def ui_bundle() -> Path:
    """The built UI bundle, rebuilt first when a source is newer."""
    if _stale():
        if not (UI / "node_modules").exists():
            pytest.fail("packages/ui/node_modules is missing: run `make ui` (npm ci + build)")
        done = subprocess.run(
            ["node", "build.mjs"], cwd=UI, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    return BUNDLE


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def _post(url: str, body: object) -> object:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"content-type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=120) as r:
        return json.loads(r.read())


@dataclass
class Server:
    """A running `remap serve`: its base URL (no trailing slash) and data folder."""

    url: str
    data_dir: Path
    proc: subprocess.Popen
    opened: str = ""

    def get(self, path: str) -> object:
        return _get(self.url + path)

    def post(self, path: str, body: object) -> object:
        return _post(self.url + path, body)

    def new_session(
        self, name: str, *, sample: int = 4, epochs: int = 2, limit: int = 600, seed: int = 0
    ) -> str:
        """A session on digits (`limit` examples) whose `sample` models train
        `epochs` epochs in the background; its id."""
        body = {
            "name": name,
            "data": {"kind": "digits", "limit": limit},
            "settings": {"train": {"epochs": epochs}},
            "sample": sample,
            "seed": seed,
        }
        return self.post("/api/sessions", body)["session"]

    def events_url(self, session: str) -> str:
        return f"{self.url}/api/sessions/{session}/events"

    def wait_idle(self, session: str, timeout_s: float = 120.0) -> dict:
        """Poll the state until no model is queued or running; the state."""
        deadline = time.monotonic() + timeout_s
        while True:
            state = self.get(f"/api/sessions/{session}/state")
            busy = [m for m in state["models"].values() if m["status"] in ("queued", "running")]
            if not busy:
                return state
            if time.monotonic() > deadline:
                pytest.fail(f"session {session}: {len(busy)} models still training")
            time.sleep(0.2)


def start_server(data_dir: Path, *extra: str, command: str = "serve") -> Server:
    """`remap serve --port 0` (or `command`: "demo") on `data_dir`, no token, one trainer
    process, with `extra` arguments; `Server.opened` is the URL it printed."""
    env = {k: v for k, v in os.environ.items() if k != "REMAP_TOKEN"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "remap_server.cli", command, "--port", "0", "--processes", "1",
         "--data-dir", str(data_dir), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    line = proc.stdout.readline()
    if "running at" not in line:
        proc.kill()
        pytest.fail(f"remap {command} did not start: {line}{proc.stderr.read()}")
    opened = line.split(" at ", 1)[1].split()[0]
    return Server(opened.split("/?")[0].rstrip("/"), data_dir, proc, opened)


def poll(check: Callable[[], object], what: str, timeout_s: float = 90.0) -> object:
    """`check()` again every 0.1 s until it returns something true; that value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.communicate()


@pytest.fixture(scope="session")
def server(ui_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `remap serve` for the browser tests (each test makes its own session)."""
    s = start_server(tmp_path_factory.mktemp("remap-ui"))
    try:
        yield s
    finally:
        stop_server(s)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium under Playwright (headless, no network beyond loopback).

    Per module, not per session: Playwright's sync API keeps an event loop running in
    the main thread while it is open, and a later test that calls `asyncio.run` (the
    server benchmarks) must not find one."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh page at laptop size; console errors and uncaught exceptions fail the
    test (a view that throws is a broken view)."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    p = context.new_page()
    problems: list[str] = []
    p.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))

    def console(msg) -> None:
        # a 4xx a test provokes on purpose (a rejected command) logs "Failed to load
        # resource"; the view's own handling of it is what the test checks
        if msg.type == "error" and "the server responded with a status of 4" not in msg.text:
            problems.append(f"console.{msg.type}: {msg.text}")

    p.on("console", console)
    p.problems = problems
    try:
        yield p
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="session")
def screenshot() -> Callable:
    """`screenshot(page, name)` saves ``out/screenshots/<name>.png``; its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, **options) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), **options)
        return path

    return take


def mount(page, server: Server, html: str) -> None:
    """Open a page of the server's origin whose HTML is `html` (served by Playwright:
    the server has no such page), e.g. a view alone with the bundle's script tag."""
    url = f"{server.url}/__test__/page-{id(html):x}.html"
    page.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(url)


def mount_in_panel(page, server: Server, tag: str, session: str, width: int = 620) -> None:
    """`mount` a page holding only `<tag src=…>` in a `width` px panel (the app's tabs
    column is ~620 px)."""
    mount(
        page,
        server,
        f"""<style>body {{ margin: 0; padding: 12px; background: #fff; }}
        .panel {{ width: {width}px; border: 1px solid #dde1e6; padding: 8px; }}</style>
        <script type="module" src="{server.url}/ui/remap.js"></script>
        <div class="panel"><{tag} src="{server.events_url(session)}"></{tag}></div>""",
    )
