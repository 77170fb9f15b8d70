"""One judgement, many renderings: what the pages print follows from the figures printed.

Defects of the reviewer's audit (REVIEW-REPORT.md #1, #14, #17), each checked over every
month 1–12 of the sample, not only the month it was seen in:
- a month beyond the data is judged as the last month of data (a scheduled recognition is
  still scheduled, not "nothing happened in October–December");
- a milestone's probability is the rule of succession (k+1)/(n+2), never 0% or 100%;
- the required pace aims at the plan's own figure, and a ceiling on a count is said as the
  total left over the remaining months, so a reader's own sum agrees.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from kpi_lib.common.numbers import COUNT_UNITS
from kpi_lib.common.paths import SAMPLE_DIR
from kpi_lib.engine.assess import shown_bounds
from kpi_lib.engine.campaign_review import department_board, month_end
from kpi_lib.engine.pipeline import assess_dataset
from kpi_lib.inputs.data import load_dataset
from kpi_lib.outputs.rules import pace_text, status_rule_lines
from kpi_lib.plan.campaign import campaign_for

JUDGED = ["estimate", "lo80", "hi80", "lo95", "hi95", "p_meet", "status", "data_month",
          "required_pace", "reason", "note", "item_status"]


@pytest.fixture(scope="module")
def months(catalog):
    """The area's assessment at every month 1–12 of the sample (data reach September)."""
    ds = load_dataset(catalog, str(SAMPLE_DIR))
    return {m: assess_dataset(ds, m, None, None, use_ets=False) for m in range(1, 13)}


