"""Schemathesis over the served OpenAPI document: every operation, with bodies, path,
query and header parameters generated from its schema (valid ones and ones that break
it) and junk on top, against the app in process. Whatever comes in, the answer is never
a 5xx, every 4xx is an `ErrorBody`, and a rejected request leaves the store exactly as
it was.

Path parameters are pointed at the sessions and models the store holds often enough to
get past the 404s; commands go to a session of this module only (the conftest's
"trained" session is read, never written). Event streams get an ``?until=`` they reach,
so they end. After an accepted write, whatever it queued is cancelled, so that nothing
trains in the background while the next request is judged. Hostile values are drawn on
top (issue 15): NUL bytes and over-long data set paths, session ids a file may not
bring, resumes past the last seq a session can hold, bodies of the wrong content type,
other origins and hosts.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from collections.abc import Iterator

import msgspec
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, event, given, reject, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from starlette.applications import Starlette

from nas_core.events import Cancel, CommandError, Sample, export_session
from nas_core.service import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig
from remap_server import create_app
from remap_server.api import openapi
from remap_server.app import ENDPOINTS

SESSION = "openapi-fuzz"  # this module's session: the only real one commands go to
LOCAL = "http://127.0.0.1"  # the Host every case goes to (the app refuses "testserver")
TRAINED = "trained"  # the conftest's trained session: read-only here
DOCUMENT = openapi("0.1.0", ENDPOINTS)
OPERATIONS = [
    (path, method.upper(), op["operationId"])
    for path, item in DOCUMENT["paths"].items()
    for method, op in item.items()
]
WRITES = {"createSession", "postCommand", "importSession"}
# cases per operation; REMAP_FUZZ_EXAMPLES=1300 runs over 10,000 in all (issue 9)
EXAMPLES = int(os.environ.get("REMAP_FUZZ_EXAMPLES", "40"))
# a session file goes over the wire as it is, the way text does
schemathesis.serializer.alias("application/x-ndjson", "text/plain")

# query values a hand-written client might send: empty, signed, huge, non-ASCII digits,
# and seqs past the 32 bits a session's seq has (they once spilled into the session key)
past_the_last_seq = st.sampled_from(["4294967295", "4294967296", "4294967303", str(2**63)])
junk_numbers = past_the_last_seq | st.sampled_from(
    ["", "-1", "+3", " 2", "1.5", "0x10", "1e3", "²", "١٢", "9" * 19, "nan", "null"]
)
# data set paths and session ids that must be refused in REMAP's words, never a 500
hostile_paths = st.sampled_from(
    ["a\x00b.npz", "\x00", "n" * 300 + ".npz", "d/" * 2100 + "x.npz", "../x.npz", "/etc/passwd"]
) | st.text(max_size=12).map(lambda t: t + "\x00")
hostile_ids = st.sampled_from(["../../etc", "<b>x</b>", "a" * 65, "a\x00b", "x\n", "é"])
# what a browser or a confused client may send besides JSON; pages of other origins
content_types = st.sampled_from(
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b",
     "application/xml", "", "application/json; charset=utf-8", "application/jsonl"]
)  # fmt: skip
origins = st.sampled_from(["https://evil.example", "null", LOCAL, "http://127.0.0.1:9"])
hosts = st.sampled_from(["evil.example", "127.0.0.1.evil.example:80", "localhost:8000"])
junk_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
junk_bodies = (
    junk_json.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=64)
    | st.sampled_from([b"", b"{", b"[]", b"null", b'{"type": "sample"}', b"\xff\xfe"])
)


def snapshot(service: SessionService) -> tuple:
    """Every session the store holds with its last seq, and a digest of each one's last
    row. The store only appends, under the session's last seq, so a request that wrote
    anything changed a last seq or (a replaced row) a last row; reading only those keeps
    a check after each of 10,000 cases cheap (a digest of whole logs grows with them)."""
    store = service.store
    infos = store.sessions()
    digest = hashlib.sha256()
    for info in infos:
        rows = store.read_rows(info.id, after=info.last_seq - 1) if info.last_seq else []
        for row in rows:
            digest.update(msgspec.msgpack.encode(row))
    return infos, digest.hexdigest()


def settle(service: SessionService) -> None:
    """Cancel whatever any session has queued or training (the queue first, so that a
    cancelled training does not hand the next model to the trainer), then wait."""
    for info in service.store.sessions():
        models = service.state(info.id).models.values()
        queued = [m.id for m in models if m.status == "queued"]
        running = [m.id for m in models if m.status == "running"]
        for model in queued + running:
            with contextlib.suppress(CommandError):  # it ended meanwhile
                service.execute(info.id, Cancel(model=model))
        if queued or running:
            service.wait_idle(info.id, timeout_s=60)


@pytest.fixture(scope="module")
def fuzzed(service: SessionService) -> SessionService:
    """The shared service with this module's session: three sampled models, none left
    to train (the first may finish its one tiny epoch before its cancel lands)."""
    service.create_session(
        "openapi fuzz",
        DataSpec(limit=200),
        Settings(train=TrainConfig(epochs=1), concurrency=1),
        session=SESSION,
        command_id="create",
    )
    service.execute(SESSION, Sample(id="three", count=3, seed=3))
    settle(service)
    return service


@pytest.fixture(scope="module")
def app(fuzzed: SessionService) -> Starlette:
    return create_app(fuzzed)


@pytest.fixture(scope="module")
def api(app: Starlette) -> schemathesis.BaseSchema:
    """The schema as the app serves it (not the function that builds it)."""
    return schemathesis.openapi.from_asgi("/api/openapi.json", app, headers={"host": "127.0.0.1"})


@pytest.fixture(scope="module")
def export(fuzzed: SessionService) -> bytes:
    """This session as a `.remap.jsonl` file: the seed of the import bodies."""
    buffer = io.BytesIO()
    export_session(fuzzed.store, SESSION, buffer)
    return buffer.getvalue()


_strategies: dict[tuple[str, str, GenerationMode], st.SearchStrategy] = {}


def cases(api: schemathesis.BaseSchema, path: str, method: str, mode: GenerationMode):
    key = (path, method, mode)
    if key not in _strategies:
        _strategies[key] = api[path][method].as_strategy(mode)
    return _strategies[key]


def model_ids(service: SessionService, session: str) -> list[str]:
    return sorted(service.state(session).models) if service.store.session(session) else []


def pick(draw, items: list):
    """One of `items`, drawn so that the choices hypothesis records do not depend on how
    many there are: the store's models grow as the fuzz's samples are accepted, and a
    `sampled_from` over them would draw differently when an example is replayed."""
    return items[draw(st.integers(0, 2**16)) % len(items)]


def aim(draw, case, operation: str, service: SessionService, export: bytes) -> dict[str, str]:
    """Point `case` at what the store holds often enough to get past its 404s; swap in
    junk bodies, junk numbers and hostile values sometimes; give every event stream an
    end. The headers to send on top of the case's."""
    params = case.path_parameters or {}
    if "session" in params:
        real = [SESSION] if operation in WRITES else [SESSION, TRAINED]
        params["session"] = draw(st.sampled_from([params["session"], *real, *real]))
    session = params.get("session")
    models = model_ids(service, session) if isinstance(session, str) else []
    if "model" in params and models:
        params["model"] = pick(draw, [params["model"], *models])
    if operation == "postCommand" and isinstance(case.body, dict) and models:
        if "model" in case.body and draw(st.booleans()):
            case.body["model"] = pick(draw, models)
        for field in ("models", "order"):
            if field in case.body and draw(st.booleans()):
                n = draw(st.integers(0, 3))
                case.body[field] = [pick(draw, models) for _ in range(n)]
    if operation == "renderSnac" and draw(st.booleans()):
        case.body = draw(real_specs(service))
    if operation == "importSession" and draw(st.booleans()):
        case.body = draw(import_bodies(export))
    data = case.body.get("data") if isinstance(case.body, dict) else None
    if isinstance(data, dict) and draw(st.integers(0, 3)) == 0:
        data.update(kind="npz", path=draw(hostile_paths))
    if operation in WRITES | {"renderSnac"} and draw(st.integers(0, 4)) == 0:
        case.body = draw(junk_bodies)
    if case.query is not None:
        for name in ("after", "at", "until", "height", "width"):
            if name in case.query and draw(st.integers(0, 5)) == 0:
                case.query[name] = draw(junk_numbers)
    extra: dict[str, str] = {}
    if operation == "streamEvents":
        case.query = case.query or {}
        info = service.store.session(session) if isinstance(session, str) else None
        until = case.query.get("until")
        if not (isinstance(until, str) and not is_seq(until)):  # keep what must be refused
            case.query["until"] = draw(st.integers(0, 0 if info is None else info.last_seq))
        if chance(draw, 1 / 4):
            extra["Last-Event-ID"] = draw(past_the_last_seq | junk_numbers.filter(str.isascii))
    if operation in WRITES | {"renderSnac"} and chance(draw, 1 / 8):
        extra["Content-Type"] = draw(content_types)
    if chance(draw, 1 / 16):
        extra["Origin"] = draw(origins)
    if chance(draw, 1 / 32):
        extra["Host"] = draw(hosts)
    return extra


