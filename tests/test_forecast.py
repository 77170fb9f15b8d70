"""Forecasts and assessment: each kind, each rule, no-data cases, calibration."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from kpi_lib.common.paths import PROJECT_ROOT
from kpi_lib.engine.assess import assess, worst_status
from kpi_lib.engine.flows import base_estimates, cube_from_ytd, forecast_flows, run_backtest
from kpi_lib.engine.forecast import forecast_all
from kpi_lib.engine.pipeline import run_assessment

from .conftest import run_kpi
from .synth import PROFILE, dataset, flow_rows, reading_rows

U = "BINHSON"


def _assess(catalog, rows, as_of, tmp_path):
    ds = dataset(catalog, rows)
    result = forecast_all(ds, as_of, use_ets=False, cache_dir=tmp_path)
    return assess(result, ds).set_index("indicator_id"), result


def test_known_flow_total_is_recovered_within_its_interval(catalog, tmp_path):
    rng = np.random.default_rng(1)
    totals = {y: 1000 * 1.08 ** (y - 2018) for y in range(2018, 2026)}
    rows = flow_rows("T10", U, totals, rng, noise=0.03, upto=(2025, 8))
    table, _ = _assess(catalog, rows, 8, tmp_path)
    row = table.loc["T10"]
    assert row["lo80"] <= row["estimate"] <= row["hi80"]
    assert row["lo95"] <= totals[2025] <= row["hi95"]
    assert abs(row["estimate"] / totals[2025] - 1) < 0.03
    assert row["method"] in ("same_period", "seasonal_share", "history", "combined")
    assert row["required_pace"] == pytest.approx((1600 - row["actual_to_date"]) / 4)
    assert row["observed_pace"] == pytest.approx(row["actual_to_date"] / 8)


def test_interval_calibration_on_synthetic_series(catalog, tmp_path):
    """80% intervals should cover about 80% of outcomes when the model's assumptions hold."""
    rng = np.random.default_rng(7)
    hits, total = 0, 0
    for trial in range(3):
        rows = []
        keys = []
        for s in range(150):
            unit = f"U{s:03d}"
            growth = rng.normal(1.07, 0.04, 9).cumprod()
            totals = {2017 + k: 500 * growth[k] for k in range(9)}
            rows += flow_rows("T10", unit, totals, rng, noise=0.05)
            keys.append(("T10", unit))
        ytd = dataset(catalog, rows).ytd
        cube = cube_from_ytd(ytd, keys)
        bt = run_backtest(cube, until=len(cube.years) - 1)
        for m in (3, 6, 9):
            ff = forecast_flows(cube, 2025, m, bt)
            from scipy import stats
            lo = ff.estimate * np.exp(stats.t.ppf(0.1, ff.df) * ff.scale)
            hi = ff.estimate * np.exp(stats.t.ppf(0.9, ff.df) * ff.scale)
            actual = cube.totals[:, -1]
            hits += int(((actual >= lo) & (actual <= hi)).sum())
            total += len(actual)
    coverage = hits / total
    print(f"80% interval coverage: {coverage:.3f} over {total} forecasts")
    assert 0.7 <= coverage <= 0.92, coverage


def test_tet_in_january_uses_years_with_tet_in_january(catalog):
    """A year with Tết in January has a weak January; so-far shares must come from alike years."""
    rng = np.random.default_rng(3)
    rows = []
    from kpi_lib.engine.lunar import tet_month
    for year in range(2017, 2026):
        prof = PROFILE.copy()
        tet = tet_month(year) - 1
        prof[tet] *= 0.6
        prof = prof / prof.sum()
        for m in range(1, 13):
            rows.append({"indicator_id": "T10", "unit_code": U, "period": f"{year}-{m:02d}",
                         "value": 1000 * prof[m - 1] * rng.normal(1, 0.005),
                         "value_type": "month", "reported_at": "x", "source": "s",
                         "file_sha256": "t"})
    cube = cube_from_ytd(dataset(catalog, rows).ytd, [("T10", U)])
    ti = list(cube.years).index(2025)  # Tết 2025 fell in January
    est = base_estimates(cube, ti, 1)
    assert abs(est["seasonal_share"][0] / 1000 - 1) < 0.03
    assert abs(est["run_rate"][0] / 1000 - 1) > 0.15  # the naive run-rate is badly wrong


