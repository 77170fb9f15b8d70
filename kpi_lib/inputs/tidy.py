"""The one tidy model of indicator data, and the conversions every later step relies on.

An observation is one figure: `indicator_id, unit_code, period, value, value_type,
reported_at, source` (plus `file_sha256`, the file it came from). Nothing is ever
overwritten: a correction is a new row with a later `reported_at`, and `at_vintage`
returns what was known on a given date.

value_type:
- `month`  the month's own amount (flows, milestone counts)
- `ytd`    the year-to-date cumulative ("lũy kế") at the end of that month
- `level`  a reading of a rate or stock at that time
- `annual` a whole-year value (a survey, or a past year's total)
- `planned` a milestone scheduled for that month (a recognition not yet obtained)
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

OBS_COLUMNS = ["indicator_id", "unit_code", "period", "value", "value_type",
               "reported_at", "source", "file_sha256"]
VALUE_TYPES = ("month", "ytd", "level", "annual", "planned")
_PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])))?$")


def empty_observations() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in OBS_COLUMNS})
    frame["value"] = frame["value"].astype(float)
    return frame


def parse_period(text: str) -> tuple[int, int, str]:
    """'2025-06' -> (2025, 6, 'M'); '2025-Q2' -> (2025, 6, 'Q'); '2025' -> (2025, 12, 'Y').

    The month returned is the last month the period covers, which is when a reading of
    it is dated. Raises ValueError for anything else.
    """
    m = _PERIOD.match(str(text).strip())
    if not m:
        raise ValueError(text)
    year = int(m.group(1))
    if m.group(2):
        return year, int(m.group(2)), "M"
    if m.group(3):
        return year, int(m.group(3)) * 3, "Q"
    return year, 12, "Y"


def month_period(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def per_category(column: pd.Series, convert) -> pd.Series:
    """convert(text series) of a column, done once per category when it is categorical
    (a million rows hold a few hundred distinct periods or dates)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        done = convert(pd.Series(column.cat.categories.astype(str)))
        return pd.Series(done.to_numpy()[column.cat.codes.to_numpy()], index=column.index)
    return convert(column.astype(str))


def add_period_columns(obs: pd.DataFrame) -> pd.DataFrame:
    """Add integer `year` and `month` (last month covered) columns, vectorised."""
    out = obs.copy()
    out["year"], out["month"] = period_year_month(out["period"])
    return out


