"""Canonical JSON and content hash of architectures.

The canonical form is compact JSON with the keys of every object sorted and every
field written (defaults included), so two architectures that decode to equal structs
encode to identical bytes whatever their source JSON looked like (key order, omitted
defaults, ``5`` vs ``5.0`` for a rate, lists vs tuples). The hash leaves the name
out: two models with the same input and layers are the same model.
"""

from __future__ import annotations

import hashlib

import msgspec

from .layers import Architecture

__all__ = ["arch_hash", "canonical_json"]

_ENCODER = msgspec.json.Encoder(order="sorted")


def canonical_json(arch: Architecture, *, name: bool = True) -> bytes:
    """The canonical JSON bytes of `arch`; ``name=False`` leaves the name out."""
    if name:
        return _ENCODER.encode(arch)
    return _ENCODER.encode({"input": arch.input, "layers": arch.layers})


def arch_hash(arch: Architecture) -> str:
    """SHA-256 (hex) of the canonical JSON without the name."""
    return hashlib.sha256(canonical_json(arch, name=False)).hexdigest()
