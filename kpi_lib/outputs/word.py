"""The Word report (.docx, python-docx): a report the office can sign and issue as it is.

Laid out as Nghị định 30/2020/NĐ-CP asks of an administrative report (summary in
../shared/report-format.md): issuer and number left, national motto right, both with rules;
place and date; "BÁO CÁO" and its subject; the căn cứ (the plan reported on); results by
field (the generated narrative); an overall assessment (counts by status, from the numbers);
difficulties, tasks and proposals (the analyst's text, `analyst_text`, or a visible
placeholder); signature and "Nơi nhận"; then the table and charts as appendices on landscape
pages, the table header repeated on each page. Times New Roman, black headings, page
numbers centred at the top from page 2, the synthetic-data banner in every page's footer.
Issuer, number, place, date and recipients come from `settings.report` (`report_setup`),
never from the run: a report re-run later must be the same document. The date is the planned
one unless the figures it uses came later (`setup_for`: then their day, said after the căn
cứ); the rules a status is decided by follow the appendix table (`rules.status_rule_lines`).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from ..common.files import replace_file
from ..engine.assess import items_table, status_counts
from ..engine.pipeline import Assessment
from .analyst_text import analyst_file_shown, read_analyst_text
from .i18n import t
from .report_setup import (
    ReportSetup,
    analyst_text_path,
    data_received_on,
    month_vi,
    setup_date_note,
    setup_for,
    unit_scope,
    vi_date,
)
from .report_table import display_table
from .rules import RULES, scope_text, status_rule_lines

FONT = "Times New Roman"
BLACK = RGBColor(0, 0, 0)
BODY_PT = 14

# Words of the document, Vietnamese first; English for lang="en" reports.
WORDS = {
    "vi": {
        "motto1": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "motto2": "Độc lập - Tự do - Hạnh phúc",
        "title": "BÁO CÁO", "basis": "Căn cứ {basis}; {issuer} báo cáo tình hình thực hiện "
        "{period} như sau:",
        "results": "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU", "overall": "ĐÁNH GIÁ CHUNG",
        "difficulties": "KHÓ KHĂN, VƯỚNG MẮC VÀ NGUYÊN NHÂN",
        "tasks": "NHIỆM VỤ, GIẢI PHÁP NHỮNG THÁNG CUỐI NĂM",
        "tasks_dec": "NHIỆM VỤ, GIẢI PHÁP THỜI GIAN TỚI", "proposals": "KIẾN NGHỊ",
        "placeholder": "[CHƯA CÓ NỘI DUNG — chuyên viên viết phần này vào tệp {file}, mục "
                       "“## {heading}”; xem README.]",
        "closing": "Trên đây là báo cáo tình hình thực hiện {period} của {issuer}./.",
        "recipients": "Nơi nhận:", "appendix": "Phụ lục {n:02d}",
        "table_title": "TÌNH HÌNH THỰC HIỆN CÁC CHỈ TIÊU KẾ HOẠCH NĂM {year}",
        "charts_title": "BIỂU ĐỒ TÌNH HÌNH THỰC HIỆN CÁC CHỈ TIÊU NĂM {year}",
        "attached": "(Kèm theo Báo cáo số {number} {date} của {issuer})",
        "example": "(ví dụ — thay trong settings.report)",
        "sign_title": "[THẨM QUYỀN KÝ]", "sign_name": "[Họ và tên người ký]",
        "table_note": "Khoảng trong ngoặc: khoảng tin cậy 80% của ước thực hiện cả năm; "
                      "* {low_conf}.",
        "overall_items": "Đến hết tháng {month}/{year}, trong {items} chỉ tiêu ({n} chỉ số) của "
                         "Kế hoạch: {parts}.",
        "overall_ind": "Theo từng chỉ số: {parts}.",
        "overall_note": "Một chỉ tiêu gồm nhiều chỉ số được đánh giá theo chỉ số kém nhất. "
                        "Số liệu chi tiết và cách đánh giá tại Phụ lục 01.",
        "unit_word": "chỉ tiêu", "ind_word": "chỉ số",
    },
    "en": {
        "motto1": "SOCIALIST REPUBLIC OF VIETNAM", "motto2": "Independence - Freedom - Happiness",
        "title": "REPORT", "basis": "Pursuant to {basis}, {issuer} reports on progress "
        "{period} as follows:",
        "results": "RESULTS BY TARGET", "overall": "OVERALL ASSESSMENT",
        "difficulties": "DIFFICULTIES AND CAUSES",
        "tasks": "TASKS FOR THE REST OF THE YEAR", "tasks_dec": "TASKS AHEAD",
        "proposals": "PROPOSALS",
        "placeholder": "[NOT WRITTEN YET — the analyst writes this part in {file}, section "
                       "“## {heading}”; see README.]",
        "closing": "This concludes the report of {issuer} on progress {period}.",
        "recipients": "To:", "appendix": "Appendix {n:02d}",
        "table_title": "PROGRESS ON THE {year} PLAN TARGETS",
        "charts_title": "CHARTS OF THE {year} PLAN TARGETS",
        "attached": "(Attached to report {number} of {date}, {issuer})",
        "example": "(an example — replace in settings.report)",
        "sign_title": "[SIGNING AUTHORITY]", "sign_name": "[Signer's full name]",
        "table_note": "In brackets: the 80% interval of the year-end estimate; "
                      "* {low_conf}.",
        "overall_items": "At the end of {month}/{year}, of the plan's {items} targets ({n} "
                         "indicators): {parts}.",
        "overall_ind": "By indicator: {parts}.",
        "overall_note": "A target with several indicators takes its worst indicator's status. "
                        "Details and how a status is decided in Appendix 01.",
        "unit_word": "targets", "ind_word": "indicators",
    },
}
HEADINGS_VI = {"difficulties": "Khó khăn, vướng mắc", "tasks": "Nhiệm vụ, giải pháp",
               "proposals": "Kiến nghị"}


def period_words(month: int, year: int, lang: str) -> str:
    """'9 tháng đầu năm 2025', 'tháng 01 năm 2025', 'năm 2025' (the report's subject)."""
    if lang == "en":
        return f"to {month:02d}/{year}" if month < 12 else f"in {year}"
    if month == 1:
        return f"tháng {month_vi(1)} năm {year}"
    return f"{month} tháng đầu năm {year}" if month < 12 else f"năm {year}"


def write_docx(a: Assessment, numbers: pd.DataFrame, sections, charts: list[tuple[bytes, str]],
               path: str | Path, lang: str = "vi") -> Path:
    """Write the report; returns its path. Settings are checked first; the file is saved under
    a temporary name and renamed, so it is never half-written."""
    setup = setup_for(a)  # dated not before the figures it uses
    text_file = analyst_text_path(a.dataset.source.path, a.period, a.unit, a.catalog.default_unit)
    analyst = read_analyst_text(text_file)
    w = WORDS["en" if lang == "en" else "vi"]
    synthetic = bool(a.dataset.source.synthetic)
    doc = Document()
    styles(doc)
    first = doc.sections[0]
    page(first, landscape=False)
    header_footer(first, synthetic, lang, first_page=True)

    title_block(doc, setup, w, lang)
    subject = _subject(a, lang)
    centred(doc, w["title"], bold=True, before=12)
    centred(doc, subject, bold=True)
    rule(doc.add_paragraph(), Cm(6.5), Cm(6.5))
    doc.paragraphs[-1].paragraph_format.space_after = Pt(6)
    name, scope = unit_scope(a.catalog, a.dataset.registry, a.unit, lang)
    if name:  # a unit's report: the unit, and how it stands to the plan's area
        centred(doc, name, bold=True)
        if scope:
            centred(doc, f"({scope})", bold=False, size=12).runs[0].italic = True
    if synthetic:
        p = centred(doc, t("synthetic", lang), bold=True, size=12, before=6)
        p.runs[0].italic = True
    period = period_words(a.as_of, a.catalog.year, lang)
    body(doc, w["basis"].format(basis=setup.basis, issuer=setup.issuer.short, period=period))
    body(doc, setup_date_note(setup, data_received_on(a), lang, dated=False))
    scope = scope_text(a, setup.report_date, lang)  # what the figures cover after 1/7/2025
    if scope:
        body(doc, scope)

    numerals = iter(["I", "II", "III", "IV", "V", "VI"])
    heading(doc, f"{next(numerals)}. {w['results']}", 1)
    for n, section in enumerate(sections, start=1):
        heading(doc, f"{n}. {section.title}", 2)
        body(doc, section.opening)
        for sentence in section.sentences:
            body(doc, f"- {sentence}")
    heading(doc, f"{next(numerals)}. {w['overall']}", 1)
    for text in overall(a, lang):
        body(doc, text)
    tasks = "tasks" if a.as_of < 12 else "tasks_dec"
    for key, title in (("difficulties", w["difficulties"]), ("tasks", w[tasks]),
                       ("proposals", w["proposals"])):
        if key == "proposals" and key not in analyst:
            continue  # proposals are optional; difficulties and tasks are not
        heading(doc, f"{next(numerals)}. {title}", 1)
        paragraphs = analyst.get(key) or []
        if not paragraphs:
            p = body(doc, w["placeholder"].format(file=analyst_file_shown(a, text_file),
                                                   heading=HEADINGS_VI[key]))
            p.runs[0].bold = True
            p.runs[0].font.highlight_color = 7  # yellow: impossible to miss when proofreading
        for text in paragraphs:
            body(doc, text)
    closing = body(doc, w["closing"].format(period=period, issuer=setup.issuer.short))
    closing.paragraph_format.space_after = Pt(12)
    signature(doc, setup, w)

    attached = w["attached"].format(number=setup.number.removeprefix("Số: ").strip(),
                                    date=vi_date(setup.report_date) if lang != "en"
                                    else f"{setup.report_date:%d/%m/%Y}",
                                    issuer=setup.issuer.short)
    wide = doc.add_section()
    page(wide, landscape=True)
    wide.different_first_page_header_footer = False  # add_section copied page 1's setting
    appendix_title(doc, w["appendix"].format(n=1),
                    w["table_title"].format(year=a.catalog.year), attached)
    _table(doc, display_table(a, lang, numbers), wide, lang, a.catalog.year)
    # The "*" says what it says on the page (i18n low_conf): one meaning, one text.
    for n, text in enumerate([w["table_note"].format(low_conf=t("low_conf", lang)), RULES["en" if lang == "en" else "vi"]["title"] + ":",
                              *status_rule_lines(a.catalog, lang)]):
        note = body(doc, text if n < 2 else f"- {text}", indent=False)
        note.runs[0].italic, note.runs[0].font.size = True, Pt(11)
        note.paragraph_format.space_after = Pt(2)
        if n == 1:  # "Cách đánh giá:" heads the rules, set apart from the table's note
            note.runs[0].bold = True
            note.paragraph_format.space_before = Pt(6)
    if charts:
        doc.add_page_break()
        appendix_title(doc, w["appendix"].format(n=2),
                        w["charts_title"].format(year=a.catalog.year), attached)
        for png, alt in charts:
            _picture(doc, png, wide)
            if alt:
                cap = centred(doc, alt, bold=False, size=11)
                cap.runs[0].italic = True

    props = doc.core_properties
    props.author = props.last_modified_by = setup.issuer.short
    props.title = f"{w['title'].capitalize()} {subject}"
    props.subject = subject
    props.category = "Báo cáo" if lang != "en" else "Report"
    props.keywords = f"{a.catalog.meta.get('id', '')}; {a.period}"
    comments = t("synthetic", lang) if synthetic else setup.basis
    props.comments = comments if len(comments) <= 255 else comments[:254] + "…"  # Word's limit
    path = Path(path)
    replace_file(path, doc.save)  # whole or not at all
    return path


def overall(a: Assessment, lang: str = "vi") -> list[str]:
    """The overall assessment as sentences: how many items and indicators per status label,
    in the scale's order (labels as configured; merged labels count once), trend-based
    judgements counted apart as everywhere else."""
    w = WORDS["en" if lang == "en" else "vi"]
    scale = a.catalog.statuses
    items = items_table(a.table, a.catalog)
    order = [label for label, _c, _s in scale.levels(lang)]

    def parts(frame: pd.DataFrame, word: str) -> str:
        measured, provisional = Counter(), Counter()
        for counts, into in zip(status_counts(frame), (measured, provisional), strict=True):
            for status, n in counts.items():
                into[scale.label(status, lang)] += n
        text = "; ".join(f"{measured[label]} {word} {label.lower()}" for label in order
                         if measured[label])
        if sum(provisional.values()):
            text += f"; {t('provisional', lang)}: " + ", ".join(
                f"{provisional[label]} {label.lower()}" for label in order if provisional[label])
        return text

    return [w["overall_items"].format(month=a.as_of if lang == "en" else month_vi(a.as_of),
                                      year=a.catalog.year, items=len(items), n=len(a.table),
                                      parts=parts(items, w["unit_word"])),
            w["overall_ind"].format(parts=parts(a.table, w["ind_word"])),
            w["overall_note"]]


def _subject(a: Assessment, lang: str) -> str:
    if lang == "en":
        return f"Progress on the {a.catalog.year} socio-economic plan, " + \
            period_words(a.as_of, a.catalog.year, lang)
    return ("Tình hình thực hiện kế hoạch phát triển kinh tế - xã hội "
            + period_words(a.as_of, a.catalog.year, lang))


# --- layout helpers -------------------------------------------------------------------------

def _fonts(rpr_parent, size: int | None = None, bold: bool | None = None) -> None:
    """Times New Roman for every script (ascii, hAnsi, east Asian, complex), theme fonts off,
    black: Word's built-in heading styles otherwise use the theme's blue Calibri Light."""
    font = rpr_parent.font
    font.name = FONT
    font.color.rgb = BLACK
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = rpr_parent.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def styles(doc) -> None:
    normal = doc.styles["Normal"]
    _fonts(normal, BODY_PT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1
    for name, size in (("Heading 1", BODY_PT), ("Heading 2", BODY_PT), ("Title", BODY_PT)):
        style = doc.styles[name]
        _fonts(style, size, bold=True)
        style.font.italic = False
        style.paragraph_format.space_before = Pt(6)
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True


def page(section, landscape: bool) -> None:
    """A4; margins within the decree's ranges (top/bottom 20 mm, left 30 mm, right 20 mm)."""
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
        section.left_margin = section.right_margin = Cm(2.0)
    else:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin, section.right_margin = Cm(3.0), Cm(2.0)
    section.top_margin = section.bottom_margin = Cm(2.0)
    section.header_distance = section.footer_distance = Cm(1.0)


def page_number_field(p, size: int = 13) -> None:
    """A centred PAGE field, one run per field part as Word writes them (the monthly report
    and the campaign review share it)."""
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        run = p.add_run()
        run.font.size = Pt(size)
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def header_footer(section, synthetic: bool, lang: str, first_page: bool) -> None:
    """Page number centred in the top margin, not on page 1; the synthetic banner in every
    footer (later sections link to these)."""
    section.different_first_page_header_footer = first_page
    page_number_field(section.header.paragraphs[0])
    if synthetic:
        for footer in (section.footer, section.first_page_footer):
            f = footer.paragraphs[0]
            f.alignment = WD_ALIGN_PARAGRAPH.CENTER
            r = f.add_run(t("synthetic", lang))
            r.bold, r.italic, r.font.size = True, True, Pt(10)


# The elements that follow w:pBdr inside w:pPr (ECMA-376 CT_PPrBase order).
_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
               "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
               "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
               "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
               "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
               "w:rPr", "w:sectPr", "w:pPrChange")


def rule(paragraph, left, right) -> None:
    """A horizontal line (bottom border of an empty 2 pt paragraph) indented to `left` and
    `right`, so it is centred and as long as asked."""
    fmt = paragraph.paragraph_format
    fmt.left_indent, fmt.right_indent = left, right
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(2)
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "000000")):
        bottom.set(qn(f"w:{key}"), value)
    border.append(bottom)
    ppr.insert_element_before(border, *_AFTER_PBDR)  # schema order: Word rejects it elsewhere


