"""Checking one figure of a department file: the rules every reader's cells go through.

ingest.py reads whole files (forms, tables) and csv_check.py streams CSV tables column-wise;
both hand each figure that is not plainly valid to `_check_cell`, so a problem is worded
the same way whichever reader met it.
"""

from __future__ import annotations

import difflib
import math
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from ..common.errors import ProblemList
from ..common.numbers import NumberError, file_convention, parse_number
from ..plan.catalog import Catalog, Indicator
from .readers import Cell, parse_date
from .store_check import MAX_VALUE
from .tidy import OBS_COLUMNS, VALUE_TYPES, parse_period

ALLOWED_TYPES = {"flow": {"month", "ytd", "annual"},
                 "milestone": {"month", "ytd", "level", "annual", "planned"},
                 "level": {"level", "annual"}, "annual": {"annual", "level"}}
DEFAULT_TYPE = {"flow": "month", "milestone": "month", "level": "level", "annual": "annual"}
YES = {"1", "đạt", "dat", "có", "co", "yes", "x"}
NO = {"0", "chưa đạt", "chua dat", "không", "khong", "no", "chưa"}
COUNT_UNITS = {"người", "vụ", "giấy", "xã", "trường"}
FUTURE_TOLERANCE_DAYS = 1  # clocks and time zones: a report dated tomorrow is still accepted


def _match_indicator(raw: object, catalog: Catalog, problems: ProblemList,
                     where: dict) -> Indicator | None:
    text = str(raw if raw is not None else "").strip()
    ids = catalog.ids()
    if text in ids:
        ind = catalog.get(text)
        if str(raw) != text:
            problems.note(f"indicator id {raw!r} read as '{text}' (spaces removed)", **where)
        return ind
    folded = {i.upper(): i for i in ids}
    if text.upper() in folded:
        problems.note(f"indicator id {raw!r} read as '{folded[text.upper()]}'", **where)
        return catalog.get(folded[text.upper()])
    lookalike = text.upper().translate(str.maketrans("OIL", "011"))  # O for 0, l for 1
    close = [i for i in ids if i.upper() == lookalike] or difflib.get_close_matches(text, ids, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    problems.add("unknown indicator", value=raw, **where,
                 fix=f"{hint}use an id from the catalog ('kpi catalog' lists them)")
    return None


def _check_cell(cell: Cell, catalog: Catalog, convention: str | None,
                units: dict[str, tuple[int, int]],
                problems: ProblemList, path: Path, today: date) -> dict | None:
    where = {"file": path.name, "sheet": cell.sheet, "row": cell.row}
    ind = _match_indicator(cell.indicator, catalog, problems, {**where, "column": "indicator_id"
                                                               if cell.sheet is None else "A"})
    if ind is None:
        return None
    if not ind.entered:
        problems.add(f"{ind.id} is computed by the workbench, not entered", **where,
                     value=cell.value, fix=f"enter its components instead ({_derive_hint(ind)})")
        return None
    col = cell.column
    unit = str(cell.unit).strip() if cell.unit not in (None, "") else catalog.default_unit
    unit_where = ({**where, "row": 3, "column": "C"} if cell.flow_type is not None
                  else {**where, "column": "unit_code"})  # a form has one unit cell, C3
    if unit not in units:
        how = "" if catalog.has_registry else (
            f"; to name the plan's area, set 'default_unit: CODE' under 'catalog:' in "
            f"{catalog.path.name} (other units: 'units: [CODE, …]', see docs/catalog.md)")
        folded = {u.upper(): u for u in units}
        if unit.upper() in folded:
            problems.note(f"unit code {cell.unit!r} read as '{folded[unit.upper()]}'",
                          **unit_where)
            unit = folded[unit.upper()]
        else:
            close = difflib.get_close_matches(unit.upper(), list(units), n=1)
            problems.add("unknown unit code", **unit_where, value=cell.unit,
                         fix=(f"did you mean {close[0]}? " if close else "")
                         + f"use one of: {', '.join(sorted(units))}{how}")
            return None
    try:
        year, month, _ = parse_period(str(cell.period))
    except ValueError:
        problems.add("not a period", **where, column="period", value=cell.period,
                     fix="write a month 2025-06, a quarter 2025-Q2 or a year 2025")
        return None
    first, last = units[unit]
    if not first <= year * 12 + month - 1 <= last:
        problems.add(f"unit {unit} did not exist in {cell.period}", **where, column="unit_code",
                     value=cell.unit, fix="send figures of a month under the units that existed "
                     "then (see the crosswalk in data/units/); the workbench re-bases them")
        return None
    if year > catalog.year:  # any past year is history the engine uses; later is another plan
        problems.add(f"period after this catalog's year {catalog.year}", **where,
                     column="period", value=cell.period,
                     fix="check the year, or use the catalog of that year (--catalog)")
        return None
    reported = parse_date(cell.reported_at) if cell.reported_at not in (None, "") else None
    if cell.reported_at not in (None, "") and reported is None:
        problems.add("reported_at is not a date", **where, column="reported_at",
                     value=cell.reported_at, fix="write it as 2025-07-05 or 05/07/2025")
        return None
    when = date.fromisoformat(reported[:10]) if reported else None
    if when and when.year < 1990:
        problems.add("reported_at is not a plausible date", **where, column="reported_at",
                     value=cell.reported_at, fix="write it as 2025-07-05 or 05/07/2025")
        return None
    if when and when > today + timedelta(days=FUTURE_TOLERANCE_DAYS):
        problems.add("reported_at is in the future", **where, column="reported_at",
                     value=cell.reported_at, fix="write the date the figure was reported "
                     "(today or earlier); a future date would beat every later correction")
        return None
    first_month = {"M": month, "Q": month - 2, "Y": 1}[parse_period(str(cell.period))[2]]
    planned = str(cell.value_type or "").strip().lower() == "planned"
    if when and not planned and when < date(year, first_month, 1):
        problems.add(f"reported_at is before the period {cell.period} it reports on (the "
                     "period had not ended, nor even begun, when it was reported)", **where,
                     column="reported_at", value=cell.reported_at,
                     fix="check the report date and the period")
        return None
    end_of_period = pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)
    if end_of_period.date() > today + pd.Timedelta(days=31) or (
            reported and end_of_period > pd.Timestamp(reported) + pd.Timedelta(days=31)):
        problems.add(f"a figure for {cell.period}, a period that had not ended when it was "
                     "reported", **where, column=col, value=cell.value,
                     fix="check the period and the report date")
        return None
    vtype = str(cell.value_type or "").strip().lower()
    if not vtype:
        flow_like = ind.kind in ("flow", "milestone") and cell.flow_type
        vtype = cell.flow_type if flow_like else DEFAULT_TYPE[ind.kind]
    if vtype not in VALUE_TYPES:
        problems.add("unknown value_type", **where, column="value_type", value=cell.value_type,
                     fix=f"use one of {', '.join(VALUE_TYPES)}")
        return None
    if vtype not in ALLOWED_TYPES[ind.kind]:
        problems.add(f"{ind.id} is a {ind.kind} indicator; '{vtype}' figures do not apply",
                     **where, column=col, value=cell.value,
                     fix=f"use value_type {' or '.join(sorted(ALLOWED_TYPES[ind.kind]))}")
        return None
    signed = ind.id in (catalog.settings.get("signed_rates") or [])
    value = _check_value(cell.value, ind, convention, problems, {**where, "column": col},
                         signed)
    if value is None:
        return None
    return {"indicator_id": ind.id, "unit_code": unit, "period": str(cell.period).strip(),
            "value": value, "value_type": vtype, "reported_at": reported, "source": cell.source,
            "_row": cell.row, "_sheet": cell.sheet}


