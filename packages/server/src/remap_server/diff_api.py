"""GET /api/sessions/{session}/models/{model}/diff/{other}.svg: the chip diff of two
models of a session (issue 22), drawn by `snacs.diff`.

The alignment is REMAP's own (`nas_core.arch.diff`, the one the model's ``changes`` and
the inspector's words come from), handed to snacs as pairs, so the marks and the
session's change list never disagree; snacs' own alignment (the same costs) is for
architectures outside REMAP (`snacs diff`, and POST /api/snacs/diff: the SNAC tool
page's diff of any two architectures, REMAP or Keras JSON, with snacs' alignment).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

import snacs
from nas_core.arch.diff import Change, Prepend, Remove, diff

from .errors import ApiError, BodyTooLarge
from .security import read_body

__all__ = ["DiffBody", "alignment_of", "model_diff", "render_diff"]


class DiffBody(msgspec.Struct, forbid_unknown_fields=True):
    """Two architectures (REMAP or Keras JSON objects) to diff: `a` the first, `b` the
    second."""

    a: dict
    b: dict


Pair = tuple[int | None, int | None]


def alignment_of(changes: Sequence[Change], n_parent: int) -> list[Pair]:
    """`nas_core.arch.diff`'s change list (every index the parent's) as aligned pairs
    ``(parent index, child index)``, ``(i, None)`` removed, ``(None, j)`` added."""
    removed = {c.index for c in changes if isinstance(c, Remove)}
    added_before: dict[int, int] = {}
    for c in changes:
        if isinstance(c, Prepend):
            added_before[c.index] = added_before.get(c.index, 0) + 1
    pairs: list[Pair] = []
    j = 0
    for i in range(n_parent + 1):
        for _ in range(added_before.get(i, 0)):
            pairs.append((None, j))
            j += 1
        if i == n_parent:
            break
        if i in removed:
            pairs.append((i, None))
        else:
            pairs.append((i, j))
            j += 1
    return pairs


def _options(request: Request) -> dict:
    q = request.query_params
    options: dict = {"layout": q.get("layout", "variable"), "words": q.get("words") != "false"}
    if "height" in q:
        try:
            options["height"] = float(q["height"])
        except ValueError:
            raise ApiError(400, f"?height is not a number: {q['height']!r}", "?height") from None
    return options


def _render(state, a_id: str, b_id: str, options: dict) -> Response:
    models = state.models
    for name in (a_id, b_id):
        if name not in models:
            raise ApiError(404, f"no model {name!r} in the session")
    a, b = models[a_id], models[b_id]
    specs = []
    for name, m in ((a_id, a), (b_id, b)):
        spec = msgspec.to_builtins(m.arch)
        spec["name"] = name
        if m.result is not None:
            spec["accuracy"] = m.result.test_acc
        specs.append(spec)
    pairs = alignment_of(diff(a.arch, b.arch), len(a.arch.layers))
    try:
        svg = snacs.diff(specs[0], specs[1], alignment=pairs, **options)
    except snacs.SnacsError as exc:  # a bad option (?layout, ?height)
        raise ApiError(400, str(exc), "?") from exc
    return Response(svg, media_type="image/svg+xml")


async def model_diff(request: Request) -> Response:
    hub = request.app.state.hub
    session = hub.session_id(request)
    options = _options(request)
    state = await run_in_threadpool(hub.service.state, session)
    p = request.path_params
    return await run_in_threadpool(_render, state, p["model"], p["other"], options)


def _diff_any(data: bytes, options: dict) -> Response:
    problem = snacs.utf8_problem(data) or snacs.duplicate_key_problem(data)
    if problem is not None:
        raise ApiError(400, problem[0], problem[1])
    try:
        body = msgspec.json.decode(data, type=DiffBody)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        reason, path = snacs.explain_decode_error(exc)
        raise ApiError(400, reason, path) from exc
    specs = []
    for side in ("a", "b"):
        try:
            spec = snacs.decode(getattr(body, side))
            snacs.infer(spec)
        except snacs.SpecError as exc:
            where = exc.path or "$"
            raise ApiError(400, str(exc), f"$.{side}{where[1:]}") from exc
        specs.append(spec)
    try:
        svg = snacs.diff(specs[0], specs[1], **options)
    except snacs.SnacsError as exc:
        raise ApiError(400, str(exc), "?") from exc
    except RecursionError as exc:
        raise ApiError(400, "the architectures nest too deeply", "$") from exc
    return Response(svg, media_type="image/svg+xml")


async def render_diff(request: Request) -> Response:
    hub = request.app.state.hub
    options = _options(request)
    try:
        data = await read_body(request, 2 * hub.limits.render_bytes)
    except BodyTooLarge as exc:
        raise ApiError(413, str(exc), None) from exc
    return await run_in_threadpool(_diff_any, data, options)
