"""GET …/models/{model}/diff/{other}.svg (issue 22): the chip diff of two models, with
REMAP's own alignment (nas_core.arch.diff) handed to snacs."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec import to_builtins
from starlette.testclient import TestClient

import snacs
from nas_core.arch.diff import Reparameterize, diff
from nas_core.arch.layers import Architecture, Conv, Dense, Dropout, Flatten, Input, MaxPool, ReLU
from remap_server.diff_api import alignment_of

TRAINED = "trained"  # the session the conftest trains
SVG = "{http://www.w3.org/2000/svg}"

image_layers = st.one_of(
    st.builds(Conv, filters=st.sampled_from([8, 16]), kernel=st.sampled_from([1, 3])),
    st.sampled_from([ReLU(), Dropout(rate=0.25), Dropout(rate=0.5)]),
)


def arch(name: str, body) -> Architecture:
    return Architecture(
        name=name,
        input=Input(shape=(1, 8, 8), classes=10),
        layers=(*body, Flatten(), Dense(units=10)),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(image_layers, max_size=6), st.lists(image_layers, max_size=6))
def test_remaps_alignment_is_what_snacs_marks(body_a, body_b):
    a, b = arch("a", body_a), arch("b", body_b)
    changes = diff(a, b)
    pairs = alignment_of(changes, len(a.layers))
    steps = snacs.compare(to_builtins(a), to_builtins(b), alignment=pairs)
    # every reparameterised layer of REMAP's list is a changed block, and nothing else is
    reparam = {c.index for c in changes if isinstance(c, Reparameterize)}
    assert {s.a for s in steps if s.kind == "changed"} == reparam
    if not changes:
        assert all(s.kind == "same" for s in steps)


def test_the_diff_route(client: TestClient) -> None:
    base = f"/api/sessions/{TRAINED}/models"
    r = client.get(f"{base}/m1/diff/m1.svg")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(r.text)
    assert root.get("class") == "snac-diff"
    assert "0 added, 0 removed, 0 changed" in root.get("aria-label")
    r = client.get(f"{base}/m1/diff/m2.svg?height=24&words=false")
    assert r.status_code == 200
    root = ET.fromstring(r.text)
    marks = [g for g in root.iter(f"{SVG}g") if "snac-mark" in g.get("class", "")]
    assert marks  # two sampled models differ
    assert client.get(f"{base}/m1/diff/m404.svg").status_code == 404
    assert client.get(f"{base}/m1/diff/m2.svg?height=abc").status_code == 400
    assert client.get(f"{base}/m1/diff/m2.svg?layout=round").status_code == 400


def test_alignment_of_a_known_change_list() -> None:
    a = arch("a", [Conv(filters=8), ReLU(), MaxPool()])
    b = arch("b", [Conv(filters=16), Dropout(rate=0.5), ReLU()])
    pairs = alignment_of(diff(a, b), len(a.layers))
    assert pairs == [(0, 0), (None, 1), (1, 2), (2, None), (3, 3), (4, 4)]


SPEC = {
    "name": "a",
    "input": {"shape": [1, 8, 8], "classes": 10},
    "layers": [{"type": "conv", "filters": 8}, {"type": "relu"}, {"type": "flatten"},
               {"type": "dense", "units": 10}],
}  # fmt: skip


def test_the_diff_of_any_two_architectures(client: TestClient) -> None:
    b = {**SPEC, "name": "b", "layers": [{"type": "conv", "filters": 16}, *SPEC["layers"][2:]]}
    r = client.post("/api/snacs/diff", json={"a": SPEC, "b": b})
    assert r.status_code == 200
    root = ET.fromstring(r.text)
    assert "0 added, 1 removed, 1 changed" in root.get("aria-label")
    bad = {**b, "layers": [{"type": "dropout", "rate": 2}]}
    r = client.post("/api/snacs/diff", json={"a": SPEC, "b": bad})
    assert r.status_code == 400
    assert r.json()["path"] == "$.b.layers[0].rate"
    r = client.post("/api/snacs/diff", json={"a": SPEC})
    assert r.status_code == 400
    assert (r.json()["error"], r.json()["path"]) == ("is required", "$.b")
