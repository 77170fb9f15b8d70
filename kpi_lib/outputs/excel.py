"""The Excel workbook of a month: numbers a reader can sum, sort and chart.

Figures are stored as numbers with a display format (`#,##0.0`, `0.0%`), never as text
like "2.455,2": Excel and LibreOffice then show them in the reader's own locale (28.603,61 on a
Vietnamese system) and formulas work on them. Every sheet starts the same way — a title row,
the synthetic-data banner (row 2, empty for real data), a blank row, then the header at
HEADER_ROW — so a reader (or `pd.read_excel(..., header=HEADER_ROW - 1)`) finds the table at
the same place on every sheet. Sheets: the indicator table (one row per indicator), the plan's
numbered items (each with the worst status of its indicators, as the engine decides), the
narrative, the analyst's overrides (when any) and every number the report used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..common.numbers import quantity_decimals
from ..common.text import no_formulas
from ..engine.assess import items_table as assess_items
from ..engine.pipeline import Assessment
from .analyst_text import analyst_parts
from .i18n import method_label, period_text, reason_text, status_text, t
from .report_setup import data_received_on, setup_date_note, setup_for
from .report_table import display_table, reading_month
from .rules import RULES, status_rule_lines

HEADER_ROW = 4  # 1-based row of every sheet's column headers
BANNER_FILL = PatternFill("solid", fgColor="FFF3CD")
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
PCT = "0.0%"
WRAP = Alignment(wrap_text=True, vertical="top")

WORDS = {
    "vi": {"sheet_table": "Báo cáo", "sheet_items": "{n} chỉ tiêu", "sheet_prose": "Nhận định",
           "sheet_overrides": "Ý kiến chuyên viên", "sheet_numbers": "Số liệu",
           "id": "Mã", "item_no": "STT", "target_num": "Kế hoạch (số)",
           "estimate": "Ước thực hiện cả năm", "lo80": "Cận dưới 80%", "hi80": "Cận trên 80%",
           "lo95": "Cận dưới 95%", "hi95": "Cận trên 95%", "item_status": "Đánh giá chỉ tiêu",
           "indicators": "Các chỉ số", "n_ind": "Số chỉ số",
           "ind_status": "Đánh giá từng chỉ số", "title_table": "Tình hình thực hiện {n} chỉ số",
           "title_items": "Tình hình thực hiện {n} chỉ tiêu (theo chỉ số kém nhất)",
           "title_prose": "Nhận định", "title_overrides": "Ý kiến chuyên viên (không thay đổi "
           "số liệu)", "title_numbers": "Số liệu dùng cho báo cáo",
           "period": "{month_words} — số liệu đến tháng {month}/{year}"},
    "en": {"sheet_table": "Report", "sheet_items": "{n} targets", "sheet_prose": "Narrative",
           "sheet_overrides": "Analyst judgement", "sheet_numbers": "Numbers",
           "id": "ID", "item_no": "No.", "target_num": "Target (number)",
           "estimate": "Year-end estimate", "lo80": "80% low", "hi80": "80% high",
           "lo95": "95% low", "hi95": "95% high", "item_status": "Target's assessment",
           "indicators": "Indicators", "n_ind": "Indicators (n)",
           "ind_status": "Each indicator", "title_table": "Progress on {n} indicators",
           "title_items": "Progress on {n} targets (worst indicator decides)",
           "title_prose": "Narrative", "title_overrides": "Analyst judgement (numbers unchanged)",
           "title_numbers": "Numbers used by the report",
           "period": "{month_words} — data up to {month}/{year}"},
}

# The overrides file's columns as the reader reads them (unknown columns keep their name).
OVERRIDE_HEADERS = {
    "vi": {"indicator_id": "Mã", "status": "Đánh giá của chuyên viên", "reason": "Lý do",
           "by": "Người đánh giá", "date": "Ngày", "month": "Tháng", "unit_code": "Đơn vị"},
    "en": {"indicator_id": "ID", "status": "Analyst's assessment", "reason": "Reason",
           "by": "By", "date": "Date", "month": "Month", "unit_code": "Unit"},
}


def _fmt(unit: str, values: list[float]) -> str:
    """The display format of a row's quantities in `unit` (as many decimals as the report
    prints for the largest of them)."""
    finite = [abs(float(v)) for v in values if v is not None and np.isfinite(float(v))]
    decimals = quantity_decimals(unit, max(finite)) if finite else 0
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _cell(value):
    """NaN and None become empty cells, numpy scalars plain Python (openpyxl stores them)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        return None if isinstance(value, float) and not np.isfinite(value) else value
    return value


