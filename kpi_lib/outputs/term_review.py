"""The term review: one assessment of the five-year plan's targets, rendered as CSV rows, the
monthly report's section "Chỉ tiêu kế hoạch 5 năm", an HTML page and a Word report.

All renderings read the same `TermResult`s (engine/term.py); none computes anything.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import pandas as pd

from ..common.files import replace_file
from ..common.numbers import format_number
from ..engine.term import TermResult
from ..plan.catalog import Catalog
from ..plan.term import KIND_VI

CSV_COLUMNS = ["id", "indicator_id", "term", "kind", "rule", "target", "target_low",
               "target_high", "unit", "achieved_to_date", "estimate", "lo80", "hi80", "lo95",
               "hi95", "p_meet", "status", "required_pace", "required_years", "years_observed",
               "years_missing", "previous_term", "final", "example", "as_of", "note"]
METHOD_VI = ("Tốc độ tăng bình quân tính theo bình quân nhân (trung bình hình học) của tốc độ "
             "tăng từng năm, nối từ năm gốc: (Π(1 + gᵢ))^(1/n) − 1 — không phải bình quân cộng "
             "các tốc độ. Khoảng 80%/95% và khả năng đạt: mô phỏng 10.000 lần — năm đang thực "
             "hiện theo đúng ước và các khoảng 80%, 95% của báo cáo tháng (không ước lại); "
             "mỗi năm còn lại (và năm thiếu số "
             "liệu) theo mức bình quân và độ dao động của tối đa 10 năm trước đã công bố. "
             "Chỉ tiêu dạng khoảng (6,5–7%) được coi là đạt khi không thấp hơn cận dưới.")


def _r(v: float | None, nd: int = 4) -> float | None:
    return None if v is None else round(float(v), nd)


def term_frame(results: list[TermResult]) -> pd.DataFrame:
    """The `kpi term` CSV: one row per term target, rates in % as the plan writes them."""
    rows = []
    for r in results:
        t = r.target
        rows.append({
            "id": t.id, "indicator_id": t.indicator.id, "term": r.term.id, "kind": t.kind,
            "rule": t.rule, "target": t.target,
            "target_low": t.target if t.rule == "range" else None,
            "target_high": t.target_high, "unit": t.unit,
            "achieved_to_date": _r(r.achieved_to_date), "estimate": _r(r.estimate),
            "lo80": _r(r.lo80), "hi80": _r(r.hi80), "lo95": _r(r.lo95), "hi95": _r(r.hi95),
            "p_meet": _r(r.p_meet, 3), "status": r.status,
            "required_pace": _r(r.required_pace),
            "required_years": " ".join(map(str, r.required_years)),
            "years_observed": r.years_observed,
            "years_missing": " ".join(str(f.year) for f in r.years if f.source == "missing"),
            "previous_term": _r(r.previous_value), "final": r.final, "example": t.example,
            "as_of": r.as_of, "note": "; ".join(r.notes)})
    return pd.DataFrame(rows, columns=CSV_COLUMNS)


def _num(v: float | None, unit: str = "") -> str:
    if v is None:
        return "–"
    nd = 0 if abs(v) >= 1000 and not unit.startswith("%") else 2
    return format_number(v, nd)


def _year_cell(r: TermResult, f) -> str:
    """A year's figure (its growth beside it when the target is growth of values), the
    year's own plan figure if the term file gives one, or why there is none."""
    t = r.target
    shown_unit = "%" if t.feed_is_rate else t.indicator.unit
    plan = t.annual_targets.get(f.year)
    plan_text = "" if plan is None else f" (KH {_num(plan, shown_unit)})"
    if f.value is not None:
        text = _num(f.value, shown_unit)
        if t.kind == "average_growth" and not t.feed_is_rate:
            before = r.base_value if f.year == r.term.start else next(
                (g.value for g in r.years if g.year == f.year - 1), None)
            if before:
                text += f" (+{_num(100 * (f.value / before - 1), '%')}%)"
        return ("ước " if f.source == "estimate" else "") + text + plan_text
    if f.source == "missing" or f.year <= int(r.as_of[:4]):
        return "thiếu số liệu" if f.source == "missing" else "chưa có số liệu"
    return "…"


