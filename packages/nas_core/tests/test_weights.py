"""Weights kept (issue 19): every finished training's weights as a content-addressed
file under the data folder, recorded in "training finished"; a missing file is retrained;
train longer continues a model from them; the four export formats predict exactly what
REMAP recorded for the test split. Real trainings (tiny, digits), real files."""

from __future__ import annotations

import importlib.util
import json

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.data import load_dataset
from nas_core.events import (
    CommandError,
    Continued,
    ContinueTraining,
    Enqueue,
    EventStore,
    TrainingFinished,
    decide,
    decode_command,
)
from nas_core.export import FORMATS, ExportError, export_model, exported_files
from nas_core.packed import unpack_labels
from nas_core.service.session import SessionService
from nas_core.specs import DataSpec, Settings, TrainConfig, TrainResult
from nas_core.weights import (
    WeightsError,
    WeightStore,
    digest_of,
    load_state_dict,
    read_archive,
    write_archive,
)

DATA = DataSpec(limit=240, split_seed=3)
SETTINGS = Settings(train=TrainConfig(epochs=2, batch_size=64), concurrency=2)


# --- the store ------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(data=st.binary(min_size=1, max_size=4096))
def test_store_keeps_any_bytes_under_their_digest_once(tmp_path_factory, data) -> None:
    store = WeightStore(tmp_path_factory.mktemp("w"))
    first = store.put(data)
    assert first.digest == digest_of(data)
    assert first.size == len(data)
    assert store.read(first.digest) == data
    mtime = store.path(first.digest).stat().st_mtime_ns
    assert store.put(data, first.digest) == first  # idempotent: written once
    assert store.path(first.digest).stat().st_mtime_ns == mtime
    leftovers = [p for p in store.root.rglob("*") if p.is_file() and p.suffix != ".pt"]
    assert leftovers == []  # no temporary file left behind


def test_store_refuses_a_wrong_digest_and_writes_nothing(tmp_path) -> None:
    store = WeightStore(tmp_path)
    with pytest.raises(WeightsError, match=r"hash to .* not 0{64}"):
        store.put(b"abc", "0" * 64)
    assert list(tmp_path.rglob("*.pt")) == []
    with pytest.raises(WeightsError, match="not a weights digest"):
        store.path("../etc")


def test_store_finds_a_damaged_file(tmp_path) -> None:
    store = WeightStore(tmp_path)
    w = store.put(b"some weights")
    store.path(w.digest).write_bytes(b"other bytes!")
    with pytest.raises(WeightsError, match="damaged"):
        store.read(w.digest)
    assert not store.present(msgspec.structs.replace(w, size=3))


def test_a_result_of_an_old_log_decodes_without_weights() -> None:
    fields = {
        "epochs": 1, "best_epoch": 1, "stopped_early": False, "test_loss": 0.5, "test_acc": 0.5,
        "per_class_acc": (0.5,), "confusion": ((1,),), "predictions": b"", "params": 1, "flops": 1,
        "forward_ms": 0.0, "backward_ms": 0.0, "wall_s": 0.0, "device": "cpu",
    }  # fmt: skip
    old = msgspec.json.encode(fields)
    assert msgspec.json.decode(old, type=TrainResult).weights is None


# --- a session that keeps its weights ---------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two models trained 2 epochs, then m1 continued 2 more epochs (m3)."""
    root = tmp_path_factory.mktemp("data")
    store = EventStore(root / "remap.db")
    with SessionService(store, data_root=root, processes=2) as service:
        session = service.create_session("weights", DATA, SETTINGS)
        service.start(session, models=2, seed=7)
        service.wait_idle(session, timeout_s=180)
        service.execute(session, ContinueTraining(model="m1", epochs=2))
        state = service.wait_idle(session, timeout_s=180)
    yield root, store, session, state
    store.close()


def _test_x(state):
    return load_dataset(state.data).x_test


def test_every_finished_training_records_its_weights_file(trained) -> None:
    root, store, session, state = trained
    weights = WeightStore.in_data_dir(root)
    finished = [e.event for e in store.read(session) if isinstance(e.event, TrainingFinished)]
    assert len(finished) == 3
    for event in finished:
        w = event.result.weights
        assert w is not None
        assert weights.present(w)
        assert weights.path(w.digest) == root / "weights" / w.digest[:2] / f"{w.digest}.pt"
        # the file holds the weights that were tested: they predict what was recorded
        from nas_core.training import build_module

        module = build_module(state.models[event.model].arch)
        module.load_state_dict(load_state_dict(weights.read(w.digest)))
        import torch

        with torch.inference_mode():
            got = module.eval()(torch.from_numpy(_test_x(state))).argmax(1).numpy()
        assert got.tolist() == unpack_labels(event.result.predictions).tolist()


