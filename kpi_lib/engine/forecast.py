"""Year-end estimates ("ước thực hiện cả năm") for every indicator kind, with intervals.

One row per (indicator, unit): the value so far, the estimate, the method, and the error
distribution the interval and the probability come from:
    dist = "log"  outcome = estimate × exp(scale × T_df)     (flows: errors are ratios)
    dist = "add"  outcome = estimate + scale × T_df          (levels, annual values)
    dist = "none" the value is final (measured) or there is no estimate at all
Derived indicators (growth, shares) are simulated from their components' distributions;
their samples are kept for the assessment.

Levels: last reading + the average change from that month to December in past years
(seasonal change), a damped-trend Holt model (statsmodels) on the readings, or the last
value; the one with the smallest backtest error on past years is chosen. Annual values
with no reading in the year are a projection from past years, flagged low-confidence.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..inputs.data import Dataset
from ..plan.catalog import Catalog, Indicator
from .flows import (
    Cube,
    cached_backtest,
    cube_from_ytd,
    forecast_flows,
    latest_data_month,
    one_blas_thread,
)

N_SIMULATIONS = 4000
COLUMNS = ["indicator_id", "unit_code", "kind", "as_of", "data_month", "actual_to_date",
           "estimate", "method", "dist", "scale", "df", "n_backtest", "interval_source",
           "low_confidence", "final", "p_hint", "note"]
# A projection with no figure in the year cannot be more precise than this share of its value.
MIN_RELATIVE_SCALE = 0.005


@dataclass
class ForecastResult:
    table: pd.DataFrame
    samples: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    cube: Cube | None = None
    flow_alternatives: dict[str, np.ndarray] = field(default_factory=dict)


def _t_samples(df: float, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_t(max(df, 1.0), n)


def outcome_samples(row: pd.Series, n: int = N_SIMULATIONS, seed: int = 0) -> np.ndarray:
    """Draws of the year-end outcome implied by a row's error distribution."""
    if row["dist"] == "none" or not np.isfinite(row["estimate"]):
        return np.full(n, row["estimate"])
    t = _t_samples(row["df"], n, seed)
    if row["dist"] == "log":
        return row["estimate"] * np.exp(row["scale"] * t)
    return row["estimate"] + row["scale"] * t


def _row(ind: Indicator, unit: str, as_of: int, **values) -> dict:
    base = {"indicator_id": ind.id, "unit_code": unit, "kind": ind.kind, "as_of": as_of,
            "data_month": 0, "actual_to_date": np.nan, "estimate": np.nan, "method": "",
            "dist": "none", "scale": np.nan, "df": np.nan, "n_backtest": 0,
            "interval_source": "", "low_confidence": False, "final": False, "p_hint": np.nan,
            "note": ""}
    base.update(values)
    return base


# ------------------------------------------------------------------ levels
def _level_history(read: pd.DataFrame) -> pd.DataFrame:
    """Readings of one series: columns year, month, value (latest reading per period)."""
    return read[["year", "month", "value"]].drop_duplicates(["year", "month"], keep="last")


def _level_methods(hist: pd.DataFrame, year: int, m: int) -> dict[str, float]:
    """Each level method's December estimate for `year` using readings up to month m."""
    past = hist[(hist["year"] < year) | ((hist["year"] == year) & (hist["month"] <= m))]
    now = past[past["year"] == year]
    if now.empty:
        return {}
    last_month = int(now["month"].iloc[-1])
    last = float(now["value"].iloc[-1])
    out = {"last_value": last}
    changes = []
    for y, grp in past[past["year"] < year].groupby("year"):
        at = grp[grp["month"] == last_month]["value"]
        dec = grp[grp["month"] == 12]["value"]
        if len(at) and len(dec):
            changes.append(float(dec.iloc[-1] - at.iloc[-1]))
    if changes:
        out["seasonal_change"] = last + float(np.mean(changes[-5:]))
    series = past["value"].to_numpy(dtype=float)
    if len(series) >= 8 and last_month < 12:
        step = int(np.median(np.diff(past["month"] + 12 * past["year"]))) or 1
        horizon = max(1, round((12 - last_month) / step))
        try:
            from statsmodels.tsa.holtwinters import Holt

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = Holt(series, damped_trend=True, initialization_method="estimated").fit()
                value = float(fit.forecast(horizon)[-1])
            if np.isfinite(value):
                out["damped_trend"] = value
        except (ValueError, np.linalg.LinAlgError):
            pass
    return out


