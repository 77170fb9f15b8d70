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
             figure that meets it, a level marked `holds_once_met` whose reading meets it);
- missed     already missed and cannot be mended (a final figure that misses, a ceiling
             already passed by what is counted);
- on_track   P(meet) ≥ on_track_p;
- off_track  P(meet) < off_track_p, unless G ≥ off_track_gap (a near miss stays at_risk);
- at_risk    in between; a milestone scheduled but not yet obtained;
- no_data    too little to judge: fewer than 3 months of a flow, fewer than 2 readings of
             a level, a missing setting or baseline, no estimate.
An annual value with no reading this year is judged from its trend and marked
`provisional` ("tạm đánh giá theo xu hướng"); reports count such statuses apart.

Invariants every row keeps (tests/test_invariants.py checks them over every output):
achieved ⇒ P = 1, missed ⇒ P = 0; on_track ⇒ P ≥ on_track_p; off_track ⇒ P < off_track_p;
a flow's interval and estimate never go below what is already counted, and its
probability is conditional on that.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..common.numbers import quantity_decimals
from ..inputs.data import Dataset
from ..plan.catalog import Catalog, Indicator
from ..plan.statuses import STATUSES, WORST_FIRST
from . import tdist
from .forecast import ForecastResult

_WORST_ORDER = list(WORST_FIRST)
PROVISIONAL = "no figure in the year yet: provisional, judged from the trend"
MIN_FLOW_MONTHS = 3
MIN_LEVEL_READINGS = 2


def shown_step(unit: str, target: float) -> float:
    """The smallest difference the page shows in a figure of this unit (1 for counts,
    0,01 for a rate): a status is never decided by a difference the page rounds away."""
    return 10.0 ** -quantity_decimals(unit, target if np.isfinite(target) else 0.0)


def shown_bounds(ind: Indicator, target: float) -> tuple[str, float, float]:
    """(comparison, low, high) as the page shows figures: a shown value meets the target
    when 'ge' value ≥ low, 'le' value ≤ high, 'band' low ≤ value ≤ high.

    "khoảng" (`about`) reads the catalog's tolerance around the figure; "trên" (`gt`) needs
    at least one shown step above it; "giảm" (`reduce`) one shown step below (strictly
    less than last year: equal is not a reduction; from none last year, none meets)."""
    tol = ind.tolerance * abs(target) if ind.tolerance_type == "relative" else ind.tolerance
    step = shown_step(ind.unit, target)
    if ind.rule == "about":
        if ind.direction == "band":
            return "band", target - tol, target + tol
        if ind.direction == "lower":
            return "le", -np.inf, target + tol
        return "ge", target - tol, np.inf
    if ind.rule == "le":
        return "le", -np.inf, target
    if ind.rule == "reduce":  # nothing last year: nothing to reduce, staying at none meets
        return "le", -np.inf, target - step if target >= step else target
    if ind.rule == "gt":
        return "ge", target + step, np.inf
    return "ge", target, np.inf  # ge, yes


def meet_condition(ind: Indicator, target: float) -> tuple[str, float, float]:
    """(comparison, low, high) for an unrounded outcome X: 'ge' X ≥ low, 'le' X ≤ high,
    'band' low ≤ X ≤ high — X meets when its shown (rounded) value meets shown_bounds."""
    comparison, low, high = shown_bounds(ind, target)
    half = shown_step(ind.unit, target) / 2
    return comparison, low - half, high + half


def _cdf(x: np.ndarray, est: np.ndarray, scale: np.ndarray, df: np.ndarray,
         log: np.ndarray) -> np.ndarray:
    """P(outcome ≤ x) under each row's distribution (log-t or additive t), vectorised."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z_log = np.log(np.where(x > 0, x, np.nan) / est) / scale
        z = np.where(log, z_log, (x - est) / scale)
        out = tdist.stdtr(np.where(np.isfinite(df), df, 1.0), z)  # Student t CDF
    out = np.where(log & (x <= 0), 0.0, out)
    out = np.where(np.isposinf(x), 1.0, np.where(np.isneginf(x), 0.0, out))
    return out


def _last_year(ds: Dataset, ids: pd.Series, units: pd.Series) -> np.ndarray:
    """Last year's whole-year value per row; for levels, the last reading of last year."""
    year = ds.year - 1
    index = pd.MultiIndex.from_arrays([ids, units, np.full(len(ids), year)])
    values = ds.annual_values.reindex(index).to_numpy(dtype=float)
    read = ds.readings[ds.readings["year"] == year]
    if len(read):
        last = read.groupby(["indicator_id", "unit_code"])["value"].last()
        fallback = last.reindex(pd.MultiIndex.from_arrays([ids, units])).to_numpy(dtype=float)
        values = np.where(np.isfinite(values), values, fallback)
    return values


