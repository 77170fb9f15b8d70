"""Term targets assessed at any month: achieved so far, term estimate, interval, status.

The arithmetic is the statistics office's:
- average growth is the geometric mean of the yearly growth factors, chain-linked from the
  base year: (Π(1 + gᵢ))^(1/n) − 1 (or (Vₙ/V₀)^(1/n) − 1 from values), never the
  arithmetic mean of the rates;
- a cumulative target adds the term's yearly totals; an end level is the last year's value;
  an average reduction in points is (V₀ − Vₙ)/n; a count by the end is the last year's count.

Uncertainty is simulated (N_DRAWS draws, fixed seed): the current year from the monthly
report's own estimate and 80%/95% intervals (the engine's assessment, not a new forecast:
drawn through those quantiles, evenly spaced, so the draws' median and percentiles are the
report's own figures, and an end level in the current year prints exactly the report's row);
each remaining year (and a past year with no figure) drawn from the mean and spread of the
last HISTORY_YEARS yearly steps known at the vintage: growth rates for growth and cumulative
targets, year-on-year changes for levels, reductions and counts. The term quantity is
computed on every draw; its 10/90 and 2,5/97,5 percentiles are the 80% and 95% intervals
and the share of draws meeting the rule is the probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..plan.catalog import Catalog
from ..plan.term import Term, TermTarget

N_DRAWS = 10_000
HISTORY_YEARS = 10
Z80 = 1.2815515655446004
Z95 = 1.959963984540054
SEED = 20_262_030


@dataclass
class YearFigure:
    year: int
    value: float | None  # the feed's own unit (a rate in % for a rate feed)
    source: str  # "final", "estimate" (the current year's engine estimate), "missing", "future"
    lo80: float | None = None
    hi80: float | None = None
    lo95: float | None = None
    hi95: float | None = None

    def quantiles(self) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities, values) the engine published for this year: 2,5/10/50/90/97,5%
        (the 95% bounds implied by a normal spread when only the 80% are known)."""
        def ok(x: float | None) -> bool:
            return x is not None and bool(np.isfinite(x))
        lo80, hi80 = (self.lo80 if ok(self.lo80) else self.value,
                      self.hi80 if ok(self.hi80) else self.value)
        lo95 = self.lo95 if ok(self.lo95) else self.value - (self.value - lo80) * Z95 / Z80
        hi95 = self.hi95 if ok(self.hi95) else self.value + (hi80 - self.value) * Z95 / Z80
        return (np.array([0.025, 0.10, 0.5, 0.90, 0.975]),
                np.maximum.accumulate(np.array([lo95, lo80, self.value, hi80, hi95])))


def engine_draws(f: YearFigure, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draws of the current year through the engine's own quantiles (linear between them,
    the outer segments extended into the tails), at evenly spaced probabilities in random
    order: their median and 10/90, 2,5/97,5 percentiles are the report's figures, not a
    second forecast's."""
    probs, values = f.quantiles()
    u = rng.permutation((np.arange(n) + 0.5) / n)
    out = np.interp(u, probs, values)
    low, high = u < probs[0], u > probs[-1]
    slope_lo = (values[1] - values[0]) / (probs[1] - probs[0])
    slope_hi = (values[-1] - values[-2]) / (probs[-1] - probs[-2])
    out[low] = values[0] - slope_lo * (probs[0] - u[low])
    out[high] = values[-1] + slope_hi * (u[high] - probs[-1])
    return out


@dataclass
class TermResult:
    """One term target's assessment (one row of `kpi term`)."""

    target: TermTarget
    term: Term
    as_of: str
    years: list[YearFigure]
    base_value: float | None
    achieved_to_date: float | None
    years_observed: int
    estimate: float | None = None
    lo80: float | None = None
    hi80: float | None = None
    lo95: float | None = None
    hi95: float | None = None
    p_meet: float | None = None
    status: str = "no_data"
    required_pace: float | None = None
    required_years: list[int] = field(default_factory=list)
    previous_value: float | None = None
    notes: list[str] = field(default_factory=list)
    final: bool = False


