"""How `otmann_networks.json` and `otmann_reference.npz` were made.

Two steps, one seeded and ours, one NASBOT's:

1. ``python make_otmann_reference.py networks otmann_networks.json`` draws the
   networks below (seed 2018) and writes them as JSON: labels, units, edges and the
   conv strides (strides only make each network valid for NASBOT's CNN checks, where
   pooling and stride-2 convolutions halve the image; OTMANN itself ignores them).
2. NASBOT's own code (kirthevasank/nasbot at 3c745dc, run under Python 3 outside this
   repository; none of it is part of REMAP) builds every network as a
   ``ConvNeuralNetwork`` and computes its OTMANN distances with
   ``get_otmann_distance_from_args("cnn", non_assignment_penalty)`` called with
   ``mislabel_coeffs``, ``struct_coeffs`` and ``dist_type="lp-emd"``, for every
   configuration in `CONFIGS`, over the blocks in `BLOCKS`. It writes one JSON object
   ``{"<config>/<block>": [[...], ...]}`` (the n×m matrices ``lp`` and ``emd`` under the
   names ``<config>/<block>/lp`` and ``<config>/<block>/emd``).
3. ``python make_otmann_reference.py collect results.json otmann_reference.npz`` checks
   the shapes and stores the matrices as float64 arrays under the same names.

The networks: 300 in four kinds of 75 each, in this order:

- ``chain``: ``ip → conv → (conv3/5/7 or a pool)* → fc* → softmax → op``, 2–14 inner
  layers, filters and units from `UNITS`, some stride-2 convolutions;
- ``res``: the same with ``res3/5/7`` layers mixed in;
- ``skip``: a ``chain`` or ``res`` network plus 1–4 skip edges between layers whose
  images have the same size (so that the concatenation is valid);
- ``dag``: side branches of 1–3 convolutions (or fc layers) that leave and rejoin the
  main path, a second softmax head in half of them, and the node order shuffled.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

SEED = 2018
PER_KIND = 75
KINDS = ("chain", "res", "skip", "dag")
UNITS = (8, 16, 32, 64, 96, 128, 192, 256, 384, 512)
FC_UNITS = (16, 32, 64, 128, 256, 512, 1024)

# name -> (mislabel_coeffs, struct_coeffs, non_assignment_penalty)
NASBOT_STRUCT_COEFFS = (0.1, 0.25, 0.61, 1.5)
CONFIGS: dict[str, tuple[tuple[float, ...], tuple[float, ...], float]] = {
    "gp": ((1.0,) * 4, NASBOT_STRUCT_COEFFS, 1.0),  # NASBOT's GP defaults
    "nap0.1": ((0.5, 2.0), (0.25, 1.0), 0.1),
    "nap2.5": ((1.0, 0.3), (0.61, 0.05), 2.5),
}
SYMMETRIC = 60  # "sym": the first 60 networks against themselves (b=None)
ANCHORS = (0, 80, 160, 240, 17, 99, 181, 263, 299)  # "rect": all 300 against these 9
BLOCKS = {"sym": (f"[:{SYMMETRIC}]", f"[:{SYMMETRIC}]"), "rect": ("[:]", str(list(ANCHORS)))}


def _size(labels: list[str], strides: list, parents: list[list[int]], k: int):
    """The inverse image size after node k (NASBOT's bookkeeping): 'x' after fc/softmax."""
    if labels[k] == "ip":
        return 1
    if labels[k] in ("fc", "softmax", "op"):
        return "x"
    before = _size(labels, strides, parents, parents[k][0])
    halves = labels[k].endswith("pool") or strides[k] == 2
    return before * 2 if halves else before


def _chain(rng: random.Random, res: bool) -> dict:
    labels, units, strides = ["ip"], [None], [None]
    for k in range(rng.randint(1, 11)):
        if k == 0 or rng.random() < 0.72:
            kind = "res" if res and rng.random() < 0.45 else "conv"
            labels.append(f"{kind}{rng.choice((3, 5, 7))}")
            units.append(rng.choice(UNITS))
            strides.append(2 if rng.random() < 0.15 else 1)
        else:
            labels.append(rng.choice(("max-pool", "avg-pool")))
            units.append(None)
            strides.append(None)
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        labels.append("fc")
        units.append(rng.choice(FC_UNITS))
        strides.append(None)
    labels += ["softmax", "op"]
    units += [None, None]
    strides += [None, None]
    edges = [[k, k + 1] for k in range(len(labels) - 1)]
    return {"labels": labels, "units": units, "strides": strides, "edges": edges}


def _parents(net: dict) -> list[list[int]]:
    parents: list[list[int]] = [[] for _ in net["labels"]]
    for i, j in net["edges"]:
        parents[j].append(i)
    return parents


def _can_join(net: dict, i: int, j: int) -> bool:
    """Whether an edge i → j keeps the network valid for NASBOT (j's image sizes agree)."""
    labels, strides = net["labels"], net["strides"]
    if labels[i] in ("softmax", "op") or labels[j] in ("ip", "op") or [i, j] in net["edges"]:
        return False
    if labels[i] == "ip" and not labels[j].startswith(("conv", "res")):
        return False
    parents = _parents(net)
    same_size = _size(labels, strides, parents, i) == _size(labels, strides, parents, parents[j][0])
    return same_size and not _reaches(net, j, i)


def _reaches(net: dict, start: int, goal: int) -> bool:
    """Whether there is a path start → goal (an edge goal → start would close a cycle)."""
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for i, j in net["edges"]:
            if i == node and j not in seen:
                seen.add(j)
                todo.append(j)
    return False


def _add_skips(rng: random.Random, net: dict, count: int) -> None:
    n = len(net["labels"])
    for _ in range(200):
        if count == 0:
            return
        i, j = sorted(rng.sample(range(n), 2))
        if j - i >= 2 and _can_join(net, i, j):
            net["edges"].append([i, j])
            count -= 1


def _add_node(net: dict, label: str, units, stride) -> int:
    net["labels"].append(label)
    net["units"].append(units)
    net["strides"].append(stride)
    return len(net["labels"]) - 1


def _add_branch(rng: random.Random, net: dict) -> None:
    """1–3 new layers that leave the main path at i and rejoin it at j."""
    n = len(net["labels"])
    for _ in range(200):
        i, j = sorted(rng.sample(range(n), 2))
        if not _can_join(net, i, j):
            continue
        parents = _parents(net)
        dense = _size(net["labels"], net["strides"], parents, i) == "x"
        if dense and net["labels"][j] not in ("fc", "softmax"):
            continue
        previous = i
        for _ in range(rng.randint(1, 3)):
            if dense:
                node = _add_node(net, "fc", rng.choice(FC_UNITS), None)
            else:
                node = _add_node(net, f"conv{rng.choice((3, 5, 7))}", rng.choice(UNITS), 1)
            net["edges"].append([previous, node])
            previous = node
        net["edges"].append([previous, j])
        return


def _add_head(rng: random.Random, net: dict) -> None:
    """A second classifier: some inner layer → fc* → softmax → op."""
    labels = net["labels"]
    inner = [k for k, lab in enumerate(labels) if lab not in ("ip", "op", "softmax")]
    previous = rng.choice(inner)
    for _ in range(rng.choice((0, 1, 2))):
        node = _add_node(net, "fc", rng.choice(FC_UNITS), None)
        net["edges"].append([previous, node])
        previous = node
    soft = _add_node(net, "softmax", None, None)
    net["edges"].append([previous, soft])
    net["edges"].append([soft, labels.index("op")])


def _shuffle(rng: random.Random, net: dict) -> None:
    order = list(range(len(net["labels"])))
    rng.shuffle(order)
    where = {old: new for new, old in enumerate(order)}
    for key in ("labels", "units", "strides"):
        net[key] = [net[key][old] for old in order]
    net["edges"] = [[where[i], where[j]] for i, j in net["edges"]]
    rng.shuffle(net["edges"])


def networks(seed: int = SEED) -> list[dict]:
    """The 300 networks, `PER_KIND` of each kind in `KINDS`."""
    rng = random.Random(seed)
    out: list[dict] = []
    for kind in KINDS:
        for _ in range(PER_KIND):
            net = _chain(rng, res=kind == "res" or (kind != "chain" and rng.random() < 0.5))
            if kind == "skip":
                _add_skips(rng, net, rng.randint(1, 4))
            elif kind == "dag":
                for _ in range(rng.randint(1, 2)):
                    _add_branch(rng, net)
                if rng.random() < 0.5:
                    _add_head(rng, net)
                _add_skips(rng, net, rng.randint(0, 2))
                _shuffle(rng, net)
            net["kind"] = kind
            out.append(net)
    return out


def collect(results_path: Path, out_path: Path) -> None:
    """Store NASBOT's matrices from `results_path` as float64 arrays in `out_path`."""
    import numpy as np

    results = json.loads(results_path.read_text())
    n = PER_KIND * len(KINDS)
    shapes = {"sym": (SYMMETRIC, SYMMETRIC), "rect": (n, len(ANCHORS))}
    arrays = {}
    for name, config in CONFIGS.items():
        for block, shape in shapes.items():
            for kind in ("lp", "emd"):
                key = f"{name}/{block}/{kind}"
                value = np.asarray(results[key], dtype=np.float64)
                assert value.shape == (len(config[1]), *shape), (key, value.shape)
                arrays[key] = value
    np.savez_compressed(out_path, **arrays)


if __name__ == "__main__":
    if sys.argv[1:2] == ["networks"]:
        Path(sys.argv[2]).write_text(json.dumps(networks(), separators=(",", ":")) + "\n")
    elif sys.argv[1:2] == ["collect"]:
        collect(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        sys.exit(__doc__)
