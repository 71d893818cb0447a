"""Decoding and validity rules of architectures."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import msgspec

from nas_core.errors import ArchitectureError
from snacs import DecodeProblem, duplicate_key_problem, explain_decode_error, utf8_problem

from .layers import Architecture, Dense, Limits
from .shapes import LayerInfo, infer, layer_type

__all__ = ["decode_architecture", "validate"]

_DECODER = msgspec.json.Decoder(Architecture)
_LAYER_PATH = re.compile(r"^\$\.layers\[(\d+)\]")


def validate(
    arch: Architecture, limits: Limits | None = None, prefix: Sequence[LayerInfo] = ()
) -> list[LayerInfo]:
    """Check every validity rule; return `infer`'s layer infos when all hold.
    `prefix`: as for `infer` (the infos of first layers already known).

    Rules, each failing with an `ArchitectureError` that names the layer index (where
    one layer is to blame) and the reason:

    - shapes are defined (`infer`): no conv or pool after flatten/dense, the spatial
      size never below 1×1, a flatten before the first dense, one flatten at most;
    - exactly one classifier, at the end: the last layer is a dense with
      ``units == input.classes`` (nothing after it: the loss takes logits);
    - the size cap of `limits`: at most ``max_depth`` layers and ``max_params``
      parameters.
    """
    limits = Limits() if limits is None else limits
    infos = infer(arch, prefix)
    classes = arch.input.classes
    if not arch.layers:
        raise ArchitectureError(
            None, f"no layers: the last layer must be the classifier, a dense with {classes} units"
        )
    last = len(arch.layers) - 1
    tail = arch.layers[last]
    if not isinstance(tail, Dense):
        raise ArchitectureError(
            last,
            f"the last layer must be the classifier (a dense with {classes} units), "
            f"not {layer_type(tail)}",
        )
    if tail.units != classes:
        raise ArchitectureError(
            last, f"the classifier has {tail.units} units but the input has {classes} classes"
        )
    if len(arch.layers) > limits.max_depth:
        raise ArchitectureError(
            None, f"{len(arch.layers)} layers exceed the depth cap of {limits.max_depth}"
        )
    params = sum(info.params for info in infos)
    if params > limits.max_params:
        raise ArchitectureError(
            None, f"{params:,} parameters exceed the cap of {limits.max_params:,}"
        )
    flops = sum(info.flops for info in infos)
    if flops > limits.max_flops:
        raise ArchitectureError(
            None, f"{flops:,} FLOPs per example exceed the cap of {limits.max_flops:,}"
        )
    return infos


def decode_architecture(data: bytes | str | dict[str, Any] | Architecture) -> Architecture:
    """Decode an architecture from JSON (bytes or str) or a dict of builtins.

    Only the JSON structure and field constraints are checked here (use `validate` for
    the model rules). Raises `ArchitectureError` whose ``path`` is the JSON path
    (``$.layers[2].rate``; ``$`` for the document as a whole), whose ``index`` is the
    layer's when the path is inside one, and whose message is REMAP's reason and the
    path, e.g. ``"must be less than 1.0 - at `$.layers[2].rate`"`` (see
    `snacs.explain_decode_error`). JSON that is not UTF-8, or that has an object with
    a key twice (``"`rate` appears twice - at `$.layers[2]`"``), is refused too.
    """
    if isinstance(data, Architecture):
        return data
    try:
        if isinstance(data, bytes | bytearray | memoryview | str):
            raw = data.encode() if isinstance(data, str) else bytes(data)
            problem = utf8_problem(raw)
            if problem is not None:
                raise _decode_failure(problem)
            arch = _DECODER.decode(raw)
            problem = duplicate_key_problem(raw)
            if problem is not None:
                raise _decode_failure(problem)
            return arch
        return msgspec.convert(data, Architecture)
    except (msgspec.DecodeError, UnicodeError, RecursionError) as exc:
        raise _decode_failure(explain_decode_error(exc)) from exc


def _decode_failure(problem: DecodeProblem) -> ArchitectureError:
    layer = _LAYER_PATH.match(problem.path)
    return ArchitectureError(
        int(layer.group(1)) if layer else None, str(problem), path=problem.path
    )
