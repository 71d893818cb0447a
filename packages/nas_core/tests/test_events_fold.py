"""The fold: pure `apply`, `fold` == repeated `apply`, `state_at`, and what each event
does to the state (queue, attempts, curves, drawer, view, embeddings, layouts)."""

from __future__ import annotations

import functools
import random

import msgspec
from hypothesis import given, settings

from nas_core.events import (
    Cancel,
    DrawerAdd,
    DrawerChanged,
    EpochCompleted,
    LayoutRecomputed,
    ModelEmbedded,
    Pending,
    QueueReordered,
    Sample,
    SessionState,
    TrainingStarted,
    View,
    ViewChanged,
    apply,
    fold,
    state_at,
)
from nas_core.packed import pack_floats
from nas_core.specs import EpochMetrics

from nas_core_event_sim import AT, Sim, actions, envelope

SNAPSHOT = msgspec.json.Encoder(order="sorted").encode


def metrics(n: int) -> EpochMetrics:
    return EpochMetrics(n, 1.0 / n, 0.5, 1.0 / n, 0.4, 0.1, 0.001)


def played(steps) -> Sim:
    sim = Sim()
    sim.play(steps)
    return sim


@settings(max_examples=30, deadline=None)
@given(actions)
def test_fold_equals_repeated_apply_and_apply_is_pure(steps):
    sim = played(steps)
    state = SessionState()
    for env in sim.envelopes:
        before = SNAPSHOT(state)
        after = apply(state, env)
        assert SNAPSHOT(state) == before  # the input is left as it was
        state = after
    assert state == fold(sim.envelopes) == sim.state
    assert state.last_seq == len(sim.envelopes)


@settings(max_examples=20, deadline=None)
@given(actions, actions)
def test_fold_is_deterministic_and_resumable(first, more):
    sim = played(first)
    middle = sim.state
    sim.play(more)
    assert fold(sim.envelopes) == fold(list(sim.envelopes))
    assert SNAPSHOT(fold(sim.envelopes)) == SNAPSHOT(sim.state)
    # folding the rest onto a state built earlier gives the same state
    assert fold(sim.envelopes, middle) == sim.state
    # and folding onto the final state again changes nothing (already folded)
    assert fold(sim.envelopes, sim.state) == sim.state


