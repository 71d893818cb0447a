"""`pack_label_rows` (issue 20: an import packs 100,000 models' predictions at once) is
`pack_labels` of each row, byte for byte."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.packed import PackError, pack_label_rows, pack_labels


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(0, 6),
    width=st.integers(0, 9),
    tops=st.lists(st.sampled_from([1, 16, 17, 256, 70_000]), min_size=6, max_size=6),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from([np.uint8, np.int32, np.int64]),
)
def test_rows_pack_as_one_at_a_time(rows, width, tops, seed, dtype):
    rng = np.random.default_rng(seed)
    table = np.stack([rng.integers(0, top, width) for top in tops[:rows]] or [np.zeros(width)])
    table = table[:rows].astype(np.int64)
    if np.iinfo(dtype).max >= table.max(initial=0):
        table = table.astype(dtype)
    assert pack_label_rows(table) == [pack_labels(row) for row in table]


def test_bad_tables_are_refused():
    with pytest.raises(PackError, match="two-dimensional"):
        pack_label_rows(np.zeros(3, dtype=np.uint8))
    with pytest.raises(PackError, match="integers"):
        pack_label_rows(np.zeros((2, 3)))
    with pytest.raises(PackError, match=">= 0"):
        pack_label_rows(np.array([[1, -1]]))
