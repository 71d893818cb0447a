"""Issue 20, item 1: a log that grows O(n).

- packed predictions and distance rows round-trip (hypothesis), and bad packed bytes
  are refused in REMAP's words;
- version 1 "training finished" / "model embedded" bodies upcast to version 2 with the
  same numbers (hypothesis), and an old log of full rows still restores;
- the bytes a model adds to the log do not depend on how many models the session holds
  (100 to 2,000 synthetic models, no training: the embedder's real events);
- past the landmarks, restore-then-add places a model where the live embedder did (a
  re-execution reproduces positions).
"""

from __future__ import annotations

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.arch import Input, Limits
from nas_core.events import LayoutRecomputed, ModelEmbedded
from nas_core.events.kinds import TrainingFinished
from nas_core.events.upcast import decode_event
from nas_core.generators import load_search_space, sample
from nas_core.packed import PackError, pack_floats, pack_labels, unpack_floats, unpack_labels
from nas_core.service import Embedder, EmbeddingError
from nas_core.service.embedding import EmbedderSnapshot
from nas_core.specs import TrainResult

DIGITS = Input((1, 8, 8), 10)
SPACE = load_search_space("default-v1")
TEST = 359  # digits' test set

labels = st.lists(st.integers(0, 2**32 - 1), max_size=300) | st.lists(
    st.integers(0, 15), max_size=300
)
floats = st.lists(st.floats(allow_nan=False), max_size=100)
finite = st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=100)  # JSON's


@given(labels)
def test_packed_labels_round_trip(values: list[int]) -> None:
    packed = pack_labels(values)
    assert unpack_labels(packed).tolist() == values
    # and through the log's JSON (base64)
    assert unpack_labels(msgspec.json.decode(msgspec.json.encode(packed), type=bytes)).tolist() == (
        values
    )


def test_labels_below_16_take_half_a_byte() -> None:
    assert len(pack_labels([3] * 359)) == 5 + 180
    assert len(pack_labels([300] * 10)) == 5 + 20


@given(floats)
def test_packed_floats_round_trip_exactly(values: list[float]) -> None:
    assert unpack_floats(pack_floats(values)).tolist() == values


@pytest.mark.parametrize(
    ("packed", "words"),
    [
        (b"\x04\x01", "shorter than their 5-byte header"),
        (b"\x08\x03\x00\x00\x00ab", r"say 3 labels of 8 bits \(3 bytes\) but hold 2 bytes"),
        (b"\x05\x01\x00\x00\x00a", "5 bits a label: not 4, 8, 16 or 32"),
    ],
)
def test_bad_packed_labels_are_refused(packed: bytes, words: str) -> None:
    with pytest.raises(PackError, match=words):
        unpack_labels(packed)
    with pytest.raises(PackError, match="not a multiple of 8"):
        unpack_floats(b"1234567")
    with pytest.raises(PackError, match="must be >= 0"):
        pack_labels([-1])


def _result_v1(predictions: list[int]) -> dict:
    return {
        "epochs": 2, "best_epoch": 2, "stopped_early": False, "test_loss": 0.5,
        "test_acc": 0.75, "per_class_acc": [0.5, 1.0], "confusion": [[1, 0], [0, 1]],
        "predictions": predictions, "params": 10, "flops": 20, "forward_ms": 0.1,
        "backward_ms": 0.2, "wall_s": 1.5, "device": "cpu",
    }  # fmt: skip


@given(st.lists(st.integers(0, 2**31), min_size=1, max_size=200))
def test_a_version_1_training_finished_reads_as_version_2(predictions: list[int]) -> None:
    body = {"kind": "training_finished", "model": "m1", "attempt": 1}
    body["result"] = _result_v1(predictions)
    event = decode_event("training_finished", 1, msgspec.json.encode(body))
    assert isinstance(event, TrainingFinished)
    assert unpack_labels(event.result.predictions).tolist() == predictions
    assert event.result.test_acc == 0.75
    assert event.result.device == "cpu"
    # the current version encodes and decodes as itself
    again = decode_event("training_finished", 2, msgspec.json.encode(event))
    assert again == event


def test_a_bad_version_1_training_finished_names_its_field() -> None:
    body = {"kind": "training_finished", "model": "m1", "attempt": 1}
    body["result"] = _result_v1([1, -2])
    with pytest.raises(Exception, match=r"result\.predictions\[1\]"):
        decode_event("training_finished", 1, msgspec.json.encode(body))


