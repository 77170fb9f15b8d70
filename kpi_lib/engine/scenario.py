"""What-if for analysts: the year-end under an assumption about the months still to come.

    scenario(a, "T01", growth=8)          the remaining months grow 8 % on the same months
                                          of last year ("tăng 8% so cùng kỳ")
    scenario(a, "T10", monthly=150)       the remaining months bring 150 each
    scenario(a, "T08c", reached="2025-11-20")   a scheduled recognition obtained on that day

Why it is built this way:
- What is counted so far is data; only the months after the indicator's data month are
  assumption. The estimate is the YTD plus the assumed rest.
- The status comes from the assessment's own rules (`assess.assess` on a row whose
  estimate is the scenario's), so a scenario can never be judged by other rules than the
  report; the required pace is the assessment's, untouched by the assumption.
- The interval and the probability keep the forecast's own error spread (its backtest
  errors, as a share of the year-end): the assumption moves the centre of the remaining
  months, not how far the months usually land from a centre. Under the forecast's own
  path (`forecast_path`) the scenario therefore equals the plain forecast. With
  `spread=False` the assumption is taken as exact: the interval is a point and the
  probability 0 or 1 ("if it happens exactly so"). A forecast with no backtested spread
  gives a point too, and says so.
- A milestone has no spread to keep: reached within the year means the target is met if
  the assumption holds (the rules still call a scheduled recognition at risk until it is
  obtained); reached after the year means not met.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..common.errors import KpiError
from .assess import assess, meet_condition
from .forecast import ForecastResult
from .pipeline import Assessment, run_assessment

KINDS = ("growth", "monthly", "reached")


@dataclass(frozen=True)
class Scenario:
    """The year-end under one assumption, beside the plain forecast and the required pace."""

    indicator_id: str
    unit: str
    kind: str  # "growth" | "monthly" | "reached"
    value: object  # the assumption as given (percent, amount per month, date)
    data_month: int  # months 1..data_month are data; the rest is assumption
    actual_to_date: float
    assumed_rest: float  # what the assumption adds after the data month
    estimate: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float
    p_meet: float
    status: str
    reason: str
    target: float
    met_if_exact: bool  # the estimate itself meets the target
    required_pace: float  # per remaining month (the assessment's)
    required_growth: float  # % on last year's same months that reaches the target
    forecast_estimate: float
    forecast_p_meet: float
    forecast_status: str
    forecast_growth: float  # the forecast's own path as growth on last year's same months
    notes: tuple[str, ...] = field(default_factory=tuple)


def _row(a: Assessment, indicator_id: str, unit: str | None) -> tuple[pd.Series, pd.Series]:
    """(forecast row, assessed row) of one indicator and unit, with a clear error if absent."""
    ids = [i.id for i in a.catalog.indicators]
    if indicator_id not in ids:
        near = [i for i in ids if i.lower() == str(indicator_id).strip().lower()] or \
            difflib.get_close_matches(str(indicator_id), ids, n=3)
        raise KpiError(f"unknown indicator {indicator_id!r} in catalog {a.catalog.path.name}",
                       value=indicator_id,
                       fix=(f"did you mean {', '.join(near)}? " if near else "")
                       + f"the catalog's indicators are {ids[0]} … {ids[-1]}")
    t = a.table[a.table["indicator_id"] == indicator_id]
    unit = unit or (a.unit if a.unit in set(t["unit_code"]) else None) or t["unit_code"].iloc[0]
    row = t[t["unit_code"] == unit]
    if row.empty:
        raise KpiError(f"no row for {indicator_id} and unit {unit!r} in this assessment",
                       value=unit, fix="pass one of the units: " + ", ".join(
                           map(str, sorted(set(t["unit_code"])))))
    f = a.forecast.table
    frow = f[(f["indicator_id"] == indicator_id) & (f["unit_code"] == unit)]
    return frow.iloc[0], row.iloc[0]


def _last_year_months(a: Assessment, indicator_id: str, unit: str, m: int) -> float:
    """Last year's amount in months m+1..12 (NaN if unknown)."""
    try:
        last = a.dataset.ytd.loc[(indicator_id, unit, a.catalog.year - 1)]
    except KeyError:
        return np.nan
    at_m = float(last[m]) if m >= 1 else 0.0
    return float(last[12]) - at_m


def forecast_path(a: Assessment, indicator_id: str, unit: str | None = None) -> dict[str, float]:
    """The plain forecast's remaining months as the assumptions express them:
    {"growth": % on last year's same months, "monthly": amount per remaining month}."""
    frow, _ = _row(a, indicator_id, unit)
    m = int(frow["data_month"])
    rest = float(frow["estimate"]) - float(frow["actual_to_date"])
    ly = _last_year_months(a, indicator_id, frow["unit_code"], m)
    with np.errstate(invalid="ignore", divide="ignore"):
        growth = (rest / ly - 1) * 100 if ly and np.isfinite(ly) else np.nan
    return {"growth": float(growth), "monthly": rest / (12 - m) if m < 12 else np.nan}