def assess(result: ForecastResult, ds: Dataset) -> pd.DataFrame:
    """One row per indicator and unit: estimate, intervals, probability, status, paces.

    Vectorised over rows, so the same code serves one district and 80,000 series.
    """
    cat: Catalog = ds.catalog
    th = cat.thresholds
    t = result.table[~result.table["indicator_id"].isin([c.id for c in cat.components])]
    t = t.reset_index(drop=True).copy()
    info = pd.DataFrame([{
        "indicator_id": i.id, "item": i.item, "group": i.group, "rule": i.rule,
        "setting": i.target_of_setting or "", "is_percent": i.is_percent,
        "comparison": meet_condition(i, 1.0)[0],
    } for i in cat.indicators])
    t = t.merge(info, on="indicator_id", how="left")
    by_id = {i.id: i for i in cat.indicators}
    pairs = {(iid, u): cat.unit_target(by_id[iid], u)
             for iid, u in set(zip(t["indicator_id"], t["unit_code"], strict=True))}
    t["target_cat"] = [pairs[(iid, u)] if pairs[(iid, u)] is not None else np.nan
                       for iid, u in zip(t["indicator_id"], t["unit_code"], strict=True)]
    ids, units = t["indicator_id"], t["unit_code"]
    last_year = _last_year(ds, ids, units)
    reduce = (t["rule"] == "reduce").to_numpy()
    target = np.where(reduce, last_year, t["target_cat"].to_numpy(dtype=float))
    comparison = t["comparison"].to_numpy()
    # The bounds as the page shows them (the required pace aims at these), and for the
    # unrounded outcome (probability, status): the same function as every other caller.
    bounds = [(shown_bounds(by_id[iid], x), meet_condition(by_id[iid], x)) if np.isfinite(x)
              else (("", np.nan, np.nan), ("", np.nan, np.nan))
              for iid, x in zip(ids, target, strict=True)]
    shown_low = np.array([b[0][1] for b in bounds], dtype=float)
    shown_high = np.array([b[0][2] for b in bounds], dtype=float)
    low = np.array([b[1][1] for b in bounds], dtype=float)
    high = np.array([b[1][2] for b in bounds], dtype=float)
    est = t["estimate"].to_numpy(dtype=float)
    scale = t["scale"].to_numpy(dtype=float)
    df = t["df"].to_numpy(dtype=float)
    dist = t["dist"].to_numpy()
    log = dist == "log"
    parametric = np.isin(dist, ("log", "add")) & np.isfinite(scale) & (scale > 0)
    final = t["final"].to_numpy(dtype=bool)
    # A flow cannot end the year below what is already counted: its distribution is
    # taken conditional on X ≥ actual (intervals as quantiles of that, P likewise).
    actual = t["actual_to_date"].to_numpy(dtype=float)
    # Nor can its estimate: one below what is counted (a series forecast at 0) is raised to it.
    est = np.where((t["kind"] == "flow").to_numpy() & np.isfinite(actual),
                   np.maximum(est, actual), est)
    floor = (t["kind"] == "flow").to_numpy() & np.isfinite(actual) & parametric & ~final
    with np.errstate(invalid="ignore"):
        f_floor = np.where(floor, _cdf(actual, est, scale, df, log), 0.0)
    f_floor = np.where(f_floor > 1 - 1e-9, 0.0, f_floor)  # estimate far below: no truncation
    # Intervals
    df_safe = np.where(np.isfinite(df), df, 1.0)
    for name, q in (("lo80", 0.10), ("hi80", 0.90), ("lo95", 0.025), ("hi95", 0.975)):
        z = tdist.stdtrit(df_safe, f_floor + q * (1.0 - f_floor)) * scale
        value = np.where(log, est * np.exp(z), est + z)
        value = np.where(parametric, value, np.where(final | ((dist != "none") & (scale == 0)),
                                                     est, np.nan))
        for r in np.where(dist == "samples")[0]:
            value[r] = np.quantile(result.samples[(ids[r], units[r])], q)
        t[name] = np.where(floor, np.maximum(value, actual), value)
    # Probability of meeting the target: P(low ≤ X ≤ high | X ≥ floor)
    lo_eff = np.where(floor, np.maximum(low, actual), low)
    with np.errstate(invalid="ignore"):
        mass = _cdf(high, est, scale, df, log) - _cdf(lo_eff, est, scale, df, log)
        p_int = np.clip(mass / (1.0 - f_floor), 0.0, 1.0)
    p_int = np.where(high < lo_eff, 0.0, p_int)
    p = p_int
    det = np.isin(dist, ("log", "add")) & (scale == 0)
    meets_est = np.select([comparison == "ge", comparison == "le"], [est >= low, est <= high],
                          (est >= low) & (est <= high)).astype(float)
    p = np.where(parametric, p, np.where(det, meets_est, np.nan))
    for r in np.where(dist == "samples")[0]:
        x = result.samples[(ids[r], units[r])]
        cond = {"ge": x >= low[r], "le": x <= high[r]}.get(comparison[r], (x >= low[r]) & (x <= high[r]))
        p[r] = float(np.mean(cond))
    milestone = (t["kind"] == "milestone").to_numpy()
    p = np.where(milestone | ((dist == "none") & ~final), t["p_hint"].to_numpy(dtype=float), p)
    # The same figure every past year: P of holding by Laplace's rule of succession over the
    # n past years ((n+1)/(n+2) when that figure meets the target, 1/(n+2) when not), never
    # the certainty a plain frequency would claim.
    steady = (t["method"] == "steady").to_numpy()
    n_years = t["n_backtest"].to_numpy(dtype=float)
    p = np.where(steady, np.where(meets_est == 1, (n_years + 1) / (n_years + 2),
                                  1 / (n_years + 2)), p)
    no_target = ~np.isfinite(target)
    p = np.where(no_target, np.nan, p)
    # A milestone judged on past years' base rate: its estimate is the likelier outcome
    # (met when P ≥ ½), so "on track" never stands beside an estimate that misses.
    t["scheduled"] = milestone & (est >= low)  # counted plus scheduled meets: not obtained
    base_rate = milestone & np.isfinite(p) & (est < low)
    est = np.where(base_rate & (p >= 0.5), np.maximum(est, target), est)
    t["estimate"] = est
    # Gap closure
    base = np.where(np.isin(t["kind"], ("flow", "milestone")), 0.0, last_year)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = (est - base) / (target - base)
    g = np.where(reduce | (comparison == "band") | (t["kind"] == "derived") | (target == base),
                 np.nan, g)
    t["last_year"] = last_year
    t["target_value"] = target
    if t["is_percent"].any():
        pct = t["is_percent"].to_numpy(dtype=bool)
        for k in ("estimate", "lo80", "hi80", "lo95", "hi95"):
            t[k] = np.where(pct, np.clip(t[k], 0, 100), t[k])
    t["p_meet"] = p
    t["gap_closure"] = g
    status, reason = _status(t, p, g, comparison, low, high, th, ds)
    t["status"], t["reason"] = status, reason
    # What cannot change any more has a certain probability; too little to judge has none.
    t["p_meet"] = np.select([t["status"] == "achieved", t["status"] == "missed",
                             t["status"] == "no_data"], [1.0, 0.0, np.nan], t["p_meet"])
    t["provisional"] = t["low_confidence"].astype(bool) & (t["status"] != "no_data")
    # A level that cannot fall within the year: nothing below its reading is possible.
    holds = t["indicator_id"].map({i.id: i.holds_once_met for i in cat.indicators}).fillna(False)
    floor_rows = holds.to_numpy(dtype=bool) & np.isfinite(actual)
    for k in ("estimate", "lo80", "hi80", "lo95", "hi95"):
        t[k] = np.where(floor_rows, np.maximum(t[k], actual), t[k])
    # The pace aims at the plan's own figure for "khoảng" (not the edge of its tolerance,
    # which a reader would take for the plan); otherwise at the shown figure that just meets.
    about = (t["rule"] == "about").to_numpy()
    aim = np.where(about, target, np.where(comparison == "le", shown_high,
                                           np.where(comparison == "ge", shown_low, target)))
    for k, v in _paces(t, aim, ds).items():
        t[k] = v
    # Nothing is required of a target already met or already missed.
    t["required_pace"] = np.where(t["status"].isin(["achieved", "missed"]), np.nan,
                                  t["required_pace"])
    t["item_status"] = item_status(t)
    tdist.save()
    return t.drop(columns=["target_cat", "comparison", "scheduled"])


