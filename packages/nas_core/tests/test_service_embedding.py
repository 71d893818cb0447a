"""The embedder: rows are the distances package's numbers, placement is deterministic,
the drift rule fires where documented, and restore rebuilds it without a distance."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import distances
from nas_core.arch import Input, Limits, to_layer_graph
from nas_core.events import LayoutRecomputed, ModelEmbedded
from nas_core.generators import load_search_space, sample
from nas_core.packed import unpack_floats
from nas_core.service import Embedder, EmbeddingError, EmbedUpdate
from nas_core.service.embedding import FIRST_FITS, GROWTH, STRUCT_COEF, STRUCTURE_NORMALIZE

DIGITS = Input((1, 8, 8), 10)
ARCHS = sample(3, 40, input=DIGITS, space=load_search_space("default-v1"), limits=Limits())
TEST_SIZE = 120


def predictions(count: int, seed: int = 0, test: int = TEST_SIZE) -> np.ndarray:
    """Predictions of `count` models on one test set: the truth, each model wrong on a
    share of the examples of its own (so that the distances spread)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 10, test)
    out = np.tile(truth, (count, 1))
    for k in range(count):
        wrong = rng.random(test) < rng.uniform(0.02, 0.6)
        out[k, wrong] = rng.integers(0, 10, int(wrong.sum()))
    return out


PREDS = predictions(len(ARCHS))


def ids(n: int) -> list[str]:
    return [f"m{k + 1}" for k in range(n)]


def embed(n: int, embedder: Embedder | None = None) -> tuple[Embedder, list[EmbedUpdate]]:
    embedder = embedder or Embedder()
    updates = [embedder.add(m, ARCHS[k], PREDS[k]) for k, m in enumerate(ids(n))]
    return embedder, updates


def records(updates: list[EmbedUpdate]) -> list[ModelEmbedded | LayoutRecomputed]:
    """The events as a store would give them back (through JSON)."""
    events = [e for u in updates for e in u.events()]
    data = msgspec.json.encode(events)
    return msgspec.json.decode(data, type=list[ModelEmbedded | LayoutRecomputed])


def test_rows_are_the_distances_packages_numbers() -> None:
    n = 12
    embedder, updates = embed(n)
    graphs = [to_layer_graph(a, "remap") for a in ARCHS[:n]]
    structure = distances.otmann_matrix(
        graphs, struct_coef=STRUCT_COEF, normalize=STRUCTURE_NORMALIZE, vocabulary="remap"
    )
    behaviour = distances.prediction_matrix(PREDS[:n])
    np.testing.assert_allclose(embedder.distances("structure"), structure, rtol=1e-12, atol=0)
    np.testing.assert_allclose(embedder.distances("predictions"), behaviour, rtol=1e-12, atol=0)
    for k, update in enumerate(updates):
        by = {p.projection: p for p in update.placements}
        assert by["structure"].against == by["predictions"].against == ()
        row = unpack_floats(by["structure"].distances)
        np.testing.assert_allclose(row, structure[k, :k], rtol=1e-12)
        row = unpack_floats(by["predictions"].distances)
        np.testing.assert_allclose(row, behaviour[k, :k], rtol=1e-12)


def test_placement_is_deterministic() -> None:
    _, first = embed(20)
    _, second = embed(20)
    assert first == second


def test_the_first_model_sits_at_the_origin_and_two_sit_at_their_distance() -> None:
    embedder = Embedder()
    first = embedder.add("m1", ARCHS[0], PREDS[0])
    assert first.relayouts == ()
    assert [(p.x, p.y, p.distances, p.against) for p in first.placements] == [
        (0.0, 0.0, b"", ()),
        (0.0, 0.0, b"", ()),
    ]
    second = embedder.add("m2", ARCHS[1], PREDS[1])
    assert {r.projection for r in second.relayouts} == {"structure", "predictions"}
    for relayout in second.relayouts:
        (x1, y1), (x2, y2) = relayout.positions["m1"], relayout.positions["m2"]
        assert (x1, y1) == pytest.approx((0.0, 0.0), abs=1e-12)  # aligned: m1 stays put
        d = embedder.distances(relayout.projection)[0, 1]
        assert math.hypot(x2 - x1, y2 - y1) == pytest.approx(d, rel=1e-9)
    for placement in second.placements:  # its place is the one of the new layout
        relayout = next(r for r in second.relayouts if r.projection == placement.projection)
        assert (placement.x, placement.y) == relayout.positions["m2"]


