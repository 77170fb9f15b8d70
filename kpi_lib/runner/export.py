"""The files published beside a month's HTML: summary.csv, units.csv (the member units'
judgements), the Excel workbook and the Word report; and the review's scoreboard.csv.

Writing them is part of the run (into the run's work folder, published atomically with the
pages), so it lives here rather than with the table it draws from.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..common.files import replace_file
from ..common.text import write_csv_text
from ..engine.assess import items_table
from ..engine.pipeline import Assessment, unit_grid
from ..outputs.analyst_text import read_analyst_text
from ..outputs.excel import write_workbook
from ..outputs.narrative import narrative
from ..outputs.report_setup import analyst_text_path, data_received_on, setup_for
from ..outputs.word import write_docx

SUMMARY_COLUMNS = ["id", "status", "estimate", "lo80", "hi80", "p_meet"]
# The judgement of record, as data: the commune table of the report (units.csv) and the
# review's scoreboard (scoreboard.csv) share these columns, so they can be compared row by row.
JUDGEMENT_COLUMNS = ["unit_code", "indicator_id", "estimate", "lo80", "hi80", "p_meet", "status",
                     "provisional"]
SCOREBOARD_COLUMNS = ["cluster", "kind", "unit_code", "indicator_id", "status", "provisional",
                      "points", "weight", "judged", "estimate", "p_meet", "target_value",
                      "as_of", "vintage", "methods", "reason"]


def settings_used(a: Assessment) -> dict[str, str]:
    """What a judgement was computed with: the month, the data's vintage, the methods."""
    return {"as_of": a.period, "vintage": a.dataset.vintage or "",
            "methods": "with_ets" if a.use_ets else "without_ets"}


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Every CSV a run writes: text kept as text (no cell a spreadsheet would run as a
    formula, `csv_safe`), one line ending, figures to six significant digits."""
    replace_file(Path(path), lambda fh: write_csv_text(frame, fh))  # whole or not at all


def write_units_csv(a: Assessment, folder: Path) -> Path | None:
    """units.csv: every member unit's judgement at the month (the report's commune table)."""
    grid = unit_grid(a)
    if grid.empty:
        return None
    frame = grid.assign(**settings_used(a))
    path = folder / "units.csv"
    write_csv(frame[[*JUDGEMENT_COLUMNS, "target_value", "actual_to_date", "as_of", "vintage",
                     "methods"]], path)
    return path


def write_scoreboard_csv(review, folder: Path) -> Path:
    """scoreboard.csv: every scored row of every cluster, with the judgement it used."""
    used = settings_used(review.assessment)
    frames = [cb.board.breakdown.assign(cluster=cb.cluster.code, kind=cb.cluster.kind, **used)
              for cb in review.boards]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=SCOREBOARD_COLUMNS)
    path = folder / "scoreboard.csv"
    write_csv(frame[SCOREBOARD_COLUMNS], path)
    return path


def export_month(a: Assessment, numbers: pd.DataFrame, folder: str | Path, lang: str = "vi",
           sections: list | None = None, charts: list | None = None) -> None:
    """The published files: summary.csv, the Excel workbook (indicators, the plan's items,
    narrative, overrides, figures; outputs.excel) and the Word report (outputs.word)."""
    folder = Path(folder)
    # A bad settings.report or report-text file stops the run before any file is written.
    setup = setup_for(a)
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
    registry = a.dataset.registry  # the index names a unit's report by the unit's name
    summary["unit_name"] = [registry.name(u, lang) if registry else u for u in summary["unit_code"]]
    # The item's own provisional mark (items_table), so the index counts items as the report.
    items = items_table(a.table, a.catalog).set_index("item")["provisional"]
    summary["item_provisional"] = summary["item"].map(items).fillna(False).astype(bool)
    # The document's date, planned date and the day its figures run to: the index says them.
    received = data_received_on(a)
    summary = summary.assign(report_date=setup.report_date.isoformat(),
                             planned_date=setup.planned_date.isoformat(),
                             data_until=received.isoformat() if received else "")
    write_csv(summary[[*SUMMARY_COLUMNS, "unit_code", "method", "label", "color",
                       "override_status", "provisional", "item", "item_status",
                       "item_provisional", "name", "area", "unit_name", "report_date",
                       "planned_date",
                       "data_until"]], folder / "summary.csv")
    write_units_csv(a, folder)
    write_workbook(a, numbers, sections, folder / f"bao-cao-{a.period}.xlsx", lang)
    write_docx(a, numbers, sections, charts or [], folder / f"bao-cao-{a.period}.docx", lang)
    if a.dataset.source.synthetic:
        (folder / "SYNTHETIC").write_text("synthetic sample data / số liệu mẫu giả lập\n",
                                          encoding="utf-8")
