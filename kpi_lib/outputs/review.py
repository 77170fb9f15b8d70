"""The campaign review as a self-contained HTML page and as a Word report.

Both render the same `Doc` (kpi_lib.outputs.review_text). The Word file follows the form of
an administrative report (Nghị định 30/2020/NĐ-CP, ../shared/report-format.md): A4 portrait,
Times New Roman, the two-column header, "BÁO CÁO" and its subject, the căn cứ, sections in
Roman numerals, the signature block and "Nơi nhận", page numbers from the second page; the
wide detail tables go in an appendix on landscape pages.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

from ..common.files import replace_file
from .review_text import Doc, Section, Table

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
CSS = """<style>
body{font-family:'Times New Roman',serif;max-width:1200px;margin:16px auto;padding:0 12px}
.kpi-banner{background:#fff3cd;border:2px solid #d39e00;padding:10px 14px;margin:8px 0;
 font-weight:bold;color:#6b4e00;border-radius:4px}
.kpi-scroll{max-width:100%;overflow-x:auto;margin:6px 0 14px}
.kpi-table{border-collapse:collapse;font-size:14px}
.kpi-table th,.kpi-table td{border:1px solid #bbb;padding:4px 6px;vertical-align:top}
.kpi-table th{background:#eef3f8}
.kpi-table td.num{text-align:right;white-space:nowrap}
.kpi-table td.st{border-left:6px solid var(--c)}
.kpi-draft{border:3px double #8e1b1b;color:#8e1b1b;padding:10px 14px;margin:8px 0;font-weight:bold}
.kpi-draft-mark{position:fixed;top:0;right:0;background:#8e1b1b;color:#fff;padding:2px 10px;
 font-weight:bold;letter-spacing:2px}
nav ul{columns:2}
p,li,h1,h2,h3{overflow-wrap:anywhere}
@media (max-width:600px){.kpi-scroll>.kpi-table{min-width:640px}nav ul{columns:1}}
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
        f"<!DOCTYPE html><html lang='{esc(doc.lang)}'><head><meta charset='utf-8'>"
        + "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{esc(doc.title)}</title>{CSS}</head><body>", f"<h1>{esc(doc.title)}</h1>"]
    if doc.draft_mark and not fragment:
        parts.append(f'<div class="kpi-draft-mark" aria-hidden="true">{esc(doc.draft_mark)}</div>')
    if doc.draft:
        parts.append(f'<div class="kpi-draft" role="note">{esc(doc.draft)}</div>')
    if doc.banner:
        parts.append(f'<div class="kpi-banner">{esc(doc.banner)}</div>')
    if doc.dated and not fragment:  # the page's date, as the Word's title block gives it
        parts.append(f'<p class="kpi-dated">{esc(doc.dated)}</p>')
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
    words = word_columns(table.columns, table.rows)  # the others are figures: right-aligned, kept on one line
    body = []
    for n, row in enumerate(table.rows):
        status = table.status[n] if n < len(table.status) else ""
        cells = []
        for i, v in enumerate(row):
            classes = " ".join(c for c, on in (("st", status and i == 0), ("num", i not in words))
                               if on)
            attrs = f' class="{classes}"' if classes else ""
            if status and i == 0:
                attrs += f' style="--c:{esc(statuses.color(status))}"'
            cells.append(f"<td{attrs}>{esc(v)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    # On a phone the table scrolls in its own box, a named region the keyboard can reach.
    return f'<div class="kpi-scroll" tabindex="0" role="region" aria-label="{esc(table.columns[0])}">' \
           f'<table class="kpi-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}' \
           f"</tbody></table></div>"


def write_review_docx(doc: Doc, catalog, path: str | Path, today: date | None = None,
                      month: int = 12) -> Path:
    """The Word report; saved under a temporary name first, so it is never half-written.
    Issuer, number, place, date, căn cứ, recipients and signer come from settings.report as
    for the monthly Word report (report_setup), and the page is laid out by the same
    functions (outputs.word): an example issuer says so, the signature block stays on one
    page, the appendices carry the report's own date, the synthetic banner is in every
    page's footer."""
    from docx import Document
    from docx.shared import Cm, Pt

    from . import word
    from .report_setup import report_setup, vi_date

    lang = "en" if doc.lang == "en" else "vi"
    w = word.WORDS[lang]
    setup = report_setup(catalog, month)
    if today is not None:
        setup = replace(setup, report_date=today)
    d = Document()
    word.styles(d)
    first = d.sections[0]
    word.page(first, landscape=False)
    word.header_footer(first, bool(doc.banner), lang, first_page=True)
    if doc.draft_mark:
        _draft_header(first, doc.draft_mark)
    word.title_block(d, setup, w, lang)
    word.centred(d, w["title"], bold=True, before=12)
    word.centred(d, doc.title, bold=True)
    word.rule(d.add_paragraph(), Cm(6.5), Cm(6.5))
    if doc.banner:
        word.centred(d, doc.banner, bold=True, size=12, before=6).runs[0].italic = True
    word.body(d, doc.basis)
    if doc.data_note:
        word.body(d, doc.data_note)
    appendix: list[tuple[str, Table]] = []
    for num, s in _numbered(doc):
        word.heading(d, num + (s.title.upper() if s.level == 1 else s.title), s.level)
        for block in s.blocks:
            if not isinstance(block, Table):
                word.body(d, block)
            elif len(block.columns) > 5:  # wide: in the appendix, on a landscape page
                appendix.append((num + s.title, block))
                word.body(d, w["appendix"].format(n=len(appendix)).join(
                    ("Chi tiết: ", ".") if lang == "vi" else ("Details: ", ".")))
            else:
                word.grid(d, block.columns, block.rows, first, *_layout(block))
                d.add_paragraph().paragraph_format.space_after = Pt(0)  # air below the table
    issuer = setup.issuer.short
    closing = word.body(d, (f"Trên đây là báo cáo {doc.title[:1].lower()}{doc.title[1:]} của "
                            f"{issuer}./.") if lang == "vi" else
                        f"This concludes the report of {issuer}: {doc.title}.")
    closing.paragraph_format.space_after = Pt(12)
    word.signature(d, replace(setup, recipients=_recipients(setup.recipients, lang)), w)
    number = setup.number.removeprefix("Số: ").removeprefix("Số:").strip()
    when = vi_date(setup.report_date) if lang == "vi" else f"{setup.report_date:%d/%m/%Y}"
    attached = w["attached"].format(number=number, date=when, issuer=issuer)
    for n, (title, table) in enumerate(appendix, start=1):
        wide = d.add_section()
        word.page(wide, landscape=True)
        wide.different_first_page_header_footer = False  # add_section copied page 1's
        word.appendix_title(d, w["appendix"].format(n=n), title.upper(), attached)
        word.grid(d, table.columns, table.rows, wide, *_layout(table))
    props = d.core_properties
    props.author = props.last_modified_by = issuer
    props.title = props.subject = doc.title
    path = Path(path)
    replace_file(path, d.save)  # whole or not at all
    return path


def _recipients(given: list[str], lang: str) -> list[str]:
    """settings.report's recipients with the emulation council added and the file copy
    ("Lưu") kept last, marked for the council's office (TĐKT)."""
    kept = [r for r in given if not r.lower().startswith(("lưu", "file"))]
    if lang == "en":
        return [*kept, "Emulation and Awards Council", "File"]
    return [*kept, "Hội đồng Thi đua - Khen thưởng", "Lưu: VT, TĐKT"]


def word_columns(columns: list, rows: list[list]) -> set[int]:
    """Columns of words (left-aligned): those where some cell is not a figure."""
    figure = re.compile(r"^[\s\d.,%–+\-/()×÷=]*$")
    return {c for c in range(len(columns)) if any(not figure.match(str(row[c])) for row in rows)}


def column_weights(columns: list, rows: list[list]) -> list[float]:
    """Column widths by the longest text each column holds (names get room), never narrower
    than its header's longest word or a short figure ("62,5" must not wrap), and clipped so
    no column takes the page."""
    longest = [max([max(len(w) for w in str(name).split() or [""]) + 3,
                    *(len(str(row[c])) for row in rows)])
               for c, name in enumerate(columns)]
    return [min(max(n, 8.0), 30.0) for n in longest]


def _layout(table: Table) -> tuple[list[float], set[int]]:
    """A review table's column weights and word columns, for word.grid."""
    return (column_weights(table.columns, table.rows),
            word_columns(table.columns, table.rows))
def _draft_header(section, mark: str) -> None:
    """The draft mark in the header of every page, the first one included (the later
    sections, the appendix's landscape pages, inherit these headers)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    for header in (section.first_page_header, section.header):
        p = header.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = p.add_run(mark)
        run.bold = True


