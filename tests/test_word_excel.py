"""The Word report an office can issue (Nghị định 30/2020 layout) and the Excel workbook.

The .docx is checked part by part with python-docx, then converted to PDF by LibreOffice
headless and its text checked as a reader sees it (pdftotext): page numbers, the banner on
every page, the table header repeated. Those tests skip without LibreOffice outside CI and
fail in CI (.ci/run installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn

from kpi_lib.common.errors import KpiError
from kpi_lib.common.paths import DEFAULT_CATALOG
from kpi_lib.engine.pipeline import run_assessment
from kpi_lib.inputs.store import DataSource
from kpi_lib.outputs.analyst_text import read_analyst_text
from kpi_lib.outputs.excel import HEADER_ROW, items_table, write_workbook
from kpi_lib.outputs.narrative import narrative
from kpi_lib.outputs.report_setup import report_setup, unit_issuer_missing, vi_date
from kpi_lib.outputs.report_table import numbers_table
from kpi_lib.outputs.word import write_docx

SAMPLE_DIR = DEFAULT_CATALOG.parent.parent / "sample"


@pytest.fixture(scope="module")
def sample():
    a = run_assessment(DEFAULT_CATALOG, str(SAMPLE_DIR), "2025-09", use_ets=False)
    numbers = numbers_table(a)
    return a, numbers, narrative(a, numbers, "vi")


@pytest.fixture(scope="module")
def chart(sample):
    from kpi_lib.outputs import charts

    return charts.to_png(charts.plot_group(sample[0], "economy", "vi"))


@pytest.fixture(scope="module")
def word(sample, chart, tmp_path_factory):
    a, numbers, sections = sample
    path = tmp_path_factory.mktemp("word") / "bao-cao-2025-09.docx"
    return write_docx(a, numbers, sections, [(chart, "Biểu đồ 1. Kinh tế")], path)


# ---------------------------------------------------------------- settings.report
def _catalog(report: dict, year: int = 2025) -> SimpleNamespace:
    return SimpleNamespace(path=Path("catalog.yaml"), year=year, settings={"report": report},
                           meta={"area_vi": "Huyện Bình Sơn", "plan_vi": "Kế hoạch 21"})


DISTRICT = {"name": "Ủy ban nhân dân huyện Bình Sơn", "short": "UBND huyện Bình Sơn",
            "valid_from": "2025-01-01", "valid_to": "2025-06-30"}
COMMUNE = {"name": "ỦY BAN NHÂN DÂN XÃ BÌNH SƠN", "short": "UBND xã Bình Sơn",
           "valid_from": date(2025, 7, 1), "valid_to": None, "example": True}


def test_dates_follow_the_decree():
    assert vi_date(date(2025, 10, 5)) == "ngày 05 tháng 10 năm 2025"
    assert vi_date(date(2025, 1, 15)) == "ngày 15 tháng 01 năm 2025"
    assert vi_date(date(2025, 2, 28)) == "ngày 28 tháng 02 năm 2025"
    assert vi_date(date(2025, 9, 30)) == "ngày 30 tháng 9 năm 2025"


def test_issuer_is_the_one_valid_on_the_report_date():
    both = {"issuers": [DISTRICT, COMMUNE], "dates": {"2025-05": "2025-06-06"}}
    may = report_setup(_catalog(both), 5)
    assert may.report_date == date(2025, 6, 6) and may.issuer.short == "UBND huyện Bình Sơn"
    assert may.issuer.name == "ỦY BAN NHÂN DÂN HUYỆN BÌNH SƠN" and not may.issuer.example
    # June's report is dated in July (day_of_next_month, default 5): the district is gone.
    june = report_setup(_catalog(both), 6)
    assert june.report_date == date(2025, 7, 5) and june.issuer.short == "UBND xã Bình Sơn"
    assert june.issuer.example and june.number == "Số:        /BC-UBND"
    sept = report_setup(_catalog({**both, "number": "112/BC-UBND", "day_of_next_month": 8}), 9)
    assert sept.report_date == date(2025, 10, 8) and sept.number == "Số: 112/BC-UBND"


def test_a_units_own_report_is_issued_by_its_own_body():
    dongson = {"name": "ỦY BAN NHÂN DÂN\nXÃ ĐÔNG SƠN", "short": "UBND xã Đông Sơn",
               "valid_from": "2025-07-01", "units": ["DONGSON"]}
    report = {"issuers": [DISTRICT, COMMUNE, dongson]}
    assert report_setup(_catalog(report), 9, "DONGSON").issuer.short == "UBND xã Đông Sơn"
    assert report_setup(_catalog(report), 9).issuer.short == "UBND xã Bình Sơn"
    with pytest.raises(KpiError, match="no issuer is valid"):  # Đông Sơn did not exist in May
        report_setup(_catalog({**report, "dates": {"2025-05": "2025-06-05"}}), 5, "DONGSON")
    assert unit_issuer_missing(_catalog(report), "DONGSON") == ""


@pytest.mark.parametrize("month", range(1, 13))
@pytest.mark.parametrize("unit", ["BINHMINH", "DONGSON", "VANTUONG", "BINHHIEP"])
def test_a_unit_without_its_own_issuer_gets_the_placeholder_never_the_areas(month, unit):
    """No issuer lists the unit: the report shows [CƠ QUAN BAN HÀNH] (never another body's
    name and signature) in every month, and the run says how to configure it."""
    report = {"issuers": [DISTRICT, COMMUNE]}
    setup = report_setup(_catalog(report), month, unit)
    assert setup.issuer.name == "[CƠ QUAN BAN HÀNH]" and setup.issuer.example
    assert not setup.issuer.on_behalf and "BÌNH SƠN" not in setup.issuer.name
    hint = unit_issuer_missing(_catalog(report), unit)
    assert f"units: [{unit}]" in hint and "[CƠ QUAN BAN HÀNH]" in hint
    assert unit_issuer_missing(_catalog(report), None) == ""


def test_no_issuers_configured_gives_a_visible_placeholder_not_the_area():
    setup = report_setup(_catalog({}), 9)
    assert setup.issuer.example and "[" in setup.issuer.name
    assert "BÌNH SƠN" not in setup.issuer.name


@pytest.mark.parametrize(("report", "words"), [
    ({"issuers": [DISTRICT]}, "no issuer is valid on the report date 05/10/2025"),
    ({"issuers": [DISTRICT, {**COMMUNE, "valid_from": "2025-06-01"}],
      "dates": {"2025-09": "2025-06-10"}}, "before the month has ended"),
    ({"issuers": [{**DISTRICT, "valid_to": None}, COMMUNE]}, "2 issuers are valid"),
    ({"issuers": [COMMUNE], "dates": {"2025-09": "5/10/2025"}}, "is not a date"),
    ({"issuers": [COMMUNE], "recipients": "Như trên; Lưu: VT."}, "one recipient per line"),
    ({"issuers": [{**COMMUNE, "signature": "x"}]}, "unknown key(s) signature"),
    ({"issuers": "UBND xã"}, "must be a list"),
    ({"issuers": [COMMUNE], "date": "2025-10-05"}, "give each month's date under `dates`"),
    ({"issuers": [COMMUNE], "day_of_next_month": 31}, "must be a day 1–28"),
])
def test_bad_report_settings_are_clear_errors(report, words):
    with pytest.raises(KpiError, match="settings.report") as err:
        report_setup(_catalog(report), 9)
    assert words in str(err.value) and "catalog.yaml" in str(err.value) and "->" in str(err.value)


def test_the_shipped_catalog_dates_september_5_october_with_an_example_issuer(catalog):
    setup = report_setup(catalog, 9)
    assert setup.report_date == date(2025, 10, 5)
    assert setup.issuer.example and setup.issuer.name == "ỦY BAN NHÂN DÂN\nXÃ BÌNH SƠN"
    assert "21/KH-UBND ngày 03/02/2025" in setup.basis
    # the targets' own source, as KH 21 names it (../shared/seed/ke-hoach-21-KH-UBND-2025.md)
    assert setup.basis.startswith("Nghị quyết số 49/NQ-HĐND ngày 12/12/2024 của HĐND huyện")
    assert "Quyết định số 2563/QĐ-UBND ngày 18/12/2024 của UBND huyện Bình Sơn" in setup.basis
    assert setup.recipients[-1].startswith("Lưu")


# ---------------------------------------------------------------- the analyst's text
def test_analyst_text_sections(tmp_path):
    assert read_analyst_text(tmp_path / "absent.md") == {}
    path = tmp_path / "2025-09.md"
    path.write_text("# title\n<!-- note\n## Kho khan\n-->\n## Khó khăn, vướng mắc\n- một\n\n- hai\n"
                    "## Nhiệm vụ, giải pháp những tháng cuối năm\nba\n", encoding="utf-8")
    assert read_analyst_text(path) == {"difficulties": ["- một", "- hai"], "tasks": ["ba"]}
    path.write_text("## Khó khăn\nx\n## Kho khan\ny\n", encoding="utf-8")
    with pytest.raises(KpiError, match="unknown section heading") as err:
        read_analyst_text(path)
    assert "row 3" in str(err.value) and "Kho khan" in str(err.value)
    path.write_text("không có tiêu đề\n", encoding="utf-8")
    with pytest.raises(KpiError, match="before the first section heading"):
        read_analyst_text(path)
    path.write_bytes("## Khó khăn\nx\n".encode("cp1258"))
    with pytest.raises(KpiError, match="not UTF-8"):
        read_analyst_text(path)


# ---------------------------------------------------------------- Word, part by part
def _text(cell_or_doc) -> str:
    return "\n".join(p.text for p in cell_or_doc.paragraphs)


def test_word_file_is_whole(word):
    assert not list(word.parent.glob("*.tmp"))  # saved under a temporary name, then renamed
    with zipfile.ZipFile(word) as z:
        assert z.testzip() is None and any(n.startswith("word/media/") for n in z.namelist())


def test_word_title_block(word):
    doc = Document(str(word))
    left, right = doc.tables[0].rows[0].cells
    issuer = _text(left)
    assert "ỦY BAN NHÂN DÂN\nXÃ BÌNH SƠN" in issuer and "HUYỆN" not in issuer  # two lines
    assert "ví dụ" in issuer  # the example issuer is labelled
    assert "Số:" in issuer and "/BC-UBND" in issuer and "…" not in issuer
    head = _text(right)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in head and "Độc lập - Tự do - Hạnh phúc" in head
    # Planned for 05/10 (the setting, not today), but its figures run to 15/10/2025: a
    # document is never dated before what it uses, and says why (README "Dates that hold
    # together").
    assert "Bình Sơn, ngày 15 tháng 10 năm 2025" in head
    assert ("cập nhật đến ngày 15/10/2025 (báo cáo dự kiến ngày 05/10/2025, lùi lại vì có số "
            "liệu nhận sau ngày dự kiến)") in _text(doc)
    date_run = right.paragraphs[-1].runs[0]
    assert date_run.italic
    rules = [p for p in (*left.paragraphs, *right.paragraphs)
             if p._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}") is not None]
    assert len(rules) == 2  # under the issuer and under the motto
    assert rules[0].paragraph_format.left_indent > rules[1].paragraph_format.left_indent / 2


def test_word_body_parts(word):
    doc = Document(str(word))
    text = _text(doc)
    assert "BÁO CÁO\nTình hình thực hiện kế hoạch phát triển kinh tế - xã hội 9 tháng đầu năm " \
           "2025" in text
    assert "Căn cứ Nghị quyết số 49/NQ-HĐND ngày 12/12/2024" in text
    assert "Kế hoạch số 21/KH-UBND ngày 03/02/2025 của UBND huyện Bình Sơn" in text
    # what the figures cover after 1/7/2025, as the page says it (rules.scope_text, #6)
    assert "Phạm vi số liệu: địa bàn huyện Bình Sơn" in text and "Xã Tịnh Hòa" in text
    # "*" means what it means on the page (#17)
    assert "* dự báo theo xu hướng các năm trước, chưa có số liệu trong năm." in text
    assert "GIẢ LẬP" in text
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[:5] == ["I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU", "II. ĐÁNH GIÁ CHUNG",
                            "III. KHÓ KHĂN, VƯỚNG MẮC VÀ NGUYÊN NHÂN",
                            "IV. NHIỆM VỤ, GIẢI PHÁP NHỮNG THÁNG CUỐI NĂM", "V. KIẾN NGHỊ"]
    assert "Tổng giá trị sản xuất 9 tháng ước đạt 20.760,4 tỷ đồng" in text
    assert "trong 22 chỉ tiêu (32 chỉ số) của Kế hoạch" in text
    assert "Tiến độ giải ngân vốn đầu tư công còn chậm" in text  # the analyst's file
    assert "CHƯA CÓ NỘI DUNG" not in text
    assert "Trên đây là báo cáo" in text and "UBND xã Bình Sơn./." in text


def test_word_overall_assessment_counts_every_indicator_and_item(sample, word):
    a, _n, _s = sample
    text = _text(Document(str(word)))
    by_item = text.split("trong 22 chỉ tiêu (32 chỉ số) của Kế hoạch: ")[1].split("\n")[0]
    # Measured statuses, then the trend-based ones counted apart: together, every one.
    assert sum(int(n) for n in re.findall(r"\d+", by_item)) == 22
    assert "tạm đánh giá theo xu hướng: " in by_item
    by_ind = text.split("Theo từng chỉ số: ")[1].split("\n")[0]
    assert sum(int(n) for n in re.findall(r"\d+", by_ind)) == 32
    label = a.catalog.statuses.label("no_data").lower()
    assert f"chỉ số {label}" in by_ind


def test_word_styles_black_times_and_page_setup(word):
    doc = Document(str(word))
    for name in ("Normal", "Heading 1", "Heading 2"):
        style = doc.styles[name]
        fonts = style.element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:ascii")) == fonts.get(qn("w:hAnsi")) == "Times New Roman"
        assert fonts.get(qn("w:asciiTheme")) is None
        assert str(style.font.color.rgb) == "000000" and style.font.color.theme_color is None
    first, wide = doc.sections[0], doc.sections[-1]
    assert round(first.page_width.cm, 1) == 21.0 and round(first.left_margin.cm) == 3
    assert 1.49 <= first.right_margin.cm <= 2.01 and 1.99 <= first.top_margin.cm <= 2.51
    assert first.different_first_page_header_footer  # no number on page 1
    assert "PAGE" in first.header._element.xml and "PAGE" not in first.first_page_header._element.xml
    for footer in (first.footer, first.first_page_footer):
        assert "GIẢ LẬP" in _text(footer)
    assert wide.orientation == 1 and wide.header.is_linked_to_previous
    assert not wide.different_first_page_header_footer  # the appendix's first page is numbered
    props = doc.core_properties
    assert props.author == "UBND xã Bình Sơn" and "9 tháng đầu năm 2025" in props.title


def test_word_signature_and_recipients(word):
    doc = Document(str(word))
    left, right = doc.tables[1].rows[0].cells
    lines = [p for p in left.paragraphs if p.text]
    assert lines[0].text == "Nơi nhận:" and lines[0].runs[0].bold and lines[0].runs[0].italic
    recipients = [p.text for p in lines[1:]]
    assert recipients[0] == "- UBND tỉnh Quảng Ngãi (b/c);"
    assert all(r.startswith("- ") and r.endswith(";") for r in recipients[:-1])
    assert recipients[-1] == "- Lưu: VT, KT."
    signer = [p.text for p in right.paragraphs if p.text]
    assert signer == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
                      "Nguyễn Văn A (ví dụ)"]


def test_word_appendix_table_and_charts(word):
    doc = Document(str(word))
    text = _text(doc)
    assert "Phụ lục 01" in text and "Phụ lục 02" in text
    assert "TÌNH HÌNH THỰC HIỆN CÁC CHỈ TIÊU KẾ HOẠCH NĂM 2025" in text
    assert "(Kèm theo Báo cáo số /BC-UBND ngày 15 tháng 10 năm 2025 của UBND xã Bình Sơn)" in text
    table = doc.tables[2]
    assert len(table.rows) == 33  # header + 32 indicators
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeats on each page
    # A number never parts from its unit at a line break (no-break spaces).
    assert [c.text for c in table.rows[1].cells][2:5] == ["khoảng 28.603,61\u00a0tỷ\u00a0đồng",
                                                          "2.455,2", "20.760,4"]
    split = [c.text for row in table.rows[1:] for c in row.cells if re.search(r"\d [^\d\s–(]", c.text)]
    assert split == []
    assert len(doc.inline_shapes) == 1 and "Biểu đồ 1. Kinh tế" in text


def test_word_without_analyst_text_shows_a_placeholder(sample, tmp_path):
    a, numbers, sections = sample
    elsewhere = replace(a, dataset=replace(a.dataset, source=DataSource(tmp_path, "given")))
    doc = Document(str(write_docx(elsewhere, numbers, sections, [], tmp_path / "r.docx")))
    placeholders = [p for p in doc.paragraphs if "CHƯA CÓ NỘI DUNG" in p.text]
    assert len(placeholders) == 2  # difficulties and tasks; proposals are optional
    # From the data folder's name on, as the page says it: never a server's absolute path.
    assert f"{tmp_path.name}/report_text/2025-09.md" in placeholders[0].text
    assert str(tmp_path) not in placeholders[0].text
    assert placeholders[0].runs[0].font.highlight_color is not None
    assert "GIẢ LẬP" not in _text(doc.sections[0].footer)  # not the sample: no banner
    assert not [p for p in doc.paragraphs if p.style.name == "Heading 1" and "KIẾN NGHỊ" in p.text]


def test_a_runs_snapshot_carries_the_analyst_text_and_names_the_real_folder(tmp_path):
    """A run reads a snapshot of the data folder (deleted after the run): report_text/ goes
    into it, and a path shown to a reader is the file in the folder the user gave."""
    from kpi_lib.inputs.snapshot import original_path, take_snapshot

    data = tmp_path / "data"
    (data / "report_text").mkdir(parents=True)
    shutil.copyfile(SAMPLE_DIR / "observations.csv", data / "observations.csv")
    (data / "report_text" / "2025-09.md").write_text("## Khó khăn\nmột\n", encoding="utf-8")
    snap = take_snapshot(DataSource(data, "given"), tmp_path / "run" / "_data")
    copied = snap / "report_text" / "2025-09.md"
    assert copied.read_text(encoding="utf-8") == "## Khó khăn\nmột\n"
    seen = DataSource(snap, "given")
    assert original_path(seen, copied) == data / "report_text" / "2025-09.md"
    assert original_path(seen, tmp_path / "x.md") == tmp_path / "x.md"  # not in the snapshot
    assert original_path(DataSource(data, "given"), copied) == copied  # not a snapshot


def test_word_placeholder_names_the_file_in_the_users_folder_not_the_runs_copy(sample,
                                                                                  tmp_path):
    from kpi_lib.inputs.snapshot import take_snapshot

    a, numbers, sections = sample
    data = tmp_path / "mine"
    data.mkdir()
    shutil.copyfile(SAMPLE_DIR / "observations.csv", data / "observations.csv")
    snap = take_snapshot(DataSource(data, "given"), tmp_path / ".tmp-run" / "_data")
    run = replace(a, dataset=replace(a.dataset, source=DataSource(snap, "given")))
    doc = Document(str(write_docx(run, numbers, sections, [], tmp_path / "r.docx")))
    placeholders = [p.text for p in doc.paragraphs if "CHƯA CÓ NỘI DUNG" in p.text]
    # the data folder's name on (never the server's absolute path), as the page says it
    assert placeholders and all("mine/report_text/2025-09.md" in p and str(tmp_path) not in p
                                and ".tmp-run" not in p for p in placeholders)
    from kpi_lib.outputs.render import analyst_html

    page = analyst_html(run)  # the HTML report says the same
    assert "mine/report_text/2025-09.md" in page and ".tmp-run" not in page


def test_published_september_report_carries_the_analysts_words(sample_report):
    """The published Word report has sections III–V from data/sample/report_text/2025-09.md
    (the run's snapshot once left it out), and the HTML report shows them too."""
    doc = Document(str(sample_report.folder / "bao-cao-2025-09.docx"))
    text = _text(doc)
    assert "CHƯA CÓ NỘI DUNG" not in text and "_data" not in text
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[2:5] == ["III. KHÓ KHĂN, VƯỚNG MẮC VÀ NGUYÊN NHÂN",
                             "IV. NHIỆM VỤ, GIẢI PHÁP NHỮNG THÁNG CUỐI NĂM", "V. KIẾN NGHỊ"]
    for words in ("Tiến độ giải ngân vốn đầu tư công còn chậm", "Tập trung tháo gỡ khó khăn",
                  "Đề nghị UBND tỉnh sớm giao dự toán"):
        assert words in text, words
    page = sample_report.html.read_text(encoding="utf-8")
    assert "Tiến độ giải ngân vốn đầu tư công còn chậm" in page and "Kiến nghị" in page
    assert "_data" not in page.split("Nguồn số liệu")[0]


def test_word_in_english(sample, tmp_path):
    a, numbers, _s = sample
    doc = Document(str(write_docx(a, numbers, narrative(a, numbers, "en"), [],
                                  tmp_path / "en.docx", "en")))
    text = _text(doc)
    assert "REPORT" in text and "OVERALL ASSESSMENT" in text and "of the plan's 22 targets" in text


# ---------------------------------------------------------------- Word as a reader sees it
def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found and shutil.which("pdftotext"):
        return found
    if os.environ.get("CI"):
        pytest.fail("CI must have LibreOffice and poppler-utils (.ci/run installs them)")
    pytest.skip("LibreOffice or pdftotext not installed (apt-get install "
                "libreoffice-writer-nogui poppler-utils); CI installs them")


@pytest.fixture(scope="module")
def pdf_pages(word, tmp_path_factory):
    soffice = _soffice()
    out = tmp_path_factory.mktemp("pdf")
    profile = (out / "profile").as_uri()  # own profile: parallel runs do not collide
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(out), str(word)], check=True, capture_output=True,
                   timeout=180)
    pdf = out / (word.stem + ".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    return pdf, [p for p in text.split("\f") if p.strip()]


def test_pdf_has_every_part_in_order(pdf_pages):
    _pdf, pages = pdf_pages
    text = " ".join(" ".join(pages).split())
    parts = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "ỦY BAN NHÂN DÂN", "Độc lập - Tự do - Hạnh phúc",
             "ngày 15 tháng 10 năm 2025", "BÁO CÁO", "Căn cứ Nghị quyết số 49/NQ-HĐND",
             "I. KẾT QUẢ THỰC HIỆN", "II. ĐÁNH GIÁ CHUNG", "III. KHÓ KHĂN",
             "IV. NHIỆM VỤ, GIẢI PHÁP", "Nơi nhận:", "TM. ỦY BAN NHÂN DÂN", "Lưu: VT, KT.",
             "Phụ lục 01", "Phụ lục 02"]
    assert all(p in text for p in parts), [p for p in parts if p not in text]
    at = 0
    for part in parts[4:]:  # the body's parts in the decree's order
        at = text.find(part, at)
        assert at >= 0, f"{part!r} is out of order"