def period_year_month(period: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer year and month (last month covered) of each period, as arrays: what
    add_period_columns adds, without copying the frame (a national store's 6 M rows)."""
    categorical = isinstance(period.dtype, pd.CategoricalDtype)
    if categorical:  # parse each distinct period once
        codes = period.cat.codes.to_numpy()
        period = pd.Series(period.cat.categories.astype(str))
    parts = period.astype(str).str.extract(r"^(\d{4})(?:-(?:(\d{2})|Q(\d)))?$")
    year = parts[0].astype(int).to_numpy()
    month = parts[1].astype(float).fillna(parts[2].astype(float) * 3).fillna(12)
    month = month.astype(int).to_numpy()
    if categorical:
        year, month = year[codes], month[codes]
    return year, month


def distinct_values(column: pd.Series) -> np.ndarray:
    """The values a column holds (unsorted); a categorical's from its codes, never one
    Python object per row."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        used = np.zeros(len(column.cat.categories) + 1, dtype=bool)
        used[codes] = True  # a missing value (-1) marks the extra last entry
        return column.cat.categories.to_numpy()[used[:-1]]
    return pd.unique(column.dropna())


def at_vintage(obs: pd.DataFrame, vintage: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """What was known on `vintage` (end of that day): the latest report of each figure.

    A figure is identified by (indicator, unit, period, value_type); a later `reported_at`
    supersedes an earlier one. Without a vintage, the latest of everything.
    """
    if obs.empty:
        return obs.copy()
    frame = obs
    reported = per_category(frame["reported_at"], lambda t: pd.to_datetime(
        t, errors="coerce", format="mixed", utc=True).dt.tz_localize(None))
    if vintage is not None:
        cutoff = pd.Timestamp(vintage)
        if cutoff.tzinfo is not None:
            cutoff = cutoff.tz_convert("UTC").tz_localize(None)
        if cutoff == cutoff.normalize():
            cutoff = cutoff + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        frame = frame[reported <= cutoff]
        reported = reported[reported <= cutoff]
    frame = frame.assign(_r=reported, _i=np.arange(len(frame)))
    frame = frame.sort_values(["_r", "_i"], kind="stable")
    keys = ["indicator_id", "unit_code", "period", "value_type"]
    latest = frame.drop_duplicates(keys, keep="last").drop(columns=["_r", "_i"])
    return latest.sort_values(keys, kind="stable").reset_index(drop=True)


def ytd_table(obs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Year-to-date and monthly amounts, one row per (indicator, unit, year), months 1..12.

    Takes month amounts and/or YTD figures (already reduced to one vintage) and combines
    them without double counting: a YTD figure wins for its month; a month amount extends
    the YTD of the month before. A month whose amount cannot be known is NaN, never 0.
    Returns (ytd, monthly), both wide frames indexed by indicator_id, unit_code, year.
    """
    idx = ["indicator_id", "unit_code", "year"]
    # Factorise columns once (free for categoricals) and work on arrays: a pivot without
    # the pivot cost, and few temporaries of a row each (6 million rows in well under a
    # second; every new array of that size costs page faults too).
    p_codes, p_names = _factorize(obs["period"])  # few distinct periods: parse each once
    p_names = pd.Series(p_names, dtype=object).astype(str)
    monthly_period = p_names.str.fullmatch(r"\d{4}-\d{2}").to_numpy()
    t_codes, t_names = _factorize(obs["value_type"])
    t_names = np.asarray(t_names, dtype=object)
    wanted = np.isin(t_names, ["month", "ytd"])
    keep = None  # all rows
    if len(obs) == 0 or not (monthly_period.all() and wanted.all()):
        keep = monthly_period[p_codes] & wanted[t_codes]
        if not keep.any():
            empty = pd.DataFrame(columns=list(range(1, 13)),
                                 index=pd.MultiIndex.from_tuples([], names=idx), dtype=float)
            return empty, empty.copy()
        if keep.all():
            keep = None

    def kept(values: np.ndarray) -> np.ndarray:
        return values if keep is None else values[keep]

    safe = p_names.where(monthly_period, "0000-00")
    year_of = safe.str.slice(0, 4).astype(int).to_numpy()
    month_of = safe.str.slice(5, 7).astype(int).to_numpy()
    p_codes = kept(p_codes)
    used = np.zeros(len(p_names), dtype=bool)
    used[p_codes] = True
    used_years = year_of[used]
    y0 = int(used_years.min())
    n_years = int(used_years.max()) - y0 + 1
    # One integer key per (indicator, unit, year): factorising ints is ~20x faster than tuples.
    ind_codes, ind_names = _factorize(obs["indicator_id"])
    unit_codes, unit_names = _factorize(obs["unit_code"])
    key = kept(ind_codes).astype(np.int64)
    key *= len(unit_names)
    key += kept(unit_codes)
    key *= n_years
    key += (year_of - y0)[p_codes]
    if len(key) and np.all(key[1:] >= key[:-1]):  # sorted (a store's read): runs, no hash
        starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
        uniq = key[starts]
        codes = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(key))))
    else:
        codes, uniq = pd.factorize(key)  # hashing beats sorting millions of keys
        order = np.argsort(uniq)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        codes, uniq = rank[codes], uniq[order]  # sorted: indicator, unit, year
    del key
    series, y_off = np.divmod(uniq, n_years)
    i_idx, u_idx = np.divmod(series, len(unit_names))
    uniques = pd.MultiIndex.from_arrays([np.asarray(ind_names)[i_idx],
                                         np.asarray(unit_names)[u_idx], y0 + y_off], names=idx)
    is_ytd = (t_names == "ytd")[kept(t_codes)]
    value = kept(obs["value"].to_numpy(dtype=float))
    # Month-major (12, series): each month's step below reads contiguous memory.
    n = len(uniques)
    flat = (month_of - 1)[p_codes].astype(np.int64)
    flat *= n
    flat += codes
    del codes
    given_month = np.full((12, n), np.nan)
    given_ytd = np.full((12, n), np.nan)
    if is_ytd.any():  # one vintage: each (series, month, type) occurs once
        given_month.ravel()[flat[~is_ytd]] = value[~is_ytd]
        given_ytd.ravel()[flat[is_ytd]] = value[is_ytd]
    else:
        given_month.ravel()[flat] = value
    del flat, value
    ytd = np.empty_like(given_month)
    monthly = np.empty_like(given_month)
    prev = np.zeros(n)  # YTD at the end of the month before (0 before January)
    for t in range(12):
        # ytd: the given YTD, else the month before's plus this month's amount;
        # monthly: the given amount, else the difference of YTDs
        np.add(prev, given_month[t], out=ytd[t])
        np.copyto(ytd[t], given_ytd[t], where=~np.isnan(given_ytd[t]))
        np.subtract(ytd[t], prev, out=monthly[t])
        np.copyto(monthly[t], given_month[t], where=~np.isnan(given_month[t]))
        prev = ytd[t]
    cols = list(range(1, 13))
    return (pd.DataFrame(ytd.T, index=uniques, columns=cols, copy=False),
            pd.DataFrame(monthly.T, index=uniques, columns=cols, copy=False))


def _factorize(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Sorted codes and names; free for categoricals (their codes already are that)."""
    if isinstance(column.dtype, pd.CategoricalDtype) and column.cat.ordered is False \
            and column.cat.categories.is_monotonic_increasing:
        return column.cat.codes.to_numpy(), column.cat.categories.to_numpy()
    codes, names = pd.factorize(column.to_numpy(), sort=True)
    return codes, np.asarray(names)


def _as_text(column: pd.Series) -> pd.Series:
    """String view of a column; categoricals stay categorical (string ops then run once per
    category, which is what makes millions of rows cheap)."""
    return column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype(str)


def ytd_to_monthly(ytd: pd.Series) -> pd.Series:
    """Monthly amounts from a YTD series indexed by month (Jan = first difference from 0)."""
    ytd = ytd.sort_index()
    return ytd.diff().fillna(ytd)


def monthly_to_ytd(monthly: pd.Series) -> pd.Series:
    """YTD from monthly amounts; a missing month makes every later YTD unknown."""
    monthly = monthly.sort_index()
    return monthly.cumsum(skipna=False)


def decreasing_ytd(ytd: pd.DataFrame, tolerance: float = 1e-9) -> list[tuple[tuple, int, float, float]]:
    """(series key, month, previous YTD, YTD) for every month where a YTD goes down."""
    values = ytd.to_numpy(dtype=float)
    found = []
    for row, col in zip(*np.where(np.diff(values, axis=1) < -tolerance), strict=True):
        found.append((ytd.index[row], int(col) + 2, values[row, col], values[row, col + 1]))
    return found


def readings(obs: pd.DataFrame) -> pd.DataFrame:
    """Level and annual readings in long form with year and month: the level-kind input."""
    frame = obs[obs["value_type"].isin(["level", "annual"])]
    return add_period_columns(frame).sort_values(["indicator_id", "unit_code", "year", "month"])