@given(
    finite,
    st.floats(-1e6, 1e6),
    st.floats(-1e6, 1e6),
    st.sampled_from(["structure", "predictions"]),
)
def test_a_version_1_model_embedded_reads_as_version_2(row, x, y, projection) -> None:
    against = [f"m{k + 1}" for k in range(len(row))]
    body = {"kind": "model_embedded", "model": "m0", "projection": projection, "x": x, "y": y}
    body |= {"distances": row, "against": against}
    event = decode_event("model_embedded", 1, msgspec.json.encode(body))
    assert isinstance(event, ModelEmbedded)
    assert unpack_floats(event.distances).tolist() == row
    assert event.against == tuple(against)
    assert (event.projection, event.x, event.y) == (projection, x, y)


# --- the embedder's log: landmarks ---------------------------------------------------------


def _predictions(count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 10, TEST)
    out = np.tile(truth, (count, 1))
    for k in range(count):
        wrong = rng.random(TEST) < rng.uniform(0.02, 0.6)
        out[k, wrong] = rng.integers(0, 10, int(wrong.sum()))
    return out


def _records(events) -> list[ModelEmbedded | LayoutRecomputed]:
    data = msgspec.json.encode(list(events))
    return msgspec.json.decode(data, type=list[ModelEmbedded | LayoutRecomputed])


def _finished(model: str, predictions: np.ndarray) -> TrainingFinished:
    result = TrainResult(
        epochs=10, best_epoch=10, stopped_early=False, test_loss=0.3, test_acc=0.9,
        per_class_acc=(0.9,) * 10, confusion=((36,) * 10,) * 10,
        predictions=pack_labels(predictions), params=12345, flops=67890,
        forward_ms=0.25, backward_ms=0.5, wall_s=1.25, device="cpu",
    )  # fmt: skip
    return TrainingFinished(model=model, attempt=1, result=result)


def test_a_model_adds_the_same_bytes_to_the_log_at_100_and_at_2000_models() -> None:
    """Bytes of each model's "training finished" and "model embedded" events (plus its
    share of "layout recomputed"), summed over windows of models: the window at 1,900
    costs what the window at 100 does (ids grow by a digit: within 1 %)."""
    n, window = 2_000, 100
    archs = sample(5, n, input=DIGITS, space=SPACE, limits=Limits())
    preds = _predictions(n)
    embedder = Embedder(landmarks=16)  # a small set keeps the test fast; the rule is the same
    per_model = []
    for k, arch in enumerate(archs):
        model = f"m{k + 1}"
        update = embedder.add(model, arch, preds[k])
        events = [_finished(model, preds[k]), *update.events()]
        per_model.append(sum(len(msgspec.json.encode(e)) for e in events))
        if k + 1 > embedder.landmarks:
            assert update.relayouts == ()  # past the landmarks nothing is laid out again
        for p in update.placements:
            assert len(unpack_floats(p.distances)) == min(k, embedder.landmarks)
    early = sum(per_model[window : 2 * window])
    late = sum(per_model[n - window :])
    assert abs(late - early) / early < 0.01, (early, late)
    # and the whole log per model: the landmarks' relayouts are a bounded start-up cost
    total_1k, total_2k = sum(per_model[:1000]) / 1000, sum(per_model) / n
    assert abs(total_2k - total_1k) / total_1k < 0.02
    assert len(embedder) == n
    assert embedder.distances("structure").shape == (16, 16)


def test_restore_past_the_landmarks_places_the_next_model_as_the_live_embedder_did() -> None:
    n = 30
    archs = sample(7, n + 3, input=DIGITS, space=SPACE, limits=Limits())
    preds = _predictions(n + 3, seed=1)
    ids = [f"m{k + 1}" for k in range(n + 3)]
    live = Embedder(landmarks=8)
    updates = [live.add(ids[k], archs[k], pack_labels(preds[k])) for k in range(n)]
    restored = Embedder.restore(
        _records(e for u in updates for e in u.events()),
        dict(zip(ids, archs, strict=True)),
        {m: pack_labels(p) for m, p in zip(ids, preds, strict=True)},
        landmarks=8,
    )
    for projection in ("structure", "predictions"):
        assert restored.positions(projection) == live.positions(projection)
    for k in range(n, n + 3):
        assert restored.add(ids[k], archs[k], preds[k]) == live.add(ids[k], archs[k], preds[k])


