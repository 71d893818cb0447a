"""Control over training (issue 19): per-child training overrides on every generator
command, replicates and their groups, and the session controls (pause / resume the
queue, the live concurrency, cancelling a brushed set) — their events, their fold,
their refusals with JSON paths, and their re-execution plan."""

from __future__ import annotations

import random

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.arch import ReLU
from nas_core.events import (
    Ablate,
    CancelModels,
    CommandError,
    ConcurrencyChanged,
    Handcraft,
    ModelCreated,
    PauseQueue,
    QueuePaused,
    QueueResumed,
    Replicate,
    Replicated,
    ResumeQueue,
    Sample,
    Sampled,
    SetConcurrency,
    StopTraining,
    TrainingCancelled,
    TrainingQueued,
    Vary,
    decide,
    decode_command,
    decode_event,
    derive_seed,
)
from nas_core.generators import Insert
from nas_core.replicates import group_of, group_stats, groups
from nas_core.service.replay_plan import plan_reexecution
from nas_core.specs import TrainConfig
from nas_core.train_overrides import TrainOverrides, apply_overrides

from nas_core_event_sim import DIGITS, SETTINGS, Sim

OVERRIDE = TrainOverrides(epochs=7, lr=0.01, batch_size=32, gamma=0.5, patience=3)
APPLIED = TrainConfig(epochs=7, batch_size=32, lr=0.01, gamma=0.5, patience=3)


def refused(state, command, path: str, match: str) -> None:
    with pytest.raises(CommandError) as info:
        decide(state, command, dataset=DIGITS)
    assert (info.value.path, match in info.value.reason) == (path, True), str(info.value)


def made(sim: Sim, command) -> tuple[list[ModelCreated], list[TrainingQueued]]:
    envs = sim.command(command)
    created = [e.event for e in envs if isinstance(e.event, ModelCreated)]
    queued = [e.event for e in envs if isinstance(e.event, TrainingQueued)]
    return created, queued


def sampled(n: int = 2) -> Sim:
    sim = Sim()
    sim.command(Sample(count=n, seed=3, id="s0"))
    return sim


# --- per-child training settings ----------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        lambda: Sample(count=2, seed=1, train=OVERRIDE),
        lambda: Ablate(model="m1", indices=(0,), train=OVERRIDE),
        lambda: Vary(model="m1", count=2, seed=5, train=OVERRIDE),
        lambda: Handcraft(model="m1", edits=(Insert(index=0, layer=ReLU()),), train=OVERRIDE),
        lambda: Replicate(model="m1", seeds=2, train=OVERRIDE),
    ],
    ids=["sample", "ablate", "vary", "handcraft", "replicate"],
)
def test_every_generator_command_trains_its_children_with_the_overrides(command):
    sim = sampled()
    created, queued = made(sim, command())
    assert created
    assert len(queued) == len(created)
    assert all(q.config == APPLIED for q in queued)  # what the worker trains with
    assert all(c.origin.train == OVERRIDE for c in created)  # what re-execution reads
    assert all(sim.state.models[c.model].config == APPLIED for c in created)


def test_an_override_changes_only_its_fields_and_patience_zero_turns_early_stopping_off():
    sim = sampled()
    parent = TrainConfig(epochs=3, patience=2)
    assert apply_overrides(parent, TrainOverrides(lr=0.1)) == TrainConfig(
        epochs=3, patience=2, lr=0.1
    )
    assert apply_overrides(parent, TrainOverrides(patience=0)).patience is None
    assert apply_overrides(parent, None) is parent
    assert apply_overrides(parent, TrainOverrides()) is parent
    # without overrides a child trains as its parent (the recorded config)
    _, queued = made(sim, Ablate(model="m1", indices=(0,)))
    assert queued[0].config == SETTINGS.train


@pytest.mark.parametrize(
    ("train", "path", "reason"),
    [
        ('{"epochs": 0}', "$.train.epochs", "must be at least 1"),
        ('{"epochs": 1001}', "$.train.epochs", "must be at most 1000"),
        (
            '{"epochs": 2.5}',
            "$.train.epochs",
            "must be an integer or null, not a number with a fraction",
        ),
        ('{"lr": 0}', "$.train.lr", "must be more than 0.0"),
        ('{"lr": "fast"}', "$.train.lr", "must be a number or null, not a string"),
        ('{"batch_size": 0}', "$.train.batch_size", "must be at least 1"),
        ('{"gamma": 1.5}', "$.train.gamma", "must be at most 1.0"),
        ('{"patience": -1}', "$.train.patience", "must be at least 0"),
        ('{"epoch": 3}', "$.train.epoch", "is not a field of this object"),
        ("[3]", "$.train", "must be an object or null, not a list"),
    ],
)
def test_a_bad_override_is_refused_with_its_json_path(train, path, reason):
    for head in (
        '"type": "sample", "count": 1',
        '"type": "ablate", "model": "m1", "indices": [0]',
        '"type": "vary", "model": "m1", "count": 1',
        '"type": "handcraft", "model": "m1", "edits": [{"op": "remove", "index": 0}]',
        '"type": "replicate", "model": "m1", "seeds": 2',
    ):
        with pytest.raises(CommandError) as info:
            decode_command(f'{{{head}, "train": {train}}}')
        assert info.value.path == path
        assert info.value.reason == reason, info.value.reason


