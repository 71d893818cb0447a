"""`remap import` of a session file that is not UTF-8, or nests JSON too deeply: a
one-line error naming the file and line, a non-zero exit code, no traceback (issue 9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import snacs
from nas_core.events import SessionFileError, read_session_file

HEADER = (
    b'{"format": "remap-session", "format_version": 1, "session": "s", "name": "n", '
    b'"exported_at": "2025-01-01T00:00:00.000Z", "last_seq": 1}\n'
)
DEEP = b"[" * 200_000 + b"]" * 200_000

CASES = {
    "bad UTF-8 in the header": (b'{"format": "\xff\xfe"}\n', 1, "not UTF-8"),
    "deep JSON header": (DEEP + b"\n", 1, "the header line must be an object, not a list"),
    "bad UTF-8 in an event": (HEADER + b'{"seq": 1, "id": "\xc3\x28"}\n', 2, "not UTF-8"),
    "deep JSON in an event": (HEADER + b'{"seq": 1, "event": ' + DEEP + b"}\n", 2, "too deeply"),
}


@pytest.mark.parametrize("case", CASES)
def test_read_session_file_names_the_line(case: str) -> None:
    data, line, words = CASES[case]
    with pytest.raises(SessionFileError, match=f"line {line}: .*{words}"):
        read_session_file(data)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'{"name": "\xff"}', "not UTF-8"),
        (DEEP, "too deeply"),
        (b'{"a": ' * 200_000, "too deeply"),
        (DEEP.decode(), "too deeply"),
    ],
)
def test_snacs_decode_raises_spec_error_at_the_root(data, words: str) -> None:
    with pytest.raises(snacs.SpecError, match=words) as caught:
        snacs.decode(data)
    assert caught.value.path == "$"


@pytest.mark.slow
@pytest.mark.parametrize("case", ["bad UTF-8 in an event", "deep JSON in an event"])
def test_remap_import_prints_one_line(case: str, tmp_path: Path) -> None:
    data, line, words = CASES[case]
    path = tmp_path / "bad.remap.jsonl"
    path.write_bytes(data)
    env = {k: v for k, v in os.environ.items() if k not in ("REMAP_TOKEN", "REMAP_DATA_DIR")}
    done = subprocess.run(
        [sys.executable, "-m", "remap_server.cli", "import", str(path),
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"line {line}" in lines[0]
    assert words in lines[0]
