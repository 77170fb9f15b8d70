"""Like-with-like backtests, the shrunk combination, and the published track record."""

from __future__ import annotations

import numpy as np
import pytest

from kpi_lib.engine import flows
from kpi_lib.engine.flows import (
    BACKTEST_YEARS,
    COMBINED_OF,
    Cube,
    combination_weights,
    cube_from_ytd,
    forecast_flows,
    run_backtest,
)
from kpi_lib.engine.track_record import track_record
from kpi_lib.outputs.track_record import page_html, report_section, summary_text

from .conftest import run_kpi
from .synth import dataset, flow_rows

U = "BINHSON"


def _cube(catalog, years=range(2014, 2026), upto=(2025, 6), seed=3) -> Cube:
    rng = np.random.default_rng(seed)
    totals = {y: 1000 * 1.06 ** (y - years[0]) for y in years}
    rows = flow_rows("T10", U, totals, rng, noise=0.04, upto=upto)
    return cube_from_ytd(dataset(catalog, rows).ytd, [("T10", U)])


@pytest.fixture(scope="module")
def long_cube(catalog):
    return _cube(catalog)


def test_every_method_is_backtested_on_the_same_origins(long_cube):
    """ETS used to be backtested on the last 3 years only, the others on all: unlike."""
    bt = run_backtest(long_cube, use_ets=True, months=(6,))
    assert len(bt.years) == BACKTEST_YEARS
    have = {k: np.isfinite(bt.errors[k][0, :, 0]) for k in (*COMBINED_OF, "same_period")}
    assert all(v.all() for v in have.values()), have


def test_combination_weights_shrink_towards_equal_and_sum_to_one():
    errors = np.full((1, 3, 1), 0.01)
    bt = flows.Backtest({"seasonal_share": errors, "ets": errors * 10, "theta": errors * 10},
                        np.array([2022, 2023, 2024]), np.array([0]), (6,))
    w = combination_weights(bt, ["seasonal_share", "ets", "theta"])
    total = sum(v[0, 5] for v in w.values())
    assert total == pytest.approx(1.0)
    # 1/MSE alone would give seasonal_share 100/102 ≈ 0,98; shrinkage with 3 errors keeps
    # the others in: λ = 5/8 of equal weights.
    lam = flows.SHRINK / (flows.SHRINK + 3)
    assert w["ets"][0, 5] == pytest.approx(lam / 3 + (1 - lam) * 1 / 102)
    assert w["seasonal_share"][0, 5] < 0.7
    # weights exist only at backtested months
    assert all(v[0, 0] == 0 for v in w.values())


def test_combination_is_used_once_backtested_and_its_errors_give_the_interval(long_cube):
    ti = len(long_cube.years) - 1
    bt = run_backtest(long_cube, use_ets=True, until=ti, months=(6,))
    ff = forecast_flows(long_cube, 2025, 6, bt, use_ets=True)
    assert ff.method[0] == "combined"
    members = [ff.all_estimates[k][0] for k in COMBINED_OF]
    assert min(members) <= ff.estimate[0] <= max(members)
    rmse, n = bt.rmse("combined")
    # ... never narrower than its members' typical spread (their RMSEs' root mean square)
    spread = np.sqrt(np.mean([bt.rmse(k)[0][0, 5] ** 2 for k in COMBINED_OF]))
    assert ff.scale[0] == pytest.approx(max(rmse[0, 5], spread) * np.sqrt(1 + 1 / n[0, 5]))


def test_combination_interval_is_floored_by_its_members_spread(monkeypatch):
    """Weights fitted on the same few errors make the combination's backtest spread look
    smaller than it will be: the interval takes the members' spread when that is larger.
    With one member only (no model fit), that member is named and its own errors used."""
    years = np.arange(2016, 2026)
    ytd = np.cumsum(np.full((1, len(years), 12), 10.0), axis=2)
    cube = Cube([("T01", U)], years, ytd)
    rng = np.random.default_rng(3)
    e = rng.normal(0, 0.05, (1, 6, 1))
    bt = flows.Backtest({"seasonal_share": e, "ets": -e, "combined": e * 0.1,
                         "same_period": e * 0.01, "history": e * 0.01, "run_rate": e},
                        years[3:9], np.array([0]), (6,))
    monkeypatch.setattr(flows, "model_batch", lambda cube, tasks: [(125.0,)] * len(tasks))
    ff = forecast_flows(cube, 2025, 6, bt, use_ets=True)
    assert ff.method[0] == "combined"
    member = bt.rmse("seasonal_share")[0][0, 5]
    assert ff.scale[0] == pytest.approx(member * np.sqrt(1 + 1 / 6))
    alone = forecast_flows(cube, 2025, 6, flows.Backtest(
        {k: v * 2 if k == "seasonal_share" else v for k, v in bt.errors.items()},
        bt.years, bt.groups, bt.months))
    assert alone.method[0] == "seasonal_share"
    assert alone.scale[0] == pytest.approx(2 * member * np.sqrt(1 + 1 / 6))


