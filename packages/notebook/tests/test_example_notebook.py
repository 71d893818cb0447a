"""examples/notebook.ipynb is a valid nbformat 4 notebook whose code cells compile and
that uses the package's API."""

from __future__ import annotations

import json
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[3] / "examples" / "notebook.ipynb"


def test_the_example_notebook_parses_and_its_code_compiles():
    nb = json.loads(NOTEBOOK.read_text("utf-8"))
    assert nb["nbformat"] == 4
    assert isinstance(nb["metadata"], dict)
    code = []
    for cell in nb["cells"]:
        assert cell["cell_type"] in {"markdown", "code", "raw"}
        assert isinstance(cell["source"], list)
        assert "id" in cell
        if cell["cell_type"] == "code":
            assert cell["outputs"] == []
            assert "execution_count" in cell
            source = "".join(cell["source"])
            compile(source, f"{NOTEBOOK.name} cell {cell['id']}", "exec")
            code.append(source)
    text = "\n".join(code)
    assert "models_frame(" in text
    assert "View.from_file(" in text
    assert "models=" in text