class _Sheet:
    """A sheet with the common head: title, banner, blank, header row; then rows."""

    def __init__(self, book: Workbook, name: str, title: str, banner: str, subtitle: str,
                 columns: list[tuple[str, float]]) -> None:
        self.ws = book.create_sheet(name[:31])
        ws = self.ws
        ws["A1"] = title
        ws["A1"].font = Font(bold=True, size=14)
        ws["A2"] = banner or subtitle
        if banner:
            ws["A2"].font = Font(bold=True, color="9C0006")
            ws["A2"].fill = BANNER_FILL
        ws["A3"] = subtitle if banner else None
        for col, (name_, width) in enumerate(columns, start=1):
            cell = ws.cell(HEADER_ROW, col, name_)
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            ws.column_dimensions[get_column_letter(col)].width = width
        # Only the wide text columns wrap: styling every cell was most of the writing time.
        self.wrap = {col for col, (_n, width) in enumerate(columns, start=1) if width >= 30}
        ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
        # Printed as offices print: A4 landscape, one page wide, the header on every page.
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        self.row = HEADER_ROW

    def add(self, values: list, formats: list[str | None] | None = None) -> None:
        self.row += 1
        for col, value in enumerate(values, start=1):
            cell = self.ws.cell(self.row, col, _cell(value))
            fmt = formats[col - 1] if formats else None
            if fmt:
                cell.number_format = fmt
            if col in self.wrap:
                cell.alignment = WRAP

    def finish(self) -> None:
        if self.row > HEADER_ROW:
            self.ws.auto_filter.ref = (f"A{HEADER_ROW}:"
                                       f"{get_column_letter(self.ws.max_column)}{self.row}")


