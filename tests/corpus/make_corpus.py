"""Writes the malformed-input corpus in this folder (run: python tests/corpus/make_corpus.py).

Each file is made the way department files go wrong in real offices; `expected.yaml` lists
the words its rejection message must contain. The files are committed; this script is how
they were made, so a new case is a new entry here.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import yaml
from openpyxl import load_workbook

from kpi_lib.inputs.template import FIRST_ROW, MONTH_COL, SHEET, write_template
from kpi_lib.plan.catalog import load_catalog

HERE = Path(__file__).parent
H = "indicator_id,period,value\n"
CSV = {  # name: (text, words)
    "unknown_indicator": (H + "T99,2025-01,5\n", ["row 2", "unknown indicator"]),
    "near_miss_id": (H + "T1O,2025-01,5\n", ["did you mean T10"]),
    "period_other_year": (H + "T10,2031-01,5\n", ["after this catalog's year"]),
    "month_13": (H + "T10,2025-13,5\n", ["not a period"]),
    "month_written_in_words": (H + "T10,tháng 1/2025,5\n", ["not a period"]),
    "text_in_number": (H + "T10,2025-01,mười\n", ["not a number"]),
    "number_with_unit": (H + "T10,2025-01,50 người\n", ["not a number"]),
    "percent_over_100": (H + "T16,2025-01,120\n", ["outside 0–100"]),
    "negative_count": (H + "T10,2025-01,-5\n", ["negative"]),
    "conflicting_duplicates": (H + "T10,2025-01,5\nT10,2025-01,6\n", ["conflicting"]),
    "ytd_goes_down": (("indicator_id,period,value,value_type\nT10,2025-02,300,ytd\n"
                       "T10,2025-03,250,ytd\n"), ["goes down"]),
    "empty_file": ("", ["empty"]),
    "only_spaces": ("   \n\n", ["empty"]),
    "header_only": (H, ["no figures"]),
    "no_header": ("T10,2025-01,5\n", ["missing column"]),
    "wrong_header_language": ("ma_chi_tieu,thang,so_lieu\nT10,2025-01,5\n", ["missing column"]),
    "duplicated_column": ("indicator_id,period,value,value\nT10,2025-01,5,6\n",
                          ["more than once"]),
    "ambiguous_thousands_comma": (H + 'T10,2025-01,"1,600"\n', ["ambiguous"]),
    "mixed_number_formats": (H + 'T01,2025-01,"1.698,25"\nT01,2025-02,2305.5\n', ["mixes"]),
    "malformed_grouping": (H + "T10,2025-01,1.60.0\n", ["grouping"]),
    "percentage_as_fraction": ("indicator_id,period,value,value_type\nT16,2025-01,\"0,94\",level\n",
                               ["fraction"]),
    "percent_sign_on_a_count": (H + "T10,2025-01,50%\n", ["percentage for T10"]),
    "derived_indicator_entered": (H + "T02,2025-01,9\n", ["computed"]),
    "unit_not_in_catalog": ("indicator_id,unit_code,period,value\nT10,HANOI,2025-01,5\n",
                            ["unit code"]),
    "future_month": ("indicator_id,period,value,reported_at\nT10,2025-12,5,2025-06-01\n",
                     ["had not ended"]),
    "bad_report_date": ("indicator_id,period,value,reported_at\nT10,2025-01,5,hôm qua\n",
                        ["reported_at"]),
    "level_sent_as_month": ("indicator_id,period,value,value_type\nT16,2025-01,90,month\n",
                            ["level indicator"]),
    "unknown_value_type": ("indicator_id,period,value,value_type\nT10,2025-01,5,luy ke\n",
                           ["unknown value_type"]),
    "yes_no_out_of_range": ("indicator_id,period,value,value_type\nT08d,2025-06,2,level\n",
                            ["1 (đạt) or 0"]),
    "empty_value": (H + "T10,2025-01,\n", ["empty value"]),
    "many_problems": (H + "T99,2025-01,5\nT10,2025-13,5\nT10,2025-02,x\n",
                      ["row 2", "row 3", "row 4"]),
}
BYTES = {
    "windows_1258.csv": (b"indicator_id,period,value,source\nT10,2025-01,5,"
                         + b"Pho\xccng N\xf4\xf2i vu\xf2\n", ["not UTF-8"]),
    "utf16.csv": ((H + "T10,2025-01,5\n").encode("utf-16"), ["UTF-16"]),
    "binary_renamed.csv": (b"\x00\x01\x02\x03PK\x00", ["not a text table"]),
    "not_a_spreadsheet.xlsx": (b"Kinh gui Phong Tai chinh...", ["not a readable .xlsx"]),
    "macro_enabled.xlsm": (b"PK\x03\x04", ["macro"]),
    "excel_97.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ["97-2003"]),
    "scan.pdf": (b"%PDF-1.4", ["unsupported file type"]),
}


def _form(name: str, edit, values=None) -> tuple[Path, None]:
    catalog = load_catalog()
    path = write_template(catalog, 2025, HERE / f"{name}.xlsx")
    wb = load_workbook(path)
    ws = wb[SHEET]
    ws["C6"] = "05/10/2025"
    for r in range(FIRST_ROW, ws.max_row + 1):
        if ws.cell(r, 1).value == "T10":
            for m, v in (values or {1: 90, 2: 95}).items():
                ws.cell(r, MONTH_COL + m - 1).value = v
    edit(ws, wb)
    wb.save(path)


def _error(ws, wb):
    cell = ws.cell(_row(ws, "T10"), MONTH_COL)
    cell.value = "#DIV/0!"
    cell.data_type = "e"


def _row(ws, iid):
    return next(r for r in range(FIRST_ROW, ws.max_row + 1) if ws.cell(r, 1).value == iid)


FORMS = {
    "form_formula": (lambda ws, wb: setattr(ws.cell(_row(ws, "T10"), MONTH_COL), "value",
                                            "=SUM(A1:A2)"), ["formula"]),
    "form_error_cell": (_error, ["Excel error"]),
    "form_hidden_row": (lambda ws, wb: setattr(ws.row_dimensions[_row(ws, "T10")], "hidden",
                                               True), ["hidden"]),
    "form_merged_cells": (lambda ws, wb: ws.merge_cells(start_row=_row(ws, "T10"),
                                                        start_column=MONTH_COL,
                                                        end_row=_row(ws, "T10"),
                                                        end_column=MONTH_COL + 1), ["merged"]),
    "form_month_column_deleted": (lambda ws, wb: ws.delete_cols(MONTH_COL + 2), ["month columns"]),
    "form_column_inserted": (lambda ws, wb: ws.insert_cols(MONTH_COL), ["month columns"]),
    "form_year_changed": (lambda ws, wb: ws.__setitem__("C4", 2024), ["year cell says 2024"]),
    "form_other_catalog": (lambda ws, wb: wb["_kpi"].__setitem__("B3", "tinh-khac-2024"),
                           ["catalog"]),
    "form_bad_mode": (lambda ws, wb: ws.__setitem__("C7", "cả hai"), ["entry mode"]),
    "form_bad_report_date": (lambda ws, wb: ws.__setitem__("C6", "đầu tháng"), ["report date"]),
    "form_text_in_cell": (lambda ws, wb: setattr(ws.cell(_row(ws, "T10"), MONTH_COL), "value",
                                                 "chưa có"), ["not a number"]),
    "form_sheet_renamed": (lambda ws, wb: setattr(ws, "title", "Sheet1"), ["missing"]),
    "form_extra_sheet_with_figures": (lambda ws, wb: wb.create_sheet("Phu luc").append(
        ["T21", 1, 2, 3]), ["Phu luc"]),
    "form_empty": (lambda ws, wb: [setattr(ws.cell(_row(ws, "T10"), MONTH_COL + k), "value",
                                           None) for k in range(2)], ["no figures"]),
    "form_ytd_goes_down": (lambda ws, wb: (ws.__setitem__("C7", "Lũy kế"), setattr(
        ws.cell(_row(ws, "T10"), MONTH_COL + 1), "value", 50)), ["goes down"]),
}


def main() -> None:
    expected = {}
    for name, (text, words) in CSV.items():
        (HERE / f"{name}.csv").write_text(text, encoding="utf-8")
        expected[f"{name}.csv"] = words
    for name, (data, words) in BYTES.items():
        (HERE / name).write_bytes(data)
        expected[name] = words
    for name, (edit, words) in FORMS.items():
        _form(name, edit)
        expected[f"{name}.xlsx"] = words
    good = write_template(load_catalog(), 2025, HERE / "truncated.xlsx").read_bytes()
    (HERE / "truncated.xlsx").write_bytes(good[: len(good) // 2])
    expected["truncated.xlsx"] = ["not a readable .xlsx"]
    with zipfile.ZipFile(HERE / "zip_not_xlsx.xlsx", "w") as z:
        z.writestr("hello.txt", "not a workbook")
    expected["zip_not_xlsx.xlsx"] = ["not a readable .xlsx"]
    (HERE / "expected.yaml").write_text(yaml.safe_dump(expected, allow_unicode=True,
                                                       sort_keys=True), encoding="utf-8")
    print(f"{len(expected)} malformed files in {HERE}")


if __name__ == "__main__":
    main()
