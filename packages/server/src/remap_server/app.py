"""The Starlette application: the HTTP API over a `SessionService`, live events over
SSE, the SNAC renderer, and the static UI (see `create_app`).

Every 4xx answer is an `ErrorBody` (``{"error", "path", "line"}``). A command is decoded
and decided before anything is written, and its events are appended in one transaction,
so a rejected request changes nothing in the store.
"""

from __future__ import annotations

import asyncio
import codecs
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
from starlette.responses import Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import snacs
from nas_core.errors import NasCoreError
from nas_core.events import (
    CommandError,
    ConcurrencyError,
    CreateSession,
    SessionCreated,
    SessionFileError,
    StoreError,
    decode_command,
    export_session,
    import_session,
    load_state,
    read_session_file,
)
from nas_core.service import SessionService

from .api import (
    SESSION_ID,
    CommandAccepted,
    CreateSessionBody,
    ErrorBody,
    SessionCreatedBody,
    openapi,
)
from .data_api import class_examples, example_png
from .paths import PathError, check_data_spec
from .security import BodyTooLarge, TokenMiddleware, read_body
from .sse import event_stream, parse_resume

__all__ = ["STATIC_DIR", "Limits", "create_app"]

STATIC_DIR = Path(__file__).parent / "static"
_SESSION = re.compile(SESSION_ID)
_COMMAND_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
_AT = re.compile(r"^(.*) - at `([^`]*)`$", re.S)
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


class ApiError(Exception):
    """An answer other than success, raised anywhere inside a handler."""

    def __init__(self, status: int, error: str, path: str | None = None, line: int | None = None):
        super().__init__(error)
        self.status = status
        self.body = ErrorBody(error, path, line)


def _json(value: Any, status: int = 200) -> Response:
    return Response(_encode(value), status, media_type="application/json")


def _decode_error(exc: msgspec.DecodeError) -> ApiError:
    match = _AT.match(str(exc))
    if match is None:
        kind = "" if isinstance(exc, msgspec.ValidationError) else "not valid JSON: "
        return ApiError(400, f"{kind}{exc}", "$")
    return ApiError(400, match.group(1), match.group(2))


def _command_status(exc: CommandError) -> int:
    if exc.path == "$.session" and exc.reason.startswith("no session"):
        return 404
    if "already been created" in exc.reason:
        return 409
    return 422


class Hub:
    """What the handlers share: the service, its store, the limits, a lock that makes
    "was this command applied already? else apply it" one step, and the flag that
    ends every event stream when the server shuts down."""

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
        if not _SESSION.match(session) or self.store.session(session) is None:
            raise ApiError(404, f"no session {session!r} in this store", None)
        return session

    def applied(self, session: str, command_id: str) -> CommandAccepted | None:
        """The seqs of a command whose id the session holds (a retry), else None."""
        first = self.store.find(session, f"{command_id}:0")
        if first is None:
            return None
        last = first.seq
        k = 1
        for e in self.store.read(session, after=first.seq, limit=10_000):
            if e.id != f"{command_id}:{k}":
                break
            last, k = e.seq, k + 1
        return CommandAccepted(first.seq, last, (), replayed=True)

    def execute(self, session: str, command) -> CommandAccepted:
        with self.lock:
            if command.id is not None:
                done = self.applied(session, command.id)
                if done is not None:
                    return done
            try:
                outcome = self.service.execute(session, command)
            except CommandError as exc:
                raise ApiError(_command_status(exc), exc.reason, exc.path) from exc
            except StoreError:
                raise  # the store failed, not the command: a 503 (_store_error)
            except NasCoreError as exc:
                raise ApiError(422, str(exc), "$") from exc
        seqs = outcome.seqs
        return CommandAccepted(
            None if seqs is None else seqs[0], None if seqs is None else seqs[1], outcome.skipped
        )

    def create(self, body: CreateSessionBody) -> SessionCreatedBody:
        with self.lock:
            session = body.session
            exists = session is not None and self.store.session(session) is not None
            replay = exists and body.id is not None and self.store.find(session, f"{body.id}:0")
            if not replay:
                try:
                    session = self.service.create_session(
                        body.name, body.data, body.settings, session=session,
                        command_id=body.id,
                    )  # fmt: skip
                except CommandError as exc:
                    raise ApiError(_command_status(exc), exc.reason, exc.path) from exc
                except StoreError:
                    raise  # the store failed, not the command: a 503 (_store_error)
                except NasCoreError as exc:
                    raise ApiError(422, str(exc), "$.data") from exc
            assert session is not None
            if body.sample:
                try:
                    self.service.start(session, body.sample, seed=body.seed)
                except CommandError as exc:
                    raise ApiError(422, exc.reason, "$.sample") from exc
            return SessionCreatedBody(session, self.store.last_seq(session))


def _hub(request: Request) -> Hub:
    return request.app.state.hub


async def _body(request: Request, limit: int, *, lines: bool = False) -> bytes:
    """The body, at most `limit` bytes, checked to be UTF-8 (msgspec would raise a bare
    UnicodeDecodeError on a bad string); `lines`: a session file, whose error names the
    line."""
    try:
        data = await read_body(request, limit)
    except BodyTooLarge as exc:
        raise ApiError(413, str(exc), None) from exc
    offset = _bad_utf8(data)
    if offset is not None:
        line = data.count(b"\n", 0, offset) + 1
        raise ApiError(
            400,
            f"the body is not valid UTF-8: byte 0x{data[offset]:02x} at offset {offset}",
            None if lines else "$",
            line if lines else None,
        )
    return data