@settings(max_examples=20, deadline=None)
@given(actions)
def test_state_at_is_the_fold_of_the_prefix(steps):
    sim = played(steps)
    envs = sim.envelopes
    for seq in {0, 1, len(envs) // 2, len(envs)}:
        expected = functools.reduce(apply, envs[:seq], SessionState())
        assert state_at(envs, seq) == expected
        assert state_at(envs, seq).last_seq == seq


def test_apply_of_an_old_envelope_returns_the_state():
    sim = Sim()
    assert apply(sim.state, sim.envelopes[0]) is sim.state


def test_session_created_sets_the_session():
    sim = Sim(name="digits study")
    s = sim.state
    assert (s.session, s.name, s.created_at) == ("s1", "digits study", AT)
    assert s.class_names == tuple(str(i) for i in range(10))
    assert s.input.shape == (1, 8, 8)
    assert s.input.classes == 10
    assert (s.split.train, s.split.val, s.split.test) == (1222, 215, 12)
    assert s.settings.train.epochs == 3
    assert s.created
    assert not SessionState().created


def test_models_queue_and_training_lifecycle():
    sim = Sim()
    sim.command(Sample(count=3, seed=5))
    s = sim.state
    assert list(s.models) == ["m1", "m2", "m3"]
    assert s.queue == ("m1", "m2", "m3")
    assert all(m.status == "queued" for m in s.models.values())
    assert s.models["m1"].config.epochs == 3
    sim.start("m2", worker="gpu0")
    s = sim.state
    assert s.queue == ("m1", "m3")
    assert (s.models["m2"].status, s.models["m2"].attempts, s.models["m2"].worker) == (
        "running",
        1,
        "gpu0",
    )
    assert s.running() == ("m2",)
    rnd = random.Random(0)
    sim.epoch("m2", rnd)
    sim.epoch("m2", rnd)
    assert [e.epoch for e in sim.state.models["m2"].curve] == [1, 2]
    sim.fail("m2", retry=True)
    m2 = sim.state.models["m2"]
    assert (m2.status, m2.error) == ("queued", "worker died")
    assert sim.state.queue == ("m2", "m1", "m3")  # a retry goes first
    sim.start("m2")
    assert sim.state.models["m2"].attempts == 2
    assert sim.state.models["m2"].curve == ()  # a new attempt, a new curve
    sim.epoch("m2", rnd)
    sim.finish("m2", rnd)
    m2 = sim.state.models["m2"]
    assert (m2.status, len(m2.curve), m2.error) == ("done", 1, None)
    assert m2.result.device == "cpu"
    sim.start("m1")
    sim.fail("m1", retry=False)
    assert sim.state.models["m1"].status == "failed"
    assert sim.state.queue == ("m3",)


def test_late_and_redelivered_training_events_change_nothing():
    sim = Sim()
    sim.command(Sample(count=2, seed=1))
    sim.start("m1")
    started = sim.state
    # the same start delivered twice (another id), a start of an old attempt
    sim.append([Pending("dup", TrainingStarted("m1", 1, "w9"))])
    assert sim.state.models == started.models
    sim.command(Cancel(model="m1"))
    cancelled = sim.state
    assert cancelled.models["m1"].status == "cancelled"
    # the worker's last epoch arrives after the cancellation
    sim.append([Pending("late", EpochCompleted("m1", 1, metrics(1)))])
    assert sim.state.models == cancelled.models
    # an epoch of an unknown model, of a queued one
    sim.append([Pending("ghost", EpochCompleted("m99", 1, metrics(1)))])
    sim.append([Pending("early", EpochCompleted("m2", 1, metrics(1)))])
    assert sim.state.models == cancelled.models


def test_cancel_a_queued_model_leaves_the_queue():
    sim = Sim()
    sim.command(Sample(count=3, seed=2))
    sim.command(Cancel(model="m2"))
    assert sim.state.queue == ("m1", "m3")
    assert sim.state.models["m2"].status == "cancelled"


def test_reorder_keeps_models_the_order_left_out():
    sim = Sim()
    sim.command(Sample(count=3, seed=2))
    sim.append([Pending("r", QueueReordered(("m3", "m9", "m1")))])
    assert sim.state.queue == ("m3", "m1", "m2")


def test_drawer_and_view():
    sim = Sim()
    sim.command(Sample(count=3, seed=3))
    sim.command(DrawerAdd(models=("m3", "m1")))
    assert sim.state.drawer == ("m3", "m1")
    sim.append([Pending("d", DrawerChanged(added=("m2", "m77"), removed=("m3",)))])
    assert sim.state.drawer == ("m1", "m2")
    sim.append([Pending("v", ViewChanged("predictions", 4))])
    assert sim.state.view == View("predictions", 4)
    assert SessionState().view == View("accuracy", None)


def test_embeddings_rows_and_layouts():
    sim = Sim()
    sim.command(Sample(count=3, seed=4))
    sim.append(
        [
            Pending("e1", ModelEmbedded("m1", "structure", 0.5, -0.5)),
            Pending("e2", ModelEmbedded("m2", "structure", 1.0, 2.0, pack_floats([0.3]))),
            Pending("e3", ModelEmbedded("m2", "predictions", 3.0, 4.0, pack_floats([0.1]))),
            Pending("e4", ModelEmbedded("m42", "predictions", 3.0, 4.0)),  # no such model
        ]
    )
    s = sim.state
    assert s.embeddings == {
        "structure": {"m1": (0.5, -0.5), "m2": (1.0, 2.0)},
        "predictions": {"m2": (3.0, 4.0)},
    }
    assert not hasattr(s, "distances")  # rows are the embedder's, not a view's
    before = sim.state
    (env,) = sim.append(
        [Pending("l1", LayoutRecomputed("structure", {"m1": (0.0, 0.0), "m2": (1.0, 1.0)}, "4"))]
    )
    s = sim.state
    assert s.embeddings["structure"] == {"m1": (0.0, 0.0), "m2": (1.0, 1.0)}
    assert s.embeddings["predictions"] == {"m2": (3.0, 4.0)}
    assert (s.layouts["structure"].seq, s.layouts["structure"].reason) == (env.seq, "4")
    assert before.embeddings["structure"] == {"m1": (0.5, -0.5), "m2": (1.0, 2.0)}  # untouched


def test_a_second_session_created_changes_nothing():
    sim = Sim(name="first")
    again = envelope(2, Pending("x", sim.envelopes[0].event))
    state = apply(sim.state, again)
    assert state.name == "first"
    assert state.last_seq == 2
