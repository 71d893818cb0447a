"""`OutOfSampleMDS.transform` places a batch of new points bit for bit where it places
them one at a time (issue 20: an import places 100,000 models in one call)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from distances import OutOfSampleMDS


@settings(max_examples=40, deadline=None)
@given(
    fitted=st.integers(1, 70),
    new=st.integers(1, 40),
    dims=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_a_batch_lands_where_one_at_a_time_does(fitted, new, dims, seed):
    rng = np.random.default_rng(seed)
    old = rng.normal(size=(fitted, dims)) * rng.uniform(0.1, 100)
    mds = OutOfSampleMDS().fit(cdist(old, old))
    rows = cdist(rng.normal(size=(new, dims)), old)
    batch = mds.transform(rows)
    one = np.vstack([mds.transform(row[None, :]) for row in rows])
    assert np.array_equal(batch, one)
    # and both are the closed form (a matrix product, to rounding)
    expected = (rows * rows - mds._offset) @ mds._projection
    np.testing.assert_allclose(batch, expected, rtol=1e-9, atol=1e-9 * (1 + np.abs(expected).max()))
