"""Architectures: the JSON language of a sequential model, its shapes, parameter counts,
FLOPs, validity rules, canonical form, differences, and its graph for OTMANN."""

from nas_core.errors import ArchitectureError

from .canonical import arch_hash, canonical_json
from .diff import (
    FIELD_NAMES,
    LAYER_NAMES,
    Change,
    Prepend,
    Remove,
    Reparameterize,
    Replace,
    apply_changes,
    describe_change_list,
    describe_changes,
    diff,
    layer_fields,
)
from .graph import VOCABULARIES, graph_labels, to_layer_graph
from .layers import *  # noqa: F403  (the layer structs: listed once, in layers.__all__)
from .layers import __all__ as _layer_names
from .schema import architecture_schema
from .shapes import LayerInfo, count_flops, count_params, infer, layer_type
from .validate import decode_architecture, validate

__all__ = [
    "FIELD_NAMES",
    "LAYER_NAMES",
    "VOCABULARIES",
    "ArchitectureError",
    "Change",
    "LayerInfo",
    "Prepend",
    "Remove",
    "Reparameterize",
    "Replace",
    "apply_changes",
    "arch_hash",
    "architecture_schema",
    "canonical_json",
    "count_flops",
    "count_params",
    "decode_architecture",
    "describe_change_list",
    "describe_changes",
    "diff",
    "graph_labels",
    "infer",
    "layer_fields",
    "layer_type",
    "to_layer_graph",
    "validate",
    *_layer_names,
]