def test_flow_with_fewer_than_three_months_has_no_status(catalog, tmp_path):
    rng = np.random.default_rng(2)
    rows = flow_rows("T21", U, {y: 1700.0 for y in range(2020, 2026)}, rng, upto=(2025, 2))
    table, _ = _assess(catalog, rows, 2, tmp_path)
    assert table.loc["T21", "status"] == "no_data"
    assert "2 month" in table.loc["T21", "reason"]


def test_flow_already_past_target_is_achieved(catalog, tmp_path):
    rng = np.random.default_rng(2)
    rows = flow_rows("T10", U, {y: 2500.0 for y in range(2020, 2026)}, rng, upto=(2025, 10))
    table, _ = _assess(catalog, rows, 10, tmp_path)
    assert table.loc["T10", "status"] == "achieved"


def test_missing_setting_means_no_status_with_reason(catalog, tmp_path):
    rng = np.random.default_rng(2)
    rows = flow_rows("T04", U, {y: 800.0 for y in range(2020, 2026)}, rng, upto=(2025, 6))
    table, _ = _assess(catalog, rows, 6, tmp_path)
    assert table.loc["T04", "status"] == "no_data"
    assert "province_assigned_budget_revenue" in table.loc["T04", "reason"]
    assert np.isfinite(table.loc["T04", "estimate"])


def test_reduce_rule_compares_with_last_year_and_item_takes_the_worst(catalog, tmp_path):
    rng = np.random.default_rng(5)
    rows = (flow_rows("T19a", U, {2022: 60, 2023: 60, 2024: 60, 2025: 30}, rng, 0.02, (2025, 9))
            + flow_rows("T19b", U, {2022: 30, 2023: 30, 2024: 30, 2025: 29}, rng, 0.02, (2025, 9))
            + flow_rows("T19c", U, {2022: 40, 2023: 40, 2024: 40, 2025: 80}, rng, 0.02, (2025, 9)))
    table, _ = _assess(catalog, rows, 9, tmp_path)
    assert table.loc["T19a", "target_value"] == pytest.approx(table.loc["T19a", "last_year"])
    assert table.loc["T19a", "status"] == "on_track"
    # 2025 has already passed 2024's 40 injuries: final, and item 19 fails with it.
    assert table.loc["T19c", "status"] == "missed" and table.loc["T19c", "p_meet"] == 0
    assert table.loc["T19c", "lo80"] >= table.loc["T19c", "actual_to_date"]
    assert set(table.loc[["T19a", "T19b", "T19c"], "item_status"]) == {"missed"}


def test_worst_status():
    assert worst_status(pd.Series(["on_track", "at_risk", "achieved"])) == "at_risk"
    assert worst_status(pd.Series(["on_track", "no_data"])) == "on_track"
    assert worst_status(pd.Series(["no_data", "no_data"])) == "no_data"
    assert worst_status(pd.Series(["off_track", "no_data", "at_risk"])) == "off_track"


def test_level_ceiling_and_percent_bounds(catalog, tmp_path):
    # T16 (≥ 96): readings rising towards 99.9 never give an estimate above 100.
    values = {f"{y}-{m:02d}": min(99.9, 95 + 0.5 * (y - 2021) + 0.05 * m)
              for y in range(2021, 2026) for m in range(1, 13) if (y, m) <= (2025, 6)}
    table, _ = _assess(catalog, reading_rows("T16", U, values), 6, tmp_path)
    row = table.loc["T16"]
    assert row["hi95"] <= 100 and row["estimate"] <= 100
    assert row["status"] in ("on_track", "achieved")


def test_level_with_a_single_reading_is_no_data(catalog, tmp_path):
    table, _ = _assess(catalog, reading_rows("T07", U, {"2025-Q1": 90}), 6, tmp_path)
    assert table.loc["T07", "status"] == "no_data"


def test_annual_without_a_reading_is_a_flagged_projection(catalog, tmp_path):
    rows = reading_rows("T14", U, {str(y): 7.0 - 0.3 * (y - 2019) for y in range(2019, 2025)},
                        "annual")
    table, _ = _assess(catalog, rows, 9, tmp_path)
    row = table.loc["T14"]
    # Judged from the trend, and marked provisional wherever it is shown.
    assert row["status"] == "on_track" and bool(row["low_confidence"]) and bool(row["provisional"])
    assert "chưa có số liệu trong năm" in row["note"]
    assert row["estimate"] == pytest.approx(5.2, abs=0.05)   # the trend, not a measurement
    assert row["lo80"] < row["estimate"] < row["hi80"]


