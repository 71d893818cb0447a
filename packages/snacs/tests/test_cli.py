"""The snacs command line tool."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import snacs
from snacs.cli import main


def run(argv, stdin: bytes = b""):
    """Run the real console entry point in a child process."""
    return subprocess.run(
        [sys.executable, "-c", "import sys; from snacs.cli import main; sys.exit(main())", *argv],
        input=stdin,
        capture_output=True,
        check=False,
    )


@pytest.fixture
def model(tmp_path, m17):
    path = tmp_path / "m17.json"
    path.write_text(json.dumps(m17))
    return path


def test_render_to_a_file(tmp_path, model):
    out = tmp_path / "m17.svg"
    assert main(["render", str(model), "-o", str(out)]) == 0
    assert out.read_text() == snacs.render(json.loads(model.read_text())) + "\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_render_options(tmp_path, model):
    out = tmp_path / "m17.svg"
    assert (
        main(["render", str(model), "-o", str(out), "--layout", "squished", "--height", "24"]) == 0
    )
    root = ET.fromstring(out.read_text())
    assert root.get("class") == "snac snac-squished"
    assert root.get("height") == "24"
    assert main(["render", str(model), "-o", str(out), "--width", "99", "--no-fold"]) == 0
    assert ET.fromstring(out.read_text()).get("width") == "99"


def test_render_stdin_to_stdout(m17):
    done = run(["render", "-", "-o", "-"], json.dumps(m17).encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == snacs.render(m17) + "\n"
    assert done.stderr == b""


def test_output_defaults_to_stdout(model, capsys):
    assert main(["render", str(model)]) == 0
    assert capsys.readouterr().out.startswith("<svg")


def test_bad_spec_exits_non_zero_with_the_path_and_writes_nothing(tmp_path, m17):
    m17["layers"][3]["rate"] = 1.5
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(m17))
    out = tmp_path / "out.svg"
    done = run(["render", str(bad), "-o", str(out)])
    assert done.returncode == 1
    assert done.stdout == b""
    assert done.stderr.decode() == (
        f"snacs: error: {bad}: must be at most 1.0 - at `$.layers[3].rate`\n"
    )
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def test_bad_spec_leaves_an_existing_output_untouched(tmp_path, m17, capsys):
    out = tmp_path / "out.svg"
    out.write_text("previous")
    m17["layers"][0]["filters"] = 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(m17))
    assert main(["render", str(bad), "-o", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"snacs: error: {bad}: must be at least 1 - at `$.layers[0].filters`\n"
    )
    assert out.read_text() == "previous"


def test_impossible_architecture_and_stdin_errors(m17):
    m17["layers"] = [{"type": "flatten"}, {"type": "conv", "filters": 2}]
    done = run(["render", "-"], json.dumps(m17).encode())
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "snacs: error: <stdin>: layer 1: conv after flatten needs C×H×W data, got a vector "
        "of 64 - at `$.layers[1]`\n"
    )
    done = run(["render", "-"], b"{not json")
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "snacs: error: <stdin>: is not valid JSON (at byte 1: a key must be a string in double "
        "quotes) - at `$`\n"
    )


def test_missing_file(tmp_path, capsys):
    assert main(["render", str(tmp_path / "nope.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"snacs: error: {tmp_path / 'nope.json'}: cannot read:")


def test_unwritable_output(tmp_path, model, capsys):
    assert main(["render", str(model), "-o", str(tmp_path / "no" / "dir" / "x.svg")]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_sheet(tmp_path, model, m17):
    other = tmp_path / "unnamed.json"
    m17.pop("name")
    m17["accuracy"] = 0.5
    other.write_text(json.dumps(m17))
    out = tmp_path / "sheet.svg"
    assert main(["sheet", str(model), str(other), "-o", str(out), "--title", "Two"]) == 0
    root = ET.fromstring(out.read_text())
    names = [
        "".join(e.itertext())
        for e in root.iter()
        if "snac-sheet-name" in e.get("class", "").split()
    ]
    assert names == ["m17", "unnamed"]  # a spec without a name takes its file's


def test_sheet_names_the_bad_file(tmp_path, model, m17, capsys):
    m17["layers"][5]["units"] = -1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(m17))
    out = tmp_path / "sheet.svg"
    assert main(["sheet", str(model), str(bad), "-o", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"snacs: error: {bad}: must be at least 1 - at `$.layers[5].units`\n"
    )
    assert not out.exists()


def test_legend(tmp_path):
    out = tmp_path / "legend.svg"
    assert main(["legend", "-o", str(out)]) == 0
    assert out.read_text() == snacs.legend() + "\n"


def test_keras_json_renders_from_the_cli(data_dir, capsys):
    assert main(["render", str(data_dir / "keras3_cifar_small.json")]) == 0
    assert "snac-softmax" in capsys.readouterr().out


def test_gallery(tmp_path):
    done = run(["gallery", "-o", str(tmp_path / "gallery")])
    assert done.returncode == 0, done.stderr
    index = tmp_path / "gallery" / "index.html"
    assert done.stdout.decode().strip() == str(index)
    html = index.read_text()
    assert html.count('class="snac snac-') > 30
    names = {p.name for p in (tmp_path / "gallery").iterdir()}
    for stem in snacs.examples():
        assert f"{stem}.svg" in names
        assert f"{stem}-variable.svg" in names
        assert f"{stem}-squished.svg" in names
    assert {"sheet.svg", "remap-fig7.svg", "legend.svg", "index.html"} <= names
    assert {f"remap-fig4a-h{h}.svg" for h in (16, 24, 40, 64)} <= names
    for p in (tmp_path / "gallery").glob("*.svg"):
        ET.fromstring(p.read_text())


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["render", "x.json", "--layout", "diagonal"])
    assert info.value.code == 2
    assert "invalid choice: 'diagonal'" in capsys.readouterr().err


def test_stdout_is_written_only_after_success(m17, monkeypatch):
    m17["skips"] = [[3, 1]]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(m17).encode())))
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buf)
    assert main(["render", "-"]) == 1
    assert buf.getvalue() == ""
