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
    schema = msgspec.json.schema(Architecture)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "REMAP architecture",
        **schema,
    }


def schema_text() -> str:
    """The schema as the committed file holds it (2-space indent, sorted keys)."""
    return json.dumps(architecture_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
