"""The campaign review as a self-contained HTML page and as a Word report.

Both render the same `Doc` (kpi_lib.outputs.review_text). The Word file follows the form of
an administrative report (Nghị định 30/2020/NĐ-CP, ../shared/report-format.md): A4 portrait,
Times New Roman, the two-column header, "BÁO CÁO" and its subject, the căn cứ, sections in
Roman numerals, the signature block and "Nơi nhận", page numbers from the second page; the
wide detail tables go in an appendix on landscape pages.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

from .review_text import Doc, Section, Table

FONT = "Times New Roman"

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
CSS = """<style>
body{font-family:'Times New Roman',serif;max-width:1200px;margin:16px auto;padding:0 12px}
.kpi-banner{background:#fff3cd;border:2px solid #d39e00;padding:10px 14px;margin:8px 0;
 font-weight:bold;color:#6b4e00;border-radius:4px}
.kpi-table{border-collapse:collapse;font-size:14px;margin:6px 0 14px}
.kpi-table th,.kpi-table td{border:1px solid #bbb;padding:4px 6px;vertical-align:top}
.kpi-table th{background:#eef3f8}
.kpi-table td.st{border-left:6px solid var(--c)}
.kpi-draft{border:3px double #8e1b1b;color:#8e1b1b;padding:10px 14px;margin:8px 0;font-weight:bold}
.kpi-draft-mark{position:fixed;top:0;right:0;background:#8e1b1b;color:#fff;padding:2px 10px;
 font-weight:bold;letter-spacing:2px}
nav ul{columns:2}
.kpi-scroll{overflow-x:auto;max-width:100%}
@media (max-width:600px){nav ul{columns:1}}
</style>"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _numbered(doc: Doc) -> list[tuple[str, Section]]:
    out, n, m = [], 0, 0
    for s in doc.sections:
        if s.level == 1:
            n, m = n + 1, 0
            out.append((f"{ROMAN[n - 1]}. ", s))
        else:
            m += 1
            out.append((f"{m}. ", s))
    return out


def review_html(doc: Doc, statuses, fragment: bool = False) -> str:
    """The page: contents, then every section; a status row carries its colour.

    `fragment=True` gives the body only (with its styles), to show inside another page,
    e.g. the department view in a notebook: `display(HTML(department_html(a)))`.
    """
    numbered = _numbered(doc)
    parts = [CSS, f"<h2>{esc(doc.title)}</h2>"] if fragment else [
        f"<!DOCTYPE html><html lang='{esc(doc.lang)}'><head><meta charset='utf-8'>",
        f"<title>{esc(doc.title)}</title>{CSS}</head><body>", f"<h1>{esc(doc.title)}</h1>"]
    if doc.draft_mark and not fragment:
        parts.append(f'<div class="kpi-draft-mark" aria-hidden="true">{esc(doc.draft_mark)}</div>')
    if doc.draft:
        parts.append(f'<div class="kpi-draft" role="note">{esc(doc.draft)}</div>')
    if doc.banner:
        parts.append(f'<div class="kpi-banner">{esc(doc.banner)}</div>')
    parts.append(f"<p>{esc(doc.basis)}</p><nav><ul>")
    parts += [f'<li><a href="#s{i}">{esc(num + s.title)}</a></li>'
              for i, (num, s) in enumerate(numbered) if s.level == 1]
    parts.append("</ul></nav>")
    for i, (num, s) in enumerate(numbered):
        tag = "h2" if s.level == 1 else "h3"
        parts.append(f'<{tag} id="s{i}">{esc(num + s.title)}</{tag}>')
        for block in s.blocks:
            parts.append(_table_html(block, statuses) if isinstance(block, Table)
                         else f"<p>{esc(block)}</p>")
    if not fragment:
        parts.append("</body></html>")
    return "\n".join(parts)


def department_html(a, lang: str = "vi") -> str:
    """The department view of a monthly assessment (no commune forecasts needed): each
    department's targets, statuses and what is still required, as an HTML fragment."""
    from ..engine.campaign_review import department_review
    from ..plan.campaign import campaign_for
    from .review_text import department_doc

    campaign = campaign_for(a.catalog, a.dataset.registry)
    doc = department_doc(department_review(a, campaign), lang)
    return review_html(doc, a.catalog.statuses, fragment=True)


def _table_html(table: Table, statuses) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in table.columns)
    body = []
    for n, row in enumerate(table.rows):
        status = table.status[n] if n < len(table.status) else ""
        colour = f' class="st" style="--c:{esc(statuses.color(status))}"' if status else ""
        cells = "".join(f"<td{colour if i == 0 else ''}>{esc(v)}</td>"
                        for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    # A wide table scrolls in its own box on a phone (focusable, so the keyboard can too).
    label = esc(table.columns[0]) if table.columns else ""
    return f'<div class="kpi-scroll" tabindex="0" role="region" aria-label="{label}">' \
           f'<table class="kpi-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}' \
           f"</tbody></table></div>"


def write_review_docx(doc: Doc, catalog, path: str | Path, today: date | None = None,
                      month: int = 12) -> Path:
    """The Word report; saved under a temporary name first, so it is never half-written.
    Issuer, number, place, date and recipients come from settings.report as for the monthly
    Word report (report_setup): the issuer is the one valid on the report's date."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    vi = doc.lang != "en"
    settings = _settings(catalog, month)
    today = today or settings["date"]
    d = Document()
    normal = d.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(13)
    normal.paragraph_format.space_after = Pt(6)
    for name in ("Heading 1", "Heading 2"):
        style = d.styles[name]
        style.font.name, style.font.size, style.font.bold = FONT, Pt(13), True
        style.font.color.rgb = None
        _no_theme_font(style)
    sec = d.sections[0]
    sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)
    sec.left_margin, sec.right_margin = Cm(3.0), Cm(2.0)
    sec.top_margin = sec.bottom_margin = Cm(2.0)
    _page_numbers(sec)
    if doc.draft_mark:
        _draft_header(sec, doc.draft_mark)

    head = d.add_table(rows=1, cols=2)
    left, right = head.rows[0].cells
    head.autofit = False
    for column, cell, width in ((head.columns[0], left, Cm(6.5)), (head.columns[1], right,
                                                                   Cm(9.5))):
        column.width = cell.width = width  # the national motto on one line

    def line(cell, text: str, bold=False, italic=False, underline=False, first=False, size=13):
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text)
        run.bold, run.italic, run.underline, run.font.size = bold, italic, underline, Pt(size)

    line(left, settings["issuer_parent"], first=True, size=12)
    line(left, settings["issuer"], bold=True, underline=True, size=12)
    line(left, settings["number"])
    line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, first=True, size=12)
    line(right, "Độc lập - Tự do - Hạnh phúc", bold=True, underline=True, size=13)
    month = f"{today.month:02d}" if today.month < 3 else str(today.month)
    line(right, f"{settings['place']}, ngày {today.day:02d} tháng {month} năm {today.year}"
         if vi else f"{settings['place']}, {today:%d/%m/%Y}", italic=True)

    def centred(text: str, size=14, space=6, bold=True):
        p = d.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_before = Pt(space)
        run = p.add_run(text)
        run.bold, run.font.size = bold, Pt(size)

    centred("BÁO CÁO" if vi else "REPORT", space=18)
    centred(doc.title, space=0)
    centred("―――――", size=10, space=0, bold=False)
    if doc.draft:
        run = d.add_paragraph().add_run(doc.draft)
        run.bold = True
    if doc.banner:
        run = d.add_paragraph().add_run(doc.banner)
        run.bold, run.italic = True, True
    _body(d, doc.basis)
    appendix: list[tuple[str, Table]] = []
    for num, s in _numbered(doc):
        d.add_heading(num + (s.title.upper() if s.level == 1 else s.title), level=s.level)
        for block in s.blocks:
            if isinstance(block, Table):
                if len(block.columns) > 5:  # wide: in the appendix, on a landscape page
                    appendix.append((num + s.title, block))
                    _body(d, ("Chi tiết: Phụ lục " if vi else "Details: Appendix ")
                          + str(len(appendix)) + ".")
                else:
                    _table_docx(d, block, 11)
            else:
                _body(d, block)
    _signature(d, settings, vi)
    for n, (title, table) in enumerate(appendix, start=1):
        wide = d.add_section()
        wide.orientation = WD_ORIENT.LANDSCAPE
        wide.page_width, wide.page_height = Cm(29.7), Cm(21.0)
        wide.left_margin = wide.right_margin = Cm(2.0)
        centred(f"{'Phụ lục' if vi else 'Appendix'} {n}", size=13)
        centred(title.upper(), size=13, space=0)
        note = (f"(Kèm theo Báo cáo {settings['number'].replace('Số: ', 'số ')} ngày … "
                f"tháng … năm {today.year})" if vi else "(Attached to the report above)")
        centred(note, size=12, space=0, bold=False)
        _table_docx(d, table, 10)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    d.save(str(tmp))
    tmp.replace(path)
    return path


def _settings(catalog, month: int) -> dict:
    """The title block from the catalog's settings.report, resolved as for the monthly Word
    report (outputs.report_setup): never a guessed issuer."""
    from .report_setup import report_setup

    setup = report_setup(catalog, month)
    return {"issuer_parent": setup.issuer.parent.upper(), "issuer": setup.issuer.name.upper(),
            "number": setup.number, "place": setup.place, "date": setup.report_date,
            "recipients": "; ".join(setup.recipients) or "Như trên; Lưu: VT."}


def _no_theme_font(style) -> None:
    """Headings use the theme's sans font unless told otherwise: Times New Roman throughout."""
    from docx.oxml.ns import qn

    fonts = style.element.rPr.rFonts
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), FONT)


def _body(d, text: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    p = d.add_paragraph(text)
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    p.paragraph_format.first_line_indent = Cm(1)


def _table_docx(d, table: Table, size: int) -> None:
    from docx.shared import Pt

    out = d.add_table(rows=1, cols=len(table.columns))
    out.style = "Table Grid"
    for cell, name in zip(out.rows[0].cells, table.columns, strict=True):
        cell.text = name
        for run in cell.paragraphs[0].runs:
            run.bold, run.font.size = True, Pt(size)
    for row in table.rows:
        for cell, value in zip(out.add_row().cells, row, strict=True):
            cell.text = str(value)
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(size)


def _signature(d, settings: dict, vi: bool) -> None:
    from docx.shared import Pt

    t = d.add_table(rows=1, cols=2)
    left, right = t.rows[0].cells
    p = left.paragraphs[0]
    run = p.add_run("Nơi nhận:" if vi else "To:")
    run.bold, run.italic, run.font.size = True, True, Pt(12)
    recipients = [r.strip(" ;.") for r in settings["recipients"].split(";") if r.strip(" ;.")]
    recipients = [r for r in recipients if not r.lower().startswith("lưu")]
    lines = [*recipients, "Hội đồng Thi đua - Khen thưởng" if vi else "Emulation and Awards "
             "Council"]
    for text in lines:
        left.add_paragraph().add_run(f"- {text};").font.size = Pt(11)
    left.add_paragraph().add_run("- Lưu: VT, TĐKT." if vi else "- File.").font.size = Pt(11)
    for n, (text, bold) in enumerate(((("TM. ỦY BAN NHÂN DÂN" if vi else "FOR THE PEOPLE'S "
                                       "COMMITTEE"), True),
                                      ("KT. CHỦ TỊCH" if vi else "P.P. CHAIRMAN", True),
                                      ("PHÓ CHỦ TỊCH" if vi else "VICE-CHAIRMAN", True),
                                      ("", False), ("", False), ("…", True))):
        p = right.paragraphs[0] if n == 0 else right.add_paragraph()
        p.alignment = 1  # centre
        run = p.add_run(text)
        run.bold, run.font.size = bold, Pt(13)


def _draft_header(section, mark: str) -> None:
    """The draft mark in the header of every page, the first one included (the later
    sections, the appendix's landscape pages, inherit these headers)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    for header in (section.first_page_header, section.header):
        p = header.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = p.add_run(mark)
        run.bold = True


def _page_numbers(section) -> None:
    """A PAGE field centred in the top margin, not on the first page (as the monthly report)."""
    from .word import page_number_field

    section.different_first_page_header_footer = True
    page_number_field(section.header.paragraphs[0])