def test_train_longer_continues_the_curve_from_the_parent_weights(trained) -> None:
    _root, _store, _session, state = trained
    parent, child = state.models["m1"], state.models["m3"]
    assert child.status == "done"
    assert child.origin == Continued("m1", 2, parent.result.weights.digest, child.origin.batch)
    assert child.description == "Continued from m1 at epoch 2 (+2 epochs)"
    assert [e.epoch for e in parent.curve] == [1, 2]
    assert [e.epoch for e in child.curve] == [3, 4]  # the epochs go on numbering
    gamma = parent.config.gamma
    assert child.curve[0].lr == pytest.approx(parent.config.lr * gamma**2)  # the schedule too
    assert child.result.best_epoch == 4
    assert child.result.epochs == 2
    assert child.result.weights != parent.result.weights


def test_continue_training_refuses_what_it_cannot_continue(trained) -> None:
    _root, _store, _session, state = trained
    with pytest.raises(CommandError, match=r"at `\$.epochs`"):
        decode_command(b'{"type": "continue_training", "model": "m1", "epochs": 0}')
    with pytest.raises(CommandError, match="m1's weights are missing: retrain it first"):
        decide(state, ContinueTraining(model="m1", epochs=1), weights_present=lambda w: False)
    with pytest.raises(CommandError, match="no model 'm9'"):
        decide(state, ContinueTraining(model="m9", epochs=1))


def test_a_trained_model_is_queued_again_only_when_its_weights_are_missing(trained) -> None:
    _root, _store, _session, state = trained
    with pytest.raises(CommandError, match="m2 has finished training"):
        decide(state, Enqueue(models=("m2",)), weights_present=lambda w: True)
    with pytest.raises(CommandError, match="m2 has finished training"):
        decide(state, Enqueue(models=("m2",)))  # no weights folder: as before
    events = decide(state, Enqueue(models=("m2",)), weights_present=lambda w: False).events
    assert [type(p.event).__name__ for p in events] == ["TrainingQueued"]


def test_a_model_whose_file_is_missing_is_retrained_and_gets_it_back(tmp_path) -> None:
    store = EventStore(tmp_path / "remap.db")
    try:
        with SessionService(store, data_root=tmp_path, processes=1) as service:
            session = service.create_session("lost", DATA, SETTINGS)
            service.start(session, models=1, seed=3)
            before = service.wait_idle(session, timeout_s=120).models["m1"].result.weights
            path = service.weights.path(before.digest)
            with pytest.raises(CommandError, match="m1 has finished training"):
                service.execute(session, Enqueue(models=("m1",)))
            path.unlink()
            service.execute(session, Enqueue(models=("m1",)))
            after = service.wait_idle(session, timeout_s=120).models["m1"]
        assert after.status == "done"
        assert after.attempts == 2
        assert after.result.weights == before  # the same seed on the CPU: the same bytes
        assert path.is_file()
    finally:
        store.close()


def test_without_keeping_weights_nothing_is_written(tmp_path) -> None:
    store = EventStore(tmp_path / "remap.db")
    try:
        with SessionService(store, data_root=tmp_path, processes=1, keep_weights=False) as svc:
            session = svc.create_session("none", DATA, SETTINGS)
            svc.start(session, models=1, seed=3)
            state = svc.wait_idle(session, timeout_s=120)
        assert state.models["m1"].result.weights is None
        assert not (tmp_path / "weights").exists()
    finally:
        store.close()


# --- model out ------------------------------------------------------------------------------


def _recorded(state, model: str) -> list[int]:
    return unpack_labels(state.models[model].result.predictions).tolist()