def chance(draw, p: float) -> bool:
    """True about `p` of the time: a wide range, whose simplest values (which hypothesis
    favours, and shrinks to) say no."""
    return draw(st.integers(0, 1023)) >= (1 - p) * 1024


def is_seq(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 18


def real_specs(service: SessionService) -> st.SearchStrategy[dict]:
    """The architecture of a model the store holds as a SNAC spec, as it is or with a
    field or one layer changed: bodies deep enough to reach the renderer."""
    archs = [msgspec.to_builtins(m.arch) for m in service.state(TRAINED).models.values()]

    def change(spec: dict, where: str, k: int, value) -> dict:
        if where == "layer" and spec["layers"]:
            layers = list(spec["layers"])
            i = k % len(layers)
            layers[i] = {**layers[i], **value} if isinstance(value, dict) else value
            return {**spec, "layers": layers}
        return {**spec, where: value} if where else spec

    return st.builds(
        change,
        st.sampled_from(archs),
        st.sampled_from(["", "", "layer", "layer", "layers", "input", "name", "accuracy"]),
        st.integers(0, 100),
        junk_json,
    )


def import_bodies(export: bytes) -> st.SearchStrategy[bytes]:
    """The session file as exported (a no-op import), under a fresh id (a new session),
    or cut short, with a line dropped, doubled or replaced by junk (refused whole)."""
    lines = export.splitlines(keepends=True)
    renamed = export.replace(f'"{SESSION}"'.encode(), b'"openapi-fuzz-copy"')

    def mutated(draw_line: int, how: str, junk: bytes) -> bytes:
        k = draw_line % len(lines)
        changed = list(lines)
        if how == "drop":
            del changed[k]
        elif how == "double":
            changed.insert(k, changed[k])
        else:
            changed[k] = junk + b"\n"
        return b"".join(changed)

    def hostile(session: str, path: str | None) -> bytes:
        """The export under a session id no store takes, or naming a data set path."""
        out = export.replace(f'"{SESSION}"'.encode(), json.dumps(session).encode())
        if path is None:
            return out
        header, created, *rest = out.splitlines()
        line = json.loads(created)
        line["event"]["data"].update(kind="npz", path=path)
        return b"\n".join([header, json.dumps(line).encode(), *rest]) + b"\n"

    return st.one_of(
        st.just(export),
        st.just(renamed),
        st.builds(hostile, hostile_ids, st.none()),
        st.builds(hostile, st.just("openapi-fuzz-hostile"), hostile_paths),
        st.integers(0, max(0, len(export) - 1)).map(lambda n: export[:n]),
        st.builds(
            mutated,
            st.integers(0, 1000),
            st.sampled_from(["drop", "double", "junk"]),
            junk_json.map(lambda v: json.dumps(v).encode()),
        ),
    )


def check(response, before: tuple, service: SessionService, operation: str) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        error = response.json()
        assert set(error) == {"error", "path", "line"}, error
        assert isinstance(error["error"], str)
        assert error["error"]
        assert error["path"] is None or error["path"].startswith(("$", "?")), error
        assert snapshot(service) == before, "a rejected request changed the store"
    elif operation in WRITES:
        settle(service)


@pytest.fixture(scope="module")
def quiet(fuzzed: SessionService) -> Iterator[SessionService]:
    """The store at rest before the fuzz (whatever earlier tests queued, cancelled), and
    again after it, for the tests that come next."""
    settle(fuzzed)
    yield fuzzed
    settle(fuzzed)


@pytest.mark.parametrize(
    ("path", "method", "operation"), OPERATIONS, ids=[op for _, _, op in OPERATIONS]
)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no slow "explain"
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_no_5xx_and_rejections_write_nothing(
    api: schemathesis.BaseSchema,
    quiet: SessionService,
    export: bytes,
    path: str,
    method: str,
    operation: str,
    data: st.DataObject,
) -> None:
    mode = data.draw(st.sampled_from(list(GenerationMode)), label="mode")
    case = data.draw(cases(api, path, method, mode), label="case")
    extra = aim(data.draw, case, operation, quiet, export)
    before = snapshot(quiet)
    try:
        response = case.call(base_url=LOCAL, headers=dict(extra))
    except requests.exceptions.InvalidHeader:
        reject()  # a header value the client itself refuses to send never reaches a server
    event(f"{operation} {mode.value}: {response.status_code}")
    check(response, before, quiet, operation)


def test_every_operation_of_the_served_document_is_fuzzed(api: schemathesis.BaseSchema) -> None:
    served = {op.ok().label for op in api.get_all_operations()}
    assert served == {f"{method} {path}" for path, method, _ in OPERATIONS}