def _pace(r: TermResult) -> str:
    """'các năm 2027–2030 cần bình quân 10,50%/năm', 'năm 2025 cần đạt 8,63%', …"""
    if r.final or r.required_pace is None:
        return "–" if r.final or not r.required_years else "chưa tính được (thiếu số liệu)"
    t, years, x = r.target, r.required_years, r.required_pace
    one = len(years) == 1
    span = f"năm {years[0]}" if one else f"các năm {years[0]}–{years[-1]}"
    lower = t.rule in ("le", "lt")
    if t.kind in ("end_level", "count_by_end", "cumulative") and (x >= 0 if lower else x <= 0):
        return f"{span}: mức đã đạt đủ cho kế hoạch"
    unit = t.indicator.unit
    if t.kind == "average_growth":
        shown = f"{_num(x, '%')}%"
    elif t.kind == "reduction_points":
        shown = f"{_num(x, '%')} điểm %"
    elif t.kind == "cumulative":
        shown = f"{_num(x, unit)} {unit}"
    else:
        change = f"{_num(abs(x), unit)} {'điểm %' if unit.startswith('%') else unit}"
        verb = "tăng" if x >= 0 else "giảm"
        return f"{span} cần {verb} {change}" + ("" if one else " mỗi năm")
    return f"{span} cần đạt {shown}" if one else f"{span} cần bình quân {shown}/năm"


def _estimate(r: TermResult) -> str:
    """The term estimate with its 80% interval; a term that is over has its result only."""
    u = r.target.unit
    if r.estimate is None:
        return "–"
    if r.final:
        return f"{_num(r.estimate, u)} (kết quả)"
    return f"{_num(r.estimate, u)} ({_num(r.lo80, u)}–{_num(r.hi80, u)})"


def section_table(results: list[TermResult], catalog: Catalog) -> pd.DataFrame:
    """The monthly report's and Excel's table: one row per target, Vietnamese headers."""
    rows = []
    for r in results:
        t = r.target
        done = _num(r.achieved_to_date, t.unit)
        rows.append({
            "Nhiệm kỳ": r.term.label, "Chỉ tiêu": t.name_vi + (" (ví dụ)" if t.example else ""),
            "Loại": KIND_VI[t.kind], "Kế hoạch": t.plan_text(),
            "Đã đạt (số năm có số liệu)": f"{done} ({r.years_observed}/{len(r.years)} năm)",
            "Ước cả kỳ (khoảng 80%)": _estimate(r),
            "Khả năng đạt": "–" if r.p_meet is None or r.final else
                            f"{format_number(100 * r.p_meet, 1)}%",
            "Đánh giá": catalog.statuses.label(r.status),
            "Các năm còn lại": _pace(r)})
    return pd.DataFrame(rows)


def review_table(results: list[TermResult], catalog: Catalog) -> pd.DataFrame:
    """The term review's table: target, each year's result, achieved, estimate, status,
    previous term."""
    years = sorted({f.year for r in results for f in r.years})
    rows = []
    for r in results:
        t = r.target
        cells = {f.year: _year_cell(r, f) for f in r.years}
        row = {"Chỉ tiêu": t.name_vi + (" (ví dụ)" if t.example else ""),
               "Kế hoạch": t.plan_text()}
        row.update({str(y): cells.get(y, "") for y in years})
        row.update({
            "Bình quân/lũy kế đạt": _num(r.achieved_to_date, t.unit),
            "Ước cả kỳ (khoảng 80%)": _estimate(r),
            "Đánh giá": catalog.statuses.label(r.status)
            + ("" if r.final or r.p_meet is None else
               f" ({format_number(100 * r.p_meet, 1)}%)"),
            "Nhiệm kỳ trước": _num(r.previous_value, t.unit),
            "Các năm còn lại": _pace(r)})
        rows.append(row)
    return pd.DataFrame(rows)


