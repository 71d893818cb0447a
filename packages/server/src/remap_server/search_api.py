"""``POST /api/sessions/{session}/searches``: import a search REMAP did not run (issue
20) into a session. The body is a ``remap-search`` JSON-lines file (Content-Type
``application/x-ndjson`` or ``application/jsonl``; `nas_core.imports`); every line is
checked and the models embedded before one transaction appends them: a bad line is a
400 (malformed) or 422 (does not apply to this session) naming its line and JSON path,
and nothing is written."""

from __future__ import annotations

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from nas_core.imports import SearchFileError, SearchHeader, SearchModel, parse_search_lines
from nas_core.service.import_search import Imported, import_search

from .body import checked_body
from .errors import ApiError

__all__ = ["SEARCH_TYPES", "SearchImported", "SearchLine", "import_search_file"]

SEARCH_TYPES = ("application/x-ndjson", "application/jsonl")
_encode = msgspec.json.Encoder().encode
SearchLine = (SearchHeader, SearchModel)  # a line of the body (the header: first only)


class SearchImported(msgspec.Struct):
    """The answer to a search import: the search's id (each model's origin names it),
    the models it added in the file's order, how many were embedded (those with test
    predictions), and the seqs it appended."""

    search: str
    models: tuple[str, ...]
    embedded: int
    first_seq: int
    last_seq: int


def _error(status: int, exc: SearchFileError) -> ApiError:
    first = exc.errors[0] if exc.errors else None
    return ApiError(status, str(exc), None if first is None else first.path,
                    None if first is None else first.line)  # fmt: skip


async def import_search_file(request: Request) -> Response:
    hub = request.app.state.hub
    session = hub.session_id(request)
    data = await checked_body(request, hub.limits.import_bytes, lines=True)
    try:
        search = parse_search_lines(data)
    except SearchFileError as exc:
        raise _error(400, exc) from exc
    source = request.headers.get("x-search-source", "") or "upload"

    def run() -> Imported:
        return import_search(hub.service, session, search, source=source)

    try:
        done = await run_in_threadpool(run)
    except SearchFileError as exc:
        raise _error(422, exc) from exc
    body = SearchImported(done.search, done.models, done.embedded, done.first_seq, done.last_seq)
    return Response(_encode(body), 201, media_type="application/json")
