"""Plate folding: correct, as compact as possible, and true to skip connections."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from snacs._fold import BLOCK, PLATE, Plate, count_blocks, count_plates, fold


def expand(items, out=None) -> list[int]:
    """The layer indices a folding stands for, copies included, in order."""
    out = [] if out is None else out
    for it in items:
        if isinstance(it, int):
            out.append(it)
        else:
            for t in range(it.count):
                body = expand(it.body, [])
                out.extend(i + t * it.period for i in body)
    return out


def cost(items) -> int:
    return sum(BLOCK if isinstance(it, int) else PLATE + cost(it.body) for it in items)


def tokens_of(items, tokens) -> list:
    return [tokens[i] for i in expand(items)]


@cache
def brute(seq: tuple) -> int:
    """Least cost over every folding, by exhaustive search (any period, any count)."""
    if not seq:
        return 0
    best = BLOCK + brute(seq[1:])
    for p in range(1, len(seq) // 2 + 1):
        body = seq[:p]
        c = 1
        while seq[c * p : (c + 1) * p] == body:
            c += 1
            if c >= 2:
                best = min(best, brute(body) + PLATE + brute(seq[c * p :]))
    return best


def plates_with_instances(items, shift=0):
    """Every drawn plate and every copy of it: (start, period, count) in layer indices."""
    for it in items:
        if isinstance(it, Plate):
            for t in range(it.count):
                if t == 0:
                    yield (it.start + shift, it.period, it.count)
                yield from plates_with_instances(it.body, shift + t * it.period)


def valid_for_skips(items, skips) -> bool:
    for k, p, c in plates_with_instances(items):
        e = k + p * c
        copies = {}
        for u, v in skips:
            if v < k or u >= e:
                continue
            if v < e:
                s = k + ((v - k) // p) * p
                if u < s - 1:
                    return False
                copies.setdefault((u - s, v - s), set()).add((v - k) // p)
            elif u >= k and u != e - 1:  # leaves the plate from inside: only from its output
                return False
        # every copy has the same skips
        if any(len(cs) != c for cs in copies.values()):
            return False
    return True


VGG = (
    ["c64", "r"] * 2
    + ["M"]
    + ["c128", "r"] * 2
    + ["M"]
    + ["c256", "r"] * 3
    + ["M"]
    + (["c512", "r"] * 3 + ["M"]) * 2
    + ["F"]
    + ["d4096", "r", "do"] * 2
    + ["d1000"]
)


def test_vgg16_comes_out_short():
    items = fold(tuple(VGG))
    assert tokens_of(items, VGG) == VGG
    assert len(VGG) == 39
    assert count_blocks(items) == 17
    assert count_plates(items) == 6
    assert cost(items) == brute(tuple(VGG))
    # [[conv512, relu] x3, maxpool] x2: nested plates
    nested = [it for it in items if isinstance(it, Plate) and it.period == 7]
    assert len(nested) == 1
    assert nested[0].count == 2
    assert any(isinstance(b, Plate) and b.count == 3 for b in nested[0].body)


def test_small_cases():
    assert fold(tuple("ab")) == (0, 1)
    assert fold(tuple("aa")) == (0, 1)  # a plate costs more than the block it saves
    assert fold(tuple("aaa")) == (Plate(0, 1, 3, (0,)),)
    assert fold(tuple("abab")) == (Plate(0, 2, 2, (0, 1)),)
    assert fold(tuple("xabcabcabcy")) == (0, Plate(1, 3, 3, (1, 2, 3)), 10)
    assert fold(()) == ()


def test_long_runs_are_cheap_and_fold_whole():
    items = fold(("a",) * 500)
    assert items == (Plate(0, 1, 500, (0,)),)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from("abc"), max_size=14))
def test_folding_is_optimal_and_lossless(seq):
    seq = tuple(seq)
    items = fold(seq)
    assert tokens_of(items, seq) == list(seq)
    assert expand(items) == list(range(len(seq)))
    assert cost(items) == brute(seq)
    assert fold(seq) == items  # deterministic


@st.composite
def tokens_and_skips(draw):
    seq = draw(st.lists(st.sampled_from("ab"), min_size=2, max_size=16))
    n = len(seq)
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4))
    skips = tuple(sorted({(min(u, v), max(u, v)) for u, v in pairs if u != v}))
    # as the renderer does: a layer's token includes the lengths of skips ending at it
    ends: dict[int, list[int]] = {}
    for u, v in skips:
        ends.setdefault(v, []).append(v - u)
    toks = tuple((t, tuple(sorted(ends.get(i, [])))) for i, t in enumerate(seq))
    return toks, skips


@settings(max_examples=300, deadline=None)
@given(tokens_and_skips())
def test_folds_respect_skip_connections(case):
    toks, skips = case
    items = fold(toks, skips)
    assert expand(items) == list(range(len(toks)))
    assert tokens_of(items, toks) == list(toks)
    assert valid_for_skips(items, skips)
    assert cost(items) <= BLOCK * len(toks)


def test_resnet_blocks_fold_with_their_skips(examples):
    import snacs
    from snacs._svg import chip

    spec = examples["resnet20"]
    c = chip(spec)
    svg = "".join(c.parts)
    assert svg.count('class="snac-plate"') == 3
    assert 'data-repeat="3"' in svg
    assert svg.count('data-repeat="2"') == 2
    assert len(spec.layers) == 60
    assert svg.count('class="snac-layer') == 36
    # nine skips, drawn as five arrows: one per plate (its copies share it) and one
    # from each of the first two plates' output into the next stage
    assert snacs.render(spec).count('class="snac-skip"') == 5


def test_a_skip_across_copies_prevents_the_fold():
    seq = tuple("ababab")
    assert fold(seq) == (Plate(0, 2, 3, (0, 1)),)
    assert fold(seq, ((1, 4),)) != (Plate(0, 2, 3, (0, 1)),)
    assert valid_for_skips(fold(seq, ((1, 4),)), ((1, 4),))
