"""Ingest: the Excel form round trip, tidy CSV, and every class of bad input.

Each bad file must be rejected whole, with a message naming where and what to do,
no traceback, and the store byte-for-byte unchanged.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from kpi_lib.inputs.ingest import check_file, ingest_files
from kpi_lib.inputs.store import Store
from kpi_lib.inputs.template import FIRST_ROW, MONTH_COL, SHEET, YEAR_COL, write_template

from .conftest import run_kpi, tree_checksum

TODAY = date(2026, 1, 15)


def fill_form(path: Path, values: dict[str, dict[int, object]], report_date="05/10/2025",
              mode=None, edit=None) -> Path:
    """Fill a written form like a department would: {indicator: {month (13=year): value}}."""
    wb = load_workbook(path)
    ws = wb[SHEET]
    ws["C6"] = report_date
    ws["C5"] = "Phòng Thống kê"
    if mode:
        ws["C7"] = mode
    for r in range(FIRST_ROW, ws.max_row + 1):
        for month, value in values.get(ws.cell(r, 1).value, {}).items():
            ws.cell(r, MONTH_COL + month - 1).value = value
    if edit:
        edit(ws, wb)
    wb.save(path)
    return path


@pytest.fixture
def form(tmp_path, catalog):
    return write_template(catalog, 2025, tmp_path / "form.xlsx")


@pytest.fixture
def store(tmp_path):
    root = tmp_path / "store"
    seed = tmp_path / "seed.csv"
    seed.write_text("indicator_id,period,value,value_type,reported_at\n"
                    "T10,2025-01,100,month,2025-02-05\nT21,2025-01,50,ytd,2025-02-05\n",
                    encoding="utf-8")
    results = ingest_files([seed], _catalog(), Store(root))
    assert results[0].ok, results[0].problems.problems
    return Store(root)


def _catalog():
    from kpi_lib.plan.catalog import load_catalog
    return load_catalog()


def test_template_round_trip(form, tmp_path, catalog):
    """Write the form, fill it, ingest, read back identical values."""
    entered = {"T10": {m: 100 + m for m in range(1, 10)},           # numbers
               "T01": {1: "1.698,25", 2: "2.305,5"},                 # Vietnamese text
               "T16": {1: 93.5, 3: "93,8"},                          # a level, monthly readings
               "T22": {13: None}, "T19a": {1: 4, 2: 0}}
    fill_form(form, entered)
    st = Store(tmp_path / "s")
    results = ingest_files([form], catalog, st)
    assert results[0].ok, [str(p) for p in results[0].problems.problems]
    back = st.read().set_index(["indicator_id", "period"])
    assert back.loc[("T10", "2025-09"), "value"] == 109
    assert back.loc[("T01", "2025-01"), "value"] == pytest.approx(1698.25)
    assert back.loc[("T01", "2025-02"), "value"] == pytest.approx(2305.5)
    assert back.loc[("T16", "2025-03"), "value_type"] == "level"
    assert back.loc[("T19a", "2025-02"), "value"] == 0
    assert set(back.loc["T10", "value_type"]) == {"month"}
    assert len(back) == 9 + 2 + 2 + 2
    assert (back["reported_at"].str[:10] == "2025-10-05").all()
    # the raw file is kept unchanged beside the store, named by its sha256
    raw = list((st.root / "raw").iterdir())
    assert len(raw) == 1 and raw[0].read_bytes() == form.read_bytes()


def test_form_in_year_to_date_mode(form, tmp_path, catalog):
    fill_form(form, {"T21": {1: 50, 2: 120, 3: 200}}, mode="Lũy kế")
    st = Store(tmp_path / "s")
    assert ingest_files([form], catalog, st)[0].ok
    assert set(st.read()["value_type"]) == {"ytd"}


def test_ingesting_the_same_file_twice_is_a_reported_no_op(form, tmp_path, catalog):
    fill_form(form, {"T10": {1: 5}})
    st = Store(tmp_path / "s")
    first = ingest_files([form], catalog, st)[0]
    before = tree_checksum(st.root)
    second = ingest_files([form], catalog, st)[0]
    assert first.added == 1 and second.skipped_duplicate_file and second.added == 0
    assert tree_checksum(st.root) == before


def test_a_correction_is_a_new_row_and_vintages_reproduce_the_past(tmp_path, catalog):
    st = Store(tmp_path / "s")
    a = tmp_path / "a.csv"
    a.write_text("indicator_id,period,value,reported_at\nT10,2025-05,100,2025-06-05\n")
    b = tmp_path / "b.csv"
    b.write_text("indicator_id,period,value,reported_at\nT10,2025-05,95,2025-08-20\n")
    ingest_files([a, b], catalog, st)
    assert len(st.read(latest=False)) == 2
    assert st.read("2025-07-01")["value"].tolist() == [100]
    assert st.read()["value"].tolist() == [95]


def test_tidy_csv_semicolon_bom_and_vietnamese_numbers(tmp_path, catalog):
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffindicator_id;unit_code;period;value;value_type\n"
                     "T01;BINHSON;2025-01;1.698,25;month\nT16;BINHSON;2025-Q1;93,5%;level\n"
                     .encode("utf-8"))
    result = check_file(path, catalog, today=TODAY)
    assert result.ok, [str(p) for p in result.problems.problems]
    assert result.rows["value"].tolist() == [1698.25, 93.5]
    assert any("percent" in str(n) for n in result.problems.notes)


BAD_CSV = {  # name: (content, words the message must contain)
    "unknown_indicator": ("indicator_id,period,value\nT99,2025-01,5\n", ["row 2", "unknown indicator", "T99"]),
    "period_outside_year": ("indicator_id,period,value\nT10,2031-01,5\n", ["row 2", "period", "2031-01"]),
    "bad_period": ("indicator_id,period,value\nT10,2025-13,5\n", ["row 2", "not a period"]),
    "text_in_number": ("indicator_id,period,value\nT10,2025-01,mười\n", ["row 2", "not a number", "mười"]),
    "percent_over_100": ("indicator_id,period,value,value_type\nT16,2025-01,120,level\n", ["outside 0–100"]),
    "negative_count": ("indicator_id,period,value\nT10,2025-01,-5\n", ["negative"]),
    "conflicting_duplicates": ("indicator_id,period,value\nT10,2025-01,5\nT10,2025-01,6\n", ["conflicting", "rows 2, 3"]),
    "ytd_goes_down": ("indicator_id,period,value,value_type\nT10,2025-02,300,ytd\nT10,2025-03,250,ytd\n", ["goes down"]),
    "ytd_below_store": ("indicator_id,period,value,value_type\nT21,2025-02,20,ytd\n", ["goes down", "T21"]),
    "empty_file": ("", ["empty"]),
    "header_only": ("indicator_id,period,value\n", ["no figures"]),
    "wrong_header": ("ma,thang,so\nT10,2025-01,5\n", ["missing column", "indicator_id"]),
    "ambiguous_number": ("indicator_id,period,value\nT10,2025-01,\"1,600\"\n", ["ambiguous"]),
    "mixed_conventions": ("indicator_id,period,value\nT01,2025-01,\"1.698,25\"\nT01,2025-02,2305.5\n", ["mixes"]),
    "derived_entered": ("indicator_id,period,value\nT02,2025-01,9\n", ["computed", "T01"]),
    "unknown_unit": ("indicator_id,unit_code,period,value\nT10,HANOI,2025-01,5\n", ["unit code", "HANOI"]),
    "future_month": ("indicator_id,period,value,reported_at\nT10,2025-12,5,2025-06-01\n", ["had not ended"]),
    "wrong_value_type": ("indicator_id,period,value,value_type\nT16,2025-01,90,month\n", ["level indicator"]),
    "yes_no_out_of_range": ("indicator_id,period,value,value_type\nT08d,2025-06,2,level\n", ["1 (đạt) or 0"]),
    "percent_for_a_count": ("indicator_id,period,value\nT10,2025-01,50%\n", ["percentage for T10"]),
    "windows_1258": ("indicator_id,period,value,source\nT10,2025-01,5,Phòng Nội vụ\n", ["not UTF-8"]),
    "utf16": ("indicator_id,period,value\nT10,2025-01,5\n", ["UTF-16"]),
}


def _write_bad(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / f"{name}.csv"
    if name == "windows_1258":
        # Windows-1258 writes "Phòng Nội vụ" with combining marks: o + 0xCC (grave), ...
        path.write_bytes(content.replace("Phòng Nội vụ", "@").encode("ascii")
                         .replace(b"@", b"Pho\xccng N\xf4\xf2i vu\xf2"))
    elif name == "utf16":
        path.write_bytes(content.encode("utf-16"))
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(BAD_CSV))
def test_bad_csv_is_rejected_and_the_store_is_untouched(name, tmp_path, store, catalog):
    content, words = BAD_CSV[name]
    path = _write_bad(tmp_path, name, content)
    before = tree_checksum(store.root)
    results = ingest_files([path], catalog, store)
    assert not results[0].ok
    text = "\n".join(str(p) for p in results[0].problems.errors)
    assert path.name in text
    for word in words:
        assert word in text, text
    assert all(p.fix for p in results[0].problems.errors), text
    assert tree_checksum(store.root) == before


def _form_with(tmp_path, catalog, name):
    path = write_template(catalog, 2025, tmp_path / f"{name}.xlsx")
    return path


BAD_FORMS = {
    "formula": (lambda ws, wb: ws.cell(FIRST_ROW, MONTH_COL).__setattr__("value", "=1+1"), ["formula"]),
    "error_cell": (lambda ws, wb: _error_cell(ws), ["Excel error"]),
    "hidden_row": (lambda ws, wb: _hide_row(ws), ["hidden"]),
    "merged_cells": (lambda ws, wb: ws.merge_cells(start_row=FIRST_ROW, start_column=MONTH_COL,
                                                   end_row=FIRST_ROW, end_column=MONTH_COL + 1), ["merged"]),
    "wrong_year": (lambda ws, wb: ws.__setitem__("C4", 2024), ["year cell says 2024"]),
    "bad_mode": (lambda ws, wb: ws.__setitem__("C7", "cả hai"), ["entry mode"]),
    "bad_report_date": (lambda ws, wb: ws.__setitem__("C6", "hôm qua"), ["report date"]),
    "text_in_cell": (lambda ws, wb: ws.cell(FIRST_ROW, MONTH_COL).__setattr__("value", "n/a"), ["not a number", "column E"]),
    "other_catalog": (lambda ws, wb: wb["_kpi"].__setitem__("B3", "tinh-khac-2024"), ["catalog"]),
    "empty_form": (lambda ws, wb: _clear(ws), ["no figures"]),
}


def _error_cell(ws):
    cell = ws.cell(FIRST_ROW, MONTH_COL)
    cell.value = "#DIV/0!"
    cell.data_type = "e"


def _hide_row(ws):
    ws.row_dimensions[FIRST_ROW].hidden = True


def _clear(ws):
    for r in range(FIRST_ROW, ws.max_row + 1):
        for c in range(MONTH_COL, YEAR_COL + 1):
            ws.cell(r, c).value = None


@pytest.mark.parametrize("name", sorted(BAD_FORMS))
def test_bad_form_is_rejected_and_the_store_is_untouched(name, tmp_path, store, catalog):
    edit, words = BAD_FORMS[name]
    path = _form_with(tmp_path, catalog, name)
    fill_form(path, {"S_AGR": {1: 150}, "T10": {1: 90}}, edit=edit)
    before = tree_checksum(store.root)
    result = ingest_files([path], catalog, store)[0]
    text = "\n".join(str(p) for p in result.problems.errors)
    assert not result.ok
    for word in words:
        assert word in text, text
    assert tree_checksum(store.root) == before


@pytest.mark.parametrize("name, data, words", [
    ("truncated.xlsx", None, ["not a readable .xlsx"]),
    ("notes.xlsx", b"this is not a spreadsheet", ["not a readable .xlsx"]),
    ("macro.xlsm", b"PK", ["macro"]),
    ("old.xls", b"\xd0\xcf\x11\xe0", ["97-2003"]),
    ("photo.png", b"\x89PNG", ["unsupported file type"]),
])
def test_files_that_are_not_forms(tmp_path, store, catalog, form, name, data, words):
    path = tmp_path / name
    path.write_bytes(data if data is not None else form.read_bytes()[:2000])
    before = tree_checksum(store.root)
    result = ingest_files([path], catalog, store)[0]
    text = "\n".join(str(p) for p in result.problems.errors)
    assert not result.ok and all(w in text for w in words), text
    assert tree_checksum(store.root) == before


def test_every_problem_in_a_file_is_reported(tmp_path, catalog):
    path = tmp_path / "many.csv"
    path.write_text("indicator_id,period,value\nT99,2025-01,5\nT10,2025-13,5\nT10,2025-02,x\n")
    result = check_file(path, catalog, today=TODAY)
    rows = sorted(p.row for p in result.problems.errors)
    assert rows == [2, 3, 4]


def test_stray_spaces_and_case_are_accepted_and_reported(tmp_path, catalog):
    path = tmp_path / "ok.csv"
    path.write_text("indicator_id,period,value\n t10 ,2025-01,5\nt21,2025-01,7\n")
    result = check_file(path, catalog, today=TODAY)
    assert result.ok and result.rows["indicator_id"].tolist() == ["T10", "T21"]
    assert len(result.problems.notes) == 2


def test_one_bad_file_does_not_block_a_good_one(tmp_path, catalog):
    good = tmp_path / "good.csv"
    good.write_text("indicator_id,period,value\nT10,2025-01,5\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator_id,period,value\nT10,2025-01,x\n")
    st = Store(tmp_path / "s")
    results = ingest_files([bad, good], catalog, st)
    assert [r.ok for r in results] == [False, True]
    assert st.read()["value"].tolist() == [5]


def test_cli_ingest_reports_without_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator_id,period,value\nT10,2025-01,x\n")
    data = tmp_path / "store"
    result = run_kpi("ingest", bad, "--data", data)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "bad.csv, row 2, column value: not a number" in result.stderr
    assert not (data / "observations.csv").exists()


def test_cli_template_validate_ingest(tmp_path):
    out = tmp_path / "bieu.xlsx"
    assert run_kpi("template", "--year", "2025", "--out", out).returncode == 0
    fill_form(out, {"T10": {1: 12}})
    assert run_kpi("validate", out, "--data", tmp_path / "s").returncode == 0
    assert not (tmp_path / "s" / "observations.csv").exists()  # validate writes nothing
    result = run_kpi("ingest", out, "--data", tmp_path / "s")
    assert result.returncode == 0 and "1 figure" in result.stdout
    again = run_kpi("ingest", out, "--data", tmp_path / "s")
    assert again.returncode == 0 and "already ingested" in again.stdout


def test_raw_inputs_are_never_modified(tmp_path, catalog, form):
    fill_form(form, {"T10": {1: 12}})
    copy = tmp_path / "copy.xlsx"
    shutil.copy(form, copy)
    ingest_files([form], catalog, Store(tmp_path / "s"))
    assert form.read_bytes() == copy.read_bytes()


def test_other_catalog_units_and_targets(tmp_path, other_catalog):
    path = tmp_path / "x.csv"
    path.write_text("indicator_id,unit_code,period,value\nJ1,XATN-A,2026-01,12\nJ1,BINHSON,2026-01,3\n")
    result = check_file(path, other_catalog, today=date(2026, 3, 1))
    assert [p.row for p in result.problems.errors] == [3]
    assert isinstance(result.rows, pd.DataFrame)