def _forecast_level(ind: Indicator, unit: str, hist: pd.DataFrame, year: int,
                    as_of: int) -> dict:
    now = hist[(hist["year"] == year) & (hist["month"] <= as_of)]
    if now.empty:
        return {}
    final = int(now["month"].iloc[-1]) == 12
    methods = _level_methods(hist, year, as_of)
    if final:
        return {"data_month": 12, "actual_to_date": float(now["value"].iloc[-1]),
                    "estimate": float(now["value"].iloc[-1]), "method": "actual", "final": True}
    last_month = int(now["month"].iloc[-1])
    errors: dict[str, list[float]] = {k: [] for k in methods}
    for y in sorted(set(hist["year"]) - {year}):
        if y > year:
            continue
        dec = hist[(hist["year"] == y) & (hist["month"] == 12)]["value"]
        if dec.empty:
            continue
        for k, v in _level_methods(hist, y, last_month).items():
            if k in errors:
                errors[k].append(float(dec.iloc[-1]) - v)
    rmse = {k: np.sqrt(np.mean(np.square(e))) for k, e in errors.items() if len(e) >= 2}
    if rmse:
        best = min(rmse, key=rmse.get)
        n = len(errors[best])
        scale = rmse[best] * np.sqrt(1 + 1 / n)
        return {"data_month": last_month, "actual_to_date": float(now["value"].iloc[-1]),
                    "estimate": methods[best], "method": best, "dist": "add", "scale": scale, "df": max(n - 1, 1),
                    "n_backtest": n, "interval_source": "backtest"}
    # Too little history to backtest: the last value, with the spread of its changes.
    values = hist["value"].to_numpy(dtype=float)
    diffs = np.diff(values)
    scale = float(np.std(diffs, ddof=1)) if len(diffs) >= 2 else np.nan
    return {"data_month": last_month, "actual_to_date": float(now["value"].iloc[-1]),
                "estimate": methods["last_value"], "method": "last_value",
                "dist": "add" if np.isfinite(scale) else "none", "scale": scale,
                "df": max(len(diffs) - 1, 1), "interval_source": "model",
                "note": "too little history to backtest; interval from past changes"}


def _cached_level(ind: Indicator, unit: str, hist: pd.DataFrame, year: int, as_of: int,
                  cache_dir) -> dict:
    """Level forecasts refit Holt models on every past year: keep them by data checksum."""
    import hashlib

    from .flows import CACHE_VERSION, _disk_cached

    digest = hashlib.sha256(pd.util.hash_pandas_object(hist, index=False).to_numpy().tobytes())
    key = f"level-v{CACHE_VERSION}-{year}-{as_of}-{digest.hexdigest()[:24]}.pkl"
    def compute() -> dict:
        with one_blas_thread():  # each past year is a Holt fit
            return _forecast_level(ind, unit, hist, year, as_of)

    return _disk_cached(cache_dir, key, compute)


def _forecast_annual(hist: pd.DataFrame, year: int) -> dict:
    """Projection from whole-year values of past years; the year's own value if reported."""
    yearly = hist.groupby("year")["value"].last()
    if year in yearly.index:
        return {"data_month": 12, "actual_to_date": float(yearly[year]),
                    "estimate": float(yearly[year]), "method": "actual", "final": True}
    past = yearly[yearly.index < year].iloc[-6:]
    if past.empty:
        return {}
    note = "no figure in the year yet (chưa có số liệu trong năm): projection from past years"
    if len(past) >= 3 and np.ptp(past.to_numpy(dtype=float)) == 0:
        # The same figure in every past year (100% of communes, year after year): there is
        # no spread to learn, and a trend's floor spread would invent a 50% chance of
        # falling. Judged instead by how often it held (assess: rule of succession).
        return {"estimate": float(past.iloc[-1]), "method": "steady", "dist": "none",
                "n_backtest": len(past), "interval_source": "history",
                "low_confidence": True, "note": note}
    if len(past) >= 3:
        x = past.index.to_numpy(dtype=float)
        y = past.to_numpy(dtype=float)
        coef = np.polyfit(x, y, 1)
        resid = y - np.polyval(coef, x)
        n = len(y)
        s = np.sqrt(np.sum(resid ** 2) / max(n - 2, 1))
        xbar = x.mean()
        se = s * np.sqrt(1 + 1 / n + (year - xbar) ** 2 / np.sum((x - xbar) ** 2))
        se = max(se, MIN_RELATIVE_SCALE * abs(y[-1]))
        return {"estimate": float(np.polyval(coef, year)), "method": "annual_trend", "dist": "add",
                    "scale": float(se), "df": max(n - 2, 1), "interval_source": "model",
                    "low_confidence": True, "note": note}
    diffs = np.diff(past.to_numpy(dtype=float))
    scale = float(np.std(diffs, ddof=1)) if len(diffs) >= 2 else np.nan
    scale = max(scale, MIN_RELATIVE_SCALE * abs(float(past.iloc[-1]))) if len(diffs) >= 2 else scale
    return {"estimate": float(past.iloc[-1]), "method": "last_value",
                "dist": "add" if np.isfinite(scale) else "none", "scale": scale, "df": 1,
                "interval_source": "model", "low_confidence": True, "note": note}