def _predict_exported(fmt: str, files, x: np.ndarray) -> list[int]:
    """Load what an export wrote the way its user would, and predict the test split."""
    import torch

    if fmt == "onnx":
        import onnxruntime

        run = onnxruntime.InferenceSession(str(files[0]), providers=["CPUExecutionProvider"])
        return run.run(None, {"input": x})[0].argmax(axis=1).tolist()
    if fmt == "torchscript":
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            module = torch.jit.load(str(files[0]))
    elif fmt == "python":  # a fresh module from the file alone: plain torch
        spec = importlib.util.spec_from_file_location("exported_model", files[0])
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        module = mod.load()
    else:
        card = json.loads(files[1].read_text())
        from nas_core.arch import decode_architecture
        from nas_core.training import build_module

        module = build_module(decode_architecture(json.dumps(card["architecture"])))
        module.load_state_dict(torch.load(files[0], weights_only=True))
    with torch.inference_mode():
        return module.eval()(torch.from_numpy(x)).argmax(1).tolist()


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_exported_model_predicts_what_remap_recorded(trained, tmp_path, fmt) -> None:
    root, _store, _session, state = trained
    out = tmp_path / f"m3{'.py' if fmt == 'python' else '.onnx' if fmt == 'onnx' else '.pt'}"
    written = export_model(
        state, "m3", fmt, out, store=WeightStore.in_data_dir(root),
        dataset=lambda: load_dataset(state.data),
    )  # fmt: skip
    assert written == exported_files(fmt, out)
    assert all(p.is_file() for p in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)
    assert _predict_exported(fmt, written, _test_x(state)) == _recorded(state, "m3")


def test_the_sidecar_says_what_the_model_takes(trained, tmp_path) -> None:
    root, _store, _session, state = trained
    pt, card = export_model(
        state, "m1", "state_dict", tmp_path / "m1.pt", store=WeightStore.in_data_dir(root),
        dataset=lambda: load_dataset(state.data),
    )  # fmt: skip
    side = json.loads(card.read_text())
    assert side["input"]["shape"] == [1, 8, 8]
    assert side["preprocessing"]["scale"] == pytest.approx(1 / 16)
    assert "divided by 16" in side["preprocessing"]["steps"]
    assert side["class_names"] == list(state.class_names)
    assert side["metrics"]["test_acc"] == state.models["m1"].result.test_acc
    assert side["weights"]["digest"] == digest_of(pt.read_bytes())


def test_export_refuses_a_model_it_cannot_export(trained, tmp_path) -> None:
    root, _store, _session, state = trained
    kept = WeightStore.in_data_dir(root)
    with pytest.raises(ExportError, match="unknown format 'keras'"):
        export_model(state, "m1", "keras", tmp_path / "x", store=kept, dataset=lambda: None)
    with pytest.raises(ExportError, match="weights missing"):
        export_model(
            state, "m1", "onnx", tmp_path / "x.onnx", store=WeightStore(tmp_path / "empty"),
            dataset=lambda: None,
        )  # fmt: skip
    assert list(tmp_path.iterdir()) == [] or not any(tmp_path.glob("x*"))


def test_an_onnx_export_that_predicts_otherwise_is_refused(trained, tmp_path) -> None:
    root, _store, _session, state = trained
    real = load_dataset(state.data)

    class Shuffled:  # torch and onnxruntime see the same inputs: make torch disagree
        x_test = real.x_test

    import nas_core.export.formats as formats

    original = formats.predict
    formats.predict = lambda module, x: (original(module, x) + 1) % 10
    try:
        with pytest.raises(ExportError, match="predicts differently from torch on"):
            export_model(
                state, "m1", "onnx", tmp_path / "m1.onnx", store=WeightStore.in_data_dir(root),
                dataset=lambda: Shuffled,
            )  # fmt: skip
    finally:
        formats.predict = original
    assert not (tmp_path / "m1.onnx").exists()


# --- the archive ------------------------------------------------------------------------------


def test_an_archive_holds_the_session_and_its_checked_weights(trained, tmp_path) -> None:
    root, _store, session, state = trained
    kept = WeightStore.in_data_dir(root)
    digests = [m.result.weights.digest for m in state.models.values()]
    bundled, missing = write_archive(b"{}\n", session, digests, kept, tmp_path / "s.zip")
    assert (bundled, missing) == (3, 0)
    name, data, weights = read_archive(tmp_path / "s.zip")
    assert name == f"{session}.remap.jsonl"
    assert data == b"{}\n"
    assert sorted(weights) == sorted(digests)
    import zipfile

    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as z:
        z.writestr(f"{session}.remap.jsonl", b"{}")
        z.writestr(f"weights/{digests[0][:2]}/{digests[0]}.pt", b"not these bytes")
    with pytest.raises(WeightsError, match="is damaged"):
        read_archive(tmp_path / "bad.zip")
