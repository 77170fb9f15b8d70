"""The Word report (.docx, python-docx): the office's monthly report in its usual layout.

Title block as administrative documents have it (Nghị định 30/2020/NĐ-CP): issuing body
and number on the left, the national motto on the right, place and date, then the title;
the narrative by group; the report table (Vietnamese number format, landscape page); the
charts. Issuer, number and place are settings (`settings.report` in the catalog).
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pandas as pd

FONT = "Times New Roman"


def report_settings(catalog) -> dict[str, str]:
    meta = catalog.meta
    area = str(meta.get("area_vi", ""))
    given = catalog.settings.get("report") or {}
    return {"issuer_parent": str(given.get("issuer_parent", meta.get("province_vi", "")).upper()),
            "issuer": str(given.get("issuer", f"UBND {area}")).upper(),
            "number": str(given.get("number", "Số: …/BC-UBND")),
            "place": str(given.get("place", area.split(" ", 1)[-1])),
            "recipients": str(given.get("recipients", "Như trên; Lưu: VT."))}


def write_docx(a, numbers: pd.DataFrame, sections, charts: list[tuple[bytes, str]],
               path: str | Path, lang: str = "vi", today: date | None = None) -> Path:
    """Write the report; returns its path. Never half-written: saved to a temp name first."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    from .i18n import t
    from .report_table import display_table

    vi = lang != "en"
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(13)
    for s in ("Heading 1", "Heading 2", "Title"):
        doc.styles[s].font.name = FONT
    sec = doc.sections[0]
    sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)
    sec.left_margin, sec.right_margin = Cm(3.0), Cm(2.0)
    sec.top_margin = sec.bottom_margin = Cm(2.0)
    settings = report_settings(a.catalog)
    today = today or date.today()

    head = doc.add_table(rows=1, cols=2)
    left, right = head.rows[0].cells

    def line(cell, text: str, bold=False, italic=False, underline=False, first=False, size=12):
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline
        run.font.size = Pt(size)
        return p

    line(left, settings["issuer_parent"], first=True)
    line(left, settings["issuer"], bold=True)
    line(left, settings["number"])
    line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, first=True)
    line(right, "Độc lập - Tự do - Hạnh phúc", bold=True, underline=True, size=13)
    line(right, f"{settings['place']}, ngày {today.day:02d} tháng {today.month:02d} năm "
                f"{today.year}" if vi else f"{settings['place']}, {today:%d/%m/%Y}", italic=True)

    def centred(text: str, bold=True, size=14, space=6):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_before = Pt(space)
        run = p.add_run(text)
        run.bold, run.font.size = bold, Pt(size)

    centred("BÁO CÁO" if vi else "REPORT", size=15, space=18)
    subject = (f"Tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội tháng {a.as_of} năm "
               f"{a.catalog.year}" if vi else
               f"Socio-economic plan: progress to {a.as_of}/{a.catalog.year}")
    centred(subject, size=14, space=0)
    registry = a.dataset.registry
    if a.unit and a.unit != a.catalog.default_unit:
        centred(registry.name(a.unit, lang) if registry else a.unit, bold=False, size=13)
    if a.dataset.source.synthetic:
        p = doc.add_paragraph()
        run = p.add_run(t("synthetic", lang))
        run.bold, run.italic = True, True

    doc.add_heading(("I. " + t("narrative", lang)).upper(), level=1)
    for n, section in enumerate(sections, start=1):
        doc.add_heading(f"{n}. {section.title}", level=2)
        doc.add_paragraph(section.opening).paragraph_format.first_line_indent = Cm(1)
        for sentence in section.sentences:
            p = doc.add_paragraph(f"- {sentence}")
            p.paragraph_format.first_line_indent = Cm(1)
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    wide = doc.add_section()
    wide.orientation = WD_ORIENT.LANDSCAPE
    wide.page_width, wide.page_height = Cm(29.7), Cm(21.0)
    wide.left_margin = wide.right_margin = Cm(1.5)
    doc.add_heading(("II. " + t("table", lang).split(". ", 1)[-1]).upper(), level=1)
    frame = display_table(a, lang, numbers)
    table = doc.add_table(rows=1, cols=len(frame.columns))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, frame.columns, strict=True):
        cell.text = str(name)
        for run in cell.paragraphs[0].runs:
            run.bold, run.font.size = True, Pt(9)
    for _, row in frame.iterrows():
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, row, strict=True)):
            cell.text = str(value)
            para = cell.paragraphs[0]
            para.alignment = WD_ALIGN_PARAGRAPH.LEFT if i < 3 else WD_ALIGN_PARAGRAPH.RIGHT
            for run in para.runs:
                run.font.size = Pt(9)

    if charts:
        doc.add_heading(("III. " + t("charts", lang).split(". ", 1)[-1]).upper(), level=1)
        for png, alt in charts:
            doc.add_picture(io.BytesIO(png), width=Cm(25))
            if alt:
                caption = doc.add_paragraph()
                caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
                run = caption.add_run(alt)
                run.italic, run.font.size = True, Pt(10)

    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(18)
    run = p.add_run("Nơi nhận: " if vi else "To: ")
    run.bold, run.italic = True, True
    p.add_run(settings["recipients"]).font.size = Pt(11)

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    doc.save(str(tmp))
    tmp.replace(path)
    return path
