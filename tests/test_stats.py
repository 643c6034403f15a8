"""Engine-side statistics helpers (cxkit.stats): ranks without a window over all rows."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from cxkit.stats import rows_below
from cxkit.testing import unpartitioned_windows


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


def _ranked(con, frame: pd.DataFrame, buckets: int = 64) -> pd.DataFrame:
    t = ibis.memtable(frame)
    return con.execute(rows_below(t, "v", buckets=buckets)).sort_values("i").reset_index(drop=True)


def test_rows_below_hand_computed(con):
    # values 3, 1, 3, null, 2, 3: below 1 -> 0, 2 -> 1 (the 1), 3 -> 2 (the 1 and the 2);
    # 3 appears three times (ties 3); the null has neither
    frame = pd.DataFrame({"i": range(6), "v": [3.0, 1.0, 3.0, None, 2.0, 3.0]})
    r = _ranked(con, frame)
    assert r._below.tolist()[:3] == [2.0, 0.0, 2.0] and r._below.tolist()[4:] == [1.0, 2.0]
    assert r._ties.tolist()[:3] == [3, 1, 3] and r._ties.tolist()[4:] == [1, 3]
    assert pd.isna(r._below[3]) and pd.isna(r._ties[3])


@pytest.mark.parametrize("shape", ["uniform", "outlier", "one value", "integers"])
@pytest.mark.parametrize("buckets", [1, 3, 64])
def test_rows_below_equals_the_minimum_rank(con, shape, buckets):
    # whatever the value distribution (an outlier puts almost every value in the first
    # equal-width range) and the number of ranges, the counts equal the 0-based minimum rank
    rng = np.random.default_rng(3)
    n = 500
    v = {
        "uniform": rng.random(n),
        "outlier": np.append(rng.random(n - 1), 1e9),
        "one value": np.full(n, 2.5),
        "integers": rng.integers(0, 12, n).astype(float),
    }[shape]
    v = np.where(rng.random(n) < 0.05, np.nan, v)
    frame = pd.DataFrame({"i": range(n), "v": v})
    r = _ranked(con, frame, buckets)
    s = frame.v
    expected_below = s.rank(method="min") - 1
    expected_ties = s.map(s.value_counts())
    assert r._below.tolist() == pytest.approx(expected_below.tolist(), nan_ok=True)
    assert r._ties.astype(float).tolist() == pytest.approx(expected_ties.astype(float).tolist(), nan_ok=True)


def test_rows_below_has_no_window_over_all_rows():
    t = ibis.table({"v": "float64"}, name="t")
    assert unpartitioned_windows(rows_below(t, "v")) == []
