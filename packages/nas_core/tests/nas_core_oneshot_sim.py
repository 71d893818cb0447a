"""The one-shot side of the event-log simulation (issue 18): real one-shot commands
through `decide`, and the worker's side (supernet trainings, subgraph scores) played
with made-up but deterministic numbers, so that logs hold every one-shot kind.
`oneshot_story(sim, rnd)` plays a whole exploration; `oneshot_step(sim, n)` one step of
one (the random sessions' ``"oneshot"`` action)."""

from __future__ import annotations

import hashlib
import random

from nas_core.arch.layers import Conv, ReLU
from nas_core.events import Pending
from nas_core.events import kinds as k
from nas_core.events.commands import (
    AssembleCandidate,
    Cancel,
    ClearRegion,
    ContinueSearch,
    DefineSupernet,
    EditSupernet,
    HighlightBlocks,
    PauseSearch,
    RankCheck,
    Reorder,
    SampleSearchSpace,
    SelectRegion,
    StartSearch,
    TrainSupernet,
)
from nas_core.events.oneshot_decide import EvalWork, follow, pending_work, placer
from nas_core.oneshot.edits import AddBlock
from nas_core.oneshot.types import mask_key
from nas_core.packed import pack_labels

__all__ = ["fake_loss", "oneshot_step", "oneshot_story", "work_once"]


def fake_loss(mask) -> float:
    """A made-up validation loss of a mask (deterministic)."""
    h = hashlib.sha256(mask_key(mask).encode()).digest()
    return 0.2 + h[0] / 255


def _score(sim, w: EvalWork, limit: int = 64) -> None:
    place = placer(sim.state, w.supernet)
    pending = []
    for mask in w.masks[:limit]:
        loss = fake_loss(mask)
        event = k.SubgraphEvaluated(
            w.supernet, w.search, tuple(mask), loss, 1.0 - loss / 2, (0.5, 0.75),
            pack_labels([1, 2, 3]), w.recalibration.seed, 1.5,
            None if place is None else place.place(mask),
        )  # fmt: skip
        pending.append(Pending(f"ev-{w.supernet}-{mask_key(mask)}", event))
    sim.append(pending)


def _train(sim, supernet: str, fail: bool = False, epochs: int = 2, retry: bool = False) -> None:
    r = sim.state.oneshot.supernets[supernet]
    a = r.attempts + 1
    sim.append([Pending(f"st-{supernet}-{a}", k.SupernetTrainingStarted(supernet, a, "w1"))])
    for e in range(1, epochs + 1):
        ev = k.SupernetEpochCompleted(supernet, a, e, 2.0 / e, 2.1 / e, 0.1, 0.05)
        sim.append([Pending(f"se-{supernet}-{a}-{e}", ev)])
    if fail:
        failed = k.SupernetTrainingFailed(supernet, a, "boom", will_retry=retry)
        sim.append([Pending(f"sf-{supernet}-{a}", failed)])
        return
    sha = hashlib.sha256(f"{supernet}{a}".encode()).hexdigest()
    done = k.SupernetTrainingFinished(supernet, a, sha, 1234, f"supernets/s1/{sha}.pt", 3.5, 0.4)
    sim.append([Pending(f"sd-{supernet}-{a}", done)])


def work_once(sim) -> bool:
    """One step of the worker's side: what `follow` implies, else one pending job."""
    implied = follow(sim.state)
    if implied:
        sim.append([Pending(f"fw-{sim.state.last_seq}-{i}", e) for i, e in enumerate(implied)])
        return True
    work = pending_work(sim.state)
    if not work:
        return False
    w = work[0]
    if isinstance(w, EvalWork):
        _score(sim, w)
    else:
        _train(sim, w.supernet)
    return True


def _drain(sim, steps: int = 200) -> None:
    for _ in range(steps):
        if not work_once(sim):
            return


def _finish_models(sim, rnd: random.Random) -> None:
    for mid in [m for m in sim.state.queue if m in sim.state.models]:
        sim.start(mid)
        sim.finish(mid, rnd)


def oneshot_story(sim, rnd: random.Random) -> None:
    """A whole exploration, every one-shot kind (see the module)."""
    sim.command(DefineSupernet(template="lenet-digits-v1"))
    block = AddBlock(layer="L1", components=(Conv(16, 3), ReLU()))
    sim.command(EditSupernet(supernet="s1", edits=(block,)))
    sim.command(TrainSupernet(supernet="s2", epochs=2, seed=3))
    _train(sim, "s2", fail=True, retry=True)  # a crash, retried: back at the queue's head
    _train(sim, "s2", fail=True)
    sim.command(TrainSupernet(supernet="s2", epochs=2, seed=4))  # a queue entry: cancelled
    sim.command(Reorder(order=("s2",)))
    sim.command(Cancel(model="s2"))
    sim.command(TrainSupernet(supernet="s1", epochs=2, seed=2**62 + 5))
    _train(sim, "s1")
    sim.command(SampleSearchSpace(supernet="s1", count=10, seed=4))
    sim.command(StartSearch(supernet="s1", iterations=2, seed=9))
    _drain(sim)
    space = sim.state.oneshot.spaces["s1"]
    xs = [p[0] for p in space.positions]
    ys = [p[1] for p in space.positions]
    rect = ((min(xs) - 1, min(ys) - 1), (sum(xs) / len(xs), max(ys) + 1))
    sim.command(SelectRegion(shape="rect", points=rect, mode="pool"))
    sim.command(HighlightBlocks(op="union"))
    sim.command(HighlightBlocks(op="complement"))
    sim.command(ContinueSearch(iterations=2))
    work_once(sim)
    sim.command(PauseSearch())
    _drain(sim)
    sim.command(ContinueSearch(iterations=1))
    _drain(sim)
    sim.command(ClearRegion())
    sim.command(HighlightBlocks(op="intersection", masks=(("b1", "b4"), ("b1", "b5"))))
    sim.command(AssembleCandidate(rule="argmax", epochs=2))
    sim.command(RankCheck(supernet="s1", count=4, seeds=2, seed=6, epochs=2))
    _finish_models(sim, rnd)
    _drain(sim)


def oneshot_step(sim, n: int) -> None:
    """One step of an exploration, chosen by the state and `n`."""
    one = sim.state.oneshot
    if one.supernet is None:
        sim.try_command(DefineSupernet(template="lenet-digits-v1"))
        return
    r = one.supernets[one.supernet]
    if r.status in ("defined", "failed"):
        sim.try_command(TrainSupernet(epochs=1, seed=n))
    elif r.status == "queued":
        _train(sim, r.id, fail=n % 5 == 0, epochs=1)
    elif one.spaces.get(r.id) is None:
        sim.try_command(SampleSearchSpace(count=5 + n % 5, seed=n))
    elif one.search is None:
        sim.try_command(StartSearch(iterations=1 + n % 3, seed=n))
    elif n % 7 == 0:
        sim.try_command(ContinueSearch(iterations=1))
    elif n % 11 == 0:
        sim.try_command(AssembleCandidate(rule="best"))
    elif n % 13 == 0:
        sim.try_command(HighlightBlocks(op="union", masks=(("b1",),)))
    else:
        work_once(sim)
