"""The example architectures that ship with the package (``packages/snacs/examples``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ._decode import decode
from ._errors import SnacsError
from ._spec import Spec

__all__ = ["example_files", "examples"]

# Gallery order; any other example file follows in name order.
_ORDER = (
    "lenet5",
    "vgg16",
    "resnet20",
    "remap-fig4a",
    "remap-fig7-1",
    "remap-fig7-2",
    "remap-fig7-3",
    "remap-fig7-4",
    "remap-fig7-5",
)


def _directory():
    # Installed wheel: snacs/examples inside the package. Source tree or editable
    # install: packages/snacs/examples beside src/.
    packaged = resources.files("snacs") / "examples"
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parents[2] / "examples"
    if source.is_dir():
        return source
    raise SnacsError("the bundled examples are missing: reinstall snacs")


def example_files() -> dict[str, bytes]:
    """``{stem: JSON bytes}`` of every bundled example, in gallery order."""
    found = {
        entry.name.removesuffix(".json"): entry
        for entry in _directory().iterdir()
        if entry.name.endswith(".json")
    }
    order = [s for s in _ORDER if s in found] + sorted(set(found) - set(_ORDER))
    return {stem: found[stem].read_bytes() for stem in order}


def examples() -> dict[str, Spec]:
    """The bundled example architectures, ``{stem: Spec}``: LeNet-5, VGG16, ResNet-20,
    the model of REMAP's Fig. 4a and the five models of REMAP's Fig. 7."""
    return {stem: decode(data) for stem, data in example_files().items()}
