"""A session driven by commands and simulated system events, for the event-log tests.

`Sim` applies real commands through `decide` and plays the training and embedding
side the way the service will (deterministic event ids, attempts, curves, results, and
the distance rows and layouts of a real `Embedder`), so that the fold, the store and
session files are tested on logs that look like real ones (and that the service can
open: an import proves that). `actions` is a hypothesis strategy of action lists that
`Sim.play` interprets against the current state, so every generated log is valid.

For the tests of logs that do not fit together (issue 15): `real_log` records a session
as the service does; `tampered` drops, swaps, duplicates or replaces (with a second
"session created") some of an export's lines and renumbers the rest, so that every
line still passes the file's own checks (`edits`: a hypothesis strategy of such edit
lists); `InstantRunner` trains a job at once, for services whose trainings are not what
a test is about.
"""

from __future__ import annotations

import functools
import io
import random
import threading

import msgspec
from hypothesis import strategies as st

from nas_core.arch import ReLU
from nas_core.arch.layers import Limits
from nas_core.data import load_dataset
from nas_core.events import (
    VERSIONS,
    Ablate,
    Cancel,
    CancelModels,
    ChangeView,
    CommandError,
    ConcurrencyError,
    CreateSession,
    DrawerAdd,
    DrawerChanged,
    DrawerRemove,
    Enqueue,
    Envelope,
    EpochCompleted,
    EventStore,
    Handcraft,
    LayoutRecomputed,
    PauseQueue,
    Pending,
    Reorder,
    Replicate,
    ResumeQueue,
    Sample,
    SessionState,
    SetConcurrency,
    SetLimits,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
    Vary,
    decide,
    event_kind,
    export_session,
    fold,
)
from nas_core.generators import Insert, Reparam
from nas_core.packed import pack_labels
from nas_core.service.embedding import Embedder
from nas_core.specs import DatasetInfo, DataSpec, EpochMetrics, Settings, TrainConfig, TrainResult
from nas_core.training import TrainJob

DIGITS = DatasetInfo(
    n_train=1222,
    n_val=215,
    n_test=12,
    input_shape=(1, 8, 8),
    class_names=tuple(str(i) for i in range(10)),
    digest="0" * 64,
)
SETTINGS = Settings(train=TrainConfig(epochs=3))
AT = "2025-01-31T12:34:56.789Z"

ACTIONS = (
    "sample", "ablate", "vary", "handcraft", "enqueue", "reorder", "cancel", "drawer_add",
    "drawer_remove", "view", "start", "epoch", "finish", "fail", "stop", "embed", "layout",
    "stale", "replicate", "pause", "resume", "concurrency", "cancel_models",
    "limits", "oneshot", "auto_search",
    "import",  # issue 20: a search REMAP did not run
    "notes",  # issue 22: notes and tags
)  # fmt: skip

# training and embedding are drawn more often than the commands, as in a real session;
# every list starts by sampling a few models so that the rest has something to act on
_WEIGHTED = (*ACTIONS, "start", "start", "epoch", "epoch", "epoch", "finish", "embed")
actions = st.builds(
    lambda seed, rest: [("sample", seed), *rest],
    st.integers(0, 2**16),
    st.lists(
        st.tuples(st.sampled_from(_WEIGHTED), st.integers(0, 2**16)), min_size=10, max_size=60
    ),
)


def envelope(seq: int, p: Pending, session: str = "s1") -> Envelope:
    kind = event_kind(p.event)
    return Envelope(seq, p.id, p.at or AT, session, VERSIONS[kind], p.event)


