"""Parameter counts and shapes equal torch's, for the module the training issue builds.

The real builder comes with training (issue 6); `build` here is the tiny reference of
the semantics documented in `nas_core.arch.layers`.
"""

from __future__ import annotations

import pytest
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
    infer,
)
from nas_core.generators import load_search_space, sample

from nas_core_strategies import valid_architectures

torch = pytest.importorskip("torch")
nn = torch.nn


def build(arch: Architecture):
    """An ``nn.Sequential`` of `arch` with torch's defaults."""
    modules = []
    channels, flat = arch.input.shape[0], False
    for layer in arch.layers:
        if isinstance(layer, Conv):
            k = layer.kernel
            modules.append(nn.Conv2d(channels, layer.filters, k, layer.stride, padding=k // 2))
            channels = layer.filters
        elif isinstance(layer, MaxPool):
            modules.append(nn.MaxPool2d(layer.pool, stride=layer.pool))
        elif isinstance(layer, AvgPool):
            modules.append(nn.AvgPool2d(layer.pool, stride=layer.pool))
        elif isinstance(layer, Flatten):
            modules.append(nn.Flatten())
            flat = True
        elif isinstance(layer, Dense):
            modules.append(nn.LazyLinear(layer.units))  # in_features from the first batch
        elif isinstance(layer, BatchNorm):
            modules.append(nn.LazyBatchNorm1d() if flat else nn.BatchNorm2d(channels))
        elif isinstance(layer, Dropout):
            modules.append(nn.Dropout(layer.rate))
        else:
            modules.append({ReLU: nn.ReLU, Tanh: nn.Tanh, Sigmoid: nn.Sigmoid}[type(layer)]())
    return nn.Sequential(*modules)


def check(arch: Architecture) -> None:
    module = build(arch).eval()
    with torch.no_grad():
        x = torch.zeros((2, *arch.input.shape))
        outputs = []
        for m in module:
            x = m(x)
            outputs.append(tuple(x.shape[1:]))
    infos = infer(arch)
    assert outputs == [info.out_shape for info in infos]
    assert sum(p.numel() for p in module.parameters()) == sum(info.params for info in infos)
    for m, info in zip(module, infos, strict=True):
        assert sum(p.numel() for p in m.parameters()) == info.params, info


def test_design_example_matches_torch() -> None:
    check(
        Architecture(
            "m17",
            Input((1, 8, 8), 10),
            (Conv(32, 3), ReLU(), MaxPool(2), Dropout(0.25), Flatten(), Dense(10)),
        )
    )


def test_every_layer_kind_matches_torch() -> None:
    check(
        Architecture(
            "all",
            Input((3, 17, 13), 7),
            (
                BatchNorm(), Conv(8, 7, stride=2), BatchNorm(), Tanh(), MaxPool(3), Conv(5, 5),
                Sigmoid(), AvgPool(2), Dropout(0.5), Flatten(), BatchNorm(), Dense(33), ReLU(),
                Dropout(0.125), Dense(7),
            ),
        )
    )  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(valid_architectures(limits=Limits(max_params=300_000)))
def test_any_valid_architecture_matches_torch(arch: Architecture) -> None:
    check(arch)


def test_sampled_architectures_match_torch() -> None:
    space = load_search_space()
    for shape in [(1, 8, 8), (3, 32, 32)]:
        for arch in sample(5, 25, input=Input(shape, 10), space=space, limits=Limits()):
            check(arch)