def _cell_line(cell, text: str, size: int, bold=False, italic=False, first=False):
    p = cell.paragraphs[0] if first else cell.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.line_spacing = 1.0
    run = p.add_run(text)
    run.bold, run.italic, run.font.size = bold, italic, Pt(size)
    return p


def title_block(doc, setup: ReportSetup, w: dict, lang: str) -> None:
    """Issuer (superior body, issuing body, short rule, number) left; motto (rule as long as
    the line) and place, date right."""
    head = doc.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    head.autofit = False
    set_widths(head, [Cm(6.0), Cm(10.0)])  # the text width: 21 - 3 - 2 cm
    left, right = head.rows[0].cells
    issuer = setup.issuer
    if issuer.parent:
        _cell_line(left, issuer.parent, 13, first=True)
        _cell_line(left, issuer.name, 13, bold=True)
    else:
        _cell_line(left, issuer.name, 13, bold=True, first=True)
    rule(left.add_paragraph(), Cm(2.0), Cm(2.0))
    if issuer.example:
        _cell_line(left, w["example"], 9, italic=True)
    _cell_line(left, setup.number, 13).paragraph_format.space_before = Pt(6)
    _cell_line(right, w["motto1"], 13, bold=True, first=True)
    _cell_line(right, w["motto2"], 14, bold=True)
    rule(right.add_paragraph(), Cm(1.75), Cm(1.75))
    when = vi_date(setup.report_date) if lang != "en" else f"{setup.report_date:%d/%m/%Y}"
    _cell_line(right, f"{setup.place}, {when}", 14, italic=True).paragraph_format.space_before \
        = Pt(6)


