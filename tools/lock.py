"""The locked Python environment: make it, check it is current, hold a venv to it.

    python3 tools/lock.py compile [-o FILE] [--upgrade] [--lowest]   # `make lock`
    python3 tools/lock.py check                                      # part of `make test`
    python3 tools/lock.py exact VENV_PYTHON [LOCK]                   # after an install

The lock (requirements.lock) pins every package of the environment, transitive ones
included, at one version with its hashes; `make` installs it with pip in hash-checking
mode. It is compiled by uv (`uv pip compile --generate-hashes`) from requirements.in: our
packages' pyproject.toml files and the dev tools of requirements-dev.txt. The lock's
header records a digest of what it was compiled from, so `check` can say, without a
registry, that an input changed since. This script runs on the system's python3 (3.11+,
standard library only): it must work before any venv exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUT = ROOT / "requirements.in"
DEV = ROOT / "requirements-dev.txt"
LOCK = ROOT / "requirements.lock"
DIGEST = "# input-digest: "


def _packages() -> list[Path]:
    return sorted(p.parent for p in (ROOT / "packages").glob("*/pyproject.toml"))


def _requirement_lines(path: Path) -> list[str]:
    """The lines of a requirements file that say something (comments and blanks go)."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def _pyproject_inputs(package: Path) -> dict:
    data = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))
    project = data.get("project", {})
    return {
        "name": project.get("name"),
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "build-system": data.get("build-system", {}).get("requires", []),
    }


def inputs() -> dict[str, object]:
    """What the lock depends on, by file: only the parts that change a resolution."""
    found: dict[str, object] = {
        "requirements.in": _requirement_lines(INPUT),
        "requirements-dev.txt": _requirement_lines(DEV),
    }
    for package in _packages():
        found[str(package.relative_to(ROOT) / "pyproject.toml")] = _pyproject_inputs(package)
    return found


def _digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _header(found: dict[str, object]) -> list[str]:
    lines = [DIGEST + _digest(found)]
    lines += [f"#   {name}: {_digest(value)}" for name, value in sorted(found.items())]
    return lines


def _recorded(lock: Path) -> dict[str, str]:
    recorded = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"#   (\S+): ([0-9a-f]{16})", line)
        if m:
            recorded[m[1]] = m[2]
    return recorded


def check(lock: Path = LOCK) -> str | None:
    """None when the lock is current, else one line saying what changed and what to do."""
    if not lock.exists():
        return f"{lock.name} is missing: run `make lock`"
    found = inputs()
    recorded = _recorded(lock)
    if not recorded:
        return f"{lock.name} has no input digest (not made by `make lock`): run `make lock`"
    changed = sorted(
        n
        for n in found.keys() | recorded.keys()
        if recorded.get(n) != (_digest(found[n]) if n in found else None)
    )
    missing = [n for n in _packages_in_input() if n not in {p.name for p in _packages()}]
    if missing:
        return f"requirements.in names packages/{missing[0]}, which has no pyproject.toml"
    unlisted = [p.name for p in _packages() if p.name not in _packages_in_input()]
    if unlisted:
        return f"requirements.in does not list packages/{unlisted[0]}: add it, then `make lock`"
    if changed:
        return (
            f"{lock.name} is stale: {', '.join(changed)} changed since it was made; run `make lock`"
        )
    return None


def _packages_in_input() -> list[str]:
    names = []
    for line in _requirement_lines(INPUT):
        m = re.fullmatch(r"-e\s+\.?/?packages/([^/\s]+)/?", line)
        if m:
            names.append(m[1])
    return names


def _find_links() -> list[str]:
    """The folders of wheels pip is set up to look in (torch's CPU build lies there)."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    ).stdout
    links = []
    for line in out.splitlines():
        m = re.match(r"[^=]*find-links='(.*)'", line)
        if m:
            links += [x for x in m[1].split() if x not in links]
    return links


def _uv() -> str:
    """uv at the version requirements-dev.txt pins: the venv's, else a private one."""
    pin = next(line for line in _requirement_lines(DEV) if line.startswith("uv=="))
    version = pin.split("==", 1)[1]
    for candidate in (ROOT / ".venv/bin/uv", ROOT / "out/lock-tool/bin/uv"):
        if candidate.exists():
            got = subprocess.run([candidate, "--version"], capture_output=True, text=True)
            if got.stdout.split()[1:2] == [version]:
                return str(candidate)
    tool = ROOT / "out/lock-tool"
    subprocess.run([sys.executable, "-m", "venv", "--clear", tool], check=True)
    subprocess.run([tool / "bin/python", "-m", "pip", "install", "-q", pin], check=True)
    return str(tool / "bin/uv")