# ------------------------------------------------------------------ milestones
def _milestone_count(obs: pd.DataFrame, ind: Indicator, year: int, upto: int) -> float:
    return float(_milestone_counts(obs, ind, [year], upto)[0])


def _milestone_counts(obs: pd.DataFrame, ind: Indicator, years: list[int],
                      upto: int) -> np.ndarray:
    """Recognitions by month `upto` of each year: one pass over the rows, not one filter
    per year (a long history made this the slowest part of a cold forecast)."""
    rows = obs[obs["month"] <= upto]
    if ind.rule == "yes":
        levels = rows[rows["value_type"] == "level"].drop_duplicates("year", keep="last")
        last = dict(zip(levels["year"], levels["value"], strict=True))
        return np.array([float(last.get(y, 0.0)) for y in years])
    counts = rows[rows["value_type"] == "month"].groupby("year")["value"].sum()
    ytd = rows[rows["value_type"] == "ytd"].groupby("year")["value"].max()
    return np.array([float(max(counts.get(y, 0.0), ytd[y] if y in ytd.index else 0.0))
                     for y in years])


def _forecast_milestone(ind: Indicator, unit: str, obs: pd.DataFrame, year: int,
                        as_of: int, target: float | None, first_year: int) -> dict:
    """Recognitions so far this year plus those scheduled (value_type `planned`).

    `as_of` is the last month the data reach (never later): a month with no figures yet is
    not a month in which nothing happened, so a recognition scheduled after the data is
    still scheduled, and the base rate looks at what came after that month.
    The probability of getting the rest is how often at least as many came after this month
    in past years, by the rule of succession over the n past years, (k+1)/(n+2): never the
    certainty (0% or 100%) a plain frequency would claim from a finite past (`p_hint`). A
    scheduled recognition is noted, not counted as obtained. With fewer than 3 past years
    there is no probability.
    """
    obs = obs[obs["value_type"] != "planned"].assign(_planned=False).pipe(
        lambda o: pd.concat([o, obs[obs["value_type"] == "planned"].assign(_planned=True)]))
    actual = obs[~obs["_planned"]]
    done = _milestone_count(actual, ind, year, as_of)
    planned = obs[obs["_planned"] & (obs["year"] == year) & (obs["month"] > as_of)]
    n_planned = float(planned["value"].sum())
    p_hint = np.nan
    shortfall = (target or 0) - done
    past_years = list(range(first_year, year))  # a year with no row had no recognition
    k = 0
    if shortfall > 0 and len(past_years) >= 3:
        gains = _milestone_counts(actual, ind, past_years, 12) - \
            _milestone_counts(actual, ind, past_years, as_of)
        k = int(sum(g >= shortfall for g in gains))
        p_hint = (k + 1) / (len(past_years) + 2)
    if n_planned and n_planned >= shortfall:
        p_hint = np.nan  # a scheduled recognition is not an unscheduled one: no base rate
    note = f"{n_planned:g} scheduled later in the year (not yet obtained)" if n_planned else ""
    if shortfall > 0 and len(past_years) >= 3 and not n_planned:
        note = f"in {len(past_years)} past years, the rest came after month {as_of} in {k}: " \
               f"({k}+1)/({len(past_years)}+2)"
    return {"data_month": as_of, "actual_to_date": done, "estimate": done + n_planned,
                "method": "count_plus_scheduled" if n_planned else "count", "note": note,
                "n_backtest": len(past_years), "p_hint": p_hint,
                "interval_source": "history" if np.isfinite(p_hint) else ""}


def _data_reach(obs_periods: pd.DataFrame, year: int) -> dict[str, int]:
    """The last month of `year` each unit has any figure for (month, ytd or level)."""
    rows = obs_periods[(obs_periods["year"] == year)
                       & obs_periods["value_type"].isin(["month", "ytd", "level"])]
    return {u: int(m) for u, m in rows.groupby("unit_code")["month"].max().items()}


