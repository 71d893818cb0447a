"""The session's parameter cap changed after creation ("set limits" → "limits changed"):
the fold takes it into the settings, and what the generators make from then on stays
within it."""

from __future__ import annotations

import pytest

from nas_core.arch.layers import Limits
from nas_core.events import CommandError, LimitsChanged, Sample, SetLimits

from nas_core_event_sim import SETTINGS, Sim


def test_a_lower_cap_holds_for_the_models_made_after_it() -> None:
    sim = Sim()
    sim.command(Sample(count=6, seed=4))
    before = max(m.params for m in sim.state.models.values())
    cap = 12_000
    assert before > cap  # the default cap let larger models by
    (env,) = sim.command(SetLimits(limits=Limits(max_params=cap)))
    assert env.event == LimitsChanged(Limits(max_params=cap))
    assert sim.state.settings.limits.max_params == cap
    assert sim.state.settings.train == SETTINGS.train  # the rest is kept
    made = set(sim.state.models)
    sim.command(Sample(count=6, seed=5))
    new = [m for k, m in sim.state.models.items() if k not in made]
    assert new
    assert all(m.params <= cap for m in new)
    assert len(sim.state.models) > len(made)


def test_the_same_limits_twice_are_refused() -> None:
    sim = Sim()
    with pytest.raises(CommandError, match="has these limits already") as info:
        sim.command(SetLimits(limits=sim.state.settings.limits))
    assert info.value.path == "$.limits"
