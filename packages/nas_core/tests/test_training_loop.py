"""`train`: epochs reported, validation and test kept apart, early stopping on the
whole validation loss, cancellation at batch boundaries, and determinism on the CPU."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest
import torch

from nas_core.arch import (
    Architecture,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    Input,
    MaxPool,
    ReLU,
    count_flops,
    count_params,
)
from nas_core.data import Dataset, load_dataset
from nas_core.packed import unpack_labels
from nas_core.specs import DataSpec, EpochMetrics, TrainConfig, TrainResult
from nas_core.training import (
    TrainingCancelled,
    TrainingError,
    build_module,
    pick_device,
    set_threads,
    train,
)
from nas_core.training.loop import _batches

CNN = Architecture(
    "cnn",
    Input((1, 8, 8), 10),
    (Conv(6, 3), ReLU(), MaxPool(2), Dropout(0.25), Flatten(), Dense(10)),
)
MLP = Architecture(
    "mlp",
    Input((1, 8, 8), 10),
    (Flatten(), Dense(32), BatchNorm(), ReLU(), Dropout(0.5), Dense(10)),
)


@pytest.fixture(scope="module")
def data() -> Dataset:
    return load_dataset(DataSpec(limit=300))  # 255 training, 45 validation, 359 test


def _untimed(result: TrainResult) -> TrainResult:
    return msgspec.structs.replace(result, wall_s=0.0, forward_ms=0.0, backward_ms=0.0)


def _unclocked(epochs: list[EpochMetrics]) -> list[EpochMetrics]:
    return [msgspec.structs.replace(e, seconds=0.0) for e in epochs]


def test_every_epoch_is_reported_and_the_test_set_summarised(data: Dataset) -> None:
    epochs: list[EpochMetrics] = []
    result = train(CNN, data, TrainConfig(epochs=3, batch_size=64), seed=3, on_epoch=epochs.append)
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert [e.lr for e in epochs] == pytest.approx([1e-3, 7.5e-4, 5.625e-4])
    for e in epochs:
        assert 0.0 <= e.train_acc <= 1.0
        assert 0.0 <= e.val_acc <= 1.0
        assert e.train_loss > 0
        assert e.val_loss > 0
        assert e.seconds >= 0
        assert (e.val_acc * len(data.y_val)) == pytest.approx(round(e.val_acc * len(data.y_val)))
    assert epochs[-1].train_loss < epochs[0].train_loss  # it learns
    assert (result.epochs, result.best_epoch, result.stopped_early) == (3, 3, False)
    predictions = unpack_labels(result.predictions)
    assert len(predictions) == len(data.y_test)
    assert result.test_acc == pytest.approx(float(np.mean(predictions == data.y_test)))
    confusion = np.array(result.confusion)
    assert confusion.shape == (10, 10)
    assert confusion.sum() == len(data.y_test)
    np.testing.assert_array_equal(confusion.sum(axis=1), np.bincount(data.y_test, minlength=10))
    np.testing.assert_array_equal(confusion.sum(axis=0), np.bincount(predictions, minlength=10))
    assert np.trace(confusion) == int(np.sum(predictions == data.y_test))
    recall = np.diag(confusion) / confusion.sum(axis=1)
    np.testing.assert_allclose(result.per_class_acc, recall)
    assert (result.params, result.flops) == (count_params(CNN), count_flops(CNN))
    assert result.forward_ms > 0
    assert result.backward_ms > 0
    assert result.wall_s >= sum(e.seconds for e in epochs)
    assert result.device == "cpu" == str(pick_device("cpu"))
    assert result.test_loss > 0


def test_the_same_seed_gives_the_same_metrics_and_predictions(data: Dataset) -> None:
    config = TrainConfig(epochs=2, batch_size=50)
    runs = []
    for seed in (5, 5, 6):
        epochs: list[EpochMetrics] = []
        result = train(MLP, data, config, seed=seed, device="cpu", on_epoch=epochs.append)
        runs.append((_unclocked(epochs), _untimed(result)))
    assert runs[0] == runs[1]
    assert runs[0][1].predictions != runs[2][1].predictions or runs[0][0] != runs[2][0]


def test_torch_global_generator_is_left_as_it_was(data: Dataset) -> None:
    torch.manual_seed(123)
    state = torch.get_rng_state()
    train(MLP, data, TrainConfig(epochs=1), seed=0)
    assert torch.equal(torch.get_rng_state(), state)


def test_early_stopping_tests_the_best_epochs_weights(data: Dataset) -> None:
    # a rate this high makes the validation loss climb again after a few epochs
    config = TrainConfig(epochs=8, batch_size=32, lr=0.3, gamma=1.0, patience=1)
    epochs: list[EpochMetrics] = []
    result = train(CNN, data, config, seed=1, on_epoch=epochs.append)
    losses = [e.val_loss for e in epochs]
    assert result.epochs == len(epochs)
    assert result.best_epoch == 1 + int(np.argmin(losses))
    assert result.stopped_early == (len(epochs) < config.epochs)
    if result.stopped_early:
        assert losses[-1] >= losses[result.best_epoch - 1]
    # the same seed trained for just the best epochs tests identically
    plain = msgspec.structs.replace(config, epochs=result.best_epoch, patience=None)
    again = train(CNN, data, plain, seed=1)
    assert again.predictions == result.predictions
    assert again.test_loss == result.test_loss


def test_no_improvement_stops_after_patience(data: Dataset) -> None:
    # a vanishing rate leaves the weights (and so the validation loss) unchanged
    config = TrainConfig(epochs=6, lr=1e-30, patience=2)
    result = train(MLP, data, config, seed=0)
    assert (result.epochs, result.best_epoch, result.stopped_early) == (3, 1, True)


def test_should_stop_cancels_at_a_batch_boundary(data: Dataset) -> None:
    calls = []

    def stop_on_third() -> bool:
        calls.append(1)
        return len(calls) == 3

    with pytest.raises(TrainingCancelled) as info:
        train(CNN, data, TrainConfig(epochs=2, batch_size=32), seed=0, should_stop=stop_on_third)
    assert info.value.epochs == 0
    assert len(calls) == 3

    seen: list[EpochMetrics] = []
    with pytest.raises(TrainingCancelled, match="after 1 complete epoch"):
        train(CNN, data, TrainConfig(epochs=3), seed=0, on_epoch=seen.append,
              should_stop=lambda: bool(seen))  # fmt: skip
    assert len(seen) == 1


def test_a_last_batch_of_one_joins_the_previous_one(data: Dataset) -> None:
    assert _batches(255, 127) == [(0, 127), (127, 255)]
    assert _batches(512, 256) == [(0, 256), (256, 512)]
    assert _batches(3, 256) == [(0, 3)]
    assert _batches(1, 8) == [(0, 1)]
    result = train(MLP, data, TrainConfig(epochs=1, batch_size=127), seed=0)  # batch norm
    assert result.epochs == 1


@pytest.mark.parametrize(
    ("arch", "message"),
    [
        (Architecture("m", Input((1, 8, 9), 10), (Flatten(), Dense(10))), r"inputs of shape"),
        (Architecture("m", Input((1, 8, 8), 10), (Flatten(), Dense(5))), r"outputs shape \(5,\)"),
    ],
)
def test_a_model_that_does_not_fit_the_data_is_refused(data: Dataset, arch, message) -> None:
    with pytest.raises(TrainingError, match=message):
        train(arch, data, TrainConfig(epochs=1), seed=0)


def test_set_threads_returns_the_previous_count() -> None:
    before = torch.get_num_threads()
    try:
        assert set_threads(1) == before
        assert torch.get_num_threads() == 1
    finally:
        set_threads(before)
    with pytest.raises(ValueError, match="threads must be >= 1"):
        set_threads(0)


def test_build_module_is_what_trains(data: Dataset) -> None:
    assert (
        sum(p.numel() for p in build_module(CNN).parameters())
        == train(CNN, data, TrainConfig(epochs=1), seed=0).params
    )


def test_a_diverged_epoch_is_named_not_recorded() -> None:
    from nas_core.specs import EpochMetrics
    from nas_core.training.loop import divergence

    fine = EpochMetrics(
        epoch=3, train_loss=0.5, train_acc=0.8, val_loss=0.6, val_acc=0.7, seconds=0.1, lr=1e-3
    )
    assert divergence(fine) is None
    nan = msgspec.structs.replace(fine, train_loss=float("nan"), val_loss=float("inf"))
    assert divergence(nan) == (
        "diverged in epoch 3: train loss nan, validation loss inf "
        "(a lower learning rate than 0.001 may help)"
    )
