"""The estimate is fitted on how long a training took as one waits for it (issue 17):
from its "training started" to its "training finished" in the log, which holds what the
trainer's own `wall_s` does not (taking the job up, loading the data, reporting)."""

from __future__ import annotations

import random

import msgspec
import pytest

from nas_core.events import Sample, TrainingFinished, TrainingStarted
from nas_core.service import restore
from nas_core.service.timings import observed_seconds, training_seconds

from nas_core_event_sim import Sim


def test_the_span_between_start_and_finish_is_what_a_training_took() -> None:
    at = observed_seconds("2026-01-31T12:00:00.250Z", "2026-01-31T12:00:03.000Z", 0.5)
    assert at == pytest.approx(2.75)


def test_never_less_than_the_trainers_own_time_nor_unread_times() -> None:
    assert observed_seconds("2026-01-31T12:00:00Z", "2026-01-31T12:00:01Z", 4.0) == 4.0
    assert observed_seconds(None, "2026-01-31T12:00:01Z", 4.0) == 4.0
    assert observed_seconds("not a time", "2026-01-31T12:00:01Z", 4.0) == 4.0


def _trained(spans: dict[str, float]) -> Sim:
    """A session whose models `spans` names trained, each its span from start to finish
    (by the envelopes' ``at``), with a `wall_s` of under a second."""
    sim = Sim()
    sim.command(Sample(count=len(spans), seed=3, id="start"))
    rnd = random.Random(0)
    for model in spans:
        sim.start(model)
        sim.epoch(model, rnd)
        sim.finish(model, rnd)
    clock, envelopes = 0.0, []
    for env in sim.envelopes:
        event = env.event
        if isinstance(event, TrainingFinished):
            clock += spans[event.model]
        elif isinstance(event, TrainingStarted):
            clock += 1.0
        at = f"2026-01-31T12:{int(clock) // 60:02d}:{clock % 60:06.3f}Z"
        envelopes.append(msgspec.structs.replace(env, at=at))
    sim.envelopes = envelopes
    return sim


def test_each_finished_model_took_its_span() -> None:
    sim = _trained({"m1": 3.0, "m2": 7.5})
    assert training_seconds(sim.envelopes) == pytest.approx({"m1": 3.0, "m2": 7.5})


def test_a_restored_session_fits_its_estimate_on_the_spans() -> None:
    sim = _trained({"m1": 3.0, "m2": 7.5, "m3": 12.0})
    restored = restore(sim.envelopes)
    observed = [o.seconds for o in restored.throughput.observations]
    assert observed == pytest.approx([3.0, 7.5, 12.0])  # not the wall_s of under a second