def test_annual_final_figure_meeting_a_ceiling_is_achieved(catalog, tmp_path):
    rows = reading_rows("T14", U, {"2024": 6.2, "2025": 5.5}, "annual")
    table, _ = _assess(catalog, rows, 12, tmp_path)
    assert table.loc["T14", "status"] == "achieved"
    rows = reading_rows("T13", U, {"2024": 0.8, "2025": 0.85}, "annual")  # ceiling 0.79 missed
    table, _ = _assess(catalog, rows, 12, tmp_path)
    assert table.loc["T13", "status"] == "missed" and table.loc["T13", "p_meet"] == 0


def test_gt_rule_is_strict_for_final_figures(catalog, tmp_path):
    values = {f"{y}-12": 85.0 for y in range(2021, 2026)}
    table, _ = _assess(catalog, reading_rows("T20", U, values), 12, tmp_path)
    assert table.loc["T20", "status"] == "missed"  # exactly 85 is not "> 85"


def test_milestones_and_yes_no(catalog, tmp_path):
    rows = reading_rows("T09a", U, {"2025-04": 1}, "month") + \
        reading_rows("T08d", U, {"2025-03": 0}, "level") + \
        reading_rows("T08d", U, {"2025-12": 1}, "planned")
    table, _ = _assess(catalog, rows, 6, tmp_path)
    assert table.loc["T09a", "status"] == "achieved"
    assert table.loc["T08d", "status"] == "at_risk"
    assert "scheduled" in table.loc["T08d", "reason"]


def test_derived_shares_sum_to_100_and_growth(catalog, tmp_path):
    rng = np.random.default_rng(11)
    rows = []
    for sid, base in (("S_AGR", 200.0), ("S_IND", 700.0), ("S_SVC", 1000.0)):
        rows += flow_rows(sid, U, {y: base * 1.05 ** (y - 2020) for y in range(2020, 2026)}, rng,
                          0.02, (2025, 9))
    rows += flow_rows("T01", U, {y: 1900 * 1.05 ** (y - 2020) for y in range(2020, 2026)}, rng,
                      0.02, (2025, 9))
    table, result = _assess(catalog, rows, 9, tmp_path)
    shares = table.loc[["T03a", "T03b", "T03c"], "estimate"]
    assert shares.sum() == pytest.approx(100.0)
    assert table.loc["T02", "estimate"] == pytest.approx(5.0, abs=1.0)
    for iid in ("T02", "T03a"):
        assert table.loc[iid, "lo80"] <= table.loc[iid, "estimate"] <= table.loc[iid, "hi80"]
    sims = [result.samples[(i, U)] for i in ("T03a", "T03b", "T03c")]
    assert np.allclose(sum(sims), 100.0)


def test_about_band_and_relative_tolerance(catalog):
    """"khoảng" reads the tolerance around the figure as shown; an unrounded outcome meets
    when its shown value does (half a shown step beyond the shown bounds)."""
    from kpi_lib.engine.assess import meet_condition, shown_bounds, shown_step
    t03a = catalog.get("T03a")
    assert shown_bounds(t03a, 10.49) == ("band", pytest.approx(9.49), pytest.approx(11.49))
    half = shown_step(t03a.unit, 10.49) / 2
    assert meet_condition(t03a, 10.49) == ("band", pytest.approx(9.49 - half),
                                           pytest.approx(11.49 + half))
    comparison, low, _ = shown_bounds(catalog.get("T01"), 28603.61)
    assert comparison == "ge" and low == pytest.approx(28603.61 * 0.99)


def test_sample_forecast_is_sensible_for_all_32(tmp_path):
    a = run_assessment(as_of="latest", use_ets=False)
    t = a.table
    assert len(t) == 32 and a.period == "2025-09"
    assert set(t["status"]) == {"achieved", "on_track", "at_risk", "off_track", "missed",
                                "no_data"}
    assert t["p_meet"].dropna().between(0, 1).all()
    finite = t.dropna(subset=["lo80", "hi80"])
    assert ((finite["lo80"] <= finite["estimate"] + 1e-9) &
            (finite["estimate"] <= finite["hi80"] + 1e-9)).all()
    assert ((finite["lo95"] <= finite["lo80"] + 1e-9) & (finite["hi80"] <= finite["hi95"] + 1e-9)).all()