class Sim:
    """A session in memory, or in `store` when one is given (then every event is
    appended there with ``expected_seq``)."""

    def __init__(self, store=None, session: str = "s1", name: str = "sim") -> None:
        self.store = store
        self.session = session
        self.state = SessionState()
        self.envelopes: list[Envelope] = []
        self.embedder = Embedder()
        self.command(CreateSession(name=name, settings=SETTINGS))

    # --- plumbing ---------------------------------------------------------------------

    def append(self, pending: list[Pending]) -> list[Envelope]:
        if self.store is not None:
            envs = self.store.append(self.session, pending, expected_seq=self.state.last_seq)
        else:
            seen = {e.id for e in self.envelopes}
            envs = []
            for p in pending:
                if p.id not in seen:
                    envs.append(envelope(self.state.last_seq + len(envs) + 1, p, self.session))
                    seen.add(p.id)
        new = [e for e in envs if e.seq > self.state.last_seq]
        self.envelopes.extend(new)
        self.state = fold(new, self.state)
        return envs

    def command(self, command, **kwargs) -> list[Envelope]:
        decision = decide(self.state, command, dataset=DIGITS, **kwargs)
        return self.append(list(decision.events))

    def try_command(self, command) -> list[Envelope]:
        try:
            return self.command(command)
        except CommandError:
            return []

    # --- the system side ----------------------------------------------------------------

    def _models(self, status: str) -> list[str]:
        return [m for m, s in self.state.models.items() if s.status == status]

    def start(self, model: str, worker: str = "w1") -> None:
        attempt = self.state.models[model].attempts + 1
        event = TrainingStarted(model, attempt, worker)
        self.append([Pending(f"{model}:{attempt}:started", event)])

    def epoch(self, model: str, rnd: random.Random) -> None:
        m = self.state.models[model]
        n = len(m.curve) + 1
        metrics = EpochMetrics(
            n, rnd.random(), rnd.random(), rnd.random(), rnd.random(), rnd.random(), 0.001
        )
        event = EpochCompleted(model, m.attempts, metrics)
        self.append([Pending(f"{model}:{m.attempts}:epoch:{n}", event)])

    def finish(self, model: str, rnd: random.Random) -> None:
        m = self.state.models[model]
        n_test, classes = DIGITS.n_test, len(DIGITS.class_names)
        result = TrainResult(
            epochs=max(1, len(m.curve)),
            best_epoch=max(1, len(m.curve)),
            stopped_early=False,
            test_loss=rnd.random(),
            test_acc=rnd.random(),
            per_class_acc=tuple(rnd.random() for _ in range(classes)),
            confusion=tuple(
                tuple(rnd.randrange(5) for _ in range(classes)) for _ in range(classes)
            ),
            predictions=pack_labels([rnd.randrange(classes) for _ in range(n_test)]),
            params=m.params,
            flops=m.flops,
            forward_ms=rnd.random(),
            backward_ms=rnd.random(),
            wall_s=rnd.random(),
            device="cpu",
        )
        event = TrainingFinished(model, m.attempts, result)
        self.append([Pending(f"{model}:{m.attempts}:finished", event)])

    def fail(self, model: str, retry: bool) -> None:
        m = self.state.models[model]
        event = TrainingFailed(model, m.attempts, "worker died", retry)
        self.append([Pending(f"{model}:{m.attempts}:failed", event)])

    def stop(self, model: str) -> None:
        """The process training `model` was stopped (a Ctrl-C): back on the queue."""
        m = self.state.models[model]
        event = TrainingFailed(model, m.attempts, "stopped", will_retry=True, stopped=True)
        self.append([Pending(f"{model}:{m.attempts}:failed", event)])

    def embed(self, model: str) -> None:
        """Embed a finished model as the service does (its placements, then the
        relayouts the drift rule asks for, in one append)."""
        m = self.state.models[model]
        update = self.embedder.add(model, m.arch, m.result.predictions)
        pending = [Pending(f"{model}:embedded:{e.projection}", e) for e in update.placements]
        pending += [Pending(f"{model}:layout:{e.projection}", e) for e in update.relayouts]
        self.append(pending)

    def import_search(self, like: str, n: int, k: int) -> None:
        """Import one or two models with `like`'s architecture (as a search file would
        bring them: some with predictions and a test accuracy, some without)."""
        import json

        from nas_core.imports import import_events, parse_search_lines

        rnd = random.Random(n)
        arch = msgspec.to_builtins(self.state.models[like].arch)
        lines = []
        for j in range(1 + n % 2):
            line = {"name": f"t{k}.{j}", "architecture": arch, "epochs": [
                {"epoch": 1, "wall_s": 1.5, "val_acc": rnd.random()},
                {"epoch": 2, "wall_s": 2.5, "val_acc": rnd.random(), "val_loss": rnd.random()},
            ], "started_s": float(j)}  # fmt: skip
            if (n + j) % 3:
                line["test_acc"] = rnd.random()
                line["predictions"] = [rnd.randrange(10) for _ in range(DIGITS.n_test)]
            lines.append(json.dumps(line))
        search = parse_search_lines("\n".join(lines))
        self.append(import_events(search, self.state, search_id=f"s{k}", source="sim"))

    def layout(self, rnd: random.Random, k: int) -> None:
        projection = rnd.choice(["structure", "predictions"])
        placed = self.state.embeddings.get(projection, {})
        positions = {m: (rnd.uniform(-1, 1), rnd.uniform(-1, 1)) for m in placed}
        event = LayoutRecomputed(projection, positions, f"grew to {len(placed)} models")
        self.append([Pending(f"layout:{projection}:{k}", event)])

    # --- interpreting an action list ------------------------------------------------------

    def play(self, steps: list[tuple[str, int]]) -> None:
        for k, (action, n) in enumerate(steps):
            self.act(action, n, k)

    def act(self, action: str, n: int, k: int) -> None:
        rnd = random.Random(n)
        models = list(self.state.models)
        pick = models[n % len(models)] if models else None
        queue = [m for m in self.state.queue if m in self.state.models]  # not supernets
        running = self._models("running")
        if action == "sample":
            self.try_command(Sample(count=1 + n % 3, seed=n, id=f"k{k}"))
        elif action == "ablate" and pick:
            layers = len(self.state.models[pick].arch.layers)
            indices = tuple(sorted({n % layers, (n // 7) % layers}))
            self.try_command(Ablate(model=pick, indices=indices))
        elif action == "vary" and pick:
            self.try_command(Vary(model=pick, count=1 + n % 2, seed=n, max_changes=1 + n % 2))
        elif action == "handcraft" and pick:
            arch = self.state.models[pick].arch
            if n % 2:
                edits = (Insert(index=0, layer=ReLU()),)
            else:
                conv = next((i for i, x in enumerate(arch.layers) if hasattr(x, "filters")), None)
                if conv is None:
                    return
                edits = (Reparam(index=conv, params={"filters": 8 + n % 50}),)
            self.try_command(Handcraft(model=pick, edits=edits))
        elif action == "enqueue" and pick:
            self.try_command(Enqueue(models=(pick,)))
        elif action == "reorder" and queue:
            rnd.shuffle(queue)
            self.try_command(Reorder(order=tuple(queue)))
        elif action == "cancel" and (queue or running):
            self.try_command(Cancel(model=rnd.choice(queue + running)))
        elif action == "drawer_add" and pick and pick not in self.state.drawer:
            self.try_command(DrawerAdd(models=(pick,)))
        elif action == "drawer_remove" and self.state.drawer:
            self.try_command(DrawerRemove(models=(rnd.choice(self.state.drawer),)))
        elif action == "view":
            projection = rnd.choice(["accuracy", "structure", "predictions", "search"])
            chosen = None if n % 3 == 0 else n % 10
            self.try_command(ChangeView(projection=projection, selected_class=chosen))
        elif action == "start" and any(q in self.state.models for q in queue):
            self.start(next(q for q in queue if q in self.state.models))  # not a supernet
        elif action == "epoch" and running:
            self.epoch(running[n % len(running)], rnd)
        elif action == "finish" and running:
            self.finish(running[n % len(running)], rnd)
        elif action == "fail" and running:
            self.fail(running[n % len(running)], retry=bool(n % 2))
        elif action == "stop" and running:
            self.stop(running[n % len(running)])
        elif action == "embed":
            placed = self.state.embeddings.get("structure", {})
            done = [
                m
                for m in self._models("done")
                if m not in placed and (r := self.state.models[m].result) and r.predictions
            ]  # fmt: skip (an imported model without predictions is not embedded)
            if done:
                self.embed(done[0])
        elif action == "layout":
            self.layout(rnd, k)
        elif action == "replicate" and pick:  # issue 19: replicates and session controls
            self.try_command(Replicate(model=pick, seeds=1 + n % 2, seed=n))
        elif action == "pause":
            self.try_command(PauseQueue())
        elif action == "resume":
            self.try_command(ResumeQueue())
        elif action == "concurrency":
            self.try_command(SetConcurrency(concurrency=1 + n % 4))
        elif action == "oneshot":  # issue 18: one step of a one-shot exploration
            from nas_core_oneshot_sim import oneshot_step

            oneshot_step(self, n)
        elif action == "import" and pick:  # issue 20: models a search REMAP did not run
            self.import_search(pick, n, k)
        elif action == "auto_search":  # issue 21: one step of steering an automated search
            from nas_core_auto_search_sim import auto_search_step

            auto_search_step(self, n)
        elif action == "notes":  # issue 22: a note or a tag, on a model or the session
            from nas_core_notes_sim import notes_step

            notes_step(self, n)
        elif action == "limits":  # issue 19: the parameter cap changed from the UI
            self.try_command(SetLimits(limits=Limits(max_params=20_000 + 10_000 * (n % 3))))
        elif action == "cancel_models" and (queue or running):
            self.try_command(CancelModels(models=tuple(dict.fromkeys((*queue[:2], *models[:1])))))
        elif action == "stale" and pick:
            # a redelivered or late system event: must change nothing it should not
            m = self.state.models[pick]
            attempt = max(1, m.attempts)
            metrics = EpochMetrics(99, 0.5, 0.5, 0.5, 0.5, 0.1, 0.001)
            self.append([Pending(f"stale:{k}", EpochCompleted(pick, attempt + 1, metrics))])


def process_writer(path: str, name: str, count: int, queue, go) -> None:
    """Append `count` events to session "s" of the store at `path`, half of them with
    optimistic concurrency, each one twice (the second a no-op); put the number of
    conflicts met on `queue`. Starts when the other writers reach the barrier `go`; run
    in a child process by the concurrency test."""
    conflicts = 0
    with EventStore(path, synchronous="NORMAL") as store:
        go.wait(30)  # a barrier: both processes start appending together
        for k in range(count):
            event = [Pending(f"{name}:{k}", DrawerChanged(added=(name,)))]
            if k % 2:
                while True:
                    try:
                        store.append("s", event, expected_seq=store.last_seq("s"))
                        break
                    except ConcurrencyError:
                        conflicts += 1
            else:
                store.append("s", event)
            store.append("s", event)  # a redelivery: must be a no-op
    queue.put(conflicts)


# --- logs that do not fit together (issue 15) ---------------------------------------------

WIDTH = DIGITS.n_test  # predictions per finished model of a simulated log


def real_log(store: EventStore, session: str = "s1") -> bytes:
    """A session as the service records one, exported: five sampled models, four
    trained and embedded by a real `Embedder` (rows, placements, layouts), the fifth
    mid-training."""
    sim = Sim(store, session=session, name="real")
    sim.command(Sample(count=5, seed=3, id="start"))
    rnd = random.Random(0)
    for model in ("m1", "m2", "m3", "m4"):
        sim.start(model)
        sim.epoch(model, rnd)
        sim.epoch(model, rnd)
        sim.finish(model, rnd)
        sim.embed(model)
    sim.start("m5")
    sim.epoch("m5", rnd)
    buffer = io.BytesIO()
    export_session(store, session, buffer)
    return buffer.getvalue()


EDITS = ("drop", "swap", "duplicate", "created")
edits = st.lists(
    st.tuples(st.sampled_from(EDITS), st.integers(0, 2**16), st.integers(0, 2**16)),
    min_size=1,
    max_size=4,
)


def lines_of(data: bytes) -> list[dict]:
    """A session file's lines, decoded (the header first)."""
    return [msgspec.json.decode(line) for line in data.split(b"\n") if line]


def file_of(lines: list[dict], session: str | None = None) -> bytes:
    """The session file of `lines` (the header first), seqs renumbered from 1 and the
    header's ``last_seq`` set; `session` renames the session."""
    header, *events = (dict(line) for line in lines)
    for seq, line in enumerate(events, 1):
        line["seq"] = seq
        if session is not None:
            line["session"] = session
    header["last_seq"] = len(events)
    if session is not None:
        header["session"] = session
    return b"".join(msgspec.json.encode(x) + b"\n" for x in (header, *events))


def tampered(data: bytes, steps: list[tuple[str, int, int]], session: str) -> bytes:
    """`data` (a session file) with `steps` applied (see the module), as `session`."""
    header, *events = lines_of(data)
    for k, (edit, a, b) in enumerate(steps):
        if len(events) < 2:
            break
        i = 1 + a % (len(events) - 1)  # the first line stays "session created"
        if edit == "drop":
            del events[i]
        elif edit == "swap":
            j = 1 + b % (len(events) - 1)
            events[i], events[j] = events[j], events[i]
        elif edit == "duplicate":  # the same event again, under a new id
            events.insert(1 + b % len(events), {**events[i], "id": f"{events[i]['id']}:again{k}"})
        else:  # a second "session created" in place of a line
            events[i] = {**events[0], "id": f"created-again:{k}"}
    return file_of([header, *events], session)


def line_of(data: bytes, event_id: str) -> int:
    """The line number (the header is line 1) of the event with `event_id`."""
    for number, line in enumerate(lines_of(data), 1):
        if line.get("id") == event_id:
            return number
    raise KeyError(event_id)


@functools.cache
def _test_size(data: DataSpec) -> int:
    return load_dataset(data).info().n_test


class InstantRunner:
    """A `Runner` that trains at once: every epoch, then a result with one prediction
    per test example of the job's data set (or `width`). `gate`, when given, is waited
    for between the epochs and the result. `started` counts the jobs run."""

    def __init__(self, width: int | None = None, gate: threading.Event | None = None) -> None:
        self.width = width
        self.gate = gate
        self.started = 0

    def run(self, job: TrainJob, *, on_epoch=None, should_stop=None) -> TrainResult:
        self.started += 1
        epochs = job.config.epochs
        for epoch in range(1, epochs + 1):
            if on_epoch is not None:
                on_epoch(EpochMetrics(epoch, 1 / epoch, 0.5, 1 / epoch, 0.5, 0.01, job.config.lr))
        if self.gate is not None:
            self.gate.wait(60)
        classes = job.arch.input.classes
        rnd = random.Random(job.model_id)
        width = self.width or _test_size(job.data)
        return TrainResult(
            epochs=epochs,
            best_epoch=epochs,
            stopped_early=False,
            test_loss=0.5,
            test_acc=0.5,
            per_class_acc=(0.5,) * classes,
            confusion=tuple((0,) * classes for _ in range(classes)),
            predictions=pack_labels([rnd.randrange(classes) for _ in range(width)]),
            params=0,
            flops=0,
            forward_ms=0.1,
            backward_ms=0.2,
            wall_s=0.01,
            device="cpu",
        )