def _same(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    bad = []
    for c in JUDGED:
        x, y = a[c].reset_index(drop=True), b[c].reset_index(drop=True)
        differ = ~((x == y) | (x.isna() & y.isna()))
        bad += [f"{a['indicator_id'].iloc[i]} {c}: {x[i]!r} vs {y[i]!r}"
                for i in np.where(differ)[0]]
    return bad


def test_months_beyond_the_data_are_judged_as_the_last_month_of_data(months):
    last = months[9].dataset.latest_month()
    assert last == 9
    for m in range(last + 1, 13):
        assert _same(months[last].table, months[m].table) == [], m
    # T08d: a recognition planned for December stays scheduled in the year-end review.
    for m in range(last, 13):
        row = months[m].table.set_index("indicator_id").loc["T08d"]
        assert row["status"] == "at_risk" and "scheduled" in row["reason"], (m, row.to_dict())


def test_the_department_score_follows_the_scheduled_recognition(months):
    a = months[12]
    campaign = campaign_for(a.catalog, a.dataset.registry)
    nnmt = [department_board(a, campaign, c).ranking.set_index("unit_code").loc["P_NNMT"]
            for c in campaign.clusters_at(month_end(a.catalog.year, 12))
            if c.kind == "department" and "P_NNMT" in c.members]
    assert nnmt and nnmt[0]["score"] >= 0.5 and nnmt[0]["proposal"] != "action"


def test_milestone_probabilities_follow_the_rule_of_succession(months):
    seen = 0
    for m, a in months.items():
        for _, r in a.table[a.table["kind"] == "milestone"].iterrows():
            p, n = r["p_meet"], r["n_backtest"]
            if r["status"] in ("achieved", "missed", "no_data") or not np.isfinite(p):
                continue
            seen += 1
            k = p * (n + 2) - 1
            assert 0 < p < 1, (m, r["indicator_id"], p)
            assert abs(k - round(k)) < 1e-9 and 0 <= round(k) <= n, (m, r["indicator_id"], p)
            assert f"({round(k)}+1)/({n}+2)" in r["note"], r["note"]
    assert seen >= 10
    june = months[6].table.set_index("indicator_id")
    assert june.loc["T08b", "p_meet"] == pytest.approx(6 / 7)  # 5 of 5 years: not 100%
    assert june.loc["T08c", "p_meet"] == pytest.approx(2 / 7)  # 1 of 5 years: not 20%


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_printed_rule_states_the_milestone_rule(catalog, lang):
    text = " ".join(status_rule_lines(catalog, lang))
    assert "(k+1)/(n+2)" in text and ("0% hay 100%" in text or "0% or 100%" in text)


def test_the_required_pace_aims_at_the_plan_figure(months):
    """An "about" target's pace reaches the plan's figure (T01 28.603,61), not the lower
    edge of its tolerance; every other pace reaches the shown figure that just meets."""
    for m, a in months.items():
        for _, r in a.table.iterrows():
            pace, done = r["required_pace"], r["actual_to_date"]
            if not np.isfinite(pace) or not 0 < r["data_month"] < 12:
                continue
            end = done + pace * (12 - r["data_month"])
            ind = a.catalog.get(r["indicator_id"])
            comparison, low, high = shown_bounds(ind, r["target_value"])
            aim = r["target_value"] if ind.rule == "about" else \
                {"ge": low, "le": high}.get(comparison, r["target_value"])
            assert end == pytest.approx(aim), (m, r["indicator_id"], end, aim)


def test_a_ceiling_on_a_count_says_what_is_left(months):
    """'tối đa 1 người trong 3 tháng còn lại': the total, not 0 per month rounded down; one
    more than it would miss the target, exactly it still meets."""
    checked = 0
    for m, a in months.items():
        for _, r in a.table.iterrows():
            ind = a.catalog.get(r["indicator_id"])
            pace, month = r["required_pace"], int(r["data_month"])
            if ind.unit.strip() not in COUNT_UNITS or not np.isfinite(pace) or \
                    shown_bounds(ind, r["target_value"])[0] != "le" or not 0 < month < 12:
                continue
            text = pace_text(ind, pace, "vi", ind.unit, months_left=12 - month)
            got = re.fullmatch(r"tối đa (\d+) (\S+) trong (\d+) tháng còn lại", text)
            assert got, text
            left, high = int(got.group(1)), shown_bounds(ind, r["target_value"])[2]
            assert int(got.group(3)) == 12 - month
            assert r["actual_to_date"] + left <= high < r["actual_to_date"] + left + 1, (m, text)
            checked += 1
    assert checked >= 9
    # The case seen: a per-month maximum below one person said as the quarter's total.
    t19b = next(i for i in months[9].catalog.indicators if i.id == "T19b")
    assert pace_text(t19b, 1 / 3, "vi", "người", months_left=3) == \
        "tối đa 1 người trong 3 tháng còn lại"
    assert pace_text(t19b, 1 / 3, "en", "deaths", months_left=3) == \
        "at most 1 deaths in the 3 remaining months"


def _vi(text: str) -> float:
    return float(text.replace(".", "").replace(",", "."))


NUM = r"(\d[\d.]*(?:,\d+)?)"


def test_percentages_printed_follow_from_the_figures_printed(months):
    """'ước … 1.374 giấy …, đạt 79,0% kế hoạch': a reader's own division of the printed
    figures gives the printed percentage, in the narrative and in the table, every month."""
    from kpi_lib.common.numbers import format_number
    from kpi_lib.outputs.narrative import narrative
    from kpi_lib.outputs.report_table import display_table, numbers_table

    checked = 0
    for m, a in months.items():
        numbers = numbers_table(a)
        sections = narrative(a, numbers, "vi")
        sentences = {i: s for sec in sections for i, s in
                     zip(numbers[numbers["group"] == sec.group]["id"], sec.sentences, strict=True)}
        shown = display_table(a, "vi", numbers)
        for i, r in numbers.reset_index(drop=True).iterrows():
            target, text = r["target"], sentences[r["id"]]
            for part in (rf"ước thực hiện cả năm đạt {NUM}[^;]*?, đạt {NUM}% kế hoạch",
                         rf"ước đạt {NUM}[^;,]*, đạt {NUM}% kế hoạch"):
                for got in re.finditer(part, text):
                    want = format_number(_vi(got.group(1)) / target * 100, 1, "vi")
                    assert got.group(2) == want, (m, r["id"], got.group(0), want)
                    checked += 1
            row = shown.iloc[i]
            if row["% kế hoạch"] != "–" and re.fullmatch(NUM, row["Lũy kế"]):
                want = format_number(_vi(row["Lũy kế"]) / target * 100, 1, "vi") + "%"
                assert row["% kế hoạch"] == want, (m, r["id"], row.to_dict())
                checked += 1
            same = row[next(c for c in shown.columns if c.startswith("Cùng kỳ"))]
            if row["% so cùng kỳ"] != "–" and re.fullmatch(NUM, same):
                want = format_number(_vi(row["Lũy kế"]) / _vi(same) * 100, 1, "vi") + "%"
                assert row["% so cùng kỳ"] == want, (m, r["id"], row.to_dict())
                checked += 1
    assert checked > 200


def test_the_five_year_section_takes_the_reports_own_figures(months):
    """No second forecast of the year in progress (#12): in every month's report, the term
    section's current year is the report's row (estimate, 80% and 95% intervals), an end
    level in the current year prints exactly the row's figures, and the simulated draws of
    the year have the row's median and percentiles."""
    from kpi_lib.engine.term import N_DRAWS, engine_draws
    from kpi_lib.outputs.term_review import _estimate, _num, monthly_results, section_table

    checked = 0
    for m, a in months.items():
        rows = a.table.set_index("indicator_id")
        results = monthly_results(a)
        assert results, m
        table = section_table(results, a.catalog)
        for i, r in enumerate(results):
            row = rows.loc[r.target.indicator.id]
            now = [f for f in r.years if f.year == a.catalog.year]
            if not now or now[0].source != "estimate":
                continue
            f = now[0]
            assert (f.value, f.lo80, f.hi80, f.lo95, f.hi95) == tuple(
                row[["estimate", "lo80", "hi80", "lo95", "hi95"]]), (m, r.target.indicator.id)
            draws = engine_draws(f, N_DRAWS, np.random.default_rng(1))
            assert np.percentile(draws, [10, 50, 90]) == pytest.approx(
                [f.lo80, f.value, f.hi80], rel=1e-4, abs=1e-4)
            if r.target.kind == "end_level" and r.years[-1] is f:
                u = r.target.unit
                want = f"{_num(row['estimate'], u)} ({_num(row['lo80'], u)}–{_num(row['hi80'], u)})"
                assert _estimate(r) == want == table.iloc[i]["Ước cả kỳ (khoảng 80%)"], m
                checked += 1
    assert checked >= 12  # T22 and T06 in every month with an estimate


def test_kpi_term_judges_the_year_as_kpi_run_does():
    """`kpi term` for a month of the catalog's year: the same assessment as `kpi run`
    (ETS on by default), so the term review and the monthly report print one figure."""
    from kpi_lib.engine.pipeline import run_assessment
    from kpi_lib.runner.term import assess_term

    run = assess_term(as_of="2025-09")
    rows = run_assessment(as_of="2025-09").table.set_index("indicator_id")
    seen = 0
    for r in run.results:
        f = next(f for f in r.years if f.year == 2025)
        if f.source == "estimate":
            row = rows.loc[r.target.indicator.id]
            assert (f.value, f.lo80, f.hi80) == tuple(row[["estimate", "lo80", "hi80"]])
            seen += 1
    assert seen >= 4


@pytest.mark.parametrize("month", [3, 6, 9, 12])
def test_a_communes_own_report_is_its_row_of_the_grid(catalog, month):
    """One judgement per unit and month (#2): `kpi run --unit X` gives exactly X's row of the
    area's commune grid (units.csv, the review's scoreboard): estimate, 80% and 95%
    intervals, probability, status. The unit's own report is computed afresh (the memo of
    members' judgements is emptied after the grid), so two computations are compared."""
    from kpi_lib.engine import pipeline

    ds = load_dataset(catalog, str(SAMPLE_DIR))
    area = assess_dataset(ds, month, None, None, use_ets=False)
    shown = pipeline.unit_grid(area)  # units.csv and the review's scoreboard read this
    units = list(shown["unit_code"].unique())
    # The same rows with every column (lo95/hi95 too), as unit_grid computed them.
    members = [x.code for x in area.dataset.registry.members_at(
        area.catalog.default_unit, area.catalog.year, month)]
    grid = pipeline._judge_members(area.catalog, members, str(area.dataset.source.path),
                                   area.dataset.vintage, month, False)[2]
    pipeline.MEMBERS.items.clear()
    assert len(units) >= 5
    cols = ["estimate", "lo80", "hi80", "lo95", "hi95", "p_meet", "status", "provisional"]
    for u in units:
        own = assess_dataset(load_dataset(catalog, str(SAMPLE_DIR), unit=u), month, u, None,
                             use_ets=False).table.set_index("indicator_id")
        row = grid[grid["unit_code"] == u].set_index("indicator_id").loc[own.index]
        pd.testing.assert_frame_equal(own[cols], row[cols], obj=f"{u} at month {month}")
        listed = shown[shown["unit_code"] == u].set_index("indicator_id").loc[own.index]
        pd.testing.assert_frame_equal(own[["estimate", "lo80", "hi80", "p_meet", "status"]],
                                      listed[["estimate", "lo80", "hi80", "p_meet", "status"]],
                                      obj=f"{u} at month {month} (units.csv)")
