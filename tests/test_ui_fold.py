"""The browser's fold (packages/ui/src/core/fold.js) agrees with nas_core's.

Event logs are built with nas_core itself: real commands through `decide` and the
training / embedding side played by the event-log tests' `Sim` (attempts, retries,
cancellations, late and redelivered events, reorders, drawer changes, views,
embeddings and layouts). Each log is encoded as the server streams it (msgspec JSON of
the envelopes) and folded by node, in one invocation for many logs: `foldUpTo` at
several seqs (what the timeline shows) and `foldInto` over overlapping batches (what a
live stream does). The results are compared field by field with
``msgspec.to_builtins(nas_core.events.fold(...))``.

Intended differences, normalised away before comparing:
- the client keeps no `distances` (rows for out-of-sample MDS) and no `search_space`
  (the generators run on the server);
- `toJSON` drops an embedding projection with no positions (a layout of zero models),
  where Python keeps an empty dict: both mean "no positions".

Each envelope is parsed as the client parses a frame of the stream (`parseEnvelope` of
core/session.js): seeds go up to 2**63 - 1 (`Seed` in nas_core.events.kinds), past what
a JS number holds exactly, so the client keeps such a seed as the string of its digits;
the comparison requires exactly those digits.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nas_core.arch.layers import Limits
from nas_core.events import (
    EVENT_TYPES,
    Ablate,
    Cancel,
    CancelModels,
    ChangeView,
    DrawerAdd,
    DrawerChanged,
    DrawerRemove,
    Enqueue,
    EpochCompleted,
    LayoutRecomputed,
    ModelEmbedded,
    PauseQueue,
    Pending,
    QueueReordered,
    Reorder,
    Replicate,
    ResumeQueue,
    Sample,
    SetConcurrency,
    SetLimits,
    TrainingStarted,
    Vary,
    ViewChanged,
    event_kind,
    fold,
)
from nas_core.events.kinds import Imported
from nas_core.specs import EpochMetrics
from nas_core.train_overrides import TrainOverrides

ROOT = Path(__file__).resolve().parents[1]
FOLD_JS = ROOT / "packages" / "ui" / "src" / "core" / "fold.js"
SESSION_JS = FOLD_JS.with_name("session.js")
sys.path.insert(0, str(ROOT / "packages" / "nas_core" / "tests"))

from nas_core_auto_search_sim import auto_search_story  # noqa: E402
from nas_core_notes_sim import notes_story  # noqa: E402
from nas_core_oneshot_sim import oneshot_story  # noqa: E402

from nas_core_event_sim import Sim, actions  # noqa: E402

MAX_SAFE_INTEGER = 2**53 - 1  # JS numbers hold integers exactly up to here
CLIENT_LESS = ("distances", "search_space")  # server-side only (see the docstring)
ALL_KINDS = set(EVENT_TYPES)  # a new kind fails the full-log test until the log has it

# Reads {"cases": [{"envelopes": [...], "seqs": [...], "batches": [...]}]} on stdin;
# prints, per case, the state at each seq (foldUpTo) and after folding the envelopes
# in overlapping batches (foldInto, each batch re-sending the last envelope before it).
NODE_SCRIPT = """
import { foldInto, foldUpTo, emptyState, toJSON } from %s;
import { parseEnvelope } from %s;
let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const { lines, seqs, batches } of JSON.parse(input).cases) {
  const envelopes = lines.map(parseEnvelope);
  const at = seqs.map((seq) => toJSON(foldUpTo(envelopes, seq)));
  const live = emptyState();
  let start = 0;
  for (const size of batches) {
    foldInto(live, envelopes.slice(Math.max(0, start - 1), start + size));
    start += size;
  }
  foldInto(live, envelopes.slice(start));
  out.push({ at, streamed: toJSON(live), version: live.version });
}
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not installed: `make test` installs it (apt-get install nodejs)")
    return found