def test_pdf_pages_are_numbered_banner_on_each_and_table_header_repeats(pdf_pages):
    _pdf, pages = pdf_pages
    assert len(pages) >= 4
    for n, page in enumerate(pages, start=1):
        assert "GIẢ LẬP" in page, f"page {n} has no synthetic banner"
        first_line = page.strip().splitlines()[0].strip()
        if n == 1:
            assert first_line != "1"
        else:
            assert first_line == str(n), f"page {n} starts with {first_line!r}"
    table_pages = [p for p in pages if "Lũy kế" in p and "Ước thực" in p]
    start = next(i for i, p in enumerate(pages) if "CÁC CHỈ TIÊU KẾ HOẠCH NĂM 2025" in p)
    end = next(i for i, p in enumerate(pages) if "BIỂU ĐỒ TÌNH HÌNH" in p)
    assert len(table_pages) >= end - start >= 2  # every page of the table has its header


def test_pdf_first_page_renders(pdf_pages, tmp_path):
    """The first page as an image (pdftoppm): used to look at the layout; here, not blank."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm not installed (poppler-utils)")
    pdf, _pages = pdf_pages
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "p")], check=True, timeout=60)
    png = next(tmp_path.glob("p*.png"))
    assert png.stat().st_size > 5000


# ---------------------------------------------------------------- Excel
@pytest.fixture(scope="module")
def book(sample, tmp_path_factory):
    a, numbers, sections = sample
    path = tmp_path_factory.mktemp("xl") / "bao-cao-2025-09.xlsx"
    return openpyxl.load_workbook(write_workbook(a, numbers, sections, path, "vi"))


def test_excel_every_sheet_has_title_and_banner(book):
    assert book.sheetnames == ["Báo cáo", "22 chỉ tiêu", "Nhận định", "Cách đánh giá",
                               "Ý kiến chuyên viên", "Số liệu", "KH 5 năm"]
    for ws in book.worksheets:
        assert ws["A1"].value.startswith("Báo cáo tình hình thực hiện chỉ tiêu"), ws.title
        assert ws["A1"].font.bold
        assert "DỮ LIỆU MẪU GIẢ LẬP" in ws["A2"].value, ws.title
        # the workbook's date, never before its figures (15/10/2025), as the report's
        assert "Báo cáo ngày 15/10/2025 (dự kiến ngày 05/10/2025" in ws["A3"].value, ws.title
        assert ws.cell(HEADER_ROW, 1).value and ws.freeze_panes == f"A{HEADER_ROW + 1}"
        assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"  # header on each printed page
        assert ws.page_setup.orientation == "landscape"


def _rows(ws) -> list[dict]:
    head = [c.value for c in ws[HEADER_ROW]]
    return [dict(zip(head, [c for c in row], strict=True))
            for row in ws.iter_rows(min_row=HEADER_ROW + 1)]


def test_excel_numbers_are_numbers_with_a_display_format(book, sample):
    _a, numbers, _s = sample
    rows = _rows(book["Báo cáo"])
    assert len(rows) == 32
    t01 = next(r for r in rows if r["Mã"].value == "T01")
    assert isinstance(t01["Lũy kế"].value, float) and t01["Lũy kế"].number_format == "#,##0.0"
    assert t01["Lũy kế"].value == pytest.approx(float(numbers.set_index("id").loc["T01", "ytd"]))
    assert t01["% kế hoạch"].number_format == "0.0%" and 0.6 < t01["% kế hoạch"].value < 0.8
    assert t01["Xác suất đạt kế hoạch"].number_format == "0.0%"  # 74,8% is not 75%
    assert t01["Chỉ tiêu"].value == "1. Tổng giá trị sản xuất" and t01["ĐVT"].value == "tỷ đồng"
    for r in rows:
        for name in ("Lũy kế", "Ước thực hiện cả năm", "Cận dưới 80%", "Kế hoạch (số)"):
            value = r[name].value
            assert value is None or isinstance(value, int | float), (r["Mã"].value, name, value)
    counts = [r for r in rows if r["ĐVT"].value == "vụ"]
    assert counts and all(r["Lũy kế"].number_format == "#,##0" for r in counts)


def test_excel_statuses_in_vietnamese_and_items_take_the_worst(book, sample):
    a, numbers, _s = sample
    mark = " (tạm đánh giá theo xu hướng)"
    labels = {a.catalog.statuses.label(s) + (mark if p else "")
              for s, p in zip(a.table["status"], a.table["provisional"], strict=True)}
    rows = _rows(book["Báo cáo"])
    assert {r["Đánh giá"].value for r in rows} == labels
    items = _rows(book["22 chỉ tiêu"])
    assert [r["STT"].value for r in items] == list(range(1, 23))
    worst = a.table.drop_duplicates("item").set_index("item")["item_status"]
    for r in items:
        assert r["Đánh giá chỉ tiêu"].value.startswith(
            a.catalog.statuses.label(worst[r["STT"].value]))
    item8 = next(r for r in items if r["STT"].value == 8)
    assert item8["Số chỉ số"].value > 1 and "T08d" in item8["Các chỉ số"].value
    assert len(items_table(a, numbers)) == 22
    methods = {r["Phương pháp ước tính"].value for r in rows}
    assert not {m for m in methods if "simulated" in m or "_" in m}, methods  # Vietnamese only


def test_excel_overrides_and_prose(book):
    over = _rows(book["Ý kiến chuyên viên"])
    assert over and over[0]["Đánh giá của chuyên viên"].value == "Có khả năng đạt"
    assert over[0]["Mã"].value == "T08d" and "(ví dụ)" in over[0]["Người đánh giá"].value
    prose = _rows(book["Nhận định"])
    assert any("ước đạt" in (r["Đánh giá chung"].value or "") for r in prose)
    data = _rows(book["Số liệu"])
    est = "Ước thực hiện cả năm"
    assert len(data) == 32 and isinstance(data[0][est].value, float)
    assert not any(isinstance(r[est].value, str) for r in data)
    assert np.isfinite(data[0][est].value)
    # Vietnamese headers and labels, never the engine's field names or group ids (#11).
    heads = [c.value for c in book["Số liệu"][HEADER_ROW]]
    assert not [h for h in heads if re.fullmatch(r"[a-z0-9_]+", str(h))], heads
    assert "economy" not in {r["Nhóm"].value for r in data}


# A text that reads as a number ("91,7%", "8,47 (4/5 năm)", "1.374"): it must be a number.
NUMBER_TEXT = re.compile(r"^-?[\d.]+(,\d+)?\s*%?$|^-?[\d.]+(,\d+)?\s*\(")


def test_every_number_in_the_workbook_is_a_formatted_number(book):
    """#11: on every sheet, a cell that reads as a number is stored as one, with a display
    format (not General); the plan's wording ("Kế hoạch 2025": "≥ 85%") stays text, its
    number beside it in "Kế hoạch (số)". The five-year sheet splits estimate and bounds."""
    bad = []
    for ws in book.worksheets:
        heads = {c.column: str(c.value) for c in ws[HEADER_ROW]}
        for row in ws.iter_rows(min_row=HEADER_ROW + 1):
            for c in row:
                v, head = c.value, heads.get(c.column, "")
                if isinstance(v, str) and NUMBER_TEXT.match(v.strip()) \
                        and not head.startswith("Kế hoạch"):
                    bad.append((ws.title, c.coordinate, head, v))
                if isinstance(v, (int, float)) and not isinstance(v, bool) \
                        and c.number_format == "General":
                    bad.append((ws.title, c.coordinate, head, v, "General"))
    assert bad == [], bad[:10]
    term = _rows(book["KH 5 năm"])
    assert term and all(isinstance(r["Ước cả kỳ"].value, float) for r in term)
    assert all(r["Khả năng đạt"].number_format == "0.0%" for r in term
               if r["Khả năng đạt"].value is not None)


def test_the_rules_are_the_same_sentences_in_html_word_and_excel(sample, word, book):
    """One function (outputs.rules.status_rule_lines), three renderings: the page's block,
    the Word appendix note, the workbook's "Cách đánh giá" sheet."""
    import html

    from kpi_lib.outputs.rules import status_rule_lines, status_rules_html

    lines = status_rule_lines(sample[0].catalog)
    assert len(lines) >= 6 and any("khoảng" in x for x in lines)
    page = html.unescape(status_rules_html(sample[0].catalog))
    paragraphs = [p.text for p in Document(str(word)).paragraphs]
    sheet = [r["Cách đánh giá"].value for r in _rows(book["Cách đánh giá"])]
    assert "Cách đánh giá:" in paragraphs and sheet == lines
    for line in lines:
        assert f"<li>{line}</li>" in page and f"- {line}" in paragraphs, line


