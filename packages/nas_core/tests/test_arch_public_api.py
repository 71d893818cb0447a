"""Every public name of nas_core.arch and nas_core.generators resolves."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("module", ["nas_core.arch", "nas_core.generators", "nas_core.errors"])
def test_every_name_in_all_resolves(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__all__, module
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert missing == []


def test_contract_names_are_public() -> None:
    import nas_core.arch as arch
    import nas_core.generators as gen

    for name in [
        "Input",
        "Conv",
        "MaxPool",
        "AvgPool",
        "Dense",
        "Dropout",
        "BatchNorm",
        "ReLU",
        "Tanh",
        "Sigmoid",
        "Flatten",
        "Layer",
        "Architecture",
        "Limits",
        "LayerInfo",
        "infer",
        "validate",
        "ArchitectureError",
        "decode_architecture",
        "canonical_json",
        "arch_hash",
        "describe_changes",
        "to_layer_graph",
        "architecture_schema",
    ]:
        assert name in arch.__all__, name
    for name in [
        "SearchSpace",
        "load_search_space",
        "Child",
        "Change",
        "Prepend",
        "Remove",
        "Replace",
        "Reparameterize",
        "Skipped",
        "sample",
        "ablate",
        "vary",
        "Insert",
        "RemoveEdit",
        "Reparam",
        "Edit",
        "handcraft",
    ]:
        assert name in gen.__all__, name


def test_importing_arch_does_not_load_distances_stack() -> None:
    # POT and scikit-learn load slowly; to_layer_graph imports them only when called
    import subprocess
    import sys

    code = "import sys, nas_core.arch, nas_core.generators; print('ot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