def centred(doc, text: str, bold=True, size=BODY_PT, before=0):
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_before = Pt(before)
    p.paragraph_format.space_after = Pt(0)
    run = p.add_run(text)
    run.bold, run.font.size = bold, Pt(size)
    return p


def body(doc, text: str, indent: bool = True):
    p = doc.add_paragraph(text)
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if indent:
        p.paragraph_format.first_line_indent = Cm(1.0)
    return p


def heading(doc, text: str, level: int):
    p = doc.add_heading(text, level=level)
    p.alignment = WD_ALIGN_PARAGRAPH.LEFT
    if level > 1:
        p.paragraph_format.first_line_indent = Cm(1.0)
    return p


def signature(doc, setup: ReportSetup, w: dict) -> None:
    """Nơi nhận left (one recipient a line, '- …;', the last ending with '.'); the signature
    right: on behalf of, deputy, title, room for signature and seal, name. One row that
    cannot split, kept with the closing paragraph before it: the block is never cut by a
    page break, and never left alone on a page without the report's last words."""
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1, cols=2)
    table.autofit = False
    set_widths(table, [Cm(7.5), Cm(8.5)])
    row_flags(table.rows[0], header=False)
    left, right = table.rows[0].cells
    p = left.paragraphs[0]
    p.paragraph_format.space_after = Pt(0)
    run = p.add_run(w["recipients"])
    run.bold, run.italic, run.font.size = True, True, Pt(12)
    lines = setup.recipients
    for n, name in enumerate(lines):
        q = left.add_paragraph()
        q.paragraph_format.space_after = Pt(0)
        q.paragraph_format.line_spacing = 1.0
        q.add_run(f"- {name}{'.' if n == len(lines) - 1 else ';'}").font.size = Pt(11)
    issuer = setup.issuer
    signer = [s for s in (issuer.on_behalf, issuer.deputy, issuer.signer_title) if s]
    name = issuer.signer
    if not signer:  # no signing lines set: show where they go rather than leave a blank
        signer, name = [w["sign_title"]], name or w["sign_name"]
    for n, text in enumerate(signer):
        _cell_line(right, text.upper(), 14, bold=True, first=n == 0)
    for _ in range(4):
        _cell_line(right, "", 14)
    if name:
        _cell_line(right, name, 14, bold=True)


