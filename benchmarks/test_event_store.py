"""The event log's speed, each against its baseline in the same run (issue 5, "Speed").

- Durable appends, one event per transaction: the store against a plain JSON-lines log
  with one fsync per event (target: within 2×) and against a bare SQLite table insert
  (``seq INTEGER PRIMARY KEY, body``; target: within 1.5×), with ``synchronous=FULL``
  and ``NORMAL``. Every writer gets the same ~330-byte msgspec-encoded "epoch completed"
  envelopes and encodes them in its loop.
- Replay: read a session back from the store, decode every event, fold it
  (target: 100,000 events at ≥ 300,000 events/s), beside the bare SQLite fetch of the
  same rows. The log is a whole session: each model created, queued, started, trained,
  finished with the 360 test-set predictions of digits (packed), and embedded in both
  projections with its packed distance row against the session's landmarks (issue 20).
  Mixes: models trained 10 epochs (the default; 62 % of the events are epochs) and 100
  epochs (94 % epochs, close to the issue's ~336-byte events), and the baseline
  ``10_epochs_v1``: the same log as the program before issue 20 wrote it (predictions
  and rows as JSON lists, rows against up to 100 earlier models: version 1 bodies,
  upcast on read).
- Decoding the session file's lines: typed msgspec decoding against ``json.loads`` to
  dicts (target: ≥ 3×).

Events per second (from the median round) are in each benchmark's ``extra_info``;
``pytest benchmarks/test_event_store.py --benchmark-json=out.json`` records them.
Nothing here asserts on time. Sizes: ``REMAP_BENCH_EVENTS`` (default 100,000) events
to replay; under ``--benchmark-disable`` (``make test``) everything runs once, small.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
from pathlib import Path

import msgspec
import pytest

from nas_core.arch import Input, Limits, arch_hash, count_flops, count_params
from nas_core.events import (
    VERSIONS,
    CreateSession,
    Envelope,
    EpochCompleted,
    EventStore,
    ModelCreated,
    ModelEmbedded,
    Pending,
    Sampled,
    SessionState,
    StoredRow,
    TrainingFinished,
    TrainingQueued,
    TrainingStarted,
    event_kind,
    export_session,
    fold,
    handle,
    read_session_file,
)
from nas_core.events.upcast import TrainResultV1
from nas_core.generators import load_search_space, sample
from nas_core.packed import pack_floats, pack_labels, unpack_labels
from nas_core.service.embedding import LANDMARKS
from nas_core.specs import DatasetInfo, EpochMetrics, Settings, TrainResult

pytest.importorskip("pytest_benchmark")

SESSION = "0f8e5cbd2a6b4b0c9d1e2f3a4b5c6d7e"  # a uuid4 hex, as the service makes them
DIGITS = DatasetInfo(
    n_train=1222,
    n_val=215,
    n_test=360,
    input_shape=(1, 8, 8),
    class_names=tuple(str(i) for i in range(10)),
    digest="0" * 64,
)


def disabled(config) -> bool:
    return bool(config.getoption("benchmark_disable")) and not config.getoption("benchmark_enable")


def per_second(benchmark, events: int) -> None:
    """Events per second from the median (and the best) round into ``extra_info``."""
    if benchmark.stats is None:  # --benchmark-disable: ran once as a plain test
        return
    stats = benchmark.stats.stats
    benchmark.extra_info["events"] = events
    benchmark.extra_info["events_per_second"] = round(events / stats.median)
    benchmark.extra_info["events_per_second_best"] = round(events / stats.min)


# --- durable appends -----------------------------------------------------------------------


def epoch_events(count: int) -> list[Pending]:
    rnd = random.Random(0)
    out = []
    for k in range(count):
        model, epoch = f"m{k // 10 + 1}", k % 10 + 1
        metrics = EpochMetrics(
            epoch, rnd.random(), rnd.random(), rnd.random(), rnd.random(), rnd.random(), 1e-3
        )
        out.append(Pending(f"{model}:1:epoch:{epoch}", EpochCompleted(model, 1, metrics)))
    return out


def envelope_line(seq: int, p: Pending) -> bytes:
    """The envelope the baselines write: the same fields the store keeps."""
    env = Envelope(seq, p.id, "2025-01-31T12:34:56.789Z", SESSION, 1, p.event)
    return msgspec.json.encode(env)


class JsonLines:
    """The baseline log: one line per event, flushed and fsynced before returning."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("ab")
        self.seq = 0

    def append(self, p: Pending) -> None:
        self.seq += 1
        self.file.write(envelope_line(self.seq, p) + b"\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self) -> None:
        self.file.close()


class BareTable:
    """The baseline table: ``seq INTEGER PRIMARY KEY, body``, one autocommit insert per
    event, WAL, the given ``synchronous``."""

    def __init__(self, path: Path, synchronous: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute(f"PRAGMA synchronous = {synchronous}")
        self.conn.execute("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, body BLOB)")
        self.seq = 0

    def append(self, p: Pending) -> None:
        self.seq += 1
        self.conn.execute("INSERT INTO log VALUES (?, ?)", (self.seq, envelope_line(self.seq, p)))

    def close(self) -> None:
        self.conn.close()


class Store:
    """The event store, one event per append."""

    def __init__(self, path: Path, synchronous: str) -> None:
        self.store = EventStore(path, synchronous=synchronous)  # type: ignore[arg-type]

    def append(self, p: Pending) -> None:
        self.store.append(SESSION, [p])

    def close(self) -> None:
        self.store.close()


WRITERS = {
    "jsonl_fsync": lambda path: JsonLines(path / "log.jsonl"),
    "bare_sqlite_full": lambda path: BareTable(path / "bare.db", "FULL"),
    "store_full": lambda path: Store(path / "store.db", "FULL"),
    "bare_sqlite_normal": lambda path: BareTable(path / "bare.db", "NORMAL"),
    "store_normal": lambda path: Store(path / "store.db", "NORMAL"),
}


@pytest.mark.parametrize(
    "writer",
    [
        pytest.param(w, marks=pytest.mark.benchmark(group=f"append-{w.rsplit('_', 1)[-1]}"))
        for w in WRITERS
    ],
)
def test_durable_appends(benchmark, tmp_path, request, writer):
    normal = writer.endswith("normal")
    per_round = 5 if disabled(request.config) else (1000 if normal else 200)
    rounds = 1 if disabled(request.config) else (9 if normal else 5)
    events = epoch_events(per_round * (rounds + 1))
    log = WRITERS[writer](tmp_path)
    batches = iter([events[k * per_round : (k + 1) * per_round] for k in range(rounds + 1)])

    def append_batch(batch: list[Pending]) -> None:
        for p in batch:
            log.append(p)

    log.append(Pending("warm-up", events[0].event))  # the file exists, the session too
    benchmark.pedantic(
        append_batch, setup=lambda: ((next(batches),), {}), rounds=rounds, iterations=1
    )
    per_second(benchmark, per_round)
    if isinstance(log, Store):
        envs = log.store.read(SESSION)
        assert [e.seq for e in envs] == list(range(1, 2 + per_round * rounds))
        assert [e.event for e in envs[1:]] == [p.event for p in events[: per_round * rounds]]
    log.close()


# --- replay and fold -----------------------------------------------------------------------


def session_log(count: int, epochs: int = 10) -> list[Pending]:
    """A whole session's events (see the module), each model trained `epochs` epochs:
    ``count`` events."""
    rnd = random.Random(1)
    space = load_search_space()
    limits = Limits()
    archs = sample(7, 60, input=Input(shape=(1, 8, 8), classes=10), space=space, limits=limits)
    settings = Settings()
    out = list(handle(SessionState(), CreateSession(name="replay"), dataset=DIGITS))
    embedded: list[str] = []
    k = 0
    while len(out) < count:
        k += 1
        m = f"m{k}"
        arch = msgspec.structs.replace(archs[k % len(archs)], name=m)
        params, flops = count_params(arch), count_flops(arch)
        origin = Sampled(seed=7, index=k - 1, batch="start")
        out.append(Pending(f"start:{k}", ModelCreated(
            m, arch, None, origin, (), f"Sampled (seed 7, #{k - 1})", params, flops,
            arch_hash(arch),
        )))  # fmt: skip
        out.append(Pending(f"start:q{k}", TrainingQueued(m, settings.train, seed=k)))
        out.append(Pending(f"{m}:1:started", TrainingStarted(m, 1, "worker-1")))
        for e in range(1, epochs + 1):
            metrics = EpochMetrics(
                e, rnd.random(), rnd.random(), rnd.random(), rnd.random(), rnd.random(), 1e-3
            )
            out.append(Pending(f"{m}:1:epoch:{e}", EpochCompleted(m, 1, metrics)))
        result = TrainResult(
            epochs=epochs, best_epoch=epochs, stopped_early=False, test_loss=rnd.random(),
            test_acc=rnd.random(), per_class_acc=tuple(rnd.random() for _ in range(10)),
            confusion=tuple(tuple(rnd.randrange(40) for _ in range(10)) for _ in range(10)),
            predictions=pack_labels([rnd.randrange(10) for _ in range(DIGITS.n_test)]),
            params=params, flops=flops, forward_ms=rnd.random(), backward_ms=rnd.random(),
            wall_s=rnd.random(), device="cpu",
        )  # fmt: skip
        out.append(Pending(f"{m}:1:finished", TrainingFinished(m, 1, result)))
        landmarks = embedded[:LANDMARKS]
        for projection in ("structure", "predictions"):
            row = pack_floats([rnd.random() for _ in landmarks])
            event = ModelEmbedded(m, projection, rnd.random(), rnd.random(), row)
            out.append(Pending(f"{m}:embedded:{projection}", event))
        embedded.append(m)
    return out[:count]


def replay_size(config) -> int:
    return 2_000 if disabled(config) else int(os.environ.get("REMAP_BENCH_EVENTS", "100000"))


def version_1_rows(events: list[Pending]) -> list[StoredRow]:
    """`events` as the program before issue 20 stored them (the baseline): predictions
    as lists of labels, and each distance row a list against up to 100 earlier models
    (version 1 bodies, upcast on read)."""
    rows, embedded = [], {"structure": [], "predictions": []}
    rnd = random.Random(2)
    for seq, p in enumerate(events, 1):
        kind, body, version = event_kind(p.event), msgspec.to_builtins(p.event), None
        if kind == "training_finished":
            result = {k: body["result"][k] for k in TrainResultV1.__struct_fields__}
            result["predictions"] = unpack_labels(p.event.result.predictions).tolist()
            body["result"] = result
            version = 1
        elif kind == "model_embedded":
            against = embedded[p.event.projection][-100:]
            body["distances"] = [rnd.random() for _ in against]
            body["against"] = against
            embedded[p.event.projection].append(p.event.model)
            version = 1
        version = version or VERSIONS[kind]
        rows.append(StoredRow(seq, p.id, "2026-01-01T00:00:00.000Z", kind, version,
                              msgspec.json.encode(body)))  # fmt: skip
    return rows


@pytest.fixture(scope="module", params=["10_epochs", "100_epochs", "10_epochs_v1"])
def replay_store(request, tmp_path_factory):
    count = replay_size(request.config)
    events = session_log(count, epochs=int(request.param.split("_")[0]))
    path = tmp_path_factory.mktemp("replay") / f"{request.param}.db"
    with EventStore(path, synchronous="NORMAL") as store:
        if request.param.endswith("_v1"):
            rows = version_1_rows(events)
            for k in range(0, len(rows), 10_000):
                store.append_rows(SESSION, rows[k : k + 10_000])
        else:
            for k in range(0, len(events), 10_000):  # in transactions of 10,000 events
                store.append(SESSION, events[k : k + 10_000])
    kinds: dict[str, int] = {}
    for p in events:
        kinds[event_kind(p.event)] = kinds.get(event_kind(p.event), 0) + 1
    store = EventStore(path)
    yield request.param, store, count, kinds
    store.close()


@pytest.mark.benchmark(group="replay")
def test_replay_and_fold(benchmark, request, replay_store):
    name, store, count, kinds = replay_store
    rounds = 1 if disabled(request.config) else 5
    state = benchmark.pedantic(
        lambda: fold(store.read(SESSION)), rounds=rounds, iterations=1, warmup_rounds=1
    )
    assert state.last_seq == count
    assert len(state.models) == kinds["model_created"]
    done = [m for m in state.models.values() if m.status == "done"]
    assert len(done) == kinds["training_finished"]
    assert all(len(m.curve) == m.result.epochs for m in done)
    per_second(benchmark, count)
    benchmark.extra_info["log"] = name
    benchmark.extra_info["kinds"] = kinds
    rows = store.read_rows(SESSION)
    benchmark.extra_info["mean_body_bytes"] = round(sum(len(r.body) for r in rows) / len(rows))


@pytest.mark.benchmark(group="replay")
def test_replay_baseline_sqlite_fetch_only(benchmark, request, replay_store):
    """The floor under a replay: fetching the same rows, no decoding, no fold."""
    name, store, count, _ = replay_store
    rounds = 1 if disabled(request.config) else 5
    with sqlite3.connect(store.path) as conn:
        query = "SELECT pos, id, at, kind, version, body FROM events ORDER BY pos"
        rows = benchmark.pedantic(
            lambda: conn.execute(query).fetchall(), rounds=rounds, iterations=1, warmup_rounds=1
        )
    assert len(rows) == count
    per_second(benchmark, count)
    benchmark.extra_info["log"] = name


# --- decoding the session file's lines -----------------------------------------------------


@pytest.fixture(scope="module")
def session_lines(replay_store, tmp_path_factory):
    name, store, _, _ = replay_store
    path = tmp_path_factory.mktemp("lines") / f"{name}.remap.jsonl"
    export_session(store, SESSION, path)
    blob = path.read_bytes()
    return name, blob, blob.split(b"\n")[1:-1]


@pytest.mark.benchmark(group="decode")
def test_decode_lines_msgspec(benchmark, request, session_lines):
    name, blob, lines = session_lines
    rounds = 1 if disabled(request.config) else 5
    if name.endswith("_v1"):
        # an old log's lines hold version 1 bodies: the session-file reader upcasts them
        run = lambda: read_session_file(blob).envelopes  # noqa: E731
    else:
        decode = msgspec.json.Decoder(Envelope).decode
        run = lambda: [decode(line) for line in lines]  # noqa: E731
    out = benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=1)
    assert all(e.version == VERSIONS[event_kind(e.event)] for e in out)
    per_second(benchmark, len(lines))
    benchmark.extra_info["log"] = name


@pytest.mark.benchmark(group="decode")
def test_decode_lines_baseline_json_loads(benchmark, request, session_lines):
    name, _, lines = session_lines
    rounds = 1 if disabled(request.config) else 5
    out = benchmark.pedantic(
        lambda: [json.loads(line) for line in lines], rounds=rounds, iterations=1, warmup_rounds=1
    )
    assert len(out) == len(lines)
    per_second(benchmark, len(lines))
    benchmark.extra_info["log"] = name
