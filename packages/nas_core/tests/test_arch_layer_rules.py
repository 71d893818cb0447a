"""Every layer type carries all of its rules in its class (`nas_core.arch.layers`), and
the lists derived from the one ``Layer`` union reach every table that needs a row for
it: a new layer type that misses one fails here, naming what is missing."""

from __future__ import annotations

import subprocess
import sys
from typing import get_args

import msgspec
import pytest

import distances
from nas_core.arch import (
    ACTIVATION_TYPES,
    FIELD_NAMES,
    LAYER_NAMES,
    LAYER_TYPES,
    VOCABULARIES,
    Architecture,
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Input,
    Layer,
    MaxPool,
    ReLU,
    Sigmoid,
    Tanh,
    layer_type,
    to_layer_graph,
)
from nas_core.arch.layers import _Layer
from nas_core.generators.chain import CHAIN_KIND, KINDS
from nas_core.generators.search_space import AFTER_DENSE_KINDS, BEFORE_DENSE_KINDS, Grids

OWN_RULES = ("torch_module",)  # no default that could fit a new type
# one layer of each type (a new type adds one)
EXAMPLES = (
    Conv(8), MaxPool(2), AvgPool(3), Dense(4), Dropout(0.5), BatchNorm(), ReLU(), Tanh(),
    Sigmoid(), Flatten(),
)  # fmt: skip


def missing_rules(cls: type) -> list[str]:
    """The rules `cls` lacks: a Keras name, its own torch module, a Keras name for each
    field (activations have one parameter, which activation, instead)."""
    missing = [] if isinstance(getattr(cls, "keras_name", None), str) else ["keras_name"]
    missing += [r for r in OWN_RULES if getattr(cls, r) is getattr(_Layer, r)]
    named = dict(cls.keras_fields)
    fields = ("activation",) if cls in ACTIVATION_TYPES.values() else cls.__struct_fields__
    missing += [f"keras_fields[{f!r}]" for f in fields if f not in named]
    return missing


def test_every_layer_type_has_all_its_rules() -> None:
    missing = {tag: missing_rules(cls) for tag, cls in LAYER_TYPES.items()}
    assert {tag: rules for tag, rules in missing.items() if rules} == {}


def test_a_type_without_its_rules_is_caught() -> None:
    class Bare(_Layer, tag="bare"):
        """A layer type with a field and no rules."""

        width: int = 1

    assert missing_rules(Bare) == ["keras_name", "torch_module", "keras_fields['width']"]


def test_the_derived_lists_follow_the_union() -> None:
    tags = [cls.__struct_config__.tag for cls in get_args(Layer)]
    assert list(LAYER_TYPES) == tags
    assert list(LAYER_NAMES) == tags
    assert set(ACTIVATION_TYPES) == {"relu", "tanh", "sigmoid"}
    assert set(FIELD_NAMES) == {f for cls in LAYER_TYPES.values() for f, _ in cls.keras_fields}


def test_every_layer_type_has_its_row_in_the_generators_table() -> None:
    assert set(CHAIN_KIND) == set(LAYER_TYPES)
    kinds = set(BEFORE_DENSE_KINDS) | set(AFTER_DENSE_KINDS)
    assert set(KINDS) <= kinds
    assert kinds - set(KINDS) == {"classifier"}
    for kind, row in KINDS.items():
        assert set(row.grids) <= set(Grids.__struct_fields__), kind
        for cls in row.types:
            fields = {"activation"} if cls in ACTIVATION_TYPES.values() else cls.__struct_fields__
            assert set(row.grids) <= set(fields), (kind, cls)


def test_snacs_knows_every_layer_type() -> None:
    from snacs._spec import KNOWN_TYPES, KnownLayer

    assert set(LAYER_TYPES) == KNOWN_TYPES
    assert {cls.__struct_config__.tag for cls in get_args(KnownLayer)} == KNOWN_TYPES


def test_there_is_an_example_of_every_layer_type() -> None:
    assert sorted(layer_type(layer) for layer in EXAMPLES) == sorted(LAYER_TYPES)


@pytest.mark.parametrize("vocabulary", VOCABULARIES)
def test_every_graph_label_is_one_otmann_knows(vocabulary: str) -> None:
    # a graph only (the model is not valid): OTMANN refuses a label it does not know
    every = Architecture("every", Input((3, 8, 8), 4), (*EXAMPLES, Dense(4)))
    graph = to_layer_graph(every, vocabulary)  # type: ignore[arg-type]
    assert distances.otmann_matrix([graph], vocabulary=vocabulary).shape == (1, 1)


def test_the_rules_are_not_struct_fields() -> None:
    # class attributes and methods: nothing new in the JSON
    assert msgspec.json.encode(Conv(8)) == b'{"type":"conv","filters":8,"kernel":3,"stride":1}'
    assert msgspec.json.encode(Flatten()) == b'{"type":"flatten"}'


def test_importing_arch_and_the_generators_does_not_load_torch() -> None:
    # each type's torch module is built from the ``nn`` that training passes in
    code = "import sys, nas_core.arch, nas_core.generators; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
