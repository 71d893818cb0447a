"""`train`: one model on one data set, every epoch reported, the test set at the end.

The whole data set sits on the device as tensors (once per data set and device); an
epoch visits the training examples in the order of a seeded permutation, in batches
taken by index, so no Python code touches single examples. Validation covers the whole
validation set every epoch; early stopping (optional) watches that loss and keeps the
best weights; the test set is only used once, at the end, on the weights kept.
A training may start from given weights at a later epoch (train longer: the epochs go
on numbering, the learning rate goes on decaying), and hands the weights it tested to
`keep` (the trainer process stores them, `nas_core.weights`).
"""

from __future__ import annotations

import math
import statistics
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from nas_core.arch import Architecture, count_flops, count_params, infer
from nas_core.data import Dataset
from nas_core.packed import pack_labels
from nas_core.specs import EpochMetrics, TrainConfig, TrainResult
from nas_core.weights.ref import Weights

from .errors import TrainingCancelled, TrainingError
from .metrics import confusion_matrix, per_class_accuracy
from .module import build_module

__all__ = ["device_tensors", "pick_device", "train"]

EVAL_CHUNK = 2048  # examples per forward pass when evaluating (bounds the memory)
TIMED_BATCHES = 6  # the first batches of a training timed for forward_ms / backward_ms


