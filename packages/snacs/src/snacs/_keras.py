"""Keras ``model.to_json()`` (Sequential) to a spec, without TensorFlow or Keras.

Reads the JSON of Keras 2 (``{"class_name": "Sequential", "config": {"layers": …}}``,
and the older form where ``config`` is the list of layers) and of Keras 3 (the same
with ``module`` / ``registered_name`` / ``build_config`` keys and ``batch_shape``).

Mapping: ``Conv2D`` → conv, ``MaxPooling2D`` → maxpool, ``AveragePooling2D`` → avgpool,
``Dense`` → dense, ``Dropout`` → dropout, ``Activation`` / ``ReLU`` → relu, tanh or
sigmoid, ``Flatten`` → flatten, ``BatchNormalization`` → batchnorm. An ``activation=``
inside ``Conv2D`` or ``Dense`` becomes its own activation layer after it, as the SNAC
encoding draws activations as blocks. Other layers (and activations other than relu,
tanh and sigmoid, e.g. softmax) become generic blocks named after their class or
function. The input shape comes from the ``InputLayer``'s ``batch_shape`` /
``batch_input_shape``, a layer's ``batch_input_shape``, or ``build_input_shape``;
``channels_last`` data (H, W, C) becomes (C, H, W).
"""

from __future__ import annotations

from typing import Any

import msgspec

from ._errors import SpecError
from ._spec import (
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
    Tanh,
    checked_json,
)

__all__ = ["from_keras"]

_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
_NO_ACTIVATION = (None, "linear", "None")
_POOLS = {
    "MaxPooling2D": MaxPool,
    "MaxPool2D": MaxPool,
    "AveragePooling2D": AvgPool,
    "AvgPool2D": AvgPool,
}
_SKIPPED_KEYS = {"name", "trainable", "dtype", "batch_input_shape", "batch_shape"}


def _items(value: Any) -> Any:
    # Keras 2 metadata writes tuples as {"class_name": "__tuple__", "items": [...]}.
    if isinstance(value, dict) and isinstance(value.get("items"), list):
        return value["items"]
    return value