# ----------------------------------------------------------------- arithmetic
def geometric_mean_growth(rates_pct: list[float]) -> float:
    """Average annual growth (%) of yearly growth rates (%), chain-linked: the geometric mean."""
    factors = np.asarray(rates_pct, dtype=float) / 100 + 1
    return float((np.prod(factors) ** (1 / len(factors)) - 1) * 100)


def arithmetic_mean(rates_pct: list[float]) -> float:
    """The arithmetic mean of the rates: what the page contrasts, never the term's average."""
    return float(np.mean(rates_pct))


def term_quantity(kind: str, values: np.ndarray, base: float | None, rate_feed: bool
                  ) -> np.ndarray:
    """The term quantity over the years in the last axis of `values` (draws × years)."""
    values = np.atleast_2d(values)
    n = values.shape[1]
    if kind == "average_growth":
        if rate_feed:
            return (np.prod(values / 100 + 1, axis=1) ** (1 / n) - 1) * 100
        return ((values[:, -1] / base) ** (1 / n) - 1) * 100
    if kind == "cumulative":
        return values.sum(axis=1)
    if kind == "reduction_points":
        return values.mean(axis=1) if rate_feed else (base - values[:, -1]) / n
    return values[:, -1]  # end_level, count_by_end


def meets(rule: str, value: np.ndarray | float, target: float) -> np.ndarray:
    """Whether a term quantity meets the rule; a range is met at or above its lower bound."""
    value = np.asarray(value, dtype=float)
    return {"ge": value >= target - 1e-9, "range": value >= target - 1e-9,
            "gt": value > target + 1e-9, "le": value <= target + 1e-9,
            "lt": value < target - 1e-9}[rule]


# ----------------------------------------------------------------- figures
def annual_figures(ds, indicator_id: str, unit: str) -> pd.Series:
    """Whole-year figures of a series: annual values or full-year flow totals, else the
    year-end level reading. Years without one are absent (never filled)."""
    out: dict[int, float] = {}
    ann = ds.annual_values
    try:
        out.update({int(y): float(v) for y, v in ann.xs((indicator_id, unit)).items()})
    except KeyError:
        pass  # no whole-year value: a level series, or none at all
    r = ds.readings
    lv = r[(r["indicator_id"] == indicator_id) & (r["unit_code"] == unit)
           & (r["value_type"] == "level") & (r["month"] == 12)]
    for y, v in zip(lv["year"], lv["value"], strict=True):
        out.setdefault(int(y), float(v))
    return pd.Series(out, dtype=float).sort_index()


def _steps(series: pd.Series, kind: str, rate_feed: bool, upto: int) -> np.ndarray:
    """The yearly steps history teaches: rates, growth of values, or changes of levels."""
    s = series[series.index <= upto].sort_index()
    if rate_feed:
        return s.to_numpy()[-HISTORY_YEARS:]
    s = s.reindex(range(int(s.index.min()), int(s.index.max()) + 1)) if len(s) else s
    if kind in ("average_growth", "cumulative"):
        steps = (s / s.shift(1) - 1) * 100
    else:
        steps = s - s.shift(1)
    return steps.dropna().to_numpy()[-HISTORY_YEARS:]


def _previous(target: TermTarget, term: Term, series: pd.Series) -> float | None:
    """The same quantity over the previous term of equal length, where every year is known."""
    n = term.end - term.start + 1
    years = list(range(term.start - n, term.start))
    if not all(y in series.index for y in years):
        return None
    base = series.get(years[0] - 1)
    needs_base = target.kind in ("reduction_points", "average_growth") \
        and not target.feed_is_rate
    if needs_base and base is None:
        return None
    vals = np.array([[series[y] for y in years]])
    return float(term_quantity(target.kind, vals, base, target.feed_is_rate)[0])