GROWTH_LIMITS = (-100.0, 1000.0)  # % on last year: nothing below zero, at most 11 times it
ABSURD = 10.0  # an assumed rest of the year above 10 times the plan's year is a typo


def limits(a: Assessment, indicator_id: str, unit: str | None = None) -> dict[str, tuple]:
    """What a what-if may assume for a flow, {kind: (lowest, highest)}: the remaining months
    cannot take back what is already counted (growth ≥ −100 %, an amount ≥ 0 a month), and
    an assumption of more than ten times the year's scale (target, forecast, last year) is
    refused as a slip, not computed. The workbench's controls use the same limits."""
    frow, arow = _row(a, indicator_id, unit)
    m = int(frow["data_month"])
    scale = [abs(float(v)) for v in (arow["target_value"], frow["estimate"],
                                     frow["actual_to_date"],
                                     _last_year_months(a, indicator_id, frow["unit_code"], 0))]
    year = max([v for v in scale if np.isfinite(v)] or [0.0]) or 1.0
    return {"growth": GROWTH_LIMITS, "monthly": (0.0, ABSURD * year / max(12 - m, 1))}


def _bounded(kind: str, value: object, bounds: tuple[float, float], unit: str) -> float:
    """The assumption as a number within its limits, else a clear refusal."""
    lo, hi = bounds
    example = f"e.g. {kind}=8" if kind == "growth" else f"e.g. {kind}={hi / 20:.4g}"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise KpiError(f"{kind}= must be a number", value=value, fix=example)
    if not np.isfinite(value) or not lo <= float(value) <= hi:
        what = "%" if kind == "growth" else f" {unit} a month"
        raise KpiError(f"{kind}= must be between {lo:g} and {hi:.6g}{what}: less would take "
                       "back what is already counted, more is beyond any plausible year",
                       value=value, fix=example)
    return float(value)


def _reached_date(value: object, year: int) -> pd.Timestamp:
    try:
        when = pd.Timestamp(str(value) if not isinstance(value, pd.Timestamp) else value)
    except (ValueError, TypeError) as exc:
        raise KpiError("reached= must be a date", value=value,
                       fix=f"e.g. reached='{year}-11-20' (or '{year}-11' for the month)") from exc
    if len(str(value)) == 7:  # "YYYY-MM": by the end of that month
        when = when + pd.offsets.MonthEnd(0)
    return when


