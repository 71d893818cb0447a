"""Plain value types shared by the event log, the data loaders and the training loop.

They live here, apart from all three, so that the events (which embed them) never
import torch, and the training loop never imports the store. Every struct is frozen
and rejects unknown fields: they are recorded in events and must decode back exactly.

Here too are the rules a session id and a data set path from outside (an HTTP client, a
session file brought to ``remap import``) must meet before anything is stored:
`check_session_id` and `check_data_spec`. Every door in calls the same two.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from nas_core.arch.layers import Limits
from nas_core.errors import NasCoreError
from nas_core.weights.ref import Weights

__all__ = [
    "SESSION_ID",
    "DataSpec",
    "DatasetInfo",
    "EpochMetrics",
    "InputError",
    "PathError",
    "Settings",
    "TrainConfig",
    "TrainResult",
    "check_data_spec",
    "check_session_id",
]

Fraction = Annotated[float, msgspec.Meta(gt=0.0, lt=0.5)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]
Accuracy = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]  # a fraction of examples
Count = Annotated[int, msgspec.Meta(ge=0)]
Seed = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]  # msgspec: bounds must fit an int64
ImageSide = Annotated[int, msgspec.Meta(ge=1, le=4096)]


class _Value(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    pass


class DataSpec(_Value):
    """Which data set a session trains on and how it is split.

    ``kind``: ``digits`` (scikit-learn's bundled 8×8 digits), ``npz`` (a file with
    ``x_train, y_train, x_test, y_test`` and optionally ``class_names``), ``cifar10``
    (a CIFAR-10 python-format folder), ``image_folder`` (one subfolder of PNG/JPEG files
    per class, optionally inside ``train/`` and ``test/``), ``quickdraw`` (a folder of
    per-class Quick, Draw! ``.npy`` bitmaps) or ``idx`` (a folder of MNIST-style IDX
    files). ``path`` names the file or folder for all but digits. The validation set is
    ``val_fraction`` of the training examples, drawn with ``split_seed``;
    ``test_fraction`` applies to the sources without a test split of their own (digits,
    an image folder without ``test/``, Quick, Draw!). ``limit`` caps the number of
    training examples (quick demos). ``classes`` keeps only the classes so named (in
    that order); ``image_size`` (height, width) is the size every image of an image
    folder is resized to (``None``: the first image's); ``per_class`` takes a seeded
    sample of that many drawings of each Quick, Draw! class.
    """

    kind: Literal["digits", "npz", "cifar10", "image_folder", "quickdraw", "idx"] = "digits"
    path: str | None = None
    split_seed: Seed = 0
    val_fraction: Fraction = 0.15
    test_fraction: Fraction = 0.2
    limit: PositiveInt | None = None
    classes: tuple[str, ...] | None = None
    image_size: tuple[ImageSide, ImageSide] | None = None
    per_class: PositiveInt | None = None


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
    it trained with. The bounds hold at every door (a session file, a remote worker's
    record): a diverged training never records NaN or infinity, it fails instead."""

    epoch: PositiveInt
    train_loss: NonNegative | None  # None: not recorded (an imported search's epoch)
    train_acc: Accuracy | None
    val_loss: NonNegative | None
    val_acc: Accuracy
    seconds: NonNegative
    lr: NonNegative | None


class TrainResult(_Value):
    """What a finished training reports (all of it recorded in "training finished").

    ``predictions`` are the test-set labels the model predicts, in test-set order (the
    prediction distance compares them), packed (`nas_core.packed.pack_labels`: base64 in
    JSON, a few bits a label; `unpack_labels` reads them); ``confusion[true][predicted]``
    counts test examples; ``per_class_acc[c]`` is the recall of class c. ``forward_ms`` and
    ``backward_ms`` are per batch of ``batch_size``; ``best_epoch`` is the epoch whose
    weights were evaluated on the test set (the last one unless early stopping kept an
    earlier one). ``weights``: the file of the weights tested, stored beside the log
    (`nas_core.weights`; ``None`` when they were not kept). Losses and times are >= 0
    and accuracies fractions, as in
    `EpochMetrics`."""

    epochs: PositiveInt
    best_epoch: PositiveInt
    stopped_early: bool
    test_loss: NonNegative | None  # None: not recorded (an imported search's model)
    test_acc: Accuracy
    per_class_acc: tuple[Accuracy, ...]
    confusion: tuple[tuple[Count, ...], ...]
    predictions: bytes
    params: Count
    flops: Count
    forward_ms: NonNegative | None
    backward_ms: NonNegative | None
    wall_s: NonNegative
    device: str
    weights: Weights | None = None  # the tested weights' file (None: not kept, old logs)


# --- what may come in from outside ---------------------------------------------------------

SESSION_ID = r"^[A-Za-z0-9_.\-]{1,64}$"
"""A session id: it is a URL segment and an export's file name (as a JSON Schema
pattern; `check_session_id` also refuses the trailing newline Python's ``$`` lets by)."""
_SESSION_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


class InputError(NasCoreError, ValueError):
    """Raised for a value from outside that REMAP will not take; `path` is the JSON
    path of the field (``$.data.path``), `reason` what is wrong; ``str()`` reads
    ``"<reason> - at `<path>`"``."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{reason} - at `{path}`")

    def __reduce__(self):
        return (type(self), (self.path, self.reason))


class PathError(InputError):
    """Raised for a data set path that could read outside the data folder, or that no
    file system would take."""


def check_session_id(session: object, where: str = "$.session") -> None:
    """Raise `InputError` unless `session` matches `SESSION_ID` (all of it)."""
    if not isinstance(session, str) or not _SESSION_ID.fullmatch(session):
        shown = repr(session) if len(repr(session)) <= 80 else repr(session)[:77] + "..."
        raise InputError(
            where, f"session id {shown} must be 1 to 64 letters, digits, '_', '.' or '-'"
        )


def _limits(base: Path) -> tuple[int, int]:
    """The longest file name and path (in bytes) the file system under `base` takes."""
    try:
        return os.pathconf(base, "PC_NAME_MAX"), os.pathconf(base, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows), or no answer
        return 255, 4096


def check_data_spec(spec: DataSpec, data_dir: str | Path | None, where: str = "$.data") -> None:
    """Refuse a data set path from outside that could read beyond the data folder: an
    absolute path, one that resolves (``..``, links) outside `data_dir`, or one no file
    system takes (a NUL character, a name or a path longer than the system allows). With
    no data folder, no file may be named at all (only the bundled data sets). Raises
    `PathError` naming ``<where>.path``."""
    if spec.path is None:
        return
    path = f"{where}.path"
    if data_dir is None:
        raise PathError(path, "names a file, but there is no data folder: only bundled data sets")
    text = spec.path
    if "\x00" in text:
        raise PathError(path, "contains a NUL character, which no file name may hold")
    if Path(text).is_absolute() or text.startswith("~"):
        raise PathError(path, "must be relative to the data folder")
    try:
        base = Path(data_dir).expanduser().resolve()
        name_max, path_max = _limits(base)
        joined = base / text
        encoded = os.fsencode(joined)
        if len(encoded) >= path_max:
            raise PathError(path, f"is longer than the {path_max:,} bytes a path may have here")
        longest = max((len(os.fsencode(part)) for part in joined.parts), default=0)
        if longest > name_max:
            raise PathError(
                path, f"has a name longer than the {name_max:,} bytes a file name may have here"
            )
        full = joined.resolve()
    except PathError:
        raise
    except (OSError, ValueError, RuntimeError) as exc:  # not encodable, a link loop, …
        raise PathError(path, "is not a path this system can open") from exc
    if not full.is_relative_to(base):
        raise PathError(path, "leaves the data folder")
