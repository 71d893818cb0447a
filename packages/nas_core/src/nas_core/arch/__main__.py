"""``python -m nas_core.arch [PATH]``: write the architecture JSON Schema (by default
to the committed ``nas_core/schema/architecture.schema.json``)."""

import sys
from pathlib import Path

from .schema import SCHEMA_PATH, schema_text


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else SCHEMA_PATH
    path.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
