"""snacs: Sequential Neural Architecture Chips.

Compact, comparable SVG glyphs of sequential neural networks (Cashman et al., the
REMAP and MAST papers)::

    import snacs
    svg = snacs.render({"name": "m17", "input": {"shape": [1, 8, 8], "classes": 10},
                        "layers": [{"type": "conv", "filters": 32}, {"type": "relu"},
                                   {"type": "flatten"}, {"type": "dense", "units": 10}]})

Also ``snacs.sheet`` (many models aligned for comparison), ``snacs.diff`` (two models
with the added, removed and changed blocks marked; ``snacs.compare`` gives the steps),
``snacs.legend``,
``snacs.from_keras`` / ``snacs.from_torch`` and the ``snacs`` command line tool.

A bad spec raises :class:`SpecError` in snacs' own words with the JSON path
(``must be at most 1.0 - at `$.layers[2].rate```). The translation of msgspec's
decoding errors into such words is public, for every program that decodes JSON a
person wrote: ``snacs.explain_decode_error(exc)`` gives a :class:`DecodeProblem`
``(reason, path)``; ``snacs.utf8_problem(data)`` and
``snacs.duplicate_key_problem(data)`` check raw bytes for what msgspec would word
differently across releases (bad UTF-8) or let pass (an object with a key twice).
"""

from ._decode import decode
from ._decode_words import (
    DecodeProblem,
    duplicate_key_problem,
    explain_decode_error,
    first_bad_utf8,
    utf8_problem,
)
from ._diff import Step, align, compare, diff
from ._errors import SnacsError, SpecError
from ._examples import examples
from ._infer import LayerInfo, infer
from ._keras import from_keras
from ._sheet import legend, sheet
from ._spec import (
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Generic,
    Input,
    MaxPool,
    ReLU,
    Sigmoid,
    Spec,
    Tanh,
    encode,
    to_builtins,
)
from ._svg import LAYOUTS, SIZE_RANGE, render
from ._torch import from_torch

__version__ = "0.1.0"

__all__ = [
    "LAYOUTS",
    "SIZE_RANGE",
    "AvgPool",
    "BatchNorm",
    "Conv",
    "DecodeProblem",
    "Dense",
    "Dropout",
    "Flatten",
    "Generic",
    "Input",
    "LayerInfo",
    "MaxPool",
    "ReLU",
    "Sigmoid",
    "SnacsError",
    "Spec",
    "SpecError",
    "Step",
    "Tanh",
    "__version__",
    "align",
    "compare",
    "decode",
    "diff",
    "duplicate_key_problem",
    "encode",
    "examples",
    "explain_decode_error",
    "first_bad_utf8",
    "from_keras",
    "from_torch",
    "infer",
    "legend",
    "render",
    "sheet",
    "to_builtins",
    "utf8_problem",
]
