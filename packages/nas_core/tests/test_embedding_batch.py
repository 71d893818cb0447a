"""`Embedder.add_many` (issue 20: an import embeds a search a batch at a time) gives
what `add` gives one model at a time, rows and positions bit for bit, across the
landmarks and in batches of any size."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nas_core.arch import Input, Limits, arch_hash
from nas_core.generators import load_search_space, sample
from nas_core.packed import pack_labels
from nas_core.service import Embedder, EmbeddingError

DIGITS = Input((1, 8, 8), 10)
ARCHS = sample(5, 12, input=DIGITS, space=load_search_space("default-v1"), limits=Limits())


def labels(count: int, seed: int, test: int = 30) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 10, test)
    out = np.tile(truth, (count, 1))
    wrong = rng.random(out.shape) < rng.uniform(0.0, 0.7, (count, 1))
    out[wrong] = rng.integers(0, 10, int(wrong.sum()))
    return out.astype(np.uint8)


def one_at_a_time(embedder: Embedder, names, archs, preds) -> list:
    return [embedder.add(m, a, p) for m, a, p in zip(names, archs, preds, strict=True)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    landmarks=st.integers(2, 9),
    picks=st.lists(st.integers(0, len(ARCHS) - 1), min_size=1, max_size=28),
    cuts=st.lists(st.integers(1, 12), max_size=6),
    seed=st.integers(0, 2**16),
    packed=st.booleans(),
)
def test_batches_of_any_size_embed_as_one_at_a_time(landmarks, picks, cuts, seed, packed):
    n = len(picks)
    names = [f"m{k + 1}" for k in range(n)]
    archs = [ARCHS[p] for p in picks]  # repeats: the cached structure rows are shared
    preds = labels(n, seed)
    single = Embedder(landmarks=landmarks)
    expected = one_at_a_time(single, names, archs, preds)
    batched = Embedder(landmarks=landmarks)
    got, start = [], 0
    for size in [*cuts, n]:  # batches as `cuts` says, the rest in one
        end = min(n, start + size)
        chunk = slice(start, end)
        given_preds = [pack_labels(p) for p in preds[chunk]] if packed else preds[chunk]
        hashes = [arch_hash(a) for a in archs[chunk]] if seed % 2 else None
        got += batched.add_many(names[chunk], archs[chunk], given_preds, hashes=hashes)
        start = end
    assert got == expected  # the events: floats and packed rows compared exactly
    assert batched.ids == single.ids
    for projection in ("structure", "predictions"):
        assert batched.positions(projection) == single.positions(projection)
    more = labels(1, seed + 1)[0]  # and both go on alike
    assert batched.add("next", ARCHS[0], more) == single.add("next", ARCHS[0], more)


def test_a_bad_model_in_a_batch_is_named_and_nothing_is_embedded():
    embedder = Embedder(landmarks=3)
    preds = labels(6, 1)
    embedder.add_many(["a", "b", "c", "d"], ARCHS[:4], preds[:4])
    before = embedder.positions("structure")
    bad = [
        (["e", "e"], preds[4:6], "model e is twice in the batch"),
        (["e", "a"], preds[4:6], "model a is already embedded"),
        (["e", "f"], labels(2, 2, test=31), "31 predictions, but the embedded models have 30"),
        (["e", "f"], [preds[4], preds[5][:20]], "model f: 20 predictions"),
    ]
    for names, p, words in bad:
        with pytest.raises(EmbeddingError, match=words):
            embedder.add_many(names, ARCHS[4:6], p)
        assert embedder.positions("structure") == before
    with pytest.raises(EmbeddingError, match="architecture must be an Architecture"):
        embedder.add_many(["e"], [{"layers": []}], preds[4:5])
    with pytest.raises(EmbeddingError, match="one architecture, one set of predictions"):
        embedder.add_many(["e", "f"], ARCHS[4:5], preds[4:6])
    assert len(embedder) == 4
