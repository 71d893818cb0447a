"""The JSON Schema of the architecture JSON, generated from the structs.

The committed copy is ``nas_core/schema/architecture.schema.json``; a test fails when
it is out of date. Regenerate it with::

    python -m nas_core.arch
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from .layers import Architecture

__all__ = ["SCHEMA_PATH", "architecture_schema", "schema_text"]

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "architecture.schema.json"


def architecture_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of an architecture, from `Architecture`."""
    schema = _one_line_descriptions(msgspec.json.schema(Architecture))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "REMAP architecture",
        **schema,
    }


def _one_line_descriptions(node: Any) -> Any:
    """Each docstring-made description as one line of single spaces: the text then does
    not depend on how a msgspec release dedents docstrings (0.23 changed it)."""
    if isinstance(node, dict):
        return {
            k: " ".join(v.split())
            if k == "description" and isinstance(v, str)
            else _one_line_descriptions(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_one_line_descriptions(v) for v in node]
    return node


def schema_text() -> str:
    """The schema as the committed file holds it (2-space indent, sorted keys)."""
    return json.dumps(architecture_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
