"""Is each target on track? Status from the probability of meeting it and the gap closed.

Method (documented in README "How status is decided"), after public practice:
- probability of meeting the target, from the forecast's backtest error distribution;
- gap closure G = (estimate − baseline) ÷ (target − baseline), the UN SDG Progress Chart
  measure; baseline 0 for flows, last year's value for levels and annual values, so it
  works in either direction (a ceiling such as malnutrition runs the other way);
- required pace vs observed pace for flows (Eurostat's ratio of actual to required pace,
  deliverology trajectories);
- a numbered item holding several indicators takes the worst of their statuses (Destatis).

Status, with catalog thresholds (defaults on_track_p 0.75, off_track_p 0.25,
off_track_gap 0.95):
- achieved   already met and cannot be undone (a flow or count past its target, a final
             figure that meets it);
- on_track   P(meet) ≥ on_track_p;
- off_track  P(meet) < off_track_p, unless G ≥ off_track_gap (a near miss stays at_risk);
             also a final figure that misses;
- at_risk    in between;
- no_data    too little to judge: fewer than 3 months of a flow, fewer than 2 readings of
             a level, no reading in the year for an annual value, a missing setting or
             baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .catalog import Catalog, Indicator
from .data import Dataset
from .forecast import ForecastResult

STATUSES = ("achieved", "on_track", "at_risk", "off_track", "no_data")
STATUS_LABELS = {
    "vi": {"achieved": "Đã đạt", "on_track": "Có khả năng đạt", "at_risk": "Có nguy cơ không đạt",
           "off_track": "Khó đạt", "no_data": "Chưa đủ dữ liệu"},
    "en": {"achieved": "Achieved", "on_track": "On track", "at_risk": "At risk",
           "off_track": "Off track", "no_data": "Not enough data"},
}
STATUS_COLORS = {"achieved": "#1a7f37", "on_track": "#4caf50", "at_risk": "#f0a500",
                 "off_track": "#d32f2f", "no_data": "#9e9e9e"}
_WORST_ORDER = ["off_track", "at_risk", "on_track", "achieved"]
MIN_FLOW_MONTHS = 3
MIN_LEVEL_READINGS = 2


def meet_condition(ind: Indicator, target: float) -> tuple[str, float, float]:
    """(comparison, low, high): 'ge' X ≥ low, 'le' X ≤ high, 'band' low ≤ X ≤ high."""
    tol = ind.tolerance * abs(target) if ind.tolerance_type == "relative" else ind.tolerance
    if ind.rule == "about":
        if ind.direction == "band":
            return "band", target - tol, target + tol
        if ind.direction == "lower":
            return "le", -np.inf, target + tol
        return "ge", target - tol, np.inf
    if ind.rule in ("le", "reduce"):
        return "le", -np.inf, target
    return "ge", target, np.inf  # ge, gt, yes (a continuous outcome makes > and ≥ alike)


def _meets(value: float, comparison: str, low: float, high: float, strict: bool) -> bool:
    if comparison == "band":
        return low <= value <= high
    if comparison == "le":
        return value < high if strict else value <= high
    return value > low if strict else value >= low


def _probability(row: pd.Series, comparison: str, low: float, high: float,
                 samples: np.ndarray | None) -> float:
    est, scale, df, dist = row["estimate"], row["scale"], row["df"], row["dist"]
    if samples is not None and dist == "samples":
        if comparison == "band":
            return float(np.mean((samples >= low) & (samples <= high)))
        return float(np.mean(samples <= high) if comparison == "le" else np.mean(samples >= low))
    if dist not in ("log", "add") or not np.isfinite(est) or not np.isfinite(scale):
        return np.nan
    if scale <= 0:
        return float(_meets(est, comparison, low, high, False))

    def cdf(x: float) -> float:
        if dist == "log":
            if x <= 0:
                return 0.0
            if not np.isfinite(x):
                return 1.0
            z = np.log(x / est) / scale if est > 0 else np.inf
        else:
            z = (x - est) / scale
        return float(stats.t.cdf(z, df))

    if comparison == "band":
        return cdf(high) - cdf(low)
    if comparison == "le":
        return cdf(high)
    return 1.0 - cdf(low)


def _interval(row: pd.Series, q: float, samples: np.ndarray | None) -> float:
    if row["dist"] == "samples" and samples is not None:
        return float(np.quantile(samples, q))
    if row["dist"] == "none":
        return row["estimate"] if row["final"] else np.nan
    if not np.isfinite(row["scale"]):
        return np.nan
    z = stats.t.ppf(q, row["df"]) * row["scale"]
    return row["estimate"] * np.exp(z) if row["dist"] == "log" else row["estimate"] + z


def _baseline(ds: Dataset, ind: Indicator, unit: str) -> float:
    """Last year's whole-year value (flows' G baseline is 0; reduce rules compare with it)."""
    value = ds.annual_values.get((ind.id, unit, ds.year - 1))
    if value is None:
        read = ds.readings
        prev = read[(read["indicator_id"] == ind.id) & (read["unit_code"] == unit) &
                    (read["year"] == ds.year - 1)]
        value = float(prev["value"].iloc[-1]) if len(prev) else np.nan
    return float(value)


def assess(result: ForecastResult, ds: Dataset) -> pd.DataFrame:
    """One row per indicator and unit: estimate, intervals, probability, status, paces."""
    cat: Catalog = ds.catalog
    th = cat.thresholds
    rows = []
    for _, f in result.table.iterrows():
        ind = cat.get(f["indicator_id"])
        if ind.is_component:
            continue
        unit = f["unit_code"]
        samples = result.samples.get((ind.id, unit))
        out = f.to_dict()
        out.update({"item": ind.item, "group": ind.group, "rule": ind.rule})
        for name, q in (("lo80", 0.10), ("hi80", 0.90), ("lo95", 0.025), ("hi95", 0.975)):
            out[name] = _interval(f, q, samples)
        last_year = _baseline(ds, ind, unit)
        out["last_year"] = last_year
        target = cat.effective_target(ind)
        reason = ""
        if ind.rule == "reduce":
            target = last_year
            if not np.isfinite(last_year):
                reason = f"no {ds.year - 1} total to compare with"
        if target is None:
            reason = f"setting '{ind.target_of_setting}' is missing in the catalog"
        out["target_value"] = target if target is not None else np.nan
        if ind.is_percent:
            for k in ("estimate", "lo80", "hi80", "lo95", "hi95"):
                out[k] = float(np.clip(out[k], 0, 100)) if np.isfinite(out[k]) else out[k]
        p = np.nan
        status = "no_data"
        g = np.nan
        if not reason and target is not None and np.isfinite(target):
            comparison, low, high = meet_condition(ind, target)
            if f["kind"] == "milestone" or (f["dist"] == "none" and not f["final"]):
                p = f["p_hint"]
            else:
                p = _probability(f, comparison, low, high, samples)
            g = _gap_closure(ind, f, target, last_year)
            status, reason = _status(ind, f, p, g, comparison, low, high, th, ds)
        out.update({"p_meet": p, "gap_closure": g, "status": status, "reason": reason})
        out.update(_paces(ind, f, target, result, ds, unit))
        rows.append(out)
    table = pd.DataFrame(rows)
    table["item_status"] = table.groupby(["item", "unit_code"])["status"].transform(worst_status)
    return table


def worst_status(statuses: pd.Series) -> str:
    """Destatis: the worst sub-target decides; no_data counts only when nothing is known."""
    known = set(statuses) - {"no_data"}
    for s in _WORST_ORDER:
        if s in known:
            return s
    return "no_data"


def _gap_closure(ind: Indicator, f: pd.Series, target: float, last_year: float) -> float:
    if ind.rule == "reduce" or ind.direction == "band" or ind.kind == "derived":
        return np.nan  # compared directly with the target, not as a gap
    base = 0.0 if f["kind"] in ("flow", "milestone") else last_year
    if not np.isfinite(base) or target == base or not np.isfinite(f["estimate"]):
        return np.nan
    return float((f["estimate"] - base) / (target - base))


def _status(ind: Indicator, f: pd.Series, p: float, g: float, comparison: str, low: float,
            high: float, th: dict, ds: Dataset) -> tuple[str, str]:
    actual = f["actual_to_date"]
    if f["final"] and np.isfinite(actual):
        met = _meets(actual, comparison, low, high, ind.rule == "gt")
        return ("achieved", "final figure") if met else ("off_track", "final figure misses")
    cumulative = f["kind"] in ("flow", "milestone")
    if cumulative and comparison == "ge" and np.isfinite(actual) and actual >= low and actual > 0:
        return "achieved", "already past the target"
    if cumulative and comparison == "le" and np.isfinite(actual) and actual > high:
        return "off_track", "already above the ceiling; it cannot come back down this year"
    if f["kind"] == "flow" and f["data_month"] < MIN_FLOW_MONTHS:
        return "no_data", f"only {int(f['data_month'])} month(s) of figures this year"
    if f["kind"] == "derived" and f["data_month"] < MIN_FLOW_MONTHS:
        return "no_data", "components have fewer than 3 months of figures"
    if f["low_confidence"]:
        return "no_data", "no figure in the year yet; projection from past years shown"
    if f["kind"] == "level":
        read = ds.readings
        n = int(((read["indicator_id"] == ind.id) & (read["unit_code"] == f["unit_code"])).sum())
        if n < MIN_LEVEL_READINGS:
            return "no_data", f"only {n} reading(s)"
    if f["kind"] == "milestone":
        if f["estimate"] >= low:
            return "at_risk", "scheduled, not yet obtained"
        if not np.isfinite(p):
            return "no_data", "too few past years to judge"
    if not np.isfinite(p):
        return "no_data", "no estimate"
    if p >= th["on_track_p"]:
        return "on_track", ""
    if p < th["off_track_p"]:
        if np.isfinite(g) and g >= th["off_track_gap"]:
            return "at_risk", f"unlikely, but {g:.0%} of the gap closed"
        return "off_track", ""
    return "at_risk", ""


def _paces(ind: Indicator, f: pd.Series, target: float | None, result: ForecastResult,
           ds: Dataset, unit: str) -> dict:
    """Monthly pace still required vs the pace so far and last year's in the same months."""
    out = {"required_pace": np.nan, "observed_pace": np.nan, "last_year_pace": np.nan}
    m = int(f["data_month"])
    if f["kind"] != "flow" or m == 0 or target is None or not np.isfinite(target):
        return out
    ytd = f["actual_to_date"]
    out["observed_pace"] = ytd / m
    if m < 12:
        out["required_pace"] = (target - ytd) / (12 - m)
        try:
            last = ds.ytd.loc[(ind.id, unit, ds.year - 1)]
            out["last_year_pace"] = float((last[12] - last[m]) / (12 - m))
        except KeyError:
            pass
    return out


def trajectory(result: ForecastResult, indicator_id: str, unit: str, target: float) -> pd.Series:
    """Expected YTD each month if on plan, phased by past years' average seasonal profile."""
    cube = result.cube
    if cube is None or (indicator_id, unit) not in cube.keys or target is None:
        return pd.Series(dtype=float)
    s = cube.keys.index((indicator_id, unit))
    past = [j for j in range(len(cube.years)) if cube.years[j] < cube.years[-1]][-5:]
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = cube.ytd[s, past, :] / cube.ytd[s, past, 11:12]
    profile = np.nanmean(shares, axis=0) if len(past) else np.arange(1, 13) / 12
    profile = np.where(np.isfinite(profile), profile, np.arange(1, 13) / 12)
    return pd.Series(target * profile, index=range(1, 13))


def summary_counts(table: pd.DataFrame) -> dict[str, int]:
    return {s: int((table["status"] == s).sum()) for s in STATUSES}
