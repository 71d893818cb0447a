"""Layer vocabularies for OTMANN: which labels exist, what they weigh, what they cost.

A vocabulary interns labels as small integers, tells each label's *kind* (how its mass
and output channels follow from its inputs), its structural groups, and the label
mismatch cost matrix for a given non-assignment penalty. Two are defined:

``"nasbot"``
    NASBOT's CNN vocabulary, exactly as ``nn/neural_network.py`` and
    ``nn/nn_comparators.py`` of kirthevasank/nasbot define it (see `otmann_matrix`).
``"remap"``
    REMAP's extension with activations, dropout, batch norm and sized pools.

Mismatch costs are fractions of the non-assignment penalty, as in NASBOT: the matrix
holds ``cost * non_assignment_penalty`` and ``inf`` where two labels may never match.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

import numpy as np

from ._errors import DistancesError

__all__ = ["GROUPS", "VOCABULARIES", "LabelInfo", "Vocabulary", "get_vocabulary"]

# Structural groups, after 'all' (every node): NASBOT's CNN_STRUCTURAL_PENALTY_GROUPS.
GROUPS = ("all", "conv", "pool", "fc")

# Kinds: how a node's mass and output channels follow from its input channels `c`.
#   ip / op      mass = max(0.1 * (sum of processing masses), 100)
#   decision     (softmax) that same mass shared among the decision layers; no output
#   conv         mass = c * units; outputs units channels         (conv*, res*)
#   fc           mass = 0.1 * c * units; outputs units channels
#   through      mass = c; outputs c channels                     (pools)
#   elementwise  mass = 0.1 * c; outputs c channels               (REMAP's activations,
#                                                                 dropout, batch norm)
KINDS = ("ip", "op", "decision", "conv", "fc", "through", "elementwise")

_CONV_SCALE = math.sqrt(2) / 10.0  # NASBOT's conv_scale
_CONV_RES_RAW_COST_FRAC = 0.9  # NASBOT's CONV_RES_RAW_COST_FRAC


@dataclass(frozen=True, slots=True)
class LabelInfo:
    """What a vocabulary knows about one label."""

    label: str
    kind: str
    groups: tuple[bool, bool, bool]  # member of 'conv', 'pool', 'fc'
    family: str  # 'conv', 'res', 'max-pool', 'avg-pool', 'act', or the label itself
    size: int = 0  # kernel or pool size where the label has one


def _conv_size_cost(k1: int, k2: int) -> float:
    """NASBOT's _get_conv_filter_size_cost: sqrt(2)/10 * sqrt(|k1 - k2|)."""
    return _CONV_SCALE * float(np.sqrt(float(abs(k1 - k2))))


def _conv_family_cost(x: LabelInfo, y: LabelInfo, nap: float) -> float | None:
    """conv–conv, res–res and conv–res costs as NASBOT defines them; None otherwise."""
    families = {x.family, y.family}
    if families <= {"conv", "res"}:
        raw = _conv_size_cost(x.size, y.size)
        if len(families) == 1:
            return raw
        return (
            raw
            if raw > nap
            else _CONV_RES_RAW_COST_FRAC * raw + (1 - _CONV_RES_RAW_COST_FRAC) * nap
        )
    return None


class Vocabulary:
    """A set of labels, interned as integers, with their kinds, groups and costs."""

    name: str

    def __init__(self, name: str, known: str) -> None:
        self.name = name
        self.known = known  # for error messages: what labels look like
        self._ids: dict[str, int] = {}
        self._infos: list[LabelInfo] = []
        self._costs: dict[tuple[float, int], np.ndarray] = {}
        self._lock = threading.Lock()

    # -- labels ----------------------------------------------------------------------
    def _parse(self, label: str) -> LabelInfo | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def lookup(self, label: str) -> int | None:
        """The label's id, or None if this vocabulary does not know it."""
        found = self._ids.get(label)
        if found is not None:
            return found
        info = self._parse(label)
        if info is None:
            return None
        with self._lock:
            canonical = self._ids.get(info.label)
            if canonical is None:
                canonical = len(self._infos)
                self._infos.append(info)
                self._ids[info.label] = canonical
            self._ids[label] = canonical
        return canonical

    def info(self, label_id: int) -> LabelInfo:
        return self._infos[label_id]

    @property
    def size(self) -> int:
        return len(self._infos)

    # -- costs -----------------------------------------------------------------------
    def pair_cost(self, x: LabelInfo, y: LabelInfo, nap: float) -> float:  # pragma: no cover
        raise NotImplementedError

    def costs(self, nap: float, size: int | None = None) -> np.ndarray:
        """The (size, size) mismatch matrix for labels 0..size-1: cost * nap, inf: never.

        Built with NASBOT's double loop (upper triangle, mirrored) and cached; read-only.
        """
        size = self.size if size is None else size
        key = (float(nap), size)
        cached = self._costs.get(key)
        if cached is not None:
            return cached
        infos = self._infos[:size]
        out = np.zeros((size, size))
        for i in range(size):
            for j in range(i, size):
                cost = self.pair_cost(infos[i], infos[j], nap)
                value = math.inf if math.isinf(cost) else cost * nap
                out[i, j] = out[j, i] = value
        out.setflags(write=False)
        self._costs[key] = out
        return out


