"""Training a supernet and scoring many of its subgraphs (torch; imported only in
trainer workers, tests and benchmarks).

Training reuses `nas_core.training.loop`'s pieces: the data set's tensors on the device,
index batches in a seeded order (`_batches`, `_seeds`), the divergence check. Path
dropout by ``config.routing`` (docs/oneshot-training.md), from its own seeded generator:

- ``"sample"`` (default): every row of a batch takes its own path (`draw_routes`): in
  single mode a layer's blocks get equal shares of the rows, so every block trains on
  every batch at one path's FLOPs; in multi mode each row keeps each block with
  ``keep_prob`` (one forced on where none is). An epoch's validation loss is the mean
  over the 8 fixed masks with each mask on its own eighth of the rows (`mask_routes`:
  one pass instead of eight).
- ``"batch"`` (the paper, ONESHOT.md §4.1): a keep-mask per batch; multi mode keeps each
  block with ``keep_prob`` and forces one on where a layer would be empty; single mode
  one block per layer uniformly (SPOS); the validation loss averages 8 whole passes.

No rescaling: the evaluation masks come from the same distribution. SGD with momentum,
cosine schedule.

Evaluation (`evaluate_masks`): per mask, batch-norm statistics are re-estimated on a
seeded subset of the training set (only when the supernet has batch norm: otherwise
there is nothing to recalibrate), then one forward pass over the validation set.
"""

from __future__ import annotations

import hashlib
import io
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch.nn import functional as F

from nas_core.data import Dataset
from nas_core.packed import pack_labels
from nas_core.training.errors import TrainingCancelled, TrainingError
from nas_core.training.loop import _batches, _seeds, device_tensors, pick_device
from nas_core.training.metrics import confusion_matrix, per_class_accuracy

from .space import block_layers
from .supernet import SuperNet
from .types import Mask, Recalibration, SuperArchitecture, SupernetConfig, sort_mask

__all__ = [
    "Evaluation",
    "SupernetEpoch",
    "TrainedSupernet",
    "draw_path",
    "draw_routes",
    "evaluate_masks",
    "fixed_masks",
    "load_checkpoint",
    "mask_routes",
    "save_checkpoint",
    "train_supernet",
]

VAL_MASKS = 8  # fixed masks whose mean validation loss an epoch reports


class SupernetEpoch(NamedTuple):
    epoch: int
    train_loss: float
    val_loss: float
    seconds: float
    lr: float


class TrainedSupernet(NamedTuple):
    net: SuperNet
    epochs: list[SupernetEpoch]
    wall_s: float


class Evaluation(NamedTuple):
    mask: Mask
    val_loss: float
    val_acc: float
    per_class_acc: tuple[float, ...]
    predictions: bytes
    ms: float


def draw_path(sa: SuperArchitecture, rng: np.random.Generator, keep_prob: float) -> Mask:
    """One training path (see the module)."""
    on: list[str] = []
    for layer in sa.layers:
        ids = [b.id for b in layer.blocks]
        if sa.path_mode == "single":
            on.append(ids[int(rng.integers(len(ids)))])
            continue
        kept = [b for b, u in zip(ids, rng.random(len(ids)), strict=True) if u < keep_prob]
        on.extend(kept or [ids[int(rng.integers(len(ids)))]])
    return sort_mask(on)


def draw_routes(
    sa: SuperArchitecture, rng: np.random.Generator, n: int, keep_prob: float
) -> list[list[tuple[int, np.ndarray]] | None]:
    """Per-sample routing for a batch of `n` (``routing="sample"``, see the module): per
    layer, (block position, rows) pairs; ``None`` for a one-block layer. Single mode:
    the rows are dealt to the layer's blocks in equal shares (a seeded permutation of
    ``0, 1, .., B-1, 0, 1, ..``), so every block trains on n/B rows of every batch.
    Multi mode: each row keeps each block with `keep_prob`, one drawn where none is."""
    routes: list[list[tuple[int, np.ndarray]] | None] = []
    for layer in sa.layers:
        b = len(layer.blocks)
        if b == 1:
            routes.append(None)
            continue
        if sa.path_mode == "single":
            dealt = rng.permutation(np.arange(n) % b)
            keep = dealt[:, None] == np.arange(b)[None, :]
        else:
            keep = rng.random((n, b)) < keep_prob
            empty = np.flatnonzero(~keep.any(axis=1))
            keep[empty, rng.integers(b, size=len(empty))] = True
        routes.append([(j, np.flatnonzero(keep[:, j])) for j in range(b) if keep[:, j].any()])
    return routes