def write_workbook(a: Assessment, numbers: pd.DataFrame, sections, path: str | Path,
                   lang: str = "vi") -> Path:
    """Write the workbook to `path` (saved under a temporary name, then renamed)."""
    lang = "en" if lang == "en" else "vi"
    w = WORDS[lang]
    cat = a.catalog
    year = cat.year
    banner = t("synthetic", lang) if a.dataset.source.synthetic else ""
    month_words = period_text(a.as_of, year, lang)
    subtitle = w["period"].format(month_words=month_words, month=f"{a.as_of:02d}", year=year)
    # The workbook's date and what it could know, as the report says them (report_setup).
    subtitle += " — " + setup_date_note(setup_for(a), data_received_on(a), lang)
    area = cat.meta.get("area_vi" if lang == "vi" else "area_en", "")
    if a.unit and a.unit != cat.default_unit and a.dataset.registry:
        area = a.dataset.registry.name(a.unit, lang)
    title = f"{t('title', lang)} — {area}"
    book = Workbook()
    book.remove(book.active)
    label = cat.statuses.label
    shown = display_table(a, lang, numbers)
    judged = shown.get(t("judgement", lang))  # the column exists only when overridden

    # 1. One row per indicator, figures as numbers.
    cols = [(w["id"], 7), (t("item", lang), 48), (t("group", lang), 18), (t("unit", lang), 12),
            (t("plan", lang, year=year), 22), (w["target_num"], 13),
            (t("month_value", lang), 13), (t("ytd", lang), 13), (t("pct_plan", lang), 10),
            (t("same_period", lang, prev=year - 1), 13), (t("pct_same", lang), 10),
            (w["estimate"], 13), (w["lo80"], 12), (w["hi80"], 12), (w["lo95"], 12),
            (w["hi95"], 12), (t("p_meet", lang), 10), (t("status", lang), 20),
            (w["item_status"], 20), (t("method", lang), 20), (t("reason", lang), 40),
            (t("judgement", lang), 40)]
    sheet = _Sheet(book, w["sheet_table"], title, banner,
                   f"{w['title_table'].format(n=len(numbers))} — {subtitle}", cols)
    for i, r in enumerate(numbers.to_dict("records")):
        fmt = _fmt(r["unit"], [r[k] for k in ("target", "month_value", "ytd", "same_period",
                                              "estimate", "lo80", "hi80", "lo95", "hi95")])
        name = r["name"] if lang == "vi" else r["name_en"]
        sheet.add([r["id"], f"{r['item']}. {name}", cat.group_name(r["group"], lang),
                   cat.unit_label(r["unit"], lang), shown.iloc[i][t("plan", lang, year=year)],
                   r["target"], r["month_value"], r["ytd"], _pct(r["pct_plan"]),
                   r["same_period"], _pct(r["pct_same"]), r["estimate"], r["lo80"], r["hi80"],
                   r["lo95"], r["hi95"], r["p_meet"], shown.iloc[i][t("status", lang)],
                   label(r["item_status"], lang), method_label(r["method"], lang),
                   reason_text(r["reason"] or r["note"] or "", lang),
                   judged.iloc[i] if judged is not None else ""],
                  [None] * 5 + [fmt, _with_note(fmt, reading_month(r, a.as_of, lang)), fmt]
                  + [PCT, fmt, PCT] + [fmt] * 5 + [PCT] + [None] * 5)
    sheet.finish()

    # 2. The plan's numbered items, each with the worst status of its indicators.
    items = items_table(a, numbers, lang)
    sheet = _Sheet(book, w["sheet_items"].format(n=len(items)), title, banner,
                   f"{w['title_items'].format(n=len(items))} — {subtitle}",
                   [(w["item_no"], 6), (t("group", lang), 18), (w["indicators"], 60),
                    (w["n_ind"], 9), (w["item_status"], 22), (w["ind_status"], 60)])
    for row in items.itertuples(index=False):
        sheet.add(list(row), ["0", None, None, "0", None, None])
    sheet.finish()

    # 3. The narrative, a paragraph a row.
    sheet = _Sheet(book, w["sheet_prose"], title, banner, f"{w['title_prose']} — {subtitle}",
                   [(t("group", lang), 22), (t("narrative", lang), 140)])
    for s in sections:
        for text in (s.opening, *s.sentences):
            sheet.add([s.title, text])
    # Then the analyst's own text (report_text/<month>.md), as on the page and in the Word.
    parts, missing = analyst_parts(a, lang)
    for heading, lines in parts or [(t("analyst", lang), [missing])]:
        for text in lines:
            sheet.add([heading, text])
    sheet.finish()

    # 3b. How a status is decided (outputs.rules: the same sentences as the page and Word).
    rules = RULES[lang]["title"]
    sheet = _Sheet(book, rules, title, banner, f"{rules} — {subtitle}",
                   [(w["item_no"], 6), (rules, 140)])
    for n, text in enumerate(status_rule_lines(cat, lang), start=1):
        sheet.add([n, text], ["0", None])

    # 4. The analyst's judgement, when there is any.
    if a.overrides is not None and len(a.overrides):
        o = a.overrides
        heads = OVERRIDE_HEADERS[lang]
        sheet = _Sheet(book, w["sheet_overrides"], title, banner,
                       f"{w['title_overrides']} — {subtitle}",
                       [(heads.get(str(c), str(c)), 60 if c == "reason" else 18)
                        for c in o.columns])
        for row in o.itertuples(index=False):
            sheet.add([label(v, lang) if c == "status" else v for c, v in zip(o.columns, row,
                                                                                strict=True)])
        sheet.finish()

    # 5. Every number the report used, under the reader's headers, each column numeric
    # with its display format (a quantity in its row's precision, a share as a percentage).
    cols = [(c, NUMBER_COLUMNS[c]) for c in numbers.columns if c in NUMBER_COLUMNS
            and not (lang == "vi" and c.endswith("_en"))
            and not (lang == "en" and f"{c}_en" in numbers.columns)]
    sheet = _Sheet(book, w["sheet_numbers"], title, banner,
                   f"{w['title_numbers']} — {subtitle}",
                   [(spec[0 if lang == "vi" else 1], 30 if spec[2] == "text" else 14)
                    for _c, spec in cols])
    for r in numbers.to_dict("records"):
        fmt = _fmt(r["unit"], [r[k] for k in ("target", "month_value", "ytd", "same_period",
                                              "estimate", "lo80", "hi80", "lo95", "hi95")])
        values, formats = [], []
        for c, (_vi, _en, kind) in cols:
            v = r[c]
            if kind == "qty":
                values.append(v)
                formats.append(fmt)
            elif kind == "pct100":
                values.append(_pct(v))
                formats.append(PCT)
            elif kind == "p":
                values.append(v)
                formats.append(PCT)
            elif kind == "int":
                values.append(v)
                formats.append("0")
            else:
                values.append(_words(c, v, cat, lang))
                formats.append(None)
        sheet.add(values, formats)
    sheet.finish()

    # 6. The five-year plan's term targets (a sheet only when the catalog names a term file).
    from .term_review import add_term_sheet

    add_term_sheet(book, a, title, banner, subtitle, _Sheet)
    no_formulas(book)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    book.save(tmp)
    tmp.replace(path)
    return path