def test_track_record_uses_only_what_was_known_then(catalog, tmp_path):
    rng = np.random.default_rng(5)
    totals = {y: 800 * 1.05 ** (y - 2016) for y in range(2016, 2026)}
    rows = flow_rows("T10", U, totals, rng, noise=0.04, upto=(2025, 6))
    ds = dataset(catalog, rows)
    tr = track_record(ds, use_ets=False, cache_dir=tmp_path)
    r = tr.rows.set_index(["year", "month"])
    assert set(r.index.get_level_values("year")) == set(range(2018, 2025))
    # Replaying 2021 at month 4 from a dataset that ends there gives the same estimate.
    cut = [x for x in rows if x["period"] <= "2021-04"]
    cube = cube_from_ytd(dataset(catalog, cut).ytd, [("T10", U)])
    bt = run_backtest(cube, until=len(cube.years) - 1, months=(4,))
    ff = forecast_flows(cube, 2021, 4, bt)
    assert r.loc[(2021, 4), "estimate"] == pytest.approx(ff.estimate[0])
    assert r.loc[(2021, 4), "actual"] == pytest.approx(totals[2021], rel=0.1)
    # the target carried back: last year's total × (1600 ÷ 2024's total)
    t2024 = cube_from_ytd(ds.ytd, [("T10", U)]).totals[0, -2]
    assert r.loc[(2021, 4), "target"] == pytest.approx(
        cube.totals[0, -2] * catalog.get("T10").target / t2024)
    cov = tr.coverage
    assert cov.loc["all", "n"] == len(tr.rows) and 0 <= cov.loc["all", "in80"] <= 1
    cal = tr.calibration
    assert cal["n"].sum() == len(tr.judged)
    brier = np.mean((tr.judged["p_meet"] - tr.judged["met"]) ** 2)
    assert tr.brier == pytest.approx(brier) and 0 <= tr.brier <= 1


def test_track_record_page_is_vietnamese_and_escaped(catalog, tmp_path):
    rng = np.random.default_rng(9)
    totals = {y: 20000 * 1.05 ** (y - 2017) for y in range(2017, 2026)}
    rows = flow_rows("T01", U, totals, rng, noise=0.03, upto=(2025, 3))
    tr = track_record(dataset(catalog, rows), use_ets=False, cache_dir=tmp_path)
    page = page_html(tr, catalog)
    assert page.startswith("<!DOCTYPE html>") and 'lang="vi"' in page
    for words in ("Độ tin cậy của ước tính", "khoảng tin cậy 80%", "Điểm Brier",
                  "Xác suất đạt đã nêu", "Tổng giá trị sản xuất"):
        assert words in page
    est = tr.rows["estimate"].iloc[0]
    assert f"{est:,.1f}".replace(",", "X").replace(".", ",").replace("X", ".") in page
    section = report_section(tr, catalog)
    assert 'href="track_record.html"' in section and "<table" in section
    empty = track_record(dataset(catalog, rows[:30]), use_ets=False, cache_dir=tmp_path)
    assert "Chưa đủ số liệu" in page_html(empty, catalog)


def test_cli_backtest_report_writes_the_page(tmp_path):
    out = tmp_path / "tr.html"
    result = run_kpi("backtest", "--report", str(out), "--no-ets")
    assert result.returncode == 0, result.stderr
    assert "khoảng tin cậy 80%" in result.stdout and str(out) in result.stdout
    text = out.read_text(encoding="utf-8")
    assert "Độ tin cậy của ước tính" in text and "Chi tiết từng lần ước tính" in text
    # the sample's history is synthetic, and every indicator is on the page
    assert "DỮ LIỆU MẪU GIẢ LẬP" in text and "Chỉ tiêu nào được chạy lại" in text
    assert "32 chỉ tiêu" in text or "/32 chỉ tiêu" in text


def test_model_fits_are_kept_for_later_runs(long_cube, tmp_path):
    """A past origin's data never change: a later run (a new process) refits nothing."""
    months = (6,)
    flows.cached_backtest(long_cube, True, tmp_path, months=months)
    flows._MEMO.clear()
    flows._MEMO_SAVED[0] = 0
    last = len(long_cube.years) - 1  # the backtested origins: the 6 years before the last
    tasks = [(0, ti, 6) for ti in range(last - BACKTEST_YEARS, last)]
    flows.load_fits(tmp_path)
    assert flows.prefit_models(long_cube, tasks) == 0
    flows._MEMO.clear()
    assert flows.prefit_models(long_cube, tasks) == len(tasks)  # without the file: refits