def _int(value: Any, path: str, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise SpecError(f"Expected {what} as a positive integer, got {value!r}", path)


def _square(value: Any, path: str, what: str) -> int:
    value = _items(value)
    if isinstance(value, list | tuple):
        if len(value) == 1 or (len(value) == 2 and value[0] == value[1]):
            return _int(value[0], path, what)
        raise SpecError(f"Non-square {what} {list(value)} is not supported by snacs", path)
    return _int(value, path, what)


def _activation_name(value: Any) -> str | None:
    if isinstance(value, dict):  # Keras 3 may serialise functions as objects
        inner = value.get("config")
        value = inner if isinstance(inner, str) else value.get("class_name")
    if value in _NO_ACTIVATION:
        return None
    return str(value)


def _activation_layer(name: str) -> Any:
    cls = _ACTIVATIONS.get(name)
    return cls() if cls is not None else Generic(kind=name)


def _fields(cfg: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in cfg.items():
        if k in _SKIPPED_KEYS or k.endswith(("_initializer", "_regularizer", "_constraint")):
            continue
        v = _items(v)
        if isinstance(v, bool | int | float | str) or (
            isinstance(v, list) and all(isinstance(x, int | float | str) for x in v)
        ):
            out[k] = v
    return out


def _input_shape(obj: dict, config: Any, layers: list) -> tuple[list | None, str]:
    """The batch shape (with the batch axis) and where it was found."""
    for j, layer in enumerate(layers):
        if not isinstance(layer, dict):
            continue
        cfg = layer.get("config")
        if isinstance(cfg, dict):
            for key in ("batch_shape", "batch_input_shape"):
                shape = _items(cfg.get(key))
                if isinstance(shape, list):
                    return shape, f"$.config.layers[{j}].config.{key}"
        build = layer.get("build_config")
        if (
            j == 0
            and isinstance(build, dict)
            and isinstance(_items(build.get("input_shape")), list)
        ):
            return _items(build["input_shape"]), f"$.config.layers[{j}].build_config.input_shape"
    if isinstance(config, dict) and isinstance(_items(config.get("build_input_shape")), list):
        return _items(config["build_input_shape"]), "$.config.build_input_shape"
    build = obj.get("build_config")
    if isinstance(build, dict) and isinstance(_items(build.get("input_shape")), list):
        return _items(build["input_shape"]), "$.build_config.input_shape"
    return None, "$.config.layers"


def from_keras(data: dict[str, Any] | str | bytes, *, name: str | None = None) -> Spec:
    """Convert the JSON of a Keras ``Sequential`` model (``model.to_json()``) to a Spec.

    Raises :class:`~snacs.SpecError` with the path into the Keras document when the
    model cannot be drawn (not Sequential, no input shape, a non-square kernel …).
    """
    if isinstance(data, str | bytes | bytearray):
        try:
            raw = data.encode() if isinstance(data, str) else bytes(data)
            obj = msgspec.json.decode(checked_json(raw))
        except (msgspec.DecodeError, UnicodeError, RecursionError) as e:
            raise SpecError.from_msgspec(e) from None
    else:
        obj = data
    if not isinstance(obj, dict) or "class_name" not in obj:
        raise SpecError("Expected a Keras model object with `class_name` and `config`", "$")
    if obj["class_name"] != "Sequential":
        raise SpecError(
            f"Only Sequential Keras models can be drawn, not {obj['class_name']!r}",
            "$.class_name",
        )
    config = obj.get("config")
    if isinstance(config, list):  # Keras < 2.3: config is the list of layers
        layer_list, lpath, model_name = config, "$.config", None
    elif isinstance(config, dict) and isinstance(config.get("layers"), list):
        layer_list, lpath, model_name = config["layers"], "$.config.layers", config.get("name")
    else:
        raise SpecError("must be an object with a `layers` array", "$.config")

    batch_shape, spath = _input_shape(obj, config, layer_list)
    if batch_shape is None:
        raise SpecError(
            "The Keras model has no input shape: give it an Input layer or build it "
            "before calling to_json()",
            lpath,
        )
    data_format = "channels_last"
    for layer in layer_list:
        cfg = layer.get("config") if isinstance(layer, dict) else None
        if isinstance(cfg, dict) and cfg.get("data_format") in ("channels_first", "channels_last"):
            data_format = cfg["data_format"]
            break
    dims = list(batch_shape[1:])
    if not 1 <= len(dims) <= 3 or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in dims
    ):
        raise SpecError(
            f"Input shape {batch_shape} is not supported: snacs needs a fixed (H, W, C) "
            f"or (N,) shape",
            spath,
        )
    if len(dims) == 3 and data_format == "channels_last":
        dims = [dims[2], dims[0], dims[1]]

    layers: list[Any] = []
    for j, layer in enumerate(layer_list):
        path = f"{lpath}[{j}]"
        if not isinstance(layer, dict) or not isinstance(layer.get("class_name"), str):
            raise SpecError("Expected a layer object with a `class_name`", path)
        cn = layer["class_name"]
        cfg = layer.get("config")
        if not isinstance(cfg, dict):
            cfg = {}
        cpath = f"{path}.config"
        act = None
        if cn == "InputLayer":
            continue
        if cn in ("Conv2D", "Convolution2D"):
            for key in ("dilation_rate",):
                if key in cfg and _square(cfg[key], f"{cpath}.{key}", key) != 1:
                    raise SpecError("Dilated convolutions are not supported", f"{cpath}.{key}")
            if cfg.get("groups", 1) != 1:
                raise SpecError("Grouped convolutions are not supported", f"{cpath}.groups")
            padding = cfg.get("padding", "valid")
            if padding not in ("same", "valid"):
                raise SpecError(f"Unsupported padding {padding!r}", f"{cpath}.padding")
            layers.append(
                Conv(
                    filters=_int(cfg.get("filters"), f"{cpath}.filters", "filters"),
                    kernel=_square(cfg.get("kernel_size"), f"{cpath}.kernel_size", "kernel_size"),
                    stride=_square(cfg.get("strides", 1), f"{cpath}.strides", "strides"),
                    padding=padding,
                    bias=bool(cfg.get("use_bias", True)),
                )
            )
            act = _activation_name(cfg.get("activation"))
        elif cn in _POOLS:
            pool = _square(cfg.get("pool_size", 2), f"{cpath}.pool_size", "pool_size")
            strides = cfg.get("strides")
            stride = None if strides is None else _square(strides, f"{cpath}.strides", "strides")
            padding = cfg.get("padding", "valid")
            if padding not in ("same", "valid"):
                raise SpecError(f"Unsupported padding {padding!r}", f"{cpath}.padding")
            layers.append(
                _POOLS[cn](pool=pool, stride=None if stride == pool else stride, padding=padding)
            )
        elif cn == "Dense":
            layers.append(
                Dense(
                    units=_int(cfg.get("units"), f"{cpath}.units", "units"),
                    bias=bool(cfg.get("use_bias", True)),
                )
            )
            act = _activation_name(cfg.get("activation"))
        elif cn == "Dropout":
            rate = cfg.get("rate")
            if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 <= rate <= 1:
                raise SpecError(f"must be between 0 and 1, not {rate!r}", f"{cpath}.rate")
            layers.append(Dropout(rate=float(rate)))
        elif cn == "Activation":
            a = _activation_name(cfg.get("activation"))
            if a is not None:
                layers.append(_activation_layer(a))
        elif cn == "ReLU" and not cfg.get("max_value") and not cfg.get("negative_slope"):
            layers.append(ReLU())
        elif cn == "Flatten":
            layers.append(Flatten())
        elif cn == "BatchNormalization":
            layers.append(BatchNorm())
        else:
            layers.append(Generic(kind=cn.lower(), fields=_fields(cfg)))
        if act is not None:
            layers.append(_activation_layer(act))
    classes = next((la.units for la in reversed(layers) if isinstance(la, Dense)), None)
    if name is None:
        name = model_name if isinstance(model_name, str) else ""
    return Spec(name=name, input=Input(shape=tuple(dims), classes=classes), layers=tuple(layers))
