"""``remap study``'s outputs and refusals (issue 21), without training: the markdown
table (best hypervolume in bold, the smallest model reaching 90 % of the best), the CSV
and the plot (one line per policy, per task), from rows made here; a bad option is
refused with its name before anything is written."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from nas_core.study import Row, StudySpec
from remap_server.cli import main
from remap_server.cli_study import markdown_table, rows_csv
from remap_server.figures.study import study_svg


def _row(task, budget, policy, hv, reached=2, small=3.0):
    return Row(task, budget, policy, 2, hv, 0.1, 0.9, 0.01, 0.85, reached,
               small if reached else None, 0.1 if reached else None, 12.0)  # fmt: skip


ROWS = [
    _row("digits", 10, "evolution", 2.0), _row("digits", 10, "user-paper", 2.5),
    _row("digits", 20, "evolution", 2.6), _row("digits", 20, "user-paper", 2.4, reached=1),
    _row("noisy-digits", 10, "evolution", 1.0, reached=0),
    _row("noisy-digits", 10, "user-paper", 1.2),
    _row("noisy-digits", 20, "evolution", 1.3), _row("noisy-digits", 20, "user-paper", 1.1),
]  # fmt: skip
SPEC = StudySpec(budgets=(10, 20), policies=("evolution", "user-paper"))


def test_the_table_bolds_the_best_of_each_budget() -> None:
    table = markdown_table(ROWS, SPEC)
    assert "| user-paper | **2.500 ± 0.100** | 2.400 ± 0.100 | 1k ×/÷ 1.3 (1/2) |" in table
    assert "| evolution | 2.000 ± 0.100 | **2.600 ± 0.100** | 1k ×/÷ 1.3 |" in table
    assert "**noisy-digits**" in table
    assert "| evolution | 1.000 ± 0.100 | **1.300 ± 0.100** |" in table


def test_the_csv_has_a_line_per_row() -> None:
    lines = list(csv.DictReader(io.StringIO(rows_csv(ROWS))))
    assert len(lines) == len(ROWS)
    assert lines[4]["smallest_log10_params_mean"] == ""  # none reached it
    assert float(lines[1]["hv_mean"]) == 2.5


def test_the_plot_draws_each_policy_in_each_task() -> None:
    svg = ET.fromstring(study_svg(ROWS))
    ns = {"s": "http://www.w3.org/2000/svg"}
    panels = svg.findall("s:g[@class='study-panel']", ns)
    assert [p.get("data-task") for p in panels] == ["digits", "noisy-digits"]
    for panel in panels:
        lines = panel.findall("s:g[@class='study-line']", ns)
        assert [g.get("data-policy") for g in lines] == ["evolution", "user-paper"]
        assert all(len(g.findall("s:circle", ns)) == 2 for g in lines)


def test_a_bad_option_is_refused_before_anything_is_written(tmp_path, capsys) -> None:
    out = tmp_path / "s"
    assert main(["study", "--tasks", "mnist", "--out", str(out)]) == 2
    assert "--tasks: no task 'mnist'" in capsys.readouterr().err
    assert main(["study", "--budgets", "2", "--epochs", "3", "--out", str(out)]) == 2
    assert "smallest budget (2)" in capsys.readouterr().err
    assert not out.exists()
