"""The `remap` command end to end: `demo` and `new` in subprocesses (real training), and
sessions / export / import / replay / reexecute on the store they leave."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from nas_core.events import EventStore
from remap_server.cli import main

REMAP = [sys.executable, "-m", "remap_server.cli"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REMAP_TOKEN", "REMAP_DATA_DIR")}
    env["REMAP_DATA_DIR"] = str(data_dir)  # the default --data-dir
    return env


def test_demo_end_to_end(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*REMAP, "demo", "--models", "6", "--epochs", "1", "--limit", "200", "--port", "0",
         "--no-open", "--processes", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path),
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        line = lines.get(timeout=60)
        assert "REMAP is running at http://127.0.0.1:" in line
        url = line.split(" at ", 1)[1].split()[0]
        base = url.split("?")[0]
        assert url.endswith("?session=demo-digits")
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=base, timeout=10) as c:
            while True:
                state = c.get("/api/sessions/demo-digits/state").json()
                models = state["models"].values()
                done = [m for m in models if m["status"] == "done"]
                placed = [len(v) for v in state["embeddings"].values()]
                if len(models) == 6 and len(done) == 6 and placed == [6, 6]:
                    break
                assert time.monotonic() < deadline, f"not done: {[m['status'] for m in models]}"
                time.sleep(0.3)
            assert c.get("/").status_code == 200
            last = state["last_seq"]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "stopped; the session is kept" in err
    with EventStore(tmp_path / "remap.db") as store:  # nothing lost on Ctrl-C
        assert store.last_seq("demo-digits") >= last
    # run again: it resumes the same session rather than making another
    status = main(["sessions", "--json", "--data-dir", str(tmp_path)])
    assert status == 0


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """`remap new --models 3 --epochs 1`: its data folder, stdout and session id."""
    data_dir = tmp_path_factory.mktemp("new")
    done = subprocess.run(
        [*REMAP, "new", "--models", "3", "--epochs", "1", "--limit", "200", "--seed", "2",
         "--processes", "1", "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=120, env=_env(data_dir),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout.strip().splitlines()
    return data_dir, done.stdout, out[-1]


def test_new_prints_a_summary_and_the_session_id(made) -> None:
    data_dir, out, session = made
    assert "3 models, 3 trained" in out
    assert "best accuracy: m" in out
    assert "smallest on the Pareto front: m" in out
    with EventStore(data_dir / "remap.db") as store:
        assert store.session(session) is not None


def test_sessions_export_import_replay(made, tmp_path: Path, capsys) -> None:
    data_dir, _, session = made
    assert main(["sessions", "--data-dir", str(data_dir)]) == 0
    assert session in capsys.readouterr().out
    file = tmp_path / "s.remap.jsonl"
    assert main(["export", session, "-o", str(file), "--data-dir", str(data_dir)]) == 0
    assert file.read_bytes().startswith(b'{"format":"remap-session"')
    assert main(["export", "nobody", "-o", str(file), "--data-dir", str(data_dir)]) == 1
    assert "no session 'nobody'" in capsys.readouterr().err
    other = tmp_path / "other"
    assert main(["import", str(file), "--data-dir", str(other)]) == 0
    assert capsys.readouterr().out.strip() == session
    assert main(["replay", str(file)]) == 0
    table = capsys.readouterr().out
    assert "m1" in table
    assert "done" in table
    assert main(["replay", str(file), "--to", "1", "--json"]) == 0
    state = json.loads(capsys.readouterr().out)
    assert state["last_seq"] == 1
    assert state["models"] == {}
    assert main(["replay", str(file), "--to", "100000"]) == 2
    bad = tmp_path / "bad.remap.jsonl"
    bad.write_text("nonsense\n")
    assert main(["replay", str(bad)]) == 1
    assert "line 1" in capsys.readouterr().err


def test_reexecute_reproduces_the_session(made, tmp_path: Path, capsys) -> None:
    data_dir, _, session = made
    file = tmp_path / "s.remap.jsonl"
    assert main(["export", session, "-o", str(file), "--data-dir", str(data_dir)]) == 0
    capsys.readouterr()
    status = main(["reexecute", str(file), "--processes", "1", "--no-progress",
                   "--data-dir", str(tmp_path / "rerun")])  # fmt: skip
    out = capsys.readouterr().out
    assert "architectures: 3 of 3 match; metrics: 3 of 3 match" in out, out
    assert status == 0


def test_usage_errors_exit_2(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--models", "0"])
    assert exc.value.code == 2
    assert main(["worker", "--broker", "http://nope"]) == 2
    assert "unsupported scheme" in capsys.readouterr().err
    assert main(["new", "--data", str(tmp_path / "missing.npz"), "--data-dir", str(tmp_path)]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
