"""distances is a leaf: it imports without torch and without any other REMAP package."""

from __future__ import annotations

import json
import subprocess
import sys

import distances


def test_public_api_is_what_the_issue_fixed():
    assert sorted(distances.__all__) == sorted(
        [
            "DistancesError",
            "LayerGraph",
            "OutOfSampleMDS",
            "align",
            "otmann_matrix",
            "prediction_matrix",
        ]
    )
    assert issubclass(distances.DistancesError, ValueError)


def _run(code: str) -> set[str]:
    """Run `code` in a fresh interpreter; the modules it ended with."""
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_import_loads_neither_torch_nor_any_other_remap_package():
    loaded = _run("import distances")
    assert "torch" not in loaded
    assert not loaded & {"snacs", "nas_core", "remap_server", "ot", "sklearn"}


def test_everything_works_where_torch_cannot_be_imported():
    # A finder that refuses torch makes `import torch` fail as in an install without it
    # (POT, for one, looks for torch as an optional backend).
    loaded = _run(
        "import sys\n"
        "class NoTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ImportError('torch is not installed here')\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "from distances import LayerGraph, OutOfSampleMDS, align, otmann_matrix\n"
        "from distances import prediction_matrix\n"
        "units = [None, 8, None, None, None]\n"
        "g = LayerGraph.chain(['ip', 'conv3', 'relu', 'softmax', 'op'], units)\n"
        "h = LayerGraph.chain(['ip', 'conv5', 'tanh', 'softmax', 'op'], units)\n"
        "assert otmann_matrix([g, h], vocabulary='remap')[0, 1] > 0\n"
        "assert prediction_matrix([[0, 1], [1, 1]])[0, 1] == 0.5\n"
        "D = [[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]]\n"
        "for method in ('classical', 'smacof'):\n"
        "    mds = OutOfSampleMDS(method=method).fit(D)\n"
        "    mds.transform([[1.0, 0.0, 1.0]]); align(mds.embedding_, mds.embedding_)\n"
    )
    assert "torch" not in loaded
    assert not loaded & {"snacs", "nas_core", "remap_server"}
