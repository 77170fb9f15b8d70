"""The track record ("Độ tin cậy của ước tính"): what the tool would have said in past years.

For each flow indicator with enough history, each past complete year and each month
1–11, the data are cut at that month and the engine runs exactly as it would have then
(backtests on earlier years only, the same estimate, interval and probability). Set
against what happened at year-end, this shows reviewers how far to trust this year's
estimates: how often the 80% and 95% intervals held the outcome, and whether "Có khả
năng đạt" ended met and "Khó đạt" ended missed (calibration of p_meet, Brier score).

Past years had their own plans, which the catalog does not hold. So the target a past
year is judged against is this year's plan carried back: the same ratio to the previous
year's total as this year's target is to last year's total ("giảm so với năm trước" is
the previous year's total itself). A target set against a setting (T04: % of the
province's estimate) has no such carry-back and is judged on its intervals only.
The page says so.

Levels and annual figures are replayed too: at each past month the estimate the report
would have shown (the level methods once the year has a reading, else the trend projection
from past years' values), against the year's last reading. Growth (T02) comes from its
flow's replay and is judged against the plan's growth rate; shares (T03) from their parts'
replays, simulated together, on their intervals only. Levels and annual figures are judged
on their intervals only: past years' plans for a rate or a level are not in the catalog,
and this year's would say little about them. A figure that was the same every past year (100%
of communes, year after year) is replayed as the report judges it, the "steady" method: the
estimate is that figure, with no interval (lo = hi = the estimate), so it holds only when the
year ends on it exactly. Milestones (recognitions, counted) have no
estimate with an interval to set against an outcome: the page names them as not replayed,
with every other indicator it could not replay and why.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..inputs.data import Dataset
from .assess import meet_condition
from .flows import (
    CACHE_VERSION,
    Cube,
    _disk_cached,
    cube_from_ytd,
    forecast_flows,
    load_fits,
    one_blas_thread,
    prefit_models,
    run_backtest,
    save_fits,
)
from .forecast import _forecast_annual, _forecast_level, _level_history, hash_seed

MIN_PAST_YEARS = 2  # a past year is replayed only with this many complete years before it
MONTHS = tuple(range(1, 12))
P_BINS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)
COLUMNS = ["indicator_id", "kind", "year", "month", "ytd", "estimate", "lo80", "hi80", "lo95",
           "hi95", "method", "actual", "target", "p_meet", "status", "met", "in80", "in95",
           "ape"]
# What a status claims, so "came true" can be counted: met for these, missed for the others.
CLAIMS_MET = ("achieved", "on_track")
# Why an indicator has no replayed estimate (reason codes; the page words them).
NO_HISTORY, MILESTONE, NO_INTERVAL = "no_history", "milestone", "no_interval"
# Bumped when the replay itself changes, so no page shows a record cached by older code.
REPLAY_VERSION = 2


@dataclass
class TrackRecord:
    """rows: one per indicator, past year and month (month 0: a projection made before the
    year's first figure); scope: every indicator of the plan, how many rows it has, and
    why none when none; the summaries are built from them."""

    rows: pd.DataFrame
    thresholds: dict[str, float]
    scope: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["indicator_id", "kind", "n", "reason"]))
    synthetic: bool = False

    @property
    def coverage(self) -> pd.DataFrame:
        """Per month and overall: how many estimates, and the share inside 80% / 95%."""
        r = self.rows
        by = r.groupby("month").agg(n=("in80", "size"), in80=("in80", "mean"),
                                    in95=("in95", "mean"), mape=("ape", "mean"))
        total = pd.DataFrame({"n": [len(r)], "in80": [r["in80"].mean()],
                              "in95": [r["in95"].mean()], "mape": [r["ape"].mean()]},
                             index=pd.Index(["all"], name="month"))
        return pd.concat([by, total])

    @property
    def judged(self) -> pd.DataFrame:
        return self.rows[pd.to_numeric(self.rows["p_meet"], errors="coerce").notna()]

    @property
    def calibration(self) -> pd.DataFrame:
        """p_meet in bins: how many, the mean probability said, the share that ended met."""
        j = self.judged
        if j.empty:
            return pd.DataFrame(columns=["bin", "n", "p_said", "met"])
        cut = pd.cut(j["p_meet"], P_BINS, include_lowest=True, right=False)
        cut = cut.where(j["p_meet"] < 1.0, pd.Interval(P_BINS[-2], P_BINS[-1], closed="left"))
        g = j.groupby(cut, observed=False).agg(n=("met", "size"), p_said=("p_meet", "mean"),
                                               met=("met", "mean"))
        return g.reset_index(names="bin")

    @property
    def brier(self) -> float:
        """Mean of (p_meet − met)²: 0 is perfect, 0,25 is saying 50% every time."""
        j = self.judged
        return float(np.mean((j["p_meet"] - j["met"]) ** 2)) if len(j) else np.nan

    @property
    def by_status(self) -> pd.DataFrame:
        """For each status the tool would have shown: how many, the share met, and the share
        in which it came true (met for achieved and on track, missed for the others)."""
        j = self.judged[self.judged["status"] != ""]
        if j.empty:
            return pd.DataFrame(columns=["status", "n", "met", "came_true"])
        g = j.groupby("status").agg(n=("met", "size"), met=("met", "mean")).reset_index()
        g["came_true"] = np.where(g["status"].isin(CLAIMS_MET), g["met"], 1 - g["met"])
        return g

    @property
    def by_kind(self) -> pd.DataFrame:
        """Per kind of indicator: how many estimates, the share inside 80% / 95%, the error."""
        r = self.rows
        return r.groupby("kind", sort=False).agg(
            k=("indicator_id", "nunique"), n=("in80", "size"), in80=("in80", "mean"),
            in95=("in95", "mean"), mape=("ape", "mean"))


def _past_target(ind, totals: np.ndarray, ti: int, base_ti: int) -> float:
    """This year's plan carried back to year index ti (see module docstring)."""
    prev = totals[ti - 1]
    if not np.isfinite(prev) or prev <= 0:
        return np.nan
    if ind.rule == "reduce":
        return float(prev)
    if ind.target is None or ind.target_of_setting or base_ti < 1 or not np.isfinite(totals[base_ti - 1]) \
            or totals[base_ti - 1] <= 0:
        return np.nan
    return float(prev * ind.target / totals[base_ti - 1])


def _p_meet(ind, target: float, est: float, scale: float, df: float) -> float:
    """P(year-end meets the target) under the log-t error distribution of the estimate."""
    if not (np.isfinite(target) and np.isfinite(est) and est > 0 and target > 0):
        return np.nan
    if not np.isfinite(scale) or scale <= 0:
        return np.nan
    below = float(stats.t.cdf(np.log(target / est) / scale, df))
    return below if ind.rule in ("le", "reduce") else 1.0 - below


def _status(ind, p: float, ytd: float, target: float, th: dict[str, float],
            estimate: float = np.nan) -> str:
    """The status the monthly report would have shown (engine/assess.py's rules for a flow):
    a near miss, the estimate closing at least off_track_gap of the gap (baseline 0 for a
    flow; not for a reduction, whose target is last year's total), stays at_risk."""
    if not np.isfinite(p):
        return ""
    if ind.rule not in ("le", "reduce") and np.isfinite(target) and ytd >= target:
        return "achieved"
    if p >= th["on_track_p"]:
        return "on_track"
    if p < th["off_track_p"]:
        band = meet_condition(ind, target)[0] == "band"
        gap = estimate / target if ind.rule != "reduce" and not band and target else np.nan
        return "at_risk" if np.isfinite(gap) and gap >= th["off_track_gap"] else "off_track"
    return "at_risk"


def track_record(ds: Dataset, unit: str | None = None, use_ets: bool = True,
                 months: tuple[int, ...] = MONTHS, cache_dir=None) -> TrackRecord:
    """Replay the estimates over past complete years, from the data known at each month.

    Only past years enter, so the result is kept on disk (by their checksum, the targets
    and thresholds): the monthly runs of a year compute it once.
    """
    from ..common.paths import CACHE_DIR

    cat = ds.catalog
    unit = unit or (ds.units[0] if ds.units else cat.default_unit)
    flows = [i for i in cat.all_series if i.kind == "flow"]
    cube = cube_from_ytd(ds.ytd, [(i.id, unit) for i in flows])
    past_only = cube.years < cat.year
    cube = Cube(cube.keys, cube.years[past_only], cube.ytd[:, past_only])
    read = ds.readings
    read = read[(read["unit_code"] == unit) & (read["year"] < cat.year)]
    key = hashlib.sha256(repr((
        cube.digest(), pd.util.hash_pandas_object(read, index=False).sum(),
        [(i.id, i.kind, i.rule, i.target, i.target_of_setting, i.derive, i.is_component)
         for i in cat.all_series], cat.year, cat.thresholds, use_ets, months,
        REPLAY_VERSION)).encode()
    ).hexdigest()[:24]
    cache = CACHE_DIR if cache_dir is None else cache_dir
    name = f"track-v{CACHE_VERSION}-{key}.pkl"

    def compute() -> TrackRecord:
        if use_ets:
            load_fits(cache)
        rows = [_replay(cube, flows, cat, use_ets, months), _replay_readings(read, cat, months)]
        if use_ets:
            save_fits(cache)
        frame = pd.concat([r for r in rows if len(r)] or [rows[0]], ignore_index=True)
        return TrackRecord(frame, cat.thresholds, _scope(frame, cat, read, cube))

    try:  # the report and the track-record page run at once: one computes, the other waits
        from filelock import FileLock

        Path(cache).mkdir(parents=True, exist_ok=True)
        with FileLock(str(Path(cache) / f"{name}.lock"), timeout=600):
            tr = _disk_cached(cache, name, compute)
    except OSError:  # a read-only cache only costs time
        tr = _disk_cached(cache, name, compute)
    return replace(tr, synthetic=bool(ds.source.synthetic))


def _scope(rows: pd.DataFrame, cat, read: pd.DataFrame, cube: Cube) -> pd.DataFrame:
    """Every indicator of the plan: its kind, how many replayed estimates, why none (the
    reason must be true: "not enough past years" only when there are not)."""
    counts = rows["indicator_id"].value_counts()
    years = read.groupby("indicator_id")["year"].nunique()
    out = []
    for ind in cat.indicators:
        n = int(counts.get(ind.id, 0))
        reason = ""
        if n == 0:
            reason = MILESTONE if ind.kind == "milestone" else NO_INTERVAL if (
                ind.kind in ("level", "annual")
                and int(years.get(ind.id, 0)) > MIN_PAST_YEARS) else NO_HISTORY
        out.append({"indicator_id": ind.id, "kind": ind.kind, "n": n, "reason": reason})
    return pd.DataFrame(out, columns=["indicator_id", "kind", "n", "reason"])


def _row(ind, year: int, month: int, ytd: float, est: float, bounds: tuple[float, ...],
         method: str, actual: float, target: float = np.nan, p: float = np.nan,
         status: str = "", met: float = np.nan, kind: str | None = None) -> dict:
    """One replayed estimate; bounds are (lo80, hi80, lo95, hi95)."""
    lo80, hi80, lo95, hi95 = bounds
    return {"indicator_id": ind.id, "kind": kind or ind.kind, "year": int(year),
            "month": int(month), "ytd": ytd, "estimate": est, "lo80": lo80, "hi80": hi80,
            "lo95": lo95, "hi95": hi95, "method": method, "actual": actual, "target": target,
            "p_meet": p, "status": status, "met": met, "in80": bool(lo80 <= actual <= hi80),
            "in95": bool(lo95 <= actual <= hi95),
            "ape": abs(est / actual - 1) * 100 if actual else np.nan}


def _replay(cube: Cube, flows: list, cat, use_ets: bool, months: tuple[int, ...]) -> pd.DataFrame:
    """Flows, and the growth and shares derived from them."""
    if not len(cube.years):
        return pd.DataFrame(columns=COLUMNS)
    base_ti = len(cube.years) if len(cube.years) and cube.years[-1] == cat.year - 1 else -1
    past = [ti for ti in range(MIN_PAST_YEARS, len(cube.years))
            if np.isfinite(cube.totals[:, ti]).any()]
    if use_ets:  # every fit the replay needs, at once, on all cores
        prefit_models(cube, [(s, ti, m) for ti in range(1, max(past, default=0) + 1)
                             for m in months for s in range(len(cube.keys))])
    index = {k[0]: s for s, k in enumerate(cube.keys)}
    derived = [i for i in cat.indicators if i.kind == "derived"]
    rows = []
    for ti in past:
        for m in months:
            cut = cube.ytd[:, : ti + 1].copy()
            cut[:, ti, m:] = np.nan
            sub = Cube(cube.keys, cube.years[: ti + 1], cut)
            bt = run_backtest(sub, use_ets=use_ets, until=ti, months=(m,))
            ff = forecast_flows(sub, int(cube.years[ti]), m, bt, use_ets=use_ets)
            ok = (np.isfinite(cube.totals[:, ti]) & np.isfinite(ff.estimate)
                  & (ff.data_month == m) & (ff.method != "actual")
                  & np.isfinite(ff.scale) & (ff.scale > 0))
            for s, ind in enumerate(flows):
                if ok[s] and not ind.is_component:
                    rows.append(_flow_row(ind, cube, ff, s, ti, m, base_ti, cat.thresholds))
            for ind in derived:
                row = _derived_row(ind, cube, ff, ok, index, ti, m, cat.thresholds)
                if row:
                    rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def _t(df: float, level: float) -> float:
    return float(stats.t.ppf(0.5 + level / 2, df))


def _flow_row(ind, cube: Cube, ff, s: int, ti: int, m: int, base_ti: int, th) -> dict:
    actual, est, scale, df = cube.totals[s, ti], ff.estimate[s], ff.scale[s], ff.df[s]
    t80, t95 = _t(df, 0.8), _t(df, 0.95)
    target = _past_target(ind, cube.totals[s], ti, base_ti)
    p = _p_meet(ind, target, est, scale, df)
    met = (actual <= target if ind.rule in ("le", "reduce") else actual >= target) \
        if np.isfinite(target) else np.nan
    ytd = cube.ytd[s, ti, m - 1]
    bounds = tuple(est * np.exp(sign * t * scale) for t in (t80, t95) for sign in (-1, 1))
    return _row(ind, cube.years[ti], m, ytd, est, bounds, str(ff.method[s]), actual, target, p,
                _status(ind, p, ytd, target, th, est), float(met) if np.isfinite(target) else np.nan)


def _derived_row(ind, cube: Cube, ff, ok: np.ndarray, index: dict[str, int], ti: int, m: int,
                 th) -> dict | None:
    """Growth: the flow's estimate over last year's total, judged against the plan's growth
    rate. Shares: the parts' outcomes simulated together (as the report does), intervals
    only."""
    d = ind.derive or {}
    if d.get("type") == "growth":
        va = d.get("value_added")
        of = va if va in index and ok[index[va]] else d.get("of")
        s = index.get(of)
        if s is None or not ok[s] or ti < 1 or not cube.totals[s, ti - 1] > 0:
            return None
        base = cube.totals[s, ti - 1]
        est, scale, df = ff.estimate[s], ff.scale[s], ff.df[s]
        actual = (cube.totals[s, ti] / base - 1) * 100
        bounds = tuple((est * np.exp(sign * _t(df, lv) * scale) / base - 1) * 100
                       for lv in (0.8, 0.95) for sign in (-1, 1))
        target = float(ind.target) if ind.target is not None else np.nan
        flow_target = base * (1 + target / 100)
        p = _p_meet(ind, flow_target, est, scale, df)
        met = float(actual >= target) if np.isfinite(target) else np.nan
        so_far = (cube.ytd[s, ti, m - 1] / cube.ytd[s, ti - 1, m - 1] - 1) * 100 \
            if cube.ytd[s, ti - 1, m - 1] > 0 else np.nan
        return _row(ind, cube.years[ti], m, so_far, (est / base - 1) * 100, bounds,
                    str(ff.method[s]), actual, target, p,
                    _status(ind, p, np.nan, np.nan, th), met)
    if d.get("type") == "share":
        parts = [index.get(c) for c in d.get("whole", [])]
        if not parts or any(s is None or not ok[s] for s in parts) or d.get("part") not in index:
            return None
        draws = {s: ff.estimate[s] * np.exp(ff.scale[s] * np.random.default_rng(
            hash_seed(cube.keys[s][0], str(ti), str(m))).standard_t(max(ff.df[s], 1.0), 4000))
            for s in parts}
        part = index[d["part"]]
        with np.errstate(invalid="ignore", over="ignore"):
            share = draws[part] / sum(draws.values()) * 100
        share = share[np.isfinite(share)]  # heavy tails can overflow: inf ÷ inf
        est = ff.estimate[part] / sum(ff.estimate[s] for s in parts) * 100
        actual = cube.totals[part, ti] / sum(cube.totals[s, ti] for s in parts) * 100
        so_far = cube.ytd[part, ti, m - 1] / sum(cube.ytd[s, ti, m - 1] for s in parts) * 100
        bounds = tuple(float(np.quantile(share, q)) for q in (0.1, 0.9, 0.025, 0.975))
        return _row(ind, cube.years[ti], m, so_far, est, bounds,
                    "simulated from " + ", ".join(d["whole"]), actual)
    return None


def _replay_readings(read: pd.DataFrame, cat, months: tuple[int, ...]) -> pd.DataFrame:
    """Levels and annual figures: at each past month, what the report would have shown,
    against the year's last reading. Before the year's first reading (and all year for an
    annual figure) the estimate is the projection from past years' values: one row, month 0.
    """
    rows = []
    for ind in cat.indicators:
        if ind.kind not in ("level", "annual"):
            continue
        hist = read[read["indicator_id"] == ind.id]
        if hist.empty:
            continue
        hist = _level_history(hist)
        years = sorted(hist["year"].unique())
        for y in years[MIN_PAST_YEARS:]:
            year_rows = hist[hist["year"] == y]
            actual = float(year_rows["value"].iloc[-1])
            before = hist[hist["year"] < y]
            first = int(year_rows["month"].iloc[0])
            if ind.kind == "annual" or first > min(months):
                rows.append(_reading_row(ind, y, 0, np.nan, _forecast_annual(before, y), actual))
            if ind.kind != "level":
                continue
            for m in months:
                if m not in set(year_rows["month"]):
                    continue  # the estimate changes only when a reading arrives
                cut = pd.concat([before, year_rows[year_rows["month"] <= m]])
                with one_blas_thread():
                    values = _forecast_level(ind, "", cut, y, m)
                rows.append(_reading_row(ind, y, m, values.get("actual_to_date", np.nan),
                                         values, actual))
    return pd.DataFrame([r for r in rows if r], columns=COLUMNS)


def _reading_row(ind, year: int, month: int, ytd: float, values: dict, actual: float) -> dict:
    est, scale, df = (values.get(k, np.nan) for k in ("estimate", "scale", "df"))
    if values.get("method") == "steady" and np.isfinite(est):  # a point: held or not
        return _row(ind, year, month, ytd, float(est), (float(est),) * 4, "steady", actual)
    if values.get("dist") != "add" or not (np.isfinite(est) and np.isfinite(scale)
                                           and scale > 0):
        return {}
    bounds = tuple(est + sign * _t(df, lv) * scale for lv in (0.8, 0.95) for sign in (-1, 1))
    return _row(ind, year, month, ytd, float(est), bounds, str(values.get("method", "")),
                actual)
