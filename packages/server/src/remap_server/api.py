"""The bodies of the HTTP API as msgspec structs, the entries of its route table
(`Endpoint`), and the OpenAPI 3.1 document built from that table and the structs
(`openapi`), so the document and the code cannot drift apart. The table itself is
`remap_server.app.ENDPOINTS`, beside the handlers it names.

Commands themselves are `nas_core.events.Command` (a union tagged on ``"type"``);
events come as `nas_core.events.Envelope`; a session's state is
`nas_core.events.SessionState`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from nas_core.events import CreateSession
from nas_core.generators import Skipped
from nas_core.specs import SESSION_ID

__all__ = [
    "ERRORS",
    "SESSION_ID",
    "SESSION_PARAM",
    "ClassExamples",
    "CommandAccepted",
    "Content",
    "CreateSessionBody",
    "Endpoint",
    "ErrorBody",
    "SessionCreatedBody",
    "SessionListed",
    "openapi",
    "path_param",
    "query_param",
]

SessionId = Annotated[str, msgspec.Meta(pattern=SESSION_ID)]


class ErrorBody(msgspec.Struct, omit_defaults=False):
    """Every 4xx answer: what is wrong, the JSON path of the field at fault (``$`` for
    the body as a whole; null when no field is), and for a session file its line."""

    error: str
    path: str | None = None
    line: int | None = None


class CreateSessionBody(CreateSession, tag=False):
    """``POST /api/sessions``: a new session on data set `data` with `settings`.
    `session` chooses its id (default: a random one) and `id` the command's id (a
    retried create with both is harmless); `sample` > 0 samples and queues that many
    models with `seed` at once (the paper's ready-made start)."""

    # `name`, `data`, `settings` and `id` are the create_session command's own (one
    # declaration for both doors); untagged, the body has no "type" field
    session: SessionId | None = None
    sample: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)] = 0


class SessionListed(msgspec.Struct):
    """A session in ``GET /api/sessions``: `SessionInfo`'s fields, and `set_aside`: why
    the server set it aside (its log cannot be restored: its commands and views answer
    409, the other sessions are served), null when it is served."""

    id: str
    name: str
    created_at: str
    last_seq: int
    set_aside: str | None = None


class SessionCreatedBody(msgspec.Struct):
    """The answer to a create: the session's id and its last seq."""

    session: str
    last_seq: int


class CommandAccepted(msgspec.Struct):
    """``202`` to a command: the seqs it appended (null when it appended nothing, e.g.
    a cancel the worker will record), the children a generator skipped with their
    reasons, and whether this was a retry of a command already applied."""

    first_seq: int | None
    last_seq: int | None
    skipped: tuple[Skipped, ...] = ()
    replayed: bool = False


class ClassExamples(msgspec.Struct):
    """``GET …/data/classes``: the data set's class names; for each class the indices
    of its first ``per_class`` training examples (images at ``…/data/train/{index}.png``);
    and the label of every test example in test-set order, which with a model's
    ``result.predictions`` finds the test examples of each confusion-matrix cell."""

    class_names: tuple[str, ...]
    examples: tuple[tuple[int, ...], ...]
    test_labels: tuple[int, ...]


# --- the route table's entries and the document built from them --------------------------


@dataclass(frozen=True)
class Content:
    """A body in the OpenAPI document: `description`, and `schema` (a type or a JSON
    Schema dict; ``None``: no body) sent as `media`."""

    description: str
    schema: Any = None
    media: str = "application/json"
    lines: tuple[Any, ...] = ()  # a JSON-lines body: the types its lines are (components)


@dataclass(frozen=True)
class Endpoint:
    """One route of the API: what the app serves (`method`, `path`, `handler`) and what
    the OpenAPI document says of it (`operation`, its id; `summary`; the `answers` by
    status; the `errors`, statuses answered with an `ErrorBody`; `parameters`; the
    request `body`, always required, whose `description` the document leaves out)."""

    method: Literal["GET", "POST", "PUT"]
    path: str
    handler: Callable[[Request], Awaitable[Response]]
    operation: str
    summary: str
    answers: Mapping[int, Content]
    errors: tuple[int, ...] = ()
    parameters: tuple[dict[str, Any], ...] = ()
    body: Content | None = None


ERRORS: dict[int, str] = {
    400: "malformed input (the path names the field)",
    401: "missing or wrong token",
    403: "a Host that is not this machine, or a web page of another origin",
    404: "no such session or model",
    413: "the body is over the size limit",
    415: "the body's Content-Type is not JSON (a session file: NDJSON)",
    422: "the input does not apply (the path names the field)",
    503: "the event store cannot be written (disk full, read-only): nothing was recorded",
}
"""What each error status of the API means, as the document says it."""


def path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A path parameter of the document."""
    return {"name": name, "in": "path", "required": True, "schema": schema}


def query_param(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A query parameter of the document."""
    described = {"description": description} if description else {}
    return {"name": name, "in": "query", **described, "schema": schema}


SESSION_PARAM = path_param("session", {"type": "string", "pattern": SESSION_ID})


def openapi(version: str, endpoints: Sequence[Endpoint]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `endpoints` (the app's route table); every schema
    comes from the structs."""
    types: list[Any] = [ErrorBody]
    for e in endpoints:
        for content in (e.body, *e.answers.values()):
            if content is not None and _is_type(content.schema) and content.schema not in types:
                types.append(content.schema)
            for line in () if content is None else content.lines:
                if line not in types:
                    types.append(line)
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}"
    )
    refs = dict(zip(types, schemas, strict=True))

    def content(c: Content) -> dict[str, Any]:
        if c.schema is None:
            return {"description": c.description}
        schema = refs[c.schema] if _is_type(c.schema) else c.schema
        if c.lines:  # what each line is, beside the string a client sends
            schema = {**schema, "x-remap-line": {"anyOf": [refs[t] for t in c.lines]}}
        return {"description": c.description, "content": {c.media: {"schema": schema}}}

    paths: dict[str, Any] = {}
    for e in endpoints:
        responses = {str(code): content(c) for code, c in e.answers.items()}
        for code in e.errors:
            responses[str(code)] = content(Content(ERRORS[code], ErrorBody))
        operation: dict[str, Any] = {"operationId": e.operation, "summary": e.summary}
        if e.parameters:
            operation["parameters"] = list(e.parameters)
        if e.body is not None:
            body = content(e.body)
            operation["requestBody"] = {"required": True, "content": body["content"]}
        operation["responses"] = responses
        paths.setdefault(e.path, {})[e.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "REMAP", "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }


def _is_type(schema: Any) -> bool:
    return schema is not None and not isinstance(schema, dict)