# The report's numbers (report_table.numbers_table) as sheet 5 shows them: header in
# Vietnamese and English, and the kind of value (qty: in the row's unit and precision;
# pct100: a percentage stored as 72,6; p: a probability 0–1; int; text).
NUMBER_COLUMNS = {
    "id": ("Mã", "ID", "text"), "unit_code": ("Đơn vị báo cáo", "Unit", "text"),
    "item": ("Chỉ tiêu số", "Target no.", "int"), "group": ("Nhóm", "Group", "text"),
    "name": ("Tên chỉ số", "Name", "text"), "name_en": ("Tên chỉ số", "Name", "text"),
    "unit": ("ĐVT", "Unit of measure", "text"), "rule": ("Yêu cầu", "Rule", "text"),
    "kind": ("Loại số liệu", "Kind", "text"), "target": ("Kế hoạch (số)", "Target", "qty"),
    "month_value": ("Thực hiện tháng", "Month", "qty"), "ytd": ("Lũy kế", "To date", "qty"),
    "pct_plan": ("% kế hoạch", "% of target", "pct100"),
    "same_period": ("Cùng kỳ năm trước", "Same period last year", "qty"),
    "pct_same": ("% so cùng kỳ", "% of same period", "pct100"),
    "estimate": ("Ước thực hiện cả năm", "Year-end estimate", "qty"),
    "lo80": ("Cận dưới 80%", "80% low", "qty"), "hi80": ("Cận trên 80%", "80% high", "qty"),
    "lo95": ("Cận dưới 95%", "95% low", "qty"), "hi95": ("Cận trên 95%", "95% high", "qty"),
    "p_meet": ("Xác suất đạt kế hoạch", "Probability of meeting the target", "p"),
    "status": ("Đánh giá", "Status", "text"), "item_status": ("Đánh giá chỉ tiêu",
                                                              "Target's status", "text"),
    "method": ("Phương pháp ước tính", "Method", "text"), "reason": ("Ghi chú", "Note", "text"),
    "note": ("Ghi chú của phương pháp", "Method note", "text"),
    "low_confidence": ("Ước theo xu hướng các năm trước (*)", "Projection from past years (*)",
                       "text"),
    "provisional": ("Tạm đánh giá theo xu hướng", "Provisional (trend)", "text"),
    "plan_text": ("Kế hoạch (lời văn)", "Target (wording)", "text"),
    "plan_text_en": ("Kế hoạch (lời văn)", "Target (wording)", "text"),
    "basis": ("Cách tính", "Basis", "text"), "basis_en": ("Cách tính", "Basis", "text"),
    "office_reading": ("Cách hiểu của phòng", "Office reading", "text"),
    "office_reading_en": ("Cách hiểu của phòng", "Office reading", "text"),
    "data_month": ("Tháng có số liệu mới nhất", "Latest month with figures", "int"),
    "last_year": ("Năm trước", "Last year", "qty"),
    "missing_setting": ("Thiếu số tỉnh giao", "Missing setting", "text"),
    "required_pace": ("Cần đạt mỗi tháng còn lại", "Required monthly pace", "qty"),
    "observed_pace": ("Bình quân tháng đã qua", "Monthly pace so far", "qty"),
    "last_year_pace": ("Cùng kỳ năm trước (các tháng còn lại)", "Last year's pace", "qty"),
}
RULE_WORDS = {"vi": {"ge": "đạt trở lên", "gt": "vượt", "le": "không vượt quá",
                     "lt": "dưới", "about": "khoảng", "reduce": "giảm so với năm trước",
                     "yes": "đạt/không"},
              "en": {}}