def run_node(node: str, tmp_path: Path, cases: list[dict]) -> list[dict]:
    script = tmp_path / "fold_check.mjs"
    script.write_text(NODE_SCRIPT % (json.dumps(FOLD_JS.as_uri()), json.dumps(SESSION_JS.as_uri())))
    payload = b'{"cases":[' + b",".join(case_json(c) for c in cases) + b"]}"
    done = subprocess.run(
        [node, str(script)], input=payload, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def case_json(case: dict) -> bytes:
    # each envelope as the server streams it: one JSON text a frame
    lines = [msgspec.json.encode(e).decode() for e in case["envelopes"]]
    return json.dumps({"lines": lines, "seqs": case["seqs"], "batches": case["batches"]}).encode()


def python_state(envelopes, seq: int) -> dict:
    """Python's fold of the envelopes up to `seq`, as the client keeps it."""
    state = msgspec.json.decode(msgspec.json.encode(fold(e for e in envelopes if e.seq <= seq)))
    for name in CLIENT_LESS:
        state.pop(name, None)
    state["embeddings"] = {p: m for p, m in state["embeddings"].items() if m}
    return state


def differences(py: object, js: object, path: str = "$") -> list[str]:
    """Every field where the two differ, by path (ints and floats compare as numbers)."""
    if isinstance(py, dict) and isinstance(js, dict):
        found = [f"{path}.{k}: only in Python" for k in py.keys() - js.keys()]
        found += [f"{path}.{k}: only in JS" for k in js.keys() - py.keys()]
        for k in py.keys() & js.keys():
            found += differences(py[k], js[k], f"{path}.{k}")
        return found
    if isinstance(py, list) and isinstance(js, list):
        if len(py) != len(js):
            return [f"{path}: {len(py)} items in Python, {len(js)} in JS: {py!r} vs {js!r}"]
        pairs = enumerate(zip(py, js, strict=True))
        return [d for i, (a, b) in pairs for d in differences(a, b, f"{path}[{i}]")]
    if type(py) is int and abs(py) > MAX_SAFE_INTEGER:
        # kept exact as its digits (see the docstring: seeds)
        return [] if js == str(py) else [f"{path}: Python {py!r}, JS {js!r}"]
    numbers = (int, float)
    if type(py) in numbers and type(js) in numbers:
        return [] if float(py) == float(js) else [f"{path}: Python {py!r}, JS {js!r}"]
    if type(py) is not type(js) or py != js:
        return [f"{path}: Python {py!r}, JS {js!r}"]
    return []


def check(node: str, tmp_path: Path, cases: list[dict]) -> None:
    results = run_node(node, tmp_path, cases)
    for n, (case, result) in enumerate(zip(cases, results, strict=True)):
        envelopes = case["envelopes"]
        last = envelopes[-1].seq
        for seq, js in zip(case["seqs"], result["at"], strict=True):
            found = differences(python_state(envelopes, seq), js)
            assert not found, f"case {n}, foldUpTo(seq={seq}):\n" + "\n".join(found)
        found = differences(python_state(envelopes, last), result["streamed"])
        assert not found, f"case {n}, streamed in batches:\n" + "\n".join(found)
        assert result["version"] >= 1


def metrics(n: int, x: float) -> EpochMetrics:
    return EpochMetrics(n, x, 1 - x, x / 2, 1 - x / 2, 0.25, 0.001)


def handwritten_log() -> list:
    """A session that goes through every kind of event and every guard of the fold."""
    rnd = random.Random(7)
    sim = Sim(name="parity <b>&</b>")
    sim.command(Sample(count=5, seed=11))  # m1..m5 queued
    sim.command(Ablate(model="m1", indices=(0,)))
    sim.command(Vary(model="m2", count=2, seed=3, max_changes=1))  # queued too
    rest = [m for m in sim.state.queue if m not in ("m4", "m2")]
    sim.command(Reorder(order=("m4", "m2", *rest)))
    # unknown and repeated ids (an older client's order)
    sim.append([Pending("r1", QueueReordered(("m6", "m9", "m1", "m6")))])
    sim.start("m4", worker="w1")
    sim.epoch("m4", rnd)
    sim.fail("m4", retry=True)  # back at the head of the queue
    sim.start("m4", worker="w2")
    sim.append([Pending("dup-start", TrainingStarted("m4", 2, "w3"))])  # redelivered
    sim.append([Pending("old-attempt", EpochCompleted("m4", 1, metrics(7, 0.1)))])
    sim.epoch("m4", rnd)
    sim.epoch("m4", rnd)
    sim.finish("m4", rnd)
    sim.start("m2")
    sim.epoch("m2", rnd)
    sim.fail("m2", retry=False)
    sim.start("m1")
    sim.command(Cancel(model="m1"))  # a running model
    sim.append([Pending("late-epoch", EpochCompleted("m1", 1, metrics(1, 0.5)))])
    sim.command(Cancel(model="m3"))  # a queued one
    sim.command(Enqueue(models=("m3", "m2")))  # re-queue a cancelled and a failed model
    sim.start("m5")
    sim.epoch("m5", rnd)
    sim.stop("m5")  # its process stopped (a Ctrl-C): queued again, its retries kept
    sim.start("m5")
    sim.epoch("m5", rnd)
    sim.finish("m5", rnd)
    sim.append([Pending("ghost", EpochCompleted("m99", 1, metrics(1, 0.2)))])
    sim.command(DrawerAdd(models=("m4", "m5")))
    sim.append([Pending("d1", DrawerChanged(added=("m2", "m77", "m4"), removed=("m5", "m42")))])
    sim.command(DrawerRemove(models=("m4",)))
    sim.command(ChangeView(projection="structure", selected_class=3))
    sim.append([Pending("v2", ViewChanged("predictions"))])
    sim.append([Pending("empty-layout", LayoutRecomputed("predictions", {}, "no models yet"))])
    sim.embed("m4")
    sim.embed("m5")
    sim.append([Pending("e-ghost", ModelEmbedded("m42", "structure", 1.0, 2.0))])
    sim.layout(rnd, 1)
    sim.append(
        [Pending("r2", QueueReordered(tuple(reversed(sim.state.queue))))]
    )  # fmt: skip
    sim.start(sim.state.queue[0])
    # issue 19: replicates, a paused queue, the live concurrency, a brushed cancel
    sim.command(Replicate(model="m4", seeds=2, seed=5, train=TrainOverrides(epochs=4, patience=0)))
    sim.command(PauseQueue())
    sim.command(SetConcurrency(concurrency=3))
    sim.command(ResumeQueue())
    sim.command(CancelModels(models=(sim.state.queue[0], "m4")))
    oneshot_story(sim, rnd)  # issue 18: every one-shot kind
    sim.command(SetLimits(limits=Limits(max_params=30_000)))  # issue 19: the cap from the UI
    auto_search_story(sim)  # issue 21: every steering kind
    notes_story(sim)  # issue 22: notes and tags on models and on the session
    sim.import_search("m4", 3, 90)  # issue 20: two imported models, one with predictions
    sim.import_search("m4", 3, 90)  # the same lines again: a retry appends nothing
    sim.embed(next(m for m, s in sim.state.models.items()
                   if isinstance(s.origin, Imported) and s.result is not None))  # fmt: skip
    return sim.envelopes


def test_handwritten_log_folds_the_same_at_every_seq(node, tmp_path):
    envelopes = handwritten_log()
    kinds = {event_kind(e.event) for e in envelopes}
    assert kinds == ALL_KINDS  # the log exercises every kind
    seqs = list(range(envelopes[-1].seq + 1))  # 0: the empty state
    check(node, tmp_path, [{"envelopes": envelopes, "seqs": seqs, "batches": [1, 3, 7, 2, 20]}])


def test_the_client_state_has_the_fields_the_views_read(node, tmp_path):
    envelopes = handwritten_log()
    (result,) = run_node(node, tmp_path, [{"envelopes": envelopes, "seqs": [], "batches": []}])
    state = result["streamed"]
    assert state["name"] == "parity <b>&</b>"  # text as it came, never markup
    m4 = state["models"]["m4"]
    assert (m4["status"], m4["attempts"], m4["worker"], len(m4["curve"])) == ("done", 2, "w2", 2)
    m2 = state["models"]["m2"]  # failed, enqueued again, started again
    assert (m2["status"], m2["attempts"], m2["error"]) == ("running", 2, "worker died")
    assert state["drawer"] == ["m2"]
    assert state["view"] == {"projection": "predictions", "selected_class": None}
    assert set(state["embeddings"]) >= {"structure"}


def sim_cases(steps_lists: list, rnd: random.Random) -> list[dict]:
    cases = []
    for steps in steps_lists:
        sim = Sim()
        sim.play(steps)
        envelopes = sim.envelopes
        last = envelopes[-1].seq
        seqs = sorted({0, 1, last, *(rnd.randint(1, last) for _ in range(4))})
        batches = [rnd.randint(1, 6) for _ in range(rnd.randint(0, 8))]
        cases.append({"envelopes": envelopes, "seqs": seqs, "batches": batches})
    return cases


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(actions, min_size=6, max_size=6), st.randoms(use_true_random=False))
def test_random_sessions_fold_the_same(node, tmp_path_factory, steps_lists, rnd):
    # one node run checks six sessions (node's start-up dominates a single check)
    check(node, tmp_path_factory.mktemp("fold"), sim_cases(steps_lists, rnd))