def _bad_utf8(data: bytes, chunk: int = 1 << 20) -> int | None:
    """The offset of the first byte that is not UTF-8, else None (decoded in chunks, so
    a large import never exists twice in memory)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), chunk):
        held = len(decoder.getstate()[0])  # the start of a character split across chunks
        try:
            decoder.decode(data[start : start + chunk], final=start + chunk >= len(data))
        except UnicodeDecodeError as exc:
            return start - held + exc.start
    return None


def _too_deep(exc: RecursionError, line: bool = False) -> ApiError:
    """msgspec refuses JSON nested past its depth limit with a RecursionError."""
    return ApiError(400, f"the JSON nests too deeply ({exc})", None if line else "$")


# --- sessions and commands ---------------------------------------------------------------


async def list_sessions(request: Request) -> Response:
    return _json(_hub(request).store.sessions())


async def create_session(request: Request) -> Response:
    hub = _hub(request)
    data = await _body(request, hub.limits.command_bytes)
    try:
        body = _decode_create(data)
    except msgspec.DecodeError as exc:
        raise _decode_error(exc) from exc
    except RecursionError as exc:
        raise _too_deep(exc) from exc
    try:
        check_data_spec(body.data, hub.data_dir)
    except PathError as exc:
        raise ApiError(422, exc.reason, exc.path) from exc
    return _json(await run_in_threadpool(hub.create, body), 201)


async def post_command(request: Request) -> Response:
    hub = _hub(request)
    session = request.path_params["session"]
    if not _SESSION.match(session):
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


async def import_file(request: Request) -> Response:
    hub = _hub(request)
    data = await _body(request, hub.limits.import_bytes, lines=True)

    def run():
        parsed = read_session_file(data)  # validated whole before anything is written
        if not _SESSION.match(parsed.header.session):
            raise ApiError(
                422, f"session id {parsed.header.session!r} must match {SESSION_ID}", None, 1
            )
        created = parsed.envelopes[0].event
        if isinstance(created, SessionCreated):
            check_data_spec(created.data, hub.data_dir, "$.data")
        with hub.lock:
            return import_session(hub.store, data)

    try:
        result = await run_in_threadpool(run)
    except SessionFileError as exc:
        raise ApiError(400, exc.reason, None, exc.line) from exc
    except PathError as exc:
        raise ApiError(422, f"session_created: {exc.reason}", exc.path, 2) from exc
    except RecursionError as exc:
        raise _too_deep(exc, line=True) from exc
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


# --- the app ------------------------------------------------------------------------------


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _json(exc.body, exc.status)


async def _store_error(request: Request, exc: Exception) -> Response:
    """The store refused a write (disk full, read-only, I/O error): a 503 saying so,
    without the server's path; the store wrote nothing of the request."""
    assert isinstance(exc, StoreError)
    if isinstance(exc, ConcurrencyError):  # another process wrote first: try again
        return _json(ErrorBody(str(exc)), 409)
    reason = str(exc).removeprefix(f"{_hub(request).store.path}: ")
    return _json(ErrorBody(f"the event store {reason}"), 503)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _json(ErrorBody(str(exc.detail)), exc.status_code)


def create_app(
    service: SessionService,
    *,
    token: str | None = None,
    allow_origins: tuple[str, ...] | list[str] = (),
    static_dir: str | Path | None = None,
    limits: Limits | None = None,
    version: str = "0.1.0",
) -> Starlette:
    """The REMAP app over `service` (whose store and data folder it uses).

    `token`: when set, every ``/api/`` request must carry it (see
    `remap_server.security`). `allow_origins`: origins allowed by CORS (none: CORS
    off). `static_dir`: the built UI (default: the plain pages bundled here), served at
    ``/`` with the SNAC tool at ``/snacs/``. ``app.state.hub.closing = True`` ends the
    event streams (the CLI sets it when the server is asked to stop).
    """
    hub = Hub(service, limits or Limits())
    spec = _encode(openapi(version))

    async def openapi_json(request: Request) -> Response:
        return Response(spec, media_type="application/json")

    routes = [
        Route("/api/openapi.json", openapi_json, methods=["GET"]),
        Route("/api/sessions", list_sessions, methods=["GET"]),
        Route("/api/sessions", create_session, methods=["POST"]),
        Route("/api/sessions/{session}/commands", post_command, methods=["POST"]),
        Route("/api/sessions/{session}/events", events, methods=["GET"]),
        Route("/api/sessions/{session}/state", state, methods=["GET"]),
        Route("/api/sessions/{session}/export", export, methods=["GET"]),
        Route("/api/sessions/{session}/models/{model}/snac.svg", model_snac, methods=["GET"]),
        Route("/api/sessions/{session}/data/classes", class_examples, methods=["GET"]),
        Route("/api/sessions/{session}/data/{split}/{index}.png", example_png, methods=["GET"]),
        Route("/api/import", import_file, methods=["POST"]),
        Route("/api/snacs/render", render, methods=["POST"]),
        Mount("/", StaticFiles(directory=static_dir or STATIC_DIR, html=True)),
    ]
    middleware = []
    if allow_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(allow_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "idempotency-key", "last-event-id"],
            )
        )
    if token:
        middleware.append(Middleware(TokenMiddleware, token=token))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            StoreError: _store_error,
        },
    )
    app.state.hub = hub
    return app