def test_backtest_table_says_what_the_engine_uses(catalog):
    from kpi_lib.engine.backtest_report import backtest_table

    rng = np.random.default_rng(2)
    totals = {y: 900 * 1.05 ** (y - 2016) for y in range(2016, 2026)}
    table = backtest_table(dataset(catalog, flow_rows("T10", U, totals, rng, upto=(2025, 6))),
                           "T10", use_ets=False)
    # without the model the engine uses (and names) its one member, as the forecast does
    assert (table["chosen"] == "seasonal_share").all()
    assert {"theta", "ets"}.isdisjoint(table.columns)  # not fitted without the models
    from kpi_lib.engine.backtest_report import _chosen

    one = (np.ones((1, 12)), np.ones((1, 12)))
    none = (np.ones((1, 12)), np.zeros((1, 12)))
    assert _chosen({"seasonal_share": one, "ets": one}, 0, 6) == "combined"
    assert _chosen({"seasonal_share": one, "ets": none}, 0, 6) == "seasonal_share"
    assert _chosen({"seasonal_share": none}, 0, 6) == "run_rate"


def test_track_record_status_keeps_the_reports_near_miss_rule():
    """A past estimate at 97% of the target with a low probability was shown at_risk by the
    report (off_track_gap 0,95), so the track record must count it as at_risk too."""
    from types import SimpleNamespace

    from kpi_lib.engine.track_record import _status
    from kpi_lib.plan.catalog import DEFAULT_THRESHOLDS

    ind = SimpleNamespace(rule="ge", direction="higher", tolerance=0.0,
                          tolerance_type="absolute", unit="tỷ đồng")
    th = DEFAULT_THRESHOLDS
    assert _status(ind, 0.10, 500.0, 1000.0, th, estimate=970.0) == "at_risk"
    assert _status(ind, 0.10, 500.0, 1000.0, th, estimate=900.0) == "off_track"
    reduce = SimpleNamespace(**{**vars(ind), "rule": "reduce"})
    assert _status(reduce, 0.10, 500.0, 1000.0, th, estimate=1020.0) == "off_track"


def test_track_record_replays_levels_annual_and_derived_and_names_the_rest(catalog, tmp_path):
    """Every indicator of the plan is on the page: replayed, or named with the reason."""
    from dataclasses import replace

    from kpi_lib.engine.forecast import _forecast_annual, _forecast_level, _level_history

    from .synth import reading_rows

    rng = np.random.default_rng(8)
    totals = {y: 20000 * 1.07 ** (y - 2018) for y in range(2018, 2026)}
    rows = flow_rows("T01", U, totals, rng, noise=0.03, upto=(2025, 6))
    level = {f"{y}-{m:02d}": 80 + (y - 2018) * 2 + m * 0.1 + rng.normal(0, 0.3)
             for y in range(2018, 2026) for m in range(1, 13) if (y, m) <= (2025, 6)}
    annual = {str(y): 5.0 - 0.2 * (y - 2018) + rng.normal(0, 0.05) for y in range(2018, 2025)}
    rows += reading_rows("T16", U, level) + reading_rows("T14", U, annual, "annual")
    ds = dataset(catalog, rows)
    tr = track_record(ds, use_ets=False, cache_dir=tmp_path)
    kinds = tr.rows.groupby("indicator_id")["kind"].first()
    assert kinds["T01"] == "flow" and kinds["T02"] == "derived"
    assert kinds["T16"] == "level" and kinds["T14"] == "annual"
    # the scope names all 32, and says why a milestone or an indicator with no data has none
    scope = tr.scope.set_index("indicator_id")
    assert list(scope.index) == [i.id for i in catalog.indicators]
    assert (scope.loc[["T01", "T02", "T16", "T14"], "n"] > 0).all()
    assert scope.loc["T08b", "reason"] == "milestone" and scope.loc["T05a", "reason"] == "no_history"
    assert (scope["n"] == 0).sum() == (scope["reason"] != "").sum()
    # a replayed level uses only the readings known then; an annual figure only past years
    hist = _level_history(ds.readings[ds.readings["indicator_id"] == "T16"])
    cut = hist[(hist["year"] < 2023) | ((hist["year"] == 2023) & (hist["month"] <= 7))]
    lv = tr.rows.set_index(["indicator_id", "year", "month"]).loc[("T16", 2023, 7)]
    assert lv["estimate"] == pytest.approx(_forecast_level(None, U, cut, 2023, 7)["estimate"])
    assert lv["actual"] == pytest.approx(hist[hist["year"] == 2023]["value"].iloc[-1])
    ann = _level_history(ds.readings[ds.readings["indicator_id"] == "T14"])
    an = tr.rows.set_index(["indicator_id", "year", "month"]).loc[("T14", 2023, 0)]
    assert an["estimate"] == pytest.approx(
        _forecast_annual(ann[ann["year"] < 2023], 2023)["estimate"])
    # growth is judged against the plan's growth rate, from T01's replay
    g = tr.rows[(tr.rows["indicator_id"] == "T02")].iloc[0]
    assert g["target"] == pytest.approx(catalog.get("T02").target)
    page = page_html(tr, catalog)
    assert "Chưa chạy lại" in page and "T08b" in page and "số lần công nhận" in page
    assert "Khoảng tin cậy theo loại chỉ tiêu" in page
    assert "GIẢ LẬP" not in page  # these figures are not the synthetic sample ...
    assert "DỮ LIỆU MẪU GIẢ LẬP" in page_html(replace(tr, synthetic=True), catalog)  # ... these