def appendix_title(doc, label: str, title: str, attached: str) -> None:
    centred(doc, label, bold=True)
    centred(doc, title, bold=True)
    p = centred(doc, attached, bold=False, size=13)
    p.runs[0].italic = True
    p.paragraph_format.space_after = Pt(6)


def _table(doc, frame: pd.DataFrame, section, lang: str, year: int) -> None:
    """The report table, names and judgement given room, figures sharing the rest (a narrow
    judgement column made rows so tall that pages were left half empty)."""
    # The plan column holds "01 trường", "1.600 người": with the unit bound to its number
    # it needs room for both, or the unit itself would be cut mid-word.
    weight = {t("item", lang): 2.5, t("unit", lang): 1.25, t("estimate", lang): 1.3,
              t("status", lang): 1.2, t("p_meet", lang): 1.0, t("judgement", lang): 1.75,
              t("plan", lang, year=year): 1.9}
    words = {t(k, lang) for k in ("item", "unit", "status", "judgement")}
    grid(doc, list(frame.columns), frame.astype(str).to_numpy().tolist(), section,
         [weight.get(str(name), 1.0) for name in frame.columns],
         {c for c, name in enumerate(frame.columns) if name in words})


# A number and the word after it ("28.603,61 tỷ đồng", "12 xã", "95,5 %") stay on one line,
# and so do the words of a money unit ("tỷ đồng").
_NUMBER_UNIT = re.compile(r"(?<=\d) (?=[^\s\d–(])|(?:(?<=tỷ)|(?<=triệu)|(?<=nghìn)) (?=đồng|USD)")


