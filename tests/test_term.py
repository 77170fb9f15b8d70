"""The five-year plan's term targets: arithmetic against hand-computed cases, the term file's
errors, the real example (Viet Nam 2021–2025) and the README's table of it."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from kpi_lib.common.errors import KpiError, ValidationFailed
from kpi_lib.common.paths import DEFAULT_CATALOG, PROJECT_ROOT
from kpi_lib.engine.term import (
    arithmetic_mean,
    assess_target,
    geometric_mean_growth,
    meets,
    term_quantity,
)
from kpi_lib.plan.catalog import load_catalog
from kpi_lib.plan.term import Term, TermTarget, load_terms
from kpi_lib.runner.example import term_example_dir, term_example_markdown, term_example_table
from kpi_lib.runner.term import assess_term

TH = {"on_track_p": 0.75, "off_track_p": 0.25, "off_track_gap": 0.95}


def _target(kind: str, rule: str, target: float, unit: str = "%", high: float | None = None,
            base_year: int | None = 2020, catalog=None) -> tuple[TermTarget, Term]:
    cat = catalog or load_catalog(DEFAULT_CATALOG)
    ind = next(i for i in cat.all_series if i.unit.strip() == unit)
    t = TermTarget("X1", "2021-2025", ind, "thử", "", kind, rule, target, high, unit, "",
                   base_year, {}, "", False)
    return t, Term("2021-2025", 2021, 2025, base_year, "", "", False, (t,))


def _assess(t, term, series: dict, as_of_year: int, current=None):
    return assess_target(t, term, pd.Series(series, dtype=float), as_of_year, f"{as_of_year}-12",
                         current, TH, np.random.default_rng(1))


# ------------------------------------------------------------------ arithmetic by hand
def test_average_growth_is_the_geometric_mean_not_the_arithmetic_one():
    rates = [2.58, 8.02, 5.05, 7.09, 8.02]
    # by hand: 1.0258 × 1.0802 × 1.0505 × 1.0709 × 1.0802 = 1.346687…; ^(1/5) = 1.061300…
    product = 1.0258 * 1.0802 * 1.0505 * 1.0709 * 1.0802
    assert geometric_mean_growth(rates) == pytest.approx((product ** 0.2 - 1) * 100, abs=1e-9)
    assert geometric_mean_growth(rates) == pytest.approx(6.1312, abs=1e-4)
    assert arithmetic_mean(rates) == pytest.approx(6.152, abs=1e-9)  # what it is not
    # a 10% fall then a 10% rise is not "0% on average"
    assert geometric_mean_growth([-10, 10]) == pytest.approx((math.sqrt(0.99) - 1) * 100)
    assert arithmetic_mean([-10, 10]) == 0


def test_growth_from_values_is_chain_linked_from_the_base_year():
    # 100 -> 121 over two years is 10%/year whatever the path
    vals = np.array([[105.0, 121.0], [115.0, 121.0]])
    assert term_quantity("average_growth", vals, 100.0, rate_feed=False) == \
        pytest.approx([10.0, 10.0])


def test_ranges_are_met_from_their_lower_bound_and_the_rules_are_strict_where_written():
    assert meets("range", 6.5, 6.5) and meets("range", 7.4, 6.5) and not meets("range", 6.49, 6.5)
    assert meets("ge", 10.0, 10.0) and not meets("gt", 6.5, 6.5) and meets("gt", 6.51, 6.5)
    assert meets("lt", 3.9, 4.0) and not meets("lt", 4.0, 4.0) and meets("le", 4.0, 4.0)


def test_cumulative_sum_and_what_the_remaining_years_need():
    t, term = _target("cumulative", "ge", 7500, unit="người")
    r = _assess(t, term, {2019: 1400, 2020: 1480, 2021: 1387, 2022: 1582, 2023: 1585}, 2023)
    assert r.achieved_to_date == 1387 + 1582 + 1585
    assert r.required_pace == pytest.approx((7500 - 4554) / 2)  # 2024 and 2025
    assert r.required_years == [2024, 2025]
    assert r.years_observed == 3 and not r.final


def test_a_cumulative_target_reached_early_is_achieved_and_stays_so():
    t, term = _target("cumulative", "ge", 2900, unit="người")
    r = _assess(t, term, {2020: 1480, 2021: 1387, 2022: 1582}, 2022)
    assert r.status == "achieved"


def test_reduction_in_points_from_a_rate_and_from_yearly_falls():
    t, term = _target("reduction_points", "range", 1.0, high=1.5)
    # poverty rate 5,0% in 2020 -> 1,0% in 2024: (5 - 1)/4 = 1,0 point a year
    r = _assess(t, term, {2018: 6.5, 2019: 5.8, 2020: 5.0, 2021: 4.0, 2022: 3.0, 2023: 2.0,
                          2024: 1.0}, 2024)
    assert r.achieved_to_date == pytest.approx(1.0)
    # to average 1 point over five years the 2025 rate must fall 1 more point
    assert r.required_pace == pytest.approx(1.0)
    falls, fterm = _target("reduction_points", "range", 1.0, unit="điểm %", high=1.5)
    r = _assess(falls, fterm, {2021: 1.05, 2022: 0.89, 2023: 0.97, 2024: 0.89, 2025: 1.0}, 2025)
    assert r.final and r.achieved_to_date == pytest.approx((1.05 + 0.89 + 0.97 + 0.89 + 1.0) / 5)
    assert r.status == "missed"  # 0,96 < 1


def test_a_term_that_is_over_is_final_with_no_interval_and_no_pace():
    t, term = _target("average_growth", "range", 6.5, high=7.0)
    r = _assess(t, term, {2021: 2.58, 2022: 8.02, 2023: 5.05, 2024: 7.09, 2025: 8.02}, 2026)
    assert r.final and r.status == "missed"
    assert r.estimate == r.lo80 == r.hi95 == pytest.approx(6.1312, abs=1e-4)
    assert r.required_pace is None
    r = _assess(t, term, {2021: 6.6, 2022: 6.6, 2023: 6.6, 2024: 6.6, 2025: 6.6}, 2025)
    assert r.final and r.status == "achieved"


def test_the_required_average_for_the_remaining_years_is_geometric():
    t, term = _target("average_growth", "ge", 10.0)
    r = _assess(t, term, {2019: 7.0, 2020: 3.0, 2021: 5.0, 2022: 5.0}, 2022)
    # (1,1^5 / 1,05^2)^(1/3) − 1
    assert r.required_pace == pytest.approx(((1.1 ** 5 / 1.05 ** 2) ** (1 / 3) - 1) * 100)
    assert r.status == "off_track" and r.p_meet < 0.25


def test_the_current_year_takes_the_engine_estimate_and_its_interval():
    t, term = _target("average_growth", "ge", 6.0)
    hist = {2016: 6.2, 2017: 6.8, 2018: 7.1, 2019: 7.0, 2020: 2.9, 2021: 6.0, 2022: 6.0,
            2023: 6.0, 2024: 6.0}
    r = _assess(t, term, hist, 2025, current={"estimate": 6.0, "lo80": 5.9, "hi80": 6.1})
    assert [f.source for f in r.years][-1] == "estimate"
    assert r.estimate == pytest.approx(6.0, abs=0.01)
    assert r.lo80 == pytest.approx(6.0 - 0.1 / 5, abs=0.01)  # one year's spread over five
    wide = _assess(t, term, hist, 2025, current={"estimate": 6.0, "lo80": 4.0, "hi80": 8.0})
    assert wide.hi80 - wide.lo80 > 10 * (r.hi80 - r.lo80)


def test_a_year_without_a_figure_is_shown_missing_never_filled():
    t, term = _target("average_growth", "gt", 6.5)
    r = _assess(t, term, {2019: 6.2, 2022: 4.8, 2023: 3.65, 2024: 5.88}, 2024)
    assert [f.source for f in r.years] == ["missing", "final", "final", "final", "future"]
    assert r.years[0].value is None
    assert r.years_observed == 3 and "2021" in r.notes[0]
    assert r.required_pace is None  # cannot say what is needed without 2021


# ------------------------------------------------------------------ bad term files
def _with_terms(tmp_path, terms: dict):
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(terms, allow_unicode=True), encoding="utf-8")
    doc = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    for key in ("units_file", "crosswalk_file", "campaign_file"):
        doc["catalog"][key] = str((DEFAULT_CATALOG.parent / doc["catalog"][key]).resolve())
    doc["catalog"]["term_file"] = "t.yaml"
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return load_catalog(tmp_path / "c.yaml")


def _term(**over) -> dict:
    target = {"id": "K1", "indicator": "T01", "name_vi": "Tăng trưởng", "kind": "average_growth",
              "rule": "ge", "target": 8.0}
    target.update(over.pop("target", {}))
    term = {"id": "2021-2025", "start": 2021, "end": 2025, "base_year": 2020,
            "targets": [target]}
    term.update(over)
    return {"terms": [term]}


@pytest.mark.parametrize("change, words", [
    ({"start": 2026, "end": 2030, "base_year": 2025}, "starts after the catalog's year 2025"),
    ({"start": 2016, "end": 2020, "base_year": 2015}, "no term holds the catalog's year 2025"),
    ({"base_year": None}, "needs its base year"),
    ({"target": {"indicator": "T07", "kind": "cumulative"}}, "cannot add up a rate"),
    ({"target": {"annual_targets": {2021: 8, 2022: 8, 2024: 8, 2025: 8}}},
     "year 2023 of the term is missing"),
    ({"target": {"rule": "range"}}, "range needs target_high"),
    ({"target": {"indicator": "NOPE"}}, "unknown series 'NOPE'"),
    ({"target": {"kind": "avg_growth"}}, "unknown kind"),
])
def test_a_bad_term_file_names_file_line_and_field(tmp_path, change, words):
    cat = _with_terms(tmp_path, _term(**change))
    with pytest.raises((ValidationFailed, KpiError)) as err:
        load_terms(cat)
    text = str(err.value)
    assert words in text
    assert re.search(r"t\.yaml:\d+", text), text  # the file and the line


def test_the_shipped_term_file_is_an_example_on_synthetic_data():
    terms = load_terms(load_catalog(DEFAULT_CATALOG))
    assert [t.label for t in terms] == ["2021–2025"]
    assert all(t.example for t in terms[0].targets)
    kinds = {t.kind for t in terms[0].targets}
    assert {"average_growth", "cumulative", "end_level", "reduction_points"} <= kinds


# ------------------------------------------------------------------ the real example
@pytest.fixture(scope="module")
def example_table():
    return term_example_table()


def test_the_real_example_final_outcome(example_table):
    run = assess_term(data=str(term_example_dir()), as_of="2026-12").frame.set_index("id")
    # GDP 2021–2025 from first-published growth rates: geometric mean 6,13% < 6,5% -> missed
    assert run.loc["VN01", "achieved_to_date"] == pytest.approx(6.1312, abs=1e-4)
    assert run.loc["VN01", "status"] == "missed" and run.loc["VN01", "final"]
    assert run.loc["VN02", "status"] == "achieved"  # 5.026 USD in 2025
    assert run.loc["VN03", "years_missing"] == "2021 2025"  # not found: shown, not filled
    # 2026–2030: no 2026 figure in the store; the term needs 10%/year from history's ~6%
    assert run.loc["VN11", "years_observed"] == 0 and run.loc["VN11", "status"] == "off_track"
    assert run.loc["VN11", "required_pace"] == pytest.approx(10.0)


def test_each_year_uses_only_what_was_published_by_then(example_table):
    vn01 = example_table[example_table["id"] == "VN01"].set_index("as_of")
    assert list(vn01["years_observed"]) == [1, 2, 3, 4, 5]
    assert vn01.loc["2021-12", "achieved_to_date"] == pytest.approx(2.58)
    # the 2024 figure came out on 6 January 2025: a report of 31 December 2024 lacks it
    early = assess_term(data=str(term_example_dir()), as_of="2024-12").frame.set_index("id")
    assert early.loc["VN01", "years_observed"] == 3


def test_the_readme_table_is_the_commands_output(example_table):
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    cat = load_catalog(term_example_dir() / "catalog.yaml")
    assert term_example_markdown(example_table, cat) in readme
    csv = assess_term(data=str(term_example_dir()), as_of="2026-12").frame
    block = readme.split("<!-- kpi term vn_2021_2025 2026-12 -->")[1].split("```")[1]
    assert block.strip().splitlines()[1:] == \
        csv[["id", "term", "target", "achieved_to_date", "estimate", "lo80", "hi80", "p_meet",
             "status", "required_pace", "years_observed"]].to_csv(index=False).strip() \
        .splitlines()


def test_count_by_end_and_end_level_use_the_last_year_only():
    t, term = _target("count_by_end", "ge", 12, unit="xã")
    r = _assess(t, term, {2018: 2, 2019: 3, 2020: 4, 2021: 6, 2023: 9, 2024: 11}, 2024)
    assert r.achieved_to_date == 11 and r.years[1].source == "missing"  # 2022 shown missing
    assert r.required_pace == pytest.approx(1.0)  # 11 -> 12 in 2025
    assert "không ảnh hưởng" in r.notes[0]
    assert r.lo95 >= 11  # a count does not fall
    t, term = _target("end_level", "lt", 4.0)
    r = _assess(t, term, {2021: 3.2, 2022: 2.8, 2023: 2.7, 2024: 2.5, 2025: 2.2}, 2025)
    assert r.final and r.status == "achieved" and r.achieved_to_date == 2.2


def test_kpi_term_command_csv_and_a_clear_error(tmp_path):
    from .conftest import run_kpi

    out = run_kpi("term", "--data", str(term_example_dir()), "--as-of", "2026-12")
    assert out.returncode == 0, out.stderr
    head = out.stdout.splitlines()[0].split(",")
    for col in ("id", "indicator_id", "term", "kind", "target", "achieved_to_date", "estimate",
                "lo80", "hi80", "p_meet", "status", "required_pace", "years_observed",
                "target_low", "target_high"):
        assert col in head
    bad = run_kpi("term", "--data", str(term_example_dir()), "--as-of", "2026-13")
    assert bad.returncode != 0 and "YYYY-MM" in bad.stderr and "Traceback" not in bad.stderr
    later = run_kpi("term", "--data", str(term_example_dir()), "--as-of", "2027-01")
    assert "after the catalog's year 2026" in later.stderr and "Traceback" not in later.stderr
