"""Shared test setup of nas_core.

The directory of the tests is put on ``sys.path`` so that test modules can import the
helpers beside them (``nas_core_strategies``: hypothesis strategies of architectures;
the names are prefixed so they cannot clash with another package's test helpers).
"""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