# ----------------------------------------------------------------- assessment
def assess_target(target: TermTarget, term: Term, series: pd.Series, as_of_year: int,
                  as_of: str, current: dict | None, thresholds: dict[str, float],
                  rng: np.random.Generator) -> TermResult:
    """Assess one term target from its yearly figures known at the vintage.

    `current`: the engine's estimate of the as-of year ({estimate, lo80, hi80}) when that
    year has no final figure yet, else None.
    """
    rate = target.feed_is_rate
    base_year = target.base_year
    base_value = series.get(base_year) if base_year is not None else None
    years: list[YearFigure] = []
    for y in term.years:
        if y in series.index and y <= as_of_year:
            years.append(YearFigure(y, float(series[y]), "final"))
        elif y == as_of_year and current and np.isfinite(current.get("estimate", np.nan)):
            years.append(YearFigure(y, float(current["estimate"]), "estimate",
                                    current.get("lo80"), current.get("hi80"),
                                    current.get("lo95"), current.get("hi95")))
        elif y < as_of_year:
            years.append(YearFigure(y, None, "missing"))
        else:
            years.append(YearFigure(y, None, "future"))
    finals = [f for f in years if f.source == "final"]
    missing = [f.year for f in years if f.source == "missing"]
    res = TermResult(target, term, as_of, years, base_value, None, len(finals))
    res.previous_value = _previous(target, term, series)
    # Growth from values, a level, a count, a fall from a rate: only the base and the last
    # year count, so a missing year before the last figure changes nothing.
    only_last = target.kind != "cumulative" and not rate
    last_final = max((f.year for f in finals), default=None)
    gap = [y for y in missing if not (only_last and last_final and y < last_final)]
    if missing:
        res.notes.append("thiếu số liệu năm " + ", ".join(map(str, missing))
                         + (" (không tự điền; được ước như các năm chưa có)" if gap else
                            " (không tự điền; không ảnh hưởng kết quả cả kỳ)"))
    needs_base = target.kind in ("reduction_points", "average_growth") and not rate
    if needs_base and base_value is None:
        res.notes.append(f"thiếu số liệu năm gốc {base_year}: không tính được")
        return res
    res.achieved_to_date = _achieved(target, finals, base_value, base_year)
    # --- the simulation
    steps = _steps(series, target.kind, rate, upto=as_of_year)
    unknown = [f for f in years if f.source == "future" or f.year in gap]
    if unknown and len(steps) < 2:
        res.notes.append("chưa đủ số liệu các năm trước để ước các năm còn lại")
        return res
    mu, sd = (float(np.mean(steps)), float(np.std(steps, ddof=1))) if len(steps) >= 2 \
        else (0.0, 0.0)
    draws = np.empty((N_DRAWS, len(years)))
    prev = np.full(N_DRAWS, np.nan if base_value is None else float(base_value))
    for j, f in enumerate(years):
        if f.source == "missing" and f.year not in gap:
            draws[:, j] = np.nan  # not used: only the base and the last year count
            continue
        if f.source == "final":
            col = np.full(N_DRAWS, f.value)
        elif f.source == "estimate":
            col = engine_draws(f, N_DRAWS, rng)
        else:
            step = rng.normal(mu, sd, N_DRAWS)
            if rate:
                col = step
            elif np.isnan(prev).all():  # the year before is unknown: nothing to chain from
                res.notes.append(f"thiếu số liệu năm {f.year - 1} để nối tiếp")
                return res
            elif target.kind in ("average_growth", "cumulative"):
                col = prev * (1 + step / 100)
            else:
                col = prev + (np.maximum(step, 0) if target.kind == "count_by_end" else step)
        draws[:, j] = col
        prev = col
    q = term_quantity(target.kind, draws, base_value, rate)
    res.estimate = float(np.median(q))
    res.lo80, res.hi80, res.lo95, res.hi95 = (float(v) for v in
                                              np.percentile(q, [10, 90, 2.5, 97.5]))
    if target.kind in ("end_level", "count_by_end") and years[-1].source == "estimate":
        # The term's figure is this year's: the report's own estimate and intervals, exactly.
        _, values = years[-1].quantiles()
        res.estimate, res.lo80, res.hi80, res.lo95, res.hi95 = (
            float(values[2]), float(values[1]), float(values[3]), float(values[0]),
            float(values[4]))
    res.p_meet = float(meets(target.rule, q, target.target).mean())
    res.final = not unknown and all(f.source == "final" or f.year not in gap for f in years) \
        and years[-1].source == "final"
    res.status = _status(target, res, thresholds)
    res.required_pace, res.required_years = _required(target, term, years, base_value,
                                                      as_of_year)
    return res