def refit_points(first_fits: int, growth: float, upto: int) -> list[int]:
    """Where the documented rule recomputes a layout: every n up to first_fits (from 2),
    then whenever n - n_fit >= growth * n_fit."""
    points, n_fit = [], 1
    for n in range(2, upto + 1):
        if n <= first_fits or n - n_fit >= growth * n_fit:
            points.append(n)
            n_fit = n
    return points


def test_the_drift_rule_fires_as_documented() -> None:
    assert refit_points(FIRST_FITS, GROWTH, 40) == [2, 3, 4, 5, 7, 9, 12, 15, 19, 24, 30, 38]
    embedder = Embedder()
    fired = []
    for k, m in enumerate(ids(40)):
        before = embedder.positions("structure")
        update = embedder.add(m, ARCHS[k], PREDS[k])
        if update.relayouts:
            assert {r.projection for r in update.relayouts} == {"structure", "predictions"}
            fired.append(k + 1)
            reason = update.relayouts[0].reason
            if k + 1 <= FIRST_FITS:
                assert f"of the first {FIRST_FITS}" in reason
            else:
                assert "added since the layout of" in reason
                assert "25%" in reason
            for r in update.relayouts:
                assert list(r.positions) == ids(k + 1)
                assert embedder.fitted_count(r.projection) == k + 1
        else:  # out-of-sample placement: the points shown do not move
            assert {m: embedder.positions("structure")[m] for m in before} == before
    assert fired == refit_points(FIRST_FITS, GROWTH, 40)


def test_other_rule_settings_are_honoured() -> None:
    embedder = Embedder(first_fits=2, growth=1.0)
    fired = [k + 1 for k, m in enumerate(ids(20)) if embedder.add(m, ARCHS[k], PREDS[k]).relayouts]
    assert fired == refit_points(2, 1.0, 20) == [2, 4, 8, 16]


def test_a_relayout_is_a_fresh_mds_aligned_onto_the_previous_picture() -> None:
    embedder, _ = embed(14)
    before = embedder.positions("predictions")
    update = embedder.add("m15", ARCHS[14], PREDS[14])  # 15 = 12 * 1.25: a refit
    (relayout,) = [r for r in update.relayouts if r.projection == "predictions"]
    shown = np.array(list(relayout.positions.values()))
    fresh = distances.OutOfSampleMDS().fit(embedder.distances("predictions")).embedding_
    # same shape as the fresh layout: pairwise distances agree up to one scale
    d_shown = np.linalg.norm(shown[:, None] - shown[None], axis=-1)
    d_fresh = np.linalg.norm(fresh[:, None] - fresh[None], axis=-1)
    scale = d_shown.sum() / d_fresh.sum()
    np.testing.assert_allclose(d_shown, scale * d_fresh, atol=1e-9 * d_shown.max())
    # and it sits where the old picture was, better than the fresh one does
    old = np.array(list(before.values()))
    moved = np.sum((shown[:14] - old) ** 2)
    assert moved <= np.sum((fresh[:14] - old) ** 2)
    assert moved <= np.sum((distances.align(fresh[:14], old) - old) ** 2) * (1 + 1e-9)


def test_restore_rebuilds_the_embedder_without_computing_a_distance(monkeypatch) -> None:
    original, updates = embed(17)
    archs = {m: ARCHS[k] for k, m in enumerate(ids(17))}
    preds = {m: PREDS[k].tolist() for k, m in enumerate(ids(17))}

    def forbidden(*args, **kwargs):
        raise AssertionError("restore computed a distance")

    with monkeypatch.context() as patch:
        patch.setattr(distances, "otmann_matrix", forbidden)
        patch.setattr(distances, "prediction_matrix", forbidden)
        restored = Embedder.restore(records(updates), archs, preds)
    assert restored.ids == original.ids
    for projection in ("structure", "predictions"):
        assert restored.positions(projection) == original.positions(projection)
        np.testing.assert_array_equal(
            restored.distances(projection), original.distances(projection)
        )
        assert restored.fitted_count(projection) == original.fitted_count(projection) == 15
    # and it goes on exactly as the original does (to rounding)
    for k in range(17, 26):
        a = original.add(f"m{k + 1}", ARCHS[k], PREDS[k])
        b = restored.add(f"m{k + 1}", ARCHS[k], PREDS[k])
        assert_updates_close(a, b)


