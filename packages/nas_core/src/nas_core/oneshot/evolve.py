"""The paper's evolutionary search over masks (Alg. 1-3), pure and seeded.

Decisions where the paper is silent (ONESHOT.md §4.5): population P = the number of
blocks; keep the top k = P // 2; fitness ``1 / (loss + ε)`` normalised over the
population (or, on request, by rank, since similar losses barely separate); parents
drawn fitness-proportionally; crossover takes each bit from the second parent with
probability ∝ its fitness (Alg. 2's mask); mutation flips each bit at 0.1 (single mode:
re-draws a layer's block at 0.1, Alg. 3); repair to validity (>= 1 block per layer;
exactly 1 in single mode) and to the region's constraint; a duplicate child, or one
the region's acceptance test refuses, is drawn again up to `TRIES` times (then kept,
noted in its repairs). Every random draw comes from a generator seeded by the caller.

Block fitness (§3.1.6) is the share of the population holding a block (a survival
frequency, quantised to 1/P); the *marginal score* beside it is the mean accuracy of
the evaluated subgraphs with the block minus those without.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import msgspec
import numpy as np

from .space import block_ids
from .types import Constraint, Mask, PlannedChild, SuperArchitecture, sort_mask

__all__ = [
    "EPSILON",
    "REGION_TRIES",
    "TRIES",
    "block_fitness",
    "fitness",
    "initial_population",
    "loss_stats",
    "marginal_scores",
    "next_generation",
    "random_mask",
    "repair",
]

EPSILON = 1e-6
TRIES = 20  # draws of a child that duplicates one already in the population
REGION_TRIES = 100  # draws of a child outside the region (NNI's sampling patience)

Accept = Callable[[Mask], bool]
NO_CONSTRAINT = Constraint()


def _rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


def _layers(sa: SuperArchitecture) -> list[list[str]]:
    return [[b.id for b in layer.blocks] for layer in sa.layers]


def random_mask(sa: SuperArchitecture, rng: np.random.Generator, constraint: Constraint) -> Mask:
    """A uniformly drawn valid mask (single: one block per layer; multi: every block a
    fair coin, then repaired), meeting `constraint`."""
    bits = {}
    for ids in _layers(sa):
        if sa.path_mode == "single":
            pick = ids[int(rng.integers(len(ids)))]
            bits.update({b: b == pick for b in ids})
        else:
            bits.update({b: bool(u < 0.5) for b, u in zip(ids, rng.random(len(ids)), strict=True)})
    mask, _ = repair(sa, bits, constraint, rng)
    return mask


def repair(
    sa: SuperArchitecture,
    bits: Mapping[str, bool],
    constraint: Constraint,
    rng: np.random.Generator,
) -> tuple[Mask, list[str]]:
    """`bits` made valid and within `constraint`; returns the mask and what changed."""
    on_forced, off_forced = set(constraint.on), set(constraint.off)
    notes: list[str] = []
    chosen: list[str] = []
    for ids in _layers(sa):
        on = [b for b in ids if bits.get(b, False)]
        forced = [b for b in ids if b in on_forced]
        for b in on:
            if b in off_forced:
                notes.append(f"{b} off (region)")
        on = [b for b in on if b not in off_forced]
        for b in forced:
            if b not in on:
                notes.append(f"{b} on (region)")
                on.append(b)
        allowed = [b for b in ids if b not in off_forced] or ids
        if sa.path_mode == "single":
            if forced:
                keep = forced[0]
            elif len(on) == 1:
                keep = on[0]
            else:
                pool = on or allowed
                keep = pool[int(rng.integers(len(pool)))]
                notes.append(f"{keep} chosen ({len(on)} on in its layer)")
            on = [keep]
        elif not on:
            keep = allowed[int(rng.integers(len(allowed)))]
            notes.append(f"{keep} on (empty layer)")
            on = [keep]
        chosen.extend(on)
    return sort_mask(chosen), notes


def _draw(
    make: Callable[[], PlannedChild],
    seen: set[Mask],
    accept: Accept | None,
    fallback: Callable[[Mask, set[Mask]], Mask | None] | None = None,
) -> PlannedChild:
    """A child from `make`, drawn again while it is a duplicate (up to `TRIES` draws) or
    outside the region (`accept`; up to `REGION_TRIES`), then, if it still is outside,
    replaced by ``fallback(mask, seen)`` (the nearest region member), noted in its
    repairs."""
    limit = TRIES if accept is None else REGION_TRIES
    child = make()
    tries = 1
    while tries < limit and (child.mask in seen or (accept is not None and not accept(child.mask))):
        child = make()
        tries += 1
    child = msgspec.structs.replace(child, tries=tries)
    if accept is not None and not accept(child.mask) and fallback is not None:
        member = fallback(child.mask, seen)
        if member is not None:
            child = msgspec.structs.replace(
                child, mask=member,
                repairs=(*child.repairs, f"outside the region after {tries} draws: nearest member"),
            )  # fmt: skip
    seen.add(child.mask)
    return child


def initial_population(
    sa: SuperArchitecture,
    size: int,
    seed: int,
    constraint: Constraint = NO_CONSTRAINT,
    accept: Accept | None = None,
    fallback=None,
) -> list[PlannedChild]:
    """`size` random valid masks (distinct while the space allows it)."""
    rng = _rng(seed)
    seen: set[Mask] = set()
    return [
        _draw(lambda: PlannedChild(random_mask(sa, rng, constraint)), seen, accept, fallback)
        for _ in range(size)
    ]


def fitness(
    losses: Sequence[float], selection: str = "fitness", eps: float = EPSILON
) -> list[float]:
    """Normalised fitness (sums to 1): ``1/(loss+ε)`` (Eq. 2), or by rank (the best P,
    the worst 1) when `selection` is ``"rank"``."""
    a = np.asarray(losses, dtype=np.float64)
    if selection == "rank":
        order = np.argsort(np.argsort(-a, kind="stable"), kind="stable")
        raw = order + 1.0
    else:
        raw = 1.0 / (a + eps)
    return (raw / raw.sum()).tolist()


def loss_stats(losses: Sequence[float]) -> tuple[float, float, float]:
    """[max, mean, min] of the population's losses (Alg. 1's log)."""
    return float(max(losses)), float(np.mean(losses)), float(min(losses))


def next_generation(
    sa: SuperArchitecture,
    population: Sequence[Mask],
    losses: Sequence[float],
    *,
    keep: int,
    seed: int,
    mutation: float = 0.1,
    selection: str = "fitness",
    constraint: Constraint = NO_CONSTRAINT,
    accept: Accept | None = None,
    fallback=None,
    size: int | None = None,
) -> tuple[list[Mask], list[PlannedChild]]:
    """The top-`keep` (the elite, kept as they are) and ``size - keep`` children bred
    from the population (see the module); `size` defaults to the population's."""
    rng = _rng(seed)
    size = len(population) if size is None else size
    fit = np.asarray(fitness(losses, selection))
    order = np.argsort(np.asarray(losses), kind="stable")
    elite = [population[i] for i in order[:keep]]
    bits_order = block_ids(sa)
    layers = _layers(sa)
    seen: set[Mask] = set(elite)

    def make() -> PlannedChild:
        fi, mi = rng.choice(len(population), size=2, p=fit)
        father, mother = set(population[fi]), set(population[mi])
        p_m = fit[mi] / (fit[fi] + fit[mi])
        cross = (rng.random(len(bits_order)) < p_m).astype(int).tolist()
        bits = {
            b: (b in mother) if c else (b in father) for b, c in zip(bits_order, cross, strict=True)
        }
        flips: list[str] = []
        if sa.path_mode == "single":
            mutated = rng.random(len(layers)) < mutation
            repaired, notes = repair(sa, bits, Constraint(), rng)  # one per layer first
            bits = {b: b in repaired for b in bits_order}
            for i, ids in enumerate(layers):
                if mutated[i] and len(ids) > 1:
                    current = next(b for b in ids if bits[b])
                    others = [b for b in ids if b != current]
                    new = others[int(rng.integers(len(others)))]
                    bits[current], bits[new] = False, True
                    flips.extend([current, new])
        else:
            notes = []
            for b, u in zip(bits_order, rng.random(len(bits_order)), strict=True):
                if u < mutation:
                    bits[b] = not bits[b]
                    flips.append(b)
        mask, more = repair(sa, bits, constraint, rng)
        return PlannedChild(
            mask, (tuple(population[fi]), tuple(population[mi])), tuple(cross),
            tuple(sort_mask(flips)), tuple(notes + more),
        )  # fmt: skip

    children = [_draw(make, seen, accept, fallback) for _ in range(max(0, size - keep))]
    return elite, children


def block_fitness(sa: SuperArchitecture, population: Sequence[Mask]) -> dict[str, float]:
    """The share of the population holding each block (§3.1.6), in [0, 1]."""
    n = max(1, len(population))
    counts = dict.fromkeys(block_ids(sa), 0)
    for mask in population:
        for b in mask:
            if b in counts:
                counts[b] += 1
    return {b: c / n for b, c in counts.items()}


def marginal_scores(
    sa: SuperArchitecture, evaluated: Mapping[Mask, float]
) -> dict[str, float | None]:
    """Mean accuracy of the evaluated subgraphs with the block minus those without
    (``None`` when either side is empty)."""
    out: dict[str, float | None] = {}
    items = list(evaluated.items())
    for b in block_ids(sa):
        with_b = [acc for mask, acc in items if b in mask]
        without = [acc for mask, acc in items if b not in mask]
        out[b] = float(np.mean(with_b) - np.mean(without)) if with_b and without else None
    return out