def notes(results: list[TermResult]) -> list[str]:
    """What the reader must know beside the table: examples, missing years, sources."""
    out = []
    for r in results:
        t = r.target
        if t.office_reading_vi:
            out.append(f"{t.id} – {t.name_vi}: {t.office_reading_vi}")
        for n in r.notes:
            out.append(f"{t.id} – {t.name_vi}: {n}.")
    if any(r.target.example for r in results):
        out.insert(0, "Các chỉ tiêu ghi “(ví dụ)” là ví dụ về cách văn phòng đọc kế hoạch 5 "
                      "năm, không phải số kế hoạch đã ban hành.")
    return out


def _terms_intro(results: list[TermResult]) -> list[str]:
    seen, out = set(), []
    for r in results:
        term = r.term
        if term.id in seen:
            continue
        seen.add(term.id)
        text = f"Nhiệm kỳ {term.label}" + (f", năm gốc {term.base_year}" if term.base_year
                                           else "")
        if term.plan_vi:
            text += f": {term.plan_vi}"
        if term.source_vi:
            text += f". Nguồn: {term.source_vi}"
        out.append(text + ".")
    return out


CSS = ("body{font-family:'Noto Sans','DejaVu Sans',sans-serif;margin:1.2em;max-width:90em;"
       "line-height:1.4}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.4em}"
       ".wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}"
       "table{border-collapse:collapse;font-size:.92em}"
       "td,th{border:1px solid #bbb;padding:.3em .45em;vertical-align:top}"
       "th{background:#f1f1f1}td.n{text-align:right}td:first-child{min-width:11em}"
       ".banner{background:#fff3cd;border:1px solid #e0c060;padding:.5em;font-weight:bold}"
       ".note{font-size:.92em;color:#333}p,li,h1,h2{overflow-wrap:anywhere}@media(max-width:600px){body{margin:.5em}"
       "table{font-size:.85em}}")


