"""The term review as a reader sees it: the HTML in Chromium at 1366 and 390 px, the Word
through LibreOffice, and the monthly report's section and Excel sheet from one assessment."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kpi_lib.runner.example import term_example_dir
from kpi_lib.runner.term import assess_term, write_term

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def review(tmp_path_factory):
    """The real example's term review as of December 2026 (HTML and Word), read from a copy
    in a deep folder: the page names its data folder, and a CI checkout's long path once
    widened the phone page by 11 px."""
    deep = tmp_path_factory.mktemp("term_data") / ("thu_muc_so_lieu_" * 6) / "vn_2021_2025"
    shutil.copytree(term_example_dir(), deep)
    run = assess_term(data=str(deep), as_of="2026-12")
    html, docx = write_term(run, tmp_path_factory.mktemp("term"), "html")
    return run, html, docx


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
def test_term_review_reads_in_chromium(review, width, tmp_path):
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    _run, html, _docx = review
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(html.as_uri())
        assert errors == []
        text = page.inner_text("body")
        for words in ("Nhiệm kỳ 2021–2025", "Nhiệm kỳ 2026–2030", "Không đạt", "Đã đạt",
                      "thiếu số liệu", "bình quân nhân", "không phải bình quân cộng",
                      "các năm 2026–2030 cần bình quân 10,00%/năm", "khoảng 6,5–7%/năm"):
            assert words in text, words
        # the page never scrolls sideways: wide tables scroll inside their own region
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        for box in page.locator("div.wrap").all():
            assert box.bounding_box()["width"] <= width
        shot = tmp_path / f"term_{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000
        browser.close()


def test_term_review_word_through_libreoffice(review, tmp_path):
    if not (SOFFICE and shutil.which("pdftotext")):
        pytest.skip("LibreOffice or pdftotext not installed")
    _run, _html, docx = review
    profile = (tmp_path / "profile").as_uri()
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(docx)], check=True,
                   capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / (docx.stem + ".pdf")), "-"],
                          check=True, capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    parts = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO",
             "Căn cứ Nghị quyết số 16/2021/QH15", "I. KẾT QUẢ THỰC HIỆN",
             "II. ĐÁNH GIÁ CHUNG", "Nơi nhận:", "Phụ lục 01", "Nhiệm kỳ 2021–2025",
             "Nhiệm kỳ 2026–2030"]
    at = 0
    for part in parts:  # every part, in the decree's order
        at = flat.find(part, at)
        assert at >= 0, f"{part!r} missing or out of order"
    assert "6,13% — Không đạt" in flat and "5.026 USD — Đã đạt" in flat


def test_one_assessment_many_renderings(review):
    run, html, docx = review
    from docx import Document

    page = html.read_text(encoding="utf-8")
    words = " ".join(p.text for p in Document(str(docx)).paragraphs)
    for r in run.frame.itertuples(index=False):
        if r.status in ("missed", "achieved"):
            continue
        shown = f"{r.p_meet * 100:.1f}%".replace(".", ",")
        assert shown in page and shown in words


def test_monthly_section_and_excel_sheet_come_from_the_reports_assessment(sample_report):
    import openpyxl

    page = sample_report.html.read_text(encoding="utf-8")
    assert "Chỉ tiêu kế hoạch 5 năm" in page and "(ví dụ)" in page
    book = openpyxl.load_workbook(next(sample_report.folder.glob("*.xlsx")))
    rows = list(book["KH 5 năm"].iter_rows(values_only=True))
    head = next(n for n, row in enumerate(rows) if row[0] == "Nhiệm kỳ")
    from kpi_lib.common.numbers import format_number

    cols = [rows[head].index(c) for c in ("Ước cả kỳ", "Cận dưới 80%", "Cận trên 80%")]
    shown = [[row[c] for c in cols] for row in rows[head + 1:]]
    assert len(shown) == 5
    for est, lo, hi in shown:  # numbers in the sheet, the same figures as the page's
        assert all(isinstance(v, float) for v in (est, lo, hi))
        digits = 0 if abs(est) >= 1000 else 2
        assert (f"{format_number(est, digits)} ({format_number(lo, digits)}–"
                f"{format_number(hi, digits)})") in page


def test_the_term_review_is_not_dated_before_its_figures(review, tmp_path):
    """Like the monthly report (report_setup.issue_date): HTML and Word carry the planned
    date, or the day the figures they use came, whichever is later, and say so."""
    from datetime import date

    import docx

    from kpi_lib.outputs.report_setup import received_by
    from kpi_lib.outputs.term_review import term_html, write_term_docx

    run, html, word = review
    assert received_by(run.dataset) == date(2026, 1, 5)  # the GSO 2025 figure's day
    page = html.read_text(encoding="utf-8")
    text = " ".join(p.text for p in docx.Document(str(word)).paragraphs)
    assert "Báo cáo ngày 05/01/2027." in page and "cập nhật đến ngày 05/01/2026" in page
    assert "ngày 05 tháng 01 năm 2027" in text and "cập nhật đến ngày 05/01/2026" in text
    late = date(2027, 2, 1)  # a figure received after the planned day moves both documents
    page = term_html(run.results, run.catalog, run.as_of, False, "x", late)
    assert "Báo cáo ngày 01/02/2027 (dự kiến ngày 05/01/2027, lùi lại" in page
    moved = write_term_docx(run.results, run.catalog, run.as_of, False, tmp_path / "t.docx", late)
    text = " ".join(p.text for p in docx.Document(str(moved)).paragraphs)
    assert "ngày 01 tháng 02 năm 2027" in text and "ngày 05 tháng 01 năm 2027" not in text
    assert "báo cáo dự kiến ngày 05/01/2027, lùi lại" in text


def test_the_term_review_says_what_it_judges_and_who_signs_without_server_paths(review):
    """The page and Word say the month judged apart from the data's day, with the year
    still without figures; the title writes the month as 12/2026; the data folder is named,
    never its server path; the Word's issuer and signature are visible placeholders of an
    example (not "KPI WORKBENCH" and no empty signature block)."""
    import re

    import docx

    run, html, word = review
    page = html.read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert title.endswith("– 12/2026") and "2026-12" not in title
    assert ("Đánh giá đến tháng 12/2026 (năm 2026 chưa có số liệu; năm gần nhất có số liệu: "
            "2025); thư mục số liệu: vn_2021_2025.") in page
    assert "Số liệu đến tháng 12/2026" not in page
    assert str(run.dataset.source.path) not in page and "thu_muc_so_lieu_" not in page
    document = docx.Document(str(word))
    text = " ".join(p.text for p in document.paragraphs)
    cells = " ".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "đánh giá đến tháng 12/2026 (năm 2026 chưa có số liệu" in text
    assert "thu_muc_so_lieu_" not in text + cells and "WORKBENCH" not in cells
    assert "[CƠ QUAN BAN HÀNH]" in cells and "(ví dụ — thay trong settings.report)" in cells
    assert "[THẨM QUYỀN KÝ]" in cells and "[Họ và tên người ký]" in cells
