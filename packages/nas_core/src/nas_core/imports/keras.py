"""A Keras Sequential ``model.to_json()`` as REMAP's architecture JSON.

The layer classes REMAP has an equivalent for: ``InputLayer``, ``Conv2D`` (kernel 3, 5
or 7, stride 1, same padding, as REMAP trains it), ``MaxPooling2D``,
``AveragePooling2D``, ``Dense``, ``Dropout``, ``Flatten``, ``BatchNormalization``,
``Activation`` / ``ReLU`` (relu, tanh, sigmoid), and an ``activation=`` of a Conv2D or
Dense, which becomes its own layer after it. The classifier's ``softmax`` is REMAP's
implied output (its last dense layer is the classifier). Any other class or activation
is refused with its JSON path in the Keras document. The drawing of it is snacs'
(`snacs.from_keras`), so a chip of an imported model matches the Keras model's.
"""

from __future__ import annotations

from typing import Any

import msgspec

from nas_core.errors import NasCoreError
from snacs import SpecError, from_keras

__all__ = ["KERAS_CLASSES", "KerasError", "is_keras", "keras_to_architecture"]

KERAS_CLASSES = frozenset({
    "InputLayer", "Conv2D", "Convolution2D", "MaxPooling2D", "MaxPool2D",
    "AveragePooling2D", "AvgPool2D", "Dense", "Dropout", "Flatten",
    "BatchNormalization", "Activation", "ReLU",
})  # fmt: skip
_ACTIVATIONS = frozenset({None, "linear", "relu", "tanh", "sigmoid"})


class KerasError(NasCoreError, ValueError):
    """Raised when a Keras model cannot be converted: `reason` at `path` (in the Keras
    document)."""

    def __init__(self, reason: str, path: str) -> None:
        super().__init__(f"{reason} - at `{path}`")
        self.reason = reason
        self.path = path


def is_keras(obj: Any) -> bool:
    """Whether `obj` (a decoded architecture) is a Keras model's JSON."""
    return isinstance(obj, dict) and "class_name" in obj


def _layer_list(obj: dict[str, Any]) -> tuple[list[Any], str]:
    config = obj.get("config")
    if isinstance(config, list):
        return config, "$.config"
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        return config["layers"], "$.config.layers"
    return [], "$.config"


def _activation(cfg: dict[str, Any]) -> Any:
    value = cfg.get("activation")
    if isinstance(value, dict):  # Keras 3 may serialise it as an object
        value = value.get("config", {}).get("name", value.get("class_name"))
    return value


def _check_classes(obj: dict[str, Any]) -> None:
    layers, lpath = _layer_list(obj)
    last_dense = max(
        (j for j, layer in enumerate(layers)
         if isinstance(layer, dict) and layer.get("class_name") == "Dense"),
        default=-1,
    )  # fmt: skip
    for j, layer in enumerate(layers):
        if not isinstance(layer, dict):
            continue
        cn = layer.get("class_name")
        path = f"{lpath}[{j}]"
        cfg = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        if cn not in KERAS_CLASSES:
            raise KerasError(
                f"Keras layer {cn!r} has no REMAP equivalent (REMAP trains "
                "Conv2D, MaxPooling2D, AveragePooling2D, Dense, Dropout, Flatten, "
                "BatchNormalization and relu, tanh or sigmoid activations)",
                f"{path}.class_name",
            )
        act = _activation(cfg)
        if cn == "ReLU" or (cn == "Activation" and act == "softmax" and j == len(layers) - 1):
            continue
        softmax_out = act == "softmax" and (j == last_dense or cn == "Activation")
        if act not in _ACTIVATIONS and not softmax_out:
            raise KerasError(
                f"activation {act!r} has no REMAP equivalent (relu, tanh, sigmoid; softmax "
                "only on the classifier)",
                f"{path}.config.activation",
            )


def keras_to_architecture(obj: dict[str, Any]) -> dict[str, Any]:
    """REMAP's architecture JSON (a dict, to decode with
    `nas_core.arch.decode_architecture`) of the Keras Sequential JSON `obj`. Raises
    `KerasError` naming the Keras path."""
    _check_classes(obj)
    try:
        spec = from_keras(obj)
    except SpecError as error:
        raise KerasError(error.reason, error.path) from None
    arch = msgspec.to_builtins(spec)
    layers = arch["layers"] = list(arch.get("layers", ()))
    while layers and layers[-1].get("type") == "generic" and layers[-1].get("kind") == "softmax":
        layers.pop()  # the classifier's softmax: REMAP's output is implied
    for layer in layers:
        if layer.get("type") == "generic":
            raise KerasError(f"layer {layer.get('kind')!r} has no REMAP equivalent", "$")
    arch.pop("skips", None)
    return {k: v for k, v in arch.items() if v not in (None, [], {}) or k == "layers"}