def test_an_old_log_of_full_rows_restores_and_places_new_models() -> None:
    """A version 1 log (every row against every earlier model, layouts over all of
    them) restored by an embedder with fewer landmarks: upcast, checked, continued."""
    n = 20
    archs = sample(9, n + 1, input=DIGITS, space=SPACE, limits=Limits())
    preds = _predictions(n + 1, seed=2)
    ids = [f"m{k + 1}" for k in range(n + 1)]
    old = Embedder(landmarks=1000)  # as the program before landmarks embedded
    updates = [old.add(ids[k], archs[k], preds[k]) for k in range(n)]
    v1 = []
    for event in (e for u in updates for e in u.events()):
        if isinstance(event, ModelEmbedded):
            row = unpack_floats(event.distances).tolist()
            k = ids.index(event.model)
            body = msgspec.to_builtins(event) | {"distances": row, "against": ids[:k]}
            v1.append(decode_event("model_embedded", 1, msgspec.json.encode(body)))
        else:
            v1.append(event)
    archs_by = dict(zip(ids, archs, strict=True))
    preds_by = dict(zip(ids, preds, strict=True))
    restored = Embedder.restore(v1, archs_by, preds_by, landmarks=8)
    assert restored.positions("structure") == old.positions("structure")
    update = restored.add(ids[n], archs[n], preds[n])
    assert update.relayouts == ()
    assert all(len(unpack_floats(p.distances)) == 8 for p in update.placements)
    # a tampered old row (against models that were not embedded before it) is refused
    bad = list(v1)
    k = next(i for i, r in enumerate(bad) if isinstance(r, ModelEmbedded) and r.model == "m5")
    bad[k] = msgspec.structs.replace(bad[k], against=("m1", "m3", "m2", "m4"))
    with pytest.raises(EmbeddingError, match="model m5 was embedded against 4 models"):
        Embedder.restore(bad, archs_by, preds_by, landmarks=8)


@settings(max_examples=5, deadline=None)
@given(st.integers(2, 12), st.integers(0, 2**16))
def test_any_landmark_count_restores_what_it_embedded(landmarks: int, seed: int) -> None:
    n = landmarks + 5
    archs = sample(seed, n, input=DIGITS, space=SPACE, limits=Limits())
    preds = _predictions(n, seed)
    ids = [f"m{k + 1}" for k in range(n)]
    live = Embedder(landmarks=landmarks)
    updates = [live.add(ids[k], archs[k], preds[k]) for k in range(n)]
    restored = Embedder.restore(
        _records(e for u in updates for e in u.events()),
        dict(zip(ids, archs, strict=True)),
        dict(zip(ids, preds, strict=True)),
        landmarks=landmarks,
    )
    assert restored.positions("predictions") == live.positions("predictions")
    assert restored.fitted_count("structure") == live.fitted_count("structure") == landmarks


@settings(max_examples=6, deadline=None)
@given(st.integers(1, 25), st.integers(3, 10))
def test_a_snapshot_and_the_records_after_it_restore_the_live_embedder(cut, landmarks) -> None:
    """Issue 20, item 2: an embedder's snapshot (through msgpack) plus the records after
    it is the embedder the whole log restores, and it places the next model alike."""
    n = 26
    archs = sample(13, n + 1, input=DIGITS, space=SPACE, limits=Limits())
    preds = _predictions(n + 1, seed=4)
    ids = [f"m{k + 1}" for k in range(n + 1)]
    live = Embedder(landmarks=landmarks)
    updates = [live.add(ids[k], archs[k], preds[k]) for k in range(n)]
    head = Embedder.restore(
        _records(e for u in updates[:cut] for e in u.events()),
        dict(zip(ids, archs, strict=True)),
        dict(zip(ids, preds, strict=True)),
        landmarks=landmarks,
    )
    snap = msgspec.msgpack.decode(msgspec.msgpack.encode(head.snapshot()), type=EmbedderSnapshot)
    restored = Embedder.restore(
        _records(e for u in updates[cut:] for e in u.events()),
        dict(zip(ids, archs, strict=True)),
        dict(zip(ids, preds, strict=True)),
        start=snap,
    )
    assert restored.ids == live.ids
    for projection in ("structure", "predictions"):
        assert restored.positions(projection) == live.positions(projection)
        assert restored.fitted_count(projection) == live.fitted_count(projection)
    assert restored.add(ids[n], archs[n], preds[n]) == live.add(ids[n], archs[n], preds[n])


def test_a_snapshot_that_does_not_fit_is_refused() -> None:
    embedder = Embedder(landmarks=4)
    for k, arch in enumerate(sample(1, 6, input=DIGITS, space=SPACE, limits=Limits())):
        embedder.add(f"m{k + 1}", arch, _predictions(6)[k])
    snap = embedder.snapshot()
    part = snap.layouts["structure"]
    bad = msgspec.structs.replace(
        snap, layouts={**snap.layouts, "structure": msgspec.structs.replace(part, points=b"x")}
    )
    with pytest.raises(EmbeddingError, match="the embedder's snapshot does not restore"):
        Embedder.restore([], {}, {}, start=bad)
