"""The bundled supernet templates, by name.

- ``lenet-digits-v1``: the paper's over-complete LeNet of its user study (Fig. 11) at
  8×8: conv 3/5/7 in layers 1 and 3, one dense vs two in layer 6; 12 blocks, 18
  single-path or 147 multi-path subgraphs.
- ``rank-digits-v1``: 3×3×3×3 = 81 single-path architectures whose blocks differ in
  quality on purpose (1-channel and 2-unit bottlenecks, tanh, dropout), so that the
  rank check has something to rank (ONESHOT.md §3.2).
- ``alexnet-cifar-v1``: an AlexNet-like template for 3×32×32 CIFAR-10 (§6.2.1).
"""

from __future__ import annotations

from collections.abc import Callable

from nas_core.arch.layers import (
    AvgPool,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Input,
    MaxPool,
    ReLU,
    Tanh,
)

from .errors import SupernetError
from .space import count_subgraphs, validate_super
from .types import Block, SuperArchitecture, SuperLayer

__all__ = ["TEMPLATES", "load_template", "template_infos"]


class _Ids:
    def __init__(self) -> None:
        self.layer = 0
        self.block = 0

    def layer_of(self, *blocks: tuple) -> SuperLayer:
        self.layer += 1
        made = []
        for components in blocks:
            self.block += 1
            made.append(Block(f"b{self.block}", tuple(components)))
        return SuperLayer(f"L{self.layer}", tuple(made))


def _lenet(mode: str = "single") -> SuperArchitecture:
    n = _Ids()
    layers = (
        n.layer_of(*[(Conv(16, k), ReLU()) for k in (3, 5, 7)]),
        n.layer_of((MaxPool(2),)),
        n.layer_of(*[(Conv(32, k), ReLU()) for k in (3, 5, 7)]),
        n.layer_of((MaxPool(2),)),
        n.layer_of((Flatten(),)),
        n.layer_of((Dense(64), ReLU()), (Dense(64), ReLU(), Dense(64), ReLU())),
        n.layer_of((Dense(10),)),
    )
    return SuperArchitecture("lenet-digits-v1", Input((1, 8, 8), 10), layers, path_mode=mode)


def _rank() -> SuperArchitecture:
    # Unequal on purpose (1-channel and 2-unit bottlenecks, tanh, dropout), but every block
    # trainable under weight sharing: with sigmoid blocks and dropout 0.8-0.9 the
    # supernet learned nothing (every subgraph at chance, τ undefined; measured). With
    # these (He-initialised supernet, 30 epochs; stand-alone 20 epochs of batch 64, two
    # seeds): τ-b 0.63 / 0.55 / 0.59 over supernet seeds 3 / 4 / 5, noise ceiling 0.71,
    # stand-alone test accuracy 10-91 %.
    n = _Ids()
    layers = (
        n.layer_of(
            (Conv(16, 3), ReLU()),
            (Conv(16, 3), Tanh()),
            (Conv(1, 3), ReLU(), Conv(16, 3), ReLU()),
        ),
        n.layer_of((MaxPool(2),), (AvgPool(2),), (Dropout(0.5), MaxPool(2))),
        n.layer_of(
            (Conv(32, 3), ReLU()),
            (Conv(32, 5), ReLU()),
            (Conv(1, 3), ReLU(), Conv(32, 3), ReLU()),
        ),
        n.layer_of((MaxPool(2),)),
        n.layer_of((Flatten(),)),
        n.layer_of(
            (Dense(64), ReLU()),
            (Dense(2), ReLU(), Dense(64), ReLU()),
            (Dropout(0.5), Dense(64), ReLU()),
        ),
        n.layer_of((Dense(10),)),
    )
    return SuperArchitecture("rank-digits-v1", Input((1, 8, 8), 10), layers)


def _alexnet() -> SuperArchitecture:
    n = _Ids()
    layers = (
        n.layer_of(*[(Conv(64, k), ReLU()) for k in (3, 5, 7)]),
        n.layer_of((MaxPool(2),)),
        n.layer_of((Conv(128, 3), ReLU()), (Conv(128, 5), ReLU())),
        n.layer_of((MaxPool(2),)),
        n.layer_of((Conv(128, 3), ReLU()), (Conv(128, 3), ReLU(), Conv(128, 3), ReLU())),
        n.layer_of((MaxPool(2),)),
        n.layer_of((Flatten(),)),
        n.layer_of((Dense(256), ReLU(), Dropout(0.5)), (Dense(256), ReLU())),
        n.layer_of((Dense(10),)),
    )
    return SuperArchitecture("alexnet-cifar-v1", Input((3, 32, 32), 10), layers)


TEMPLATES: dict[str, tuple[str, Callable[[], SuperArchitecture]]] = {
    "lenet-digits-v1": ("The paper's over-complete LeNet (Fig. 11) at 8×8, 12 blocks", _lenet),
    "lenet-digits-multi-v1": (
        "lenet-digits-v1 in the paper's multi-path mode (147 subgraphs)",
        lambda: _lenet("multi"),
    ),
    "rank-digits-v1": ("81 single-path digits models with deliberately unequal blocks", _rank),
    "alexnet-cifar-v1": ("An AlexNet-like template for CIFAR-10 (3×32×32)", _alexnet),
}
"""Template name -> (description, builder)."""


def load_template(name: str) -> SuperArchitecture:
    """The bundled template `name` (validated); `SupernetError` for an unknown name."""
    entry = TEMPLATES.get(name)
    if entry is None:
        raise SupernetError(
            "$.template", f"no template {name!r}; the bundled ones are {', '.join(TEMPLATES)}"
        )
    sa = entry[1]()
    validate_super(sa)
    return sa


def template_infos() -> list[dict]:
    """Name, description, block count, subgraph counts and the template itself."""
    import msgspec

    out = []
    for name, (description, build) in TEMPLATES.items():
        sa = build()
        single = msgspec.structs.replace(sa, path_mode="single")
        multi = msgspec.structs.replace(sa, path_mode="multi")
        out.append(
            {
                "name": name,
                "description": description,
                "blocks": sum(len(layer.blocks) for layer in sa.layers),
                "single": count_subgraphs(single),
                "multi": count_subgraphs(multi),
                "arch": msgspec.to_builtins(sa),
            }
        )
    return out
