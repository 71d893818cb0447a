"""MetaQNN's Q table continued from a memo (`QMemo`) is the table replayed from scratch:
whether the finished models grow call by call, a model finishes out of order (inserted
before others), or a reward changes; and a session's proposals are the same with the
memo kept across calls as without."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.arch import count_params
from nas_core.generators import load_search_space
from nas_core.strategies import DistanceCache, Observed, SearchSpec, propose
from nas_core.strategies.metaqnn import CHECKPOINT, QMemo, learn

SPACE = load_search_space()
ARCHS = [
    p.arch
    for p in propose(
        SearchSpec("random", 7, 1), [], 0, 6, space=SPACE, input_shape=(1, 8, 8), num_classes=10
    )
]


def _observed(n: int, acc: float) -> Observed:
    arch = ARCHS[n % len(ARCHS)]
    return Observed(f"m{n}", arch, count_params(arch), 1, (acc,), True)


calls = st.lists(  # each call: (models finished, in order) as (index, accuracy) pairs
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from([0.2, 0.5, 0.9])), max_size=40),
    min_size=1,
    max_size=5,
)


@given(calls, st.integers(0, 3))
@settings(max_examples=30, deadline=None)
def test_the_memo_gives_the_table_replayed_from_scratch(seq, seed) -> None:
    memo = QMemo()
    grown: list[Observed] = []
    for call in seq:
        grown = grown + [_observed(i, a) for i, a in call]  # grows...
        if len(grown) > 3 and call:
            grown.insert(1, grown.pop())  # ...and one finishes out of order
        assert learn(grown, seed, 7, memo) == learn(grown, seed, 7)


def test_a_long_prefix_is_continued_not_replayed() -> None:
    memo = QMemo()
    models = [_observed(i, 0.1 * (i % 9)) for i in range(2 * CHECKPOINT + 3)]
    learn(models[:-1], 0, 5, memo)
    assert sorted(memo.copies) == [0, CHECKPOINT, 2 * CHECKPOINT]
    learn(models, 0, 5, memo)
    assert memo.keys[-1] == ("m34", models[-1].val_acc[0])
    changed = [*models[:20], _observed(99, 0.3), *models[20:]]
    assert learn(changed, 0, 5, memo) == learn(changed, 0, 5)  # from the copy at 16


def test_proposals_are_the_same_with_the_session_memo() -> None:
    spec = SearchSpec("metaqnn", 3, 1, options={"budget": 10, "replay": 20})
    kept = DistanceCache()
    observed: list[Observed] = []
    for step in range(4):
        args = {"space": SPACE, "input_shape": (1, 8, 8), "num_classes": 10}
        with_memo = propose(spec, observed, step, 1, distance=kept, **args)
        assert with_memo == propose(spec, observed, step, 1, **args)
        for p in with_memo:
            acc = (0.1 + 0.2 * step,)
            observed.append(Observed(f"q{step}", p.arch, count_params(p.arch), 1, acc, True))
    assert kept.derived  # the memo was kept
