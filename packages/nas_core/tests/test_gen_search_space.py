"""The search-space table: bundled, loadable by name or path, validated."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import msgspec
import pytest

from nas_core.generators import (
    SearchSpace,
    SearchSpaceError,
    decode_search_space,
    load_search_space,
    search_space_hash,
    search_space_names,
)

TABLE = Path(__file__).resolve().parents[1] / "src/nas_core/generators/tables/default-v1.json"


def probabilities(row: dict, drop: tuple[str, ...] = ("batchnorm",)) -> dict[str, Fraction]:
    kept = {k: Fraction(v) for k, v in row.items() if k not in drop}
    total = sum(kept.values())
    return {k: v / total for k, v in kept.items()}


def test_default_table_is_the_original_chain_plus_batchnorm() -> None:
    space = load_search_space()
    assert space.version == "default-v1"
    t, after = space.transitions, space.transitions_after_dense
    twelfth, eighth, seventh, fifth, sixth = (Fraction(1, n) for n in (12, 8, 7, 5, 6))
    assert probabilities(t["start"]) == {
        "conv": 6 * twelfth, "dense": twelfth, "avgpool": twelfth, "maxpool": twelfth,
        "dropout": twelfth, "activation": twelfth, "classifier": twelfth,
    }  # fmt: skip
    assert probabilities(t["conv"]) == {
        "activation": 3 * eighth, "conv": eighth, "dropout": eighth, "avgpool": eighth,
        "dense": eighth, "classifier": eighth,
    }  # fmt: skip
    for pool in ("maxpool", "avgpool"):
        assert probabilities(t[pool]) == {
            "conv": 2 * seventh, "avgpool": seventh, "dense": seventh, "dropout": seventh,
            "activation": seventh, "classifier": seventh,
        }  # fmt: skip
    assert probabilities(t["dropout"]) == {
        "conv": 2 * fifth, "avgpool": fifth, "dense": fifth, "classifier": fifth,
    }  # fmt: skip
    assert probabilities(t["activation"]) == {
        "conv": 3 * seventh, "avgpool": seventh, "dense": seventh, "dropout": seventh,
        "classifier": seventh,
    }  # fmt: skip
    assert probabilities(after["dense"]) == {
        "activation": 3 * sixth, "dropout": sixth, "dense": sixth, "classifier": sixth,
    }  # fmt: skip
    # batch norm: after a conv or a dense, then on as after a conv / a dense
    assert t["conv"]["batchnorm"] > 0
    assert after["dense"]["batchnorm"] > 0
    assert probabilities(t["batchnorm"]) == probabilities(t["conv"])
    assert probabilities(after["batchnorm"]) == probabilities(after["dense"])
    g = space.grids
    assert (g.filters, g.kernel) == ((16, 32, 64, 128), (3, 5, 7))  # kernels: ours, not 1/3/5
    assert (g.pool, g.units) == ((2, 3, 5), (16, 64, 128, 256))
    assert set(g.activation) == {"tanh", "relu", "sigmoid"}
    assert g.rate == tuple(k / 8 for k in range(1, 8))


def test_load_by_name_or_path(tmp_path: Path) -> None:
    assert search_space_names() == ["default-v1"]
    by_name = load_search_space("default-v1")
    copy = tmp_path / "mine.json"
    copy.write_bytes(TABLE.read_bytes())
    assert load_search_space(copy) == by_name
    assert load_search_space(str(copy)) == by_name
    assert search_space_hash(by_name) == search_space_hash(load_search_space(copy))


def test_the_hash_changes_with_the_table() -> None:
    space = load_search_space()
    data = msgspec.to_builtins(space)
    data["transitions"]["start"]["conv"] = 5
    assert search_space_hash(decode_search_space(data)) != search_space_hash(space)
    # and is stable: a recorded table means the same chain on every machine
    assert len(search_space_hash(space)) == 64


def test_unknown_name_and_missing_file() -> None:
    with pytest.raises(SearchSpaceError, match="no bundled search space named 'default-v9'"):
        load_search_space("default-v9")
    with pytest.raises(SearchSpaceError, match=r"cannot read search space /nonexistent/t\.json"):
        load_search_space("/nonexistent/t.json")


def _table() -> dict:
    return json.loads(TABLE.read_text())


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            lambda d: d["grids"].update(kernel=[3, 4]),
            "4 is not an allowed value - at `$.grids.kernel[1]`",
        ),
        (lambda d: d["grids"].update(units=[]), "must have at least 1 item - at `$.grids.units`"),
        (
            lambda d: d["grids"].update(rate=[0.5, 1.0]),
            "must be less than 1.0 - at `$.grids.rate[1]`",
        ),
        (lambda d: d["grids"].update(pool=[2, 2]), "grid `pool` lists a value twice: [2, 2]"),
        (
            lambda d: d["transitions"]["conv"].update(lstm=1),
            "has a key 'lstm' that is not allowed - at `$.transitions[...]`",
        ),
        (lambda d: d["transitions"]["conv"].update(conv=-1), "must be at least 0.0"),
        (
            lambda d: d["transitions_after_dense"]["dense"].update(conv=1),
            "has a key 'conv' that is not allowed - at `$.transitions_after_dense[...]`",
        ),
        (lambda d: d["transitions"].pop("start"), "`transitions` needs a `start` row"),
        (
            lambda d: d["transitions"].pop("batchnorm"),
            "`transitions.conv` can draw `batchnorm` but `transitions` has no `batchnorm` row",
        ),
        (
            lambda d: d["transitions"]["dropout"].update(conv=0, avgpool=0, dense=0, classifier=0),
            "`transitions.dropout` needs a positive weight",
        ),
        (lambda d: d.update(extra=1), "is not a field of this object - at `$.extra`"),
    ],
)
def test_invalid_tables_are_rejected_with_the_reason(patch, message) -> None:
    data = _table()
    patch(data)
    with pytest.raises(SearchSpaceError) as info:
        decode_search_space(json.dumps(data), source="mine.json")
    assert str(info.value).startswith("mine.json: ")
    assert message in str(info.value)


def test_the_struct_is_the_table() -> None:
    space = load_search_space()
    assert isinstance(space, SearchSpace)
    assert json.loads(msgspec.json.encode(space)) == _table()
