"""The files published beside a month's HTML: summary.csv, the Excel workbook and the Word report.

Writing them is part of the run (into the run's work folder, published atomically with the
pages), so it lives here rather than with the table it draws from.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..engine.pipeline import Assessment
from ..outputs.i18n import t
from ..outputs.narrative import narrative
from ..outputs.report_table import display_table
from ..outputs.word import write_docx

SUMMARY_COLUMNS = ["id", "status", "estimate", "lo80", "hi80", "p_meet"]


def export_month(a: Assessment, numbers: pd.DataFrame, folder: str | Path, lang: str = "vi",
           sections: list | None = None, charts: list | None = None) -> None:
    """The published files: summary.csv, the Excel workbook (table, figures, narrative,
    overrides) and the Word report."""
    folder = Path(folder)
    sections = sections if sections is not None else narrative(a, numbers, lang)
    summary = a.table.rename(columns={"indicator_id": "id"})
    # The index page shows statuses as this report did: its labels and colours travel along.
    summary["label"] = [a.catalog.statuses.label(s, lang) for s in summary["status"]]
    summary["color"] = [a.catalog.statuses.color(s) for s in summary["status"]]
    judged = a.overrides.set_index("indicator_id")["status"] if len(a.overrides) else {}
    summary["override_status"] = [judged.get(i, "") for i in summary["id"]]
    summary["name"] = [a.catalog.get(i).name(lang) for i in summary["id"]]
    summary["area"] = a.catalog.meta.get("area_en" if lang == "en" else "area_vi", "")
    summary[[*SUMMARY_COLUMNS, "unit_code", "method", "label", "color", "override_status",
             "provisional", "item", "item_status", "name", "area"]].to_csv(
        folder / "summary.csv", index=False, lineterminator="\n", float_format="%.6g")
    with pd.ExcelWriter(folder / f"bao-cao-{a.period}.xlsx", engine="openpyxl") as xl:
        display_table(a, lang, numbers).to_excel(xl, sheet_name="Bao cao", index=False)
        numbers.to_excel(xl, sheet_name="So lieu", index=False)
        prose = [{t("group", lang): s.title, t("narrative", lang): text}
                 for s in sections for text in (s.opening, *s.sentences)]
        pd.DataFrame(prose).to_excel(xl, sheet_name="Nhan dinh", index=False)
        if len(a.overrides):
            a.overrides.to_excel(xl, sheet_name="Y kien chuyen vien", index=False)
        for sheet in xl.book.worksheets:
            sheet.column_dimensions["A"].width = 48
            _no_formulas(sheet)
        xl.book["Nhan dinh"].column_dimensions["B"].width = 140
    write_docx(a, numbers, sections, charts or [], folder / f"bao-cao-{a.period}.docx", lang)
    if a.dataset.source.synthetic:
        (folder / "SYNTHETIC").write_text("synthetic sample data / số liệu mẫu giả lập\n",
                                          encoding="utf-8")


def _no_formulas(sheet) -> None:
    """Text is text: a reason or name that begins with '=' must never become a live formula
    in the published workbook (nothing this workbook holds is computed by Excel)."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
