"""A progress bar (on standard error) over a session's trainings."""

from __future__ import annotations

import sys
import threading

from tqdm import tqdm

from nas_core.service import Progress, SessionService

__all__ = ["ProgressBar"]


class ProgressBar:
    """Shows `service.progress(session)` as a tqdm bar of models ended. `update` takes
    a `Progress` (the ``on_progress`` of ``wait_idle``); `watch` polls it from a
    background thread (while a server runs) until `close`."""

    def __init__(self, service: SessionService, session: str, *, enabled: bool = True) -> None:
        self.service = service
        self.session = session
        self._bar = tqdm(
            total=0, unit="model", desc="training", file=sys.stderr, disable=not enabled,
            dynamic_ncols=True, mininterval=0.2,
        )  # fmt: skip
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: Progress | None = None

    def update(self, p: Progress) -> None:
        if p == self._last:
            return
        self._last = p
        bar = self._bar
        if bar.total != p.total:
            bar.total = p.total
        bar.n = p.ended
        bar.set_postfix(running=p.running, embedded=p.embedded, refresh=False)
        bar.refresh()

    def watch(self, interval_s: float = 0.25) -> None:
        def run() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.update(self.service.progress(self.session))
                except Exception:  # the service is closing: the bar just stops
                    return

        self._thread = threading.Thread(target=run, name="remap-progress", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._bar.close()
