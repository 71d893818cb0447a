"""Searches REMAP did not run, imported (issue 20): the ``remap-search`` JSON-lines
format (`search_file`), Keras Sequential architectures (`keras`), Optuna studies
(`optuna_study`), and the events that bring them into a session (`to_events`)."""

from .keras import KERAS_CLASSES, KerasError, is_keras, keras_to_architecture
from .search_file import (
    FORMAT,
    LineError,
    SearchEpoch,
    SearchFile,
    SearchFileError,
    SearchHeader,
    SearchModel,
    parse_search_file,
    parse_search_lines,
    search_file_schema,
)
from .to_events import ImportBatch, import_batch, import_events

__all__ = [
    "FORMAT",
    "KERAS_CLASSES",
    "ImportBatch",
    "KerasError",
    "LineError",
    "SearchEpoch",
    "SearchFile",
    "SearchFileError",
    "SearchHeader",
    "SearchModel",
    "import_batch",
    "import_events",
    "is_keras",
    "keras_to_architecture",
    "parse_search_file",
    "parse_search_lines",
    "search_file_schema",
]
