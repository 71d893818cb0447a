"""Chips per second: VGG16 and 10-layer models, against a straightforward baseline.

The baseline is the obvious implementation: stdlib ``json`` for the spec, an
``xml.etree.ElementTree`` tree for the SVG, every layer drawn (no folding, no caches).
snacs is measured from a decoded Spec, from JSON bytes (decode included), without plate
folding, and with the folding cache cleared before every chip (cold).

Chips per second (from the median round, and from the best) are in each benchmark's
``extra_info``: ``pytest benchmarks/test_snacs.py --benchmark-json=out.json`` records
them. Nothing here asserts on time.
"""

from __future__ import annotations

import json
import math
import random
import xml.etree.ElementTree as ET

import pytest

import snacs
from snacs._fold import fold

pytest.importorskip("pytest_benchmark")

SVG_NS = "http://www.w3.org/2000/svg"
COLOURS = {
    "conv": "#0072B2",
    "maxpool": "#56B4E9",
    "avgpool": "#56B4E9",
    "dense": "#D55E00",
    "dropout": "#F0E442",
    "batchnorm": "#CC79A7",
    "relu": "#009E73",
    "tanh": "#009E73",
    "sigmoid": "#009E73",
    "flatten": "#E69F00",
}


def naive_render(data: bytes, height: float = 40.0) -> str:
    """The baseline: parse with json, infer shapes on dicts, build an ElementTree."""
    doc = json.loads(data)
    shape = list(doc["input"]["shape"])
    bw, gap = 0.5 * height, 0.07 * height
    svg = ET.Element("svg", {"xmlns": SVG_NS, "class": "snac"})
    x = 3.0
    for i, layer in enumerate(doc["layers"]):
        t = layer["type"]
        params = 0
        if t == "conv":
            k, s = layer.get("kernel", 3), layer.get("stride", 1)
            params = layer["filters"] * shape[0] * k * k + layer["filters"]
            shape = [layer["filters"], math.ceil(shape[1] / s), math.ceil(shape[2] / s)]
        elif t in ("maxpool", "avgpool"):
            p = layer.get("pool", 2)
            shape = [shape[0], (shape[1] - p) // p + 1, (shape[2] - p) // p + 1]
        elif t == "flatten":
            shape = [math.prod(shape)]
        elif t == "dense":
            params = math.prod(shape) * layer["units"] + layer["units"]
            shape = [layer["units"]]
        elif t == "batchnorm":
            params = 2 * shape[0]
        size = math.prod(shape)
        f = min(1.0, max(0.0, (math.log(size) - math.log(8)) / (22 * math.log(2) - math.log(8))))
        h = height * 0.72 * (0.26 + 0.74 * f)
        g = ET.SubElement(svg, "g", {"class": f"snac-layer snac-{t}"})
        ET.SubElement(g, "title").text = (
            f"{t}\nlayer {i}\noutput {'×'.join(map(str, shape))} ({size:,} values)\n"
            f"{params:,} parameters"
        )
        ET.SubElement(
            g,
            "rect",
            {
                "x": str(round(x, 2)),
                "y": str(round((height - h) / 2, 2)),
                "width": str(round(bw, 2)),
                "height": str(round(h, 2)),
                "fill": COLOURS.get(t, "#A3A3A3"),
            },
        )
        text = ET.SubElement(
            g,
            "text",
            {"x": str(round(x + bw / 2, 2)), "y": str(round(height / 2, 2))},
        )
        text.text = t[0].upper()
        x += bw + gap
    svg.set("viewBox", f"0 0 {round(x, 2)} {height}")
    return ET.tostring(svg, encoding="unicode")


def ten_layer_models(count: int = 100) -> list[snacs.Spec]:
    """Deterministic 10-layer CNNs in REMAP's vocabulary (digits-sized inputs)."""
    rng = random.Random(0)
    out = []
    for m in range(count):
        layers: list[dict] = []
        size = 32
        while len(layers) < 7:
            r = rng.random()
            if r < 0.35:
                layers.append(
                    {
                        "type": "conv",
                        "filters": rng.choice([8, 16, 32, 64]),
                        "kernel": rng.choice([3, 5, 7]),
                    }
                )
            elif r < 0.55:
                layers.append({"type": rng.choice(["relu", "tanh", "sigmoid"])})
            elif r < 0.7 and size >= 4:
                layers.append({"type": rng.choice(["maxpool", "avgpool"]), "pool": 2})
                size //= 2
            elif r < 0.85:
                layers.append({"type": "batchnorm"})
            else:
                layers.append({"type": "dropout", "rate": rng.choice([0.1, 0.25, 0.5])})
        layers += [
            {"type": "flatten"},
            {"type": "dense", "units": 64},
            {"type": "dense", "units": 10},
        ]
        doc = {"name": f"m{m}", "input": {"shape": [3, 32, 32], "classes": 10}, "layers": layers}
        out.append(snacs.decode(doc))
    return out


VGG = snacs.examples()["vgg16"]
VGG_JSON = snacs.encode(VGG)
TEN = ten_layer_models()
TEN_JSON = [snacs.encode(s) for s in TEN]


def per_second(benchmark, chips: int) -> None:
    """Record chips per second, from the median round (robust to a busy machine)."""
    if benchmark.stats is None:  # --benchmark-disable: ran once as a plain test
        return
    stats = benchmark.stats.stats
    benchmark.extra_info["chips"] = chips
    benchmark.extra_info["chips_per_second"] = round(chips / stats.median)
    benchmark.extra_info["chips_per_second_best"] = round(chips / stats.min)


@pytest.mark.benchmark(group="vgg16", warmup=True, warmup_iterations=50)
def test_vgg16_snacs(benchmark):
    svg = benchmark(snacs.render, VGG)
    assert svg.count('class="snac-layer') == 17
    per_second(benchmark, 1)


@pytest.mark.benchmark(group="vgg16", warmup=True, warmup_iterations=50)
def test_vgg16_snacs_from_json(benchmark):
    svg = benchmark(snacs.render, VGG_JSON)
    assert svg == snacs.render(VGG)
    per_second(benchmark, 1)


@pytest.mark.benchmark(group="vgg16", warmup=True, warmup_iterations=50)
def test_vgg16_snacs_cold_folding(benchmark):
    def cold():
        fold.cache_clear()
        return snacs.render(VGG)

    assert benchmark(cold) == snacs.render(VGG)
    per_second(benchmark, 1)


@pytest.mark.benchmark(group="vgg16", warmup=True, warmup_iterations=50)
def test_vgg16_snacs_unfolded(benchmark):
    svg = benchmark(snacs.render, VGG, fold=False)
    assert svg.count('class="snac-layer') == 39
    per_second(benchmark, 1)


@pytest.mark.benchmark(group="vgg16", warmup=True, warmup_iterations=50)
def test_vgg16_baseline_elementtree(benchmark):
    svg = benchmark(naive_render, VGG_JSON)
    assert ET.fromstring(svg) is not None
    per_second(benchmark, 1)


@pytest.mark.benchmark(group="ten-layer", warmup=True, warmup_iterations=50)
def test_ten_layer_snacs(benchmark):
    out = benchmark(lambda: [snacs.render(s) for s in TEN])
    assert len(out) == len(TEN)
    per_second(benchmark, len(TEN))


@pytest.mark.benchmark(group="ten-layer", warmup=True, warmup_iterations=50)
def test_ten_layer_snacs_from_json(benchmark):
    out = benchmark(lambda: [snacs.render(s) for s in TEN_JSON])
    assert out[0] == snacs.render(TEN[0])
    per_second(benchmark, len(TEN))


@pytest.mark.benchmark(group="ten-layer", warmup=True, warmup_iterations=50)
def test_ten_layer_baseline_elementtree(benchmark):
    out = benchmark(lambda: [naive_render(s) for s in TEN_JSON])
    assert len(out) == len(TEN)
    per_second(benchmark, len(TEN))


@pytest.mark.benchmark(group="sheet", warmup=True, warmup_iterations=50)
def test_sheet_of_ten_layer_models(benchmark):
    svg = benchmark(snacs.sheet, TEN[:20])
    assert svg.count('class="snac-sheet-row"') == 20
    per_second(benchmark, 20)