# ------------------------------------------------------------------ orchestration
def forecast_all(ds: Dataset, as_of: int, unit: str | None = None, use_ets: bool = True,
                 cache_dir=None) -> ForecastResult:
    """Estimates for every indicator and unit as of month `as_of` of the catalog year."""
    from ..common.paths import CACHE_DIR

    cat: Catalog = ds.catalog
    year = cat.year
    units = [unit] if unit else ds.units or [cat.default_unit]
    rows: list[dict] = []
    flow_ids = [i.id for i in cat.all_series if i.kind == "flow"]
    keys = [(i, u) for i in flow_ids for u in units]
    cube = cube_from_ytd(ds.ytd, keys)
    ff = None
    if len(cube.years) and year in cube.years:
        months = _data_months(cube, year, as_of)
        cache = CACHE_DIR if cache_dir is None else cache_dir
        bt = cached_backtest(cube, use_ets, cache, months=months)
        ff = forecast_flows(cube, year, as_of, bt, use_ets=use_ets, cache_dir=cache)
    flow_frame = _flow_rows(ff, as_of, cat) if ff is not None else None
    cache = CACHE_DIR if cache_dir is None else cache_dir
    readings = ds.readings
    read_groups = {k: g for k, g in readings.groupby(["indicator_id", "unit_code"])}
    obs_periods, reach = None, {}
    first_year = int(ds.readings["year"].min()) if len(ds.readings) else year
    if len(cube.years):
        first_year = min(first_year, int(cube.years[0]))
    derived_from = {r for i in cat.indicators
                    for r in [*i.derive_refs, (i.derive or {}).get("value_added")] if r}
    for ind in cat.all_series:
        if ind.is_component and ind.id not in derived_from:
            continue  # a part of a ratio (insured people, population): no estimate of its own
        for u in units:
            if ind.kind == "flow":
                continue
            if ind.kind in ("level", "annual"):
                hist = read_groups.get((ind.id, u))
                values = {}
                if hist is not None:
                    hist = _level_history(hist)
                    in_year = hist[(hist["year"] == year) & (hist["month"] <= as_of)]
                    if ind.kind == "level" and len(in_year):
                        values = _cached_level(ind, u, hist, year, as_of, cache)
                    else:
                        values = _forecast_annual(hist[hist["year"] != year], year) \
                            if len(in_year) == 0 else _forecast_annual(hist, year)
                rows.append(_row(ind, u, as_of, **values))
            elif ind.kind == "milestone":
                if obs_periods is None:
                    from ..inputs.tidy import add_period_columns
                    obs_periods = add_period_columns(ds.obs)
                    reach = _data_reach(obs_periods, year)
                mine = obs_periods[(obs_periods["indicator_id"] == ind.id) &
                                   (obs_periods["unit_code"] == u)]
                values = _forecast_milestone(ind, u, mine, year, min(as_of, reach.get(u, 0)),
                                             ind.target, first_year)
                rows.append(_row(ind, u, as_of, **values))
    table = pd.concat([f for f in (flow_frame, pd.DataFrame(rows, columns=COLUMNS))
                       if f is not None and len(f)], ignore_index=True)
    result = ForecastResult(table, cube=cube, flow_alternatives=ff.all_estimates if ff else {})
    _derive(cat, ds, result, units, as_of)
    order = {i.id: n for n, i in enumerate(cat.all_series)}
    result.table = result.table.assign(_o=result.table["indicator_id"].map(order)).sort_values(
        "_o", kind="stable").drop(columns="_o").reset_index(drop=True)
    return result


def _data_months(cube: Cube, year: int, as_of: int) -> tuple[int, ...]:
    """The months whose backtests this forecast needs: each series' latest month of data."""
    last = latest_data_month(cube, int(np.searchsorted(cube.years, year)), as_of)
    return tuple(int(m) for m in np.unique(last) if m > 0)


