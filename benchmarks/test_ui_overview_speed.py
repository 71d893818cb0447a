"""<remap-overview> at 10,000 models in a real chromium, fed over a real event stream
(issue 8): first paint after the last event arrives (target ≤ 1 s), hover (handler plus
the redraw it asks for, median of ~100, target ≤ 16 ms) and the projection switch
animation (target ≥ 30 fps).

The log is built in Python with the real event kinds, appended to a throwaway event
store (so seqs, ids and times are the store's): a "session created", then per model
created, queued, started, one epoch, finished with a result (`at` spread over six hours
so the search view has a time axis), and one "layout recomputed" per MDS projection
carrying every model's position. `remap serve` is not used: at start it rebuilds the MDS
layouts from the recorded distance rows, O(n²) at 10,000 models. Instead a stand-in
server on loopback (`StandIn`) serves the page, the built bundle and the whole log over a
real SSE stream encoded by the server's own `encode_events` (kept open, answering
`change_view` with a "view changed" event as the server does); the client parses and
folds exactly as live.
Architectures are a few hundred sampled ones reused under new ids.

Baseline in the same run: the naive scatter, one SVG <circle> per model, on the same
positions: build and paint, hover (a stroke on the hovered circle, the browser's own
hit test), and a 400 ms transition setting every circle's cx/cy per frame.

Figures are printed and kept in ``extra_info``. Nothing asserts on time. Under
``--benchmark-disable`` (``make test``) it runs on 1,000 models.
"""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import msgspec
import pytest

from nas_core.events import (
    VERSIONS,
    CreateSession,
    Envelope,
    EpochCompleted,
    EventStore,
    LayoutRecomputed,
    ModelCreated,
    Pending,
    Sample,
    SessionState,
    TrainingFinished,
    TrainingQueued,
    TrainingStarted,
    ViewChanged,
    decide,
    event_kind,
    fold,
)
from nas_core.packed import pack_labels
from nas_core.specs import DatasetInfo, EpochMetrics, Settings, TrainConfig, TrainResult
from remap_server.sse import encode_events

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
SESSION = "overview-bench"
ORIGIN = "http://remap.bench"  # every request to it is answered by Playwright
CLASSES = 10
DIGITS = DatasetInfo(
    n_train=1222, n_val=215, n_test=20, input_shape=(1, 8, 8),
    class_names=tuple(str(i) for i in range(CLASSES)), digest="0" * 64,
)  # fmt: skip

# the launch of tests/ui/conftest.py (which benchmarks/ cannot import as a fixture)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1440, "height": 900}
UI = ROOT / "packages" / "ui"
BUNDLE = ROOT / "packages" / "server" / "src" / "remap_server" / "static" / "ui" / "remap.js"
SCREENSHOTS = ROOT / "out" / "screenshots"
PAGE = (
    '<!doctype html><html><body style="margin:0;font-family:system-ui,sans-serif">'
    "<style>remap-overview{height:620px;width:960px}</style>"
    '<script type="module" src="/ui/remap.js"></script></body></html>'
)
SNAC = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
    '<rect width="120" height="40" fill="#dde"/></svg>'
)


def _at(seconds: float) -> str:
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"2025-02-01T{h:02d}:{m:02d}:{s:02d}.{int((seconds - whole) * 1e6):06d}Z"


