"""Generators: sample, ablate, vary, handcraft — pure functions of their inputs and a
seed, returning plain results (the command handler turns them into events)."""

from nas_core.arch.diff import Change, Prepend, Remove, Reparameterize, Replace
from nas_core.errors import GeneratorError, HandcraftError, SearchSpaceError

from .ablate import ablate
from .handcraft import Edit, Insert, RemoveEdit, Reparam, decode_edits, handcraft
from .results import Child, SampleReport, Skipped
from .sample import sample, sample_report
from .search_space import (
    Grids,
    SearchSpace,
    decode_search_space,
    load_search_space,
    search_space_hash,
    search_space_names,
)
from .vary import VARIATION_KINDS, allow_all, vary

__all__ = [
    "VARIATION_KINDS",
    "Change",
    "Child",
    "Edit",
    "GeneratorError",
    "Grids",
    "HandcraftError",
    "Insert",
    "Prepend",
    "Remove",
    "RemoveEdit",
    "Reparam",
    "Reparameterize",
    "Replace",
    "SampleReport",
    "SearchSpace",
    "SearchSpaceError",
    "Skipped",
    "ablate",
    "allow_all",
    "decode_edits",
    "decode_search_space",
    "handcraft",
    "load_search_space",
    "sample",
    "sample_report",
    "search_space_hash",
    "search_space_names",
    "vary",
]
