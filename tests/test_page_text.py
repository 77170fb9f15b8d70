"""What the published pages say, checked over every month of the sample as its report
would be made (each past month at its own cutoff): dates as a Vietnamese reader writes
them, who reports and what the figures cover, late figures told from missing ones, old
readings with their month, the communes' sums explained, no server path or technical text
outside the auditors' fold, one meaning for "*"."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from kpi_lib.common.paths import DEFAULT_CATALOG, PROJECT_ROOT, SAMPLE_DIR
from kpi_lib.engine.pipeline import run_assessment, unit_grid
from kpi_lib.outputs import quality, render, report_table
from kpi_lib.outputs.i18n import t
from kpi_lib.outputs.report_setup import setup_for
from kpi_lib.outputs.rules import scope_text
from kpi_lib.plan.catalog import load_catalog
from kpi_lib.runner.monthly import report_cutoff

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
MONTHS = range(1, 10)  # the sample's months
COUNTS = {"vụ", "người", "giấy", "trường", "xã"}


def visible(html: str) -> str:
    """The page's text a reader sees (no CSS, no tags, the auditors' fold left out)."""
    html = re.sub(r"<style.*?</style>|<details.*?</details>", " ", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture(scope="module")
def months():
    """Each month's assessment as `kpi run --as-of 2025-MM` makes it (report_cutoff)."""
    cat = load_catalog(DEFAULT_CATALOG)
    out = {}
    for m in MONTHS:
        vintage = report_cutoff(cat, m, None, None, max(MONTHS))
        out[m] = run_assessment(DEFAULT_CATALOG, str(SAMPLE_DIR), f"2025-{m:02d}",
                                vintage=vintage, use_ets=False)
    return out


def test_no_iso_date_anywhere_a_reader_looks(months):
    """#5: 'Số liệu tính đến ngày: 2025-07-05' — every date dd/mm/yyyy, in the title block,
    the data-gap and provenance sections, every month (a past month has a cutoff)."""
    for m, a in months.items():
        late = quality.late_figures(a.dataset, None, m)
        missing = quality.missing_figures(a.dataset, m)
        page = "".join([render.title_block(a), render.gaps_html(missing, late, a),
                        render.provenance(a, {}), render.revised_figures_html(
                            quality.revisions(a.dataset), a)])
        assert not ISO_DATE.findall(re.sub(r"<style.*?</style>", "", page, flags=re.DOTALL)), m
    june = render.provenance(months[6], {})
    assert "Số liệu tính đến ngày: 05/07/2025" in june


def test_every_page_after_the_reorganisation_says_who_reports_and_what_it_covers(months):
    """#6: from 1/7/2025 the district is no longer a unit: the title block names the issuer
    and the scope (the new communes, Tịnh Hòa's part left out), as the review does."""
    for m, a in months.items():
        setup = setup_for(a)
        head = visible(render.title_block(a))
        assert "Cơ quan báo cáo: " + setup.issuer.short in head, m
        if setup.report_date >= date(2025, 7, 1):
            assert "Phạm vi số liệu: địa bàn huyện Bình Sơn" in head, m
            assert "Xã Đông Sơn (không tính phần Xã Tịnh Hòa từ ngoài địa bàn)" in head, m
            assert scope_text(a, setup.report_date) in head
        else:
            assert "Phạm vi số liệu" not in head, m


def test_a_unit_report_says_what_its_unit_was_formed_from():
    a = run_assessment(DEFAULT_CATALOG, str(SAMPLE_DIR), "2025-09", unit="DONGSON",
                       use_ets=False)
    text = scope_text(a, date(2025, 10, 15))
    assert text.startswith("Phạm vi số liệu: Xã Đông Sơn (thành lập ngày 01/07/2025")
    assert "Xã Tịnh Hòa" in text


def test_late_figures_are_late_not_missing(months):
    """#7: a figure received after its due date (the planned date of that month's report)
    is 'gửi chậm', in the report or not; 'thiếu' only when never received; a scheduled
    event is no figure received."""
    obs = pd.read_csv(SAMPLE_DIR / "observations.csv", dtype=str)
    for m, a in months.items():
        late = quality.late_figures(a.dataset, None, m)
        missing = quality.missing_figures(a.dataset, m)
        got = quality.arrivals(a.dataset, None, m)
        received = set(zip(got["id"], got["month"], strict=True))
        for _, r in missing.iterrows():
            assert not {(r["id"], mm) for mm in r["months"]} & received, (m, r["id"])
        for _, r in late.iterrows():
            assert r["received"].normalize() > r["due"] and r["days_late"] >= 1
            assert r["in_report"] == (a.dataset.vintage is None or
                                      r["received"] < pd.Timestamp(a.dataset.vintage)
                                      + pd.Timedelta(days=1)), (m, r["id"])
        cov = quality.coverage(a.dataset, None, m)
        assert cov.columns[m:].empty or cov[list(range(m + 1, 13))].isna().all().all()
    june = quality.late_figures(months[6].dataset, None, 6)
    after = june[~june["in_report"]]
    assert {"T07", "T11", "T16", "T20"} <= set(after["id"])  # came 06/07–15/07
    assert set(after["due"]) == {pd.Timestamp("2025-07-05")}
    assert quality.missing_figures(months[6].dataset, 6)["id"].tolist() == ["VA_TOTAL"]
    planned = obs[obs["value_type"] == "planned"]
    assert len(planned)  # the sample schedules T08d for month 12: never "received"
    sept = quality.coverage(months[9].dataset, None, 9)
    assert np.isnan(sept.loc["T08d", 12])


