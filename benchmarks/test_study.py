"""The study of issue 21 end to end through ``remap study``: automated searches and
scripted users at equal budgets, each run a session, the table and the plot written.

Size: `REMAP_STUDY` picks it. Under ``--benchmark-disable`` (``make test``) it is tiny
(digits, 150 examples, two policies, one seed, budgets of 4 and 8 one-epoch models);
``make bench`` runs the study's small size: both tasks, all seven policies, 2 seeds,
budgets of 10 and 20 one-epoch models (the README's study is larger, see "Is the person
worth it?"). ``extra_info``: the runs, the model-epochs trained and their rate."""

from __future__ import annotations

import csv
import os
import time
import xml.etree.ElementTree as ET

import pytest

from remap_server.cli import main

pytest.importorskip("pytest_benchmark")

TINY = ["--tasks", "digits", "--policies", "evolution,user-paper", "--seeds", "1",
        "--budgets", "4,8", "--epochs", "1", "--overview", "3", "--variations", "2",
        "--limit", "150"]  # fmt: skip
SMALL = ["--seeds", "2", "--budgets", "10,20", "--epochs", "1", "--overview", "4",
         "--variations", "3", "--limit", "400"]  # fmt: skip


def disabled(config) -> bool:
    return bool(config.getoption("benchmark_disable")) and not config.getoption("benchmark_enable")


@pytest.mark.benchmark(group="study")
def test_study_writes_its_table_and_plot(benchmark, request, tmp_path, capsys) -> None:
    size = os.environ.get("REMAP_STUDY") or ("tiny" if disabled(request.config) else "small")
    args = TINY if size == "tiny" else SMALL
    rounds = iter(range(1000))

    def run():
        out = tmp_path / f"study-{next(rounds)}"
        began = time.perf_counter()
        status = main(["study", *args, "--out", str(out), "--no-progress"])
        return out, status, time.perf_counter() - began

    out, status, took = benchmark.pedantic(run, rounds=1, iterations=1)
    assert status == 0
    rows = list(csv.DictReader((out / "study.csv").read_text().splitlines()))
    runs = list(csv.DictReader((out / "study-runs.csv").read_text().splitlines()))
    policies = {r["policy"] for r in rows}
    assert len(policies) == (2 if size == "tiny" else 7)
    assert all(float(r["hv_mean"]) > 0 for r in rows)
    assert "| policy |" in (out / "study.md").read_text()
    svg = ET.parse(out / "study.svg").getroot()
    assert svg.get("data-view") == "study"
    scripted = sorted(p.name for p in (out / "sessions").iterdir())
    assert scripted
    assert all(name.endswith(".remap.jsonl") for name in scripted)
    epochs = sum(int(r["epochs_queued"]) for r in runs if r["budget"] == max(
        (r["budget"] for r in runs), key=int))  # fmt: skip
    benchmark.extra_info.update(
        runs=len(runs) // 2, model_epochs=epochs, model_epochs_per_s=epochs / took
    )
    capsys.readouterr()