_bounded = {
    "epochs": st.integers(1, 1000),
    "lr": st.floats(1e-6, 10.0),
    "batch_size": st.integers(1, 65536),
    "gamma": st.floats(1e-6, 1.0),
    "patience": st.integers(0, 1000),
}
overrides = st.fixed_dictionaries({}, optional=_bounded)


@settings(max_examples=60, deadline=None)
@given(overrides)
def test_any_valid_override_decodes_and_makes_a_valid_config(fields):
    command = decode_command(msgspec.json.encode({"type": "sample", "count": 1, "train": fields}))
    config = apply_overrides(TrainConfig(patience=4), command.train)
    for name in _bounded:
        expected = fields.get(name, getattr(TrainConfig(patience=4), name))
        if name == "patience" and expected == 0:
            expected = None
        assert getattr(config, name) == expected
    # the config a child records decodes at every door (its bounds are TrainConfig's)
    assert msgspec.json.decode(msgspec.json.encode(config), type=TrainConfig) == config


numbers = st.one_of(st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(sorted(_bounded)), numbers)
def test_an_override_decodes_exactly_when_it_is_in_range_else_names_its_field(name, value):
    body = msgspec.json.encode({"type": "sample", "count": 1, "train": {name: value}})
    try:
        msgspec.convert({name: value}, TrainOverrides)  # the bounds, without the door
    except msgspec.ValidationError:
        with pytest.raises(CommandError) as info:
            decode_command(body)
        assert info.value.path == f"$.train.{name}"
    else:
        assert getattr(decode_command(body).train, name) == value


def test_an_origin_recorded_before_overrides_decodes_without_them():
    body = msgspec.json.encode(
        {"kind": "model_created", "model": "m1", "arch": msgspec.to_builtins(
            sampled().state.models["m1"].arch), "parent": None,
         "origin": {"type": "sampled", "seed": 1, "index": 0, "batch": "b"}, "changes": [],
         "description": "", "params": 1, "flops": 1, "arch_hash": "h"}
    )  # fmt: skip
    event = decode_event("model_created", 1, body)
    assert event.origin == Sampled(seed=1, index=0, batch="b")
    assert event.origin.train is None


# --- replicates ---------------------------------------------------------------------


def test_a_replicate_trains_the_same_architecture_again_with_new_seeds():
    sim = sampled()
    original = sim.state.models["m1"]
    created, queued = made(sim, Replicate(model="m1", seeds=3, seed=9, id="r"))
    assert [c.model for c in created] == ["m3", "m4", "m5"]
    for k, (c, q) in enumerate(zip(created, queued, strict=True)):
        assert c.origin == Replicated(of="m1", seed=9, index=k, batch="r")
        assert c.parent == "m1"
        assert c.changes == ()
        assert c.arch_hash == original.arch_hash  # a duplicate, on purpose
        assert c.arch.layers == original.arch.layers
        assert c.arch.name == c.model
        assert c.description == f"Replicate of m1 (seed 9, #{k})"
        assert q.config == original.config
        assert q.seed == derive_seed("replicate", 9, k)
    seeds = {original.seed, *(q.seed for q in queued)}
    assert len(seeds) == 4  # every member of the group trains with its own seed


def test_replicating_a_replicate_grows_the_original_group():
    sim = sampled()
    sim.command(Replicate(model="m1", seeds=1, seed=1))
    created, _ = made(sim, Replicate(model="m3", seeds=2, seed=2))
    assert all(c.origin.of == "m1" for c in created)
    assert groups(sim.state) == {"m1": ("m1", "m3", "m4", "m5")}
    assert group_of(sim.state, "m5") == "m1"
    assert group_of(sim.state, "m2") == "m2"


def test_group_stats_are_the_mean_and_sample_sd_of_the_trained_members():
    sim = sampled(1)
    sim.command(Replicate(model="m1", seeds=3, seed=1))
    rnd = random.Random(4)
    for m in ("m1", "m2", "m3"):
        sim.start(m)
        sim.finish(m, rnd)
    accs = [sim.state.models[m].result.test_acc for m in ("m1", "m2", "m3")]
    stats = group_stats(sim.state, "m3")
    mean = sum(accs) / 3
    sd = (sum((a - mean) ** 2 for a in accs) / 2) ** 0.5
    assert (stats.group, stats.members, stats.n) == ("m1", ("m1", "m2", "m3", "m4"), 3)
    assert stats.mean == pytest.approx(mean)
    assert stats.sd == pytest.approx(sd)
    lone = group_stats(sampled(1).state, "m1")
    assert (lone.n, lone.mean, lone.sd) == (0, None, None)