def test_vintage_reproduces_an_earlier_forecast():
    late = run_assessment(as_of="2025-06", use_ets=False).table.set_index("indicator_id")
    early = run_assessment(as_of="2025-06", vintage="2025-07-31",
                           use_ets=False).table.set_index("indicator_id")
    # the May correction of T10 was reported on 2025-08-20: only the later vintage has it
    assert early.loc["T10", "actual_to_date"] != late.loc["T10", "actual_to_date"]


def test_cli_forecast_csv_columns_and_bad_parameters():
    result = run_kpi("forecast", "--as-of", "latest", "--format", "csv", "--no-ets")
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    need = {"id", "as_of", "actual_to_date", "estimate", "lo80", "hi80", "lo95", "hi95",
            "p_meet", "status", "method", "required_pace", "observed_pace"}
    assert need <= set(frame.columns) and len(frame) == 32
    for bad in ("2025-13", "2024-05", "June"):
        r = run_kpi("forecast", "--as-of", bad)
        assert r.returncode == 2 and "Traceback" not in r.stderr and "--as-of" in r.stderr


def test_cli_backtest_prints_errors_by_month():
    result = run_kpi("backtest", "--indicator", "T10", "--format", "csv", "--no-ets")
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame["month"]) == list(range(1, 12))
    assert {"same_period", "seasonal_share", "history", "combined", "run_rate", "chosen"} <= set(frame.columns)
    bad = run_kpi("backtest", "--indicator", "T16")
    assert bad.returncode == 2 and "flows" in bad.stderr


def test_growth_uses_value_added_when_the_data_has_it(catalog, tmp_path):
    """T02 is growth of value added ("tổng giá trị sản phẩm"): with a VA series it is used;
    with gross output only, the estimate says it is from gross output."""
    rng = np.random.default_rng(11)
    years = {y: 20000.0 * 1.08 ** (y - 2019) for y in range(2019, 2026)}
    va = {y: 9000.0 * 1.05 ** (y - 2019) for y in range(2019, 2026)}
    gross_only = flow_rows("T01", U, years, rng, 0.01, (2025, 9))
    table, _ = _assess(catalog, gross_only, 9, tmp_path)
    row = table.loc["T02"]
    assert row["method"] == "simulated from T01" and "gross output" in row["note"]
    with_va = gross_only + flow_rows("VA_TOTAL", U, va, rng, 0.01, (2025, 9))
    table, _ = _assess(catalog, with_va, 9, tmp_path / "va")
    row = table.loc["T02"]
    assert row["method"] == "simulated from VA_TOTAL" and row["note"] == ""
    assert row["estimate"] == pytest.approx(5.0, abs=1.0)  # VA grows 5%, gross output 8%


def test_short_history_uses_the_equal_weight_combination_not_the_annual_trend(catalog):
    """Three complete years: the model (ETS) has only one past year to be backtested on,
    so the combination has no backtest of its own. It used to fall back to the method with
    the smallest backtest error, often `history` (last year's total × growth, blind to this
    year's months): 1,2–1,7 × Holt-Winters on the real series. Now the combination stands,
    with equal weights, its interval borrowed from its members' backtest errors."""
    rng = np.random.default_rng(11)
    # steady annual growth (history's best case) but this year's months run 20% lower
    totals = {2022: 1000.0, 2023: 1100.0, 2024: 1210.0, 2025: 1331.0 * 0.8}
    rows = flow_rows("T10", U, totals, rng, noise=0.02, upto=(2025, 6))
    cube = cube_from_ytd(dataset(catalog, rows).ytd, [("T10", U)])
    ti = len(cube.years) - 1
    bt = run_backtest(cube, use_ets=True, until=ti, months=(6,))
    both = np.isfinite(bt.errors["ets"]) & np.isfinite(bt.errors["seasonal_share"])
    assert both.sum() < 2  # the combination cannot be backtested
    ff = forecast_flows(cube, 2025, 6, bt, use_ets=True)
    assert ff.method[0] == "combined"
    ss, ets = ff.all_estimates["seasonal_share"][0], ff.all_estimates["ets"][0]
    assert ff.estimate[0] == pytest.approx(np.sqrt(ss * ets))  # equal weights
    assert ff.estimate[0] < 0.9 * ff.all_estimates["history"][0]  # follows this year's months
    spread = np.sqrt(np.mean([bt.rmse(k)[0][0, 5] ** 2 for k in ("seasonal_share", "ets")]))
    assert ff.interval_source[0] == "backtest"
    assert ff.scale[0] == pytest.approx(spread * np.sqrt(2))  # 1 error: inflated by √(1 + 1)
    assert ff.df[0] == 1


