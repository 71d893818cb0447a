"""The queue view's times (issue 17: 194 queued models estimated "≈ 18 min" took ≈ 6
min): with `concurrency` trainings side by side each queued model takes the slot that
frees first, and the total is when the last one ends, not a sum of single-model times.
packages/ui/src/views/queue/schedule.js, run by node against a reference here."""

from __future__ import annotations

import heapq
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SCHEDULE = Path(__file__).resolve().parents[1] / "packages/ui/src/views/queue/schedule.js"


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not installed: `make test` installs it (apt-get install nodejs)")
    return found


def schedule(node: str, tmp_path: Path, cases: list) -> list:
    """`schedule(running, queued, slots)` of each case, as node computes it."""
    script = tmp_path / "schedule.mjs"
    script.write_text(
        f"import {{ schedule }} from {json.dumps(SCHEDULE.as_uri())};\n"
        f"const cases = {json.dumps(cases)};\n"
        "console.log(JSON.stringify(cases.map(([r, q, s]) => schedule(r, q, s))));\n"
    )
    done = subprocess.run([node, str(script)], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def reference(running: list, queued: list, slots: int) -> dict:
    """The same plan by a heap: unknown times hold their slot for good (starts), or are
    left out (the total)."""
    n = max(1, slots, len(running))

    def slots_of(unknown: float) -> list[float]:
        free = [unknown if r is None else r for r in running]
        return free + [0.0] * (n - len(free))

    free = slots_of(float("inf"))
    heapq.heapify(free)
    starts = []
    for estimate in queued:
        at = heapq.heappop(free)
        heapq.heappush(free, at + (float("inf") if estimate is None else estimate))
        starts.append(None if at == float("inf") else at)
    free = slots_of(0.0)
    heapq.heapify(free)
    total = None
    for estimate in queued:
        if estimate is not None:
            at = heapq.heappop(free)
            heapq.heappush(free, at + estimate)
            total = max(total or 0.0, at + estimate)
    return {"starts": starts, "total": total}


def test_a_queue_on_three_processes_takes_a_third_of_its_sum(node, tmp_path) -> None:
    [plan] = schedule(node, tmp_path, [[[], [5.5] * 194, 3]])
    assert plan["total"] == pytest.approx(5.5 * 65)  # 194 = 3 · 64 + 2: 65 rounds
    assert plan["starts"][:4] == [0, 0, 0, 5.5]


def test_running_models_hold_their_slots_for_their_time_left(node, tmp_path) -> None:
    [plan, unknown] = schedule(
        node, tmp_path, [[[4.0, 1.0], [2.0, 2.0, 2.0], 2], [[None], [3.0, 3.0], 2]]
    )
    assert plan == {"starts": [1.0, 3.0, 4.0], "total": 6.0}
    # a running model of unknown time left: its slot is taken for good, the other works
    # on; the total leaves the unknown out, as if both slots were free
    assert unknown == {"starts": [0, 3.0], "total": 3.0}


values = st.one_of(st.none(), st.integers(0, 1000).map(float))


@settings(
    max_examples=1, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.lists(values, max_size=4), st.lists(values, max_size=12), st.integers(1, 5)),
        min_size=200,
        max_size=200,
    )
)
def test_the_plan_agrees_with_the_reference(node, tmp_path, cases) -> None:
    got = schedule(node, tmp_path, [list(c) for c in cases])
    assert got == [reference(*c) for c in cases]