def test_excel_carries_the_analysts_text_or_the_file_to_write(sample, book, tmp_path):
    """report_text/2025-09.md reaches the "Nhận định" sheet under its sections; without
    it, the placeholder names the real file to write, as the page does."""
    written = read_analyst_text(SAMPLE_DIR / "report_text" / "2025-09.md")
    prose = {(r["Nhóm"].value, r["Đánh giá chung"].value) for r in _rows(book["Nhận định"])}
    for key, title in (("difficulties", "Khó khăn, vướng mắc và nguyên nhân"),
                       ("proposals", "Kiến nghị")):
        assert written[key] and all((title, x) in prose for x in written[key]), key
    a, numbers, sections = sample
    elsewhere = replace(a, dataset=replace(a.dataset, source=DataSource(tmp_path, "given")))
    other = openpyxl.load_workbook(write_workbook(elsewhere, numbers, sections,
                                                  tmp_path / "x.xlsx"))
    last = _rows(other["Nhận định"])[-1]["Đánh giá chung"].value
    assert f"{tmp_path.name}/report_text/2025-09.md" in last and "chưa viết" in last
    assert str(tmp_path) not in last


def test_excel_in_english(sample, tmp_path):
    a, numbers, _s = sample
    book = openpyxl.load_workbook(write_workbook(a, numbers, narrative(a, numbers, "en"),
                                                 tmp_path / "en.xlsx", "en"))
    assert book.sheetnames[:2] == ["Report", "22 targets"]
    rows = _rows(book["Report"])
    mark = " (provisional, judged from the trend)"
    assert {r["Assessment"].value for r in rows} == {
        a.catalog.statuses.label(s, "en") + (mark if p else "")
        for s, p in zip(a.table["status"], a.table["provisional"], strict=True)}
    assert "SYNTHETIC" in book["Report"]["A2"].value


