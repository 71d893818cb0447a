"""The import direction of DESIGN.md, enforced on the source text.

snacs and distances are leaves; nas_core may import both; remap_server imports
nas_core (and the one SNAC renderer); nothing imports remap_server. A package's own
unit tests obey the same rule as the package. Parsing the source (rather than
importing it) keeps the check honest for lazy and optional imports too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package directory -> (import name, our packages it may import)
RULES: dict[str, tuple[str, frozenset[str]]] = {
    "snacs": ("snacs", frozenset()),
    "distances": ("distances", frozenset()),
    "nas_core": ("nas_core", frozenset({"snacs", "distances"})),
    "server": ("remap_server", frozenset({"nas_core", "snacs"})),
}
OURS = frozenset(name for name, _ in RULES.values())
NON_PYTHON = frozenset({"ui"})  # npm package: talks to the server over HTTP only


def imported_roots(source: str, filename: str) -> set[tuple[str, int]]:
    """Top-level module names imported by `source`, with their line numbers.

    Covers `import x`, `from x import y`, and `importlib.import_module("x")` /
    `__import__("x")` with a literal name (the way optional imports are written).
    """
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found.update((alias.name.split(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                name in {"import_module", "__import__"}
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                found.add((first.value.split(".")[0], node.lineno))
    return found


def violations(root: Path) -> list[str]:
    """Every import of one of our packages that DESIGN.md's direction forbids."""
    problems: list[str] = []
    packages = root / "packages"
    for pkg_dir in sorted(p for p in packages.iterdir() if p.is_dir()):
        if pkg_dir.name in NON_PYTHON:
            continue
        if pkg_dir.name not in RULES:
            problems.append(f"{pkg_dir.relative_to(root)}: not declared in the import rules")
            continue
        own, allowed = RULES[pkg_dir.name]
        for path in sorted(pkg_dir.rglob("*.py")):
            rel = path.relative_to(root)
            for name, line in sorted(imported_roots(path.read_text(), str(path))):
                if name in OURS and name != own and name not in allowed:
                    problems.append(f"{rel}:{line}: {own} must not import {name}")
    return problems


def test_repository_follows_the_import_direction() -> None:
    assert violations(ROOT) == []


def test_every_python_package_is_declared() -> None:
    declared = set(RULES) | NON_PYTHON
    present = {p.name for p in (ROOT / "packages").iterdir() if p.is_dir()}
    assert present <= declared


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("rel", "source", "expected"),
    [
        ("packages/snacs/src/snacs/a.py", "import nas_core\n", "snacs must not import nas_core"),
        (
            "packages/distances/src/distances/a.py",
            "from snacs.render import x\n",
            "distances must not import snacs",
        ),
        (
            "packages/nas_core/src/nas_core/a.py",
            "def f():\n    from remap_server import app\n",
            "nas_core must not import remap_server",
        ),
        (
            "packages/snacs/tests/test_a.py",
            "import importlib\nimportlib.import_module('distances.otmann')\n",
            "snacs must not import distances",
        ),
    ],
)
def test_checker_catches_a_wrong_import(tmp_path: Path, rel: str, source: str, expected: str):
    root = _tree(tmp_path, {rel: source})
    found = violations(root)
    assert len(found) == 1
    assert found[0].startswith(rel)
    assert found[0].endswith(expected)


def test_checker_accepts_allowed_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "packages/nas_core/src/nas_core/a.py": "import snacs\nfrom distances import x\n",
            "packages/server/src/remap_server/a.py": "from nas_core import y\nimport numpy\n",
            "packages/snacs/src/snacs/b.py": "from . import c\nimport msgspec\n",
        },
    )
    assert violations(root) == []


def test_checker_flags_an_undeclared_package(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"packages/mystery/src/mystery/a.py": "x = 1\n"})
    assert violations(root) == ["packages/mystery: not declared in the import rules"]
