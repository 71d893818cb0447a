"""The search file: a search REMAP did not run, one trained model per JSON line.

Format (``remap-search``, issue 20; its JSON Schema is `search_file_schema`)::

    {"format": "remap-search", "source": "hyperband on cifar", "classes": [...], "input": {...}}
    {"name": "t0", "architecture": {...}, "epochs": [{"epoch": 1, "wall_s": 3.2, "val_acc": 0.41}],
     "test_acc": 0.40, "params": 12345, "predictions": [3, 1, ...], "started_s": 0.0}

The header line is optional (first line only). `architecture` is REMAP's architecture
JSON or a Keras Sequential ``model.to_json()`` (`nas_core.imports.keras`). An epoch's
`wall_s` is the seconds the model had trained when that epoch ended (so the epochs'
own times are its differences); `started_s` the seconds from the search's start to the
start of the model's training. Everything is checked before anything is written: a bad
line is refused with its number and the JSON path of what is wrong (`SearchFileError`).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Literal

import msgspec
import numpy as np

from nas_core.arch.layers import Input
from nas_core.errors import NasCoreError
from snacs import explain_decode_error

from .collector import collector_paused

__all__ = [
    "FORMAT",
    "LineError",
    "SearchEpoch",
    "SearchFile",
    "SearchFileError",
    "SearchHeader",
    "SearchModel",
    "parse_search_file",
    "parse_search_lines",
    "search_file_schema",
]

FORMAT = "remap-search"
MAX_REPORTED = 20  # the errors an import names at most (it refuses on the first)

Accuracy = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]
Label = Annotated[int, msgspec.Meta(ge=0, lt=2**32)]


class SearchHeader(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The optional first line: what search the file holds (`source`), its class names
    and its models' input (a default for architectures that do not say)."""

    format: Literal["remap-search"]
    source: str = ""
    classes: tuple[str, ...] = ()
    input: Input | None = None


class SearchEpoch(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One epoch as the search recorded it: `wall_s` is the model's training time (s)
    when the epoch ended; the losses and the training accuracy are optional."""

    epoch: Annotated[int, msgspec.Meta(ge=1)]
    wall_s: NonNegative
    val_acc: Accuracy
    val_loss: NonNegative | None = None
    train_loss: NonNegative | None = None
    train_acc: Accuracy | None = None


class SearchModel(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One trained model: its name in the search, its architecture (REMAP's JSON or a
    Keras Sequential's), its epochs in order, and optionally its test accuracy, its
    parameter count as the search counted it, its test-set predictions (one label per
    test example) and when its training started (seconds since the search began)."""

    name: Annotated[str, msgspec.Meta(min_length=1)]
    architecture: dict[str, Any]
    epochs: Annotated[tuple[SearchEpoch, ...], msgspec.Meta(min_length=1)]
    test_acc: Accuracy | None = None
    params: Annotated[int, msgspec.Meta(ge=0)] | None = None
    predictions: tuple[Label, ...] | None = None
    started_s: NonNegative | None = None


class SearchFile(msgspec.Struct, frozen=True):
    """A parsed search file: its header (None when it has none), its models and the
    line (from 1) each came from.

    Built for 100,000 models: the models' test-set predictions are moved out of them
    into one label table, `labels` (a row per model that recorded them, `labelled` its
    index in `models`; uint8 when every label is below 256), and their ``predictions``
    are None (a tuple of labels per model took 290 MB at 100,000, and a process that
    large writes its log more slowly); `predictions_of` gives one model's back.
    Models with the same architecture share one dict (read it, do not change it)."""

    header: SearchHeader | None
    models: tuple[SearchModel, ...]
    lines: tuple[int, ...]
    labels: Any = None
    """np.ndarray (len(labelled), labels a model) or None (no model recorded any)."""
    labelled: tuple[int, ...] = ()

    def predictions_of(self, k: int) -> tuple[int, ...] | None:
        """Model `k`'s test-set predictions, None when it recorded none."""
        row = bisect.bisect_left(self.labelled, k)  # labelled counts up
        if row == len(self.labelled) or self.labelled[row] != k:
            return None
        return tuple(int(x) for x in self.labels[row])


class LineError(msgspec.Struct, frozen=True):
    """What is wrong on line `line` (from 1), at JSON path `path` of that line."""

    line: int
    path: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason} - at `{self.path}`"


class SearchFileError(NasCoreError, ValueError):
    """Raised when a search file cannot be imported: `errors` (the first of them, at most
    `MAX_REPORTED`), each naming its line and JSON path; nothing was written."""

    def __init__(self, errors: Iterable[LineError], where: str = "the search file") -> None:
        self.errors = tuple(errors)
        self.where = where
        shown = "; ".join(str(e) for e in self.errors[:MAX_REPORTED])
        more = len(self.errors) - MAX_REPORTED
        tail = f" (and {more} more)" if more > 0 else ""
        super().__init__(f"{where}: {shown}{tail}; nothing was imported")

    def __reduce__(self):
        return (SearchFileError, (self.errors, self.where))


_HEADER = msgspec.json.Decoder(SearchHeader)
_MODEL = msgspec.json.Decoder(SearchModel)
_ENCODE = msgspec.json.Encoder().encode


