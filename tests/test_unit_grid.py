"""The unit grid's roll-up shortcuts (issue #16) give what the plain pandas calls gave.

Checked on the whole sample for every month 2025-01..12 when they were written (grid,
area figures, notes and assessment identical); here the two helpers against their
definitions, on the awkward cases: missing dates, ties, a group with no date at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpi_lib.inputs.rollup import _by_indicator, _latest


def _frame(seed: int = 3, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.Series(pd.date_range("2024-01-01", periods=40, freq="7D").strftime("%Y-%m-%d"))
    frame = pd.DataFrame({
        "indicator_id": rng.choice(["T01", "T04", "T10"], n),
        "unit_code": rng.choice(["A", "B", "C", "D"], n),
        "k": rng.integers(24290, 24310, n),
        "reported_at": dates.sample(n, replace=True, random_state=seed).to_numpy(),
        "value": rng.normal(size=n),
    }).astype({"reported_at": "str", "indicator_id": "str", "unit_code": "str"})
    frame.loc[rng.random(n) < 0.2, "reported_at"] = np.nan
    frame.loc[(frame["unit_code"] == "D") & (frame["k"] == 24300), "reported_at"] = np.nan
    return frame


def test_latest_is_the_groupwise_max_of_reported_at():
    frame = _frame()
    assert frame.loc[(frame["unit_code"] == "D") & (frame["k"] == 24300)].shape[0] > 0
    for keys in (["unit_code", "k"], ["indicator_id", "k"]):
        want = frame.groupby(keys, sort=True)["reported_at"].max()
        got = _latest(frame, keys)
        pd.testing.assert_series_equal(got, want)
    assert pd.isna(_latest(frame, ["unit_code", "k"]).loc[("D", 24300)])


def test_by_indicator_is_the_per_series_mask():
    frame = _frame(seed=5)
    own = {"A", "C"}
    split = _by_indicator(frame, own)
    for iid in ("T01", "T04", "T10"):
        want = frame[(frame["indicator_id"] == iid) & frame["unit_code"].isin(own)]
        pd.testing.assert_frame_equal(split[iid], want)
    assert split.get("T99") is None
