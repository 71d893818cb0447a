"""One error family per package: every public exception class a package defines derives
from the package's one base, so a caller catches one class for all of them; and each
says when it is raised (its docstring starts "Raised …", or "Base class …" for a base).

The modules are imported (not parsed), so inherited bases are seen as Python sees them.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import distances
import snacs
from nas_core.errors import NasCoreError
from remap_server.errors import RemapServerError

BASES: dict[str, type[Exception]] = {
    "snacs": snacs.SnacsError,
    "distances": distances.DistancesError,
    "nas_core": NasCoreError,
    "remap_server": RemapServerError,
}


def error_classes(top: str) -> list[type[BaseException]]:
    """The public exception classes defined in the package `top` (all its modules)."""
    package = importlib.import_module(top)
    names = [top] + [m.name for m in pkgutil.walk_packages(package.__path__, f"{top}.")]
    found: set[type[BaseException]] = set()
    for name in names:
        for obj in vars(importlib.import_module(name)).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__.split(".")[0] == top
                and not obj.__name__.startswith("_")  # a module's private signal
            ):
                found.add(obj)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


@pytest.mark.parametrize("top", sorted(BASES))
def test_every_error_of_a_package_derives_from_its_base(top: str) -> None:
    classes = error_classes(top)
    assert BASES[top] in classes
    outside = [f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, BASES[top])]
    assert outside == []


@pytest.mark.parametrize("top", sorted(BASES))
def test_every_error_says_when_it_is_raised(top: str) -> None:
    unsaid = [
        f"{c.__module__}.{c.__qualname__}"
        for c in error_classes(top)
        if not (c.__doc__ or "").startswith(("Raised ", "Base class "))
    ]
    assert unsaid == []