def _derive_hint(ind: Indicator) -> str:
    d = ind.derive or {}
    return ", ".join(filter(None, [d.get("of"), *(d.get("whole") or [])]))


def _check_value(raw: object, ind: Indicator, convention: str | None, problems: ProblemList,
                 where: dict, signed: bool = False) -> float | None:
    """The number in a cell, or None with the problem recorded. `signed`: a rate of change
    (settings.signed_rates, e.g. natural population growth), which may be below zero."""
    if ind.rule == "yes" and isinstance(raw, str) and raw.strip().lower() in YES | NO:
        return 1.0 if raw.strip().lower() in YES else 0.0
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        problems.add("empty value", value=raw, fix="enter the figure or delete the row", **where)
        return None
    try:
        parsed = parse_number(raw, convention)
    except NumberError as exc:
        problems.add(exc.reason, value=raw, fix=exc.fix, **where)
        return None
    value = parsed.value
    if not math.isfinite(value) or abs(value) > MAX_VALUE:
        problems.add("an absurd magnitude", value=str(raw)[:40] + ("…" if len(str(raw)) > 40
                                                                    else ""),
                     fix="enter the figure in the indicator's unit "
                         f"({ind.entry_unit}); check for extra digits", **where)
        return None
    if parsed.percent_sign and not ind.is_percent:
        problems.add(f"a percentage for {ind.id}, which is measured in {ind.entry_unit}",
                     value=raw, fix=f"enter the figure in {ind.entry_unit}", **where)
        return None
    if parsed.percent_sign:
        problems.note(f"'{raw}' read as {value:g} (percent)", **where)
    if (ind.is_percent and not parsed.percent_sign and 0 < value <= 1 and ind.target
            and ind.target > 5):
        problems.add("looks like a fraction, not a percentage", value=raw,
                     fix=f"enter {value * 100:g} for {value * 100:g}% ({ind.id} is in %)", **where)
        return None
    low = -100 if signed else 0
    if ind.is_percent and not low <= value <= 100:
        problems.add(f"a percentage outside {low}–100", value=raw,
                     fix=f"enter the percentage as a number from {low} to 100 (85 for 85%)",
                     **where)
        return None
    if value < 0 and (ind.kind in ("flow", "milestone") or ind.entry_unit in COUNT_UNITS):
        problems.add("a negative figure for a count or amount", value=raw,
                     fix="enter the figure as a positive number", **where)
        return None
    if ind.rule == "yes" and value not in (0.0, 1.0):
        problems.add("a yes/no indicator takes 1 (đạt) or 0 (chưa đạt)", value=raw,
                     fix="enter 1 or 0", **where)
        return None
    return value


def _stopped(problems: ProblemList, path: Path, left: int) -> None:
    """Rejected anyway: count what is left instead of checking it."""
    problems.note(f"stopped checking after {problems.limit:,} problems; "
                  f"{left:,} figure(s) not checked", file=path.name)


def _rows_frame(rows: list[dict], stamp: str) -> pd.DataFrame:
    """Checked rows (dicts of _check_cell) as a frame, a missing report date = `stamp`."""
    if not rows:
        return pd.DataFrame(columns=[*OBS_COLUMNS, "_row", "_sheet"])
    frame = pd.DataFrame(rows)
    frame["reported_at"] = frame["reported_at"].fillna(stamp)
    return frame


def _settle_convention(texts: list[str], path: Path, problems: ProblemList) -> str | None:
    try:
        return file_convention(texts)
    except NumberError as exc:
        problems.add(exc.reason, file=path.name, value=exc.text, fix=exc.fix)
        return None