def item_status(t: pd.DataFrame) -> pd.Series:
    """worst_status per (item, unit), vectorised: rank, take the minimum, map back."""
    rank = {s: i for i, s in enumerate(_WORST_ORDER)}
    ranks = t["status"].map(rank)  # no_data -> NaN, ignored by min
    best = ranks.groupby([t["item"], t["unit_code"]]).transform("min")
    return best.map(dict(enumerate(_WORST_ORDER))).fillna("no_data")


def worst_status(statuses: pd.Series) -> str:
    """Destatis: the worst sub-target decides; no_data counts only when nothing is known."""
    known = set(statuses) - {"no_data"}
    for s in _WORST_ORDER:
        if s in known:
            return s
    return "no_data"


def _readings_count(ds: Dataset, ids: pd.Series, units: pd.Series) -> np.ndarray:
    counts = ds.readings.groupby(["indicator_id", "unit_code"]).size()
    return counts.reindex(pd.MultiIndex.from_arrays([ids, units])).fillna(0).to_numpy()


def _status(t: pd.DataFrame, p: np.ndarray, g: np.ndarray, comparison: np.ndarray,
            low: np.ndarray, high: np.ndarray, th: dict, ds: Dataset) -> tuple[list, list]:
    """Ordered rules: the first that applies decides each row's status and its reason."""
    kind = t["kind"].to_numpy()
    actual = t["actual_to_date"].to_numpy(dtype=float)
    month = t["data_month"].to_numpy()
    final = t["final"].to_numpy(dtype=bool) & np.isfinite(actual)
    with np.errstate(invalid="ignore"):
        met_final = np.select(
            [comparison == "ge", comparison == "le"],
            [actual >= low, actual <= high],
            (actual >= low) & (actual <= high))
    cumulative = np.isin(kind, ("flow", "milestone"))
    no_target = ~np.isfinite(np.where(comparison == "le", high, low)) & (comparison != "band")
    readings = _readings_count(ds, t["indicator_id"], t["unit_code"])
    setting = t["setting"].to_numpy()
    below_area = (t["unit_code"] != ds.catalog.default_unit).to_numpy() & (t["rule"] != "reduce")
    holds = t["indicator_id"].map(
        {i.id: i.holds_once_met for i in ds.catalog.indicators}).fillna(False).to_numpy(dtype=bool)
    low_conf = t["low_confidence"].to_numpy(dtype=bool)

    def provisional_why(rows: np.ndarray) -> list[str]:
        return [PROVISIONAL if low_conf[r] else "" for r in rows]
    rules = [
        (no_target & below_area, "no_data",
         "the plan sets this target for the whole area, not for this unit"),
        (no_target & (setting != ""), "no_data",
         lambda r: [f"setting '{s}' is missing in the catalog" for s in setting[r]]),
        (no_target, "no_data", f"no {ds.year - 1} total to compare with"),
        (final & met_final, "achieved", "final figure"),
        (final & ~met_final, "missed", "final figure misses"),
        (cumulative & (comparison == "ge") & (actual >= low) & (actual > 0), "achieved",
         "already past the target"),
        (cumulative & (comparison == "le") & (actual > high), "missed",
         "already above the ceiling; it cannot come back down this year"),
        (holds & (kind == "level") & met_final, "achieved",
         "the reading meets the target and does not fall within the year"),
        (np.isin(kind, ("flow", "derived")) & (month < MIN_FLOW_MONTHS), "no_data",
         lambda r: [f"only {int(m)} month(s) of figures this year" for m in month[r]]),
        ((kind == "level") & (readings < MIN_LEVEL_READINGS), "no_data",
         lambda r: [f"only {int(n)} reading(s)" for n in readings[r]]),
        (t["scheduled"].to_numpy(dtype=bool), "at_risk", "scheduled, not yet obtained"),
        (~np.isfinite(p), "no_data", "no estimate, or too few past years to judge"),
        (p >= th["on_track_p"], "on_track", provisional_why),
        ((p < th["off_track_p"]) & (np.nan_to_num(g, nan=-np.inf) >= th["off_track_gap"]),
         "at_risk", lambda r: [f"unlikely, but {x:.0%} of the gap closed" for x in g[r]]),
        (p < th["off_track_p"], "off_track", provisional_why),
    ]
    status = np.full(len(t), "at_risk", dtype=object)
    reason = np.array([PROVISIONAL if x else "" for x in low_conf], dtype=object)
    decided = np.zeros(len(t), dtype=bool)
    for cond, label, why in rules:
        take = np.asarray(cond, dtype=bool) & ~decided
        status[take] = label
        if take.any():
            rows = np.where(take)[0]
            reason[rows] = np.asarray(why(rows), dtype=object) if callable(why) else why
        decided |= take
    return list(status), list(reason)


