"""The tidy model: YTD <-> monthly without double counting, vintages, falling YTD."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpi_lib.inputs.tidy import (
    at_vintage,
    decreasing_ytd,
    monthly_to_ytd,
    parse_period,
    ytd_table,
    ytd_to_monthly,
)


def obs(rows):
    cols = ["indicator_id", "period", "value", "value_type", "reported_at"]
    frame = pd.DataFrame(rows, columns=cols)
    return frame.assign(unit_code="U", source="t", file_sha256="x")


def test_parse_period():
    assert parse_period("2025-06") == (2025, 6, "M")
    assert parse_period("2025-Q2") == (2025, 6, "Q")
    assert parse_period("2025") == (2025, 12, "Y")
    for bad in ("2025-13", "2025-Q5", "25-01", "2025/06", "2025-6"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_ytd_and_month_figures_combine_without_double_counting():
    frame = obs([("A", "2025-01", 10, "month", "2025-02-01"),
                 ("A", "2025-02", 25, "ytd", "2025-03-01"),     # Feb's own amount is 15
                 ("A", "2025-03", 5, "month", "2025-04-01"),
                 ("A", "2025-03", 30, "ytd", "2025-04-01")])   # both given, consistent
    ytd, monthly = ytd_table(frame)
    assert list(ytd.iloc[0, :3]) == [10, 25, 30]
    assert list(monthly.iloc[0, :3]) == [10, 15, 5]
    assert monthly.iloc[0, :3].sum() == ytd.iloc[0, 2]


def test_a_missing_month_is_unknown_not_zero():
    frame = obs([("A", "2025-01", 10, "month", "x"), ("A", "2025-03", 7, "month", "x")])
    ytd, monthly = ytd_table(frame.assign(reported_at="2025-05-01"))
    assert np.isnan(ytd.iloc[0, 1]) and np.isnan(ytd.iloc[0, 2])
    assert monthly.iloc[0, 2] == 7


@pytest.mark.parametrize("amounts", [[3, 0, 4.5, 1], [100.25, 80, 0.75]])
def test_series_conversions_round_trip(amounts):
    monthly = pd.Series(amounts, index=range(1, len(amounts) + 1), dtype=float)
    assert ytd_to_monthly(monthly_to_ytd(monthly)).tolist() == pytest.approx(amounts)


def test_vintage_returns_what_was_known_then():
    frame = obs([("A", "2025-05", 100, "month", "2025-06-05"),
                 ("A", "2025-05", 103, "month", "2025-08-20")])   # a late correction
    assert at_vintage(frame, "2025-07-01")["value"].tolist() == [100]
    assert at_vintage(frame, "2025-08-20")["value"].tolist() == [103]  # whole day counts
    assert at_vintage(frame)["value"].tolist() == [103]
    assert at_vintage(frame, "2025-01-01").empty


def test_decreasing_ytd_is_detected():
    frame = obs([("A", "2025-01", 10, "ytd", "x"), ("A", "2025-02", 8, "ytd", "x")])
    ytd, _ = ytd_table(frame.assign(reported_at="2025-03-01"))
    found = decreasing_ytd(ytd)
    assert len(found) == 1 and found[0][1] == 2


def _mixed(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """One vintage of month, ytd, level and annual figures over three years, some missing."""
    frame = pd.DataFrame({
        "indicator_id": rng.choice(["A", "B", "Cà"], n),
        "unit_code": rng.choice(["U1", "U2", "U10"], n),
        "period": [f"{y}-{m:02d}" for y, m in zip(rng.integers(2023, 2026, n),
                                                  rng.integers(1, 13, n), strict=True)],
        "value": rng.integers(-5, 50, n).astype(float),
        "value_type": rng.choice(["month", "ytd", "level", "annual"], n),
        "reported_at": "2025-07-01", "source": "t", "file_sha256": "x"})
    frame.loc[frame["value_type"] == "annual", "period"] = "2024"
    return at_vintage(frame)  # one report each, ordered by figure (as a store read gives)


@pytest.mark.parametrize("seed", range(4))
def test_ytd_table_is_the_same_in_any_row_order_and_dtype(seed):
    """A store read (sorted, categorical) takes a fast path; shuffled or plain text rows
    the general one: both must give the very same tables."""
    rng = np.random.default_rng(seed)
    frame = _mixed(rng, 400)
    text = ["indicator_id", "unit_code", "period", "value_type"]
    categorical = frame.astype(dict.fromkeys(text, "category"))
    want = ytd_table(frame)
    for other in (categorical, categorical.sample(frac=1, random_state=seed),
                  frame.sample(frac=1, random_state=seed)):
        for mine, theirs in zip(ytd_table(other), want, strict=True):
            pd.testing.assert_frame_equal(mine, theirs, check_exact=True)
    ytd, monthly = want
    assert ytd.notna().any().any() and monthly.isna().any().any()
