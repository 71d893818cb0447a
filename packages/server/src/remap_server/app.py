"""The Starlette application: the HTTP API over a `SessionService`, live events over
SSE, the SNAC renderer, and the static UI (see `create_app`).

Every 4xx answer is an `ErrorBody` (``{"error", "path", "line"}``). A command is decoded
and decided before anything is written, and its events are appended in one transaction,
so a rejected request changes nothing in the store. Before any handler, `BrowserGuard`
refuses requests a web page could send behind the user's back (see
`remap_server.security`).
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
from pathlib import Path
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import snacs
from nas_core.errors import NasCoreError
from nas_core.events import (
    Command,
    CommandError,
    ConcurrencyError,
    CreateSession,
    Envelope,
    ImportResult,
    SessionFileError,
    SessionState,
    StoreError,
    UnsafeSessionFile,
    decode_command,
    export_session,
    import_session,
    load_state,
)
from nas_core.export import FORMATS
from nas_core.service import SessionService, SessionSetAside
from nas_core.specs import InputError, check_session_id
from nas_core.weights import DIGEST

from .api import (
    SESSION_PARAM,
    ClassExamples,
    CommandAccepted,
    Content,
    CreateSessionBody,
    Endpoint,
    ErrorBody,
    SessionCreatedBody,
    SessionListed,
    openapi,
    path_param,
    query_param,
)
from .body import checked_body as _body
from .compare_api import COMPARE_MAX, ModelsAligned, compare_models  # issue 22: N-way compare
from .data_api import PER_CLASS_DEFAULT, PER_CLASS_MAX, SPLITS, class_examples, example_png
from .diff_api import DiffBody, model_diff, render_diff
from .errors import ApiError, BodyTooLarge, status_of
from .figure_api import figure, models_csv, models_parquet  # issue 22: take it out
from .figures import FORMATS as FIGURE_FORMATS
from .figures import PROJECTIONS
from .figures import VIEWS as FIGURE_VIEWS
from .model_api import WeightsStored, export_model_file, get_weights, list_models, put_weights
from .models_table import ModelListed
from .notes_api import NotesListed, list_notes  # issue 22: notes and tags
from .oneshot_api import TemplateList, list_templates
from .paths import PathError, check_data_spec
from .search_api import SEARCH_TYPES, SearchImported, SearchLine, import_search_file  # issue 20
from .security import (
    SESSION_FILE_TYPES,
    BrowserGuard,
    TokenMiddleware,
    normalize_origin,
    read_body,
)
from .sse import event_stream, parse_resume
from .state_pack import ModelRecord, OverviewState, model_state, overview_state  # issue 20

__all__ = ["ENDPOINTS", "STATIC_DIR", "Limits", "create_app"]

STATIC_DIR = Path(__file__).parent / "static"
_COMMAND_ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,128}$"
_COMMAND_ID = re.compile(_COMMAND_ID_PATTERN)
_encode = msgspec.json.Encoder().encode
_decode_create = msgspec.json.Decoder(CreateSessionBody).decode


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """Body size caps (bytes) and SSE pacing: `heartbeat_s` of silence before a
    keep-alive comment; `sse_batch` events at most per chunk."""

    command_bytes: int = 1 << 20
    render_bytes: int = 1 << 20
    import_bytes: int = 256 << 20
    heartbeat_s: float = 15.0
    sse_batch: int = 1000


def _json(value: Any, status: int = 200) -> Response:
    return Response(_encode(value), status, media_type="application/json")


def _decode_error(exc: msgspec.DecodeError) -> ApiError:
    reason, path = snacs.explain_decode_error(exc)  # REMAP's words, never msgspec's
    return ApiError(400, reason, path)


class Hub:
    """What the handlers share: the service, its store, the limits, a lock that makes
    an import's checks and its write one step, and the flag that ends every event
    stream when the server shuts down. (A retried command is the service's to answer.)"""

    def __init__(self, service: SessionService, limits: Limits) -> None:
        self.service = service
        self.store = service.store
        self.data_dir = service.data_root
        self.limits = limits
        self.lock = threading.Lock()
        self.closing = False

    # --- helpers --------------------------------------------------------------------

    def session_id(self, request: Request) -> str:
        session = request.path_params["session"]
        if not _is_session_id(session) or self.store.session(session) is None:
            raise ApiError(404, f"no session {session!r} in this store", None)
        return session

    def execute(self, session: str, command) -> CommandAccepted:
        try:
            outcome = self.service.execute(session, command)
        except CommandError as exc:  # 404 UnknownSession, 409 SessionExists, else 422
            raise ApiError(status_of(exc), exc.reason, exc.path) from exc
        except (StoreError, SessionSetAside):
            raise  # not the command's fault: a 503 (_store_error), a 409 (_set_aside)
        except NasCoreError as exc:
            raise ApiError(status_of(exc), str(exc), "$") from exc
        first, last = (None, None) if outcome.seqs is None else outcome.seqs
        return CommandAccepted(first, last, outcome.skipped, replayed=outcome.retried is not None)

    def create(self, body: CreateSessionBody) -> SessionCreatedBody:
        try:  # a retry (same session and id) is a no-op that answers the same
            session = self.service.create_session(
                body.name, body.data, body.settings, session=body.session, command_id=body.id
            )
        except CommandError as exc:  # 409 SessionExists, else 422
            raise ApiError(status_of(exc), exc.reason, exc.path) from exc
        except (StoreError, SessionSetAside):
            raise  # not the command's fault: a 503 (_store_error), a 409 (_set_aside)
        except NasCoreError as exc:
            raise ApiError(status_of(exc), str(exc), "$.data") from exc
        if body.sample:
            try:
                self.service.start(session, body.sample, seed=body.seed)
            except CommandError as exc:
                raise ApiError(422, exc.reason, "$.sample") from exc
        return SessionCreatedBody(session, self.store.last_seq(session))


def _hub(request: Request) -> Hub:
    return request.app.state.hub


def _is_session_id(session: str) -> bool:
    try:
        check_session_id(session)
    except InputError:
        return False
    return True


def _too_deep(exc: RecursionError, line: bool = False) -> ApiError:
    """msgspec refuses JSON nested past its depth limit with a RecursionError."""
    return ApiError(400, "the JSON nests too deeply to read", None if line else "$")


# --- sessions and commands ---------------------------------------------------------------


async def list_sessions(request: Request) -> Response:
    hub = _hub(request)
    aside = hub.service.set_aside()
    listed = [
        SessionListed(**msgspec.structs.asdict(s), set_aside=aside.get(s.id))
        for s in hub.store.sessions()
    ]
    return _json(listed)


async def create_session(request: Request) -> Response:
    hub = _hub(request)
    data = await _body(request, hub.limits.command_bytes)
    try:
        body = _decode_create(data)
    except msgspec.DecodeError as exc:
        raise _decode_error(exc) from exc
    except RecursionError as exc:
        raise _too_deep(exc) from exc
    twice = snacs.duplicate_key_problem(data)
    if twice is not None:
        raise ApiError(400, twice.reason, twice.path)
    try:
        if body.session is not None:  # the schema's pattern lets a trailing newline by
            check_session_id(body.session)
        check_data_spec(body.data, hub.data_dir)
    except InputError as exc:
        raise ApiError(422, exc.reason, exc.path) from exc
    return _json(await run_in_threadpool(hub.create, body), 201)


async def post_command(request: Request) -> Response:
    hub = _hub(request)
    session = request.path_params["session"]
    if not _is_session_id(session):
        raise ApiError(404, f"no session {session!r} in this store")
    data = await _body(request, hub.limits.command_bytes)
    try:
        command = decode_command(data)
    except CommandError as exc:
        raise ApiError(400, exc.reason, exc.path) from exc
    except RecursionError as exc:
        raise _too_deep(exc) from exc
    key = request.headers.get("idempotency-key")
    if key is not None:
        if not _COMMAND_ID.match(key):
            raise ApiError(400, "the Idempotency-Key header must match ^[A-Za-z0-9_.-]{1,128}$")
        if command.id is None:
            command = msgspec.structs.replace(command, id=key)
        elif command.id != key:
            raise ApiError(400, "the command's id differs from its Idempotency-Key header", "$.id")
    if isinstance(command, CreateSession):
        try:
            check_data_spec(command.data, hub.data_dir)
        except PathError as exc:
            raise ApiError(422, exc.reason, exc.path) from exc
    elif hub.store.session(session) is None:
        raise ApiError(404, f"no session {session!r} in this store")
    return _json(await run_in_threadpool(hub.execute, session, command), 202)


def _int_param(request: Request, name: str) -> int | None:
    text = request.query_params.get(name)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 18:  # "²".isdigit() too
        raise ApiError(400, f"?{name} must be a non-negative integer, not {text!r}", f"?{name}")
    return int(text)


async def events(request: Request) -> Response:
    hub = _hub(request)
    session = hub.session_id(request)
    try:
        after = parse_resume(
            request.headers.get("last-event-id"), request.query_params.get("after")
        )
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
    until = _int_param(request, "until")
    loop_time = asyncio.get_running_loop().time
    stream = event_stream(
        hub.store, session, after, heartbeat_s=hub.limits.heartbeat_s, batch=hub.limits.sse_batch,
        closing=lambda: hub.closing, clock=loop_time, until=until,
    )  # fmt: skip
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


async def state(request: Request) -> Response:
    hub = _hub(request)
    session = hub.session_id(request)
    at = _int_param(request, "at")
    if at is None:  # issue 20: the service's fold (snapshot + tail), not a replay from seq 1
        try:
            return _json(await run_in_threadpool(hub.service.state, session))
        except SessionSetAside:
            pass  # its log does not restore, yet it may still fold: as before
    folded = await run_in_threadpool(load_state, hub.store, session, upto=at)
    return _json(folded)


async def export(request: Request) -> Response:
    hub = _hub(request)
    session = hub.session_id(request)
    buffer = io.BytesIO()
    try:
        await run_in_threadpool(export_session, hub.store, session, buffer)
    except StoreError as exc:
        raise ApiError(404, str(exc)) from exc
    return Response(
        buffer.getvalue(),
        media_type="application/x-ndjson",
        headers={"content-disposition": f'attachment; filename="{session}.remap.jsonl"'},
    )


ZIP_MAGIC = b"PK\x03\x04"


async def import_file(request: Request) -> Response:
    hub = _hub(request)
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/zip":
        return await _import_archive(request, hub)
    data = await _body(request, hub.limits.import_bytes, lines=True)

    def run():
        with hub.lock:  # validated whole (its session id and data path too) before writing
            return import_session(hub.store, data, data_root=hub.data_dir)

    try:
        result = await run_in_threadpool(run)
    except UnsafeSessionFile as exc:
        raise ApiError(422, exc.reason, exc.path, exc.line) from exc
    except SessionFileError as exc:
        raise ApiError(400, exc.reason, None, exc.line) from exc
    except RecursionError as exc:
        raise _too_deep(exc, line=True) from exc
    return _json(result)


async def _import_archive(request: Request, hub) -> Response:
    """A ``.zip`` of ``remap export --with-weights``: checked whole, then imported with its
    weights (the server stays their only writer)."""
    from nas_core.weights import WeightsError, import_archive

    try:
        data = await read_body(request, hub.limits.import_bytes)
    except BodyTooLarge as exc:
        raise ApiError(413, str(exc), None) from exc
    if not data.startswith(ZIP_MAGIC):
        raise ApiError(400, "the body is not a .zip archive (Content-Type says application/zip)")

    def run():
        with hub.lock:
            return import_archive(
                hub.store, io.BytesIO(data), data_root=hub.data_dir,
                max_bytes=hub.limits.import_bytes,
            )  # fmt: skip

    try:
        result, _stored = await run_in_threadpool(run)
    except WeightsError as exc:
        raise ApiError(422, str(exc).removeprefix("<archive>: ")) from exc
    except UnsafeSessionFile as exc:
        raise ApiError(422, exc.reason, exc.path, exc.line) from exc
    except SessionFileError as exc:
        raise ApiError(400, f"the archive's session file: {exc.reason}", None, exc.line) from exc
    return _json(result)


# --- SNACs ----------------------------------------------------------------------------


RENDER_SIZES = {"height": (4, 4096), "width": (4, 100_000)}  # as snacs.render accepts


def _render_options(request: Request) -> dict[str, Any]:
    q = request.query_params
    options: dict[str, Any] = {"layout": q.get("layout", "fixed")}
    for name, (low, high) in RENDER_SIZES.items():
        if name in q:
            try:
                value = float(q[name])
            except ValueError:
                raise ApiError(400, f"?{name} is not a number: {q[name]!r}", f"?{name}") from None
            if not low <= value <= high:  # snacs' own bounds, named here with their path
                raise ApiError(
                    400, f"?{name} must be from {low} to {high} pixels, not {q[name]}", f"?{name}"
                )
            options[name] = value
    if "fold" in q:
        if q["fold"] not in ("true", "false", "1", "0"):
            raise ApiError(400, f"?fold must be true or false, not {q['fold']!r}", "?fold")
        options["fold"] = q["fold"] in ("true", "1")
    return options


def _svg(spec: Any, options: dict[str, Any]) -> Response:
    try:
        decoded = snacs.decode(spec)
        snacs.infer(decoded)  # as the CLI does: a spec whose shapes do not work is an error
        svg = snacs.render(decoded, **options)
    except snacs.SpecError as exc:
        raise ApiError(400, str(exc), exc.path or "$") from exc
    except snacs.SnacsError as exc:
        raise ApiError(400, str(exc), "$") from exc
    except RecursionError as exc:
        raise _too_deep(exc) from exc
    return Response(svg, media_type="image/svg+xml")


async def render(request: Request) -> Response:
    hub = _hub(request)
    options = _render_options(request)
    data = await _body(request, hub.limits.render_bytes)
    return await run_in_threadpool(_svg, data, options)


async def model_snac(request: Request) -> Response:
    hub = _hub(request)
    session = hub.session_id(request)
    options = _render_options(request)
    folded = await run_in_threadpool(hub.service.state, session)  # kept folded: no replay
    model = folded.models.get(request.path_params["model"])
    if model is None:
        raise ApiError(404, f"no model {request.path_params['model']!r} in session {session}")
    spec = msgspec.to_builtins(model.arch)
    if model.result is not None:
        spec["accuracy"] = model.result.test_acc
    return await run_in_threadpool(_svg, spec, options)


# --- the route table -------------------------------------------------------------------------

_ERRORS = (400, 401, 403, 404, 413, 422)
_WRITE_ERRORS = (*_ERRORS, 415, 503)  # a body of the wrong type; a store that cannot write
WEIGHTS_TYPES = ("application/octet-stream",)
_SVG = Content("an SVG chip", {"type": "string"}, "image/svg+xml")
_INDEX = {"type": "integer", "minimum": 0}

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET", "/api/sessions", list_sessions, "listSessions",
        "Every session in the store, oldest first",
        {200: Content("the sessions", list[SessionListed])}, errors=(401,),
    ),
    Endpoint(
        "POST", "/api/sessions", create_session, "createSession",
        "Create a session (and optionally sample its first models)",
        {201: Content("created", SessionCreatedBody)}, errors=_WRITE_ERRORS,
        body=Content("", CreateSessionBody),
    ),
    Endpoint(
        "POST", "/api/sessions/{session}/commands", post_command, "postCommand",
        "Apply one command; the response holds the seqs it appended",
        {202: Content("applied", CommandAccepted)}, errors=_WRITE_ERRORS,
        parameters=(
            SESSION_PARAM,
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "pattern": _COMMAND_ID_PATTERN},
                "description": "the command's id if the body has none: a retry is harmless",
            },
        ),
        body=Content("", Command),
    ),
    Endpoint(
        "GET", "/api/sessions/{session}/events", events, "streamEvents",
        "Server-sent events: id = seq, event = kind, data = the envelope",
        {
            200: Content(
                "an endless event stream; each data line is an Envelope",
                Envelope,
                "text/event-stream",
            )
        },
        errors=(400, 401, 404),
        parameters=(
            SESSION_PARAM,
            query_param("after", _INDEX),
            {"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}},
            query_param("until", _INDEX, "end the stream once the event with this seq is sent"),
        ),
    ),
    Endpoint(
        "GET", "/api/sessions/{session}/state", state, "getState",
        "The folded state of the session (at ?at=SEQ when given)",
        {200: Content("the state", SessionState)}, errors=_ERRORS,
        parameters=(SESSION_PARAM, query_param("at", _INDEX)),
    ),
    Endpoint(  # issue 20: the lean first payload of a big session (remap_server.state_pack)
        "GET", "/api/sessions/{session}/state/overview", overview_state, "getOverviewState",
        "The folded state with its models packed by column (what the overview draws); "
        "the models not finished and the drawer's whole",
        {200: Content("the packed state", OverviewState)}, errors=_ERRORS,
        parameters=(SESSION_PARAM,),
    ),
    Endpoint(  # issue 20
        "GET", "/api/sessions/{session}/models/{model}/state", model_state, "getModelState",
        "One model's whole record in the session's current state, and that state's seq",
        {200: Content("the model", ModelRecord)}, errors=_ERRORS,
        parameters=(SESSION_PARAM, path_param("model", {"type": "string"})),
    ),
    Endpoint(
        "GET", "/api/sessions/{session}/export", export, "exportSession",
        "The session as a .remap.jsonl file",
        {200: Content("the session file", {"type": "string"}, "application/x-ndjson")},
        errors=(401, 404), parameters=(SESSION_PARAM,),
    ),
    Endpoint(
        "GET", "/api/sessions/{session}/models/{model}/snac.svg", model_snac, "modelSnac",
        "A model's SNAC",
        {200: _SVG}, errors=_ERRORS,
        parameters=(SESSION_PARAM, path_param("model", {"type": "string"})),
    ),
    Endpoint(  # issue 22: the chip diff
        "GET", "/api/sessions/{session}/models/{model}/diff/{other}.svg", model_diff,
        "modelDiff", "Two models' SNACs, the second's added, removed and changed layers "
        "marked, with the changes in words",
        {200: _SVG}, errors=_ERRORS,
        parameters=(
            SESSION_PARAM,
            path_param("model", {"type": "string"}),
            path_param("other", {"type": "string"}),
            query_param("layout", {"enum": list(snacs.LAYOUTS)}),
            query_param("height", {"type": "number", "minimum": 4, "maximum": 4096}),
            query_param("words", {"type": "boolean"}, "false: no list of changes"),
        ),
    ),
    Endpoint(
        "GET", "/api/sessions/{session}/data/classes", class_examples, "classExamples",
        "The class names, example training images of each class, and the label of every "
        "test example",
        {200: Content("the classes and their examples", ClassExamples)}, errors=_ERRORS,
        parameters=(
            SESSION_PARAM,
            query_param(
                "per_class",
                {"type": "integer", "minimum": 0, "maximum": PER_CLASS_MAX},
                f"examples per class (default {PER_CLASS_DEFAULT})",
            ),
        ),
    ),
    Endpoint(
        "GET", "/api/sessions/{session}/data/{split}/{index}.png", example_png, "exampleImage",
        "One example of the session's data set as a PNG, upscaled (nearest neighbour) to at "
        "least 32 pixels a side",
        {
            200: Content("the image (grey or RGB)", {"type": "string"}, "image/png"),
            304: Content("not modified (If-None-Match)"),
        },
        errors=_ERRORS,
        parameters=(
            SESSION_PARAM,
            path_param("split", {"enum": list(SPLITS)}),
            path_param("index", _INDEX),
        ),
    ),
    Endpoint(
        "POST", "/api/import", import_file, "importSession",
        "Import a .remap.jsonl file (events the store holds are skipped), or with"
        " Content-Type application/zip the archive of `remap export --with-weights`",
        {200: Content("imported", ImportResult)}, errors=_WRITE_ERRORS,
        body=Content("", {"type": "string"}, "application/x-ndjson"),
    ),
    Endpoint(
        "POST", "/api/snacs/render", render, "renderSnac",
        "Render an architecture (REMAP or Keras JSON) as a SNAC",
        {200: _SVG}, errors=(400, 401, 403, 413, 415),
        parameters=(
            query_param("layout", {"enum": list(snacs.LAYOUTS)}),
            *(
                query_param(name, {"type": "number", "minimum": low, "maximum": high})
                for name, (low, high) in RENDER_SIZES.items()
            ),
            query_param("fold", {"type": "boolean"}),
        ),
        body=Content("", snacs.Spec),
    ),
    # --- trained models: list, export, the workers' weights (remap_server.model_api) ---
    Endpoint(
        "GET", "/api/sessions/{session}/models", list_models, "listModels",
        "The session's models: status, origin, parameters, test accuracy, weights kept",
        {200: Content("the models", list[ModelListed])}, errors=_ERRORS,
        parameters=(SESSION_PARAM,),
    ),
    Endpoint(
        "GET", "/api/sessions/{session}/models/{model}/export", export_model_file, "exportModel",
        "A trained model as state_dict (.zip: .pt + .json sidecar), torchscript (.pt), onnx "
        "(checked with onnxruntime) or python (.zip: .py + .pt)",
        {200: Content("the exported model", {"type": "string"}, "application/octet-stream")},
        errors=_ERRORS,
        parameters=(
            SESSION_PARAM,
            path_param("model", {"type": "string"}),
            query_param("format", {"enum": list(FORMATS)}, "the export format (onnx)"),
        ),
    ),
    Endpoint(
        "PUT", "/api/weights/{digest}", put_weights, "putWeights",
        "A remote worker sends a trained model's weights file (worker token; checked "
        "against its SHA-256, stored once)",
        {
            200: Content("the server had it already", WeightsStored),
            201: Content("stored", WeightsStored),
        },
        errors=(400, 401, 403, 413, 415, 422),
        parameters=(path_param("digest", {"type": "string", "pattern": DIGEST}),),
        body=Content("", {"type": "string"}, "application/octet-stream"),
    ),
    Endpoint(  # issue 22: the SNAC tool page's diff of any two architectures
        "POST", "/api/snacs/diff", render_diff, "diffSnacs",
        "Two architectures' SNACs (REMAP or Keras JSON), the second's added, removed and "
        "changed layers marked, with the changes in words",
        {200: _SVG}, errors=(400, 401, 403, 413, 415),
        parameters=(
            query_param("layout", {"enum": list(snacs.LAYOUTS)}),
            query_param("height", {"type": "number", "minimum": 4, "maximum": 4096}),
            query_param("words", {"type": "boolean"}, "false: no list of changes"),
        ),
        body=Content("", DiffBody),
    ),
    Endpoint(
        "GET", "/api/weights/{digest}", get_weights, "getWeights",
        "A weights file, for a remote worker that continues a model's training (worker token)",
        {200: Content("the file", {"type": "string"}, "application/octet-stream")},
        errors=(400, 401, 403, 404),
        parameters=(path_param("digest", {"type": "string", "pattern": DIGEST}),),
    ),
    Endpoint(  # issue 20: a search REMAP did not run (remap_server.search_api)
        "POST", "/api/sessions/{session}/searches", import_search_file, "importSearch",
        "Import a search REMAP did not run: a remap-search JSON-lines file (its line schema"
        " is x-remap-line: SearchHeader, then SearchModel); checked whole, nothing written"
        " if a line is bad",
        {201: Content("imported", SearchImported)}, errors=_WRITE_ERRORS,
        parameters=(SESSION_PARAM,),
        body=Content("", {"type": "string"}, "application/x-ndjson", SearchLine),
    ),
    Endpoint(  # issue 18
        "GET", "/api/oneshot/templates", list_templates, "listOneShotTemplates",
        "The bundled supernet templates of the one-shot search",
        {200: Content("the templates", TemplateList)}, errors=(401,),
    ),
    # --- issue 22, take it out: figures and tables (remap_server.figure_api) ---
    Endpoint(
        "GET", "/api/sessions/{session}/figures/{view}.{format}", figure, "getFigure",
        "A view of the session as a print-ready figure: SVG, PDF (fonts embedded) or PNG",
        {200: Content("the figure", {"type": "string"}, "image/svg+xml")}, errors=_ERRORS,
        parameters=(
            SESSION_PARAM,
            path_param("view", {"enum": list(FIGURE_VIEWS)}),
            path_param("format", {"enum": list(FIGURE_FORMATS)}),
            query_param("projection", {"enum": list(PROJECTIONS)}, "the overview's projection"),
            query_param("models", {"type": "string"}, "comma-separated model ids"),
            query_param("dpi", {"type": "integer", "minimum": 24, "maximum": 1200},
                        "a PNG's resolution (96)"),
        ),
    ),
    Endpoint(
        "GET", "/api/sessions/{session}/models.csv", models_csv, "modelsCsv",
        "The session's models as CSV: the drawer's columns plus origin and parent",
        {200: Content("the table", {"type": "string"}, "text/csv")}, errors=_ERRORS,
        parameters=(SESSION_PARAM, query_param("models", {"type": "string"})),
    ),
    Endpoint(
        "GET", "/api/sessions/{session}/models.parquet", models_parquet, "modelsParquet",
        "The session's models as Parquet (the columns of models.csv, typed)",
        {200: Content("the table", {"type": "string"}, "application/vnd.apache.parquet")},
        errors=_ERRORS, parameters=(SESSION_PARAM, query_param("models", {"type": "string"})),
    ),
    # --- issue 22: notes and tags (remap_server.notes_api), the N-way compare ---
    Endpoint(
        "GET", "/api/sessions/{session}/notes", list_notes, "listNotes",
        "The notes and tags of the session and of its models (written by the commands "
        "write_note, remove_note and change_tags)",
        {200: Content("the notes and tags", NotesListed)}, errors=_ERRORS,
        parameters=(SESSION_PARAM,),
    ),
    Endpoint(
        "GET", "/api/sessions/{session}/compare", compare_models, "compareModels",
        f"2 to {COMPARE_MAX} models' layers aligned by layer on the first (REMAP's diff)",
        {200: Content("the aligned columns", ModelsAligned)}, errors=_ERRORS,
        parameters=(
            SESSION_PARAM,
            query_param("models", {"type": "string"}, "2 to 8 comma-separated model ids"),
        ),
    ),
)  # fmt: skip
"""The API: each route the app serves and what the OpenAPI document says of it."""