def _paces(t: pd.DataFrame, aim: np.ndarray, ds: Dataset) -> dict[str, np.ndarray]:
    """Monthly pace still required vs the pace so far and last year's in the same months.

    `aim` is the plan's figure for an "about" target, else the shown figure that just meets
    the target (shown_bounds), so the required pace, if kept, meets it: a minimum for a
    target to reach, a maximum for a ceiling or a reduction (one count below last year, not
    equal to it)."""
    m = t["data_month"].to_numpy()
    flow = (t["kind"] == "flow").to_numpy() & (m > 0) & np.isfinite(aim)
    ytd = t["actual_to_date"].to_numpy(dtype=float)
    left = np.where(m < 12, 12 - m, np.nan)
    index = pd.MultiIndex.from_arrays([t["indicator_id"], t["unit_code"],
                                       np.full(len(t), ds.year - 1)])
    last = ds.ytd.reindex(index).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        col = np.clip(m - 1, 0, 11).astype(int)[:, None]
        last_at_m = np.take_along_axis(last, col, axis=1)[:, 0] if len(t) else np.array([])
        last_at_m = np.where(m > 0, last_at_m, np.nan)
        last_total = last[:, 11] if len(t) else np.array([])
        return {
            "required_pace": np.where(flow, (aim - ytd) / left, np.nan),
            "observed_pace": np.where(flow, ytd / np.where(m > 0, m, np.nan), np.nan),
            "last_year_pace": np.where(flow, (last_total - last_at_m) / left, np.nan),
        }


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


