"""Shapes, parameters, FLOPs and the validity rules."""

from __future__ import annotations

import pytest

from nas_core.arch import (
    Architecture,
    ArchitectureError,
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
    Tanh,
    count_flops,
    count_params,
    infer,
    validate,
)

DIGITS = Input(shape=(1, 8, 8), classes=10)


def arch(*layers, inp: Input = DIGITS) -> Architecture:
    return Architecture(name="t", input=inp, layers=tuple(layers))


def test_infer_on_the_design_example() -> None:
    a = arch(Conv(32, 3), ReLU(), MaxPool(2), Dropout(0.25), Flatten(), Dense(10))
    infos = validate(a)
    assert [i.out_shape for i in infos] == [
        (32, 8, 8), (32, 8, 8), (32, 4, 4), (32, 4, 4), (512,), (10,),
    ]  # fmt: skip
    assert [i.params for i in infos] == [32 * 9 + 32, 0, 0, 0, 0, 512 * 10 + 10]
    assert [i.type for i in infos] == ["conv", "relu", "maxpool", "dropout", "flatten", "dense"]
    assert [i.index for i in infos] == list(range(6))
    # FLOPs: a multiply-add is 2 FLOPs
    assert [i.flops for i in infos] == [
        2 * 1 * 9 * 32 * 64, 32 * 64, 4 * 32 * 16, 0, 0, 2 * 512 * 10,
    ]  # fmt: skip
    assert count_params(a) == 5450
    assert count_flops(a) == sum(i.flops for i in infos)


def test_strided_conv_and_same_padding() -> None:
    a = arch(
        Conv(4, 7, stride=2), Conv(6, 5, stride=3), Flatten(), Dense(10), inp=Input((3, 9, 7), 10)
    )
    infos = infer(a)
    # out = floor((size + 2 * (k // 2) - k) / stride) + 1
    assert infos[0].out_shape == (4, 5, 4)
    assert infos[1].out_shape == (6, 2, 2)
    assert infos[0].params == 4 * 3 * 49 + 4


def test_pools_use_stride_equal_to_pool_in_floor_mode() -> None:
    infos = infer(arch(MaxPool(3), AvgPool(2), Flatten(), Dense(10), inp=Input((2, 8, 7), 10)))
    assert infos[0].out_shape == (2, 2, 2)
    assert infos[1].out_shape == (2, 1, 1)


def test_batchnorm_counts_two_parameters_per_channel_or_unit() -> None:
    infos = infer(arch(Conv(5), BatchNorm(), Flatten(), BatchNorm(), Dense(10)))
    assert infos[1].params == 10  # BatchNorm2d(5)
    assert infos[3].params == 2 * 5 * 64  # BatchNorm1d(320)


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ((Flatten(), Dense(16), Conv(8), Flatten(), Dense(10)), "layer 2: conv after dense"),
        ((Flatten(), MaxPool(2), Dense(10)), "layer 1: maxpool after flatten"),
        ((Dense(16), Dense(10)), "layer 0: dense needs a flatten before it (its input is 1×8×8)"),
        (
            (MaxPool(3), AvgPool(3), Flatten(), Dense(10)),
            "layer 1: avgpool of 3 on a 2×2 input: the spatial size would fall below 1×1",
        ),
        (
            (Flatten(), Flatten(), Dense(10)),
            "layer 1: flatten after flatten: the input is already flat",
        ),
        (
            (Conv(8), Flatten(), Dense(10), ReLU()),
            "layer 3: the last layer must be the classifier (a dense with 10 units), not relu",
        ),
        (
            (Conv(8), Flatten(), Dense(12)),
            "layer 2: the classifier has 12 units but the input has 10 classes",
        ),
        ((), "no layers: the last layer must be the classifier, a dense with 10 units"),
        (
            (Conv(8), Flatten(), Dense(10), Dense(10)),
            None,  # a hidden dense with units == classes is fine
        ),
    ],
)
def test_validity_errors_name_the_index_and_the_reason(layers, message) -> None:
    if message is None:
        validate(arch(*layers))
        return
    with pytest.raises(ArchitectureError) as info:
        validate(arch(*layers))
    assert str(info.value) == message
    if message.startswith("layer "):
        assert info.value.index == int(message.split(":")[0].split()[1])
        assert info.value.reason == message.split(": ", 1)[1]
    else:
        assert info.value.index is None


def test_conv_after_dense_at_index_ten_or_more() -> None:
    layers = [ReLU()] * 10 + [Flatten(), Dense(8), Conv(4), Flatten(), Dense(10)]
    with pytest.raises(ArchitectureError, match=r"^layer 12: conv after dense$") as info:
        validate(arch(*layers))
    assert info.value.index == 12


def test_size_caps() -> None:
    a = arch(Conv(32), Tanh(), Flatten(), Dense(64), Dense(10))  # 320 + 131136 + 650
    assert count_params(a) == 132106
    validate(a, Limits(max_params=132106, max_depth=5))
    with pytest.raises(ArchitectureError, match=r"^132,106 parameters exceed the cap of 132,105$"):
        validate(a, Limits(max_params=132105))
    with pytest.raises(ArchitectureError, match=r"^5 layers exceed the depth cap of 4$") as info:
        validate(a, Limits(max_depth=4))
    assert info.value.index is None
    flops = count_flops(a)
    validate(a, Limits(max_flops=flops))
    with pytest.raises(ArchitectureError, match=rf"^{flops:,} FLOPs per example exceed the cap"):
        validate(a, Limits(max_flops=flops - 1))


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (Conv(0), "layer 0: conv filters must be a positive integer, not 0"),
        (Conv(8, kernel=4), "layer 0: conv kernel must be 3, 5 or 7, not 4"),  # type: ignore[arg-type]
        (MaxPool(0), "layer 0: maxpool pool must be a positive integer, not 0"),
        (Dropout(1.0), "layer 0: dropout rate must be in (0, 1), not 1.0"),
    ],
)
def test_constraints_hold_for_structs_built_in_python(layer, message) -> None:
    # msgspec checks constraints on decoding only; validate checks them again
    with pytest.raises(ArchitectureError, match=f"^{message.replace('(', '.').replace(')', '.')}$"):
        validate(arch(layer, Flatten(), Dense(10)))


def test_error_pickles_faithfully() -> None:
    import pickle

    err = ArchitectureError(4, "conv after dense")
    back = pickle.loads(pickle.dumps(err))
    assert (back.index, back.reason, str(back)) == (
        4,
        "conv after dense",
        "layer 4: conv after dense",
    )
