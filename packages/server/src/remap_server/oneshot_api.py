"""The one-shot search's HTTP route (issue 18): the bundled supernet templates.

Commands of the one-shot search go through ``POST /api/sessions/{session}/commands``
like every other; only the template list is new.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from nas_core.oneshot import SuperArchitecture, template_infos

__all__ = ["TemplateInfo", "TemplateList", "list_templates"]


class TemplateInfo(msgspec.Struct, frozen=True):
    """A bundled template: its name, what it is, its block count, its numbers of
    single-path and multi-path subgraphs, and the template itself."""

    name: str
    description: str
    blocks: int
    single: int
    multi: int
    arch: SuperArchitecture


class TemplateList(msgspec.Struct, frozen=True):
    templates: list[TemplateInfo]


_BODY = msgspec.json.encode(msgspec.convert({"templates": template_infos()}, TemplateList))


async def list_templates(request: Request) -> Response:
    return Response(_BODY, media_type="application/json")
