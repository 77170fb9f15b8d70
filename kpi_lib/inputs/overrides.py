"""Analyst judgement beside the computation: a status and a reason for an indicator and month.

Kept in `overrides.csv` in the data directory, append-only like every other input:
    indicator_id, month (YYYY-MM), unit_code, status, reason, by, recorded_at
(`unit_code` empty: the plan's whole area.)
A later line for the same indicator and month supersedes an earlier one; status
`withdrawn` cancels it. Nothing is ever deleted, so the history is the file, and a report
for a vintage ignores lines recorded after it. An override never changes a number or the
computed status: reports show both, the override marked as judgement, with who, when, why.
It applies to the report of its month only (the analyst confirms it again next month).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ..common.errors import KpiError, Problem, ValidationFailed
from ..common.files import DISK_ERRORS, cannot_write, replace_file
from ..common.text import clean_line, control_characters, nfc
from ..plan.catalog import Catalog
from ..plan.statuses import STATUSES

FILE = "overrides.csv"
COLUMNS = ["indicator_id", "month", "unit_code", "status", "reason", "by", "recorded_at"]
WITHDRAWN = "withdrawn"
FORMULA_START = ("=", "+", "@")  # what Excel and LibreOffice take for a formula
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _problems(row: dict, catalog: Catalog, where: dict) -> list[Problem]:
    out = []
    ids = {i.id for i in catalog.indicators}
    if row.get("indicator_id") not in ids:
        out.append(Problem("unknown indicator", column="indicator_id",
                           value=row.get("indicator_id"),
                           fix="use a target id from the catalog (kpi catalog)", **where))
    month = str(row.get("month") or "")
    if not _MONTH.match(month) or int(month[:4]) != catalog.year:
        out.append(Problem(f"month must be YYYY-MM in {catalog.year}", column="month",
                           value=month, fix=f"e.g. {catalog.year}-09", **where))
    if row.get("status") not in (*STATUSES, WITHDRAWN):
        out.append(Problem("unknown status", column="status", value=row.get("status"),
                           fix=f"use one of {', '.join((*STATUSES, WITHDRAWN))}", **where))
    for col in ("reason", "by"):
        text = str(row.get(col) or "")
        if not text.strip():
            out.append(Problem(f"missing '{col}'", column=col,
                               fix="an override must say why and who decided it", **where))
        elif text.lstrip().startswith(FORMULA_START):
            out.append(Problem(f"'{col}' starts with '{text.lstrip()[0]}', which a spreadsheet "
                               "reads as a formula", column=col, value=text[:60],
                               fix="start the text with a word", **where))
        elif control_characters(text):
            out.append(Problem(f"'{col}' holds control characters "
                               f"({', '.join(control_characters(text))})", column=col,
                               value=text[:60], fix="retype the text on one line", **where))
    unit = row.get("unit_code") or ""
    if unit and catalog.has_registry:
        from ..plan.units import registry_for

        known = registry_for(catalog).units
        if unit not in known:
            close = difflib.get_close_matches(unit.upper(), list(known), n=1)
            out.append(Problem("unknown unit code", column="unit_code", value=unit,
                               fix=(f"did you mean {close[0]}? " if close else "")
                               + "use a unit code of the registry (data/units/)", **where))
    return out


def read_overrides(folder: Path, catalog: Catalog) -> pd.DataFrame:
    """Every line of the file (the history), checked; a hand-edited mistake is named."""
    path = Path(folder) / FILE
    if not path.is_file():
        return pd.DataFrame(columns=COLUMNS)
    frame, problems = _read_lines(path)
    if frame is None:
        raise ValidationFailed(problems, head=f"{path} cannot be read; nothing was changed")
    if "unit_code" not in frame.columns:
        frame["unit_code"] = ""
    missing = set(COLUMNS) - set(frame.columns)
    if missing:
        raise KpiError(f"{FILE} lacks columns {sorted(missing)}", file=str(path),
                       fix=f"the header is {','.join(COLUMNS)}")
    for n, row in enumerate(frame.to_dict("records"), start=2):
        problems += _problems(row, catalog, {"file": str(path), "row": n})
        if pd.isna(pd.to_datetime(row["recorded_at"], errors="coerce", utc=True)):
            problems.append(Problem("recorded_at is not a date-time", file=str(path), row=n,
                                    column="recorded_at", value=row["recorded_at"],
                                    fix="write it as 2025-10-05T09:30:00+00:00"))
    if problems:
        raise ValidationFailed(problems)
    return frame[COLUMNS]


def _read_lines(path: Path) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The file read like any input: every line must have the header's number of fields
    (an unquoted comma in a reason is named with its line), UTF-8, NFC."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(f"not UTF-8 text (byte {exc.start})", file=str(path),
                              fix="save it as UTF-8 CSV")]
    lines = list(csv.reader(io.StringIO(nfc(text))))
    if not lines:
        return pd.DataFrame(columns=COLUMNS), []
    header = [h.strip() for h in lines[0]]
    problems, rows = [], []
    for n, fields in enumerate(lines[1:], start=2):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            problems.append(Problem(f"{len(fields)} fields where the header has {len(header)}",
                                    file=str(path), row=n, value=",".join(fields)[:80],
                                    fix='put a text that holds a comma in double quotes '
                                        '("…, …"), or use kpi override'))
            continue
        rows.append(dict(zip(header, fields, strict=True)))
    if problems:
        return None, problems
    return pd.DataFrame(rows, columns=header, dtype=str), []


def in_force(history: pd.DataFrame, period: str, unit: str = "",
             vintage: str | None = None) -> pd.DataFrame:
    """The overrides that apply to a report: its month and unit, known by the vintage, not
    withdrawn."""
    frame = history[(history["month"] == period) & (history["unit_code"] == (unit or ""))]
    if frame.empty:
        return pd.DataFrame(columns=["indicator_id", "status", "reason", "by", "date"])
    recorded = pd.to_datetime(frame["recorded_at"], utc=True)
    if vintage:
        cutoff = pd.Timestamp(vintage, tz="UTC") + pd.Timedelta(days=1)
        frame, recorded = frame[recorded < cutoff], recorded[recorded < cutoff]
    frame = frame.assign(_t=recorded).sort_values("_t", kind="stable")
    latest = frame.drop_duplicates("indicator_id", keep="last")
    latest = latest[latest["status"] != WITHDRAWN]
    return pd.DataFrame({"indicator_id": latest["indicator_id"], "status": latest["status"],
                         "reason": latest["reason"], "by": latest["by"],
                         "date": latest["_t"].dt.strftime("%d/%m/%Y")}).reset_index(drop=True)


def add_override(folder: Path, catalog: Catalog, indicator_id: str, month: str, status: str,
                 reason: str, by: str, unit: str = "", now: datetime | None = None) -> dict:
    """Append one line (under the store's lock); the file keeps every earlier line."""
    from .store import Store

    row = {"indicator_id": indicator_id, "month": month,
           "unit_code": "" if unit in ("", None, catalog.default_unit) else unit, "status": status,
           "reason": clean_line(reason), "by": clean_line(by),
           "recorded_at": (now or datetime.now(UTC)).isoformat(timespec="seconds")}
    problems = _problems(row, catalog, {})
    if problems:
        raise ValidationFailed(problems)
    folder = Path(folder)
    path = folder / FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with Store(folder).lock:
            read_overrides(folder, catalog)  # never append to a file that is already broken
            before = path.read_bytes() if path.is_file() else b""
            line = io.StringIO()
            writer = csv.DictWriter(line, fieldnames=COLUMNS, lineterminator="\n")
            if not before:
                writer.writeheader()
            writer.writerow(row)
            if before and not before.endswith(b"\n"):  # a hand edit without a last line end
                before += b"\n"
            # The whole file again, replaced at once: a full disk or a kill never leaves
            # half a line, and the file keeps its mode (group-writable stays so).
            replace_file(path, lambda fh: fh.write(before + line.getvalue().encode("utf-8")),
                         locked=True)
    except OSError as exc:
        if exc.errno in DISK_ERRORS:
            raise cannot_write(exc, folder, f"{FILE} is as it was") from None
        raise
    return row