def test_export_checks_the_report_text_before_writing_anything(sample, tmp_path):
    from kpi_lib.runner.export import export_month

    a, numbers, sections = sample
    data = tmp_path / "data"
    (data / "report_text").mkdir(parents=True)
    (data / "report_text" / "2025-09.md").write_text("## Khó khăn\nx\n## Kho khan\n",
                                                      encoding="utf-8")
    elsewhere = replace(a, dataset=replace(a.dataset, source=DataSource(data, "given")))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(KpiError, match="row 3: unknown section heading"):
        export_month(elsewhere, numbers, out, "vi", sections=sections, charts=[])
    assert not list(out.iterdir())


def test_missing_libreoffice_skips_outside_ci_and_fails_in_ci(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="libreoffice-writer-nogui"):
        _soffice()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must have LibreOffice"):
        _soffice()


# ---------------------------------------------------------------- the review's Word
@pytest.fixture(scope="module")
def review_pdf(tmp_path_factory):
    """The year-end review's Word (kpi review) and the same file as LibreOffice prints it."""
    from kpi_lib.runner.review import run_review

    soffice = _soffice()
    out = tmp_path_factory.mktemp("review")
    docx = run_review(as_of="2025-12", data=str(SAMPLE_DIR), out=out).docx
    profile = (out / "profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(out), str(docx)], check=True, capture_output=True,
                   timeout=180)
    text = subprocess.run(["pdftotext", "-layout", str(out / (docx.stem + ".pdf")), "-"],
                          check=True, capture_output=True, text=True).stdout
    return docx, [p for p in text.split("\f") if p.strip()]


