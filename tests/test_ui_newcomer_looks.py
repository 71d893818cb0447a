"""The overview's transitions behind a newcomer's report (issue 17, item 10), run by
node: mid-replay, a model whose result arrives while it sat on the band below the
accuracy axis (no accuracy yet: drawn at "0 %") appears at its accuracy; it never
flies up from the band as a dark (accurate) dot that, with every replay step
restarting the move, stayed at 0 %. And the generate view's activation glyphs are the
SNACs' (tanh and sigmoid told apart by shape in both, item 10)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[1] / "packages" / "ui" / "src"


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not installed: `make test` installs it (apt-get install nodejs)")
    return found


def run(node: str, tmp_path: Path, body: str) -> object:
    transition = (UI / "views" / "overview" / "transition.js").as_uri()
    points = (UI / "views" / "overview" / "points.js").as_uri()
    script = tmp_path / "looks.mjs"
    script.write_text(
        f"import * as transition from {json.dumps(transition)};\n"
        f"import * as points from {json.dumps(points)};\n{body}"
    )
    done = subprocess.run([node, str(script)], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


REPLAY = """
const model = (id, params, status, curve, test) => ({
  id, params, status, curve: curve.map((v, i) => ({ epoch: i + 1, val_acc: v })),
  result: test === null ? null : { test_acc: test, per_class_acc: [] },
  finished_at: test === null ? null : "2026-01-01T00:01:00Z",
});
const state = (models) => ({
  created_at: "2026-01-01T00:00:00Z", embeddings: {}, drawer: [],
  models: new Map(models.map((m) => [m.id, m])),
});
// the replay's steps: m3 waits, trains (no epoch yet), then its result arrives at once
const steps = [
  state([model("m1", 500, "done", [0.5, 0.6], 0.6), model("m2", 5000, "done", [0.7, 0.8], 0.8),
         model("m3", 50000, "queued", [], null)]),
  state([model("m1", 500, "done", [0.5, 0.6], 0.6), model("m2", 5000, "done", [0.7, 0.8], 0.8),
         model("m3", 50000, "running", [], null)]),
  state([model("m1", 500, "done", [0.5, 0.6], 0.6), model("m2", 5000, "done", [0.7, 0.8], 0.8),
         model("m3", 50000, "done", [0.85, 0.95], 0.94)]),
];
let previous = null;
let current = { u: new Float32Array(0), v: new Float32Array(0), a: new Float32Array(0) };
const frames = [];
for (const s of steps) {
  const next = transition.rebuild(s, previous, current, "accuracy", null, 10, false, input);
  const i = next.models.index.get("m3");
  // the transition's first frame, a frame a third in (a replay step comes then), its end
  const out = { u: new Float32Array(next.models.n), v: new Float32Array(next.models.n),
                a: new Float32Array(next.models.n) };
  const seen = [];
  for (const t of [0, 0.33, 1]) {
    transition.interpolate(next.from, next.layout, next.ta, t, out);
    seen.push({ v: out.v[i], a: out.a[i] });
  }
  frames.push({ pending: next.models.pending[i], target: next.layout.v[i], seen });
  previous = next.models;
  current = { u: out.u.slice(), v: out.v.slice(), a: out.a.slice() };
  // the replay's next step lands a third into this transition
  transition.interpolate(next.from, next.layout, next.ta, 0.33, current);
}
console.log(JSON.stringify({ frames, band: points.BAND, top: points.BAND_TOP }));
"""


@pytest.mark.parametrize("metric", ["val_last", "val_best", "test"])
def test_a_result_arriving_mid_replay_is_drawn_at_its_accuracy_not_at_0(
    node, tmp_path, metric
) -> None:
    out = run(node, tmp_path, f"const input = {json.dumps(metric)};\n{REPLAY}")
    waiting, running, arrived = out["frames"]
    # before its result m3 sits on the band (hollow: pending)
    assert waiting["pending"] == running["pending"] == 1
    assert waiting["target"] == pytest.approx(out["band"])
    # its result arrives: filled, and at its accuracy from the first frame on
    assert arrived["pending"] == 0
    assert arrived["target"] > out["top"]
    for frame in arrived["seen"]:
        assert frame["v"] == pytest.approx(arrived["target"], abs=1e-6), frame
        assert frame["a"] == pytest.approx(1.0)


def test_the_generate_views_glyphs_are_the_snacs_ones() -> None:
    """The generate view draws its layer cells' activation glyphs itself: the same
    paths as the SNACs (tanh and sigmoid told apart the same way in both)."""
    from snacs._style import GLYPHS

    text = (UI / "views" / "generate" / "layers.js").read_text()
    block = re.search(r"export const GLYPHS = \{(.*?)\};", text, re.S).group(1)
    js = {
        name: (axis, curve)
        for name, axis, curve in re.findall(r'(\w+): \["([^"]*)", "([^"]*)"\]', block)
    }
    assert js == GLYPHS
