"""An architecture exported from a session renders with snacs unchanged (DESIGN.md),
and snacs infers the same shapes and parameter counts."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from nas_core.arch import Architecture, Input, Limits, canonical_json, infer
from nas_core.generators import load_search_space, sample

from nas_core_strategies import valid_architectures

snacs = pytest.importorskip("snacs")


def check(arch: Architecture) -> None:
    spec = snacs.decode(canonical_json(arch))
    ours = infer(arch)
    theirs = snacs.infer(spec)
    assert [i.out_shape for i in ours] == [tuple(i.shape) for i in theirs]
    assert [i.params for i in ours] == [i.params for i in theirs]
    assert snacs.render(msgspec.to_builtins(arch)).startswith("<svg")


def test_sampled_models_render_and_agree() -> None:
    for arch in sample(
        4, 20, input=Input((3, 32, 32), 10), space=load_search_space(), limits=Limits()
    ):
        check(arch)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(valid_architectures())
def test_any_valid_architecture_renders_and_agrees(arch: Architecture) -> None:
    check(arch)
