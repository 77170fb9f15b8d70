"""Readers for department files: a filled Excel form, a tidy CSV, or a tidy Excel table.

They only find the figures and where they sit (sheet, row, column); ingest.py checks them.
Spreadsheets are read as stored: formulas are never evaluated, external links not loaded.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pandas as pd

from ..common.errors import ProblemList
from ..common.text import clean_line, nfc
from ..plan.catalog import Catalog
from . import template as tpl

TIDY_REQUIRED = ("indicator_id", "period", "value")
MAX_XLSX_BYTES = 20 * 2**20  # bounds on what is read: far above any real form
MAX_XLSX_INFLATED = 50 * 2**20
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200


@dataclass(slots=True)
class Cell:
    """One figure as found in a file, before it is checked."""

    indicator: object
    period: object
    value: object
    value_type: object
    unit: object
    reported_at: object
    source: str
    sheet: str | None
    row: int
    column: str
    flow_type: str | None = None  # for forms: how flow months were entered (month or ytd)




_DAY_FIRST = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?:[ T]|$)")
_DAY_FIRST_FORMATS = [f"%d{sep}%m{sep}{year}{time}" for sep in "/-." for year in ("%Y", "%y")
                      for time in ("", " %H:%M", " %H:%M:%S", "T%H:%M", "T%H:%M:%S")]


def parse_date(value: object) -> str | None:
    """dd/mm/yyyy (or dd/mm/yy, with or without a time), ISO dates and Excel dates -> ISO
    string; None if unreadable.

    Vietnamese dates are day-first in every form: a text that starts like a day-first date
    is read only day-first, never handed to a parser that would guess month-first
    ("01/11/25" is 1 November 2025, not 11 January).
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = " ".join(str(value).split())
    if _DAY_FIRST.match(text):
        for fmt in _DAY_FIRST_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return parsed.date().isoformat() if parsed.time() == time() else parsed.isoformat()
        return None
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return None
    if stamp is pd.NaT:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.isoformat()


def read_csv_cells(path: Path, problems: ProblemList) -> list[Cell]:
    raw = path.read_bytes()
    if not raw.strip():
        problems.add("the file is empty", fix="send the filled file again", file=path.name)
        return []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.add("the file is UTF-16 encoded", file=path.name,
                     fix="save it as 'CSV UTF-8 (comma delimited)'")
        return []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(f"the file is not UTF-8 text (byte {exc.start})", file=path.name,
                     fix="save it as 'CSV UTF-8 (comma delimited)' (Windows-1258 is not read)")
        return []
    if "\x00" in text:
        problems.add("the file is not a text table", file=path.name,
                     fix="send a .csv or .xlsx file")
        return []
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    del raw  # rows are read one at a time, not held as a table
    text = nfc(text)  # once for the whole file (C speed), not per cell
    return _tidy_cells(csv.reader(io.StringIO(text), delimiter=delimiter), path, None,
                       problems, data_start_row=1, normalized=True)


def delimiter_join(row: list[object]) -> str:
    return ",".join("" if c is None else str(c) for c in row)[:120]


def _tidy_cells(table: Iterable[Sequence[object]], path: Path, sheet: str | None,
                problems: ProblemList, data_start_row: int,
                normalized: bool = False) -> list[Cell]:
    """Cells from a tidy table whose first row is the header (rows read one at a time).
    `normalized`: the text is already NFC (a CSV is normalised whole)."""
    rows = iter(table)
    top = [nfc(c) for c in next(rows, [])]
    if not any(str(c).strip() for c in top if c is not None):
        problems.add("the file has no header row", file=path.name, sheet=sheet,
                     fix=f"the first row must name the columns {', '.join(TIDY_REQUIRED)}")
        return []
    header = [str(c or "").strip().lower().lstrip("\ufeff") for c in top]
    dupes = {h for h in header if h and header.count(h) > 1}
    for h in sorted(dupes):
        problems.add(f"column '{h}' appears more than once", file=path.name, sheet=sheet,
                     row=data_start_row, fix="keep one column of each name")
    missing = [c for c in TIDY_REQUIRED if c not in header]
    if missing:
        problems.add(f"missing column(s) {', '.join(missing)}", file=path.name, sheet=sheet,
                     row=data_start_row, value=", ".join(h for h in header if h),
                     fix="use the header indicator_id,unit_code,period,value,value_type,"
                         "reported_at,source, or fill the Excel form from 'kpi template'")
        return []
    col = {h: i for i, h in enumerate(header)}

    def get(row: list[object], name: str) -> object:
        i = col.get(name)
        return row[i] if i is not None and i < len(row) else None

    cells = []
    for n, row in enumerate(rows, start=data_start_row + 1):
        if n - data_start_row > MAX_ROWS:
            problems.add(f"more than {MAX_ROWS:,} rows", file=path.name, sheet=sheet, row=n,
                         fix="split the file (a department's figures fit in far fewer rows)")
            break
        if not any(str(c).strip() for c in row if c is not None):
            continue
        if not normalized:
            row = [nfc(c) for c in row]
        if len(row) != len(header) and sheet is None:
            problems.add(f"{len(row)} fields where the header has {len(header)}", row=n,
                         file=path.name, value=delimiter_join(row),
                         fix="every row needs one field per column; quote a text holding "
                             "a comma (\"…\")")
            continue
        cells.append(Cell(get(row, "indicator_id"), get(row, "period"), get(row, "value"),
                          get(row, "value_type"), get(row, "unit_code"), get(row, "reported_at"),
                          clean_line(str(get(row, "source") or path.name)), sheet, n, "value"))
        if problems.full:
            break
    if not cells and not problems.errors:
        problems.add("the file has a header but no figures", file=path.name, sheet=sheet,
                     fix="fill in at least one row")
    return cells


