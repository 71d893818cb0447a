"""`build_module`: one torch module per layer, shapes and parameter counts as inferred."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings

from nas_core.arch import (
    Architecture,
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Input,
    Limits,
    MaxPool,
    ReLU,
    Sigmoid,
    Tanh,
    count_params,
    infer,
)
from nas_core.errors import ArchitectureError
from nas_core.generators import load_search_space, sample
from nas_core.training import build_module

from nas_core_strategies import valid_architectures


def _check(arch: Architecture) -> None:
    module = build_module(arch)
    infos = infer(arch)
    assert len(module) == len(arch.layers)
    assert sum(p.numel() for p in module.parameters()) == count_params(arch)
    module.eval()
    x = torch.zeros((2, *arch.input.shape))
    with torch.no_grad():
        for layer, info in zip(module, infos, strict=True):
            x = layer(x)
            assert tuple(x.shape[1:]) == info.out_shape, info
            assert sum(p.numel() for p in layer.parameters()) == info.params, info
    assert tuple(x.shape) == (2, arch.input.classes)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(valid_architectures(limits=Limits(max_params=300_000)))
def test_parameter_count_and_shapes_equal_inference(arch: Architecture) -> None:
    _check(arch)


def test_sampled_models_equal_inference() -> None:
    for arch in sample(11, 20, input=Input((1, 8, 8), 10), space=load_search_space(),
                       limits=Limits()):  # fmt: skip
        _check(arch)


def test_modules_follow_the_layer_semantics() -> None:
    arch = Architecture(
        "all",
        Input((3, 17, 13), 7),
        (
            BatchNorm(), Conv(8, 7, stride=2), BatchNorm(), Tanh(), MaxPool(3), Conv(5, 5),
            Sigmoid(), AvgPool(2), Dropout(0.5), Flatten(), BatchNorm(), Dense(33), ReLU(),
            Dropout(0.125), Dense(7),
        ),
    )  # fmt: skip
    _check(arch)
    m = build_module(arch)
    conv = m[1]
    assert isinstance(conv, torch.nn.Conv2d)
    assert (conv.kernel_size, conv.stride, conv.padding) == ((7, 7), (2, 2), (3, 3))
    assert conv.bias is not None
    assert isinstance(m[0], torch.nn.BatchNorm2d)
    assert isinstance(m[10], torch.nn.BatchNorm1d)
    assert (m[4].kernel_size, m[4].stride) == (3, 3)
    assert isinstance(m[7], torch.nn.AvgPool2d)
    assert m[7].stride == 2
    assert m[8].p == 0.5
    assert isinstance(m[-1], torch.nn.Linear)
    assert m[-1].out_features == 7


def test_an_invalid_architecture_names_the_layer() -> None:
    arch = Architecture("bad", Input((1, 8, 8), 10), (Flatten(), Conv(4), Dense(10)))
    with pytest.raises(ArchitectureError, match="layer 1: conv after flatten"):
        build_module(arch)
