"""The filters of the overview and drawer (issue 22), packages/ui/src/core/filters.js,
run by node in one invocation per test:

- the URL's text round-trips: the canonical text of any clauses parses back to the same
  clauses, and any line at all (garbage included) parses without throwing into clauses
  whose canonical text reads the same again;
- a part that cannot be read gets a message naming it and what its field takes;
- `matches` agrees with a reference written here from the syntax's definition (depth =
  layers of the architecture JSON, counts per kind, kinds present, params, FLOPs, the
  three accuracies, origin, status, tags; all clauses must hold).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FILTERS = Path(__file__).resolve().parents[1] / "packages/ui/src/core/filters.js"
FIXTURE = [HealthCheck.function_scoped_fixture]
SCRIPT = f"""import * as f from {json.dumps(FILTERS.as_uri())};
let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map(([name, args]) => f[name](...args));
process.stdout.write(JSON.stringify(out));
"""

KINDS = ["conv", "maxpool", "avgpool", "dense", "dropout", "batchnorm", "relu", "tanh", "sigmoid"]
KINDS += ["flatten"]
ORIGINS = ["sampled", "ablation", "variation", "handcraft", "replicate", "continued"]
ORIGINS += ["oneshot", "imported", "auto_search"]
STATUSES = ["created", "queued", "running", "done", "failed", "cancelled"]
COUNTS = ["depth", "conv", "dense", "params", "flops"]
ACCS = ["acc", "val", "test"]


@pytest.fixture(scope="module")
def js(tmp_path_factory):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: `make test` installs it (apt-get install nodejs)")
    script = tmp_path_factory.mktemp("filters-js") / "calls.mjs"
    script.write_text(SCRIPT)

    def call(calls: list) -> list:
        done = subprocess.run(
            [node, str(script)], input=json.dumps(calls).encode(), capture_output=True,
            timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()
        return json.loads(done.stdout)

    return call


def _parse(js, *texts: str) -> list[dict]:
    return js([["parseFilter", [t]] for t in texts])


# --- clauses as the module writes them ---------------------------------------------------

count = st.integers(0, 10**9) | st.sampled_from([20_000, 1_500_000, 3_000, 2_500])
fraction = st.integers(0, 1000).map(lambda n: n / 1000)


@st.composite
def numeric(draw) -> dict:
    field = draw(st.sampled_from(COUNTS + ACCS))
    value = fraction if field in ACCS else count
    shape = draw(st.sampled_from(["range", "lo", "hi", "eq", "gt", "lt", "from", "upto"]))
    a, b = sorted([draw(value), draw(value)])
    lo, hi, lo_open, hi_open = {
        "range": (a, b, False, False),
        "eq": (a, a, False, False),
        "lo": (a, None, False, False),
        "gt": (a, None, True, False),
        "hi": (None, b, False, False),
        "lt": (None, b, False, True),
        "from": (a, None, False, False),
        "upto": (None, b, False, False),
    }[shape]
    return {"field": field, "lo": lo, "hi": hi, "loOpen": lo_open, "hiOpen": hi_open}


tag = st.text(st.characters(blacklist_categories=["Z", "C"], blacklist_characters=","), min_size=1)


def _values(field: str, values: st.SearchStrategy, most: int) -> st.SearchStrategy:
    return st.lists(values, min_size=1, max_size=most, unique=True).map(
        lambda v: {"field": field, "values": v}
    )


kind = st.builds(
    lambda k, f: {"field": f, "kind": k}, st.sampled_from(KINDS), st.sampled_from(["has", "no"])
)
words = st.one_of(
    kind,
    _values("origin", st.sampled_from(ORIGINS), 3),
    _values("status", st.sampled_from(STATUSES), 2),
    _values("tag", tag, 3),
)
clause = numeric() | words


@settings(max_examples=1, deadline=None, suppress_health_check=FIXTURE)
@given(st.lists(st.lists(clause, max_size=6), min_size=300, max_size=300))
def test_the_canonical_text_of_any_clauses_parses_back_to_them(js, lists) -> None:
    n = len(lists)
    out = js(
        [["formatFilter", [cs]] for cs in lists]
        + [["formatClause", [c]] for cs in lists for c in cs]
    )
    texts, each = out[:n], iter(out[n:])
    parsed = _parse(js, *texts)
    for cs, text, p in zip(lists, texts, parsed, strict=True):
        assert p["errors"] == [], (text, p["errors"])
        seen: dict[str, dict] = {}  # a clause said twice is said once (AND of it twice)
        for c in cs:
            seen.setdefault(next(each), c)
        assert p["clauses"] == list(seen.values()), text


ALPHABET = "depthconvdenseparamsflopsacctestvalhasnooriginstatustag:.<>=,%kMG0123456789 -_x"


@settings(max_examples=1, deadline=None, suppress_health_check=FIXTURE)
@given(st.lists(st.text(ALPHABET, max_size=40), min_size=400, max_size=400))
def test_any_line_parses_without_throwing_and_its_clauses_round_trip(js, lines) -> None:
    parsed = _parse(js, *lines)
    again = _parse(js, *js([["formatFilter", [p["clauses"]]] for p in parsed]))
    for line, p, q in zip(lines, parsed, again, strict=True):
        parts = [x for x in line.split() if x]
        assert len(p["clauses"]) + len(p["errors"]) <= len(parts)
        assert all(e["part"] in parts and e["message"] for e in p["errors"])
        assert q == {"clauses": p["clauses"], "errors": []}, line


def test_what_each_form_means(js) -> None:
    got = _parse(js, "depth:3..8 conv:>=2 params:<20k acc:>=90% flops:..1.5M test:0.9.. dense:1")
    assert got[0]["errors"] == []
    assert got[0]["clauses"] == [
        {"field": "depth", "lo": 3, "hi": 8, "loOpen": False, "hiOpen": False},
        {"field": "conv", "lo": 2, "hi": None, "loOpen": False, "hiOpen": False},
        {"field": "params", "lo": None, "hi": 20000, "loOpen": False, "hiOpen": True},
        {"field": "acc", "lo": 0.9, "hi": None, "loOpen": False, "hiOpen": False},
        {"field": "flops", "lo": None, "hi": 1_500_000, "loOpen": False, "hiOpen": False},
        {"field": "test", "lo": 0.9, "hi": None, "loOpen": False, "hiOpen": False},
        {"field": "dense", "lo": 1, "hi": 1, "loOpen": False, "hiOpen": False},
    ]
    [words] = _parse(js, "HAS:Dropout no:batchnorm origin:Variation,ablation tag:Keep,best")
    assert words["clauses"] == [
        {"field": "has", "kind": "dropout"},
        {"field": "no", "kind": "batchnorm"},
        {"field": "origin", "values": ["variation", "ablation"]},
        {"field": "tag", "values": ["Keep", "best"]},  # tags keep their case
    ]
    [text] = js(
        [["formatFilter", [_parse(js, "params:<20000 acc:>=90% flops:1500000")[0]["clauses"]]]]
    )
    assert text == "params:<20k acc:>=0.9 flops:1.5M"
    chips = js([["describeClause", [c]] for c in got[0]["clauses"][:4]])
    assert chips == ["depth 3–8", "conv layers ≥ 2", "params < 20k", "acc ≥ 90 %"]


def test_a_part_that_cannot_be_read_is_named_and_the_rest_applies(js) -> None:
    [p] = _parse(
        js, "depth:abc has:lstm conv:>=2 size:3 origin:magic acc:150% depth:8..3 params: tag"
    )
    assert p["clauses"] == [
        {"field": "conv", "lo": 2, "hi": None, "loOpen": False, "hiOpen": False}
    ]
    fields = "depth, conv, dense, params, flops, acc, val, test, has, no, origin, status, tag"
    assert p["errors"] == [
        {
            "part": "depth:abc",
            "message": "depth takes a number (20k, 1.5M) or a range: 3..8, >=2, <20k",
        },
        {
            "part": "has:lstm",
            "message": 'has: "lstm" is not a layer kind (' + ", ".join(KINDS) + ")",
        },
        {"part": "size:3", "message": f'"size" is not a field to filter by (fields: {fields})'},
        {"part": "origin:magic", "message": 'origin: "magic" is not one of ' + ", ".join(ORIGINS)},
        {
            "part": "acc:150%",
            "message": "acc takes an accuracy (0.9 or 90%) or a range: 0.8..0.95, >=90%",
        },
        {"part": "depth:8..3", "message": "depth: the range 8..3 is empty (8 is above 3)"},
        {"part": "params:", "message": "params needs a value after the colon"},
        {"part": "tag", "message": f'"tag" is not a filter: write field:value (fields: {fields})'},
    ]


# --- matching, against a reference --------------------------------------------------------


@st.composite
def model(draw) -> dict:
    layers = [{"type": k} for k in draw(st.lists(st.sampled_from(KINDS), max_size=12))]
    vals = draw(st.lists(fraction, max_size=4))
    status = draw(st.sampled_from(STATUSES))
    test = draw(fraction) if status == "done" else None
    m = {
        "id": "m",
        "arch": {"name": "m", "input": {"shape": [1, 8, 8], "classes": 10}, "layers": layers},
        "params": draw(count),
        "flops": draw(count),
        "curve": [{"val_acc": v} for v in vals],
        "result": None if test is None else {"test_acc": test},
        "status": status,
        "origin": {"type": draw(st.sampled_from(ORIGINS))},
    }
    if draw(st.booleans()):
        m["tags"] = draw(st.lists(st.sampled_from(["keep", "best", "odd"]), unique=True))
    return m


def reference(m: dict, c: dict, metric: str) -> bool:
    kinds = [layer["type"] for layer in m["arch"]["layers"]]
    vals = [e["val_acc"] for e in m["curve"]]
    value = {
        "depth": len(kinds),
        "conv": kinds.count("conv"),
        "dense": kinds.count("dense"),
        "params": m["params"],
        "flops": m["flops"],
        "acc": {"val_last": vals[-1] if vals else None, "val_best": max(vals, default=None),
                "test": m["result"]["test_acc"] if m["result"] else None}[metric],
        "val": max(vals, default=None),
        "test": m["result"]["test_acc"] if m["result"] else None,
    }  # fmt: skip
    f = c["field"]
    if f in value:
        v = value[f]
        if v is None:
            return False
        if c["lo"] is not None and (v <= c["lo"] if c["loOpen"] else v < c["lo"]):
            return False
        return not (c["hi"] is not None and (v >= c["hi"] if c["hiOpen"] else v > c["hi"]))
    if f == "has":
        return c["kind"] in kinds
    if f == "no":
        return c["kind"] not in kinds
    have = {"origin": [m["origin"]["type"]], "status": [m["status"]], "tag": m.get("tags", [])}[f]
    return any(x in have for x in c["values"])


@settings(max_examples=1, deadline=None, suppress_health_check=FIXTURE)
@given(
    st.lists(
        st.tuples(
            model(), st.lists(clause, max_size=3), st.sampled_from(["val_last", "val_best", "test"])
        ),
        min_size=150,
        max_size=150,
    )
)
def test_matches_agrees_with_the_reference(js, cases) -> None:
    got = js([["matches", [m, cs, {"metric": metric}]] for m, cs, metric in cases])
    for (m, cs, metric), ok in zip(cases, got, strict=True):
        assert ok == all(reference(m, c, metric) for c in cs), (m, cs, metric)


def test_a_model_meets_a_filter_only_when_every_clause_holds(js) -> None:
    layers = [{"type": k} for k in ["conv", "relu", "maxpool", "conv", "relu", "flatten", "dense"]]
    m = {"arch": {"layers": layers}, "params": 12_000, "flops": 900_000, "status": "done",
         "curve": [{"val_acc": 0.91}, {"val_acc": 0.88}], "result": {"test_acc": 0.9},
         "origin": {"type": "variation", "parent": "m1"}, "tags": ["keep"]}  # fmt: skip
    lines = ["depth:7 conv:2 dense:1", "has:maxpool no:dropout", "params:<20k flops:..1M",
             "acc:0.88 val:>=91% test:0.9", "origin:ablation,variation status:done tag:keep",
             "depth:7 has:dropout", "acc:>0.88", "tag:best", "params:>12k", ""]  # fmt: skip
    clauses = [p["clauses"] for p in _parse(js, *lines)]
    got = js([["matches", [m, cs, {"metric": "val_last"}]] for cs in clauses])
    assert got == [True, True, True, True, True, False, False, False, False, True]
    # no tags recorded: a tag filter matches nothing; an unknown value never matches
    untagged = {**m, "tags": None, "result": None, "curve": []}
    assert js([["matches", [untagged, clauses[i], {}]] for i in (7, 1, 3)]) == [False, True, False]
