"""The HTTP routes of trained models: the list of a session's models, a model's export
in one of four formats, and the weights files remote workers send in (scale-out).

- ``GET /api/sessions/{session}/models``: `ModelListed` rows (weights present or not).
- ``GET /api/sessions/{session}/models/{model}/export?format=FMT``: the exported model;
  ``state_dict`` and ``python`` are two files (weights + sidecar, source + weights), sent
  as one ``.zip``; ``torchscript`` a ``.pt``; ``onnx`` an ``.onnx`` checked with
  onnxruntime (422 when it would predict otherwise than torch).
- ``PUT /api/weights/{digest}`` (``application/octet-stream``) and ``GET`` of the same:
  for ``remap worker`` processes only, with ``Authorization: Bearer <worker token>``
  (``remap serve --worker-token``, or REMAP_WORKER_TOKEN). A PUT is checked against its
  digest and stored once (201; 200 when the server had it); the server stays the one
  writer of its data folder.
"""

from __future__ import annotations

import hmac
import io
import tempfile
import zipfile
from pathlib import Path

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from nas_core.data import load_dataset
from nas_core.export import FORMATS, SUFFIXES, ExportError
from nas_core.weights import WeightsError, is_digest

from .errors import ApiError, BodyTooLarge
from .models_table import model_rows
from .security import read_body

__all__ = [
    "WEIGHTS_BYTES",
    "WeightsStored",
    "export_model_file",
    "get_weights",
    "list_models",
    "put_weights",
]

WEIGHTS_BYTES = 512 << 20  # a weights upload's cap
_encode = msgspec.json.Encoder().encode


class WeightsStored(msgspec.Struct):
    """The answer to a weights upload: the file's digest and size, and whether this
    upload wrote it (false: the server had it already)."""

    digest: str
    size: int
    created: bool


def _json(value, status: int = 200) -> Response:
    return Response(_encode(value), status, media_type="application/json")


async def list_models(request: Request) -> Response:
    hub = request.app.state.hub
    session = hub.session_id(request)
    state = await run_in_threadpool(hub.service.state, session)
    return _json(model_rows(state, hub.service.weights))


def _export(hub, session: str, model: str, fmt: str) -> tuple[bytes, str, str]:
    """The export's bytes, file name and media type."""
    from nas_core.export import export_model, exported_files

    state = hub.service.state(session)
    store = hub.service.weights
    if model not in state.models:
        raise ApiError(404, f"no model {model!r} in session {session}")
    if store is None:
        raise ApiError(422, "this server keeps no weights (it has no data folder)")
    with tempfile.TemporaryDirectory(prefix="remap-export-") as folder:
        out = Path(folder) / f"{model}{SUFFIXES[fmt]}"
        try:
            export_model(
                state, model, fmt, out, store=store,
                dataset=lambda: load_dataset(state.data, root=hub.data_dir),
            )  # fmt: skip
        except ExportError as exc:
            raise ApiError(422, str(exc), "?format" if fmt not in FORMATS else None) from exc
        files = exported_files(fmt, out)
        if len(files) == 1:
            media = "application/octet-stream"
            return out.read_bytes(), out.name, media
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.name)
        return buffer.getvalue(), f"{model}-{fmt}.zip", "application/zip"


async def export_model_file(request: Request) -> Response:
    hub = request.app.state.hub
    session = hub.session_id(request)
    fmt = request.query_params.get("format", "onnx")
    if fmt not in FORMATS:
        raise ApiError(
            400, f"?format must be one of {', '.join(FORMATS)}, not {fmt[:40]!r}", "?format"
        )
    model = request.path_params["model"]
    data, name, media = await run_in_threadpool(_export, hub, session, model, fmt)
    return Response(
        data, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


def _check_worker(request: Request) -> None:
    expected = getattr(request.app.state, "worker_token", None)
    if not expected:
        raise ApiError(
            403, "this server takes no weights from workers: start it with --worker-token"
        )
    auth = request.headers.get("authorization", "")
    given = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "missing or wrong worker token: send Authorization: Bearer <token>")


def _digest(request: Request) -> str:
    digest = request.path_params["digest"]
    if not is_digest(digest):
        raise ApiError(400, "the digest must be 64 lowercase hex digits (SHA-256)", "digest")
    return digest


async def put_weights(request: Request) -> Response:
    _check_worker(request)
    hub = request.app.state.hub
    digest = _digest(request)
    store = hub.service.weights
    if store is None:
        raise ApiError(422, "this server keeps no weights (it has no data folder)")
    try:
        data = await read_body(request, WEIGHTS_BYTES)
    except BodyTooLarge as exc:
        raise ApiError(413, str(exc)) from exc
    had = store.has(digest)

    def put():
        return store.put(data, digest)

    try:
        stored = await run_in_threadpool(put)
    except WeightsError as exc:
        raise ApiError(422, str(exc)) from exc
    return _json(WeightsStored(stored.digest, stored.size, not had), 200 if had else 201)


async def get_weights(request: Request) -> Response:
    _check_worker(request)
    hub = request.app.state.hub
    digest = _digest(request)
    store = hub.service.weights
    if store is None or not store.has(digest):
        raise ApiError(404, f"no weights {digest[:12]}… on this server")
    try:
        data = await run_in_threadpool(store.read, digest)
    except WeightsError as exc:
        raise ApiError(404, str(exc)) from exc
    return Response(data, media_type="application/octet-stream")