KIND_WORDS = {"vi": {"flow": "cộng dồn theo tháng", "level": "mức (tỷ lệ)",
                     "milestone": "số lần công nhận", "annual": "số cả năm",
                     "derived": "tính từ chỉ số khác"}, "en": {}}


def _words(column: str, value, cat, lang: str):
    """A text column's value as the reader reads it (labels, not machine names)."""
    if isinstance(value, (list, dict)):
        return str(value)
    if isinstance(value, (bool, np.bool_)):
        return ("Có" if value else "Không") if lang == "vi" else ("yes" if value else "no")
    if column == "group":
        return cat.group_name(value, lang)
    if column in ("status", "item_status"):
        return cat.statuses.label(value, lang)
    if column == "method":
        return method_label(value, lang) if value else ""
    if column in ("reason", "note"):
        return reason_text(value or "", lang)
    if column == "unit":
        return cat.unit_label(value, lang)
    if column == "rule":
        return RULE_WORDS[lang if lang in RULE_WORDS else "en"].get(value, value)
    if column == "kind":
        return KIND_WORDS[lang if lang in KIND_WORDS else "en"].get(value, value)
    return value


def _with_note(fmt: str, note: str) -> str:
    """A number format that shows a text after the number ('81,69 (tháng 5)'), the cell
    still a number."""
    return f'{fmt}" {note}"' if note else fmt


def _pct(value: float) -> float:
    """Percent (72.6) -> fraction (0.726), shown as 72,6% by the cell format."""
    return value / 100 if value is not None and np.isfinite(value) else np.nan


def items_table(a: Assessment, numbers: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """One row per numbered item of the plan (engine.assess.items_table: the worst of its
    indicators' statuses), with names, groups and each indicator's status, as text."""
    def status(s: str, provisional: bool) -> str:
        return status_text(a.catalog.statuses, s, provisional, lang)

    by_id = numbers.set_index("id")
    rows = []
    for it in assess_items(a.table, a.catalog).itertuples(index=False):
        part = by_id.loc[it.indicators]
        names = part["name"] if lang == "vi" else part["name_en"]
        rows.append({
            "item": int(it.item), "group": a.catalog.group_name(part["group"].iloc[0], lang),
            "indicators": "; ".join(f"{i}: {n}" for i, n in zip(part.index, names, strict=True)),
            "n": len(part), "status": status(it.status, it.provisional),
            "each": "; ".join(f"{i}: {status(s, bool(pv))}" for i, s, pv in
                              zip(part.index, part["status"], part["provisional"], strict=True)),
        })
    return pd.DataFrame(rows)
