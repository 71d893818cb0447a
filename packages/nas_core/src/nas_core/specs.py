"""Plain value types shared by the event log, the data loaders and the training loop.

They live here, apart from all three, so that the events (which embed them) never
import torch, and the training loop never imports the store. Every struct is frozen
and rejects unknown fields: they are recorded in events and must decode back exactly.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from nas_core.arch.layers import Limits

__all__ = ["DataSpec", "DatasetInfo", "EpochMetrics", "Settings", "TrainConfig", "TrainResult"]

Fraction = Annotated[float, msgspec.Meta(gt=0.0, lt=0.5)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]
Seed = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]  # msgspec: bounds must fit an int64


class _Value(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    pass


class DataSpec(_Value):
    """Which data set a session trains on and how it is split.

    ``kind``: ``digits`` (scikit-learn's bundled 8×8 digits), ``npz`` (a file with
    ``x_train, y_train, x_test, y_test`` and optionally ``class_names``) or ``cifar10``
    (a CIFAR-10 python-format folder). ``path`` names the file or folder for the last
    two. The validation set is ``val_fraction`` of the training examples, drawn with
    ``split_seed``; ``test_fraction`` only applies to ``digits``, which has no test
    split of its own. ``limit`` caps the number of training examples (quick demos).
    """

    kind: Literal["digits", "npz", "cifar10"] = "digits"
    path: str | None = None
    split_seed: Seed = 0
    val_fraction: Fraction = 0.15
    test_fraction: Fraction = 0.2
    limit: PositiveInt | None = None


class DatasetInfo(_Value):
    """What a loaded data set is, for "session created" and the views: the sizes of
    its three splits, the input shape (channels, height, width), the class names (their
    count is the number of classes) and ``digest``, the SHA-256 of the split arrays, so
    that a re-execution can tell it trains on the same examples."""

    n_train: int
    n_val: int
    n_test: int
    input_shape: tuple[int, int, int]
    class_names: tuple[str, ...]
    digest: str


class TrainConfig(_Value):
    """How one model trains. Defaults are the original REMAP's (Adam, lr 1e-3, the
    learning rate times ``gamma`` after every epoch, batch 256, 10 epochs).
    ``patience``: stop after that many epochs without a better validation loss
    (``None``: never stop early)."""

    epochs: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 10
    batch_size: Annotated[int, msgspec.Meta(ge=1, le=65536)] = 256
    lr: Annotated[float, msgspec.Meta(gt=0.0, le=10.0)] = 1e-3
    gamma: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 0.75
    patience: PositiveInt | None = None


class Settings(_Value):
    """A session's settings, recorded in "session created"."""

    limits: Limits = Limits()
    search_space: str = "default-v1"
    train: TrainConfig = TrainConfig()
    concurrency: Annotated[int, msgspec.Meta(ge=1, le=64)] = 2


class EpochMetrics(_Value):
    """One finished epoch: losses are mean cross-entropy, accuracies fractions in 0..1.
    ``epoch`` counts from 1; ``seconds`` is that epoch's wall time; ``lr`` the rate
    it trained with."""

    epoch: PositiveInt
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    seconds: NonNegative
    lr: float


class TrainResult(_Value):
    """What a finished training reports (all of it recorded in "training finished").

    ``predictions`` are the test-set labels the model predicts, in test-set order (the
    prediction distance compares them); ``confusion[true][predicted]`` counts test
    examples; ``per_class_acc[c]`` is the recall of class c. ``forward_ms`` and
    ``backward_ms`` are per batch of ``batch_size``; ``best_epoch`` is the epoch whose
    weights were evaluated on the test set (the last one unless early stopping kept an
    earlier one)."""

    epochs: int
    best_epoch: int
    stopped_early: bool
    test_loss: float
    test_acc: float
    per_class_acc: tuple[float, ...]
    confusion: tuple[tuple[int, ...], ...]
    predictions: tuple[int, ...]
    params: int
    flops: int
    forward_ms: float
    backward_ms: float
    wall_s: float
    device: str
