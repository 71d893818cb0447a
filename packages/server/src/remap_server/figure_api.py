"""The HTTP routes of issue 22's "take it out": a view of a session as a figure and
its models as a table.

- ``GET /api/sessions/{session}/figures/{view}.{svg|pdf|png}?projection=&models=&dpi=``:
  `remap_server.figures` (models comma-separated; default: the view's own choice).
- ``GET /api/sessions/{session}/models.csv`` and ``models.parquet`` (``?models=``):
  `remap_server.models_table.table_rows`, the columns of the drawer plus lineage.

A bad view, projection, model, format or dpi is a 400 that names what is allowed.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .errors import ApiError
from .figures import DPI_RANGE, FORMATS, MEDIA_TYPES, FigureError, convert, figure_svg
from .figures._select import chosen
from .models_table import table_csv, table_parquet, table_rows

__all__ = ["figure", "models_csv", "models_parquet"]


def _models(request: Request) -> list[str] | None:
    given = request.query_params.get("models")
    return [m for m in given.split(",") if m] if given else None


def _dpi(request: Request) -> int:
    text = request.query_params.get("dpi", "96")
    lo, hi = DPI_RANGE
    try:
        dpi = int(text)
    except ValueError:
        raise ApiError(400, f"?dpi is not a whole number: {text!r}", "?dpi") from None
    if not lo <= dpi <= hi:
        raise ApiError(400, f"?dpi must be from {lo} to {hi}, not {dpi}", "?dpi")
    return dpi


async def figure(request: Request) -> Response:
    hub = request.app.state.hub
    session = hub.session_id(request)
    view, fmt = request.path_params["view"], request.path_params["format"]
    if fmt not in FORMATS:
        raise ApiError(400, f"no figure format {fmt!r}: one of {', '.join(FORMATS)}")
    dpi = _dpi(request)
    projection = request.query_params.get("projection") or None
    models = _models(request)
    state = await run_in_threadpool(hub.service.state, session)

    def draw() -> bytes:
        try:
            return convert(figure_svg(state, view, projection=projection, models=models), fmt, dpi)
        except FigureError as exc:
            raise ApiError(400, str(exc)) from exc

    data = await run_in_threadpool(draw)
    name = f"{session}-{view}.{fmt}"
    return Response(data, media_type=MEDIA_TYPES[fmt],
                    headers={"content-disposition": f'inline; filename="{name}"'})  # fmt: skip


async def _table(request: Request):
    hub = request.app.state.hub
    session = hub.session_id(request)
    state = await run_in_threadpool(hub.service.state, session)
    models = _models(request)
    try:
        ids = chosen(state, models, fallback="none") if models else None
    except FigureError as exc:
        raise ApiError(400, str(exc), "?models") from exc
    return session, table_rows(state, hub.service.weights, ids)


async def models_csv(request: Request) -> Response:
    session, rows = await _table(request)
    disposition = f'attachment; filename="{session}-models.csv"'
    return Response(table_csv(rows), media_type="text/csv",
                    headers={"content-disposition": disposition})  # fmt: skip


async def models_parquet(request: Request) -> Response:
    session, rows = await _table(request)
    data = await run_in_threadpool(table_parquet, rows)
    disposition = f'attachment; filename="{session}-models.parquet"'
    return Response(data, media_type="application/vnd.apache.parquet",
                    headers={"content-disposition": disposition})  # fmt: skip