def _on_device(routes, dev: torch.device) -> list:
    return [
        None if r is None else [(j, torch.from_numpy(rows).to(dev)) for j, rows in r]
        for r in routes
    ]


def mask_routes(
    sa: SuperArchitecture, masks: Sequence[Mask], n: int
) -> list[list[tuple[int, np.ndarray]] | None]:
    """Routes that send row ``i`` of `n` through ``masks[i % len(masks)]``: the mean
    loss over the masks, each on its own share of the rows, in one pass."""
    which = np.arange(n) % len(masks)
    routes: list[list[tuple[int, np.ndarray]] | None] = []
    for layer in sa.layers:
        if len(layer.blocks) == 1:
            routes.append(None)
            continue
        route = []
        for j, block in enumerate(layer.blocks):
            rows = np.flatnonzero(np.isin(which, [k for k, m in enumerate(masks) if block.id in m]))
            if len(rows):
                route.append((j, rows))
        routes.append(route)
    return routes


def _routed_loss(net: SuperNet, x, y, routes) -> float:
    net.eval()
    with torch.inference_mode():
        return F.cross_entropy(net.forward_routed(x, routes), y).item()


def fixed_masks(sa: SuperArchitecture, seed: int, n: int = VAL_MASKS) -> list[Mask]:
    """The `n` masks an epoch's validation loss averages over (seeded)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 8]))
    return [draw_path(sa, rng, 0.5) for _ in range(n)]


def _loss(net: SuperNet, x, y, mask) -> float:
    net.eval()
    with torch.inference_mode():
        return F.cross_entropy(net(x, mask), y).item()


def train_supernet(
    sa: SuperArchitecture,
    data: Dataset,
    config: SupernetConfig,
    *,
    seed: int,
    device: str | torch.device | None = None,
    on_epoch: Callable[[SupernetEpoch], object] | None = None,
    should_stop: Callable[[], bool] | None = None,
    fixed: Mask | None = None,
) -> TrainedSupernet:
    """Train the shared weights of `sa` on `data` (see the module). On the CPU the same
    seed gives the same weights (the checkpoint's digest repeats). With `fixed`, every
    batch trains that one mask: a multi-path subgraph trained stand-alone (fresh
    weights, ONESHOT.md §4.7)."""
    started = time.perf_counter()
    if tuple(sa.input.shape) != data.input_shape or sa.input.classes != data.classes:
        raise TrainingError(
            f"supernet {sa.name!r} takes {tuple(sa.input.shape)} inputs and {sa.input.classes}"
            f" classes, but the data set has {data.input_shape} and {data.classes}"
        )
    dev = pick_device(device)
    t = device_tensors(data, dev)
    init_seed, order_seed = _seeds(seed)
    paths = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    val = fixed_masks(sa, seed) if fixed is None else [tuple(fixed)]
    val_routes = (
        _on_device(mask_routes(sa, val, len(data.y_val)), dev)
        if fixed is None and config.routing == "sample"
        else None
    )
    cuda = [dev.index] if dev.type == "cuda" else []
    history: list[SupernetEpoch] = []
    with torch.random.fork_rng(devices=cuda, device_type="cuda"):
        torch.manual_seed(init_seed)
        net = SuperNet(sa).to(dev)
        order = torch.Generator(device=dev)
        order.manual_seed(order_seed)
        if config.optimizer == "adam":
            opt = torch.optim.Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        else:
            opt = torch.optim.SGD(
                net.parameters(), lr=config.lr, momentum=config.momentum,
                weight_decay=config.weight_decay,
            )  # fmt: skip
        n = len(t.y_train)
        bounds = _batches(n, config.batch_size)
        steps = config.epochs * len(bounds)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda k: 0.5 * (1 + math.cos(math.pi * min(k, steps) / steps))
        )
        for epoch in range(1, config.epochs + 1):
            began = time.perf_counter()
            lr = opt.param_groups[0]["lr"]
            net.train()
            perm = torch.randperm(n, generator=order, device=dev)
            total = torch.zeros((), device=dev)
            for start, stop in bounds:
                if should_stop is not None and should_stop():
                    raise TrainingCancelled(epoch - 1)
                idx = perm[start:stop]
                if fixed is None and config.routing == "sample":
                    routes = draw_routes(sa, paths, stop - start, config.keep_prob)
                    logits = net.forward_routed(t.x_train[idx], _on_device(routes, dev))
                else:
                    mask = (
                        frozenset(fixed)
                        if fixed is not None
                        else frozenset(draw_path(sa, paths, config.keep_prob))
                    )
                    logits = net(t.x_train[idx], mask)
                loss = F.cross_entropy(logits, t.y_train[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                total += loss.detach() * (stop - start)
            if val_routes is not None:
                val_loss = _routed_loss(net, t.x_val, t.y_val, val_routes)
            else:
                val_loss = float(np.mean([_loss(net, t.x_val, t.y_val, m) for m in val]))
            record = SupernetEpoch(
                epoch, total.item() / n, val_loss, time.perf_counter() - began, lr
            )
            if not (math.isfinite(record.train_loss) and math.isfinite(val_loss)):
                raise TrainingError(
                    f"the supernet diverged in epoch {epoch} (train loss {record.train_loss}, "
                    f"validation loss {val_loss}); a lower learning rate than {lr:g} may help"
                )
            history.append(record)
            if on_epoch is not None:
                on_epoch(record)
    return TrainedSupernet(net, history, time.perf_counter() - started)


def _has_bn(net: SuperNet) -> bool:
    return any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in net.modules())


def _recalibrate(net: SuperNet, x: torch.Tensor, mask: frozenset[str], batch: int = 128) -> None:
    for m in net.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the subset
    net.train()
    with torch.no_grad():
        for i in range(0, len(x), batch):
            if len(x) - i > 1:
                net(x[i : i + batch], mask)


def evaluate_masks(
    net: SuperNet,
    data: Dataset,
    masks: Sequence[Mask],
    recal: Recalibration,
    *,
    device: str | torch.device | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[Evaluation]:
    """Score every mask on the validation set with the shared weights (see the module)."""
    dev = pick_device(device)
    t = device_tensors(data, dev)
    net.to(dev)
    where = block_layers(net.sa)
    bn = _has_bn(net)
    if bn:
        saved = {k: v.clone() for k, v in net.state_dict().items()}
        g = np.random.default_rng(np.random.SeedSequence([recal.seed, 512]))
        pick = g.choice(len(t.y_train), size=min(recal.examples, len(t.y_train)), replace=False)
        x_recal = t.x_train[torch.from_numpy(np.sort(pick)).to(dev)]
    out: list[Evaluation] = []
    y = data.y_val
    for mask in masks:
        if should_stop is not None and should_stop():
            raise TrainingCancelled(0)
        if any(b not in where for b in mask):
            raise TrainingError(f"mask {list(mask)} names a block the supernet does not have")
        began = time.perf_counter()
        on = frozenset(mask)
        if bn:
            _recalibrate(net, x_recal, on)
        net.eval()
        with torch.inference_mode():
            logits = net(t.x_val, on)
            loss = F.cross_entropy(logits, t.y_val).item()
            pred = logits.argmax(dim=1).cpu().numpy()
        acc = float((pred == y).mean())
        per_class = per_class_accuracy(confusion_matrix(y, pred, data.classes))
        out.append(
            Evaluation(
                tuple(mask), loss, acc, tuple(float(v) for v in per_class.tolist()),
                pack_labels(pred), 1000 * (time.perf_counter() - began),
            )
        )  # fmt: skip
    if bn:
        net.load_state_dict(saved)
    return out


def save_checkpoint(net: SuperNet, folder: Path) -> tuple[str, int, Path]:
    """Write the weights content-addressed under `folder` (``{sha256}.pt``); returns
    (sha256, size, path). Writing is atomic (a temporary file renamed)."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, buffer)
    raw = buffer.getvalue()
    digest = hashlib.sha256(raw).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}.pt"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(raw)
        tmp.replace(path)
    return digest, len(raw), path


def load_checkpoint(sa: SuperArchitecture, path: Path, sha256: str | None = None) -> SuperNet:
    """The supernet of `sa` with the weights at `path` (checked against `sha256`)."""
    raw = path.read_bytes()
    if sha256 is not None and hashlib.sha256(raw).hexdigest() != sha256:
        raise TrainingError(f"the supernet checkpoint {path} does not have digest {sha256}")
    net = SuperNet(sa)
    net.load_state_dict(torch.load(io.BytesIO(raw), weights_only=True))
    return net
