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
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
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
    prefit_models,
    run_backtest,
    save_fits,
)

MIN_PAST_YEARS = 2  # a past year is replayed only with this many complete years before it
MONTHS = tuple(range(1, 12))
P_BINS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass
class TrackRecord:
    """rows: one per indicator, past year and month; the summaries are built from them."""

    rows: pd.DataFrame
    thresholds: dict[str, float]

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
        """For each status the tool would have shown: how many, and the share met."""
        j = self.judged
        return j.groupby("status").agg(n=("met", "size"), met=("met", "mean")).reset_index()


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
    """Replay the flow estimates over past complete years, from the data known at each month.

    Only past years enter, so the result is kept on disk (by their checksum, the targets
    and thresholds): the monthly runs of a year compute it once.
    """
    from ..common.paths import CACHE_DIR

    cat = ds.catalog
    unit = unit or (ds.units[0] if ds.units else cat.default_unit)
    flows = [i for i in cat.all_series if i.kind == "flow" and not i.is_component]
    cube = cube_from_ytd(ds.ytd, [(i.id, unit) for i in flows])
    past_only = cube.years < cat.year
    cube = Cube(cube.keys, cube.years[past_only], cube.ytd[:, past_only])
    key = hashlib.sha256(repr((cube.digest(), [(i.id, i.rule, i.target, i.target_of_setting)
                                               for i in flows], cat.year, cat.thresholds,
                               use_ets, months)).encode()).hexdigest()[:24]
    cache = CACHE_DIR if cache_dir is None else cache_dir
    name = f"track-v{CACHE_VERSION}-{key}.pkl"

    def compute() -> TrackRecord:
        if use_ets:
            load_fits(cache)
        result = _replay(cube, flows, cat, use_ets, months)
        if use_ets:
            save_fits(cache)
        return result

    try:  # the report and the track-record page run at once: one computes, the other waits
        from filelock import FileLock

        Path(cache).mkdir(parents=True, exist_ok=True)
        with FileLock(str(Path(cache) / f"{name}.lock"), timeout=600):
            return _disk_cached(cache, name, compute)
    except OSError:  # a read-only cache only costs time
        return _disk_cached(cache, name, compute)


def _replay(cube: Cube, flows: list, cat, use_ets: bool, months: tuple[int, ...]) -> TrackRecord:
    columns = ["indicator_id", "year", "month", "ytd", "estimate", "lo80", "hi80", "lo95",
               "hi95", "method", "actual", "target", "p_meet", "status", "met", "in80", "in95",
               "ape"]
    if not len(cube.years):
        return TrackRecord(pd.DataFrame(columns=columns), cat.thresholds)
    base_ti = len(cube.years) if len(cube.years) and cube.years[-1] == cat.year - 1 else -1
    past = [ti for ti in range(MIN_PAST_YEARS, len(cube.years))
            if np.isfinite(cube.totals[:, ti]).any()]
    if use_ets:  # every fit the replay needs, at once, on all cores
        prefit_models(cube, [(s, ti, m) for ti in range(1, max(past, default=0) + 1)
                             for m in months for s in range(len(cube.keys))])
    q80, q95 = {}, {}
    rows = []
    for ti in past:
        for m in months:
            cut = cube.ytd[:, : ti + 1].copy()
            cut[:, ti, m:] = np.nan
            sub = Cube(cube.keys, cube.years[: ti + 1], cut)
            bt = run_backtest(sub, use_ets=use_ets, until=ti, months=(m,))
            ff = forecast_flows(sub, int(cube.years[ti]), m, bt, use_ets=use_ets)
            for s, ind in enumerate(flows):
                actual, est = cube.totals[s, ti], ff.estimate[s]
                if not (np.isfinite(actual) and np.isfinite(est)) or ff.data_month[s] != m \
                        or ff.method[s] == "actual":
                    continue
                scale, df = ff.scale[s], ff.df[s]
                if not (np.isfinite(scale) and scale > 0):
                    continue
                t80 = q80.setdefault(df, stats.t.ppf(0.9, df))
                t95 = q95.setdefault(df, stats.t.ppf(0.975, df))
                target = _past_target(ind, cube.totals[s], ti, base_ti)
                p = _p_meet(ind, target, est, scale, df)
                met = (actual <= target if ind.rule in ("le", "reduce") else actual >= target) \
                    if np.isfinite(target) else np.nan
                rows.append({
                    "indicator_id": ind.id, "year": int(cube.years[ti]), "month": m,
                    "ytd": cube.ytd[s, ti, m - 1], "estimate": est,
                    "lo80": est * np.exp(-t80 * scale), "hi80": est * np.exp(t80 * scale),
                    "lo95": est * np.exp(-t95 * scale), "hi95": est * np.exp(t95 * scale),
                    "method": str(ff.method[s]), "actual": actual, "target": target,
                    "p_meet": p, "status": _status(ind, p, cube.ytd[s, ti, m - 1], target,
                                                   cat.thresholds, est),
                    "met": float(met) if np.isfinite(target) else np.nan,
                    "in80": abs(np.log(actual / est)) <= t80 * scale,
                    "in95": abs(np.log(actual / est)) <= t95 * scale,
                    "ape": abs(est / actual - 1) * 100})
    return TrackRecord(pd.DataFrame(rows, columns=columns), cat.thresholds)

