"""The front door of snacs: any spec a caller has (a dict, JSON text or bytes, a Keras
``model.to_json()`` document, a `Spec`) to a checked `Spec` (`decode`).

The structs are `snacs._spec`'s; a Keras document is converted by `snacs._keras`, which
builds on the structs alone, so the door imports both and neither imports the door
(no import cycle). Errors are `SpecError` in snacs' words with the JSON path.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from ._errors import SnacsTypeError, SpecError
from ._keras import from_keras
from ._spec import KNOWN_TYPES, Index, Input, KnownLayer, Spec, checked_json

__all__ = ["decode"]


# Decoding targets. The fast one knows only the real layer types, so a document with an
# unknown type fails it and takes the slow path, which wraps unknown layers first.
class _KnownSpec(Struct, frozen=True, kw_only=True):
    name: str = ""
    description: str = ""
    input: Input | None = None
    layers: tuple[KnownLayer, ...]
    skips: tuple[tuple[Index, Index], ...] = ()
    accuracy: Annotated[float, Meta(ge=0.0)] | None = None


_FAST_DECODER = msgspec.json.Decoder(_KnownSpec)
_ANY_DECODER = msgspec.json.Decoder()


def _promote(k: _KnownSpec | Spec) -> Spec:
    return Spec(
        name=k.name,
        description=k.description,
        input=k.input,
        layers=k.layers,
        skips=k.skips,
        accuracy=k.accuracy,
    )


def _wrap_unknown(obj: Any) -> Any:
    """Rewrite layers of unknown type as ``{"type": "generic", "kind": …, "fields": …}``.

    List positions do not change, so msgspec's error paths still point at the user's
    own document.
    """
    if not isinstance(obj, dict):
        return obj
    layers = obj.get("layers")
    if not isinstance(layers, list):
        return obj
    new_layers = []
    changed = False
    for layer in layers:
        if isinstance(layer, dict):
            t = layer.get("type")
            if isinstance(t, str) and t not in KNOWN_TYPES:
                fields = {k: v for k, v in layer.items() if k != "type"}
                layer = {"type": "generic", "kind": t, "fields": fields}
                changed = True
        new_layers.append(layer)
    if not changed:
        return obj
    out = dict(obj)
    out["layers"] = new_layers
    return out


def _looks_like_keras(obj: Any) -> bool:
    return isinstance(obj, dict) and "class_name" in obj and "config" in obj and "layers" not in obj


def _check_skips(spec: Spec) -> Spec:
    n = len(spec.layers)
    for j, (u, v) in enumerate(spec.skips):
        if not u < v < n:
            raise SpecError(
                f"skip [{u}, {v}] must go forward from one layer to a later one "
                f"(indices 0..{n - 1})",
                f"$.skips[{j}]",
            )
    return spec


_SPEC_DECODER = msgspec.json.Decoder(Spec)


def _decode_wrapped(obj: Any) -> Spec:
    # Through JSON rather than msgspec.convert: the error wording is then the same
    # whatever form the spec came in.
    try:
        data = msgspec.json.encode(_wrap_unknown(obj))
    except (TypeError, msgspec.EncodeError):
        raise SpecError(
            "holds a value that JSON cannot represent (JSON has objects with string keys, "
            "lists, strings, numbers, true, false and null)",
            "$",
        ) from None
    try:
        return _check_skips(_SPEC_DECODER.decode(data))
    except msgspec.ValidationError as e:
        raise SpecError.from_msgspec(e) from None


def _from_builtins(obj: Any) -> Spec:
    if _looks_like_keras(obj):
        return from_keras(obj)
    return _decode_wrapped(obj)


def decode(data: Spec | dict[str, Any] | str | bytes | bytearray | memoryview) -> Spec:
    """Return the :class:`Spec` for a dict, JSON text or bytes (or a Spec, unchanged).

    A Keras ``model.to_json()`` document is recognised and converted (see
    :func:`snacs.from_keras`). Raises :class:`SpecError` with the reason in snacs' words
    and the JSON path of the offending field, e.g. ``must be at most 1.0 - at
    `$.layers[2].rate```. Bytes that are not UTF-8 and an object with a key twice
    (``"`rate` appears twice - at `$.layers[2]`"``) are refused too.
    """
    if isinstance(data, Spec):
        return _check_skips(data)
    if not isinstance(data, dict | str | bytes | bytearray | memoryview):
        raise SnacsTypeError(data)
    try:
        if isinstance(data, dict):
            return _decode(data)
        raw = data.encode() if isinstance(data, str) else bytes(data)
        return _decode(checked_json(raw))
    except (UnicodeError, RecursionError) as e:  # a lone surrogate; nesting past the stack
        raise SpecError.from_msgspec(e) from None


def _decode(data: dict[str, Any] | bytes) -> Spec:
    if isinstance(data, dict):
        return _from_builtins(data)
    try:
        return _check_skips(_promote(_FAST_DECODER.decode(data)))
    except msgspec.ValidationError as e:
        first = e  # unknown layer types, Keras JSON, or a real error
    except msgspec.DecodeError as e:
        raise SpecError.from_msgspec(e) from None
    try:
        obj = _ANY_DECODER.decode(data)
    except msgspec.DecodeError as e:  # the typed decoder stopped before the JSON was read
        raise SpecError.from_msgspec(e) from None
    if _looks_like_keras(obj):
        return _from_builtins(obj)
    if _wrap_unknown(obj) is obj:  # nothing unknown: the first error is the real one
        raise SpecError.from_msgspec(first) from None
    return _decode_wrapped(obj)
