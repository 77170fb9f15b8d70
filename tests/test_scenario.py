"""What-if (kpi_lib.engine.scenario) on the shipped sample: equal to the forecast on the
forecast's own path, monotone in growth, milestones after the year not met, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from kpi_lib.common.errors import KpiError
from kpi_lib.engine.pipeline import run_assessment
from kpi_lib.engine.scenario import forecast_path, scenario

FLOWS = ("T01", "T10", "T21", "T19a")  # "about", "ge" and a reduce ceiling (accidents)


@pytest.fixture(scope="module")
def a():
    return run_assessment(None, None, "latest", use_ets=False)


@pytest.mark.parametrize("iid", FLOWS)
@pytest.mark.parametrize("how", ["growth", "monthly"])
def test_forecast_own_path_gives_the_forecast(a, iid, how):
    row = a.table[a.table["indicator_id"] == iid].iloc[0]
    s = scenario(a, iid, **{how: forecast_path(a, iid)[how]})
    for k in ("estimate", "lo80", "hi80", "lo95", "hi95", "p_meet"):
        assert s.__getattribute__(k) == pytest.approx(float(row[k]), rel=1e-9, abs=1e-12), k
    assert s.status == row["status"] and s.forecast_status == row["status"]
    assert s.required_pace == pytest.approx(float(row["required_pace"]), nan_ok=True)


@pytest.mark.parametrize("iid", FLOWS)
def test_monotone_in_growth(a, iid):
    runs = [scenario(a, iid, growth=g) for g in np.linspace(-40, 40, 17)]
    est = np.array([s.estimate for s in runs])
    p = np.array([s.p_meet for s in runs])
    assert np.all(np.diff(est) > 0)
    ceiling = a.table.set_index("indicator_id").loc[iid, "rule"] in ("le", "reduce")
    steps = np.diff(p) * (-1 if ceiling else 1)
    assert np.all(steps >= -1e-12) and (p.max() - p.min()) > 0.3  # it really moves
    order = ["off_track", "at_risk", "on_track"]
    ranks = [order.index(s.status) for s in runs]
    assert ranks == sorted(ranks, reverse=ceiling)


def test_required_growth_is_the_edge_of_meeting(a):
    s = scenario(a, "T10", growth=0)  # needs +12 % on last year's Oct–Dec
    assert scenario(a, "T10", growth=s.required_growth + 0.5).met_if_exact
    assert not scenario(a, "T10", growth=s.required_growth - 0.5).met_if_exact


def test_exact_assumption_has_no_interval(a):
    s = scenario(a, "T10", monthly=200, spread=False)
    assert s.lo80 == s.hi80 == pytest.approx(s.estimate)
    assert s.p_meet in (0.0, 1.0) and s.met_if_exact == (s.p_meet == 1.0)
    assert any("exact" in n for n in s.notes)


def test_milestone_dates(a):
    year = a.catalog.year
    inside = scenario(a, "T08c", reached=f"{year}-11-20")
    assert inside.met_if_exact and inside.p_meet == 1.0
    assert inside.status == "at_risk"  # the rules: scheduled, not obtained yet
    after = scenario(a, "T08c", reached=f"{year + 1}-01-15")
    assert not after.met_if_exact and after.p_meet == 0.0 and after.status == "off_track"
    assert after.estimate < after.target


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"indicator_id": "t01", "growth": 5}, ["unknown indicator", "did you mean T01"]),
    ({"indicator_id": "T05a", "growth": 5}, ["level indicator", "growth= or monthly="]),
    ({"indicator_id": "T02", "growth": 5}, ["derived", "T01"]),
    ({"indicator_id": "T08c", "growth": 5}, ["milestone", "reached="]),
    ({"indicator_id": "T01", "reached": "2025-11"}, ["flow", "growth= or monthly="]),
    ({"indicator_id": "T08c", "reached": "2025-03-01"}, ["not after the data month"]),
    ({"indicator_id": "T08c", "reached": "soon"}, ["must be a date"]),
    ({"indicator_id": "T01"}, ["exactly one assumption"]),
    ({"indicator_id": "T01", "growth": 5, "monthly": 9}, ["exactly one", "not 2"]),
    ({"indicator_id": "T01", "growth": 5, "unit": "NOWHERE"}, ["unit 'NOWHERE'", "BINHSON"]),
])
def test_bad_input_is_a_clear_error(a, kwargs, words):
    with pytest.raises(KpiError) as err:
        scenario(a, **kwargs)
    assert err.value.problem.fix
    for w in words:
        assert w in str(err.value)


def test_from_data_catalog_and_month(a):
    """Without an assessment: assessed from the data and month given (as notebooks call it)."""
    s = scenario(None, "T10", growth=5, as_of=a.period)
    assert s.estimate == pytest.approx(scenario(a, "T10", growth=5).estimate)


# --- bounds: an assumption cannot take back what is counted, nor be absurd ----------------

@pytest.mark.parametrize("assumption", [{"growth": -200}, {"growth": -100.5}, {"monthly": -1},
                                        {"monthly": 1e308}, {"growth": 1e308},
                                        {"monthly": float("inf")}, {"growth": float("nan")}])
def test_impossible_or_absurd_assumptions_are_refused(a, assumption):
    with pytest.raises(KpiError, match="must be between"):
        scenario(a, "T10", **assumption)


@pytest.mark.parametrize("value", ["8", "abc", [1], True, {"x": 1}])
def test_an_assumption_that_is_not_a_number_is_a_clear_error(a, value):
    with pytest.raises(KpiError, match="must be a number"):
        scenario(a, "T10", growth=value)


@pytest.mark.parametrize("iid", FLOWS)
def test_every_allowed_assumption_keeps_what_is_counted_and_stays_finite(a, iid):
    """The property: anywhere within the limits, the year-end is at least the year to date,
    finite, and its interval around it."""
    from kpi_lib.engine.scenario import limits

    for kind, (lo, hi) in limits(a, iid).items():
        for value in np.linspace(lo, hi, 7):
            s = scenario(a, iid, **{kind: float(value)})
            assert np.isfinite(s.estimate) and s.estimate >= s.actual_to_date - 1e-9, (kind, value)
            assert s.assumed_rest >= 0 and np.isfinite(s.p_meet)
            assert s.lo80 <= s.estimate <= s.hi80 or s.lo80 == s.hi80


def test_the_workbench_amount_box_is_bounded_like_the_scenario():
    from kpi_lib.engine.scenario import limits
    from kpi_lib.explore import Explorer

    e = Explorer()
    e.widget(warm=False)
    e.pick.value = "T10"
    lo, hi = limits(e.assessment(e.when.value), "T10")["monthly"]
    assert (e.amount.min, e.amount.max) == (lo, pytest.approx(hi))
    e.amount.value = -5
    assert e.amount.value == 0
    e.amount.value = 1e308
    assert e.amount.value == pytest.approx(hi)
    assert e.growth.min >= -100
