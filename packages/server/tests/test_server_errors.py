"""How the server answers errors: the HTTP status of a nas_core error comes from its
class (`remap_server.errors.STATUS`), never from the words of its message; the app's
routes and its OpenAPI document come from one table (`remap_server.app.ENDPOINTS`);
``POST /api/sessions`` takes the create_session command's own fields."""

from __future__ import annotations

import msgspec
import pytest
from starlette.routing import Route

from nas_core.events import (
    CommandError,
    ConcurrencyError,
    CreateSession,
    DrawerAdd,
    SessionExists,
    StoreError,
    StoreUnwritable,
    UnknownSession,
)
from nas_core.service import SessionService, SessionSetAside
from nas_core.specs import InputError
from remap_server import create_app
from remap_server.api import CreateSessionBody, openapi
from remap_server.app import ENDPOINTS, Hub, Limits
from remap_server.errors import ApiError, status_of


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (UnknownSession("s1"), 404),
        (SessionExists("$", "the session 'x' has already been created"), 409),
        (CommandError("$.count", "must be at most 1000"), 422),
        (SessionSetAside("s1", "seq 3: no model m9"), 409),
        (ConcurrencyError("s1", 3, 4), 409),
        (StoreUnwritable("remap.db: the disk is full"), 503),
        (StoreError("remap.db: not an event store"), 503),
        (InputError("$.data.path", "leaves the data folder"), 422),
        (ValueError("not one of REMAP's errors"), 500),
    ],
)
def test_the_status_of_an_error_is_that_of_its_class(error: Exception, status: int) -> None:
    assert status_of(error) == status


class _Refusing:
    """A service whose every command and create raises `error`."""

    store = None
    data_root = None

    def __init__(self, error: Exception) -> None:
        self.error = error

    def execute(self, session: str, command: object) -> None:
        raise self.error

    def create_session(self, *args: object, **kwargs: object) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status"),
    [
        # the words the server once matched choose nothing: a plain CommandError is a 422
        (CommandError("$.session", "no session 'x' in this store"), 422),
        (CommandError("$", "the session 'x' has already been created"), 422),
        # the classes do, whatever their words
        (UnknownSession("x"), 404),
        (SessionExists("$", "taken"), 409),
    ],
)
def test_a_refused_command_is_answered_by_its_class(error: CommandError, status: int) -> None:
    hub = Hub(_Refusing(error), Limits())  # type: ignore[arg-type]
    with pytest.raises(ApiError) as command:
        hub.execute("x", DrawerAdd(models=("m1",)))
    assert (command.value.status, command.value.body.error) == (status, error.reason)
    assert command.value.body.path == error.path
    with pytest.raises(ApiError) as create:
        hub.create(CreateSessionBody(name="x"))
    assert create.value.status == status


def test_the_create_body_is_the_create_session_command_and_three_fields() -> None:
    assert issubclass(CreateSessionBody, CreateSession)
    fields = set(CreateSessionBody.__struct_fields__)
    assert fields == {"id", "name", "data", "settings", "session", "sample", "seed"}
    assert set(CreateSession.__struct_fields__) <= fields
    decode = msgspec.json.Decoder(CreateSessionBody).decode
    body = decode(b'{"name": "n", "session": "s1", "id": "c1", "sample": 5, "seed": 2}')
    assert (body.name, body.session, body.id, body.sample, body.seed) == ("n", "s1", "c1", 5, 2)
    with pytest.raises(msgspec.ValidationError, match="unknown field `type`"):
        decode(b'{"name": "n", "type": "create_session"}')  # the body is not tagged
    with pytest.raises(msgspec.ValidationError, match="id"):
        decode(b'{"name": "n", "id": "not an id!"}')  # the command's own rule for ids


def test_the_app_and_its_document_come_from_one_table(service: SessionService) -> None:
    table = {(e.path, e.method) for e in ENDPOINTS}
    assert len(table) == len(ENDPOINTS)
    document = openapi("0.1.0", ENDPOINTS)
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    assert documented == table
    operations = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert sorted(operations) == sorted(e.operation for e in ENDPOINTS)
    app = create_app(service)
    served = {
        (route.path, method)
        for route in app.routes
        if isinstance(route, Route)
        for method in (route.methods or ()) - {"HEAD"}
    }
    assert served - table == {
        ("/api/openapi.json", "GET"),
        ("/favicon.svg", "GET"),
        ("/favicon.ico", "GET"),
    }
    assert table <= served