def _achieved(target: TermTarget, finals: list[YearFigure], base: float | None,
              base_year: int | None) -> float | None:
    """The quantity over the years with final figures (chained from the base year)."""
    if not finals:
        return None
    vals = [f.value for f in finals]
    if target.kind == "average_growth":
        if target.feed_is_rate:
            return geometric_mean_growth(vals)
        n = finals[-1].year - base_year
        return ((vals[-1] / base) ** (1 / n) - 1) * 100
    if target.kind == "cumulative":
        return float(sum(vals))
    if target.kind == "reduction_points":
        if target.feed_is_rate:
            return float(np.mean(vals))
        return (base - vals[-1]) / (finals[-1].year - base_year)
    return vals[-1]


def _status(target: TermTarget, res: TermResult, th: dict[str, float]) -> str:
    if res.final:
        return "achieved" if res.p_meet >= 0.5 else "missed"
    # Amounts only add up and counts only grow: once reached, a ≥ target stays reached.
    if target.kind in ("cumulative", "count_by_end") and target.rule in ("ge", "gt", "range") \
            and res.achieved_to_date is not None \
            and bool(meets(target.rule, res.achieved_to_date, target.target)):
        return "achieved"
    if res.p_meet >= th["on_track_p"]:
        return "on_track"
    if res.p_meet < th["off_track_p"]:
        return "off_track"
    return "at_risk"


def _required(target: TermTarget, term: Term, years: list[YearFigure], base: float | None,
              as_of_year: int) -> tuple[float | None, list[int]]:
    """The constant yearly figure the remaining years need for the term to meet the target.

    Remaining: the years after the as-of year; when the as-of year is the term's last, that
    year itself (its estimate is then not counted). In the plan's unit: % per year for
    growth, amount per year for a cumulative total, points per year for a reduction, the
    yearly change for a level or count. None when a past year has no figure.
    """
    later = [f for f in years if f.year > as_of_year or (f.year == as_of_year
                                                          and f.value is None)]
    if not later:
        later = [f for f in years if f.year == as_of_year and f.source != "final"]
    if not later:
        return None, []
    known = [f for f in years if f not in later]
    if any(f.value is None for f in known):
        if target.kind == "cumulative" or target.feed_is_rate:
            return None, [f.year for f in later]
        known = [f for f in known if f.value is not None]  # only the last value counts
    m, n, goal = len(later), len(years), target.target
    vals = [f.value for f in known]
    last = vals[-1] if vals else base
    if target.kind == "average_growth":
        if target.feed_is_rate:
            done = float(np.prod(np.asarray(vals) / 100 + 1)) if vals else 1.0
        else:
            done = last / base
        need = ((1 + goal / 100) ** n / done) ** (1 / m) - 1
        return need * 100, [f.year for f in later]
    if target.kind == "cumulative":
        return (goal - sum(vals)) / m, [f.year for f in later]
    if target.kind == "reduction_points":
        # total fall needed by the end minus the fall so far, spread over the remaining years
        done = sum(vals) if target.feed_is_rate else base - last
        return (goal * n - done) / m, [f.year for f in later]
    if last is None:
        return None, [f.year for f in later]
    return (goal - last) / m, [f.year for f in later]


def assess_terms(terms: list[Term], catalog: Catalog, ds, as_of_year: int, as_of: str,
                 current: pd.DataFrame | None = None, unit: str | None = None
                 ) -> list[TermResult]:
    """Every target of every term that has begun by the as-of year.

    `current`: the engine's assessment table of the as-of year (indicator_id, estimate, lo80,
    hi80, lo95, hi95), reused for the year in progress; None when there is none.
    """
    unit = unit or catalog.default_unit
    rng = np.random.default_rng(SEED)
    out = []
    for term in terms:
        if term.start > as_of_year:
            continue
        for target in term.targets:
            iid = target.indicator.id
            series = annual_figures(ds, iid, unit)
            cur = None
            if current is not None and as_of_year not in series.index:
                rows = current[current["indicator_id"] == iid]
                if "unit_code" in rows and (rows["unit_code"] == unit).any():
                    rows = rows[rows["unit_code"] == unit]
                if len(rows):
                    cur = {k: float(rows.iloc[0][k]) for k in
                           ("estimate", "lo80", "hi80", "lo95", "hi95") if k in rows}
            out.append(assess_target(target, term, series, as_of_year, as_of, cur,
                                     catalog.thresholds, rng))
    return out
