"""Reading department files (filled Excel templates, tidy CSV or Excel tables) into the
tidy model, with every problem in a file reported at once.

A file with any error is rejected whole; unusual but unambiguous input (an id with
stray spaces, `85%` for a percent indicator) is accepted and the normalisation reported.
Spreadsheets are read as stored: formulas are never evaluated, macro files are refused.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd

from ..common.errors import KpiError, ProblemList
from ..common.numbers import NumberError, file_convention, parse_number
from ..plan.catalog import Catalog, Indicator
from .readers import Cell, parse_date, read_xlsx_cells
from .store import Store, sha256_of
from .store_check import MAX_VALUE
from .tidy import (
    OBS_COLUMNS,
    VALUE_TYPES,
    at_vintage,
    decreasing_ytd,
    parse_period,
    per_category,
    ytd_table,
)

ALLOWED_TYPES = {"flow": {"month", "ytd", "annual"},
                 "milestone": {"month", "ytd", "level", "annual", "planned"},
                 "level": {"level", "annual"}, "annual": {"annual", "level"}}
DEFAULT_TYPE = {"flow": "month", "milestone": "month", "level": "level", "annual": "annual"}
YES = {"1", "đạt", "dat", "có", "co", "yes", "x"}
NO = {"0", "chưa đạt", "chua dat", "không", "khong", "no", "chưa"}
COUNT_UNITS = {"người", "vụ", "giấy", "xã", "trường"}
FUTURE_TOLERANCE_DAYS = 1  # clocks and time zones: a report dated tomorrow is still accepted


@dataclass
class FileResult:
    path: Path
    rows: pd.DataFrame
    problems: ProblemList
    sha256: str = ""
    added: int = 0
    skipped_duplicate_file: bool = False
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems.errors


def _now() -> str:
    """Ingest time in UTC, without offset: every reported_at in the store is naive UTC."""
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None).isoformat()


# ---------------------------------------------------------------- checks
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


def check_file(path: str | Path, catalog: Catalog,
               existing: pd.DataFrame | Store | None = None,
               units: dict[str, tuple[int, int]] | None = None,
               today: date | None = None, ingested_at: str | None = None) -> FileResult:
    """Read and check one file without writing anything. `existing` is the store (or its
    latest data), used to catch a year-to-date series that the new figures would make go
    down."""
    path = Path(path)
    problems = ProblemList()
    empty = pd.DataFrame(columns=OBS_COLUMNS)
    if path.is_symlink():
        problems.add("the file is a symbolic link", file=path.name, value=str(path.readlink()),
                     fix="put the file itself in the folder, not a link to it")
        return FileResult(path, empty, problems)
    if not path.is_file():
        problems.add("file not found", file=str(path), fix="check the path")
        return FileResult(path, empty, problems)
    suffix = path.suffix.lower()
    if suffix in (".xlsm", ".xltm", ".xlsb"):
        problems.add("macro-enabled workbooks are refused", file=path.name,
                     fix="save it as a plain Excel workbook (.xlsx) without macros")
        return FileResult(path, empty, problems)
    if suffix == ".xls":
        problems.add("old Excel 97-2003 format (.xls) is not read", file=path.name,
                     fix="open it in Excel and save as .xlsx")
        return FileResult(path, empty, problems)
    units = units or catalog_units(catalog)
    today = today or date.today()
    stamp = ingested_at or _now()
    if suffix in (".csv", ".txt"):
        frame = check_csv(path, catalog, units, problems, today, stamp)
    elif suffix == ".xlsx":
        cells = read_xlsx_cells(path, catalog, problems)
        texts = [c.value for c in cells if isinstance(c.value, str)]
        convention = _settle_convention(texts, path, problems)
        rows = []
        for n, c in enumerate(cells):
            if problems.full:
                _stopped(problems, path, len(cells) - n)
                break
            if (r := _check_cell(c, catalog, convention, units, problems, path, today)) \
                    is not None:
                rows.append(r)
        frame = _rows_frame(rows, stamp)
    else:
        problems.add(f"unsupported file type '{suffix or 'none'}'", file=path.name,
                     fix="send a filled .xlsx form or a .csv table")
        return FileResult(path, empty, problems)
    frame = _check_duplicates(frame, path, problems)
    _check_ytd(frame, existing, path, problems)
    frame = frame.drop(columns=["_row", "_sheet"], errors="ignore")
    frame["file_sha256"] = ""
    return FileResult(path, frame[OBS_COLUMNS], problems)


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


def check_csv(path: Path, catalog: Catalog, units: dict[str, tuple[int, int]],
              problems: ProblemList, today: date, stamp: str) -> pd.DataFrame:
    """A tidy CSV checked as a stream, chunk by chunk and column-wise (csv_check.py): the
    checked rows, with the same problems, in the same order, as cell by cell."""
    from .csv_check import stream_check  # it builds on this module's checks

    return stream_check(path, catalog, units, problems, today, stamp)


def catalog_units(catalog: Catalog) -> dict[str, tuple[int, int]]:
    """Unit code -> first and last month (year*12 + month-1) it existed, from the registry."""
    from ..plan.units import registry_for

    return {code: unit.month_index_range() for code, unit in registry_for(catalog).units.items()}


def _settle_convention(texts: list[str], path: Path, problems: ProblemList) -> str | None:
    try:
        return file_convention(texts)
    except NumberError as exc:
        problems.add(exc.reason, file=path.name, value=exc.text, fix=exc.fix)
        return None


def _check_duplicates(frame: pd.DataFrame, path: Path, problems: ProblemList) -> pd.DataFrame:
    if frame.empty:
        return frame
    keys = ["indicator_id", "unit_code", "period", "value_type"]
    for _, group in frame[frame.duplicated(keys, keep=False)].groupby(keys):
        rows = ", ".join(str(r) for r in group["_row"])
        if group["value"].nunique() > 1:
            problems.add(f"conflicting figures for {group.iloc[0]['indicator_id']} "
                         f"{group.iloc[0]['period']} in rows {rows}", file=path.name,
                         sheet=group.iloc[0]["_sheet"], value=list(group["value"]),
                         fix="keep one row per indicator, unit and period")
        else:
            problems.note(f"the same figure appears in rows {rows}; kept once", file=path.name)
    frame = frame.drop_duplicates(keys, keep="first")
    _check_january(frame, path, problems)
    return frame


def _check_january(frame: pd.DataFrame, path: Path, problems: ProblemList) -> None:
    """January's own amount is its year-to-date: two different figures in one file
    cannot both be right."""
    jan = frame[per_category(frame["period"], lambda t: t.str.fullmatch(r"\d{4}-01"))
                .to_numpy(dtype=bool)]
    keys = ["indicator_id", "unit_code", "period"]
    month = jan[jan["value_type"] == "month"].set_index(keys)["value"]
    ytd = jan[jan["value_type"] == "ytd"].set_index(keys)["value"]
    both = month.index.intersection(ytd.index)
    for key in both:
        if abs(month[key] - ytd[key]) > 1e-9 * max(1.0, abs(month[key])):
            problems.add(f"January's own amount and year-to-date for {key[0]} {key[2]} differ "
                         f"({month[key]:g} and {ytd[key]:g}); in January they are the same "
                         "figure", file=path.name, value=[month[key], ytd[key]],
                         fix="correct one of them")


def _check_ytd(frame: pd.DataFrame, existing: pd.DataFrame | Store | None, path: Path,
               problems: ProblemList) -> None:
    """A year-to-date series must not go down, counting what the store already holds (of
    a store, only the series this file touches are read)."""
    if frame.empty:
        return
    new = frame[OBS_COLUMNS[:-1]].assign(file_sha256="new")
    if isinstance(existing, Store):
        existing = existing.read(indicators=set(new["indicator_id"].unique()),
                                 units=set(new["unit_code"].unique()), categorical=True)
    combined = new
    if existing is not None and not existing.empty:
        combined = pd.concat([existing, new], ignore_index=True)
    touched = set(new.groupby(["indicator_id", "unit_code"], observed=True).size().index)
    ytd, _ = ytd_table(at_vintage(combined))
    for (iid, unit, year), month, before, after in decreasing_ytd(ytd):
        if (iid, unit) not in touched:
            continue  # a series this file does not touch
        problems.add(f"year-to-date for {iid} ({unit}) goes down from {before:g} in month "
                     f"{month - 1} to {after:g} in month {month} of {year}", file=path.name,
                     fix="check whether monthly amounts were entered as year-to-date "
                         "(or the other way round), or whether a month is wrong")


# ---------------------------------------------------------------- entry points
def validate_files(paths: list[Path], catalog: Catalog, store: Store | None = None) -> list[FileResult]:
    return [check_file(p, catalog, store) for p in paths]


def ingest_files(paths: list[Path], catalog: Catalog, store: Store) -> list[FileResult]:
    """Check each file, then append the good ones; a file with any error adds nothing.

    Returns one result per file; the CLI exits non-zero when any file was rejected. Files
    that passed are still ingested, and the results say exactly which went in: when the
    store cannot be written (disk full, read-only), the file that failed and every later
    one carry a problem saying they were not ingested. The store remembers the catalog
    (dataset.yaml), so later commands need no --catalog, and refuses figures checked
    against another catalog.
    """
    from .store import DataSource

    results: list[FileResult] = []
    try:
        with store.lock:
            held = DataSource(store.root, "given").catalog  # read under the lock
            if held is not None and held.resolve() != Path(catalog.path).resolve():
                raise KpiError(f"this store holds figures for the catalog {held}, not "
                               f"{catalog.path}", file=str(store.root / "dataset.yaml"),
                               fix=f"pass --catalog {held}, or ingest into another --data DIR")
            if store.root.is_dir():
                store.recover()  # what a killed ingest left: finish its log or remove temps
            _ingest_locked([Path(p) for p in paths], catalog, store, results, held)
    except OSError as exc:  # the lock file itself cannot be made (a read-only folder)
        raise KpiError(f"cannot write to the store {store.root} ({exc.strerror or exc})",
                       fix="make the folder writable or pass another --data; nothing was "
                           "written") from None
    return results


def _ingest_locked(paths: list[Path], catalog: Catalog, store: Store,
                   results: list[FileResult], held: Path | None) -> None:
    from .store import remember_catalog

    for n, path in enumerate(paths):
        stamp = _now()
        result = check_file(path, catalog, store, ingested_at=stamp)
        results.append(result)
        if not result.ok:
            continue
        result.sha256 = sha256_of(path)
        if result.sha256 in store.ingested_hashes():
            result.skipped_duplicate_file = True
            continue
        try:
            result.added = store.append(result.rows, path, result.sha256,
                                        ingested_at=f"{stamp}+00:00")
        except KpiError as exc:  # the store cannot be written: stop, saying what went in
            result.problems.add(f"not ingested: {exc.problem.message}", fix=exc.problem.fix,
                                file=path.name)
            for later in paths[n + 1:]:
                skipped = FileResult(later, pd.DataFrame(columns=OBS_COLUMNS), ProblemList())
                skipped.problems.add("not ingested: the batch stopped at an earlier file",
                                     file=later.name, fix="ingest it again once the store "
                                     "can be written")
                results.append(skipped)
            return
        if held is None:
            remember_catalog(store.root, Path(catalog.path))
            held = Path(catalog.path).resolve()
