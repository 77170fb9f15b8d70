"""The files published beside a month's HTML: summary.csv, the Excel workbook and the Word report.

Writing them is part of the run (into the run's work folder, published atomically with the
pages), so it lives here rather than with the table it draws from.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..common.text import csv_safe
from ..engine.pipeline import Assessment
from ..outputs.analyst_text import read_analyst_text
from ..outputs.excel import write_workbook
from ..outputs.narrative import narrative
from ..outputs.report_setup import analyst_text_path, report_setup
from ..outputs.word import write_docx

SUMMARY_COLUMNS = ["id", "status", "estimate", "lo80", "hi80", "p_meet"]


def export_month(a: Assessment, numbers: pd.DataFrame, folder: str | Path, lang: str = "vi",
           sections: list | None = None, charts: list | None = None) -> None:
    """The published files: summary.csv, the Excel workbook (indicators, the plan's items,
    narrative, overrides, figures; outputs.excel) and the Word report (outputs.word)."""
    folder = Path(folder)
    # A bad settings.report or report-text file stops the run before any file is written.
    report_setup(a.catalog, a.as_of, a.unit)
    read_analyst_text(analyst_text_path(a.dataset.source.path, a.period, a.unit,
                                        a.catalog.default_unit))
    sections = sections if sections is not None else narrative(a, numbers, lang)
    summary = a.table.rename(columns={"indicator_id": "id"})
    # The index page shows statuses as this report did: its labels and colours travel along.
    summary["label"] = [a.catalog.statuses.label(s, lang) for s in summary["status"]]
    summary["color"] = [a.catalog.statuses.color(s) for s in summary["status"]]
    judged = a.overrides.set_index("indicator_id")["status"] if len(a.overrides) else {}
    summary["override_status"] = [judged.get(i, "") for i in summary["id"]]
    summary["name"] = [a.catalog.get(i).name(lang) for i in summary["id"]]
    summary["area"] = a.catalog.meta.get("area_en" if lang == "en" else "area_vi", "")
    csv_safe(summary[[*SUMMARY_COLUMNS, "unit_code", "method", "label", "color",
                      "override_status", "provisional", "item", "item_status", "name",
                      "area"]]).to_csv(
        folder / "summary.csv", index=False, lineterminator="\n", float_format="%.6g")
    write_workbook(a, numbers, sections, folder / f"bao-cao-{a.period}.xlsx", lang)
    write_docx(a, numbers, sections, charts or [], folder / f"bao-cao-{a.period}.docx", lang)
    if a.dataset.source.synthetic:
        (folder / "SYNTHETIC").write_text("synthetic sample data / số liệu mẫu giả lập\n",
                                          encoding="utf-8")
