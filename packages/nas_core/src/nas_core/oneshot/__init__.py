"""One-shot supernet search steered by a person (issue 18; ONESHOT.md).

The language (layers > blocks > components, masks), its validation with JSON paths,
the bundled templates, Lego edits, the evolutionary search, the rank check and the
search-space projection are pure and import no torch. `SuperNet` and the training and
scoring of shared weights (`nas_core.oneshot.supernet`, `nas_core.oneshot.train`) need
torch and are imported only where it runs (trainer workers, tests, benchmarks).
"""

from .edits import LegoEdit, apply_edits
from .errors import SupernetError
from .evolve import (
    block_fitness,
    fitness,
    initial_population,
    loss_stats,
    marginal_scores,
    next_generation,
    random_mask,
    repair,
)
from .projection import Placer, classical_mds, ged_identity, ged_labelled, in_region, smacof
from .rank import RankCheck, kendall_tau, rank_check
from .space import (
    block_ids,
    block_layers,
    check_mask,
    count_subgraphs,
    decode_super,
    enumerate_masks,
    layer_shapes,
    subgraph_arch,
    super_hash,
    super_params,
    validate_super,
)
from .templates import TEMPLATES, load_template, template_infos
from .types import (
    Block,
    Constraint,
    Mask,
    PlannedChild,
    Recalibration,
    Region,
    SuperArchitecture,
    SuperLayer,
    SupernetConfig,
    block_number,
    mask_key,
    sort_mask,
)

__all__ = [
    "TEMPLATES",
    "Block",
    "Constraint",
    "LegoEdit",
    "Mask",
    "Placer",
    "PlannedChild",
    "RankCheck",
    "Recalibration",
    "Region",
    "SuperArchitecture",
    "SuperLayer",
    "SupernetConfig",
    "SupernetError",
    "apply_edits",
    "block_fitness",
    "block_ids",
    "block_layers",
    "block_number",
    "check_mask",
    "classical_mds",
    "count_subgraphs",
    "decode_super",
    "enumerate_masks",
    "fitness",
    "ged_identity",
    "ged_labelled",
    "in_region",
    "initial_population",
    "kendall_tau",
    "layer_shapes",
    "load_template",
    "loss_stats",
    "marginal_scores",
    "mask_key",
    "next_generation",
    "random_mask",
    "rank_check",
    "repair",
    "smacof",
    "sort_mask",
    "subgraph_arch",
    "super_hash",
    "super_params",
    "template_infos",
    "validate_super",
]