def test_every_status_is_reported_with_how_often_it_came_true(catalog, tmp_path):
    """The headline used to quote only "Có khả năng đạt → met" and "Khó đạt → missed"; the
    most frequent status (at risk) was right 44% of the time, unsaid."""
    rng = np.random.default_rng(9)
    totals = {y: 900 * (1.05 + rng.normal(0, 0.04)) ** (y - 2014) for y in range(2014, 2026)}
    tr = track_record(dataset(catalog, flow_rows("T10", U, totals, rng, noise=0.05,
                                                 upto=(2025, 6))),
                      use_ets=False, cache_dir=tmp_path)
    st = tr.by_status.set_index("status")
    assert st["n"].sum() == (tr.judged["status"] != "").sum()
    for status, row in st.iterrows():
        claims_met = status in ("achieved", "on_track")
        assert row["came_true"] == pytest.approx(row["met"] if claims_met else 1 - row["met"])
    text = " ".join(summary_text(tr, catalog))
    for status in st.index:
        label = catalog.statuses.label(status)
        assert f"\u201c{label}\u201d đúng" in text, label
    cal = tr.calibration
    assert cal["n"].sum() == len(tr.judged) and len(cal) == 6


def test_readme_track_record_figures_are_what_the_page_prints():
    """Claims generated, not copied: the README's track-record figures for the synthetic
    sample (count, years, indicators replayed and not, coverage, every status's hit rate,
    Brier) are the page's (once 473 estimates of 26 indicators were printed beside a README
    saying 477 of 28, and "chưa đủ số liệu các năm trước" for T17/T18b, which the report
    judges on 5 past years)."""
    import html
    import re

    from kpi_lib.common.paths import PROJECT_ROOT, SAMPLE_DIR
    from kpi_lib.inputs.data import load_dataset
    from kpi_lib.plan.catalog import load_catalog

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    claim = " ".join(readme.split("On the synthetic sample: ", 1)[1].split("\n\n", 1)[0].split())
    cat = load_catalog()
    tr = track_record(load_dataset(cat, str(SAMPLE_DIR)))  # as the monthly run makes it
    page = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page_html(tr, cat))).split())
    n, years, k, total = re.match(r"(\d+) replayed estimates \((\d{4}–\d{4})\) of (\d+) of "
                                  r"the (\d+) indicators", claim).groups()
    assert f"{n} lần ước tính ({years}, {k} chỉ tiêu)" in page
    assert f"Đã chạy lại {k}/{total} chỉ tiêu" in page
    left_out = re.search(r"not replayed: the \d+ milestones, ([A-Za-z0-9, ]+)\)", claim).group(1)
    assert f"Chưa chạy lại: {left_out} (chỉ tiêu đếm số lần công nhận" in page
    assert "chưa đủ số liệu các năm trước" not in page  # every other indicator is replayed
    in80, in95 = re.search(r"([\d,]+)% inside the 80% interval and ([\d,]+)% inside the 95%",
                           claim).groups()
    assert f"80% ở {in80}% số lần, trong khoảng 95% ở {in95}%" in page
    rates = re.findall(r"\"([^\"]+)\" (?:came true )?([\d,]+)% of (\d+)", claim)
    assert len(rates) == len(tr.by_status) == 4
    for label, rate, times in rates:
        shown = re.search(rf"\u201c{re.escape(label)}\u201d đúng ([\d,]+)% \((\d+) lần\)", page)
        assert shown, label
        assert float(shown.group(1).replace(",", ".")) == pytest.approx(
            float(rate.replace(",", ".")), abs=0.05) and shown.group(2) == times, label
    brier = re.search(r"Brier score ([\d,]+)", claim).group(1)
    assert f"Điểm Brier của xác suất đạt: {brier}" in page
