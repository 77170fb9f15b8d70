"""`kpi store export`: the store's tidy table, for an analyst to open in Excel.

The parts are for the workbench; people read this: one row per figure and vintage, the
columns of the tidy model, numbers as numbers. The Excel file has a filter on its header
(indicator, unit, period, value type, vintage…) and a frozen first row; text is written
as text, never as a formula, whatever it starts with.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..common.errors import KpiError
from .store import Store, write_atomically
from .tidy import OBS_COLUMNS

EXCEL_MAX_ROWS = 1_048_575  # a sheet's rows, less the header
HEADER_VI = {"indicator_id": "Chỉ tiêu (indicator_id)", "unit_code": "Đơn vị (unit_code)",
             "period": "Kỳ (period)", "value": "Giá trị (value)",
             "value_type": "Loại số (value_type)",
             "reported_at": "Ngày báo cáo - kỳ số liệu (reported_at, vintage)",
             "source": "Nguồn (source)", "file_sha256": "Tệp gốc sha256 (file_sha256)"}


def export_store(root: Path, out: Path, fmt: str, vintage: str | None = None) -> int:
    """Write the store's figures (every vintage, or those known at `vintage`) to `out` as
    csv or xlsx; returns the rows written. Nothing is left half-written."""
    frame = Store(root).read(vintage=vintage, latest=vintage is not None)
    if fmt == "csv":
        write_atomically(out, lambda fh: frame[OBS_COLUMNS].to_csv(
            fh, index=False, lineterminator="\n"))
    elif fmt == "xlsx":
        if len(frame) > EXCEL_MAX_ROWS:
            raise KpiError(f"{len(frame):,} figures do not fit in one Excel sheet "
                           f"({EXCEL_MAX_ROWS:,} rows)", fix="export --format csv, or one "
                           "vintage with --vintage DATE")
        write_atomically(out, lambda fh: _xlsx(frame, fh), binary=True)
    else:
        raise KpiError("unknown export format", value=fmt, fix="use --format csv or xlsx")
    return len(frame)


def _xlsx(frame: pd.DataFrame, fh) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.filters import AutoFilter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("so_lieu")
    ws.freeze_panes = "A2"
    for i, width in enumerate([14, 14, 10, 14, 12, 22, 40, 20], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    last = get_column_letter(len(OBS_COLUMNS))
    ws.auto_filter = AutoFilter(ref=f"A1:{last}{len(frame) + 1}")
    ws.append([HEADER_VI[c] for c in OBS_COLUMNS])
    columns = [frame[c].to_numpy(dtype=float if c == "value" else object)
               for c in OBS_COLUMNS]
    for row in zip(*columns, strict=True):
        cells = []
        for column, value in zip(OBS_COLUMNS, row, strict=True):
            if column == "value":
                cells.append(float(value))
                continue
            cell = WriteOnlyCell(ws, value=str(value))
            cell.data_type = "s"  # text stays text ("=…" is not a formula here)
            cells.append(cell)
        ws.append(cells)
    wb.save(fh)
