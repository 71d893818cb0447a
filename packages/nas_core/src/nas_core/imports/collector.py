"""Pausing Python's cycle collector during a bulk import (issue 20).

Parsing and importing 100,000 models makes millions of objects and no garbage: every
collection meanwhile only rescans the growing heap (a third of an import's time, as
`nas_core.events.fold` found for a fold). `collector_paused` pauses it while any bulk
step runs, in any thread, and resumes it after the last if it ran before the first.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

_active = 0  # bulk steps running
_resume = False  # whether the collector ran when the first of them began
_lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the `with` block (see the module)."""
    global _active, _resume
    with _lock:
        if _active == 0:
            _resume = gc.isenabled()
            gc.disable()
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _resume:
                gc.enable()