class _Nasbot(Vocabulary):
    """NASBOT's CNN labels: get_cnn_layer_labels(max_conv_size=7), in its order."""

    LABELS = ("ip", "op", "fc", "max-pool", "avg-pool", "softmax")
    LABELS += tuple(f"{kind}{k}" for k in (3, 5, 7) for kind in ("conv", "res"))

    def __init__(self) -> None:
        super().__init__("nasbot", ", ".join(self.LABELS))
        for label in self.LABELS:
            self.lookup(label)

    def _parse(self, label: str) -> LabelInfo | None:
        if label not in self.LABELS:
            return None
        if label in ("ip", "op"):
            return LabelInfo(label, label, (False, False, False), label)
        if label == "softmax":
            return LabelInfo(label, "decision", (False, False, False), label)
        if label == "fc":
            return LabelInfo(label, "fc", (False, False, True), label)
        if label.endswith("pool"):
            return LabelInfo(label, "through", (False, True, False), label)
        family = label[:-1]
        return LabelInfo(label, "conv", (True, False, False), family, int(label[-1]))

    def pair_cost(self, x: LabelInfo, y: LabelInfo, nap: float) -> float:
        if x.label == y.label:
            return 0.0
        conv = _conv_family_cost(x, y, nap)
        if conv is not None:
            return conv
        if x.label.endswith("pool") and y.label.endswith("pool"):
            return 0.5
        return math.inf


_ACTIVATION_COSTS = {frozenset({"tanh", "sigmoid"}): 0.1}  # relu vs either: 0.25
_REMAP_PLAIN = {
    "ip": ("ip", (False, False, False)),
    "op": ("op", (False, False, False)),
    "softmax": ("decision", (False, False, False)),
    "fc": ("fc", (False, False, True)),
    "relu": ("elementwise", (False, False, False)),
    "tanh": ("elementwise", (False, False, False)),
    "sigmoid": ("elementwise", (False, False, False)),
    "dropout": ("elementwise", (False, False, False)),
    "batchnorm": ("elementwise", (False, False, False)),
}
_CONV_RE = re.compile(r"(conv|res)([1-9][0-9]{0,2})")
_POOL_RE = re.compile(r"(max|avg)-pool([1-9][0-9]{0,2})?")


class _Remap(Vocabulary):
    """REMAP's labels: NASBOT's, plus activations, dropout, batch norm and pool sizes."""

    def __init__(self) -> None:
        super().__init__(
            "remap",
            "ip, op, softmax, fc, conv<k>, res<k>, max-pool<s>, avg-pool<s>, "
            "relu, tanh, sigmoid, dropout, batchnorm",
        )

    def _parse(self, label: str) -> LabelInfo | None:
        plain = _REMAP_PLAIN.get(label)
        if plain is not None:
            family = "act" if label in ("relu", "tanh", "sigmoid") else label
            return LabelInfo(label, plain[0], plain[1], family)
        match = _CONV_RE.fullmatch(label)
        if match:
            return LabelInfo(label, "conv", (True, False, False), match[1], int(match[2]))
        match = _POOL_RE.fullmatch(label)
        if match:
            size = int(match[2] or 2)  # a bare max-pool / avg-pool is a 2×2 pool
            name = f"{match[1]}-pool{size}"
            return LabelInfo(name, "through", (False, True, False), f"{match[1]}-pool", size)
        return None

    def pair_cost(self, x: LabelInfo, y: LabelInfo, nap: float) -> float:
        if x.label == y.label:
            return 0.0
        conv = _conv_family_cost(x, y, nap)
        if conv is not None:
            return conv
        if x.family.endswith("pool") and y.family.endswith("pool"):
            kind = 0.0 if x.family == y.family else 0.5
            return kind + 0.25 * abs(math.log2(x.size / y.size))
        if x.family == y.family == "act":
            return _ACTIVATION_COSTS.get(frozenset({x.label, y.label}), 0.25)
        return math.inf


VOCABULARIES: dict[str, Vocabulary] = {"nasbot": _Nasbot(), "remap": _Remap()}


def get_vocabulary(name: str) -> Vocabulary:
    """The vocabulary called `name` ("nasbot" or "remap")."""
    found = VOCABULARIES.get(name) if isinstance(name, str) else None
    if found is None:
        raise DistancesError(
            f"unknown vocabulary {name!r}: use one of {', '.join(map(repr, VOCABULARIES))}"
        )
    return found