def _html_table(frame: pd.DataFrame, results: list[TermResult], catalog: Catalog) -> str:
    esc = html.escape
    text_cols = {"Nhiệm kỳ", "Chỉ tiêu", "Loại", "Kế hoạch", "Đánh giá", "Các năm còn lại"}
    head = "".join(f"<th scope='col'>{esc(str(c))}</th>" for c in frame.columns)
    body = []
    for r, (_, row) in zip(results, frame.iterrows(), strict=True):
        cells = []
        for c, v in row.items():
            if c == "Đánh giá":
                colour = catalog.statuses.color(r.status)
                cells.append(f"<td><span style='border-left:.5em solid {colour};"
                             f"padding-left:.3em'>{esc(str(v))}</span></td>")
            else:
                cells.append(f"<td{'' if c in text_cols else ' class=n'}>{esc(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<div class='wrap' role='region' aria-label='Bảng chỉ tiêu' tabindex='0'>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def month_text(as_of: str) -> str:
    """'2026-12' as a Vietnamese page writes it: '12/2026'."""
    return f"{int(as_of[5:7])}/{as_of[:4]}"


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def judged_to(results: list[TermResult], as_of: str) -> str:
    """'đánh giá đến tháng 12/2026 (năm 2026 chưa có số liệu; năm gần nhất có số liệu:
    2025)': the month judged is not the month the figures reach, and the page says which."""
    year = int(as_of[:4])
    have = [f.year for r in results for f in r.years if f.source == "final" and f.value is not None]
    text = f"đánh giá đến tháng {month_text(as_of)}"
    if year not in have:
        text += f" (năm {year} chưa có số liệu" + (
            f"; năm gần nhất có số liệu: {max(have)})" if have else ")")
    return text


def source_text(source) -> str:
    """The data's folder by its name ('thư mục số liệu: vn_2021_2025'): a server path tells
    a reader nothing and a published page must not show it."""
    folder = Path(str(source.meta.get("snapshot_of") or source.path))
    return f"thư mục số liệu: {folder.name}"


def term_html(results: list[TermResult], catalog: Catalog, as_of: str, synthetic: bool,
              source: str, data_until: date | None = None) -> str:
    """The term review page (Vietnamese), one table per term, dated as its Word file is:
    not before the figures it uses (`data_until`, see report_setup.issue_date)."""
    from .report_setup import report_setup, setup_date_note

    esc = html.escape
    dated = setup_date_note(report_setup(catalog, int(as_of[5:7]), None, data_until),
                            data_until)
    area = catalog.meta.get("area_vi", "")
    parts = [(f"<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
             f"<title>Đánh giá chỉ tiêu kế hoạch 5 năm – {esc(area)} – "
             f"{esc(month_text(as_of))}</title>"
             f"<style>{CSS}</style></head><body><main>")]
    if synthetic:
        parts.append("<p class='banner'>SỐ LIỆU MẪU GIẢ LẬP — không phải số liệu thật "
                     "(synthetic sample data).</p>")
    parts.append(f"<h1>Đánh giá thực hiện các chỉ tiêu kế hoạch 5 năm – {esc(area)}</h1>"
                 f"<p>{esc(upper_first(judged_to(results, as_of)))}; {esc(source)}.</p>"
                 f"<p>{esc(dated)}</p>")
    for text in _terms_intro(results):
        parts.append(f"<p>{esc(text)}</p>")
    for term_id in dict.fromkeys(r.term.id for r in results):
        part = [r for r in results if r.term.id == term_id]
        parts.append(f"<h2>Nhiệm kỳ {esc(part[0].term.label)}</h2>")
        parts.append(_html_table(review_table(part, catalog), part, catalog))
    parts.append(f"<h2>Cách tính</h2><p class='note'>{esc(METHOD_VI)}</p>")
    extra = notes(results)
    if extra:
        parts.append("<h2>Ghi chú</h2><ul class='note'>"
                     + "".join(f"<li>{esc(n)}</li>" for n in extra) + "</ul>")
    parts.append("</main></body></html>")
    return "".join(parts)


def write_term_docx(results: list[TermResult], catalog: Catalog, as_of: str, synthetic: bool,
                    path: str | Path, data_until: date | None = None) -> Path:
    """The term review as a Word report in the office's layout (Nghị định 30/2020): title
    block, căn cứ, results by target, overall assessment, signature, the table as appendix."""
    from docx.shared import Pt

    from . import word
    from .report_setup import report_setup, setup_date_note, vi_date
    from .review import column_weights, word_columns

    month = int(as_of[5:7])
    setup = report_setup(catalog, month, None, data_until)  # not dated before its figures
    w = word.WORDS["vi"]
    doc = word.Document()
    word.styles(doc)
    first = doc.sections[0]
    word.page(first, landscape=False)
    word.header_footer(first, synthetic, "vi", first_page=True)
    word.title_block(doc, setup, w, "vi")
    terms = list(dict.fromkeys(r.term.label for r in results))
    subject = "Đánh giá thực hiện các chỉ tiêu kế hoạch phát triển kinh tế - xã hội 5 năm " \
        + ", ".join(terms)
    word.centred(doc, w["title"], bold=True, before=12)
    word.centred(doc, subject, bold=True)
    if synthetic:
        p = word.centred(doc, "SỐ LIỆU MẪU GIẢ LẬP", bold=True, size=12, before=6)
        p.runs[0].italic = True
    plans = "; ".join(dict.fromkeys(r.term.plan_vi or f"kế hoạch 5 năm {r.term.label}"
                                    for r in results))
    word.body(doc, f"Căn cứ {plans}; {setup.issuer.short} báo cáo "
               f"đánh giá thực hiện các chỉ tiêu kế hoạch 5 năm, {judged_to(results, as_of)}, "
               "như sau:")
    word.body(doc, setup_date_note(setup, data_until, "vi", dated=False))
    word.heading(doc, "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU KẾ HOẠCH 5 NĂM", 1)
    for n, r in enumerate(results, start=1):
        word.body(doc, f"{n}. {sentence(r, catalog)}")
    word.heading(doc, "II. ĐÁNH GIÁ CHUNG", 1)
    for text in overall(results, catalog):
        word.body(doc, text)
    word.body(doc, METHOD_VI)
    for text in _terms_intro(results) + notes(results):
        word.body(doc, f"- {text}")
    word.body(doc, f"Trên đây là báo cáo đánh giá thực hiện các chỉ tiêu kế hoạch 5 năm của "
               f"{setup.issuer.short}./.").paragraph_format.space_after = Pt(12)
    word.signature(doc, setup, w)
    wide = doc.add_section()
    word.page(wide, landscape=True)
    wide.different_first_page_header_footer = False
    attached = w["attached"].format(number=setup.number.removeprefix("Số: ").strip(),
                                    date=vi_date(setup.report_date), issuer=setup.issuer.short)
    word.appendix_title(doc, w["appendix"].format(n=1),
                         "TÌNH HÌNH THỰC HIỆN CÁC CHỈ TIÊU KẾ HOẠCH 5 NĂM", attached)
    for term_id in dict.fromkeys(r.term.id for r in results):
        part = [r for r in results if r.term.id == term_id]
        word.centred(doc, f"Nhiệm kỳ {part[0].term.label}", bold=True, size=12, before=6)
        frame = review_table(part, catalog)
        head, rows = list(frame.columns), frame.astype(str).to_numpy().tolist()
        word.grid(doc, head, rows, wide, column_weights(head, rows), word_columns(head, rows))
    props = doc.core_properties
    props.title, props.subject = f"Báo cáo {subject}", subject
    path = Path(path)
    replace_file(path, doc.save)  # whole or not at all
    return path


def sentence(r: TermResult, catalog: Catalog) -> str:
    """One target in words: plan, what is achieved, estimate, status, what is needed."""
    t = r.target
    u = "%" if t.kind == "average_growth" else (" " + t.unit)
    text = f"{t.name_vi}{' (ví dụ)' if t.example else ''}: kế hoạch {t.plan_text()}"
    if r.achieved_to_date is not None:
        text += (f"; {r.years_observed} năm có số liệu đạt {_num(r.achieved_to_date, t.unit)}"
                 f"{u}")
    if r.estimate is not None and not r.final:
        text += (f"; ước cả nhiệm kỳ {_num(r.estimate, t.unit)}{u} (khoảng 80%: "
                 f"{_num(r.lo80, t.unit)}–{_num(r.hi80, t.unit)}), khả năng đạt "
                 f"{format_number(100 * r.p_meet, 1)}%")
    text += f" — {catalog.statuses.label(r.status)}"
    pace = _pace(r)
    if pace != "–":
        text += f"; {pace}"
    if r.previous_value is not None:
        text += f"; nhiệm kỳ trước đạt {_num(r.previous_value, t.unit)}{u}"
    return text + "."


def overall(results: list[TermResult], catalog: Catalog) -> list[str]:
    """Counts by status per term, from the same results."""
    out = []
    for term_id in dict.fromkeys(r.term.id for r in results):
        part = [r for r in results if r.term.id == term_id]
        counts: dict[str, int] = {}
        for r in part:
            label = catalog.statuses.label(r.status)
            counts[label] = counts.get(label, 0) + 1
        out.append(f"Nhiệm kỳ {part[0].term.label}: {len(part)} chỉ tiêu — "
                   + "; ".join(f"{k}: {v}" for k, v in counts.items()) + ".")
    return out


# ------------------------------------------------ the monthly report's section and sheet
def monthly_results(a) -> list[TermResult]:
    """The term targets judged from the monthly report's own assessment `a` (the year in
    progress takes its estimate and interval); [] without a term file or for a unit below
    the area (the term targets are the area's)."""
    from ..engine.term import assess_terms
    from ..plan.term import load_terms

    if a.unit not in (None, a.catalog.default_unit):
        return []
    terms = load_terms(a.catalog)
    return assess_terms(terms, a.catalog, a.dataset, a.catalog.year, a.period, a.table,
                        a.unit) if terms else []


def section_html(a, results: list[TermResult] | None = None) -> str:
    """The monthly report's section "Chỉ tiêu kế hoạch 5 năm" ('' without a term file)."""
    results = monthly_results(a) if results is None else results
    if not results:
        return ""
    esc = html.escape
    frame = section_table(results, a.catalog)
    extra = notes(results)
    return ("<section aria-labelledby='term'><h2 id='term'>Chỉ tiêu kế hoạch 5 năm</h2>"
            # the page's own table and scroll-box styles (the term page's .wrap is not
            # in the monthly page: its box scrolled the whole output area, unnamed)
            + _html_table(frame, results, a.catalog).replace("<table>", "<table class='kpi-table'>")
            .replace("class='wrap'", "class='wrap kpi-scroll'")
            + f"<p class='note'><small>{esc(METHOD_VI)}</small></p>"
            + ("<ul class='note'>" + "".join(f"<li><small>{esc(n)}</small></li>"
                                              for n in extra) + "</ul>" if extra else "")
            + "</section>")


def add_term_sheet(book, a, title: str, banner: str, subtitle: str, sheet_class) -> None:
    """The Excel workbook's sheet "KH 5 năm" (nothing without a term file): the report's
    section as numbers a reader can sum and sort — achieved, estimate and its 80% bounds
    and the probability each in its own numeric cell with a display format, never text
    like "8,69 (8,52–8,87)"."""
    results = monthly_results(a)
    if not results:
        return
    columns = [("Nhiệm kỳ", 12), ("Chỉ tiêu", 40), ("Loại", 18), ("Kế hoạch", 24),
               ("Đã đạt", 12), ("Số năm có số liệu", 10), ("Số năm của kỳ", 10),
               ("Ước cả kỳ", 12), ("Cận dưới 80%", 12), ("Cận trên 80%", 12),
               ("Khả năng đạt", 10), ("Đánh giá", 20), ("Các năm còn lại", 36)]
    sheet = sheet_class(book, "KH 5 năm", title, banner,
                        f"Chỉ tiêu kế hoạch 5 năm — {subtitle}", columns)
    for r in results:
        t = r.target
        fmt = _excel_format([r.achieved_to_date, r.estimate, r.lo80, r.hi80], t.unit)
        final = r.final or r.estimate is None
        sheet.add([r.term.label, t.name_vi + (" (ví dụ)" if t.example else ""),
                   KIND_VI[t.kind], t.plan_text(), r.achieved_to_date, r.years_observed,
                   len(r.years), r.estimate, None if final else r.lo80,
                   None if final else r.hi80,
                   None if r.p_meet is None or r.final else r.p_meet,
                   a.catalog.statuses.label(r.status), _pace(r)],
                  [None] * 4 + [fmt, "0", "0", fmt, fmt, fmt, "0.0%", None, None])
    sheet.finish()


def _excel_format(values: list[float | None], unit: str) -> str:
    """The cell format that shows what _num prints: whole numbers from 1.000 up (not a
    percentage), else two decimals."""
    finite = [abs(v) for v in values if v is not None]
    whole = finite and max(finite) >= 1000 and not unit.startswith("%")
    return "#,##0" if whole else "#,##0.00"
