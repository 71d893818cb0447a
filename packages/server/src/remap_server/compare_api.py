"""``GET /api/sessions/{session}/compare?models=a,b,c`` (issue 22): 2 to 8 models'
layers aligned by layer, for the inspector's N-way compare (``views/inspector/
compare.js``), which draws one row of blocks per model in these columns.

The alignment is a star: every model is aligned with the first (the reference) by
REMAP's own diff (`nas_core.arch.diff`, the one of the chip diff and of the models'
``changes``), and the pairwise alignments are merged on the reference's layers. Before
each reference layer (and after the last) come as many insert columns as the model with
the most layers added there needs. Each cell names the model's layer index (None: no
layer in that column) and its mark against the reference: ``same``, ``changed`` (same
kind, other settings), ``replaced`` (another kind), ``removed`` (the reference has a
layer the model lacks), ``added`` (a layer the reference lacks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from nas_core.arch.diff import diff
from nas_core.arch.layers import ACTIVATION_TYPES, Architecture
from nas_core.arch.shapes import layer_type
from nas_core.events import SessionState

from .diff_api import alignment_of
from .errors import ApiError

__all__ = ["COMPARE_MAX", "Column", "ModelsAligned", "align_models", "compare_models"]

COMPARE_MAX = 8
Mark = Literal["same", "changed", "replaced", "removed", "added"]
_encode = msgspec.json.Encoder().encode


class Column(msgspec.Struct, omit_defaults=False):
    """One aligned position: per model (in the request's order) its layer index there
    (None: none) and the mark against the reference (None: no layer on either side);
    `reference` is the reference's layer index (None: an insert column)."""

    reference: int | None
    layers: tuple[int | None, ...]
    marks: tuple[Mark | None, ...]


class ModelsAligned(msgspec.Struct, omit_defaults=False):
    """The compared models (the first is the reference) and their aligned columns."""

    models: tuple[str, ...]
    columns: tuple[Column, ...]


def _mark(a: object, b: object) -> Mark:
    if a == b:
        return "same"
    ta, tb = layer_type(a), layer_type(b)
    if ta == tb or (ta in ACTIVATION_TYPES and tb in ACTIVATION_TYPES):
        return "changed"
    return "replaced"


def align_models(archs: Sequence[Architecture]) -> list[Column]:
    """The columns of `archs` aligned on the first (see the module docstring)."""
    ref = archs[0].layers
    n = len(ref)
    # per model: the index aligned with each reference layer, and the inserts per gap
    matched: list[list[int | None]] = []
    inserted: list[list[list[int]]] = []
    for arch in archs:
        on = [None] * n
        gaps: list[list[int]] = [[] for _ in range(n + 1)]
        gap = 0
        for i, j in alignment_of(diff(archs[0], arch), n):
            if i is None:
                gaps[gap].append(j)
            else:
                on[i] = j
                gap = i + 1
        matched.append(on)
        inserted.append(gaps)
    columns: list[Column] = []
    for g in range(n + 1):
        for slot in range(max(len(gaps[g]) for gaps in inserted)):
            layers = tuple(gaps[g][slot] if slot < len(gaps[g]) else None for gaps in inserted)
            marks = tuple(None if j is None else "added" for j in layers)
            columns.append(Column(None, layers, marks))
        if g < n:
            layers = tuple(on[g] for on in matched)
            marks = tuple(
                "removed" if j is None else _mark(ref[g], arch.layers[j])
                for j, arch in zip(layers, archs, strict=True)
            )
            columns.append(Column(g, layers, marks))
    return columns


def _models_param(request: Request, state: SessionState, session: str) -> list[str]:
    text = request.query_params.get("models", "")
    ids = [m for m in text.split(",") if m]
    if len(ids) < 2:
        raise ApiError(400, "?models must name 2 to 8 models, comma-separated", "?models")
    if len(ids) > COMPARE_MAX:
        raise ApiError(
            400, f"?models names {len(ids)} models: compare at most {COMPARE_MAX} at once",
            "?models",
        )  # fmt: skip
    if len(set(ids)) != len(ids):
        raise ApiError(400, "?models names a model twice", "?models")
    for mid in ids:
        if mid not in state.models:
            raise ApiError(404, f"no model {mid[:64]!r} in session {session}", "?models")
    return ids


async def compare_models(request: Request) -> Response:
    hub = request.app.state.hub
    session = hub.session_id(request)
    state = await run_in_threadpool(hub.service.state, session)
    ids = _models_param(request, state, session)
    columns = await run_in_threadpool(align_models, [state.models[m].arch for m in ids])
    body = ModelsAligned(tuple(ids), tuple(columns))
    return Response(_encode(body), media_type="application/json")
