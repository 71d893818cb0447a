"""``torch.nn.Sequential`` to a spec. Imports torch only when called."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
)

__all__ = ["from_torch"]


def _square(value: Any, path: str, what: str) -> int:
    if isinstance(value, tuple | list):
        if len(value) == 1 or (len(value) == 2 and value[0] == value[1]):
            return int(value[0])
        raise SpecError(f"Non-square {what} {tuple(value)} is not supported by snacs", path)
    return int(value)


def _walk(module: Any, prefix: str, nn: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for child_name, child in module.named_children():
        path = f"{prefix}.{child_name}" if prefix else child_name
        if isinstance(child, nn.Sequential):
            out.extend(_walk(child, path, nn))
        else:
            out.append((path, child))
    return out


def from_torch(
    module: Any,
    input_shape: Sequence[int] | None = None,
    *,
    name: str | None = None,
    classes: int | None = None,
) -> Spec:
    """Convert a ``torch.nn.Sequential`` (nested ones are flattened) to a Spec.

    ``input_shape`` is (C, H, W) or (N,) without the batch axis; it may be left out when
    the model starts with ``Linear`` (possibly after ``Flatten``). Maps ``Conv2d``,
    ``MaxPool2d``, ``AvgPool2d``, ``Linear``, ``Dropout``, ``BatchNorm1d/2d``, ``ReLU``,
    ``Tanh``, ``Sigmoid`` and ``Flatten``; ``Identity`` is dropped; any other module
    becomes a generic block named after its class, with its parameter count.
    Raises :class:`~snacs.SpecError` for what snacs cannot draw faithfully (dilated,
    grouped or asymmetrically padded convolutions, ceil-mode pooling …).
    """
    try:
        import torch.nn as nn
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise SpecError("from_torch needs PyTorch: pip install torch") from e
    if not isinstance(module, nn.Sequential):
        raise SpecError(
            f"from_torch takes an nn.Sequential, not {type(module).__name__}: other modules "
            f"may not run their children in order"
        )
    layers: list[Any] = []
    first_in: tuple[int, ...] | None = None
    first_conv_channels: int | None = None
    for path, m in _walk(module, "", nn):
        p = f"$.{path}"
        if isinstance(m, nn.Conv2d):
            k = _square(m.kernel_size, p, "kernel_size")
            stride = _square(m.stride, p, "stride")
            if _square(m.dilation, p, "dilation") != 1 or m.groups != 1:
                raise SpecError("Dilated or grouped convolutions are not supported", p)
            pad = m.padding
            if isinstance(pad, str):
                padding = pad
            else:
                pv = _square(pad, p, "padding")
                if pv == k // 2 and k % 2 == 1:
                    padding = "same"
                elif pv == 0:
                    padding = "valid"
                else:
                    raise SpecError(
                        f"Padding {pv} with kernel {k} is neither 'same' ({k // 2}) nor "
                        f"'valid' (0)",
                        p,
                    )
            if first_in is None and first_conv_channels is None and not layers:
                first_conv_channels = m.in_channels
            layers.append(
                Conv(
                    filters=m.out_channels,
                    kernel=k,
                    stride=stride,
                    padding=padding,
                    bias=m.bias is not None,
                )
            )
        elif isinstance(m, nn.MaxPool2d | nn.AvgPool2d):
            k = _square(m.kernel_size, p, "kernel_size")
            stride = _square(m.stride, p, "stride") if m.stride else k
            if _square(m.padding, p, "padding") != 0 or m.ceil_mode:
                raise SpecError("Padded or ceil-mode pooling is not supported", p)
            if isinstance(m, nn.MaxPool2d) and _square(m.dilation, p, "dilation") != 1:
                raise SpecError("Dilated pooling is not supported", p)
            cls = MaxPool if isinstance(m, nn.MaxPool2d) else AvgPool
            layers.append(cls(pool=k, stride=None if stride == k else stride))
        elif isinstance(m, nn.Linear):
            if (
                first_in is None
                and first_conv_channels is None
                and all(isinstance(la, Flatten) for la in layers)
            ):
                first_in = (m.in_features,)
            layers.append(Dense(units=m.out_features, bias=m.bias is not None))
        elif isinstance(m, nn.Dropout | nn.Dropout1d | nn.Dropout2d | nn.AlphaDropout):
            layers.append(Dropout(rate=float(m.p)))
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            layers.append(BatchNorm())
        elif isinstance(m, nn.ReLU):
            layers.append(ReLU())
        elif isinstance(m, nn.Tanh):
            layers.append(Tanh())
        elif isinstance(m, nn.Sigmoid):
            layers.append(Sigmoid())
        elif isinstance(m, nn.Flatten) and m.start_dim == 1 and m.end_dim == -1:
            layers.append(Flatten())
        elif isinstance(m, nn.Identity):
            continue
        else:
            n_params = sum(t.numel() for t in m.parameters())
            layers.append(Generic(kind=type(m).__name__.lower(), fields={"params": n_params}))
    if input_shape is None:
        if first_in is None:
            hint = (
                f" (the first conv has in_channels={first_conv_channels}: "
                f"input_shape=({first_conv_channels}, H, W))"
                if first_conv_channels
                else ""
            )
            raise SpecError(f"from_torch needs input_shape=(C, H, W){hint}")
        input_shape = first_in
    shape = tuple(int(d) for d in input_shape)
    if not 1 <= len(shape) <= 3 or min(shape) < 1:
        raise SpecError(f"input_shape must be (C, H, W) or (N,) of positive sizes, not {shape}")
    if classes is None:
        classes = next((la.units for la in reversed(layers) if isinstance(la, Dense)), None)
    return Spec(
        name=name if name is not None else "",
        input=Input(shape=shape, classes=classes),
        layers=tuple(layers),
    )
