"""Canonical form and hash: identical architectures are recognised."""

from __future__ import annotations

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nas_core.arch import Architecture, arch_hash, canonical_json, decode_architecture

from nas_core_strategies import valid_architectures

A = (
    '{"name": "a", "input": {"shape": [1, 8, 8], "classes": 10}, "layers": ['
    '{"type": "conv", "filters": 8}, {"type": "dropout", "rate": 0.5}, '
    '{"type": "flatten"}, {"type": "dense", "units": 10}]}'
)
# the same model: another name, keys reordered, defaults written out
B = (
    '{"layers": [{"kernel": 3, "stride": 1, "filters": 8, "type": "conv"}, '
    '{"rate": 0.5, "type": "dropout"}, {"type": "flatten"}, {"units": 10, "type": "dense"}], '
    '"input": {"classes": 10, "shape": [1, 8, 8]}, "name": "b"}'
)


def test_hash_recognises_the_same_model_written_differently() -> None:
    a, b = decode_architecture(A), decode_architecture(B)
    assert arch_hash(a) == arch_hash(b)
    assert canonical_json(a, name=False) == canonical_json(b, name=False)
    assert canonical_json(a) != canonical_json(b)  # the names differ


def test_canonical_json_is_sorted_compact_and_complete() -> None:
    assert canonical_json(decode_architecture(A)) == (
        b'{"input":{"classes":10,"shape":[1,8,8]},"layers":[{"filters":8,"kernel":3,'
        b'"stride":1,"type":"conv"},{"rate":0.5,"type":"dropout"},{"type":"flatten"},'
        b'{"type":"dense","units":10}],"name":"a"}'
    )


def test_hash_is_a_stable_sha256() -> None:
    # golden: a hash recorded in a session must mean the same model on every machine
    assert arch_hash(decode_architecture(A)) == (
        "169f95cf996cf6f178857ddc9ef48226e118f1870d6069bbdf8063ccda92354d"
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(valid_architectures(), valid_architectures(), st.text(min_size=1, max_size=5))
def test_hash_equal_exactly_when_input_and_layers_equal(
    a: Architecture, b: Architecture, name: str
) -> None:
    renamed = msgspec.structs.replace(a, name=name)
    assert arch_hash(renamed) == arch_hash(a)
    same = (a.input, a.layers) == (b.input, b.layers)
    assert (arch_hash(a) == arch_hash(b)) == same
    assert decode_architecture(canonical_json(a)) == a
