"""Sampling new architectures from the Markov chain of a search space (paper 5.2).

From the ``start`` state the chain draws the first layer's kind, its hyper-parameters
from the grids, then each next kind from the row of the previous one, until it draws
the classifier. Rules on top of the table, all explicit:

- **flatten**: inserted before the first dense (or the classifier, if the data is
  still an image then); it is not a state of the chain;
- **spatial size**: a conv or a pool is a candidate only while some kernel / pool size
  of the grid fits the current spatial size (``size >= window``), and its size is drawn
  among those that fit (the original REMAP silently dropped layers that did not fit);
- **depth**: a kind is a candidate only if the model can still end within
  ``limits.max_depth`` layers (flatten and classifier included); when nothing else
  fits, the classifier is drawn;
- **size**: a model over ``limits.max_params`` or ``limits.max_flops`` is rejected (as
  soon as its running count passes the cap) and the next attempt starts, as the
  original REMAP resampled models over 1 M parameters; so is a duplicate of an
  existing or earlier model.

Candidates that a rule removes leave the others' weights as they are (renormalised).
Attempts draw from one stream in order, so the first k of ``count=n`` samples are the
samples of ``count=k``.
"""

from __future__ import annotations

from nas_core.arch.canonical import arch_hash
from nas_core.arch.layers import Architecture, Flatten, Input, Limits
from nas_core.arch.shapes import step
from nas_core.arch.validate import validate
from nas_core.errors import GeneratorError

from ._common import summarize
from .chain import Stream, draw_layer, fits, next_weights
from .results import SampleReport, Skipped
from .search_space import SearchSpace

__all__ = ["sample", "sample_report"]


def _one(
    stream: Stream, inp: Input, space: SearchSpace, limits: Limits
) -> tuple[list[object], str | None]:
    """One walk of the chain: the layers, and the rejection reason (or None)."""
    layers: list[object] = []
    shape: tuple[int, ...] = inp.shape
    flat_by: str | None = None
    prev = "start"
    params = flops = 0

    def add(layer: object) -> None:
        nonlocal shape, flat_by, params, flops
        shape, flat_by, p, f = step(len(layers), layer, shape, flat_by)
        params += p
        flops += f
        layers.append(layer)

    while True:
        flat = flat_by is not None
        depth = len(layers)
        candidates = []
        for kind, weight in next_weights(space, prev, flat):
            if weight <= 0 or kind == "classifier" or not fits(space, kind, shape):
                continue
            adds = 2 if kind == "dense" and not flat else 1
            still_needed = 1 if flat or kind == "dense" else 2
            if depth + adds + still_needed <= limits.max_depth:
                candidates.append((kind, weight))
        classifier = dict(next_weights(space, prev, flat)).get("classifier", 0.0)
        if classifier > 0 or not candidates:
            candidates.append(("classifier", classifier if candidates else 1.0))
        kind = stream.weighted(candidates)
        if kind in ("dense", "classifier") and not flat:
            add(Flatten())
        add(draw_layer(stream, space, kind, shape, inp.classes))
        if params > limits.max_params:
            return layers, (
                f"over the parameter cap of {limits.max_params:,} "
                f"({params:,} at layer {len(layers) - 1})"
            )
        if flops > limits.max_flops:
            return layers, (
                f"over the FLOPs cap of {limits.max_flops:,} ({flops:,} at layer {len(layers) - 1})"
            )
        if kind == "classifier":
            return layers, None
        prev = kind


def sample_report(
    seed: int,
    count: int,
    *,
    input: Input,
    space: SearchSpace,
    limits: Limits,
    existing: frozenset[str] = frozenset(),
    name_prefix: str = "m",
    max_attempts: int | None = None,
) -> SampleReport:
    """`count` new architectures named ``f"{name_prefix}{k}"`` (k from 1), with the
    attempts it took and the rejected ones. `existing` holds the `arch_hash` of the
    session's models; duplicates of those (or of an earlier sample) are rejected.
    Raises `GeneratorError` after `max_attempts` (default ``100 * count + 100``)."""
    if count < 0:
        raise GeneratorError(f"count must be >= 0, not {count}")
    if limits.max_depth < 2:
        raise GeneratorError(
            f"a depth cap of {limits.max_depth} leaves no room for a flatten and the classifier"
        )
    stream = Stream(seed)
    budget = 100 * count + 100 if max_attempts is None else max_attempts
    seen = set(existing)
    made: list[Architecture] = []
    rejected: list[Skipped] = []
    kinds: dict[str, int] = {}
    attempt = 0
    while len(made) < count:
        if attempt >= budget:
            raise GeneratorError(
                f"made {len(made)} of {count} models in {attempt} attempts; {summarize(kinds)}",
                skipped=tuple(rejected),
            )
        layers, reason = _one(stream, input, space, limits)
        arch = Architecture(name=f"{name_prefix}{len(made) + 1}", input=input, layers=tuple(layers))
        if reason is None:
            digest = arch_hash(arch)
            if digest in seen:
                reason = "duplicate of an existing model"
            else:
                validate(arch, limits)  # the chain's rules make it valid; check anyway
                seen.add(digest)
                made.append(arch)
        if reason is not None:
            rejected.append(Skipped(attempt, reason))
            kind = reason.split(" (")[0]
            kinds[kind] = kinds.get(kind, 0) + 1
        attempt += 1
    return SampleReport(tuple(made), attempt, tuple(rejected))


def sample(
    seed: int,
    count: int,
    *,
    input: Input,
    space: SearchSpace,
    limits: Limits,
    existing: frozenset[str] = frozenset(),
    name_prefix: str = "m",
) -> list[Architecture]:
    """`count` new architectures from the chain of `space` (see the module); the same
    arguments give the same architectures on any machine."""
    return list(
        sample_report(
            seed, count, input=input, space=space, limits=limits, existing=existing,
            name_prefix=name_prefix,
        ).architectures
    )  # fmt: skip
