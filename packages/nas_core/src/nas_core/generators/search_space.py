"""Search spaces: the Markov chain over layers and the hyper-parameter grids, as data.

A search space is a versioned JSON table (``tables/default-v1.json`` is the default)
that a user may copy and change; the session records the table it used. Rows are
"the previous layer" and their entries the relative weights of the next layer's kind:

- ``transitions``: the rows before the first dense (the data is still an image):
  states ``start``, ``conv``, ``maxpool``, ``avgpool``, ``dropout``, ``activation``,
  ``batchnorm``; next kinds those and ``dense`` and ``classifier``;
- ``transitions_after_dense``: the rows once a dense has been drawn (the data is a
  vector): states ``dense``, ``dropout``, ``activation``, ``batchnorm``; next kinds
  those and ``classifier`` (no conv or pool after a dense).

Every kind that a row can draw must have a row of its own where it lands (``dense``
lands in ``transitions_after_dense``), so a chain never gets stuck.
"""

from __future__ import annotations

import hashlib
import math
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import msgspec

from nas_core.arch.layers import Kernel, PositiveInt, Rate
from nas_core.errors import SearchSpaceError
from snacs import duplicate_key_problem, explain_decode_error, utf8_problem

__all__ = [
    "AFTER_DENSE_KINDS",
    "AFTER_DENSE_STATES",
    "BEFORE_DENSE_KINDS",
    "BEFORE_DENSE_STATES",
    "Grids",
    "SearchSpace",
    "decode_search_space",
    "load_search_space",
    "search_space_hash",
    "search_space_names",
]

# The chain's states and kinds, each list written once (the tuples are derived); a new
# layer type adds its kind here and its row to `chain.KINDS`.
BeforeState = Literal["start", "conv", "maxpool", "avgpool", "dropout", "activation", "batchnorm"]
BeforeKind = Literal[
    "conv", "maxpool", "avgpool", "dropout", "activation", "batchnorm", "dense", "classifier"
]
AfterState = Literal["dense", "dropout", "activation", "batchnorm"]
AfterKind = Literal["dense", "dropout", "activation", "batchnorm", "classifier"]

BEFORE_DENSE_STATES: tuple[str, ...] = get_args(BeforeState)
BEFORE_DENSE_KINDS: tuple[str, ...] = get_args(BeforeKind)
AFTER_DENSE_STATES: tuple[str, ...] = get_args(AfterState)
AFTER_DENSE_KINDS: tuple[str, ...] = get_args(AfterKind)

Weight = Annotated[float, msgspec.Meta(ge=0.0)]


def _grid(item: Any) -> Any:
    return Annotated[tuple[item, ...], msgspec.Meta(min_length=1)]


class Grids(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """The values each hyper-parameter is drawn from (uniformly)."""

    filters: _grid(PositiveInt)
    kernel: _grid(Kernel)
    pool: _grid(PositiveInt)
    units: _grid(PositiveInt)
    activation: _grid(Literal["relu", "tanh", "sigmoid"])
    rate: _grid(Rate)

    def __post_init__(self) -> None:
        for field in self.__struct_fields__:
            values = getattr(self, field)
            if len(set(values)) != len(values):
                raise ValueError(f"grid `{field}` lists a value twice: {list(values)}")


class SearchSpace(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A versioned search space: the chain's weights and the grids (see the module)."""

    version: Annotated[str, msgspec.Meta(min_length=1)]
    transitions: dict[BeforeState, dict[BeforeKind, Weight]]
    transitions_after_dense: dict[AfterState, dict[AfterKind, Weight]]
    grids: Grids
    description: str = ""

    def __post_init__(self) -> None:
        if "start" not in self.transitions:
            raise ValueError("`transitions` needs a `start` row")
        for table_name, table, after in (
            ("transitions", self.transitions, False),
            ("transitions_after_dense", self.transitions_after_dense, True),
        ):
            for state, row in table.items():
                where = f"`{table_name}.{state}`"
                if any(not math.isfinite(w) for w in row.values()):
                    raise ValueError(f"{where} has a weight that is not finite")
                if sum(row.values()) <= 0:
                    raise ValueError(f"{where} needs a positive weight")
                for kind, weight in row.items():
                    if weight <= 0 or kind == "classifier":
                        continue
                    lands_after = after or kind == "dense"
                    target = self.transitions_after_dense if lands_after else self.transitions
                    if kind not in target:
                        target_name = "transitions_after_dense" if lands_after else "transitions"
                        raise ValueError(
                            f"{where} can draw `{kind}` but `{target_name}` has no `{kind}` row"
                        )


def search_space_names() -> list[str]:
    """Names of the tables bundled with the package (``default-v1`` …)."""
    folder = resources.files(__package__) / "tables"
    return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))


def decode_search_space(
    data: bytes | str | dict[str, Any], *, source: str = "search space"
) -> SearchSpace:
    """Decode and validate a search space from JSON or a dict (e.g. one an event
    recorded); raises `SearchSpaceError` naming `source` and the JSON path."""
    try:
        if isinstance(data, bytes | bytearray | str):
            raw = data.encode() if isinstance(data, str) else bytes(data)
            problem = utf8_problem(raw)
            if problem is None:
                space = msgspec.json.decode(raw, type=SearchSpace)
                problem = duplicate_key_problem(raw)
            if problem is not None:
                raise SearchSpaceError(f"{source}: {problem}")
            return space
        return msgspec.convert(data, SearchSpace)
    except (msgspec.DecodeError, UnicodeError, RecursionError) as exc:
        raise SearchSpaceError(f"{source}: {explain_decode_error(exc)}") from exc


def load_search_space(name_or_path: str | Path = "default-v1") -> SearchSpace:
    """A bundled table by name (``"default-v1"``), or a table from a JSON file path."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".json") or "/" in text or "\\" in text:
        path = Path(name_or_path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SearchSpaceError(f"cannot read search space {path}: {exc.strerror}") from exc
        return decode_search_space(data, source=str(path))
    if text not in search_space_names():
        raise SearchSpaceError(
            f"no bundled search space named {text!r}: use one of "
            f"{', '.join(search_space_names())}, or a path to a .json table"
        )
    data = (resources.files(__package__) / "tables" / f"{text}.json").read_bytes()
    return decode_search_space(data, source=f"{text}.json")


def search_space_hash(space: SearchSpace) -> str:
    """SHA-256 (hex) of the table's canonical JSON (sorted keys), description included."""
    return hashlib.sha256(msgspec.json.encode(space, order="sorted")).hexdigest()