def _zip_too_big(path: Path, problems: ProblemList) -> bool:
    """Refuse, before any XML is parsed, a workbook that would inflate beyond the bounds (a
    zip bomb of 1 MB can inflate to gigabytes and take minutes to be refused)."""
    size = path.stat().st_size
    if size > MAX_XLSX_BYTES:
        problems.add(f"the workbook is {size / 2**20:.0f} MiB; the limit is "
                     f"{MAX_XLSX_BYTES // 2**20} MiB", file=path.name,
                     fix="a filled form is far smaller: send the figures only, or a CSV")
        return True
    try:
        with zipfile.ZipFile(path) as zf:
            inflated = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False  # reported by the reader below as unreadable
    if inflated > MAX_XLSX_INFLATED:
        problems.add(f"the workbook would inflate to {inflated / 2**20:,.0f} MiB; the limit "
                     f"is {MAX_XLSX_INFLATED // 2**20} MiB", file=path.name,
                     fix="open it in Excel, delete unused rows, columns and sheets, and save "
                         "it again")
        return True
    return False


def read_xlsx_cells(path: Path, catalog: Catalog, problems: ProblemList) -> list[Cell]:
    """Cells of a workbook; any fault in its parts (broken XML, a missing sheet) is reported
    as an unreadable workbook, never a traceback."""
    if _zip_too_big(path, problems):
        return []
    try:
        return _read_xlsx_cells(path, catalog, problems)
    except Exception as exc:  # noqa: BLE001 - openpyxl and lxml raise many kinds
        problems.add(f"not a readable .xlsx workbook ({type(exc).__name__}: "
                     f"{str(exc).strip()[:120]})", file=path.name,
                     fix="open it in Excel and save it again as .xlsx; a truncated, damaged "
                         "or renamed file cannot be read")
        return []