def keep_units(text: str) -> str:
    """`text` with a no-break space between each number and its unit, so a narrow table
    cell never leaves "28.603,61" on one line and "tỷ đồng" on the next."""
    return _NUMBER_UNIT.sub("\u00a0", text)


def grid(doc, head: list[str], rows: list[list[str]], section, weights: list[float],
         left: set[int]) -> None:
    """A table as wide as `section`'s text, column widths by `weights`; the header row repeats
    on every page, rows never split, numbers keep their units, text columns (`left`) align
    left and figures right. Built in one go (all rows at once, a paragraph style for the 9 pt
    text): row by row with run-level fonts took over a second."""
    style_id = table_style(doc).style_id
    ncols = len(head)
    table = doc.add_table(rows=len(rows) + 1, cols=ncols)
    table.style = "Table Grid"
    usable = section.page_width - section.left_margin - section.right_margin
    widths = [int(usable * w / sum(weights)) for w in weights]
    cells = table._cells
    for r, row in enumerate([head, *rows]):
        row_flags(table.rows[r], header=r == 0)
        for c, value in enumerate(row):
            cell = cells[r * ncols + c]
            cell.width = widths[c]
            para = cell.paragraphs[0]
            para._p.style = style_id  # the public setter looks the style up each time (slow)
            run = para.add_run(keep_units(str(value)))
            if r == 0:
                run.bold = True
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                para.alignment = WD_ALIGN_PARAGRAPH.LEFT if c in left else \
                    WD_ALIGN_PARAGRAPH.RIGHT
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    table.autofit = False

