"""Shared helpers for the snacs tests: parse chips and find their parts by class."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import snacs

SVG = "{http://www.w3.org/2000/svg}"
DATA = Path(__file__).parent / "data"


class Chip:
    """A parsed SVG with lookups by the stable CSS hooks."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.root = ET.fromstring(text)

    def by_class(self, name: str) -> list[ET.Element]:
        return [e for e in self.root.iter() if name in e.get("class", "").split()]

    @property
    def blocks(self) -> list[ET.Element]:
        return self.by_class("snac-layer")

    @property
    def plates(self) -> list[ET.Element]:
        return self.by_class("snac-plate")

    @property
    def skips(self) -> list[ET.Element]:
        return self.by_class("snac-skip")

    @staticmethod
    def rect(group: ET.Element) -> ET.Element:
        rect = group.find(f"{SVG}rect")
        assert rect is not None
        return rect

    @staticmethod
    def title(group: ET.Element) -> str:
        t = group.find(f"{SVG}title")
        assert t is not None
        assert t.text
        return t.text


@pytest.fixture
def parse():
    return Chip


@pytest.fixture(scope="session")
def examples() -> dict[str, snacs.Spec]:
    return snacs.examples()


@pytest.fixture
def data_dir() -> Path:
    return DATA


MNIST = {
    "name": "m17",
    "input": {"shape": [1, 8, 8], "classes": 10},
    "layers": [
        {"type": "conv", "filters": 32, "kernel": 3},
        {"type": "relu"},
        {"type": "maxpool", "pool": 2},
        {"type": "dropout", "rate": 0.25},
        {"type": "flatten"},
        {"type": "dense", "units": 10},
    ],
}


@pytest.fixture
def m17() -> dict:
    """The architecture JSON of DESIGN.md."""
    import copy

    return copy.deepcopy(MNIST)
