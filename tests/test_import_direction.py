"""The import direction of DESIGN.md, enforced on the source text.

snacs and distances are leaves; nas_core may import both; remap_server imports
nas_core (and the one SNAC renderer); only the notebook widget imports remap_server. A package's own
unit tests obey the same rule as the package. Inside a package, no modules import each
other in a cycle, not even through an import inside a function (which only hides the
cycle until that function runs). Parsing the source (rather than importing it) keeps
the check honest for lazy and optional imports too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package directory -> (import name, our packages it may import)
RULES: dict[str, tuple[str, frozenset[str]]] = {
    "snacs": ("snacs", frozenset()),
    "distances": ("distances", frozenset()),
    "nas_core": ("nas_core", frozenset({"snacs", "distances"})),
    "server": ("remap_server", frozenset({"nas_core", "snacs"})),
    # the Jupyter widget: a client of the server's package (its UI bundle, its tables)
    "notebook": ("remap_notebook", frozenset({"remap_server", "nas_core", "snacs"})),
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


# --- import cycles inside a package ------------------------------------------------------

Graph = dict[str, list[tuple[str, int]]]  # module -> (a module of its package it imports, line)


def package_modules(src: Path, top: str) -> dict[str, Path]:
    """Every module of the package `top` under `src` by dotted name (a package by its
    own name, for its ``__init__.py``)."""
    found = {}
    for path in sorted((src / top).rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _run_time_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """The nodes of `tree`, less the ``if TYPE_CHECKING:`` blocks (they never run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def module_graph(src: Path, top: str) -> Graph:
    """Each module of the package `top` -> the modules of the same package it imports,
    at the top or inside a function alike. ``from x import y`` imports the module x.y
    when there is one, else x; ``import x.y`` imports x.y."""
    modules = package_modules(src, top)
    graph: Graph = {}
    for name, path in modules.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        edges = []
        for node in _run_time_nodes(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                anchor = here[: len(here) - node.level + 1] if node.level else []
                module = ".".join(anchor + ([node.module] if node.module else []))
                for alias in node.names:
                    sub = f"{module}.{alias.name}"
                    targets.append(sub if sub in modules else module)
            elif isinstance(node, ast.Call) and node.args:
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                first = node.args[0]
                if called in {"import_module", "__import__"} and isinstance(first, ast.Constant):
                    targets = [str(first.value)]
            for target in targets:
                parts = target.split(".")
                while parts and ".".join(parts) not in modules:  # x.y.Name -> x.y
                    parts.pop()
                if parts and ".".join(parts) != name:
                    edges.append((".".join(parts), node.lineno))
        graph[name] = sorted(edges, key=lambda edge: edge[1])
    return graph


def _strongly_connected(graph: Graph) -> list[list[str]]:
    """The strongly connected components of `graph` (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w, _ in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
            components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return components


def _cycle_through(graph: Graph, start: str, members: set[str]) -> list[tuple[str, int]]:
    """A shortest cycle from `start` back to it inside `members`: the modules in order,
    each with the line of its import of the next one."""
    came: dict[str, tuple[str, int]] = {}
    frontier = [start]
    while frontier:
        following = []
        for v in frontier:
            for w, line in graph[v]:
                if w == start:
                    path = [(v, line)]
                    while path[0][0] != start:
                        path.insert(0, came[path[0][0]])
                    return path
                if w in members and w not in came:
                    came[w] = (v, line)
                    following.append(w)
        frontier = following
    raise AssertionError(f"{start} is on no cycle")  # pragma: no cover - a component has one


def import_cycles(root: Path) -> list[str]:
    """Every import cycle inside one of our packages, one per strongly connected group
    of modules: ``snacs: import cycle snacs.a -> snacs.b -> snacs.a (path:line, ...)``."""
    problems = []
    for src in sorted((root / "packages").glob("*/src")):
        for top in sorted(p.name for p in src.iterdir() if (p / "__init__.py").is_file()):
            graph = module_graph(src, top)
            files = package_modules(src, top)
            for component in _strongly_connected(graph):
                if len(component) < 2:
                    continue
                cycle = _cycle_through(graph, component[0], set(component))
                names = " -> ".join([*(m for m, _ in cycle), cycle[0][0]])
                lines = ", ".join(f"{files[m].relative_to(root)}:{n}" for m, n in cycle)
                problems.append(f"{top}: import cycle {names} ({lines})")
    return problems


def test_no_package_has_an_import_cycle() -> None:
    assert import_cycles(ROOT) == []


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


def test_cycle_checker_finds_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "packages/snacs/src/snacs/__init__.py": "from .a import x\n",
            "packages/snacs/src/snacs/a.py": "import msgspec\nfrom .b import y\nx = 1\n",
            "packages/snacs/src/snacs/b.py": "def y():\n    from .a import x\n    return x\n",
        },
    )
    assert import_cycles(root) == [
        "snacs: import cycle snacs.a -> snacs.b -> snacs.a "
        "(packages/snacs/src/snacs/a.py:2, packages/snacs/src/snacs/b.py:2)"
    ]


def test_cycle_checker_follows_absolute_and_dotted_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "packages/nas_core/src/nas_core/__init__.py": "",
            "packages/nas_core/src/nas_core/x/__init__.py": "from .y import z\n",
            "packages/nas_core/src/nas_core/x/y.py": "def z():\n    import nas_core.x\n",
            "packages/nas_core/src/nas_core/w.py": "import importlib\n"
            "importlib.import_module('nas_core.w2')\n",
            "packages/nas_core/src/nas_core/w2.py": "from nas_core.w import q\n",
        },
    )
    assert import_cycles(root) == [
        "nas_core: import cycle nas_core.w -> nas_core.w2 -> nas_core.w "
        "(packages/nas_core/src/nas_core/w.py:2, packages/nas_core/src/nas_core/w2.py:1)",
        "nas_core: import cycle nas_core.x -> nas_core.x.y -> nas_core.x "
        "(packages/nas_core/src/nas_core/x/__init__.py:1, "
        "packages/nas_core/src/nas_core/x/y.py:2)",
    ]


def test_cycle_checker_accepts_what_is_no_cycle(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            # the package re-exports its modules, which import each other one way only
            "packages/snacs/src/snacs/__init__.py": "from .a import A\nfrom .b import B\n",
            # `from . import c` is the module c, not the package's __init__
            "packages/snacs/src/snacs/a.py": "from . import c\nA = c.X\n",
            "packages/snacs/src/snacs/c.py": "X = 1\n",
            # an import for the type checker only never runs
            "packages/snacs/src/snacs/b.py": "from typing import TYPE_CHECKING\n"
            "from .a import A\nif TYPE_CHECKING:\n    from .d import D\nB = A\n",
            "packages/snacs/src/snacs/d.py": "from .b import B\nD = B\n",
        },
    )
    assert import_cycles(root) == []
    graph = module_graph(root / "packages/snacs/src", "snacs")
    assert graph["snacs.a"] == [("snacs.c", 1)]
    assert graph["snacs.b"] == [("snacs.a", 2)]
