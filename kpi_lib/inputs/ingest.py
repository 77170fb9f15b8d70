"""Reading department files (filled Excel templates, tidy CSV or Excel tables) into the
tidy model, with every problem in a file reported at once.

A file with any error is rejected whole; unusual but unambiguous input (an id with
stray spaces, `85%` for a percent indicator) is accepted and the normalisation reported.
Spreadsheets are read as stored: formulas are never evaluated, macro files are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from ..common.errors import KpiError, ProblemList
from ..plan.catalog import Catalog
from .cells import _check_cell, _rows_frame, _settle_convention, _stopped
from .csv_check import stream_check
from .readers import read_xlsx_cells
from .store import Store, sha256_of
from .tidy import (
    OBS_COLUMNS,
    at_vintage,
    decreasing_ytd,
    per_category,
    ytd_table,
)


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
        frame = stream_check(path, catalog, units, problems, today, stamp)
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


def catalog_units(catalog: Catalog) -> dict[str, tuple[int, int]]:
    """Unit code -> first and last month (year*12 + month-1) it existed, from the registry."""
    from ..plan.units import registry_for

    return {code: unit.month_index_range() for code, unit in registry_for(catalog).units.items()}


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
