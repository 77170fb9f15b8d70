"""`kpi review`: the campaign's year-end review on the sample, its HTML, Word and LibreOffice.

One review is computed for the module (year-end 2025-12 on the synthetic sample, without the
ETS model to stay fast) and checked from every side; the browser test is in
test_review_browser.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date

import pytest

from kpi_lib.common.paths import SAMPLE_DIR
from kpi_lib.engine.campaign_review import target_results
from kpi_lib.runner.review import run_review

from .conftest import edited_catalog, run_kpi


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    return run_review(as_of="2025-12", data=str(SAMPLE_DIR), out=tmp_path_factory.mktemp("r"),
                      use_ets=False, today=date(2026, 1, 5))


def test_year_end_review_says_which_figures_are_still_provisional(published):
    text = published.html.read_text(encoding="utf-8")
    assert "Tổng kết năm 2025 phong trào thi đua" in text
    assert "DỮ LIỆU MẪU GIẢ LẬP" in text
    # The sample stops in September: nothing is final, and the review says so.
    assert "gửi đến tháng 9/2025 (các tháng 10–12/2025 chưa có số liệu: là số ước tính)" in text
    assert "Còn 28 chỉ số là số ước tính, chưa có số liệu chính thức tháng 12" in text
    assert "Kết quả đã chắc chắn: 3 chỉ số đã đạt, 1 chỉ số không đạt" in text
    assert "cách hiểu của cơ quan tham mưu" in text  # the office's reading, marked


def test_year_end_scores_the_new_communes_on_rebased_history_and_shows_the_rule(published):
    text = published.html.read_text(encoding="utf-8")
    assert "Cụm thi đua các xã (từ 01/7/2025)" in text
    assert "Thành lập 01/7/2025: chấm trên số liệu quy đổi" in text
    assert "Các cụm đã kết thúc trong năm" in text  # the first-half clusters are named
    assert "Σ (trọng số × điểm theo đánh giá) ÷ Σ trọng số" in text
    assert "Chưa xếp hạng" in text  # a department without data is shown apart
    assert "Đề nghị khen thưởng" in text and "Cần tập trung chấn chỉnh" in text
    board = next(b for b in published.review.boards if b.cluster.code == "CUM_2025H2")
    assert sorted(board.rebased) == sorted(board.cluster.members)
    assert board.board.ranking["ranked"].all()
    # The sample has four commune targets with figures (T16, T19a–c): a ranking, not a coin toss.
    assert (board.board.ranking["judged"] == 4).all()
    assert board.board.ranking["score"].nunique() >= 3


def test_a_final_december_figure_is_met_or_not_met_and_others_stay_provisional(published):
    a = published.review.assessment
    table = a.table.copy()
    t01 = table["indicator_id"] == "T01"
    table.loc[t01, ["final", "status"]] = [True, "achieved"]
    rows = target_results(replace(a, table=table), published.review.campaign) \
        .set_index("indicator_id")
    assert rows.loc["T01", "final"] and not rows.loc["T01", "provisional"]
    assert rows.loc["T02", "provisional"] and not rows.loc["T02", "final"]


def test_department_page_lists_each_department_with_what_is_required(published):
    text = published.departments.read_text(encoding="utf-8")
    assert "Phòng Tài chính - Kế hoạch: chủ trì 7 chỉ số" in text
    assert "Cần đạt mỗi tháng còn lại" in text
    assert "Phòng Kinh tế, Hạ tầng và Đô thị" in text


def test_word_review_follows_the_administrative_form(published):
    from docx import Document
    from docx.enum.section import WD_ORIENT

    doc = Document(str(published.docx))
    first = doc.sections[0]
    assert round(first.page_width.cm, 1) == 21.0 and round(first.page_height.cm, 1) == 29.7
    assert round(first.left_margin.cm) == 3 and round(first.right_margin.cm) == 2
    assert first.different_first_page_header_footer  # no page number on page 1
    assert "PAGE" in first.header.paragraphs[0]._p.xml
    head = doc.tables[0].rows[0].cells
    # Issued by the body valid on the report's date (the district was abolished on 1/7/2025):
    # the sample's labelled example issuer, as for the monthly Word report.
    assert "XÃ BÌNH SƠN" in head[0].text and "HUYỆN" not in head[0].text
    assert "/BC-UBND" in head[0].text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in head[1].text
    assert "ngày 05 tháng 01 năm 2026" in head[1].text
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "BÁO CÁO" in body and "Tổng kết năm 2025" in body
    assert "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU THI ĐUA" in body
    assert "Phụ lục 01" in body  # numbered as in the monthly Word report
    assert doc.styles["Normal"].font.name == "Times New Roman"
    from docx.oxml.ns import qn

    for name in ("Heading 1", "Heading 2"):  # not the theme's sans font
        fonts = doc.styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:ascii")) == "Times New Roman"
        assert fonts.get(qn("w:asciiTheme")) is None
    assert doc.tables[0].columns[1].width.cm > 9  # the national motto on one line
    sign = "\n".join(c.text for t in doc.tables for c in t.rows[0].cells)
    assert "TM. ỦY BAN NHÂN DÂN" in sign and "Nơi nhận:" in sign and "- Lưu: VT, TĐKT." in sign
    assert any(s.orientation == WD_ORIENT.LANDSCAPE for s in doc.sections[1:])


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice is not installed "
                    "(apt-get install libreoffice-writer-nogui)")
def test_word_review_opens_in_libreoffice(published, tmp_path):
    profile = tmp_path / "lo-profile"
    run = subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                          "--convert-to", "txt:Text", "--outdir", str(tmp_path),
                          str(published.docx)], check=False, capture_output=True, text=True,
                         timeout=240,
                         env={**os.environ, "HOME": str(tmp_path)})
    out = tmp_path / published.docx.with_suffix(".txt").name
    assert run.returncode == 0 and out.exists(), run.stderr
    text = out.read_text(encoding="utf-8-sig")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Tổng kết năm 2025" in text
    assert "Cụm thi đua các xã (từ 01/7/2025)" in text


def test_english_review_on_request(published, tmp_path):
    from kpi_lib.outputs.review import review_html
    from kpi_lib.outputs.review_text import build_doc

    page = review_html(build_doc(published.review, "en"), published.review.assessment.catalog
                       .statuses)
    assert "Year-end review 2025" in page and "Proposed for commendation" in page
    assert "Đông Sơn commune" in page and "28,603.6" in page


def test_a_bad_campaign_file_is_refused_before_any_work(tmp_path):
    camp = tmp_path / "campaign.yaml"
    src = (SAMPLE_DIR.parent / "campaign" / "binh_son_2025.yaml").read_text(encoding="utf-8")
    camp.write_text(src.replace("members: [BINHSON_X,", "members: [CHAUO, BINHSON_X,"),
                    encoding="utf-8")
    cat = edited_catalog(tmp_path, lambda d: d["catalog"].update(campaign_file=str(camp)))
    run = run_kpi("review", "--as-of", "2025-12", "--catalog", cat, "--out", tmp_path / "o")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "Thị trấn Châu Ổ did not exist for the whole of CUM_2025H2" in run.stderr
    assert "campaign.yaml, row" in run.stderr and "clusters[4].members" in run.stderr
    assert not (tmp_path / "o").exists()


def test_a_target_revised_mid_year_is_scored_as_revised_and_shown(published, tmp_path):
    """T16 revised from 96 to 90 % on 15/07/2025: the communes are judged against 90, the
    breakdown names the decision, and the ranking moves."""
    from kpi_lib.engine.campaign_review import build_review
    from kpi_lib.engine.pipeline import run_assessment, unit_grid
    from kpi_lib.plan.catalog import load_catalog

    def revise(doc):
        t16 = next(i for i in doc["indicators"] if i["id"] == "T16")
        t16["revisions"] = [{"effective": "2025-07-15", "target": 90, "recorded": "2025-07-20",
                             "decision": "Nghị quyết số 99/NQ-HĐND (ví dụ)"}]

    cat = load_catalog(edited_catalog(tmp_path, revise))
    a = run_assessment(cat, str(SAMPLE_DIR), as_of="2025-12", use_ets=False)
    review = build_review(a, published.review.campaign, unit_grid(a))
    board = next(b for b in review.boards if b.cluster.code == "CUM_2025H2").board
    t16 = board.breakdown[board.breakdown["indicator_id"] == "T16"]
    assert (t16["target_value"] == 90).all()
    assert t16["revision"].str.startswith("Nghị quyết số 99/NQ-HĐND (ví dụ) (15/07/2025)").all()
    before = next(b for b in published.review.boards if b.cluster.code == "CUM_2025H2").board
    assert board.ranking["score"].sum() > before.ranking["score"].sum()


def test_department_view_for_a_monthly_report_is_a_fragment_without_scoreboards(published):
    from kpi_lib.outputs.review import department_html

    html = department_html(published.review.assessment)
    assert not html.lstrip().startswith("<!DOCTYPE") and "<body" not in html
    assert "Chỉ tiêu theo phòng, ban chủ trì – 12/2025" in html
    assert "Công an huyện: chủ trì 5 chỉ số" in html and "Cụm thi đua" not in html


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"),
                    reason="Debian's chromium is not installed (apt-get install chromium); "
                    "CI installs it")
def test_review_pages_render_in_chromium(published, tmp_path):
    """The review and the department page in a real headless Chromium (same fixture as the
    other checks: the year-end review, so no second review is computed)."""
    from playwright.sync_api import sync_playwright

    pages = ((published.html, ("Tổng kết năm 2025", "Cụm thi đua các xã (từ 01/7/2025)",
                               "đồng hạng", "Đề nghị khen thưởng", "Chưa xếp hạng",
                               "Cách đánh giá, tính điểm và xếp hạng (công khai)", "DỮ LIỆU MẪU GIẢ LẬP")),
             (published.departments, ("Chỉ tiêu theo phòng, ban chủ trì", "Công an huyện")))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for path, words in pages:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m, seen=errors: seen.append(m.text)
                    if m.type == "error" else None)
            page.on("pageerror", lambda e, seen=errors: seen.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            assert errors == []
            text = page.inner_text("body")
            for w in words:
                assert w in text
            assert page.locator("table.kpi-table").count() >= 2
            assert page.locator("td.st").count() > 0  # status colours reach the page
            shot = tmp_path / f"{path.stem}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000
            page.close()
        page = browser.new_page()
        page.goto(published.html.as_uri())
        page.click("nav a[href='#s3']")  # the contents work
        assert page.evaluate("() => location.hash") == "#s3"
        browser.close()


def _parts_sum(parts: str) -> int:
    """'3 đã đạt; 9 có khả năng đạt; 12 tạm đánh giá theo xu hướng (6 …; 4 …)' -> 24: the
    top-level counts (what is in brackets details one of them)."""
    top = re.sub(r"\([^()]*\)", "", parts)
    return sum(int(x) for x in re.findall(r"(?:^|; )(\d+) ", top))


def _detail_sum(parts: str) -> int:
    return sum(int(x) for x in re.findall(r"(?:^|; )(\d+) ", parts))


def test_every_count_sentence_adds_up_and_names_every_status(published):
    from bs4 import BeautifulSoup

    text = BeautifulSoup(published.html.read_text(encoding="utf-8"), "html.parser").get_text("\n")
    head = re.search(r"(\d+) chỉ tiêu \((\d+) chỉ số\)\. Theo chỉ tiêu \([^)]*\): (.+?)\. "
                     r"Theo chỉ số: (.+?)\.\n", text)
    assert head, "the review counts items and indicators as the monthly report does"
    items, indicators = int(head.group(1)), int(head.group(2))
    assert (items, indicators) == (22, 32)
    assert _parts_sum(head.group(3)) == items and _parts_sum(head.group(4)) == indicators
    assert "không đạt" in head.group(4)  # the ceiling already passed is counted
    for prov in re.finditer(r"(\d+) tạm đánh giá theo xu hướng \(([^)]*)\)", text):
        assert _detail_sum(prov.group(2)) == int(prov.group(1))
    depts = re.findall(r": chủ trì (\d+) chỉ số \((.+)\)\.\n", text)
    assert len(depts) >= 8
    for n, parts in depts:
        assert _parts_sum(parts) == int(n), (n, parts)
    assert sum(int(n) for n, _ in depts) == indicators
    settled = re.search(r"Kết quả đã chắc chắn: (\d+) chỉ số đã đạt, (\d+) chỉ số không đạt.*?"
                        r"Còn (\d+) chỉ số là số ước tính", text)
    assert settled and sum(map(int, settled.groups())) == indicators
    rows = published.review.targets
    assert int(settled.group(1)) == (rows["status"] == "achieved").sum()
    assert int(settled.group(2)) == (rows["status"] == "missed").sum()


def test_a_year_end_review_on_estimates_is_a_draft_everywhere(published, tmp_path):
    """DỰ THẢO on the page, in every Word page's header, in the command's output; the
    proposals titled provisional; how many judgements are estimates."""
    from docx import Document

    text = published.html.read_text(encoding="utf-8")
    assert "DỰ THẢO — 28 trong 32 chỉ số của toàn địa bàn" in text
    assert "Dự kiến đề xuất khen thưởng và đơn vị cần tập trung chấn chỉnh (tạm thời" in text
    assert "DỰ THẢO" in published.departments.read_text(encoding="utf-8")
    doc = Document(str(published.docx))
    for section in doc.sections:
        for header in (section.header, section.first_page_header):
            assert "DỰ THẢO" in "\n".join(p.text for p in header.paragraphs)
    assert published.draft.startswith("DỰ THẢO")
    # the area the figures cover, after 1 July 2025
    assert "Phạm vi số liệu: địa bàn huyện Bình Sơn" in text
    # the rule is on the page: thresholds, the "khoảng" tolerance, what "theo xu hướng" means
    assert "từ 75% trở lên" in text and "T02 từ 9,18 % trở lên" in text
    assert "Tạm đánh giá theo xu hướng" in text


def test_a_unit_breakdown_shows_its_own_figures(published):
    board = next(b for b in published.review.boards if b.cluster.code == "CUM_2025H2").board
    judged = board.breakdown[board.breakdown["judged"]]
    assert judged["estimate"].notna().all() and judged["target_value"].notna().all()
    text = published.html.read_text(encoding="utf-8")
    assert "Thực hiện / ước cả năm của đơn vị" in text and "Xác suất đạt" in text


def _board_lines(page: str, title: str) -> list[str]:
    """A cluster's ranking table as the README quotes it: 'cell | cell | …' per row, without
    the column of targets not scored (too long to quote) and without an empty last cell."""
    import html as html_module

    for found in re.finditer(re.escape(title), page):
        table = re.search(r"<table.*?</table>", page[found.start():], re.DOTALL)
        if not table or "Hạng" not in table.group(0)[:800]:
            continue
        lines = []
        for tr in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.DOTALL):
            cells = [html_module.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                     for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, re.DOTALL)]
            cells = cells[:5] + cells[6:]
            lines.append(" | ".join(cells[:-1] if cells[-1] == "" else cells))
        return lines
    return []


@pytest.fixture(scope="module")
def june(tmp_path_factory):
    """`kpi review --as-of 2025-06` as the command runs it (ETS on)."""
    return run_review(as_of="2025-06", data=str(SAMPLE_DIR), out=tmp_path_factory.mktemp("j"))


@pytest.mark.parametrize("which", ["june", "published"])
def test_review_units_plans_and_figures_are_the_monthly_reports(which, request):
    """Every indicator of the review's table has the ĐVT, plan and figure the monthly report
    of the same month prints: T04 in tỷ đồng (not "% dự toán tỉnh giao" beside 876,53), a
    yes/no target as Đạt/Chưa đạt (not 1 / 0), T01's plan 28.603,61 (not 28.603,6), and a
    settled status beside the figure it rests on (T19b: 22 counted, not the estimate 29)."""
    from kpi_lib.outputs.i18n import t
    from kpi_lib.outputs.report_table import display_table
    from kpi_lib.outputs.review_text import build_doc

    review = request.getfixturevalue(which).review
    monthly = display_table(review.assessment).set_index(
        display_table(review.assessment)[t("item")].str.split(".").str[0])
    table = build_doc(review).sections[0].blocks[-1]
    assert len(table.rows) == len(review.targets) == 32
    estimate_col, ytd_col = t("estimate"), t("ytd")
    for row in table.rows:
        iid = row[0].split(".")[0]
        m = monthly.loc[iid]
        assert row[3] == m[t("unit")], iid
        assert row[4] == m[t("plan", year=2025)], iid
        settled = row[7] in ("Chính thức", "Đã chắc chắn (số đến nay)")
        expected = m[ytd_col] if settled else m[estimate_col].split(" (")[0].removesuffix(" *")
        if expected == "–":
            expected = m[ytd_col]
        assert row[5] == expected, (iid, row[5], expected)
    by_id = {row[0].split(".")[0]: row for row in table.rows}
    assert by_id["T04"][3] == "tỷ đồng" and by_id["T01"][4] == "khoảng 28.603,61 tỷ đồng"
    assert by_id["T08d"][5] in ("Đạt", "Chưa đạt", t("scheduled_yes"))


@pytest.mark.parametrize("which", ["june", "published"])
def test_review_pages_are_dated_and_say_the_data_month_once(which, request):
    """review.html and phong-ban.html carry the Word's date and the day the figures run to
    (report_setup.setup_date_note); the căn cứ names the month the figures reach once, and
    which later months are estimates, never "gửi đến tháng 12" beside "đến tháng 9"."""
    import docx

    pub = request.getfixturevalue(which)
    a = pub.review.assessment
    latest = a.dataset.latest_month(a.unit)
    word = " ".join(p.text for p in docx.Document(str(pub.docx)).paragraphs)
    day = re.search(r"ngày (\d\d) tháng (\d+) năm (\d{4})", " ".join(
        c.text for t in docx.Document(str(pub.docx)).tables[:1] for r in t.rows
        for c in r.cells)).groups()
    dated = f"Báo cáo ngày {day[0]}/{int(day[1]):02d}/{day[2]}."
    for page in (pub.html, pub.departments):
        text = page.read_text(encoding="utf-8")
        assert dated in text and "Số liệu (kể cả số điều chỉnh và ý kiến chuyên viên) cập " \
            "nhật đến ngày" in text, page.name
        assert f"gửi đến tháng {latest}/2025" in text
        assert text.count("gửi đến tháng") == 1 and "Số liệu mới nhất" not in text
        if latest < a.as_of:
            assert f"{a.as_of}/2025 chưa có số liệu" in text
        else:
            assert "chưa có số liệu: là số ước tính" not in text
        # after 1 July 2025 (June's review is dated 05/07) the scope is said, honestly
        assert "Phạm vi số liệu" in text
        assert "Xã Đông Sơn (không tính phần Xã Tịnh Hòa từ ngoài địa bàn)" in text
    assert "cập nhật đến ngày" in word and f"gửi đến tháng {latest}/2025" in word


def test_readme_review_excerpt_is_what_kpi_review_publishes(june):
    """Claims generated, not copied: the README's rankings of `kpi review --as-of 2025-06`
    are the published page's, row for row (same judgements as the command: ETS on)."""
    from kpi_lib.common.paths import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("Excerpt of `kpi review --as-of 2025-06`", 1)[1]
    block = block.split("```text\n", 1)[1].split("```", 1)[0]
    quoted = [line for line in block.splitlines() if " | " in line]
    review = june
    page = review.html.read_text(encoding="utf-8")
    published = [*_board_lines(page, "Cụm thi đua số 2 (trung tâm)"),
                 *_board_lines(page, "Khối thi đua văn hóa - xã hội, nội chính")]
    assert quoted and quoted == published, "README review excerpt is stale: paste the rows " \
        "the review now publishes"