def test_the_quality_page_names_rows_and_formats_by_unit(months):
    """#7: rows named in Vietnamese (not VA_TOTAL, P_INSURED), a correction of a count a
    whole number, the due-date rule said on the page."""
    a = months[9]
    missing = quality.missing_figures(a.dataset, 9)
    page = visible(render.gaps_html(missing, quality.late_figures(a.dataset, None, 9), a))
    for code in ("VA_TOTAL", "S_AGR", "P_INSURED", "P_POP"):
        assert code not in page
    assert "Hạn gửi số liệu của một tháng" in page and "Gửi chậm" in page
    revised = pd.DataFrame([{"id": "T10", "period": "2025-05", "reported_at": "2025-08-20",
                             "value": 121.6, "source": "phòng LĐ"}])
    text = visible(render.revised_figures_html(revised, a))
    assert "122 người" in text and "121,6" not in text and "05/2025" in text


def test_an_old_reading_says_its_month(months):
    """#15: 'Thực hiện tháng' shows a May reading in September as '81,69 (tháng 5)' —
    every month, every row whose latest reading is older than the report's month."""
    col = t("month_value", "vi")
    for m, a in months.items():
        numbers = report_table.numbers_table(a)
        shown = report_table.display_table(a, "vi", numbers)
        for i, r in numbers.iterrows():
            cell = shown.iloc[i][col]
            old = np.isfinite(r["month_value"]) and 0 < r["data_month"] != m
            assert (f"(tháng {r['data_month']})" in cell) == bool(old), (m, r["id"], cell)
    numbers = report_table.numbers_table(months[9])
    shown = report_table.display_table(months[9], "vi", numbers)
    assert shown.iloc[numbers.index[numbers["id"] == "T09b"][0]][col] == "81,69 (tháng 5)"


def test_the_commune_table_adds_up_or_says_why(months):
    """#10: counts whole in the commune table, and where the communes' sum differs from
    the area's, a line with both figures and the reason (Đông Sơn includes Tịnh Hòa).
    Before and after the communes were reorganised (the grid is a forecast per commune:
    two months, not nine)."""
    for m, a in ((6, months[6]), (9, months[9])):
        grid = unit_grid(a)
        html = render.unit_grid_html(grid, a)
        counts = [i for i in set(grid["indicator_id"]) if a.catalog.get(i).unit in COUNTS]
        cells = re.findall(r"<br>([^<]*)</td>", html)
        assert cells and counts
        for iid in counts:  # every count cell of that column: no decimal comma
            col = list(dict.fromkeys(grid["indicator_id"])).index(iid)
            rows = re.findall(r"<tr><td>[^<]*</td>(.*?)</tr>", html.split("<tbody>")[1])
            for row in rows:
                value = re.findall(r"<td[^>]*>(.*?)</td>", row)[col].split("<br>")[-1]
                assert "," not in value, (m, iid, value)
    sept = visible(render.unit_grid_html(unit_grid(months[9]), months[9]))
    assert "T21 lũy kế các xã cộng 943, toàn địa bàn 901" in sept
    assert "T19a mức năm 2024 (để so sánh) các xã cộng 52, toàn địa bàn 48" in sept
    assert "Xã Đông Sơn gồm cả Xã Tịnh Hòa" in sept


def test_provenance_keeps_technical_text_for_auditors_only(months):
    """#16: no server path, checksum or version in what a reader sees; they are in the
    fold 'Thông tin kỹ thuật (cho cán bộ kiểm tra)', with the data folder relative to the
    project; the method said as the weighted combination it is."""
    html = render.provenance(months[9], {"use_ets": True})
    shown = visible(html)
    for word in ("sha256", "kpi_lib", "Python", str(PROJECT_ROOT)):
        assert word not in shown, word
    assert not re.search(r"[A-Za-z_.]/[A-Za-z_]", shown), shown  # no path at all
    assert "chọn theo" not in shown and "bình quân có trọng số" in shown
    fold = re.search(r"<details[^>]*><summary>(.*?)</summary>(.*?)</details>", html, re.DOTALL)
    assert fold and fold.group(1) == "Thông tin kỹ thuật (cho cán bộ kiểm tra)"
    assert "<code>data/sample</code>" in fold.group(2) and "sha256" in fold.group(2)
    assert str(PROJECT_ROOT) not in html


def test_the_star_means_one_thing(months):
    """#17: the Word appendix note and the page's legend say the same about "*"."""
    from kpi_lib.outputs.word import WORDS

    legend = t("low_conf", "vi")
    assert legend in report_table.grouped_html(months[9], report_table.numbers_table(months[9]))
    assert WORDS["vi"]["table_note"].format(low_conf=legend).endswith(f"* {legend}.")
