"""`Throughput`: the training-time estimate, fitted on finished trainings."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.arch import Architecture, Conv, Dense, Flatten, Input, ReLU, count_flops
from nas_core.data import load_dataset
from nas_core.specs import DataSpec, TrainConfig
from nas_core.training import Throughput, set_threads, train


def test_no_estimate_before_any_training() -> None:
    assert Throughput().estimate_seconds(10_000, 1000, 10) is None
    assert not Throughput().ready


def test_one_training_gives_a_rate() -> None:
    model = Throughput().observe(flops=1000, n_train=100, epochs=2, seconds=4.0)
    assert model.ready
    assert model.estimate_seconds(1000, 100, 2) == pytest.approx(4.0)
    assert model.estimate_seconds(2000, 100, 2) == pytest.approx(8.0)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(1e-12, 1e-8),
    st.floats(0.0, 0.5),
    st.lists(
        st.tuples(st.integers(1_000, 10_000_000), st.integers(100, 50_000), st.integers(1, 20)),
        min_size=3,
        max_size=12,
        unique_by=lambda t: t[0],
    ),
)
def test_exact_observations_give_back_the_model(rate, per_epoch, trainings) -> None:
    model = Throughput()
    for flops, n, epochs in trainings:
        model = model.observe(flops, n, epochs, rate * flops * n * epochs + per_epoch * epochs)
    for flops, n, epochs in trainings:
        truth = rate * flops * n * epochs + per_epoch * epochs
        assert model.estimate_seconds(flops, n, epochs) == pytest.approx(truth, rel=1e-6)


_TRAININGS = st.lists(
    st.tuples(st.integers(1_000, 10_000_000), st.integers(1, 20)),
    min_size=4,
    max_size=12,
    unique_by=lambda t: t[0],
).filter(lambda ts: len({e for _, e in ts}) > 1)


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-12, 1e-8), st.floats(0.0, 0.5), st.floats(0.1, 5.0), _TRAININGS)
def test_the_fit_recovers_a_known_overhead_and_rate(rate, per_epoch, overhead, trainings):
    n = 1000
    model = Throughput()
    for flops, epochs in trainings:
        seconds = overhead + epochs * (per_epoch + rate * flops * n)
        model = model.observe(flops, n, epochs, seconds)
    assert model.seconds_per_model == pytest.approx(overhead, rel=1e-3, abs=1e-6)
    assert model.seconds_per_flop == pytest.approx(rate, rel=1e-3)
    # a model it has not seen: the overhead counts once, not per epoch
    truth = overhead + 30 * (per_epoch + rate * 123_456 * n)
    assert model.estimate_seconds(123_456, n, 30) == pytest.approx(truth, rel=1e-3)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        # A clock reports no time below a microsecond; a subnormal "duration" would
        # only test float underflow, not the estimate.
        st.tuples(
            st.integers(0, 10**7),
            st.integers(1, 50),
            st.one_of(st.just(0.0), st.floats(1e-6, 1e3)),
        ),
        min_size=1,
        max_size=15,
    ),
    st.integers(0, 10**8),
    st.integers(1, 100),
)
def test_estimates_are_positive_and_grow_with_epochs_and_flops(observed, flops, epochs) -> None:
    model = Throughput()
    for f, e, seconds in observed:
        model = model.observe(f, 500, e, seconds)
    estimate = model.estimate_seconds(flops, 500, epochs)
    assert estimate is not None
    assert estimate >= 0.0
    if flops > 0 and any(seconds > 0 for *_, seconds in observed):
        assert estimate > 0.0
    assert model.estimate_seconds(flops, 500, epochs + 1) >= estimate
    assert model.estimate_seconds(flops * 2 + 1, 500, epochs) >= estimate


def test_small_models_cost_their_overhead() -> None:
    """Issue 17: ablations of a model estimated 0.5 s took 2.3–3.1 s, the start of a
    training being most of a small one's time."""
    model = Throughput()
    for flops in (1_000, 10_000, 100_000, 1_000_000, 10_000_000):
        model = model.observe(flops, 1000, 5, 2.5 + 5 * 2e-9 * flops * 1000)
    assert model.estimate_seconds(2_000, 1000, 5) == pytest.approx(2.5 + 5 * 2e-9 * 2e6, rel=1e-3)


def test_one_slow_training_does_not_move_every_estimate() -> None:
    model = Throughput()
    for k, flops in enumerate(range(1_000, 13_000, 1_000)):
        seconds = 1.0 + 5 * 1e-6 * flops
        model = model.observe(flops, 100, 5, seconds * (20.0 if k == 3 else 1.0))
    estimate = model.estimate_seconds(6_500, 100, 5)
    assert estimate == pytest.approx(1.0 + 5 * 1e-6 * 6_500, rel=1e-3)


def test_a_throughput_recorded_before_the_overhead_still_decodes() -> None:
    old = (
        b'{"seconds_per_flop":1e-9,"seconds_per_epoch":0.1,"window":200,"observations":'
        b'[{"flops":1000,"n_train":10,"epochs":2,"seconds":0.2}]}'
    )
    model = msgspec.json.decode(old, type=Throughput)
    assert model.seconds_per_model == 0.0
    assert model.flops_exponent == 1.0
    assert model.estimate_seconds(1000, 10, 2) == pytest.approx(1e-9 * 1000 * 10 * 2 + 0.2)


def test_models_without_flops_cost_per_epoch() -> None:
    model = Throughput().observe(0, 100, 4, 2.0).observe(0, 100, 2, 1.0)
    assert model.estimate_seconds(0, 100, 10) == pytest.approx(5.0)


def test_the_window_keeps_the_newest_trainings() -> None:
    model = Throughput(window=2)
    for seconds in (100.0, 1.0, 1.0):
        model = model.observe(1000, 10, 1, seconds)
    assert len(model.observations) == 2
    assert model.estimate_seconds(1000, 10, 1) == pytest.approx(1.0)


def test_it_records_as_json() -> None:
    model = Throughput().observe(1000, 10, 1, 0.5).observe(4000, 10, 1, 1.5)
    assert msgspec.json.decode(msgspec.json.encode(model), type=Throughput) == model


def _conv(filters: int, units: int) -> Architecture:
    return Architecture(
        f"c{filters}",
        Input((1, 8, 8), 10),
        (Conv(filters, 3), ReLU(), Flatten(), Dense(units), ReLU(), Dense(10)),
    )


@pytest.fixture
def one_thread():
    """One torch thread, as in the pool's workers: timings then suffer least from other
    processes on the machine (a descheduled thread stalls every parallel op)."""
    before = set_threads(1)
    yield
    set_threads(before)


@pytest.mark.usefixtures("one_thread")
def test_the_estimate_of_a_real_training_is_within_a_factor_of_three() -> None:
    data = load_dataset(DataSpec())
    config = TrainConfig(epochs=2)
    n = len(data.y_train)

    def seconds(arch: Architecture) -> float:  # the fastest of three runs: less noise
        return min(train(arch, data, config, seed=s).wall_s for s in (0, 1, 2))

    seconds(_conv(2, 16))  # warm up torch's kernels
    model = Throughput()
    for arch in (_conv(4, 16), _conv(16, 32), _conv(48, 64), _conv(8, 128)):
        model = model.observe(count_flops(arch), n, config.epochs, seconds(arch))
    target = _conv(32, 48)
    estimate = model.estimate_seconds(count_flops(target), n, config.epochs)
    truth = seconds(target)
    assert estimate is not None
    assert truth / 3 <= estimate <= truth * 3, (estimate, truth, model)
