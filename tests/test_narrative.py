"""Narrative phrasing, the Word report, analyst overrides and status settings (issue #7)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kpi_lib.common.errors import KpiError, ValidationFailed
from kpi_lib.common.paths import DEFAULT_CATALOG, NARRATIVE_TEMPLATES, SAMPLE_DIR
from kpi_lib.engine.pipeline import run_assessment
from kpi_lib.inputs.overrides import add_override, in_force, read_overrides
from kpi_lib.outputs.narrative import (
    group_paragraph,
    indicator_sentence,
    load_templates,
    narrative,
    narrative_text,
)
from kpi_lib.outputs.report_table import display_table, numbers_table
from kpi_lib.plan.catalog import load_catalog
from kpi_lib.plan.statuses import status_scale

from .conftest import edited_catalog, run_kpi


@pytest.fixture(scope="module")
def sample():
    a = run_assessment(DEFAULT_CATALOG, str(SAMPLE_DIR), "2025-09", use_ets=False)
    return a, numbers_table(a)


@pytest.fixture(scope="module")
def tpl():
    return load_templates()


def _row(numbers: pd.DataFrame, iid: str, **changes) -> pd.Series:
    row = numbers.set_index("id").loc[iid].copy()
    row["id"] = iid
    for k, v in changes.items():
        row[k] = v
    return row


def test_flow_sentence_in_the_official_form(sample, tpl):
    a, numbers = sample
    text = indicator_sentence(_row(numbers, "T01"), a, tpl)
    assert text == ("Tổng giá trị sản xuất 9 tháng ước đạt 20.760,4 tỷ đồng, đạt 72,6% kế hoạch, "
                    "tăng 10,2% so với cùng kỳ; ước thực hiện cả năm đạt 28.715,0 tỷ đồng "
                    "(từ 28.590,3 đến 28.840,2), đạt 100,4% kế hoạch, có khả năng đạt kế hoạch.")


def test_same_row_in_english(sample, tpl):
    a, numbers = sample
    text = indicator_sentence(_row(numbers, "T01"), a, tpl, "en")
    assert text.startswith("Total production value (constant prices) in the first 9 months: "
                           "an estimated 20,760.4 billion VND, 72.6% of the plan, up 10.2% on the same")
    assert "likely to meet the target." in text


def test_negative_growth_says_giam(sample, tpl):
    a, numbers = sample
    text = indicator_sentence(_row(numbers, "T10"), a, tpl)
    assert text == ("Giải quyết việc làm trong năm 9 tháng ước đạt 1.095 người, đạt 68,4% kế "
                    "hoạch, giảm 8,8% so với cùng kỳ; ước thực hiện cả năm đạt 1.506 người "
                    "(từ 1.480 đến 1.532), đạt 94,1% kế hoạch, khó đạt kế hoạch.")


def test_zero_last_year_is_not_a_percentage(sample, tpl):
    a, numbers = sample
    text = indicator_sentence(_row(numbers, "T10", same_period=0.0), a, tpl)
    assert "cùng kỳ năm 2024 không phát sinh" in text and "%" not in text.split(";")[0][-40:]
    both_zero = indicator_sentence(_row(numbers, "T10", same_period=0.0, ytd=0.0), a, tpl)
    assert "bằng cùng kỳ" in both_zero


def test_ceiling_target_reads_as_the_offices_reading(sample, tpl):
    a, numbers = sample
    text = indicator_sentence(_row(numbers, "T14"), a, tpl)
    # The plan writes only "5,9%": the ceiling is the office's reading, and says so; with no
    # figure this year the judgement is provisional, from the trend.
    assert text == ("Tỷ lệ trẻ em dưới 5 tuổi bị suy dinh dưỡng: chưa có số liệu năm 2025; theo "
                    "xu hướng các năm trước ước đạt 5,92% (từ 5,68 đến 6,17), kế hoạch 5,9% "
                    "(phòng hiểu là không vượt quá mức này), có nguy cơ không đạt kế hoạch "
                    "(tạm đánh giá theo xu hướng).")


def test_target_already_met(sample, tpl):
    a, numbers = sample
    assert indicator_sentence(_row(numbers, "T08b"), a, tpl) == (
        "Xã đạt chuẩn nông thôn mới nâng cao: 9 tháng có 1 xã được công nhận, kế hoạch 01 xã, "
        "đã đạt kế hoạch.")
    assert indicator_sentence(_row(numbers, "T08c"), a, tpl).startswith(
        "Xã đạt chuẩn nông thôn mới kiểu mẫu: 9 tháng chưa có xã được công nhận, kế hoạch 01 xã")


def test_reduction_against_last_year(sample, tpl):
    a, numbers = sample
    assert indicator_sentence(_row(numbers, "T19a"), a, tpl) == (
        "Số vụ tai nạn giao thông 9 tháng là 30 vụ, giảm 14,3% so với cùng kỳ; ước cả năm 40 vụ "
        "(từ 35 đến 46), kế hoạch giảm so với năm 2024 (48 vụ), có khả năng đạt kế hoạch.")
    # 22 deaths already exceed 2024's 20: final, never a chance or an interval below 22.
    t19b = indicator_sentence(_row(numbers, "T19b"), a, tpl)
    low = int(t19b.split("(từ ")[1].split(" ")[0])
    assert t19b.endswith(", không đạt kế hoạch.") and low >= 22


def test_missing_figure_and_missing_setting(sample, tpl):
    a, numbers = sample
    gone = _row(numbers, "T21", ytd=np.nan, data_month=0)
    assert indicator_sentence(gone, a, tpl) == (
        "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu: chưa có số liệu.")
    t04 = indicator_sentence(_row(numbers, "T04"), a, tpl)
    assert "chưa có số dự toán tỉnh giao nên chưa đánh giá được mức hoàn thành" in t04


def test_a_commune_is_not_judged_on_an_area_wide_target(tpl):
    a = run_assessment(DEFAULT_CATALOG, str(SAMPLE_DIR), "2025-09", unit="DONGSON", use_ets=False)
    row = _row(numbers_table(a), "T21")
    text = indicator_sentence(row, a, tpl)
    assert text.startswith("Cấp Giấy chứng nhận quyền sử dụng đất lần đầu 9 tháng ước đạt 153 giấy")
    assert text.endswith("(không giao chỉ tiêu riêng).")


def test_group_paragraph_counts_and_names_what_needs_action(sample, tpl):
    a, numbers = sample
    rows = numbers[numbers["group"] == "governance"]
    assert group_paragraph("governance", rows, a, tpl) == (
        "Quản lý nhà nước: 2 chỉ số, trong đó 1 chỉ số có khả năng đạt; 1 chỉ số khó đạt. "
        "Cần tập trung chỉ đạo: Cấp Giấy chứng nhận quyền sử dụng đất lần đầu (khó đạt).")


def test_every_indicator_gets_one_sentence_and_numbers_are_vietnamese(sample):
    a, numbers = sample
    sections = narrative(a, numbers, "vi")
    assert [s.group for s in sections] == [g["id"] for g in a.catalog.groups]
    assert sum(len(s.sentences) for s in sections) == 32
    text = narrative_text(sections)
    assert "20.760,4" in text and "20,760.4" not in text


def test_an_office_changes_its_phrasing_without_code(tmp_path, sample):
    a, numbers = sample
    doc = yaml.safe_load(NARRATIVE_TEMPLATES.read_text(encoding="utf-8"))
    doc["vi"]["flow"] = "${name}: lũy kế ${period} là ${ytd}${sep}${unit} (${status})."
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    text = indicator_sentence(_row(numbers, "T01"), a, load_templates(path))
    assert text == "Tổng giá trị sản xuất: lũy kế 9 tháng là 20.760,4 tỷ đồng (có khả năng đạt kế hoạch)."


@pytest.mark.parametrize(("change", "words"), [
    (lambda d: d["vi"].update(flow="${name} ${nonsense}"), "unknown placeholder(s) nonsense"),
    (lambda d: d["vi"].pop("missing"), "lack: missing"),
    (lambda d: d["en"].update(flow="${name} $"), "broken placeholder"),
])
def test_bad_templates_are_named(tmp_path, change, words):
    doc = yaml.safe_load(NARRATIVE_TEMPLATES.read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KpiError) as err:
        load_templates(path)
    assert words in str(err.value) and "t.yaml" in str(err.value)


# ---------------------------------------------------------------- overrides
def test_override_history_is_kept_and_the_latest_applies(tmp_path, catalog):
    when = [datetime(2025, 10, d, 9, tzinfo=UTC) for d in (5, 7, 9)]
    add_override(tmp_path, catalog, "T21", "2025-09", "at_risk", "đang đẩy nhanh hồ sơ",
                 "Nguyễn Văn A", now=when[0])
    add_override(tmp_path, catalog, "T21", "2025-09", "on_track", "đã có kế hoạch cấp bù",
                 "Trần Thị B", now=when[1])
    history = read_overrides(tmp_path, catalog)
    assert len(history) == 2  # nothing overwritten
    now = in_force(history, "2025-09")
    assert now[["indicator_id", "status", "by"]].values.tolist() == [["T21", "on_track",
                                                                       "Trần Thị B"]]
    assert in_force(history, "2025-09", vintage="2025-10-06")["status"].tolist() == ["at_risk"]
    assert in_force(history, "2025-08").empty  # only its own month
    add_override(tmp_path, catalog, "T21", "2025-09", "withdrawn", "nhập nhầm", "Trần Thị B",
                 now=when[2])
    assert in_force(read_overrides(tmp_path, catalog), "2025-09").empty
    assert len(read_overrides(tmp_path, catalog)) == 3


def test_bad_override_is_refused_with_the_fix(tmp_path, catalog):
    with pytest.raises(ValidationFailed) as err:
        add_override(tmp_path, catalog, "T99", "2024-13", "great", "", "")
    text = str(err.value)
    for words in ("unknown indicator", "month must be YYYY-MM in 2025", "unknown status",
                  "missing 'reason'", "missing 'by'"):
        assert words in text
    assert not (tmp_path / "overrides.csv").exists()
    (tmp_path / "overrides.csv").write_text(
        "indicator_id,month,unit_code,status,reason,by,recorded_at\n"
        "T21,2025-09,,on_track,ok,A,yesterday\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"row 2, column recorded_at"):
        read_overrides(tmp_path, catalog)


def test_override_never_changes_numbers_and_shows_beside_the_computed_status(tmp_path):
    data = tmp_path / "d"
    shutil.copytree(SAMPLE_DIR, data)
    before = run_assessment(DEFAULT_CATALOG, str(data), "2025-09", use_ets=False)
    result = run_kpi("override", "T21", "--month", "2025-09", "--status", "on_track",
                     "--reason", "đã có quyết định giao bổ sung", "--by", "Lê Văn C",
                     "--data", data)
    assert result.returncode == 0, result.stderr
    after = run_assessment(DEFAULT_CATALOG, str(data), "2025-09", use_ets=False)
    cols = ["indicator_id", "estimate", "lo80", "hi80", "p_meet", "status"]
    pd.testing.assert_frame_equal(before.table[cols], after.table[cols])
    shown = display_table(after, "vi").set_index("Chỉ tiêu")
    row = shown[shown.index.str.contains("Cấp Giấy chứng nhận")].iloc[0]
    assert row["Đánh giá"] == "Khó đạt"
    assert row["Ý kiến chuyên viên (đánh giá chuyên môn)"].startswith(
        "Có khả năng đạt — đã có quyết định giao bổ sung (Lê Văn C, ")
    listing = run_kpi("override", "--list", "--data", data)
    assert "Lê Văn C" in listing.stdout and "T08d" in listing.stdout


def test_override_refuses_to_write_into_the_shipped_sample(monkeypatch):
    monkeypatch.delenv("KPI_DATA", raising=False)
    result = run_kpi("override", "T21", "--month", "2025-09", "--status", "on_track",
                     "--reason", "x", "--by", "y")
    if "working store" in result.stdout + result.stderr:
        pytest.skip("a working store exists on this machine")
    assert result.returncode == 2 and "read-only" in result.stderr


# ---------------------------------------------------------------- status settings
def test_status_labels_and_colours_are_settings(tmp_path):
    scale = status_scale({"status_labels": {
        "achieved": {"vi": "Đạt", "color": "#00aa00"}, "on_track": {"vi": "Đạt"},
        "off_track": {"vi": "Không đạt", "phrase_vi": "không đạt kế hoạch"}}})
    assert [label for label, _, _ in scale.levels()] == ["Đạt", "Có nguy cơ không đạt",
                                                         "Không đạt", "Chưa đủ dữ liệu"]
    assert scale.color("achieved") == "#00aa00" and scale.phrase("off_track") == "không đạt kế hoạch"
    def labels(given):
        return lambda doc: doc["settings"].update(status_labels=given)

    with pytest.raises(ValidationFailed, match="is not a colour"):
        load_catalog(edited_catalog(tmp_path, labels({"on_track": {"color": "green"}})))
    path = edited_catalog(tmp_path, labels({"achieved": {"vi": "Đạt"}, "on_track": {"vi": "Đạt"}}))
    a = run_assessment(load_catalog(path), str(SAMPLE_DIR), "2025-09", use_ets=False)
    from kpi_lib.outputs import render

    cards = render.summary_cards(a, "vi")
    assert ">Đạt</div>" in cards and "Có khả năng đạt" not in cards and "Đã đạt" not in cards
    assert "đạt kế hoạch" in narrative_text(narrative(a, numbers_table(a)))


# ---------------------------------------------------------------- Word
# The Word report and the Excel workbook are tested part by part in test_word_excel.py.


def test_make_report_outputs_carry_narrative_and_overrides(tmp_path):
    """HTML, Excel and Word of the sample run (which ships one example override)."""
    from kpi_lib.runner.monthly import run_month

    folder = run_month(as_of="2025-09", out=tmp_path).folder
    page = (folder / "monthly_report.html").read_text(encoding="utf-8")
    reason = "dự kiến có quyết định công nhận trong tháng 12"
    assert "Đánh giá chung" in page and "Tổng giá trị sản xuất 9 tháng ước đạt" in page
    assert reason in page and "Ý kiến chuyên viên" in page
    from kpi_lib.outputs.excel import HEADER_ROW

    prose = pd.read_excel(folder / "bao-cao-2025-09.xlsx", sheet_name="Nhận định",
                          header=HEADER_ROW - 1)
    assert prose.iloc[:, 1].str.contains("ước đạt").any()
    table = pd.read_excel(folder / "bao-cao-2025-09.xlsx", sheet_name="Báo cáo",
                          header=HEADER_ROW - 1)
    assert table["Ý kiến chuyên viên (đánh giá chuyên môn)"].fillna("").str.contains(reason).any()
    import docx

    doc = docx.Document(str(folder / "bao-cao-2025-09.docx"))
    assert reason in "\n".join(p.text for p in doc.paragraphs)
    assert len(doc.inline_shapes) >= 4
    summary = pd.read_csv(folder / "summary.csv", keep_default_na=False)
    assert summary.set_index("id").loc["T08d", "override_status"] == "on_track"
    assert summary.set_index("id").loc["T08d", "status"] == "at_risk"


def test_readme_shows_the_generated_narrative():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert "Tổng giá trị sản xuất 9 tháng ước đạt 20.760,4 tỷ đồng, đạt 72,6% kế hoạch" in readme


def test_readme_narrative_excerpt_is_what_make_report_writes():
    """The README's excerpt of the prose (claims generated, not copied): every line of it is
    a line the September report on the sample writes, as `make report` runs it (ETS on)."""
    from kpi_lib.common.paths import PROJECT_ROOT
    from kpi_lib.outputs.narrative import narrative

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("(synthetic sample, 2025-09):\n\n```text\n")
    block = readme[start:].split("```text\n", 1)[1].split("```", 1)[0]
    a = run_assessment(DEFAULT_CATALOG, str(SAMPLE_DIR), "2025-09")
    written = set()
    for section in narrative(a, numbers_table(a), "vi"):
        written |= {section.opening, *section.sentences}
    quoted = [line.removeprefix("- ") for line in block.splitlines() if line.strip()]
    assert quoted and [q for q in quoted if q not in written] == [], \
        "README excerpt is stale; paste the lines the report now writes"