def test_replicate_refusals():
    sim = sampled()
    refused(sim.state, Replicate(model="m9", seeds=1), "$.model", "no model 'm9'")
    with pytest.raises(CommandError) as info:
        decode_command('{"type": "replicate", "model": "m1", "seeds": 0}')
    assert (info.value.path, info.value.reason) == ("$.seeds", "must be at least 1")


# --- session controls ---------------------------------------------------------------


def test_pause_and_resume_are_recorded_and_folded():
    sim = sampled()
    (env,) = sim.command(PauseQueue(id="p"))
    assert env.event == QueuePaused()
    assert env.id == "p:0"
    assert sim.state.paused
    refused(sim.state, PauseQueue(), "$", "the queue is paused already")
    (env,) = sim.command(ResumeQueue())
    assert env.event == QueueResumed()
    assert not sim.state.paused
    refused(sim.state, ResumeQueue(), "$", "the queue is not paused")


def test_the_concurrency_changes_live():
    sim = sampled()
    assert sim.state.concurrency_limit() == SETTINGS.concurrency
    (env,) = sim.command(SetConcurrency(concurrency=5))
    assert env.event == ConcurrencyChanged(5)
    assert (sim.state.concurrency, sim.state.concurrency_limit()) == (5, 5)
    assert sim.state.settings.concurrency == SETTINGS.concurrency  # the record stays
    refused(sim.state, SetConcurrency(concurrency=5), "$.concurrency", "is 5 already")
    with pytest.raises(CommandError) as info:
        decode_command('{"type": "set_concurrency", "concurrency": 65}')
    assert (info.value.path, info.value.reason) == ("$.concurrency", "must be at most 64")


def test_cancel_models_cancels_the_queued_and_running_ones_and_reports_the_rest():
    sim = Sim()
    sim.command(Sample(count=4, seed=3))
    sim.start("m1")
    sim.start("m2")
    sim.finish("m2", random.Random(1))
    decision = decide(sim.state, CancelModels(models=("m1", "m2", "m3", "m4")), dispatched={"m1"})
    assert decision.effects == (StopTraining("m1"),)  # its worker records the cancel
    assert [p.event for p in decision.events] == [
        TrainingCancelled("m3", was_running=False), TrainingCancelled("m4", was_running=False)
    ]  # fmt: skip
    assert [(s.index_or_attempt, s.reason) for s in decision.skipped] == [
        (1, "m2 is not queued or training (done)")
    ]
    refused(sim.state, CancelModels(models=("m2",)), "$.models", "none of these models")
    refused(sim.state, CancelModels(models=("m3", "m3")), "$.models[1]", "listed twice")
    refused(sim.state, CancelModels(models=("m3", "m8")), "$.models[1]", "no model 'm8'")


# --- re-execution -------------------------------------------------------------------


def test_reexecution_rebuilds_overrides_and_replicates_and_leaves_out_the_controls():
    sim = Sim()
    sim.command(Sample(count=2, seed=3, id="s0", train=OVERRIDE))
    sim.command(PauseQueue())
    sim.command(Vary(model="m1", count=1, seed=4, id="v", train=TrainOverrides(epochs=2)))
    sim.command(Replicate(model="m1", seeds=2, seed=6, id="r", train=TrainOverrides(lr=0.5)))
    sim.command(SetConcurrency(concurrency=4))
    sim.command(ResumeQueue())
    commands = [s.command for s in plan_reexecution(sim.envelopes) if s.command is not None]
    assert commands == [
        Sample(id="s0", count=2, seed=3, train=OVERRIDE),
        Vary(id="v", model="m1", count=1, seed=4, allowed=commands[1].allowed,
             max_changes=2, train=TrainOverrides(epochs=2)),
        Replicate(id="r", model="m1", seeds=2, seed=6, train=TrainOverrides(lr=0.5)),
    ]  # fmt: skip
    copied = [p.event for s in plan_reexecution(sim.envelopes) for p in s.copied]
    assert not any(isinstance(e, (QueuePaused, QueueResumed, ConcurrencyChanged)) for e in copied)
    # deciding the rebuilt commands again makes the same models with the same configs
    again = Sim()
    for command in commands:
        again.command(command)
    for mid, m in sim.state.models.items():
        twin = again.state.models[mid]
        assert (twin.arch, twin.origin, twin.config, twin.seed) == (
            m.arch, m.origin, m.config, m.seed
        )  # fmt: skip
