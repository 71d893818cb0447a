"""from_torch: round trips through real PyTorch modules (on the meta device: shapes and
parameter counts without memory or compute)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import snacs
from snacs import (
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Generic,
    MaxPool,
    ReLU,
    Sigmoid,
    SpecError,
    Tanh,
)
from snacs._infer import total_params

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # torch warns when numpy is absent
    torch = pytest.importorskip("torch")
nn = torch.nn


def to_torch(spec: snacs.Spec) -> nn.Sequential:
    """Build the PyTorch module a spec describes (REMAP's trainer does the same)."""
    infos = snacs.infer(spec)
    shape = tuple(spec.input.shape)
    mods = []
    for layer, info in zip(spec.layers, infos, strict=True):
        kw = {"device": "meta"}
        if isinstance(layer, Conv):
            pad = layer.kernel // 2 if layer.padding == "same" else 0
            mods.append(
                nn.Conv2d(
                    shape[0],
                    layer.filters,
                    layer.kernel,
                    stride=layer.stride,
                    padding=pad,
                    bias=layer.bias,
                    **kw,
                )
            )
        elif isinstance(layer, MaxPool | AvgPool):
            cls = nn.MaxPool2d if isinstance(layer, MaxPool) else nn.AvgPool2d
            mods.append(cls(layer.pool, stride=layer.stride or layer.pool))
        elif isinstance(layer, Dense):
            mods.append(nn.Linear(shape[0], layer.units, bias=layer.bias, **kw))
        elif isinstance(layer, Dropout):
            mods.append(nn.Dropout(layer.rate))
        elif isinstance(layer, BatchNorm):
            cls = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
            mods.append(cls(shape[0], **kw))
        elif isinstance(layer, Flatten):
            mods.append(nn.Flatten())
        else:
            mods.append({ReLU: nn.ReLU, Tanh: nn.Tanh, Sigmoid: nn.Sigmoid}[type(layer)]())
        shape = info.shape
    return nn.Sequential(*mods)


def check_round_trip(spec: snacs.Spec) -> None:
    module = to_torch(spec)
    back = snacs.from_torch(module, spec.input.shape, name=spec.name)
    assert back.layers == spec.layers
    assert back.input.shape == tuple(spec.input.shape)
    infos = snacs.infer(spec)
    assert total_params(infos) == sum(p.numel() for p in module.parameters())
    module.eval()  # batch norm on a batch of one
    x = torch.zeros((1, *spec.input.shape), device="meta")
    for mod, info in zip(module, infos, strict=True):
        x = mod(x)
        assert tuple(x.shape[1:]) == info.shape, (mod, info)


@pytest.mark.parametrize(
    "stem", ["lenet5", "vgg16", "resnet20", "remap-fig4a", "remap-fig7-1", "remap-fig7-4"]
)
def test_examples_round_trip(examples, stem):
    check_round_trip(examples[stem])


@st.composite
def torchable_specs(draw):
    c = draw(st.integers(1, 4))
    hw = draw(st.integers(4, 24))
    shape = (c, hw, hw)
    layers = []
    size = hw
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["conv", "pool", "act", "bn", "drop"]))
        if kind == "conv":
            k = draw(st.sampled_from([1, 3, 5, 7]))
            stride = draw(st.sampled_from([1, 1, 2]))
            padding = draw(st.sampled_from(["same", "valid"]))
            if padding == "valid" and (k > size or k == 1):
                padding = "same"  # (a 1×1 kernel pads nothing either way)
            layers.append(
                Conv(
                    filters=draw(st.integers(1, 8)),
                    kernel=k,
                    stride=stride,
                    padding=padding,
                    bias=draw(st.booleans()),
                )
            )
            size = -(-size // stride) if padding == "same" else (size - k) // stride + 1
        elif kind == "pool" and size >= 2:
            p = draw(st.integers(2, min(3, size)))
            layers.append(draw(st.sampled_from([MaxPool, AvgPool]))(pool=p))
            size = (size - p) // p + 1
        elif kind == "act":
            layers.append(draw(st.sampled_from([ReLU(), Tanh(), Sigmoid()])))
        elif kind == "bn":
            layers.append(BatchNorm())
        else:
            layers.append(Dropout(rate=draw(st.sampled_from([0.0, 0.25, 0.5]))))
    layers.append(Flatten())
    for _ in range(draw(st.integers(1, 3))):
        layers.append(Dense(units=draw(st.integers(1, 16)), bias=draw(st.booleans())))
        if draw(st.booleans()):
            layers.append(draw(st.sampled_from([ReLU(), BatchNorm(), Dropout(rate=0.5)])))
    return snacs.Spec(name="h", input=snacs.Input(shape=shape), layers=tuple(layers))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(torchable_specs())
def test_random_models_round_trip(spec):
    check_round_trip(spec)


def test_input_shape_is_inferred_for_a_leading_linear():
    module = nn.Sequential(nn.Flatten(), nn.Linear(12, 4), nn.ReLU(), nn.Linear(4, 2))
    spec = snacs.from_torch(module)
    assert spec.input.shape == (12,)
    assert spec.input.classes == 2


def test_nested_sequentials_are_flattened_and_identity_dropped():
    module = nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU()),
        nn.Identity(),
        nn.Sequential(nn.Sequential(nn.MaxPool2d(2)), nn.Flatten()),
        nn.Linear(2 * 4 * 4, 3),
        nn.Softmax(dim=1),
        nn.LSTM(3, 3),
    )
    spec = snacs.from_torch(module, (1, 8, 8))
    assert [snacs.infer(spec)[i].type for i in range(len(spec.layers))] == [
        "conv",
        "relu",
        "maxpool",
        "flatten",
        "dense",
        "softmax",
        "lstm",
    ]
    assert spec.layers[-1] == Generic(kind="lstm", fields={"params": 4 * 2 * (3 * 3 + 3)})


@pytest.mark.parametrize(
    ("module", "shape", "message"),
    [
        (
            nn.Conv2d(1, 2, 3),
            (1, 8, 8),
            "from_torch takes an nn.Sequential, not Conv2d: other modules may not run their "
            "children in order",
        ),
        (
            nn.Sequential(nn.Conv2d(3, 2, 3)),
            None,
            "from_torch needs input_shape=(C, H, W) (the first conv has in_channels=3: "
            "input_shape=(3, H, W))",
        ),
        (
            nn.Sequential(nn.ReLU(), nn.Conv2d(3, 2, 3, dilation=2)),
            (3, 8, 8),
            "Dilated or grouped convolutions are not supported - at `$.1`",
        ),
        (
            nn.Sequential(nn.Conv2d(3, 2, 3, padding=2)),
            (3, 8, 8),
            "Padding 2 with kernel 3 is neither 'same' (1) nor 'valid' (0) - at `$.0`",
        ),
        (
            nn.Sequential(nn.Sequential(nn.MaxPool2d(2, ceil_mode=True))),
            (3, 8, 8),
            "Padded or ceil-mode pooling is not supported - at `$.0.0`",
        ),
    ],
)
def test_what_cannot_be_drawn_faithfully_is_refused(module, shape, message):
    with pytest.raises(SpecError) as info:
        snacs.from_torch(module, shape)
    assert str(info.value) == message


def test_importing_snacs_does_not_import_torch():
    code = (
        "import sys, snacs\n"
        "snacs.render(snacs.examples()['lenet5'])\n"
        "snacs.sheet(list(snacs.examples().values()))\n"
        "print('torch' in sys.modules, 'numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