def table_style(doc):
    """A 9 pt paragraph style for table cells, made once."""
    from docx.enum.style import WD_STYLE_TYPE

    name = "KPI bảng"
    if name in [s.name for s in doc.styles]:
        return doc.styles[name]
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.font.size = Pt(9)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.line_spacing = 1.0
    return style


def set_widths(table, widths: list) -> None:
    """Column widths that Word and LibreOffice both honour: the grid and every cell."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def row_flags(row, header: bool) -> None:
    trpr = row._tr.get_or_add_trPr()
    flags = ["w:cantSplit"] + (["w:tblHeader"] if header else [])
    for flag in flags:
        el = OxmlElement(flag)
        el.set(qn("w:val"), "true")
        trpr.append(el)


# Charts are drawn at 90 dpi; this many pixels fill the landscape page's 24 cm. A one-panel
# chart (648 px) is printed at the same scale as a two-panel one, not blown up to the page.
_FULL_WIDTH_PX = 1000


def _picture(doc, png: bytes, section) -> None:
    """A chart at one scale for all (its text the same size in every chart), at most as wide
    as the page, never taller than the page."""
    from PIL import Image

    pixels = Image.open(io.BytesIO(png)).width
    doc.add_picture(io.BytesIO(png), width=int(Cm(24) * min(1.0, pixels / _FULL_WIDTH_PX)))
    shape = doc.inline_shapes[-1]
    tallest = section.page_height - section.top_margin - section.bottom_margin - Cm(3)
    if shape.height > tallest:
        ratio = tallest / shape.height
        shape.height, shape.width = int(tallest), int(shape.width * ratio)
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