def test_no_past_year_falls_back_to_the_run_rate_with_this_years_spread(catalog):
    rows = flow_rows("T10", U, {2025: 1200.0}, np.random.default_rng(4), upto=(2025, 5))
    cube = cube_from_ytd(dataset(catalog, rows).ytd, [("T10", U)])
    ff = forecast_flows(cube, 2025, 5, run_backtest(cube, months=(5,)))
    assert ff.method[0] == "run_rate" and ff.interval_source[0] == "model"
    assert ff.estimate[0] == pytest.approx(cube.ytd[0, 0, 4] * 12 / 5)
    assert np.isfinite(ff.scale[0]) and ff.df[0] == 4


@pytest.mark.parametrize(("value", "status"), [(100.0, "on_track"), (98.0, "off_track")])
def test_same_figure_every_year_is_judged_by_how_often_it_held(catalog, tmp_path, value, status):
    """T17 at 100% five years running, no reading yet this year: a trend would keep a floor
    spread and say 50% ("at risk") beside an estimate of exactly the target. With no spread
    to learn, P is the rule of succession over the years it held: 6/7 when the figure
    meets the target, 1/7 when it does not; no interval is invented."""
    rows = reading_rows("T17", U, {str(y): value for y in range(2020, 2025)}, "annual")
    table, _ = _assess(catalog, rows, 9, tmp_path)
    row = table.loc["T17"]
    assert row["method"] == "steady" and row["estimate"] == value
    assert row["p_meet"] == pytest.approx(6 / 7 if value == 100.0 else 1 / 7)
    assert row["status"] == status and row["provisional"]
    assert np.isnan(row["lo80"]) and np.isnan(row["hi80"])


def test_t_values_from_the_memo_are_scipys_bit_for_bit(tmp_path, monkeypatch):
    """The memo that spares a warm run importing scipy.special returns exactly what scipy
    returned, read back by a new process (simulated: memory cleared), and never a value
    for other inputs."""
    from scipy import special

    from kpi_lib.common import paths
    from kpi_lib.engine import tdist

    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(tdist, "_MEMO", {})
    monkeypatch.setattr(tdist, "_STATE", {"loaded": None, "dirty": False})
    rng = np.random.default_rng(3)
    df = rng.integers(1, 30, 40).astype(float)
    x, p = rng.normal(0, 3, 40), rng.uniform(0.01, 0.99, 40)
    first = tdist.stdtr(df, x), tdist.stdtrit(df, p)
    tdist.save()
    assert (tmp_path / f"tdist-v{tdist.VERSION}.pkl").is_file()
    tdist._MEMO.clear()
    tdist._STATE.update(loaded=None, dirty=False)

    def no_scipy(*args):
        raise AssertionError("computed again instead of read from the memo")

    monkeypatch.setattr(tdist, "_scipy", no_scipy)
    again = tdist.stdtr(df, x), tdist.stdtrit(df, p)
    for got, want in zip(again, (special.stdtr(df, x), special.stdtrit(df, p)), strict=True):
        assert got.tobytes() == want.tobytes()
    for got, want in zip(again, first, strict=True):
        assert got.tobytes() == want.tobytes()
    with pytest.raises(AssertionError, match="computed again"):
        tdist.stdtr(df, x + 1e-12)  # other inputs: never a remembered value


def test_a_warm_forecast_imports_neither_scipy_nor_statsmodels(tmp_path):
    """Every fit of a warm `kpi forecast` comes from the cache, so its process must not pay
    for statsmodels (0,7 s) or scipy.special (0,17 s): the cold-speed goal of issue 24."""
    import os

    env = {**os.environ, "KPI_CACHE": str(tmp_path)}
    cold = subprocess.run([sys.executable, "-m", "kpi_lib.cli", "forecast", "--format", "csv"],
                          check=False, capture_output=True, text=True, env=env,
                          cwd=PROJECT_ROOT, timeout=600)
    assert cold.returncode == 0, cold.stderr
    probe = ("import sys\nfrom kpi_lib.cli import main\nmain(['forecast', '--format', 'csv'])\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('scipy', 'statsmodels')), file=sys.stderr)")
    warm = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True,
                          text=True, env=env, cwd=PROJECT_ROOT, timeout=600)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout == cold.stdout
    assert warm.stderr.strip().splitlines()[-1] == "[]"
