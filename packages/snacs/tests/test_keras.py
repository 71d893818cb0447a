"""Keras model.to_json() import, without TensorFlow (samples written as Keras writes them)."""

from __future__ import annotations

import json
import sys

import pytest

import snacs
from snacs import (
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Generic,
    Input,
    MaxPool,
    ReLU,
    Sigmoid,
    Spec,
    SpecError,
    Tanh,
)
from snacs._infer import total_params


def load(data_dir, name):
    return (data_dir / name).read_text()


def test_keras2_mnist_cnn(data_dir):
    spec = snacs.from_keras(load(data_dir, "keras2_mnist_cnn.json"))
    assert spec == Spec(
        name="mnist_cnn",
        input=Input(shape=(1, 28, 28), classes=10),
        layers=(
            Conv(filters=32, kernel=3, padding="valid"),
            ReLU(),
            MaxPool(pool=2),
            Conv(filters=64, kernel=3, padding="valid"),
            ReLU(),
            MaxPool(pool=2),
            Flatten(),
            Dropout(rate=0.5),
            Dense(units=10),
            Generic(kind="softmax"),
        ),
    )
    # model.summary() of the Keras MNIST example: 34,826 parameters
    assert total_params(snacs.infer(spec)) == 34_826


def test_keras3_cifar_model(data_dir):
    spec = snacs.from_keras(json.loads(load(data_dir, "keras3_cifar_small.json")))
    assert spec == Spec(
        name="cifar_small",
        input=Input(shape=(3, 32, 32), classes=10),
        layers=(
            Conv(filters=16, kernel=3, padding="same", bias=False),
            BatchNorm(),
            ReLU(),
            AvgPool(pool=2),
            Conv(filters=32, kernel=5, padding="same"),
            Tanh(),
            MaxPool(pool=2),
            Flatten(),
            Dense(units=64),
            Sigmoid(),
            Dropout(rate=0.25),
            Dense(units=10),
            Generic(kind="softmax"),
        ),
    )
    infos = snacs.infer(spec)
    assert infos[7].shape == (2048,)  # Keras' build_config says [None, 2048]
    # Keras counts 4 per BatchNormalization channel (2 non-trainable); snacs counts γ, β
    keras_total = 432 + 64 + 12_832 + 131_136 + 650
    assert total_params(infos) == keras_total - 2 * 16


def test_keras2_legacy_list_config(data_dir):
    spec = snacs.from_keras(load(data_dir, "keras2_legacy_mlp.json").encode())
    assert spec.input == Input(shape=(784,), classes=10)
    assert spec.layers == (
        Dense(units=512),
        ReLU(),
        Dropout(rate=0.2),
        Dense(units=10),
        Generic(kind="softmax"),
    )
    assert total_params(snacs.infer(spec)) == 407_050


def test_render_and_decode_recognise_keras_json(data_dir, parse):
    text = load(data_dir, "keras2_mnist_cnn.json")
    assert snacs.decode(text) == snacs.from_keras(text)
    chip = parse(snacs.render(text))
    assert len(chip.by_class("snac-softmax")) == 1


def test_no_tensorflow_needed():
    assert "tensorflow" not in sys.modules
    assert "keras" not in sys.modules


def keras_doc(*layers, batch_shape=(None, 8, 8, 1)):
    return {
        "class_name": "Sequential",
        "config": {
            "name": "k",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": list(batch_shape)}},
                *layers,
            ],
        },
    }


def test_channels_first_input_keeps_its_order():
    doc = keras_doc(
        {
            "class_name": "Conv2D",
            "config": {"filters": 2, "kernel_size": 3, "data_format": "channels_first"},
        },
        batch_shape=(None, 3, 16, 8),
    )
    assert snacs.from_keras(doc).input.shape == (3, 16, 8)


def test_other_layers_become_generic_blocks_with_simple_fields():
    doc = keras_doc(
        {
            "class_name": "GlobalAveragePooling2D",
            "config": {"name": "gap", "keepdims": False, "data_format": "channels_last"},
        },
        {"class_name": "Activation", "config": {"activation": "elu"}},
        {"class_name": "Activation", "config": {"activation": "linear"}},
    )
    spec = snacs.from_keras(doc)
    assert spec.layers == (
        Generic(
            kind="globalaveragepooling2d",
            fields={"keepdims": False, "data_format": "channels_last"},
        ),
        Generic(kind="elu"),
    )


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"class_name": "Functional", "config": {"layers": []}},
            "Only Sequential Keras models can be drawn, not 'Functional' - at `$.class_name`",
        ),
        (
            keras_doc({"class_name": "Conv2D", "config": {"filters": 2, "kernel_size": [3, 1]}}),
            "Non-square kernel_size [3, 1] is not supported by snacs "
            "- at `$.config.layers[1].config.kernel_size`",
        ),
        (
            keras_doc({"class_name": "Dense", "config": {"units": 0}}),
            "Expected units as a positive integer, got 0 - at `$.config.layers[1].config.units`",
        ),
        (
            keras_doc({"class_name": "Dropout", "config": {"rate": 1.5}}),
            "must be between 0 and 1, not 1.5 - at `$.config.layers[1].config.rate`",
        ),
        (
            {
                "class_name": "Sequential",
                "config": {"layers": [{"class_name": "Dense", "config": {"units": 3}}]},
            },
            "The Keras model has no input shape: give it an Input layer or build it before "
            "calling to_json() - at `$.config.layers`",
        ),
        (
            keras_doc(batch_shape=(None, None, None, 3)),
            "Input shape [None, None, None, 3] is not supported: snacs needs a fixed (H, W, C) "
            "or (N,) shape - at `$.config.layers[0].config.batch_shape`",
        ),
    ],
)
def test_keras_errors_point_into_the_keras_document(doc, message):
    with pytest.raises(SpecError) as info:
        snacs.from_keras(doc)
    assert str(info.value) == message