def test_review_word_meets_the_decree_as_the_monthly_report_does(review_pdf):
    """Nghị định 30/2020 for the review too: the example issuer says so, the căn cứ has
    number, date and issuer, the appendices carry the report's date, no "…" for a name."""
    docx, _pages = review_pdf
    doc = Document(str(docx))
    left, right = doc.tables[0].rows[0].cells
    assert "ỦY BAN NHÂN DÂN\nXÃ BÌNH SƠN" in _text(left) and "ví dụ" in _text(left)
    assert "Bình Sơn, ngày 05 tháng 01 năm 2026" in _text(right)
    text = _text(doc)
    assert "Căn cứ Nghị quyết số 49/NQ-HĐND ngày 12/12/2024" in text
    assert "Kế hoạch số 21/KH-UBND ngày 03/02/2025 của UBND huyện Bình Sơn" in text
    attached = re.findall(r"\(Kèm theo Báo cáo số .*?\)", text)
    assert attached and set(attached) == {
        "(Kèm theo Báo cáo số /BC-UBND ngày 05 tháng 01 năm 2026 của UBND xã Bình Sơn)"}
    everything = text + "\n".join(_text(c) for t in doc.tables for r in t.rows for c in r.cells)
    assert "…" not in everything and "ngày … tháng" not in everything
    signer = [p.text for p in doc.tables[-len(attached) - 1].rows[0].cells[1].paragraphs if p.text]
    assert signer == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
                      "Nguyễn Văn A (ví dụ)"]
    for table in doc.tables[1:]:  # every row whole on a page; headers repeat
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in table.rows)


def test_review_pdf_banner_page_numbers_and_signature_on_one_page(review_pdf):
    _docx, pages = review_pdf
    assert len(pages) >= 4
    for n, page in enumerate(pages, start=1):
        assert "GIẢ LẬP" in page.strip().splitlines()[-1], f"page {n}: no banner at its foot"
        first_line = page.strip().splitlines()[0].strip()
        assert (first_line != "1") if n == 1 else first_line == str(n), (n, first_line)
    signed = [p for p in pages if "Nơi nhận:" in p]
    assert len(signed) == 1
    for words in ("Trên đây là báo cáo", "TM. ỦY BAN NHÂN DÂN", "Nguyễn Văn A (ví dụ)",
                  "Lưu: VT, TĐKT."):
        assert words in signed[0], words
    assert pages.index(signed[0]) < next(i for i, p in enumerate(pages) if "Kèm theo" in p)
