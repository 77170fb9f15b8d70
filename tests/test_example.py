"""The real example (`make example`): GSO's 2024 figures, three monthly reports, and a page
comparing what they said with December. Runs in `make test`, so the example cannot rot."""

from __future__ import annotations

import csv

import pytest

from kpi_lib.common.paths import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "data" / "examples" / "gso_2024"


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    from kpi_lib.runner.example import run_example

    # The data-quality notebook is left out here to keep the suite quick; `make example`
    # runs both.
    return run_example(tmp_path_factory.mktemp("example"), notebooks=("monthly_report",))


def test_example_data_is_real_and_names_its_source():
    with open(EXAMPLE / "observations_gso.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["indicator_id"] for r in rows} == {"VDT", "BANLE", "XUATKHAU"}
    assert all("GSO" in r["source"] and r["reported_at"] for r in rows)
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    assert "Tổng cục Thống kê" in readme and "vn-macroeconomics" in readme
    # December 2024 as GSO published it: 661.294 tỷ đồng realised, 84,6% of the year's plan.
    dec = next(r for r in rows if r["indicator_id"] == "VDT" and r["period"] == "2024-12")
    assert float(dec["value"]) == pytest.approx(661294.16)


@pytest.mark.notebook
def test_example_publishes_three_months_and_a_comparison(example):
    assert [p.name for p in example.reports] == ["2024-03", "2024-06", "2024-09"]
    for folder in example.reports:
        page = (folder / "monthly_report.html").read_text(encoding="utf-8")
        assert "Vốn đầu tư thực hiện" in page and "Bình Sơn" not in page
        assert not (folder / "SYNTHETIC").exists()  # real figures: no synthetic banner
    page = example.comparison.read_text(encoding="utf-8")
    assert "Thực tế tháng 12" in page and "661.294" in page and "661.294,2" not in page


@pytest.mark.notebook
def test_public_investment_status_is_checked_against_what_happened(example):
    """The 2024 plan was not met (84,6%); from June on the reports must say so."""
    t = example.table.set_index(["month", "id"])
    assert not t.loc[("2024-09", "VDT"), "met"]
    assert t.loc[("2024-09", "VDT"), "actual"] / t.loc[("2024-09", "VDT"), "target"] \
        == pytest.approx(0.846, abs=0.001)
    for month in ("2024-06", "2024-09"):
        assert t.loc[(month, "VDT"), "status"] in ("off_track", "at_risk")
        assert t.loc[(month, "VDT"), "status_right"]
    # September's estimate is within 5% of December's real figure for every series.
    assert (t.xs("2024-09", level="month")["error_pct"].abs() < 5).all()


def _readme_rows(table) -> list[str]:
    """The README's real-example table as the comparison table gives it, row by row."""
    from kpi_lib.common.numbers import format_number
    from kpi_lib.plan.statuses import StatusScale

    def n(x: float) -> str:
        return format_number(x, 0, "vi")
    right = {True: "đúng", False: "sai", None: "–"}
    return [f"| {r.month} | {r.id} | {n(r.estimate)} ({n(r.lo80)}–{n(r.hi80)}) | "
            f"{StatusScale().label(r.status)} | {n(r.actual)} | "
            f"{'có' if r.in_interval else 'không'} | {right[r.status_right]} |"
            for r in table.itertuples(index=False)]


@pytest.mark.notebook
def test_the_readme_quotes_what_the_example_published(example):
    """Claims are generated, not copied: the README's table and counts are the outputs'."""
    import re

    from kpi_lib.common.numbers import format_number

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Real example", 1)[1].split("\n## ", 1)[0]
    rows = _readme_rows(example.table)
    assert [line for line in section.splitlines() if line.startswith("| 2024-")] == rows, \
        "README 'Real example' is stale; paste:\n" + "\n".join(rows)
    t = example.table
    scored = t[t["status_right"].notna()]
    right = re.search(r"Statuses were right (\d+) times out of (\d+)", section)
    inside = re.search(r"inside the 80%\s+interval (\d+) times out of (\d+)", section)
    assert right and (int(right.group(1)), int(right.group(2))) == (
        int(scored["status_right"].sum()), len(scored))
    assert inside and (int(inside.group(1)), int(inside.group(2))) == (
        int(t["in_interval"].sum()), len(t))
    banle = t[t["id"] == "BANLE"].iloc[0]
    above = format_number(100 * (banle["actual"] / banle["target"] - 1), 1, "vi")
    assert f"ended {above}% above 2023" in section
    # the comparison page says the same
    page = example.comparison.read_text(encoding="utf-8")
    assert f"{len(scored)} đánh giá, đúng {int(scored['status_right'].sum())}" in page