def build_log(path: Path, n: int, seed: int = 0) -> list[Envelope]:
    """The envelopes of a session of `n` trained models, each placed in both MDS
    projections by a closing "layout recomputed" (appended to a new store at `path`)."""
    rnd = random.Random(seed)
    with EventStore(path) as store:
        state = SessionState()
        create = CreateSession(
            name="overview bench", settings=Settings(train=TrainConfig(epochs=1))
        )
        envs = store.append(
            SESSION,
            [Pending(p.id, p.event, _at(0)) for p in decide(state, create, dataset=DIGITS).events],
        )
        state = fold(envs, state)
        sampled = decide(state, Sample(count=min(n, 300), seed=seed)).events
        bases = [p.event for p in sampled if isinstance(p.event, ModelCreated)]
        queued = next(p.event for p in sampled if isinstance(p.event, TrainingQueued))
        pending: list[Pending] = []
        structure: dict[str, tuple[float, float]] = {}
        predictions: dict[str, tuple[float, float]] = {}
        for k in range(n):
            model = f"m{k + 1}"
            base = bases[k % len(bases)]
            t = 5 + 21600 * (k + rnd.random()) / n
            skill = min(0.99, max(0.05, rnd.gauss(0.35 + 0.5 * k / n, 0.15)))
            arch = msgspec.structs.replace(base.arch, name=model)
            created = msgspec.structs.replace(base, model=model, arch=arch)
            metrics = EpochMetrics(1, 1 - skill, skill, 1 - skill, skill, 1.0, 0.001)
            result = TrainResult(
                epochs=1, best_epoch=1, stopped_early=False, test_loss=1 - skill,
                test_acc=skill,
                per_class_acc=tuple(min(1, max(0, rnd.gauss(skill, 0.1))) for _ in range(CLASSES)),
                confusion=tuple(tuple(0 for _ in range(CLASSES)) for _ in range(CLASSES)),
                predictions=pack_labels([rnd.randrange(CLASSES) for _ in range(DIGITS.n_test)]),
                params=base.params, flops=base.flops, forward_ms=1.0, backward_ms=2.0, wall_s=1.0,
                device="cpu",
            )  # fmt: skip
            pending += [
                Pending(f"{model}:created", created, _at(t - 4)),
                Pending(f"{model}:queued", TrainingQueued(model, queued.config, k), _at(t - 3)),
                Pending(f"{model}:1:started", TrainingStarted(model, 1, "w1"), _at(t - 2)),
                Pending(f"{model}:1:epoch:1", EpochCompleted(model, 1, metrics), _at(t - 1)),
                Pending(f"{model}:1:finished", TrainingFinished(model, 1, result), _at(t)),
            ]
            cluster = k % 7
            structure[model] = (rnd.gauss(cluster % 3, 0.35), rnd.gauss(cluster // 3, 0.35))
            predictions[model] = (rnd.gauss(skill * 4, 0.3), rnd.gauss(0, 0.6))
        pending += [
            Pending(
                f"layout:{projection}", LayoutRecomputed(projection, positions, "bench"), _at(21700)
            )
            for projection, positions in (("structure", structure), ("predictions", predictions))
        ]
        log = list(envs)
        for start in range(0, len(pending), 5000):
            log += store.append(SESSION, pending[start : start + 5000], expected_seq=log[-1].seq)
        return log


# Before any page script: the session's event stream (a fetch of …/events, read by the
# client's SSE reader) is watched as it arrives: the time of its first and last chunk,
# how many events, and the last seq.
RECORD_SSE = """(() => {
  const seen = (window.__sse = {first: null, last: null, count: 0, seq: 0});
  const native = window.fetch;
  window.fetch = async (...args) => {
    const response = await native(...args);
    if (!String(args[0]).includes('/events')) return response;
    const decoder = new TextDecoder();
    const watch = new TransformStream({
      transform(chunk, controller) {
        const now = performance.now();
        seen.first ??= now;
        seen.last = now;
        const text = decoder.decode(chunk, {stream: true});
        const ids = text.match(/^id: \\d+$/gm) ?? [];
        seen.count += ids.length;
        if (ids.length) seen.seq = Number(ids[ids.length - 1].slice(4));
        controller.enqueue(chunk);
      },
    });
    return new Response(response.body.pipeThrough(watch),
      {status: response.status, headers: response.headers});
  };
})();"""

# In the page: wait until the last event arrived, was folded, and a frame of the overview
# drew every model; the times from the stream's last event, and from its first.
# The element is added here, so its Session (and stream) starts with our listener
# on it: no event can arrive before this task ends.
FIRST_PAINT = """async ([n, last, src]) => {
  const el = document.createElement('remap-overview');
  el.setAttribute('src', src);
  document.body.append(el);
  const t = {folded: null};
  const onChange = (e) => {
    const done = e.detail.what === 'events' && el.session.live.last_seq >= last;
    if (done) t.folded ??= performance.now();
  };
  el.session.addEventListener('change', onChange);
  await new Promise((resolve) => {
    const check = () => {
      const s = el.stats;
      if (t.folded !== null && s.drawn === n && s.paintedAt >= t.folded) resolve();
      else requestAnimationFrame(check);
    };
    check();
  });
  el.session.removeEventListener('change', onChange);
  const sse = window.__sse;
  return {paint_ms: el.stats.paintedAt - sse.last, stream_ms: sse.last - sse.first,
          fold_ms: t.folded - sse.last, events: sse.count, last_seq: sse.seq,
          frame_ms: el.stats.lastFrameMs, drawn: el.stats.drawn};
}"""

HOVER = """async (ids) => {
  const el = document.querySelector('remap-overview');
  const canvas = el.shadowRoot.querySelector('canvas.main');
  const frame = () => new Promise((r) => requestAnimationFrame((ts) => r(performance.now() - ts)));
  const out = [];
  let hits = 0;
  for (const id of ids) {
    const p = el.pointOf(id);
    const t0 = performance.now();
    const move = {clientX: p.x, clientY: p.y, bubbles: true};
    canvas.dispatchEvent(new PointerEvent('pointermove', move));
    const handler = performance.now() - t0;
    const work = await frame(); // the render and redraw the hover asked for, in that frame
    out.push(handler + work);
    if (el.session.ui.hover !== null) hits += 1;
    canvas.dispatchEvent(new PointerEvent('pointerleave', {bubbles: true}));
    await frame();
  }
  return {times: out, hits};
}"""

# A projection switch through the log (the button posts change_view; the view changes
# when the event comes back over the stream): the page's frames (requestAnimationFrame
# callbacks) and the view's own frames while the transition runs.
SWITCH = """async (projection) => {
  const el = document.querySelector('remap-overview');
  const button = [...el.shadowRoot.querySelectorAll('[role=group] button')]
    .find((b) => b.textContent.trim().toLowerCase() === projection);
  button.click();
  let start = null;
  let startFrames = 0;
  let ticks = 0;
  await new Promise((resolve) => {
    const tick = (ts) => {
      const s = el.stats;
      if (start === null && s.animating) { start = performance.now(); startFrames = s.frames; }
      if (start !== null) ticks += 1;
      if (start !== null && !s.animating) { resolve(); return; }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const ms = performance.now() - start;
  const frames = el.stats.frames - startFrames;
  return {fps: 1000 * ticks / ms, view_fps: 1000 * frames / ms, ticks, frames, ms,
          projection: el.stats.projection};
}"""

# The naive baseline: one SVG circle per model, same positions and colours.
SVG_BASELINE = """async () => {
  const el = document.querySelector('remap-overview');
  const ids = el._models.ids;
  const box = el.shadowRoot.querySelector('canvas.main').getBoundingClientRect();
  const pts = ids.map((id) => el.pointOf(id));
  const host = document.createElement('div');
  host.style.cssText = `position:fixed;left:0;top:${box.bottom + 10}px;`
    + `width:${box.width}px;height:${box.height}px`;
  document.body.append(host);
  const ns = 'http://www.w3.org/2000/svg';
  const frame = () => new Promise((r) => requestAnimationFrame((ts) => r(performance.now() - ts)));
  await frame();
  const t0 = performance.now();
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', box.width); svg.setAttribute('height', box.height);
  const circles = pts.map((p, i) => {
    const c = document.createElementNS(ns, 'circle');
    c.setAttribute('cx', p.x - box.left); c.setAttribute('cy', p.y - box.top);
    c.setAttribute('r', el._models.radius[i]);
    c.setAttribute('fill', `hsl(205, 100%, ${85 - 60 * el._models.bucket[i] / 23}%)`);
    c.setAttribute('stroke', '#fff');
    c.dataset.id = ids[i];
    svg.append(c);
    return c;
  });
  host.append(svg);
  await frame();
  const paint = performance.now() - t0;
  // hover: the circle under the pointer gets a ring (the browser hit-tests SVG)
  let current = null;
  svg.addEventListener('pointermove', (e) => {
    const hit = document.elementFromPoint(e.clientX, e.clientY);
    if (hit === current) return;
    current?.setAttribute('stroke', '#fff');
    current = hit?.tagName === 'circle' ? hit : null;
    current?.setAttribute('stroke', '#1d2330');
  });
  const hover = [];
  const sb = svg.getBoundingClientRect();
  for (let k = 0; k < 100; k++) {
    const c = circles[(k * 7919) % circles.length];
    const t = performance.now();
    svg.dispatchEvent(new PointerEvent('pointermove', {clientX: sb.left + +c.getAttribute('cx'),
      clientY: sb.top + +c.getAttribute('cy'), bubbles: true}));
    const handler = performance.now() - t;
    hover.push(handler + await frame());
  }
  // a 400 ms transition: every circle's cx/cy set per frame
  const from = circles.map((c) => [+c.getAttribute('cx'), +c.getAttribute('cy')]);
  const to = from.map(() => [Math.random() * box.width, Math.random() * box.height]);
  let frames = 0;
  const start = performance.now();
  await new Promise((resolve) => {
    const tick = () => {
      const t = Math.min(1, (performance.now() - start) / 400);
      for (let i = 0; i < circles.length; i++) {
        circles[i].setAttribute('cx', from[i][0] + (to[i][0] - from[i][0]) * t);
        circles[i].setAttribute('cy', from[i][1] + (to[i][1] - from[i][1]) * t);
      }
      frames += 1;
      if (t < 1) requestAnimationFrame(tick); else resolve();
    };
    requestAnimationFrame(tick);
  });
  const ms = performance.now() - start;
  host.remove();
  return {paint_ms: paint, hover: hover, fps: 1000 * frames / ms};
}"""


def _median(values: list[float]) -> float:
    s = sorted(values)
    return s[len(s) // 2]


class StandIn:
    """A stand-in for `remap serve` on loopback, for this one session: the page and the
    bundle, the log over a real SSE stream (all of it, then whatever commands add), and
    `change_view` commands answered as the server would (a "view changed" event on the
    stream). Other requests (the tooltip's SNAC) get a small placeholder SVG."""

    def __init__(self, log: list[Envelope]) -> None:
        self.log = list(log)
        self.changed = threading.Condition()
        self.stopping = False
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/overview-bench.html":
                    self._send(200, "text/html", PAGE.encode())
                elif path == "/ui/remap.js":
                    self._send(200, "text/javascript", BUNDLE.read_bytes())
                elif path == f"/api/sessions/{SESSION}/events":
                    stand_in.stream(self, int(self.headers.get("last-event-id") or 0))
                else:
                    self._send(200, "image/svg+xml", SNAC.encode())

            def do_POST(self) -> None:
                command = json.loads(self.rfile.read(int(self.headers["content-length"])))
                if command.get("type") != "change_view":
                    self._send(400, "application/json", b'{"error": "not in this benchmark"}')
                    return
                seq = stand_in.add(
                    ViewChanged(command["projection"], command.get("selected_class"))
                )
                self._send(200, "application/json", json.dumps({"seq": seq}).encode())

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def add(self, event: ViewChanged) -> int:
        with self.changed:
            seq = self.log[-1].seq + 1
            at = self.log[-1].at
            self.log.append(
                Envelope(seq, f"view:{seq}", at, SESSION, VERSIONS[event_kind(event)], event)
            )
            self.changed.notify_all()
        return seq

    def stream(self, handler: BaseHTTPRequestHandler, after: int) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("cache-control", "no-cache")
        handler.end_headers()
        sent = after
        handler.wfile.write(b"retry: 600000\n\n")
        while not self.stopping:
            with self.changed:
                fresh = [e for e in self.log if e.seq > sent] if self.log[-1].seq > sent else []
                if not fresh:
                    self.changed.wait(0.5)
                    continue
            handler.wfile.write(encode_events(fresh))
            handler.wfile.flush()
            sent = fresh[-1].seq

    def close(self) -> None:
        self.stopping = True
        with self.changed:
            self.changed.notify_all()
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, request):
    n = 1000 if request.config.getoption("benchmark_disable") else 10_000
    log = build_log(tmp_path_factory.mktemp("overview-bench") / "remap.db", n)
    done = subprocess.run(
        ["node", "build.mjs"], cwd=UI, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert BUNDLE.exists()
    stand_in = StandIn(log)
    try:
        yield stand_in, n, log[-1].seq
    finally:
        stand_in.close()


def _measure(benchmark, stand_in: StandIn, n: int, last: int) -> dict:
    """The figures, measured in one chromium (see the module's docstring)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(viewport=VIEWPORT, device_scale_factor=1).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.add_init_script(RECORD_SSE)
            page.goto(f"{stand_in.url}/overview-bench.html")
            page.wait_for_function("() => customElements.get('remap-overview')")
            started = time.perf_counter()
            src = f"{stand_in.url}/api/sessions/{SESSION}/events"
            first = page.evaluate(FIRST_PAINT, [n, last, src])
            wall = time.perf_counter() - started
            assert first["drawn"] == n
            assert first["last_seq"] == last
            page.wait_for_function(
                "() => !document.querySelector('remap-overview').stats.animating"
            )
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"overview-bench-{n}.png"))
            rnd = random.Random(1)
            ids = [f"m{rnd.randrange(1, n + 1)}" for _ in range(100)]
            hover = page.evaluate(HOVER, ids)
            assert hover["hits"] == len(ids)
            projections = ("structure", "predictions", "search", "accuracy")
            switches = [page.evaluate(SWITCH, projection) for projection in projections]
            assert [s["projection"] for s in switches] == list(projections)
            svg = page.evaluate(SVG_BASELINE)
            # the timed round for pytest-benchmark: one projection switch
            order = iter(["structure", "accuracy"] * 10)
            benchmark.pedantic(
                lambda: page.evaluate(SWITCH, next(order)),
                rounds=1 if benchmark.disabled else 4,
                iterations=1,
            )
            assert not errors, errors
        finally:
            browser.close()
    return {"first": first, "wall": wall, "hover": hover, "switches": switches, "svg": svg, "n": n}


def test_overview_speed_vs_svg(benchmark, served) -> None:
    # Playwright's sync API refuses a thread whose asyncio loop is running, as the browser
    # tests' session-wide Playwright leaves this one when both run in one pytest: the
    # browser work runs in a thread of its own.
    out: dict = {}

    def run() -> None:
        try:
            out.update(_measure(benchmark, *served))
        except BaseException as exc:
            out["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if "error" in out:
        raise out["error"]
    first, wall, hover, switches, svg, n = (
        out[k] for k in ("first", "wall", "hover", "switches", "svg", "n")
    )
    figures = {
        "models": n,
        "events": first["events"],
        "stream_and_fold_ms": first["stream_ms"] + first["fold_ms"],
        "open_to_drawn_s": wall,
        "first_paint_ms": first["paint_ms"],
        "frame_ms": first["frame_ms"],
        "hover_median_ms": _median(hover["times"]),
        "hover_max_ms": max(hover["times"]),
        "switch_fps": min(s["fps"] for s in switches),
        "switch_view_fps": min(s["view_fps"] for s in switches),
        "svg_first_paint_ms": svg["paint_ms"],
        "svg_hover_median_ms": _median(svg["hover"]),
        "svg_transition_fps": svg["fps"],
    }
    benchmark.extra_info.update(figures)
    print(
        "\n<remap-overview> at {models} models ({events} events over SSE): stream+fold "
        "{stream_and_fold_ms:.0f} ms (open→drawn {open_to_drawn_s:.1f} s); first paint "
        "{first_paint_ms:.0f} ms after the last event (a frame {frame_ms:.1f} ms); hover median "
        "{hover_median_ms:.2f} ms (max {hover_max_ms:.1f}); switch ≥ {switch_fps:.0f} fps "
        "(the view's frames ≥ {switch_view_fps:.0f} fps)\n"
        "SVG baseline: build+paint {svg_first_paint_ms:.0f} ms; hover median "
        "{svg_hover_median_ms:.2f} ms; transition {svg_transition_fps:.0f} fps".format(**figures)
    )
