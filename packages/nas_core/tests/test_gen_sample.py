"""Sampling from the chain: golden output, determinism, validity, the caps."""

from __future__ import annotations

import json
import os
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.arch import (
    Architecture,
    Dense,
    Flatten,
    Input,
    Limits,
    arch_hash,
    count_params,
    layer_type,
    validate,
)
from nas_core.generators import (
    GeneratorError,
    load_search_space,
    sample,
    sample_report,
)

GOLDEN = Path(__file__).resolve().parent / "golden" / "sample-default-v1.json"
SPACE = load_search_space("default-v1")
DIGITS = Input((1, 8, 8), 10)
CIFAR = Input((3, 32, 32), 10)
CASES = [
    {"seed": 0, "count": 12, "input": DIGITS, "limits": Limits()},
    {"seed": 20240917, "count": 12, "input": CIFAR, "limits": Limits()},
    {
        "seed": 7,
        "count": 6,
        "input": Input((1, 5, 3), 4),
        "limits": Limits(max_params=20_000, max_depth=6),
    },
]


def _golden_run() -> list[dict]:
    runs = []
    for case in CASES:
        report = sample_report(
            case["seed"], case["count"], input=case["input"], space=SPACE, limits=case["limits"]
        )
        runs.append(
            {
                "seed": case["seed"],
                "count": case["count"],
                "input": case["input"],
                "limits": case["limits"],
                "attempts": report.attempts,
                "rejected": report.rejected,
                "architectures": report.architectures,
            }
        )
    return json.loads(msgspec.json.encode(runs))


def _golden_text(runs: list[dict]) -> str:
    """JSON with one architecture or rejection per line, for readable diffs."""
    blocks = []
    for run in runs:
        fields = []
        for key, value in run.items():
            if isinstance(value, list) and value:
                items = ",\n".join(f"      {json.dumps(v)}" for v in value)
                fields.append(f'    "{key}": [\n{items}\n    ]')
            else:
                fields.append(f'    "{key}": {json.dumps(value)}')
        blocks.append("  {\n" + ",\n".join(fields) + "\n  }")
    return "[\n" + ",\n".join(blocks) + "\n]\n"


def test_golden_sampler_output() -> None:
    """Same seed, same architectures, on any machine. To regenerate after an intended
    change of the sampler or the table: ``NAS_CORE_UPDATE_GOLDEN=1 pytest <this file>``
    (and bump the table's version if the table changed)."""
    got = _golden_run()
    if os.environ.get("NAS_CORE_UPDATE_GOLDEN"):
        GOLDEN.write_text(_golden_text(got), encoding="utf-8")
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_same_seed_same_models_and_prefixes_agree() -> None:
    a = sample(11, 10, input=DIGITS, space=SPACE, limits=Limits())
    b = sample(11, 10, input=DIGITS, space=SPACE, limits=Limits())
    assert a == b
    assert sample(11, 4, input=DIGITS, space=SPACE, limits=Limits()) == a[:4]
    assert sample(12, 10, input=DIGITS, space=SPACE, limits=Limits()) != a


def test_names_and_uniqueness() -> None:
    models = sample(3, 30, input=DIGITS, space=SPACE, limits=Limits(), name_prefix="s1-m")
    assert [m.name for m in models] == [f"s1-m{k}" for k in range(1, 31)]
    assert len({arch_hash(m) for m in models}) == 30


def test_existing_models_are_not_sampled_again() -> None:
    first = sample(5, 8, input=DIGITS, space=SPACE, limits=Limits())
    existing = frozenset(arch_hash(m) for m in first[:4])
    report = sample_report(5, 8, input=DIGITS, space=SPACE, limits=Limits(), existing=existing)
    hashes = {arch_hash(m) for m in report.architectures}
    assert not hashes & existing
    assert [m.layers for m in report.architectures[:4]] == [m.layers for m in first[4:8]]
    dupes = [s for s in report.rejected if s.reason == "duplicate of an existing model"]
    assert len(dupes) >= 4