def test_big_seeds_stay_exact_and_text_is_never_rewritten(node, tmp_path):
    envelopes = handwritten_log()
    big = [
        e.event.seed for e in envelopes if getattr(e.event, "seed", 0) > MAX_SAFE_INTEGER
    ]  # the training seeds drawn for queued models
    assert big, "the log should hold a seed past 2**53 for this test to mean anything"
    created = envelopes[0]
    trap = '"seed":12345678901234567890, \\"seed\\":98765432109876543210'
    renamed = msgspec.structs.replace(
        created, event=msgspec.structs.replace(created.event, name=trap)
    )
    (result,) = run_node(
        node, tmp_path, [{"envelopes": [renamed, *envelopes[1:]], "seqs": [], "batches": []}]
    )
    assert result["streamed"]["name"] == trap
    seeds = [m["seed"] for m in result["streamed"]["models"].values() if m["seed"] is not None]
    one = result["streamed"]["oneshot"]  # issue 18: supernets and searches keep seeds too
    seeds += [r["seed"] for t in ("supernets", "searches") for r in one[t].values()]
    assert {str(s) for s in big} <= set(seeds)


def test_a_seed_within_the_safe_range_stays_a_number(node, tmp_path):
    # 16 digits, yet below 2**53: JS holds it exactly, so it must stay a number
    sim = Sim(name="safe seed")
    sim.command(Sample(count=1, seed=2_260_456_287_175_800))
    (result,) = run_node(node, tmp_path, [{"envelopes": sim.envelopes, "seqs": [], "batches": []}])
    assert result["streamed"]["models"]["m1"]["origin"]["seed"] == 2_260_456_287_175_800
    check(
        node,
        tmp_path,
        [{"envelopes": sim.envelopes, "seqs": [sim.envelopes[-1].seq], "batches": []}],
    )


