"""The Excel form departments fill in, written with openpyxl.

Layout of sheet "BaoCao" (the reader in ingest.py relies on it, and on the hidden
sheet "_kpi" that identifies the form):
    rows 3-7   header block: unit code, year, department, report date, entry mode
    row 9      column headings: id, name, unit, kind, months 1-12, whole year, note
    row 10..   one row per indicator departments enter (derived ones are computed)
"""

from __future__ import annotations

from pathlib import Path

from ..common.files import replace_file
from ..common.text import no_formulas
from ..plan.catalog import Catalog

SHEET = "BaoCao"
META_SHEET = "_kpi"
TEMPLATE_VERSION = 1
HEADER_ROW = 9
FIRST_ROW = 10
MONTH_COL = 5  # column E = month 1
YEAR_COL = MONTH_COL + 12  # column Q = whole year
NOTE_COL = YEAR_COL + 1
MODE_MONTH = "Số tháng"
MODE_YTD = "Lũy kế"
HEADER_CELLS = {  # label, value cell
    "unit": ("Đơn vị (mã)", "C3"),
    "year": ("Năm", "C4"),
    "department": ("Phòng, ban gửi báo cáo", "C5"),
    "report_date": ("Ngày báo cáo (dd/mm/yyyy)", "C6"),
    "mode": ("Số liệu tháng nhập theo", "C7"),
}
KIND_VI = {"flow": "cộng dồn", "level": "mức", "annual": "năm", "milestone": "sự kiện"}


def write_template(catalog: Catalog, year: int, out: Path, unit: str | None = None,
                   mode: str = MODE_MONTH) -> Path:
    """Write the fill-in form for `year` to `out` (.xlsx)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws["A1"] = f"BIỂU BÁO CÁO SỐ LIỆU CHỈ TIÊU KẾ HOẠCH NĂM {year}"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = (f"{catalog.meta.get('area_vi', '')} – {catalog.meta.get('plan_vi', '')}")[:250]
    values = {"unit": unit or catalog.default_unit, "year": year, "department": "",
              "report_date": "", "mode": mode}
    for row, (key, (label, cell)) in enumerate(HEADER_CELLS.items(), start=3):
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        ws[cell] = values[key]
        ws[cell].fill = PatternFill("solid", fgColor="FFF2CC")
    mode_choice = DataValidation(type="list", formula1=f'"{MODE_MONTH},{MODE_YTD}"',
                                 allow_blank=False)
    ws.add_data_validation(mode_choice)
    mode_choice.add(HEADER_CELLS["mode"][1])
    ws["E7"] = ("'Số tháng' = số của riêng tháng đó; 'Lũy kế' = cộng dồn từ đầu năm. "
                "Chỉ tiêu loại 'mức' nhập số đọc tại tháng; loại 'năm' nhập ở cột Cả năm.")
    heads = ["Mã chỉ tiêu", "Chỉ tiêu", "ĐVT", "Loại"] + [f"Tháng {m}" for m in range(1, 13)] \
        + ["Cả năm", "Ghi chú"]
    for col, text in enumerate(heads, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    row = FIRST_ROW
    for ind in catalog.all_series:
        if not ind.entered:
            continue
        ws.cell(row=row, column=1, value=ind.id)
        ws.cell(row=row, column=2, value=ind.name_vi)
        ws.cell(row=row, column=3, value=ind.entry_unit)
        ws.cell(row=row, column=4, value=KIND_VI.get(ind.kind, ind.kind))
        row += 1
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 48
    ws.column_dimensions["C"].width = 14
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=MONTH_COL)
    meta = wb.create_sheet(META_SHEET)
    for r, (k, v) in enumerate({"template": "kpi-workbench", "version": TEMPLATE_VERSION,
                                "catalog": catalog.meta.get("id", ""), "year": year}.items(), 1):
        meta.cell(row=r, column=1, value=k)
        meta.cell(row=r, column=2, value=v)
    meta.sheet_state = "hidden"
    no_formulas(wb)  # a name from the catalog starting with '=' stays text
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    replace_file(out, wb.save)  # a form replaced with --force keeps its mode
    return out