# --- the app ------------------------------------------------------------------------------


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _json(exc.body, exc.status)


async def _store_error(request: Request, exc: Exception) -> Response:
    """The store refused a write (disk full, read-only, I/O error): a 503 saying so,
    without the server's path; the store wrote nothing of the request."""
    assert isinstance(exc, StoreError)
    if isinstance(exc, ConcurrencyError):  # another process wrote first: try again
        return _json(ErrorBody(str(exc)), status_of(exc))
    reason = str(exc).removeprefix(f"{_hub(request).store.path}: ")
    return _json(ErrorBody(f"the event store {reason}"), status_of(exc))


async def _set_aside(request: Request, exc: Exception) -> Response:
    """A session whose log cannot be restored: set aside, the others are served."""
    assert isinstance(exc, SessionSetAside)
    return _json(ErrorBody(str(exc)), status_of(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _json(ErrorBody(str(exc.detail)), exc.status_code)


def _bundled(name: str, media_type: str):
    """A handler that answers with the bundled static file `name` (whatever
    `static_dir` is)."""
    path = STATIC_DIR / name

    async def handler(request: Request) -> Response:
        return FileResponse(path, media_type=media_type, headers={"cache-control": "max-age=86400"})

    return handler


def create_app(
    service: SessionService,
    *,
    host: str = "127.0.0.1",
    token: str | None = None,
    allow_origins: tuple[str, ...] | list[str] = (),
    static_dir: str | Path | None = None,
    limits: Limits | None = None,
    version: str = "0.1.0",
    worker_token: str | None = None,
) -> Starlette:
    """The REMAP app over `service` (whose store and data folder it uses).

    `host`: the address the server is bound to; bound to loopback, it answers only
    requests addressed to this machine (the Host check of `remap_server.security`).
    `token`: when set, every ``/api/`` request must carry it. `allow_origins`: the
    pages of other origins that may call the API (CORS, and the Origin check of
    state-changing requests; none: only the server's own pages). `static_dir`: the
    built UI (default: the plain pages bundled here), served at ``/`` with the SNAC
    tool at ``/snacs/``. ``app.state.hub.closing = True`` ends the event streams (the
    CLI sets it when the server is asked to stop). `worker_token`: what remote workers
    present to send weights files (``/api/weights/``; none: they may not). ValueError
    when an entry of `allow_origins` is not an origin.
    """
    origins = [normalize_origin(o) for o in allow_origins]
    hub = Hub(service, limits or Limits())
    spec = _encode(openapi(version, ENDPOINTS))

    async def openapi_json(request: Request) -> Response:
        return Response(spec, media_type="application/json")

    routes = [
        Route("/api/openapi.json", openapi_json, methods=["GET"]),
        *(Route(e.path, e.handler, methods=[e.method]) for e in ENDPOINTS),
        Route("/favicon.svg", _bundled("favicon.svg", "image/svg+xml"), methods=["GET"]),
        Route("/favicon.ico", _bundled("favicon.ico", "image/x-icon"), methods=["GET"]),
        Mount("/", StaticFiles(directory=static_dir or STATIC_DIR, html=True)),
    ]
    middleware = []
    if origins:  # outermost: a refusal below still tells an allowed page why
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "idempotency-key", "last-event-id"],
            )
        )
    middleware.append(
        Middleware(
            BrowserGuard,
            host=host,
            allow_origins=origins,
            body_types={
                "/api/import": (*SESSION_FILE_TYPES, "application/zip"),
                "/api/weights/": WEIGHTS_TYPES,
                "/api/sessions/*/searches": SEARCH_TYPES,
            },
        )
    )
    if token:
        middleware.append(Middleware(TokenMiddleware, token=token, exempt=("/api/weights/",)))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            StoreError: _store_error,
            SessionSetAside: _set_aside,
        },
    )
    app.state.hub = hub
    app.state.worker_token = worker_token or None
    return app