def assert_updates_close(a: EmbedUpdate, b: EmbedUpdate) -> None:
    assert a.model == b.model
    assert [(p.projection, p.against, p.distances) for p in a.placements] == [
        (p.projection, p.against, p.distances) for p in b.placements
    ]
    for p, q in zip(a.placements, b.placements, strict=True):
        assert (p.x, p.y) == pytest.approx((q.x, q.y), rel=1e-9, abs=1e-12)
    assert [(r.projection, r.reason, list(r.positions)) for r in a.relayouts] == [
        (r.projection, r.reason, list(r.positions)) for r in b.relayouts
    ]
    for r, s in zip(a.relayouts, b.relayouts, strict=True):
        np.testing.assert_allclose(
            list(r.positions.values()), list(s.positions.values()), rtol=1e-9, atol=1e-12
        )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 14),
    more=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    order=st.permutations(range(18)),
)
def test_restore_then_add_equals_adding_all(n: int, more: int, seed: int, order: list[int]) -> None:
    preds = predictions(18, seed, test=40)
    names = [f"x{k}" for k in order]
    original = Embedder()
    updates = [original.add(names[k], ARCHS[order[k]], preds[k]) for k in range(n)]
    restored = Embedder.restore(
        records(updates),
        {names[k]: ARCHS[order[k]] for k in range(n)},
        {names[k]: preds[k] for k in range(n)},
    )
    assert restored.ids == original.ids
    for k in range(n, n + more):
        assert_updates_close(
            original.add(names[k], ARCHS[order[k]], preds[k]),
            restored.add(names[k], ARCHS[order[k]], preds[k]),
        )


def test_identical_models_do_not_break_the_layout() -> None:
    """Models that predict the same labels have a zero row; the layout stays finite."""
    embedder = Embedder()
    same = PREDS[0]
    for k, m in enumerate(ids(9)):
        update = embedder.add(m, ARCHS[k], same)
        for p in update.placements:
            assert math.isfinite(p.x)
            assert math.isfinite(p.y)
    assert set(embedder.positions("predictions").values()) == {(0.0, 0.0)}


def test_bad_input_is_refused_with_the_model_named() -> None:
    embedder, _ = embed(3)
    with pytest.raises(EmbeddingError, match="model m2 is already embedded"):
        embedder.add("m2", ARCHS[5], PREDS[5])
    with pytest.raises(EmbeddingError, match="model m9: 7 predictions, but the embedded models"):
        embedder.add("m9", ARCHS[5], PREDS[5][:7])
    with pytest.raises(EmbeddingError, match="model m9: predictions must be integer labels"):
        embedder.add("m9", ARCHS[5], PREDS[5] / 2)
    with pytest.raises(EmbeddingError, match="model m9: architecture must be an Architecture"):
        embedder.add("m9", {"layers": []}, PREDS[5])  # type: ignore[arg-type]
    with pytest.raises(EmbeddingError, match="unknown projection 'accuracy'"):
        embedder.positions("accuracy")  # type: ignore[arg-type]
    assert embedder.ids == ("m1", "m2", "m3")  # nothing half-added


def test_restore_refuses_records_that_do_not_fit() -> None:
    _, updates = embed(8)  # layouts recomputed at 2, 3, 4, 5 and 7 models
    recs = records(updates)
    archs = {m: ARCHS[k] for k, m in enumerate(ids(8))}
    preds = {m: PREDS[k] for k, m in enumerate(ids(8))}
    with pytest.raises(EmbeddingError, match="model m4 is embedded but its predictions"):
        Embedder.restore(recs, archs, {m: p for m, p in preds.items() if m != "m4"})
    with pytest.raises(EmbeddingError, match="model m8 is embedded but its architecture"):
        Embedder.restore(recs, {m: a for m, a in archs.items() if m != "m8"}, preds)
    skipped = [r for r in recs if not (isinstance(r, ModelEmbedded) and r.model == "m6")]
    with pytest.raises(EmbeddingError, match="model m7 has 6 distances, not 5 "):
        Embedder.restore(skipped, archs, preds)
    no_m2 = [r for r in recs if not (isinstance(r, ModelEmbedded) and r.model == "m2")]
    with pytest.raises(EmbeddingError, match="the structure layout lists 2 models, not the 1"):
        Embedder.restore(no_m2, archs, preds)
    one_sided = [
        r
        for r in recs
        if not (isinstance(r, ModelEmbedded) and r.model == "m8" and r.projection == "predictions")
    ]
    with pytest.raises(EmbeddingError, match="m8"):
        Embedder.restore(one_sided, archs, preds)
    with pytest.raises(EmbeddingError, match="not a ModelEmbedded or LayoutRecomputed"):
        Embedder.restore([*recs, "layout"], archs, preds)  # type: ignore[list-item]
    no_layout = [r for r in recs if isinstance(r, ModelEmbedded)]
    with pytest.raises(EmbeddingError, match="8 models but no structure layout recorded"):
        Embedder.restore(no_layout, archs, preds)
