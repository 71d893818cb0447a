"""Weights between a remote ``remap worker`` and the server (scale-out).

The server stays the one writer of the data folder: a worker trains into a store of its
own (a cache folder), then sends each new file with ``PUT /api/weights/{digest}``
(``Authorization: Bearer <worker token>``); the server checks the digest and stores it
once (a repeat is a no-op). A model that continues another's training needs the
parent's file: the worker fetches it with ``GET /api/weights/{digest}``.

`RemoteWeights` wraps the worker's trainer (`TrainerPool`): it points every job at the
local store, fetches a job's initial weights before it trains and uploads the trained
weights before the result is reported, so "training finished" is recorded after its
file is on the server. An upload that fails after `RETRIES` tries is logged and the
result reported anyway: the model then shows "weights missing" and can be retrained.
Without a server (no `client`) a worker keeps no weights: it never writes into the
server's data folder, even on the same host.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import msgspec

from .errors import WeightsError
from .store import WeightStore, digest_of

__all__ = ["RETRIES", "RemoteWeights", "WeightClient"]

RETRIES = 4
TIMEOUT_S = 60.0

log = logging.getLogger(__name__)


class WeightClient:
    """``PUT`` / ``GET /api/weights/{digest}`` on the server at `server` (``http://host:port``)
    with the worker `token`."""

    def __init__(self, server: str, token: str, *, timeout_s: float = TIMEOUT_S) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    def _request(self, method: str, digest: str, data: bytes | None = None) -> bytes:
        request = urllib.request.Request(
            f"{self.server}/api/weights/{digest}",
            data=data,
            method=method,
            headers={
                "authorization": f"Bearer {self.token}",
                **({"content-type": "application/octet-stream"} if data is not None else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                return answer.read()
        except urllib.error.HTTPError as exc:
            try:
                why = msgspec.json.decode(exc.read()).get("error", "")
            except Exception:
                why = ""
            raise WeightsError(
                f"{method} weights {digest[:12]}… to {self.server}: HTTP {exc.code}"
                + (f": {why}" if why else "")
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise WeightsError(
                f"{method} weights {digest[:12]}… to {self.server}: {reason}"
            ) from None

    def upload(self, data: bytes) -> str:
        """Send `data` to the server (idempotent); returns its digest."""
        digest = digest_of(data)
        self._request("PUT", digest, data)
        return digest

    def download(self, digest: str) -> bytes:
        """The bytes of `digest` from the server, checked."""
        data = self._request("GET", digest)
        if digest_of(data) != digest:
            raise WeightsError(f"weights {digest[:12]}… from {self.server} arrived damaged")
        return data


def _patiently(what: str, step: Callable[[], object], retries: int = RETRIES):
    for k in range(retries):
        try:
            return step()
        except WeightsError as error:
            if k == retries - 1:
                raise
            log.warning("%s failed (%s); trying again", what, error)
            time.sleep(min(0.5 * 2**k, 5.0))
    return None


class RemoteWeights:
    """A `Runner` (see `nas_core.service.actors`) around `runner` for a worker on
    another host: jobs train into `store` (the worker's own folder), their initial
    weights fetched from and their trained weights sent to the server by `client`."""

    def __init__(self, runner, store: WeightStore | None, client: WeightClient | None) -> None:
        self.runner = runner
        self.store = store
        self.client = client

    def run(self, job, *, on_epoch=None, should_stop=None):
        if self.client is None or self.store is None:  # no server to send them to
            if job.init_weights is not None:  # recorded "training failed" by the actor
                raise WeightsError(
                    f"model {job.model_id} continues from weights this worker cannot fetch: "
                    "start remap worker with --server and --worker-token"
                )
            job = msgspec.structs.replace(job, weights_dir=None)
            return self.runner.run(job, on_epoch=on_epoch, should_stop=should_stop)
        job = msgspec.structs.replace(job, weights_dir=str(self.store.root))
        initial = job.init_weights
        if initial is not None and not self.store.has(initial):
            data = _patiently(
                f"fetching weights {initial[:12]}…", lambda: self.client.download(initial)
            )
            self.store.put(data, initial)
        result = self.runner.run(job, on_epoch=on_epoch, should_stop=should_stop)
        if result.weights is not None:
            digest = result.weights.digest
            try:
                data = self.store.read(digest)
                _patiently(f"uploading weights {digest[:12]}…", lambda: self.client.upload(data))
            except WeightsError as error:
                log.error("model %s: its weights did not reach the server: %s", job.model_id, error)
        return result