def _flow_rows(ff, as_of: int, cat: Catalog) -> pd.DataFrame:
    """The flow forecasts as table rows, built from arrays (80,000 series in milliseconds).
    A series with no figure this year keeps its row, with no estimate."""
    keep = np.ones(len(ff.keys), dtype=bool)
    method = ff.method[keep].astype(str)
    actual = method == "actual"
    scale = ff.scale[keep]
    source = ff.interval_source[keep].astype(str)
    kinds = {i.id: i.kind for i in cat.all_series}
    ids = [k[0] for k, on in zip(ff.keys, keep, strict=True) if on]
    frame = pd.DataFrame({
        "indicator_id": ids,
        "unit_code": [k[1] for k, on in zip(ff.keys, keep, strict=True) if on],
        "kind": [kinds[i] for i in ids], "as_of": as_of,
        "data_month": ff.data_month[keep].astype(int), "actual_to_date": ff.ytd[keep],
        "estimate": ff.estimate[keep], "method": method,
        "dist": np.where(actual | ~np.isfinite(scale), "none", "log"), "scale": scale,
        "df": ff.df[keep].astype(float), "n_backtest": ff.n_backtest[keep].astype(int),
        "interval_source": source, "low_confidence": False, "final": actual, "p_hint": np.nan,
        "note": np.where(source == "model", "history too short to backtest; interval from the "
                         "spread of this year's months", ""),
    })
    none = frame["data_month"].to_numpy() == 0
    if none.any():
        frame.loc[none, ["actual_to_date", "estimate", "scale"]] = np.nan
        frame.loc[none, ["method", "interval_source"]] = ""
        frame.loc[none, "dist"] = "none"
        frame.loc[none, "note"] = "no figure this year"
    return frame[COLUMNS]


GROSS_OUTPUT_NOTE = "estimated from gross output: the data has no value-added series"


def _derive(cat: Catalog, ds: Dataset, result: ForecastResult, units: list[str],
            as_of: int) -> None:
    """Growth and shares from their components' simulated outcomes (shares sum to 100)."""
    table = result.table.set_index(["indicator_id", "unit_code"])
    new_rows = []
    for ind in cat.indicators:
        if ind.kind != "derived":
            continue
        d = dict(ind.derive or {})
        for u in units:
            note = ""
            if d["type"] == "growth" and d.get("value_added"):
                va = d["value_added"]
                has_va = (va, u) in table.index and np.isfinite(table.loc[(va, u), "estimate"]) \
                    and np.isfinite(ds.annual_values.get((va, u, cat.year - 1), np.nan))
                if has_va:  # the plan's measure: growth of value added
                    d = {**d, "of": va}
                else:
                    note = GROSS_OUTPUT_NOTE
            comps = [d["of"]] if d["type"] == "growth" else list(d["whole"])
            if any((c, u) not in table.index or not np.isfinite(table.loc[(c, u), "estimate"])
                   for c in comps):
                new_rows.append(_row(ind, u, as_of, note="components have no estimate"))
                continue
            draws = {c: outcome_samples(table.loc[(c, u)], seed=hash_seed(c, u)) for c in comps}
            points = {c: float(table.loc[(c, u), "estimate"]) for c in comps}
            dm = int(min(table.loc[(c, u), "data_month"] for c in comps))
            if d["type"] == "growth":
                base = ds.annual_values.get((d["of"], u, cat.year - 1))
                if base is None or not np.isfinite(base) or base == 0:
                    new_rows.append(_row(ind, u, as_of, note=f"no {cat.year - 1} total of "
                                         f"{d['of']} to compare with"))
                    continue
                samples = (draws[d["of"]] / base - 1) * 100
                estimate = (points[d["of"]] / base - 1) * 100
                so_far = _growth_so_far(ds, d["of"], u, cat.year, dm)
            else:
                total = sum(draws.values())
                samples = draws[d["part"]] / total * 100
                estimate = points[d["part"]] / sum(points.values()) * 100
                ytds = {c: float(table.loc[(c, u), "actual_to_date"]) for c in comps}
                so_far = ytds[d["part"]] / sum(ytds.values()) * 100
            final = all(bool(table.loc[(c, u), "final"]) for c in comps)
            result.samples[(ind.id, u)] = samples
            new_rows.append(_row(ind, u, as_of, data_month=dm, actual_to_date=so_far,
                                 estimate=estimate, method="simulated from " + ", ".join(comps),
                                 note=note,
                                 dist="none" if final else "samples",
                                 interval_source="simulation", final=final,
                                 n_backtest=int(min(table.loc[(c, u), "n_backtest"]
                                                    for c in comps))))
    if new_rows:
        result.table = pd.concat([result.table, pd.DataFrame(new_rows, columns=COLUMNS)],
                                 ignore_index=True)


def _growth_so_far(ds: Dataset, iid: str, unit: str, year: int, m: int) -> float:
    """Growth of the YTD over the same months of last year ("so cùng kỳ"), in %."""
    try:
        now = ds.ytd.loc[(iid, unit, year), m]
        before = ds.ytd.loc[(iid, unit, year - 1), m]
    except KeyError:
        return np.nan
    return float((now / before - 1) * 100) if before else np.nan


def hash_seed(*parts: str) -> int:
    """A stable seed per series, so simulations are reproducible run to run."""
    import zlib

    return zlib.crc32("|".join(parts).encode())
