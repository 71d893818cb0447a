"""A hypothesis run over command bodies: whatever a client sends, the answer is never a
5xx, and a rejected command leaves the store exactly as it was."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from nas_core.events import Cancel
from nas_core.service import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig

SESSION = "fuzz"

models = st.sampled_from(["m1", "m2", "m99", "", "x" * 70]) | st.text(max_size=5)
ints = st.integers(-3, 12) | st.sampled_from([1001, 2**63, -(2**63)])
small = st.integers(-1, 3)
anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
layer = st.fixed_dictionaries(
    {"type": st.sampled_from(["conv", "dense", "relu", "dropout", "maxpool", "flatten", "x"])},
    optional={
        "filters": ints,
        "units": ints,
        "kernel": st.sampled_from([1, 3, 5, 7]),
        "rate": st.floats(-1, 2),
        "pool": small,
    },
)
edit = st.fixed_dictionaries(
    {"op": st.sampled_from(["insert", "remove", "reparam", "swap"]), "index": ints},
    optional={
        "layer": layer,
        "field": st.sampled_from(["filters", "units", "rate", "nope"]),
        "value": ints | st.floats(-1, 2),
    },
)
kinds = st.sampled_from(["prepend", "remove", "replace", "reparameterize", "x"])
optional_id = {"id": st.text(max_size=6) | st.sampled_from(["fz-1", "fz-2"])}


def command(kind: str, fields: dict) -> st.SearchStrategy:
    return st.fixed_dictionaries({"type": st.just(kind), **fields}, optional=optional_id)


structured = st.one_of(
    command("sample", {"count": small, "seed": st.none() | ints}),
    command("ablate", {"model": models, "indices": st.lists(ints, max_size=3)}),
    command(
        "vary",
        {
            "model": models,
            "count": small,
            "allowed": st.none()
            | st.dictionaries(
                st.sampled_from(["0", "1", "9", "-1", "a"]), st.lists(kinds, max_size=3), max_size=2
            ),
            "max_changes": ints,
        },
    ),
    command("handcraft", {"model": models, "edits": st.lists(edit, max_size=2)}),
    command("enqueue", {"models": st.lists(models, max_size=3)}),
    command("reorder", {"order": st.lists(models, max_size=3)}),
    command("cancel", {"model": models}),
    command("drawer_add", {"models": st.lists(models, max_size=3)}),
    command("drawer_remove", {"models": st.lists(models, max_size=3)}),
    command(
        "change_view",
        {
            "projection": st.sampled_from(["accuracy", "structure", "x"]),
            "selected_class": st.none() | ints,
        },
    ),
    command(
        "create_session",
        {
            "name": st.text(max_size=4),
            "data": st.fixed_dictionaries(
                {},
                optional={
                    "kind": st.sampled_from(["digits", "npz"]),
                    "path": st.sampled_from(["../x", "/etc/passwd", "a.npz"]),
                },
            ),
        },
    ),
)
bodies = (
    structured.map(lambda d: json.dumps(d).encode())
    | anything.map(lambda d: json.dumps(d).encode())
    | st.binary(max_size=40)
)


@pytest.fixture(scope="module")
def fuzzed(service: SessionService) -> SessionService:
    service.create_session(
        "fuzz",
        DataSpec(limit=200),
        Settings(train=TrainConfig(epochs=1)),
        session=SESSION,
        command_id="create",
    )
    service.start(SESSION, 2, seed=5)
    service.wait_idle(SESSION, timeout_s=120)
    return service


def snapshot(service: SessionService):
    return service.store.sessions(), service.store.read_rows(SESSION)


def settle(service: SessionService) -> None:
    """Stop whatever an accepted command queued, so the next snapshot holds still."""
    state = service.state(SESSION)
    for m in state.models.values():
        if m.status in ("queued", "running"):
            service.execute(SESSION, Cancel(model=m.id))
    service.wait_idle(SESSION, timeout_s=60)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, key=st.none() | st.sampled_from(["fz-1", "bad key", "k2"]))
def test_no_5xx_and_rejections_write_nothing(
    client: TestClient, fuzzed: SessionService, body: bytes, key: str | None
) -> None:
    before = snapshot(fuzzed)
    headers = {} if key is None else {"Idempotency-Key": key}
    r = client.post(f"/api/sessions/{SESSION}/commands", content=body, headers=headers)
    assert r.status_code < 500, r.text
    event(f"status {r.status_code}")
    if r.status_code >= 400:
        error = r.json()
        assert set(error) == {"error", "path", "line"}
        assert error["error"]
        assert snapshot(fuzzed) == before
    else:
        assert r.status_code == 202
        settle(fuzzed)
