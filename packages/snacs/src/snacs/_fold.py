"""Plate folding: contiguous repeats of any pattern, drawn once with a repeat count.

The layers are a sequence of tokens (equal tokens = equal layer definitions, including
the skip connections that end at the layer). A *plate* covers ``count`` ≥ 2 contiguous
copies of a body of ``period`` layers; the body is itself folded, so plates nest
(VGG16's ``[[conv, relu] ×3, maxpool] ×2``).

Among all ways to fold, :func:`fold` returns one of least drawing cost, where a drawn
block costs ``BLOCK`` and a plate frame with its count costs ``PLATE`` (a little more
than a block, about the width it takes), so ``A A`` stays as it is while ``A A A`` and
``A B A B`` fold. This is an interval dynamic programme in the spirit of optimal
run-length "string compression":

    best(a, b) = min over the first item at k = a:
                   BLOCK + best(k + 1, b)                              (a single layer)
                   best(k, k + p) + PLATE + best(k + p·n, b)           (a plate, n copies)

where the second line ranges over the periods p whose first two copies match at k (read
in O(1) from per-period run-length tables built in O(n · MAX_PERIOD)) and every repeat
count n up to the longest run. Only primitive periods are tried (a body that is itself
a repetition is never better than the finer plate); bodies are memoised by content, and
inside a run the best count and the body carry over from one copy to the previous, so
long runs of one layer stay cheap.

Skip connections constrain the folds: every copy of a plate must have the same skips,
a skip that ends inside a copy must start inside it or at its input (the layer just
before the copy), and a skip that starts inside a plate and ends after it must start at
the plate's output (its last layer). That is what lets a ResNet's residual blocks fold
while the drawn arrows stay true.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

__all__ = ["BLOCK", "MAX_PERIOD", "PLATE", "Plate", "count_blocks", "count_plates", "fold"]

BLOCK = 10
PLATE = 11
#: The longest plate body searched for. Bounds the work at O(n · MAX_PERIOD) for very
#: long inputs; real repeated modules (a residual block, a VGG stage) are far shorter.
MAX_PERIOD = 128


class Plate(NamedTuple):
    """``count`` copies of the ``period`` layers from layer ``start``; ``body`` is the
    folded first copy (items are layer indices or nested plates, absolute indices)."""

    start: int
    period: int
    count: int
    body: tuple[int | Plate, ...]

    @property
    def stop(self) -> int:
        return self.start + self.period * self.count


Item = int | Plate


def _shift(items: tuple, base: int) -> tuple:
    out = []
    for it in items:
        if type(it) is int:
            out.append(base + it)
        else:
            start = base + it.start
            out.append(Plate(start, it.period, it.count, _shift(it.body, start)))
    return tuple(out)


@lru_cache(maxsize=4096)
def fold(tokens: tuple, skips: tuple[tuple[int, int], ...] = ()) -> tuple[Item, ...]:
    """Fold a token sequence into layers and plates, as compactly as possible.

    ``tokens`` are hashable and compared for equality only; ``skips`` are ``(u, v)``
    layer index pairs with ``u < v``. Deterministic: the same input gives the same
    folding. Cached, since the same models are drawn again and again.
    """
    n = len(tokens)
    if n < 3:
        return tuple(range(n))
    # runs[p][k] = length of the common prefix of tokens[k:] and tokens[k+p:]
    runs: dict[int, list[int]] = {}
    for p in range(1, min(n // 2, MAX_PERIOD) + 1):
        r = [0] * (n - p + 1)
        acc = 0
        found = False
        for k in range(n - p - 1, -1, -1):
            if tokens[k] == tokens[k + p]:
                acc += 1
                if acc >= p:
                    found = True
            else:
                acc = 0
            r[k] = acc
        if found:
            runs[p] = r
    if not runs:
        return tuple(range(n))
    periods = sorted(runs)

    def valid(k: int, p: int, c: int) -> bool:
        e = k + p * c
        for u, v in skips:
            if v < k or u >= e:
                continue
            if v < e:  # ends inside: must start in the same copy or at its input
                if u < k + ((v - k) // p) * p - 1:
                    return False
            elif u >= k and u != e - 1:  # leaves the plate: only from its output
                return False
        return True

    memo: dict[object, tuple[int, tuple]] = {}

    def solve(a: int, b: int) -> tuple[int, tuple]:
        pos = (a, b)
        hit = memo.get(pos)
        if hit is not None:
            return hit
        if not skips:  # same content, same folding
            content = tokens[a:b]
            hit = memo.get(content)
            if hit is not None:
                memo[pos] = hit
                return hit
        m = b - a
        cost = [0] * (m + 1)
        choice: list[tuple | None] = [None] * (m + 1)
        # Without skips, per period p and position i: the least cost[i + p·c] over the
        # allowed counts c ≥ 2 (with the smallest such c), and the folded body. Inside a
        # run both carry over from i + p, so a long run costs O(1) per position.
        tails: dict[int, list] = {}
        for k in range(b - 1, a - 1, -1):
            i = k - a
            best = BLOCK + cost[i + 1]
            ch = None
            rem = b - k
            for p in periods:
                if 2 * p > rem:
                    break
                r = runs[p][k]
                if r < p:
                    continue
                nmax = min(1 + r // p, rem // p)
                if skips:
                    bc, body = solve(k, k + p)
                    base = bc + PLATE
                    for c in range(2, nmax + 1):
                        if not valid(k, p, c):
                            continue
                        v = base + cost[i + p * c]
                        if v < best:
                            best = v
                            ch = (p, c, body)
                    continue
                tp = tails.get(p)
                if tp is None:
                    tp = tails[p] = [None] * (m + 1)
                if nmax >= 3:  # the run goes on: reuse what position i + p found
                    nxt = tp[i + p]
                    if nxt is None:  # not a primitive period there either
                        continue
                    low, c_low, bc, body = nxt
                    c_low += 1
                    if cost[i + 2 * p] <= low:
                        low, c_low = cost[i + 2 * p], 2
                else:
                    if any(runs[q][k] >= p - q for q in periods[: periods.index(p)] if p % q == 0):
                        continue  # not a primitive period: a finer plate is at least as good
                    bc, body = solve(k, k + p)
                    low, c_low = cost[i + 2 * p], 2
                tp[i] = (low, c_low, bc, body)
                v = bc + PLATE + low
                if v < best:
                    best = v
                    ch = (p, c_low, body)
            cost[i] = best
            choice[i] = ch
        items: list = []
        i = 0
        while i < m:
            ch = choice[i]
            if ch is None:
                items.append(i)
                i += 1
            else:
                p, c, body = ch
                items.append(Plate(i, p, c, body))
                i += p * c
        res = (cost[0], tuple(items))
        memo[pos] = res
        if not skips:
            memo[content] = res
        return res

    return _shift(solve(0, n)[1], 0)


def count_blocks(items: tuple[Item, ...]) -> int:
    """How many blocks a folding draws."""
    return sum(1 if type(it) is int else count_blocks(it.body) for it in items)


def count_plates(items: tuple[Item, ...]) -> int:
    """How many plates a folding draws."""
    return sum(0 if type(it) is int else 1 + count_plates(it.body) for it in items)