# Issue 20: a page starts its fold from the server's state at seq k (`GET …/state`) and
# folds only the events after k. Reads {"cases": [{"lines", "snapshots": [text at k]}]}
# and prints, per case and snapshot, toJSON of fromJSON(state at k) folded on to the end,
# beside toJSON of the fold from seq 1.
SNAPSHOT_SCRIPT = """
import { foldInto, foldUpTo, fromJSON, toJSON } from %s;
import { parseEnvelope } from %s;
let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const { lines, snapshots } of JSON.parse(input).cases) {
  const envelopes = lines.map(parseEnvelope);
  const whole = toJSON(foldUpTo(envelopes));
  const resumed = snapshots.map((text) => {
    const state = fromJSON(parseEnvelope(text));
    const tail = envelopes.filter((e) => e.seq > state.last_seq);
    return toJSON(foldInto(state, tail));
  });
  out.push({ whole, resumed });
}
process.stdout.write(JSON.stringify(out));
"""


def snapshot_check(node: str, tmp_path: Path, cases: list[tuple[list, list[int]]]) -> None:
    """For each (log, cuts): the client fold from the server's state at each cut plus the
    events after it equals the client fold from seq 1, and both equal Python's."""
    script = tmp_path / "snapshot_check.mjs"
    script.write_text(
        SNAPSHOT_SCRIPT % (json.dumps(FOLD_JS.as_uri()), json.dumps(SESSION_JS.as_uri()))
    )
    payload = {
        "cases": [
            {
                "lines": [msgspec.json.encode(e).decode() for e in envelopes],
                # the server's answer to GET /state at the cut, as it sends it
                "snapshots": [
                    msgspec.json.encode(fold(e for e in envelopes if e.seq <= k)).decode()
                    for k in cuts
                ],
            }
            for envelopes, cuts in cases
        ]
    }
    done = subprocess.run(
        [node, str(script)], input=json.dumps(payload).encode(), capture_output=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    for (envelopes, cuts), result in zip(cases, json.loads(done.stdout), strict=True):
        py = python_state(envelopes, envelopes[-1].seq)
        assert not differences(py, result["whole"])
        for k, js in zip(cuts, result["resumed"], strict=True):
            found = differences(result["whole"], js)
            assert not found, f"from the state at seq {k}:\n" + "\n".join(found)


def test_a_fold_from_the_servers_state_at_any_seq_equals_the_fold_from_seq_1(node, tmp_path):
    envelopes = handwritten_log()
    snapshot_check(node, tmp_path, [(envelopes, list(range(envelopes[-1].seq + 1)))])


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(actions, min_size=4, max_size=4), st.randoms(use_true_random=False))
def test_random_sessions_fold_on_from_a_snapshot_the_same(node, tmp_path_factory, steps_lists, rnd):
    cases = []
    for steps in steps_lists:
        sim = Sim()
        sim.play(steps)
        last = sim.envelopes[-1].seq
        cases.append((sim.envelopes, sorted({0, last, *(rnd.randint(1, last) for _ in range(3))})))
    snapshot_check(node, tmp_path_factory.mktemp("snap"), cases)
