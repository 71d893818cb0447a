"""The UI's pure logic behind the newcomer's report (issue 17), run by node: which
accuracy a number is and its Wilson interval (item 1), the search view's time ticks and
idle gaps (item 2), the generate view's architecture check against nas_core (items 4
and 8: invalid ablations and a handcraft's cost), and the initial sample's progress
line (item 11)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nas_core.arch import ArchitectureError, Limits, decode_architecture, validate

UI = Path(__file__).resolve().parents[1] / "packages" / "ui" / "src"


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not installed: `make test` installs it (apt-get install nodejs)")
    return found


def run(node: str, tmp_path: Path, body: str, data: object = None) -> object:
    """Run `body` (an ES module body with `input` bound to `data`) and return what it
    prints as JSON. Modules of packages/ui/src are imported by their path under it."""
    imports = {
        "metrics": UI / "core" / "metrics.js",
        "progress": UI / "core" / "progress.js",
        "scales": UI / "views" / "overview" / "scales.js",
        "points": UI / "views" / "overview" / "points.js",
        "check": UI / "views" / "generate" / "arch-check.js",
    }
    head = "".join(f"import * as {k} from {json.dumps(p.as_uri())};\n" for k, p in imports.items())
    script = tmp_path / "logic.mjs"
    script.write_text(f"{head}const input = {json.dumps(data)};\n{body}")
    done = subprocess.run([node, str(script)], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def model(curve: list[float], test: float | None) -> dict:
    epochs = [{"epoch": i + 1, "val_acc": v} for i, v in enumerate(curve)]
    return {"id": "m1", "curve": epochs, "result": None if test is None else {"test_acc": test}}


def test_each_metric_is_its_own_number_with_a_wilson_interval(node, tmp_path) -> None:
    m = model([0.80, 0.917, 0.912], 0.911)
    out = run(
        node,
        tmp_path,
        """
        const split = { train: 1000, val: 216, test: 360 };
        const state = { split, models: new Map([["m1", input]]) };
        const keys = ["val_last", "val_best", "test"];
        console.log(JSON.stringify({
          values: keys.map((k) => metrics.metricValue(input, k)),
          described: keys.map((k) => metrics.describeAccuracy(state, input, k)),
          wilson: metrics.wilson(0.9, 216),
          best: metrics.bestBy(state, "val_best"),
          labels: keys.map((k) => metrics.METRICS[k].label),
        }));
        """,
        m,
    )
    assert out["values"] == [0.912, 0.917, 0.911]
    # the interval of 90 % on 216 examples (Wilson, z = 1.96)
    p, n, z = 0.9, 216, 1.96
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert out["wilson"] == pytest.approx([centre - half, centre + half])
    val_last, _, test = out["described"]
    assert val_last["text"] == "91.2 %"
    assert val_last["n"] == 216
    assert test["n"] == 360  # the test figure's interval uses the test split's size
    assert "216 val examples" in val_last["title"]
    assert "noise" in val_last["title"]
    assert val_last["ci"] != test["ci"]
    assert out["best"] == {"id": "m1", "value": 0.917}
    assert out["labels"] == ["val acc, last epoch", "val acc, best epoch", "test acc"]


def test_a_model_without_results_has_no_test_figure(node, tmp_path) -> None:
    out = run(
        node,
        tmp_path,
        """console.log(JSON.stringify([metrics.metricValue(input, "test"),
            metrics.metricValue(input, "val_last"), metrics.wilson(0.5, null)]));""",
        model([0.5], None),
    )
    assert out == [None, 0.5, None]


def test_time_ticks_fall_on_round_values_of_the_unit_they_are_labelled_in(node, tmp_path) -> None:
    out = run(
        node,
        tmp_path,
        "console.log(JSON.stringify(input.map(([a, b]) => scales.timeTicks(a, b, 6))));",
        [[0, 110], [0, 2700], [0, 5 * 3600]],
    )
    seconds, minutes, hours = out
    assert [label for _, label in seconds][:3] == ["0 s", "20 s", "40 s"]
    assert "100 s" in [label for _, label in seconds]  # not "2 min"
    for value, label in minutes:
        number, unit = label.split()
        assert unit == "min"
        assert float(number) % 5 == 0
        assert value == float(number) * 60
    assert all(label.endswith(" h") for _, label in hours)


def test_idle_gaps_are_found_and_the_rolling_band_breaks_across_them(node, tmp_path) -> None:
    # 20 models a few seconds apart, 30 idle minutes, 20 more
    times = [5.0 * i for i in range(20)] + [95.0 + 1800 + 5.0 * i for i in range(20)]
    out = run(
        node,
        tmp_path,
        """
        const n = input.length;
        const models = { n, acc: Float32Array.from(input.map((_, i) => 0.5 + (i % 5) / 10)),
                         finishedS: Float32Array.from(input) };
        const u = Float32Array.from(input.map((t) => t / 3000));
        const v = new Float32Array(n).fill(0.5);
        const live = new Uint8Array(n).fill(1);
        const id = { to: (x) => x, from: (x) => x };
        const sx = { to: (t) => t / 3000, from: (x) => x * 3000 };
        const lines = points.searchLines(models, u, v, live, id, 5, sx);
        const segments = lines.rolling.map((s) => s.length);
        console.log(JSON.stringify({ gaps: scales.idleGaps(input), segments, marked: lines.gaps }));
        """,
        times,
    )
    assert out["gaps"] == [[95.0, 1895.0]]
    assert out["segments"] == [20, 20]  # no band drawn across the idle half hour
    (gap,) = out["marked"]
    assert gap[2] == 1800


def test_the_sample_progress_line_counts_and_estimates(node, tmp_path) -> None:
    start = "2024-01-01T00:00:00Z"
    models = []
    for i in range(10):
        done = i < 4
        models.append(
            {
                "id": f"m{i + 1}",
                "origin": {"type": "sampled", "batch": "b1"},
                "status": "done" if done else "queued",
                "started_at": start if i == 0 else None,
                "finished_at": f"2024-01-01T00:00:{10 * (i + 1):02d}Z" if done else None,
            }
        )
    models.append({"id": "m11", "origin": {"type": "ablation"}, "status": "queued"})
    out = run(
        node,
        tmp_path,
        """
        const state = { models: new Map(input.map((m) => [m.id, m])) };
        const now = Date.parse("2024-01-01T00:00:40Z");
        const all = { models: new Map(input.map((m) => [m.id, { ...m, status: "done" }])) };
        console.log(JSON.stringify([progress.sampleProgress(state, now),
          progress.sampleProgress(state, null), progress.sampleProgress(all, now)]));
        """,
        models,
    )
    # 4 trained in 40 s: 6 more take about 60 s
    assert out == ["4/10 trained, about 60 s left", "4/10 trained", None]


LAYER = st.one_of(
    st.builds(
        lambda f, k, s: {"type": "conv", "filters": f, "kernel": k, "stride": s},
        st.sampled_from([4, 8, 16]),
        st.sampled_from([3, 5, 7]),
        st.sampled_from([1, 2]),
    ),
    st.builds(
        lambda t, p: {"type": t, "pool": p},
        st.sampled_from(["maxpool", "avgpool"]),
        st.sampled_from([2, 3, 5]),
    ),
    st.builds(lambda u: {"type": "dense", "units": u}, st.sampled_from([10, 16, 64, 300])),
    st.builds(lambda r: {"type": "dropout", "rate": r}, st.sampled_from([0.25, 0.5])),
    st.sampled_from([{"type": t} for t in ("batchnorm", "flatten", "relu", "tanh", "sigmoid")]),
)
ARCHS = st.lists(st.lists(LAYER, max_size=9), min_size=25, max_size=25)
LIMITS = {"max_params": 20_000, "max_depth": 7, "max_flops": 400_000}


def python_check(layers: list[dict]) -> dict:
    spec = {"name": "x", "input": {"shape": [1, 8, 8], "classes": 10}, "layers": layers}
    arch = decode_architecture(msgspec.json.encode(spec))
    try:
        infos = validate(arch, Limits(**LIMITS))
    except ArchitectureError as exc:
        return {"error": exc.reason}
    return {"params": sum(i.params for i in infos), "flops": sum(i.flops for i in infos)}


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ARCHS)
def test_the_client_architecture_check_agrees_with_nas_core(node, tmp_path, archs) -> None:
    # a valid tail often enough: flatten + the classifier
    archs = [[*a, {"type": "flatten"}, {"type": "dense", "units": 10}] if i % 2 else a
             for i, a in enumerate(archs)]  # fmt: skip
    out = run(
        node,
        tmp_path,
        """console.log(JSON.stringify(input.archs.map((layers) =>
            check.checkArch({ shape: [1, 8, 8], classes: 10 }, layers, input.limits))));""",
        {"archs": archs, "limits": LIMITS},
    )
    for layers, js in zip(archs, out, strict=True):
        py = python_check(layers)
        if "error" in py:
            assert js["error"] is not None, (layers, py)
        else:
            assert js["error"] is None, (layers, js)
            assert (js["params"], js["flops"]) == (py["params"], py["flops"])


def test_ablations_that_would_be_invalid_are_named(node, tmp_path) -> None:
    layers = [
        {"type": "conv", "filters": 8, "kernel": 3, "stride": 1},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "dense", "units": 10},
    ]
    out = run(
        node,
        tmp_path,
        """const input8 = { shape: [1, 8, 8], classes: 10 };
        console.log(JSON.stringify(check.ablationProblems(input8, input)));""",
        layers,
    )
    assert out[0] is None
    assert out[1] is None
    assert "flatten" in out[2]  # a dense needs a flatten before it
    assert "classifier" in out[3]