def test_models_over_the_parameter_cap_are_rejected_and_recorded() -> None:
    limits = Limits(max_params=5_000)
    report = sample_report(1, 20, input=CIFAR, space=SPACE, limits=limits)
    assert all(count_params(m) <= 5_000 for m in report.architectures)
    over = [s for s in report.rejected if s.reason.startswith("over the parameter cap of 5,000")]
    assert over, "CIFAR-sized models exceed 5,000 parameters often"
    assert report.attempts == 20 + len(report.rejected)
    assert [s.index_or_attempt for s in report.rejected] == sorted(
        s.index_or_attempt for s in report.rejected
    )


def test_depth_cap_forces_the_classifier() -> None:
    # depth 3 leaves about 34 models: [flatten, classifier] or one layer before them
    models = sample(2, 25, input=DIGITS, space=SPACE, limits=Limits(max_depth=3))
    assert all(len(m.layers) <= 3 for m in models)
    assert max(len(m.layers) for m in models) == 3
    with pytest.raises(GeneratorError, match="a depth cap of 1 leaves no room"):
        sample(2, 1, input=DIGITS, space=SPACE, limits=Limits(max_depth=1))


def test_a_flatten_precedes_the_first_dense_and_pools_fit() -> None:
    for m in sample(9, 100, input=Input((1, 4, 4), 3), space=SPACE, limits=Limits()):
        types = [layer_type(layer) for layer in m.layers]
        first_dense = types.index("dense")
        assert types[first_dense - 1] == "flatten"
        assert types.count("flatten") == 1
        assert m.layers[-1] == Dense(3)
        validate(m)


def test_too_few_possible_models_is_an_error_that_says_why() -> None:
    # a 1×1 input allows no conv or pool, and one layer of depth: only the classifier
    with pytest.raises(GeneratorError, match=r"made 1 of 3 models in 50 attempts") as info:
        sample_report(
            0, 3, input=Input((1, 1, 1), 2), space=SPACE, limits=Limits(max_depth=2),
            max_attempts=50,
        )  # fmt: skip
    assert "duplicate of an existing model" in str(info.value)
    assert len(info.value.skipped) == 49


def test_the_smallest_model_is_flatten_and_classifier() -> None:
    (only,) = sample(0, 1, input=Input((1, 1, 1), 2), space=SPACE, limits=Limits(max_depth=2))
    assert only.layers == (Flatten(), Dense(2))


KNOWN_REJECTIONS = (
    "over the parameter cap of",
    "over the FLOPs cap of",
    "duplicate of an existing model",
)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**63),
    shape=st.tuples(st.integers(1, 3), st.integers(1, 33), st.integers(1, 33)),
    classes=st.integers(2, 20),
    max_params=st.integers(2_000, 2_000_000),
    max_depth=st.integers(2, 40),
)
def test_every_sample_is_valid_for_any_seed(seed, shape, classes, max_params, max_depth) -> None:
    limits = Limits(max_params=max_params, max_depth=max_depth)
    inp = Input(shape, classes)
    roomy = max_depth >= 6 and min(shape[1:]) >= 4 and max_params >= 200_000
    try:
        report = sample_report(seed, 3, input=inp, space=SPACE, limits=limits, max_attempts=200)
    except GeneratorError as exc:
        error = exc
    else:
        error = None
    if error is not None:
        # a tiny space (one possible model, or none under the cap) is reported, with why
        assert not roomy, str(error)
        assert str(error).startswith("made ")
        assert all(s.reason.startswith(KNOWN_REJECTIONS) for s in error.skipped)
        return
    assert len(report.architectures) == 3
    assert all(s.reason.startswith(KNOWN_REJECTIONS) for s in report.rejected)
    for m in report.architectures:
        assert isinstance(m, Architecture)
        validate(m, limits)
