"""Shape inference and parameter counts."""

from __future__ import annotations

import pytest

import snacs
from snacs import SpecError
from snacs._infer import total_params


def shapes(spec) -> list[tuple[int, ...]]:
    return [info.shape for info in snacs.infer(snacs.decode(spec))]


def test_design_example(m17):
    infos = snacs.infer(snacs.decode(m17))
    assert [i.shape for i in infos] == [
        (32, 8, 8),
        (32, 8, 8),
        (32, 4, 4),
        (32, 4, 4),
        (512,),
        (10,),
    ]
    assert [i.params for i in infos] == [32 * 1 * 9 + 32, 0, 0, 0, 0, 512 * 10 + 10]
    assert [i.size for i in infos] == [2048, 2048, 512, 512, 512, 10]
    assert [i.type for i in infos] == ["conv", "relu", "maxpool", "dropout", "flatten", "dense"]


@pytest.mark.parametrize(
    ("stem", "params"),
    [
        ("lenet5", 61_706),  # the classic count with C3 fully connected
        ("vgg16", 138_357_544),  # Keras' VGG16(include_top=True)
        ("resnet20", 269_722),  # bias-free convs, γ and β per BN channel, no projections
        ("remap-fig7-1", 11_850),  # REMAP Fig. 7 reports 11.9k
        ("remap-fig7-2", 100),  # 100
        ("remap-fig7-3", 6_410),  # 6.4k
        ("remap-fig7-4", 8_250),  # 8.3k
    ],
)
def test_parameter_counts_of_the_examples(examples, stem, params):
    assert total_params(snacs.infer(examples[stem])) == params


def test_vgg16_shapes(examples):
    infos = snacs.infer(examples["vgg16"])
    pools = [i.shape for i in infos if i.type == "maxpool"]
    assert pools == [(64, 112, 112), (128, 56, 56), (256, 28, 28), (512, 14, 14), (512, 7, 7)]
    assert infos[-1].shape == (1000,)


def base(*layers, shape=(3, 32, 32)):
    return {"input": {"shape": list(shape)}, "layers": list(layers)}


@pytest.mark.parametrize(
    ("layer", "shape", "params"),
    [
        ({"type": "conv", "filters": 8}, (8, 32, 32), 8 * 3 * 9 + 8),
        ({"type": "conv", "filters": 8, "kernel": 5, "stride": 2}, (8, 16, 16), 8 * 3 * 25 + 8),
        ({"type": "conv", "filters": 8, "kernel": 7, "stride": 3}, (8, 11, 11), 8 * 3 * 49 + 8),
        ({"type": "conv", "filters": 8, "kernel": 5, "padding": "valid"}, (8, 28, 28), 608),
        ({"type": "conv", "filters": 8, "bias": False}, (8, 32, 32), 8 * 3 * 9),
        ({"type": "maxpool", "pool": 3}, (3, 10, 10), 0),  # floor(32 / 3)
        ({"type": "avgpool", "pool": 2}, (3, 16, 16), 0),
        ({"type": "maxpool", "pool": 3, "stride": 2}, (3, 15, 15), 0),
        ({"type": "maxpool", "pool": 3, "padding": "same"}, (3, 11, 11), 0),
        ({"type": "batchnorm"}, (3, 32, 32), 6),
        ({"type": "flatten"}, (3072,), 0),
        ({"type": "dense", "units": 5}, (5,), 3072 * 5 + 5),  # flattens C×H×W first
        ({"type": "lstm", "units": 5}, (3, 32, 32), None),
        ({"type": "gap", "shape": [3], "params": 0}, (3,), 0),
    ],
)
def test_layer_rules(layer, shape, params):
    info = snacs.infer(snacs.decode(base(layer)))[0]
    assert info.shape == shape
    assert info.params == params


def test_batchnorm_on_vectors_counts_features():
    spec = base({"type": "flatten"}, {"type": "dense", "units": 7}, {"type": "batchnorm"})
    assert snacs.infer(snacs.decode(spec))[2].params == 14


def test_two_dimensional_input_is_one_channel():
    assert shapes(base({"type": "conv", "filters": 4}, shape=(5, 6))) == [(4, 5, 6)]


def test_unknown_params_make_the_total_unknown():
    spec = snacs.decode(base({"type": "lstm"}, {"type": "flatten"}))
    assert total_params(snacs.infer(spec)) is None


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            [{"type": "flatten"}, {"type": "dense", "units": 10}, {"type": "conv", "filters": 3}],
            "layer 2: conv after dense needs C×H×W data, got a vector of 10 - at `$.layers[2]`",
        ),
        (
            [{"type": "flatten"}, {"type": "maxpool"}],
            "layer 1: maxpool after flatten needs C×H×W data, got a vector of 3072 "
            "- at `$.layers[1]`",
        ),
        (
            [{"type": "maxpool", "pool": 64}],
            "layer 0: maxpool window 64 does not fit 32×32 data (padding valid); use a "
            'smaller window or padding "same" - at `$.layers[0]`',
        ),
        (
            [{"type": "conv", "filters": 1, "kernel": 33, "padding": "valid"}],
            "layer 0: conv window 33 does not fit 32×32 data (padding valid); use a "
            'smaller window or padding "same" - at `$.layers[0]`',
        ),
    ],
)
def test_impossible_layers_name_index_and_reason(layers, message):
    with pytest.raises(SpecError) as info:
        snacs.infer(snacs.decode(base(*layers)))
    assert str(info.value) == message


def test_render_reports_inference_errors_too():
    bad = base({"type": "flatten"}, {"type": "conv", "filters": 1})
    with pytest.raises(SpecError, match=r"layer 1: conv after flatten"):
        snacs.render(bad)