def compile_lock(output: Path, upgrade: bool, lowest: bool) -> None:
    own = [_pyproject_inputs(p)["name"] for p in _packages()]
    scratch = output.with_name(output.name + ".new")
    if LOCK.exists() and not (upgrade or lowest):
        scratch.write_text(LOCK.read_text(encoding="utf-8"), encoding="utf-8")  # keep pins
    else:
        scratch.unlink(missing_ok=True)
    cmd = [
        _uv(),
        "pip",
        "compile",
        str(INPUT.relative_to(ROOT)),
        "--generate-hashes",
        "--python-version",
        "3.11",
        "--custom-compile-command",
        "make lock",
        "--no-header",
        "--quiet",
        "--output-file",
        str(scratch),
    ]
    for link in _find_links():
        cmd += ["--find-links", link]
    for name in own:
        cmd += ["--no-emit-package", name]
    if lowest:
        cmd += ["--resolution", "lowest-direct"]
    env = dict(os.environ, UV_NO_CONFIG="1")
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        scratch.unlink(missing_ok=True)
        sys.exit(f"lock: uv could not resolve the environment:\n{result.stderr.strip()}")
    body = scratch.read_text(encoding="utf-8")
    scratch.unlink()
    body = "\n".join(
        ln
        for ln in body.splitlines()
        if not ln.startswith(DIGEST)
        and not re.fullmatch(r"#   \S+: \w{16}", ln)
        and not ln.startswith("# The locked Python")
        and "do not edit" not in ln
    )
    head = [
        "# The locked Python environment of REMAP: every package at one version, with hashes.",
        "# Made by `make lock` (uv pip compile) from requirements.in; do not edit by hand.",
        *_header(inputs()),
    ]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        "\n".join(head) + "\n" + body.lstrip("\n").rstrip("\n") + "\n", encoding="utf-8"
    )
    pins = sum(1 for ln in output.read_text().splitlines() if re.match(r"^[A-Za-z0-9].*==", ln))
    print(
        f"lock: {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}"
        f" pins {pins} packages"
    )


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if m:
            pins[_canonical(m[1])] = m[2]
    return pins


def exact(python: str, lock: Path) -> None:
    """Make the venv hold exactly the lock and our packages: remove what the lock lacks,
    and fail if any version differs from its pin."""
    script = (
        "import importlib.metadata as m, json; print(json.dumps("
        "{d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    have = json.loads(
        subprocess.run([python, "-c", script], capture_output=True, text=True, check=True).stdout
    )
    pins = _pins(lock)
    own = {_canonical(str(_pyproject_inputs(p)["name"])) for p in _packages()}
    extra = sorted(n for n in have if _canonical(n) not in pins and _canonical(n) not in own)
    if extra:
        subprocess.run([python, "-m", "pip", "uninstall", "-y", "-q", *extra], check=True)
    wrong = [
        f"{n} {v} (locked {pins[_canonical(n)]})"
        for n, v in sorted(have.items())
        if _canonical(n) in pins and pins[_canonical(n)] != v
    ]
    absent = sorted(n for n in pins if n not in {_canonical(h) for h in have})
    if wrong or absent:
        sys.exit(
            "lock: the venv differs from the lock: "
            + ", ".join(wrong + [f"{n} not installed" for n in absent])
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="tools/lock.py")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compile")
    c.add_argument("-o", "--output", type=Path, default=LOCK)
    c.add_argument("--upgrade", action="store_true", help="newest versions the registry has")
    c.add_argument("--lowest", action="store_true", help="oldest versions our bounds allow")
    sub.add_parser("check")
    e = sub.add_parser("exact")
    e.add_argument("python")
    e.add_argument("lock", type=Path, nargs="?", default=LOCK)
    args = parser.parse_args()
    if args.command == "compile":
        compile_lock(args.output.resolve(), args.upgrade, args.lowest)
    elif args.command == "check":
        problem = check()
        if problem:
            sys.exit(f"lock: {problem}")
    else:
        exact(args.python, args.lock)


if __name__ == "__main__":
    main()