def _read_xlsx_cells(path: Path, catalog: Catalog, problems: ProblemList) -> list[Cell]:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    wb = load_workbook(path, data_only=False, read_only=False, keep_links=False)
    for sheet in wb.worksheets:
        if sheet.max_row > MAX_ROWS or sheet.max_column > MAX_COLUMNS:
            problems.add(f"sheet '{sheet.title}' spans {sheet.max_row:,} rows × "
                         f"{sheet.max_column:,} columns; the limit is {MAX_ROWS:,} × "
                         f"{MAX_COLUMNS}", file=path.name, sheet=sheet.title,
                         fix="delete unused rows and columns, or send a CSV")
            return []
    if tpl.META_SHEET not in wb.sheetnames:
        ws = wb.worksheets[0]
        table = [list(r) for r in ws.iter_rows(values_only=True)]
        if table and "indicator_id" in [str(c or "").strip().lower() for c in table[0]]:
            return _tidy_cells(table, path, ws.title, problems, data_start_row=1)
        problems.add("this workbook is not the kpi form (hidden sheet '_kpi' missing) nor a "
                     "tidy table", file=path.name,
                     fix="fill in the form made by 'kpi template --year YEAR --out FILE.xlsx'")
        return []
    meta = {str(r[0]): r[1] for r in wb[tpl.META_SHEET].iter_rows(values_only=True) if r[0]}
    if str(meta.get("catalog")) != str(catalog.meta.get("id")):
        problems.add(f"the form was made for catalog '{meta.get('catalog')}', not "
                     f"'{catalog.meta.get('id')}'", file=path.name,
                     fix="fill in a form made with 'kpi template' for this catalog")
        return []
    if tpl.SHEET not in wb.sheetnames:
        problems.add(f"sheet '{tpl.SHEET}' is missing", file=path.name,
                     fix="do not rename or delete the form's sheet")
        return []
    for other in wb.worksheets:
        if other.title not in (tpl.SHEET, tpl.META_SHEET) and any(
                v not in (None, "") for row in other.iter_rows(values_only=True) for v in row):
            problems.add(f"sheet '{other.title}' holds figures that would not be read",
                         file=path.name, sheet=other.title,
                         fix=f"move them into sheet '{tpl.SHEET}' (one row per indicator) or "
                             "delete that sheet")
    ws = wb[tpl.SHEET]
    head = {k: nfc(ws[cell].value) for k, (_, cell) in tpl.HEADER_CELLS.items()}
    where = {"file": path.name, "sheet": ws.title}
    try:
        year = int(str(head["year"]).strip())
    except ValueError:
        problems.add("the year cell is not a year", row=4, column="C", value=head["year"],
                     fix="write the report year, e.g. 2025", **where)
        return []
    if str(meta.get("year")) != str(year):
        problems.add(f"the year cell says {year} but the form was made for {meta.get('year')}",
                     row=4, column="C", value=head["year"], **where,
                     fix=f"use a form made with 'kpi template --year {year}'")
    mode = str(head["mode"] or "").strip()
    if mode not in (tpl.MODE_MONTH, tpl.MODE_YTD):
        problems.add("entry mode must be 'Số tháng' or 'Lũy kế'", row=7, column="C",
                     value=head["mode"], fix="choose one from the list in C7", **where)
        return []
    reported = None
    if head["report_date"] not in (None, ""):
        reported = parse_date(head["report_date"])
        if reported is None:
            problems.add("the report date is not a date", row=6, column="C",
                         value=head["report_date"], fix="write it as dd/mm/yyyy", **where)
    expected = [f"Tháng {m}" for m in range(1, 13)] + ["Cả năm"]
    seen = [clean_line(str(ws.cell(row=tpl.HEADER_ROW, column=c).value or ""))  # NFC:
            for c in range(tpl.MONTH_COL, tpl.YEAR_COL + 1)]  # "Tháng 1" typed decomposed
    if seen != expected:
        from openpyxl.utils import get_column_letter
        first = next(i for i, (a, b) in enumerate(zip(seen, expected, strict=True)) if a != b)
        problems.add(f"the month columns have been changed (expected '{expected[first]}')",
                     row=tpl.HEADER_ROW, column=get_column_letter(tpl.MONTH_COL + first),
                     value=seen[first], fix="do not insert, delete or rename columns; copy the "
                     "figures into a fresh form from 'kpi template'", **where)
        return []
    for merged in ws.merged_cells.ranges:
        if merged.max_row >= tpl.HEADER_ROW:
            problems.add(f"merged cells {merged.coord} in the table", **where,
                         row=merged.min_row, fix="unmerge the cells and put each figure in its own")
    department = clean_line(str(head["department"] or ""))
    source = f"{path.name}" + (f" ({department})" if department else "")
    unit = head["unit"]
    cells = []
    for r in range(tpl.FIRST_ROW, ws.max_row + 1):
        iid = nfc(ws.cell(row=r, column=1).value)
        values = [ws.cell(row=r, column=c) for c in range(tpl.MONTH_COL, tpl.YEAR_COL + 1)]
        if iid in (None, "") and all(c.value in (None, "") for c in values):
            continue
        if ws.row_dimensions[r].hidden:
            problems.add("the row is hidden", row=r, value=iid, **where,
                         fix="unhide it (and fill or delete it) so every figure is visible")
            continue
        for c in values:
            if c.value in (None, ""):
                continue
            letter = get_column_letter(c.column)
            if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith("=")):
                problems.add("the cell holds a formula", row=r, column=letter, value=c.value,
                             fix="replace it by its value (Copy, Paste Special > Values)", **where)
                continue
            if c.data_type == "e":
                problems.add("the cell holds an Excel error", row=r, column=letter,
                             value=c.value, fix="correct the calculation and enter the figure",
                             **where)
                continue
            month = c.column - tpl.MONTH_COL + 1
            period = f"{year}" if month == 13 else f"{year}-{month:02d}"
            vtype = "annual" if month == 13 else None
            flow_type = "ytd" if mode == tpl.MODE_YTD else "month"
            cells.append(Cell(iid, period, nfc(c.value), vtype, unit, reported, source, ws.title,
                              r, letter, flow_type))
    if not cells and not problems.errors:
        problems.add("the form has no figures", fix="fill in at least one month", **where)
    return cells