def items_table(t: pd.DataFrame, cat: Catalog) -> pd.DataFrame:
    """The plan's numbered items ("22 chỉ tiêu"), as reviewers count them, for one unit.

    An item's status is the worst of its indicators' (item 19, "giảm cả 3 tiêu chí", fails
    if any of the three fails); `no_data` only when nothing in it is known. It is
    `provisional` when every indicator carrying that status is provisional.
    """
    rows = []
    for no in cat.item_numbers():
        part = t[t["item"] == no]
        if part.empty:
            continue
        status = worst_status(part["status"])
        deciding = part[part["status"] == status]
        provisional = bool(status != "no_data" and len(deciding)
                           and deciding.get("provisional", pd.Series(False, index=deciding.index)).all())
        rows.append({"item": no, "name_vi": cat.item_name(no, "vi"), "name_en": cat.item_name(no, "en"),
                     "status": status, "provisional": provisional,
                     "indicators": list(part["indicator_id"]),
                     "statuses": list(part["status"])})
    return pd.DataFrame(rows, columns=["item", "name_vi", "name_en", "status", "provisional",
                                       "indicators", "statuses"])


def status_counts(frame: pd.DataFrame) -> tuple[dict[str, int], dict[str, int]]:
    """(measured, provisional) counts per status: a trend-based judgement is counted apart."""
    prov = frame["provisional"].astype(bool) if "provisional" in frame else \
        pd.Series(False, index=frame.index)
    measured = {s: int(((frame["status"] == s) & ~prov).sum()) for s in STATUSES}
    provisional = {s: int(((frame["status"] == s) & prov).sum()) for s in STATUSES}
    return measured, provisional