class Tensors(NamedTuple):
    """A data set's six arrays as tensors on one device."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


_tensors: weakref.WeakKeyDictionary[Dataset, dict[str, Tensors]] = weakref.WeakKeyDictionary()
_tensors_lock = threading.Lock()


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """`device`, or CUDA when torch sees a GPU, else the CPU (with an explicit index
    for CUDA, so that it names one card)."""
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    return dev


def device_tensors(data: Dataset, device: torch.device) -> Tensors:
    """The arrays of `data` on `device`, copied once and kept while `data` lives (on the
    CPU they share the numpy arrays' memory)."""
    key = str(device)
    with _tensors_lock:
        per_device = _tensors.setdefault(data, {})
        if key not in per_device:
            arrays = (data.x_train, data.y_train, data.x_val, data.y_val, data.x_test, data.y_test)
            per_device[key] = Tensors(*(torch.from_numpy(a).to(device) for a in arrays))
        return per_device[key]


def _check_fits(arch: Architecture, data: Dataset) -> None:
    if tuple(arch.input.shape) != data.input_shape:
        raise TrainingError(
            f"model {arch.name!r} takes inputs of shape {tuple(arch.input.shape)}, but the "
            f"data set's are {data.input_shape}"
        )
    infos = infer(arch)
    out = infos[-1].out_shape if infos else tuple(arch.input.shape)
    if out != (data.classes,):
        raise TrainingError(
            f"model {arch.name!r} outputs shape {out}, but the data set has "
            f"{data.classes} classes: its last layer must be a dense of {data.classes} units"
        )


def _batches(n: int, size: int) -> list[tuple[int, int]]:
    """Batch bounds over `n` examples; a last batch of one example joins the one before
    it (batch norm cannot train on a single example)."""
    bounds = [(i, min(i + size, n)) for i in range(0, n, size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def _seeds(seed: int) -> tuple[int, int]:
    """Independent seeds for the weights / dropout and for the batch order."""
    a, b = np.random.SeedSequence(seed).generate_state(2, dtype=np.uint64)
    return int(a), int(b)


def _evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[float, float, torch.Tensor]:
    """Mean cross-entropy, accuracy and predicted labels of `model` on all of (x, y)."""
    model.eval()
    loss = torch.zeros((), dtype=torch.float64, device=x.device)
    preds = []
    with torch.inference_mode():
        for i in range(0, len(y), EVAL_CHUNK):
            logits = model(x[i : i + EVAL_CHUNK])
            loss += F.cross_entropy(logits, y[i : i + EVAL_CHUNK], reduction="sum").double()
            preds.append(logits.argmax(dim=1))
    pred = torch.cat(preds)
    return loss.item() / len(y), (pred == y).double().mean().item(), pred


class _Timer:
    """Forward and backward wall time of the first few batches (the very first is a
    warm-up and only counts when it is the only one)."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"
        self.forward: list[float] = []
        self.backward: list[float] = []

    @property
    def wanted(self) -> bool:
        return len(self.forward) < TIMED_BATCHES

    def now(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def add(self, forward_s: float, backward_s: float) -> None:
        self.forward.append(forward_s)
        self.backward.append(backward_s)

    def ms(self) -> tuple[float, float]:
        if not self.forward:
            return 0.0, 0.0
        skip = 1 if len(self.forward) > 1 else 0
        return (
            1000 * statistics.median(self.forward[skip:]),
            1000 * statistics.median(self.backward[skip:]),
        )


def train(
    arch: Architecture,
    data: Dataset,
    config: TrainConfig,
    *,
    seed: int,
    device: str | torch.device | None = None,
    on_epoch: Callable[[EpochMetrics], object] | None = None,
    should_stop: Callable[[], bool] | None = None,
    initial: Mapping[str, torch.Tensor] | None = None,
    first_epoch: int = 1,
    keep: Callable[[nn.Module], Weights | None] | None = None,
) -> TrainResult:
    """Train `arch` on `data` as `config` says and evaluate it on the test set.

    Adam at ``config.lr``, the rate times ``config.gamma`` after every epoch, batches of
    ``config.batch_size`` in a seeded order, ``CrossEntropyLoss`` on the logits. After
    each epoch the whole validation set is evaluated and ``on_epoch(EpochMetrics)`` is
    called. With ``config.patience``, training stops after that many epochs without a
    lower validation loss, and the weights of the best epoch are the ones tested.
    ``should_stop()`` is polled before every batch; when it returns true the training
    raises `TrainingCancelled`.

    `initial`: a ``state_dict`` to start from instead of a fresh initialisation, and
    `first_epoch` the number of the first epoch trained (``config.epochs`` epochs are
    trained, numbered on from there; the rate starts at ``lr * gamma**(first_epoch - 1)``,
    where the schedule had got to; Adam's moments start afresh). `keep`: called with the
    module holding the tested weights; what it returns is the result's ``weights``.

    `device`: ``None`` picks CUDA when present, else the CPU. On the CPU, the same seed
    (and the same number of torch threads) gives the same metrics and predictions.
    Torch's global generator is seeded inside and restored afterwards; two trainings in
    threads of one process share it and are then not reproducible (use processes).

    Raises `TrainingError` when the architecture does not fit the data set's input
    shape or classes, `TrainingCancelled` when stopped.
    """
    started = time.perf_counter()
    _check_fits(arch, data)
    dev = pick_device(device)
    t = device_tensors(data, dev)
    init_seed, order_seed = _seeds(seed)
    cuda = [dev.index] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda, device_type="cuda"):
        torch.manual_seed(init_seed)
        model = build_module(arch)
        if initial is not None:
            _load(model, initial, arch)
        model = model.to(dev)
        order = torch.Generator(device=dev)
        order.manual_seed(order_seed)
        history, best_epoch, stopped_early, timer = _fit(
            model, t, config, order, dev, on_epoch, should_stop, first_epoch
        )
    test_loss, test_acc, pred = _evaluate(model, t.x_test, t.y_test)
    if not math.isfinite(test_loss):
        raise TrainingError(f"diverged: the test loss is {test_loss}")
    predictions = pred.cpu().numpy()
    confusion = confusion_matrix(data.y_test, predictions, data.classes)
    forward_ms, backward_ms = timer.ms()
    weights = None if keep is None else keep(model)
    return TrainResult(
        epochs=len(history),
        best_epoch=best_epoch,
        stopped_early=stopped_early,
        test_loss=test_loss,
        test_acc=test_acc,
        per_class_acc=tuple(per_class_accuracy(confusion).tolist()),
        confusion=tuple(tuple(row) for row in confusion.tolist()),
        predictions=pack_labels(predictions),
        params=count_params(arch),
        flops=count_flops(arch),
        forward_ms=forward_ms,
        backward_ms=backward_ms,
        wall_s=time.perf_counter() - started,
        device=str(dev),
        weights=weights,
    )


def _load(model: nn.Module, state: Mapping[str, torch.Tensor], arch: Architecture) -> None:
    """Load `state` into `model`, refusing weights of another architecture."""
    try:
        model.load_state_dict(state, strict=True)
    except (RuntimeError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0][:200]
        raise TrainingError(
            f"the initial weights do not fit model {arch.name!r}: {first}"
        ) from None


def divergence(metrics: EpochMetrics) -> str | None:
    """Why an epoch's metrics show a diverged training (a loss that is NaN or
    infinite), or ``None``."""
    losses = {"train loss": metrics.train_loss, "validation loss": metrics.val_loss}
    bad = [f"{name} {value}" for name, value in losses.items() if not math.isfinite(value)]
    if not bad:
        return None
    return (
        f"diverged in epoch {metrics.epoch}: {', '.join(bad)} "
        f"(a lower learning rate than {metrics.lr:g} may help)"
    )


def _adam(model: nn.Module, lr: float) -> torch.optim.Adam:
    """Adam, in its fused form (one kernel for all parameters) where the device has it."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except (RuntimeError, ValueError):
        return torch.optim.Adam(model.parameters(), lr=lr)


def _fit(
    model: nn.Module,
    t: Tensors,
    config: TrainConfig,
    order: torch.Generator,
    dev: torch.device,
    on_epoch: Callable[[EpochMetrics], object] | None,
    should_stop: Callable[[], bool] | None,
    first_epoch: int = 1,
) -> tuple[list[EpochMetrics], int, bool, _Timer]:
    """The epochs (numbered from `first_epoch`): returns the metrics, the epoch whose
    weights the model now holds, whether early stopping ended it, and the batch
    timings."""
    optimizer = _adam(model, config.lr * config.gamma ** (first_epoch - 1))
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=config.gamma)
    n = len(t.y_train)
    bounds = _batches(n, config.batch_size)
    timer = _Timer(dev)
    history: list[EpochMetrics] = []
    best_loss, best_epoch, best_state, waited = float("inf"), 0, None, 0
    stopped_early = False
    last = first_epoch + config.epochs - 1
    for epoch in range(first_epoch, last + 1):
        began = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        model.train()
        perm = torch.randperm(n, generator=order, device=dev)
        loss_sum = torch.zeros((), device=dev)
        correct = torch.zeros((), dtype=torch.int64, device=dev)
        for start, stop in bounds:
            if should_stop is not None and should_stop():
                raise TrainingCancelled(epoch - first_epoch)
            idx = perm[start:stop]
            xb, yb = t.x_train[idx], t.y_train[idx]
            timed = timer.wanted
            t0 = timer.now() if timed else 0.0
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            t1 = timer.now() if timed else 0.0
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if timed:
                timer.add(t1 - t0, timer.now() - t1)
            optimizer.step()
            with torch.no_grad():
                loss_sum += loss.detach() * (stop - start)
                correct += (logits.argmax(dim=1) == yb).sum()
        schedule.step()
        if should_stop is not None and should_stop():
            raise TrainingCancelled(epoch - first_epoch)
        val_loss, val_acc, _ = _evaluate(model, t.x_val, t.y_val)
        metrics = EpochMetrics(
            epoch=epoch,
            train_loss=loss_sum.item() / n,
            train_acc=correct.item() / n,
            val_loss=val_loss,
            val_acc=val_acc,
            seconds=time.perf_counter() - began,
            lr=lr,
        )
        problem = divergence(metrics)
        if problem is not None:  # NaN/inf cannot be recorded (JSON) nor trained on further
            raise TrainingError(problem)
        history.append(metrics)
        if config.patience is not None:
            if best_state is None or val_loss < best_loss:
                best_loss, best_epoch, waited = val_loss, epoch, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                waited += 1
        if on_epoch is not None:
            on_epoch(metrics)
        if config.patience is not None and waited >= config.patience:
            stopped_early = epoch < last
            break
    ended = history[-1].epoch
    if best_state is not None and best_epoch != ended:
        model.load_state_dict(best_state)
    else:
        best_epoch = ended
    return history, best_epoch, stopped_early, timer