def scenario(a: Assessment | None, indicator_id: str, *, unit: str | None = None,
             growth: float | None = None, monthly: float | None = None,
             reached: object = None, spread: bool = True, catalog=None, data=None,
             as_of: str | int = "latest") -> Scenario:
    """The year-end estimate, interval, probability and status under one assumption.

    Give exactly one of growth (%, remaining months vs the same months last year),
    monthly (amount per remaining month, in the unit figures are entered in) — both for
    flows — or reached (a date) for a milestone. `a` None: assessed from catalog/data/as_of.
    """
    given = {k: v for k, v in zip(KINDS, (growth, monthly, reached), strict=True)
             if v is not None}
    if len(given) != 1:
        raise KpiError("give exactly one assumption" + (f", not {len(given)}" if given else ""),
                       value=", ".join(given) or None,
                       fix="growth=8 (remaining months +8 % on last year), monthly=150 "
                           "(each remaining month), or reached='2025-11-20' (a milestone)")
    kind, value = next(iter(given.items()))
    if a is None:
        a = run_assessment(catalog, data, as_of, unit=unit, use_ets=False)
    frow, arow = _row(a, indicator_id, unit)
    unit = str(frow["unit_code"])
    ind = a.catalog.get(indicator_id)
    if kind in ("growth", "monthly") and ind.kind != "flow":
        fix = "a what-if takes growth= or monthly= for flows and reached='YYYY-MM-DD' " \
              "for milestones; a level's readings do not add up over months"
        if ind.kind == "milestone":
            fix = f"for the milestone {ind.id} use reached='YYYY-MM-DD'"
        elif ind.kind == "derived" and ind.derive_refs:
            fix = f"set it on what {ind.id} is computed from: " + ", ".join(ind.derive_refs)
        raise KpiError(f"{kind}= applies to flows (amounts summed over months); {ind.id} is "
                       f"a {ind.kind} indicator", value=value, fix=fix)
    if kind == "reached" and ind.kind != "milestone":
        raise KpiError(f"reached= applies to milestones; {ind.id} is a {ind.kind} indicator",
                       value=value, fix="for a flow use growth= or monthly=")
    if kind != "reached":
        value = _bounded(kind, value, limits(a, indicator_id, unit)[kind], ind.entry_unit)
    m = int(frow["data_month"])
    actual = float(frow["actual_to_date"])
    year = a.catalog.year
    notes = [f"months 1–{m} of {year}: data ({actual:g} so far)"] if m else []
    new = frow.copy()
    ly_rest = _last_year_months(a, indicator_id, unit, m) if ind.kind == "flow" else np.nan
    target = float(arow["target_value"])
    if ind.kind == "flow":
        if m == 0 or not np.isfinite(actual):
            raise KpiError(f"{ind.id} has no figure in {year} yet: nothing to add an "
                           "assumption to", fix="ingest its first months, or pick another month")
        if kind == "growth":
            if not np.isfinite(ly_rest):
                raise KpiError(f"{ind.id} has no {year - 1} figures for months {m + 1}–12 "
                               "to grow from", value=value,
                               fix="use monthly= (an amount per remaining month) instead")
            rest = ly_rest * (1 + float(value) / 100)
            notes.append(f"months {m + 1}–12: assumed {float(value):+g}% on the same months "
                         f"of {year - 1} ({ly_rest:g})")
        else:
            rest = float(value) * (12 - m)
            notes.append(f"months {m + 1}–12: assumed {float(value):g} a month")
        if m == 12:
            notes.append("the year is complete: the assumption changes nothing")
        new["estimate"] = actual + rest
    else:  # milestone
        when = _reached_date(value, year)
        data_end = pd.Timestamp(year=year, month=max(m, 1), day=1) + pd.offsets.MonthEnd(0)
        if when <= data_end and m:
            raise KpiError(f"{when.date()} is not after the data month {year}-{m:02d}; a "
                           "recognition obtained then would be in the data", value=value,
                           fix="record it in the data (then it counts as obtained), or "
                               "pick a later date")
        in_year = when.year == year
        done = actual if np.isfinite(actual) else 0.0
        rest = max(target - done, 0.0) if in_year and np.isfinite(target) else 0.0
        new["estimate"] = done + rest
        new["p_hint"] = 1.0 if in_year else 0.0
        new["method"] = "count_plus_scheduled" if rest else "count"
        notes.append(f"assumed obtained on {when.date()}" + ("" if in_year else
                                                              f", after {year}: not this year"))
    exact = not spread or ind.kind == "milestone"
    if ind.kind == "flow" and rest == 0 and not exact:  # no spread around nothing to come
        exact = True
        notes.append("nothing more assumed this year: the assumption is taken as exact")
    if ind.kind == "flow" and (frow["dist"] == "none" or not np.isfinite(frow["scale"])) \
            and not bool(frow["final"]):
        exact = True
        notes.append("the forecast has no backtested spread: the assumption is taken as exact")
    if exact and ind.kind == "flow":
        new["dist"], new["scale"], new["df"] = "log", 0.0, 1.0
        notes.append("interval: none (the assumption taken as exact)")
    elif ind.kind == "flow":
        notes.append("interval and probability: the forecast's backtest spread around the "
                     "assumed centre")
    new["method"] = "scenario" if ind.kind == "flow" else new["method"]
    row = assess(ForecastResult(pd.DataFrame([new]), cube=a.forecast.cube), a.dataset).iloc[0]
    path = forecast_path(a, indicator_id, unit) if ind.kind == "flow" else {"growth": np.nan}
    with np.errstate(invalid="ignore", divide="ignore"):
        need_growth = ((target - actual) / ly_rest - 1) * 100 \
            if ind.kind == "flow" and ly_rest and np.isfinite(ly_rest) else np.nan
    est = float(row["estimate"])
    _, low, high = meet_condition(ind, target)
    met = bool(np.isfinite(est) and np.isfinite(target) and low <= est <= high)
    return Scenario(
        indicator_id=ind.id, unit=unit, kind=kind, value=value, data_month=m,
        actual_to_date=actual, assumed_rest=float(new["estimate"]) - (actual if
                                                                     np.isfinite(actual) else 0),
        estimate=est, lo80=float(row["lo80"]), hi80=float(row["hi80"]),
        lo95=float(row["lo95"]), hi95=float(row["hi95"]), p_meet=float(row["p_meet"]),
        status=str(row["status"]), reason=str(row["reason"]), target=target,
        met_if_exact=met, required_pace=float(arow["required_pace"]),
        required_growth=float(need_growth), forecast_estimate=float(arow["estimate"]),
        forecast_p_meet=float(arow["p_meet"]), forecast_status=str(arow["status"]),
        forecast_growth=float(path["growth"]), notes=tuple(notes))
