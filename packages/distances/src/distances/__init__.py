"""REMAP's distances between models: by structure (OTMANN, as NASBOT computes it) and by
behaviour (the fraction of test predictions that differ), and MDS layouts that new
models join without moving the old ones.

A leaf package: numpy, SciPy, POT and scikit-learn, nothing of REMAP's, no torch.
"""

from ._errors import DistancesError
from ._graph import LayerGraph
from ._mds import OutOfSampleMDS, align
from ._otmann import otmann_matrix
from ._predictions import prediction_matrix

__all__ = [
    "DistancesError",
    "LayerGraph",
    "OutOfSampleMDS",
    "align",
    "otmann_matrix",
    "prediction_matrix",
]
