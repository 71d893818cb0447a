"""The four ways a trained model leaves REMAP (torch; imported on first use).

- ``state_dict``: the weights file as stored (``torch.save`` of the ``state_dict``) and
  a JSON sidecar beside it (`nas_core.export.sidecar`);
- ``torchscript``: ``torch.jit.script`` of the ``nn.Sequential`` with its weights;
- ``onnx``: ``torch.onnx.export`` (the TorchScript-based exporter, ``dynamo=False``:
  about 0.7 s for the largest default model), then run with onnxruntime on the test
  split: refused (nothing written) unless it predicts what torch predicts;
- ``python``: a standalone ``.py`` (`nas_core.export.python_source`) and the weights
  file beside it.

Files are written to temporary names in the target folder and renamed into place
once all of them are complete, so a refused or failed export leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from nas_core.data import Dataset
from nas_core.events import ModelState, SessionState
from nas_core.training import build_module
from nas_core.weights import WeightsError, WeightStore, load_state_dict

from .errors import ExportError
from .kinds import FORMATS
from .sidecar import sidecar

__all__ = ["export_model", "exported_files", "finished", "trained_module"]

EVAL_CHUNK = 2048


def finished(state: SessionState, model_id: str) -> ModelState:
    """The finished model `model_id` of `state`, or `ExportError`."""
    model = state.models.get(model_id)
    if model is None:
        raise ExportError(f"no model {model_id!r} in session {state.session}")
    if model.status != "done" or model.result is None:
        raise ExportError(f"{model_id} has not finished training (it is {model.status})")
    if model.result.weights is None:
        raise ExportError(
            f"{model_id}'s weights were not kept (trained before REMAP kept weights, or "
            "their upload failed): retrain it to export it"
        )
    return model


def weights_bytes(model: ModelState, store: WeightStore) -> bytes:
    """The model's stored weights file, or `ExportError` when it is missing."""
    weights = model.result.weights  # type: ignore[union-attr]
    if not store.present(weights):
        raise ExportError(
            f"{model.id}: weights missing (file {weights.digest[:12]}… is not in the data "
            "folder): retrain it (queue it again) to export it"
        )
    try:
        return store.read(weights.digest)
    except WeightsError as exc:
        raise ExportError(f"{model.id}: weights damaged ({exc}); retrain it") from exc


def trained_module(model: ModelState, data: bytes) -> nn.Sequential:
    """The model's ``nn.Sequential`` with the weights in `data`, in eval mode."""
    module = build_module(model.arch)
    module.load_state_dict(load_state_dict(data, f"{model.id}'s weights"))
    return module.eval()


def predict(module: nn.Module, x: np.ndarray) -> np.ndarray:
    """Predicted labels of `module` for the inputs `x`, in chunks."""
    out = []
    with torch.inference_mode():
        for i in range(0, len(x), EVAL_CHUNK):
            out.append(module(torch.from_numpy(x[i : i + EVAL_CHUNK])).argmax(dim=1).numpy())
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def exported_files(fmt: str, out: Path) -> tuple[Path, ...]:
    """The files an export of `fmt` to `out` writes."""
    if fmt == "state_dict":
        return (out, out.with_suffix(".json"))
    if fmt == "python":
        return (out, out.with_suffix(".pt"))
    return (out,)


def export_model(
    state: SessionState,
    model_id: str,
    fmt: str,
    out: str | Path,
    *,
    store: WeightStore,
    dataset: Callable[[], Dataset],
) -> tuple[Path, ...]:
    """Export finished `model_id` of `state` as `fmt` to `out` (and the files beside
    it, `exported_files`); `dataset()` loads the session's data set (the ONNX check
    runs on its test split). Returns the files written. `ExportError` when it cannot."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = Path(out)
    model = finished(state, model_id)
    data = weights_bytes(model, store)
    module = trained_module(model, data)
    contents = _WRITERS[fmt](state, model, module, data, out, dataset)
    return _write_all(contents)


# --- the writers: each returns {path: bytes} -------------------------------------------


def _state_dict(state, model, module, data, out, dataset):
    card = json.dumps(sidecar(state, model), indent=2, ensure_ascii=False) + "\n"
    return {out: data, out.with_suffix(".json"): card.encode()}


def _torchscript(state, model, module, data, out, dataset):
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # TorchScript is deprecated, yet what C++/mobile load
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(module), buffer)
    return {out: buffer.getvalue()}


def _onnx(state, model, module, data, out, dataset):
    import onnxruntime

    example = torch.zeros(1, *model.arch.input.shape)
    buffer = io.BytesIO()
    # the legacy exporter: ~0.7 s against the dynamo one's many seconds (deprecated)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            module, (example,), buffer, dynamo=False, input_names=["input"],
            output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        )  # fmt: skip
    onnx_bytes = buffer.getvalue()
    x = dataset().x_test
    session = onnxruntime.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    got = np.concatenate(
        [
            session.run(None, {"input": x[i : i + EVAL_CHUNK]})[0].argmax(axis=1)
            for i in range(0, len(x), EVAL_CHUNK)
        ]
    )
    want = predict(module, x)
    differ = int((got != want).sum())
    if differ:
        raise ExportError(
            f"{model.id}: the ONNX model predicts differently from torch on {differ} of "
            f"{len(x)} test examples (checked with onnxruntime); nothing was written"
        )
    return {out: onnx_bytes}


def _python(state, model, module, data, out, dataset):
    from .preprocessing import preprocessing
    from .python_source import python_source

    weights = out.with_suffix(".pt")
    prep = preprocessing(state.data, tuple(model.arch.input.shape))["steps"]
    source = python_source(
        model.arch, session=state.session, test_acc=model.result.test_acc,
        class_names=state.class_names, weights_file=weights.name, preprocessing=prep,
    )  # fmt: skip
    return {out: source.encode(), weights: data}


_WRITERS = {
    "state_dict": _state_dict,
    "torchscript": _torchscript,
    "onnx": _onnx,
    "python": _python,
}


def _write_all(contents: dict[Path, bytes]) -> tuple[Path, ...]:
    """Write every file under a temporary name, then rename them all into place."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, data in contents.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
            os.fchmod(fd, 0o644)  # a file for the user, not mkstemp's private 0600
            temps.append((temp, path))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        for temp, path in temps:
            os.replace(temp, path)
    except BaseException:
        for temp, _ in temps:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise
    return tuple(contents)