def _is_header(line: bytes) -> bool:
    """Whether the first line is the header: an object with a "format" key (not a
    model whose name or layer merely says "format"); a line that is not JSON is
    reported as a model line."""
    if b'"format"' not in line:
        return False
    try:
        obj = msgspec.json.decode(line)
    except (msgspec.DecodeError, UnicodeError, RecursionError):
        return False
    return isinstance(obj, dict) and "format" in obj


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    for number, raw in enumerate(data.split(b"\n"), 1):
        line = raw.strip()
        if line:
            yield number, line


def _epoch_problems(model: SearchModel) -> Iterator[tuple[str, str]]:
    """What the structs cannot say: epochs count up, their times do not go back."""
    previous = None
    for k, e in enumerate(model.epochs):
        if previous is not None:
            if e.epoch <= previous.epoch:
                yield (
                    f"$.epochs[{k}].epoch",
                    (f"epoch {e.epoch} comes after epoch {previous.epoch}: epochs count up"),
                )
            if e.wall_s < previous.wall_s:
                yield (
                    f"$.epochs[{k}].wall_s",
                    (
                        f"is {e.wall_s} s, less than the {previous.wall_s} s of the epoch before "
                        "(wall_s is the training time so far when the epoch ended)"
                    ),
                )
        previous = e


def parse_search_lines(data: bytes | str) -> SearchFile:
    """Parse a whole search file (JSON lines; blank lines are skipped). Raises
    `SearchFileError` naming every bad line (up to `MAX_REPORTED`)."""
    with collector_paused():
        return _parse(data.encode() if isinstance(data, str) else bytes(data))


def _parse(raw: bytes) -> SearchFile:
    header: SearchHeader | None = None
    models: list[SearchModel] = []
    lines: list[int] = []
    errors: list[LineError] = []
    first = True
    table = _LabelTable()
    labelled: list[int] = []
    architectures: dict[bytes, dict[str, Any]] = {}  # a search trains one many times
    width: tuple[int, int] | None = None  # (line, number of predictions) of the first
    for number, line in _lines(raw):
        if first and line.startswith(b"{") and _is_header(line):
            first = False
            try:
                header = _HEADER.decode(line)
            except (msgspec.DecodeError, UnicodeError, RecursionError) as exc:
                problem = explain_decode_error(exc)
                errors.append(LineError(number, problem.path, problem.reason))
            continue
        first = False
        try:
            model = _MODEL.decode(line)
        except (msgspec.DecodeError, UnicodeError, RecursionError) as exc:
            problem = explain_decode_error(exc)
            errors.append(LineError(number, problem.path, problem.reason))
            if len(errors) >= MAX_REPORTED:
                break
            continue
        for path, reason in _epoch_problems(model):
            errors.append(LineError(number, path, reason))
        if model.predictions is not None:
            if width is None:
                width = (number, len(model.predictions))
            elif len(model.predictions) != width[1]:
                errors.append(LineError(number, "$.predictions", (
                    f"has {len(model.predictions)} labels, line {width[0]} has {width[1]} "
                    "(one per test example)"
                )))  # fmt: skip
        if not errors:  # (after an error nothing is kept: the parse only reports)
            if model.predictions is not None:
                labelled.append(len(models))
                table.add(model.predictions)
            shared = architectures.setdefault(_ENCODE(model.architecture), model.architecture)
            model = msgspec.structs.replace(model, architecture=shared, predictions=None)
            models.append(model)
            lines.append(number)
    if not errors and not models:
        errors.append(LineError(1, "$", "the file holds no model (one JSON object a line)"))
    if errors:
        raise SearchFileError(errors)
    return SearchFile(header, tuple(models), tuple(lines), table.array(), tuple(labelled))


class _LabelTable:
    """Rows of labels (one length, checked by the parser), gathered compactly: as
    bytes while every label is below 256 (a tuple of small ints converts fastest so),
    as int64 rows from the first label that is not."""

    def __init__(self) -> None:
        self.rows: list = []
        self.wide = False

    def add(self, labels: tuple[int, ...]) -> None:
        if not self.wide:
            try:
                self.rows.append(bytes(labels))
                return
            except ValueError:
                self.wide = True
                self.rows = [np.frombuffer(r, dtype=np.uint8).astype(np.int64) for r in self.rows]
        self.rows.append(np.array(labels, dtype=np.int64))

    def array(self):
        if not self.rows:
            return None
        if self.wide:
            return np.stack(self.rows)
        flat = np.frombuffer(b"".join(self.rows), dtype=np.uint8)
        return flat.reshape(len(self.rows), len(self.rows[0]))


def parse_search_file(path: str) -> SearchFile:
    """`parse_search_lines` of the file at `path` (its errors name the file)."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return parse_search_lines(data)
    except SearchFileError as error:
        raise SearchFileError(error.errors, path) from None


def search_file_schema() -> dict[str, Any]:
    """The JSON Schema of a search file's two kinds of line (header, model)."""
    (header, model), defs = msgspec.json.schema_components([SearchHeader, SearchModel])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "remap-search: one JSON object a line",
        "description": (
            "A search REMAP did not run: an optional header line, then one model a line."
        ),
        "anyOf": [header, model],
        "$defs": defs,
    }
