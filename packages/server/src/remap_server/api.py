"""The bodies of the HTTP API as msgspec structs, and the OpenAPI 3.1 document built
from them (`openapi`), so the document and the code cannot drift apart.

Commands themselves are `nas_core.events.Command` (a union tagged on ``"type"``);
events come as `nas_core.events.Envelope`; a session's state is
`nas_core.events.SessionState`.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

import snacs
from nas_core.events import Command, Envelope, ImportResult, SessionInfo, SessionState
from nas_core.generators import Skipped
from nas_core.specs import DataSpec, Settings

__all__ = [
    "SESSION_ID",
    "ClassExamples",
    "CommandAccepted",
    "CreateSessionBody",
    "ErrorBody",
    "SessionCreatedBody",
    "openapi",
]

SESSION_ID = r"^[A-Za-z0-9_.\-]{1,64}$"
SessionId = Annotated[str, msgspec.Meta(pattern=SESSION_ID)]
CommandId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.\-]{1,128}$")]


class ErrorBody(msgspec.Struct, omit_defaults=False):
    """Every 4xx answer: what is wrong, the JSON path of the field at fault (``$`` for
    the body as a whole; null when no field is), and for a session file its line."""

    error: str
    path: str | None = None
    line: int | None = None


class CreateSessionBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """``POST /api/sessions``: a new session on data set `data` with `settings`.
    `session` chooses its id (default: a random one) and `id` the command's id (a
    retried create with both is harmless); `sample` > 0 samples and queues that many
    models with `seed` at once (the paper's ready-made start)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    data: DataSpec = DataSpec()
    settings: Settings = Settings()
    session: SessionId | None = None
    id: CommandId | None = None
    sample: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)] = 0


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


def _json(ref: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _session_param() -> dict[str, Any]:
    return {
        "name": "session",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": SESSION_ID},
    }


def openapi(version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API; every schema comes from the structs."""
    types = [
        Command,
        CreateSessionBody,
        SessionCreatedBody,
        CommandAccepted,
        ErrorBody,
        list[SessionInfo],
        Envelope,
        SessionState,
        ImportResult,
        snacs.Spec,
        ClassExamples,
    ]
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}"
    )
    (command, create, created, accepted, error, sessions, envelope, state, imported, spec,
     classes) = schemas  # fmt: skip
    err = {
        code: _json(error, why)
        for code, why in (
            ("400", "malformed input (the path names the field)"),
            ("401", "missing or wrong token"),
            ("404", "no such session or model"),
            ("413", "the body is over the size limit"),
            ("422", "the input does not apply (the path names the field)"),
        )
    }
    unwritable = _json(
        error, "the event store cannot be written (disk full, read-only): nothing was recorded"
    )
    sid = _session_param()
    svg = {
        "description": "an SVG chip",
        "content": {"image/svg+xml": {"schema": {"type": "string"}}},
    }
    paths: dict[str, Any] = {
        "/api/sessions": {
            "get": {
                "operationId": "listSessions",
                "summary": "Every session in the store, oldest first",
                "responses": {"200": _json(sessions, "the sessions"), "401": err["401"]},
            },
            "post": {
                "operationId": "createSession",
                "summary": "Create a session (and optionally sample its first models)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": create}},
                },
                "responses": {"201": _json(created, "created"), **err, "503": unwritable},
            },
        },
        "/api/sessions/{session}/commands": {
            "post": {
                "operationId": "postCommand",
                "summary": "Apply one command; the response holds the seqs it appended",
                "parameters": [
                    sid,
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_.\-]{1,128}$"},
                        "description": "the command's id if the body has none: a retry is harmless",
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": command}},
                },
                "responses": {"202": _json(accepted, "applied"), **err, "503": unwritable},
            }
        },
        "/api/sessions/{session}/events": {
            "get": {
                "operationId": "streamEvents",
                "summary": "Server-sent events: id = seq, event = kind, data = the envelope",
                "parameters": [
                    sid,
                    {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}},
                    {
                        "name": "until",
                        "in": "query",
                        "description": "end the stream once the event with this seq is sent",
                        "schema": {"type": "integer", "minimum": 0},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "an endless event stream; each data line is an Envelope",
                        "content": {"text/event-stream": {"schema": envelope}},
                    },
                    "400": err["400"],
                    "401": err["401"],
                    "404": err["404"],
                },
            }
        },
        "/api/sessions/{session}/state": {
            "get": {
                "operationId": "getState",
                "summary": "The folded state of the session (at ?at=SEQ when given)",
                "parameters": [
                    sid,
                    {"name": "at", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                ],
                "responses": {"200": _json(state, "the state"), **err},
            }
        },
        "/api/sessions/{session}/export": {
            "get": {
                "operationId": "exportSession",
                "summary": "The session as a .remap.jsonl file",
                "parameters": [sid],
                "responses": {
                    "200": {
                        "description": "the session file",
                        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                    },
                    "401": err["401"],
                    "404": err["404"],
                },
            }
        },
        "/api/sessions/{session}/models/{model}/snac.svg": {
            "get": {
                "operationId": "modelSnac",
                "summary": "A model's SNAC",
                "parameters": [
                    sid,
                    {"name": "model", "in": "path", "required": True, "schema": {"type": "string"}},
                ],
                "responses": {"200": svg, **err},
            }
        },
        "/api/sessions/{session}/data/classes": {
            "get": {
                "operationId": "classExamples",
                "summary": "The class names, example training images of each class, and the "
                "label of every test example",
                "parameters": [
                    sid,
                    {
                        "name": "per_class",
                        "in": "query",
                        "description": "examples per class (default 8)",
                        "schema": {"type": "integer", "minimum": 0, "maximum": 64},
                    },
                ],
                "responses": {"200": _json(classes, "the classes and their examples"), **err},
            }
        },
        "/api/sessions/{session}/data/{split}/{index}.png": {
            "get": {
                "operationId": "exampleImage",
                "summary": "One example of the session's data set as a PNG, upscaled "
                "(nearest neighbour) to at least 32 pixels a side",
                "parameters": [
                    sid,
                    {
                        "name": "split",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": ["train", "val", "test"]},
                    },
                    {
                        "name": "index",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 0},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "the image (grey or RGB)",
                        "content": {"image/png": {"schema": {"type": "string"}}},
                    },
                    "304": {"description": "not modified (If-None-Match)"},
                    **err,
                },
            }
        },
        "/api/import": {
            "post": {
                "operationId": "importSession",
                "summary": "Import a .remap.jsonl file (events the store holds are skipped)",
                "requestBody": {
                    "required": True,
                    "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                },
                "responses": {"200": _json(imported, "imported"), **err, "503": unwritable},
            }
        },
        "/api/snacs/render": {
            "post": {
                "operationId": "renderSnac",
                "summary": "Render an architecture (REMAP or Keras JSON) as a SNAC",
                "parameters": [
                    {"name": "layout", "in": "query", "schema": {"enum": list(snacs.LAYOUTS)}},
                    {
                        "name": "height",
                        "in": "query",
                        "schema": {"type": "number", "minimum": 4, "maximum": 4096},
                    },
                    {
                        "name": "width",
                        "in": "query",
                        "schema": {"type": "number", "minimum": 4, "maximum": 100_000},
                    },
                    {"name": "fold", "in": "query", "schema": {"type": "boolean"}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": spec}},
                },
                "responses": {"200": svg, "400": err["400"], "401": err["401"], "413": err["413"]},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "REMAP", "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }
