"""`kpi store check` and `kpi store rebuild`: find damage in a store, and recover from it.

The store keeps every ingested file unchanged in raw/ and one line per file in
ingest_log.csv, so its figures can always be made again: each raw copy is read again in
the order it was ingested, with its original ingest time as the default report date (a
migrated legacy file is read back as it was). The check compares the store with exactly
that, so it fails whenever a report would differ from a rebuild; the rebuild writes it.
Damaged files are kept beside the new ones, never deleted.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.errors import KpiError, Problem, ValidationFailed
from ..plan.catalog import Catalog
from .ingest import catalog_units, check_file
from .parts import by_unit, read_parts, sha256_of, write_part
from .store import (
    LOG,
    LOG_COLUMNS,
    MIGRATION,
    OBSERVATIONS,
    PARTS,
    Store,
    StoreDamaged,
    _os_error,
    read_log,
    read_meta,
    write_atomically,
)
from .store_check import ends_cleanly, read_checked
from .tidy import OBS_COLUMNS


@dataclass
class CheckReport:
    """What `kpi store check` found: problems (damage) and notes (things to know)."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_store(root: Path, catalog: Catalog | None = None) -> CheckReport:
    """Every part against the log, every raw copy against its sha256, and the figures
    against what a rebuild from raw/ and the log gives (with a catalog)."""
    root = Path(root)
    report = CheckReport()
    try:
        read_meta(root)
    except KpiError as exc:  # a dataset.yaml that is not a mapping: named, not a traceback
        report.problems.append(exc.problem)
    store = Store(root)
    log = read_log(root)
    report.files = int((log["kind"] != MIGRATION).sum())
    ids = set(catalog.ids()) if catalog else None
    units = set(catalog_units(catalog)) if catalog else None
    if store.columnar:
        report.problems += store.verify_parts()
        report.problems += _stray_parts(store)
        if store.observations_path.is_file():
            report.notes.append(f"{OBSERVATIONS} beside the parts is not read (the store "
                                "moved to parts/); move it away if it was put there by hand")
    elif store.observations_path.is_file():
        frame, problems = read_checked(store.observations_path, ids, units)
        report.problems += problems
        report.rows = len(frame)
        if not ends_cleanly(store.observations_path):
            report.notes.append(f"{OBSERVATIONS} does not end with a line end: its last "
                                "line may have been cut short")
    else:
        report.problems.append(Problem(f"no store in {root} (no {PARTS}/ in {LOG}, no "
                                       f"{OBSERVATIONS})", file=str(root)))
        return report
    report.problems += _raw_copy_problems(root, log)
    if report.problems:
        return report
    if store.columnar:
        report.problems += store.unknown_values(ids, units)
        report.rows = sum(int(e["rows"]) for _, e in store.parts())
        if catalog is not None and not report.problems:
            report.problems += _compare_parts(store, catalog, log)
        return report
    try:
        actual = store.read(latest=False, known_ids=ids, known_units=units)
    except StoreDamaged as exc:
        report.problems += exc.problems
        return report
    report.rows = len(actual)
    if catalog is not None:
        report.problems += _compare_with_rebuild(root, catalog, log, actual, report.notes)
    return report


def _compare_parts(store: Store, catalog: Catalog, log: pd.DataFrame) -> list[Problem]:
    """Each part against what its log line's raw copy gives, one file at a time (parts
    are read in log order, so their order is the order of ingest)."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="kpi-check-") as work:
        for item, found in rebuilt_entries(store.root, catalog, log, Path(work)):
            problems += found
            if item is None or found:
                continue
            part = item["entry"].get("part")
            if not part:
                continue  # a legacy line: its figures are in the migration's part
            have = read_parts([store.root / PARTS / str(part)])
            if not _same(have, item["rows"]):
                problems.append(_differs(item, have, store.root / PARTS / str(part)))
    return problems


def _differs(item: dict, have: pd.DataFrame, where: Path) -> Problem:
    return Problem(f"the figures from {item['file_name']} differ from what its raw copy "
                   f"gives ({len(have)} rows in the store, {len(item['rows'])} from the raw "
                   "copy)", row=item["line"], value=item["file_sha256"][:12], file=str(where),
                   fix="'kpi store rebuild' makes them again from the raw copy")


def _raw_copy_problems(root: Path, log: pd.DataFrame) -> list[Problem]:
    problems = []
    for n, entry in enumerate(log.to_dict("records"), start=2):
        copy = root / "raw" / str(entry.get("raw_copy") or "")
        where = {"file": str(root / LOG), "row": n}
        if not entry.get("raw_copy") or not copy.is_file():
            problems.append(Problem("the raw copy of this file is missing",
                                    value=entry.get("raw_copy"), **where))
        elif sha256_of(copy) != entry.get("file_sha256"):
            problems.append(Problem("the raw copy does not match its sha256",
                                    value=entry.get("raw_copy"), **where))
    return problems


def _stray_parts(store: Store) -> list[Problem]:
    """Parts that no log line commits and that no killed writer left: a log line was
    lost (the next writer keeps them too)."""
    return [Problem("a part that no log line records (a line of ingest_log.csv was lost?)",
                    file=str(p), fix="restore ingest_log.csv from a backup, or 'kpi store "
                                     "rebuild' (the part is kept in damaged-*/)")
            for p in store.unlogged_parts() if not store.left_by_a_writer(p)]


def _compare_with_rebuild(root: Path, catalog: Catalog, log: pd.DataFrame,
                          actual: pd.DataFrame, notes: list[str]) -> list[Problem]:
    """A legacy store's rows against a rebuild's, file by file and in order."""
    with tempfile.TemporaryDirectory(prefix="kpi-check-") as work:
        expected, problems = rebuilt_rows(root, catalog, log, Path(work))
    if problems:
        return problems
    sources = [set(e["rows"]["file_sha256"].astype(str)) | {e["file_sha256"]}
               for e in expected]  # a migrated file's rows name the files they came from
    covered = set().union(*sources)
    sha = actual["file_sha256"].astype(str)
    unlogged = sorted(set(sha) - covered)
    for s in unlogged:  # the sample's rows, or a legacy ingest killed before its log line
        notes.append(f"figures from {s[:12]}… come from no logged file: a rebuild cannot "
                     "make them, so they are not compared")
    mine = actual[sha.isin(covered).to_numpy()] if unlogged else actual
    where = root / OBSERVATIONS
    mine_sha = mine["file_sha256"].astype(str).to_numpy()
    found = []
    position = np.full(len(mine), -1)
    for k, (e, names) in enumerate(zip(expected, sources, strict=True)):
        rows = pd.Series(mine_sha).isin(names).to_numpy()
        position[rows] = k
        have = mine[rows]
        if e["entry"].get("kind") != MIGRATION:
            have = by_unit(have)  # a file's own order does not change a vintage
        if not _same(have, e["rows"]):
            found.append(_differs(e, have, where))
    if not found and (np.diff(position) < 0).any():
        found.append(Problem("the figures are not in the order their files were ingested "
                             "(a correction could lose to the figure it corrects)",
                             file=str(where)))
    return found


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if len(a) != len(b):
        return False
    for column in OBS_COLUMNS:
        x, y = a[column].reset_index(drop=True), b[column].reset_index(drop=True)
        if column == "value":
            if not (x.to_numpy(float) == y.to_numpy(float)).all():
                return False
        elif not (x.astype(str).to_numpy() == y.astype(str).to_numpy()).all():
            return False
    return True


def rebuilt_rows(root: Path, catalog: Catalog, log: pd.DataFrame,
                 work: Path) -> tuple[list[dict], list[Problem]]:
    """What each log line's raw copy gives, in log order: a list of {line, file_sha256,
    file_name, rows, entry}, and the problems (a missing or altered copy, a file that no
    longer passes the checks)."""
    out, problems = [], []
    for item, found in rebuilt_entries(root, catalog, log, work):
        problems += found
        if item is not None:
            out.append(item)
    return out, problems


def rebuilt_entries(root: Path, catalog: Catalog, log: pd.DataFrame, work: Path):
    """One log line at a time (memory: one file's rows): ({line, file_sha256, file_name,
    rows, entry} or None, problems). A migration line gives its legacy file's rows, and
    the legacy lines before it (already in that file) give nothing of their own."""
    records = log.to_dict("records")
    migrated_up_to = max((n for n, e in enumerate(records) if e.get("kind") == MIGRATION),
                         default=-1)
    for n, entry in enumerate(records):
        line = n + 2
        if n < migrated_up_to:
            continue
        copy = root / "raw" / str(entry.get("raw_copy") or "")
        where = {"file": str(root / LOG), "row": line}
        if not entry.get("raw_copy") or not copy.is_file() \
                or sha256_of(copy) != entry["file_sha256"]:
            yield None, [Problem("raw copy missing or altered", **where,
                                 value=entry.get("raw_copy"), fix="restore raw/ from a backup")]
            continue
        if entry.get("kind") == MIGRATION:
            rows, found = read_checked(copy)
        else:
            named = work / str(line) / str(entry["file_name"])
            named.parent.mkdir()
            shutil.copyfile(copy, named)  # the original name: it is the rows' source
            when = _when(entry.get("ingested_at"))
            result = check_file(named, catalog, today=when.date(),
                                ingested_at=when.replace(tzinfo=None).isoformat())
            named.unlink()
            found = result.problems.errors
            rows = by_unit(result.rows.assign(file_sha256=entry["file_sha256"]))
        yield ({"line": line, "file_sha256": entry["file_sha256"],
                "file_name": entry["file_name"], "rows": rows[OBS_COLUMNS], "entry": entry},
               found)


def rebuild_store(root: Path, catalog: Catalog) -> tuple[Path | None, int, int]:
    """Rebuild the store's parts from raw/ and the log, under the store's lock.

    Returns (where the old files were kept, files read, rows written). Refuses (KpiError,
    nothing changed) when a raw copy is missing, altered, or no longer passes the checks.
    A write that fails (disk full, read-only folder) leaves the store and no kept copy.
    """
    root = Path(root)
    store = Store(root)
    log = read_log(root)
    if log.empty:
        raise KpiError(f"no {LOG} in {root}: there is nothing to rebuild from",
                       fix="restore the store folder from a backup")
    if not store.columnar:
        unlogged = _unlogged_sources(store.observations_path, set(log["file_sha256"]))
        if unlogged:
            raise KpiError(f"the store holds figures that came from no logged file "
                           f"({', '.join(sorted(unlogged)[:3])}); a rebuild would drop them",
                           file=str(store.observations_path),
                           fix="restore observations.csv from a backup, or ingest into a "
                               "fresh store")
    try:
        with store.lock:
            return _rebuild_locked(store, catalog, log)
    except OSError as exc:
        raise _os_error(exc, root, "rebuild") from None


def _rebuild_locked(store: Store, catalog: Catalog, log: pd.DataFrame):
    root = store.root
    with tempfile.TemporaryDirectory(prefix="kpi-rebuild-") as work:
        expected, problems = rebuilt_rows(root, catalog, log, Path(work))
    if problems:
        raise ValidationFailed(problems, head="the store cannot be rebuilt; nothing was "
                               "changed")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    kept = root / f"damaged-{stamp}"
    parts = root / PARTS
    written: list[Path] = []
    committed = False
    try:
        _keep(store, kept)
        parts.mkdir(exist_ok=True)
        lines, n_rows = [], 0
        by_line = {e["line"]: e for e in expected}
        for n, entry in enumerate(log.to_dict("records"), start=2):
            fields = {c: str(entry.get(c, "")) for c in LOG_COLUMNS}
            if n in by_line:
                rows = by_line[n]["rows"]
                part = parts / f"{len([x for x in lines if x['part']]):06d}-" \
                               f"{fields['file_sha256'][:16]}-r{stamp}.parquet"
                written.append(part)
                part_sha, count = write_part(rows, part)
                fields.update(part=part.name, part_sha256=part_sha, rows=str(count))
                n_rows += count
            lines.append(fields)
        write_atomically(root / LOG, lambda fh: csv.writer(fh, lineterminator="\n").writerows(
            [LOG_COLUMNS, *[[f[c] for c in LOG_COLUMNS] for f in lines]]))
        committed = True
    except BaseException:
        if not committed:
            for path in written:
                path.unlink(missing_ok=True)
            shutil.rmtree(kept, ignore_errors=True)
        raise
    _drop_old(store, {f["part"] for f in lines})
    return kept, len(expected), n_rows


def _keep(store: Store, kept: Path) -> None:
    """Copy what the rebuild replaces (parts, log, legacy file) into `kept`."""
    kept.mkdir()
    for name in (LOG, OBSERVATIONS):
        if (store.root / name).is_file():
            shutil.copy2(store.root / name, kept / name)
    if (store.root / PARTS).is_dir():
        shutil.copytree(store.root / PARTS, kept / PARTS)


def _drop_old(store: Store, keep: set[str]) -> None:
    """After the commit: the replaced parts and the legacy file (copies are in damaged-*)."""
    for part in (store.root / PARTS).glob("*.parquet"):
        if part.name not in keep:
            part.unlink(missing_ok=True)
    if store.observations_path.is_file():
        os.unlink(store.observations_path)


def _when(text: object) -> datetime:
    try:
        stamp = pd.Timestamp(str(text))
    except ValueError:
        stamp = pd.NaT
    if stamp is pd.NaT:
        return datetime.now(UTC)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.to_pydatetime().astimezone(UTC).replace(microsecond=0)


def _unlogged_sources(path: Path, logged: set[str]) -> set[str]:
    """file_sha256 values of well-formed lines that no log line accounts for (such as the
    sample's rows, written without an ingest)."""
    if not path.is_file():
        return set()
    found: set[str] = set()
    seen: set[str] = set(logged) | {"", "file_sha256"}
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        for fields in csv.reader(fh):
            sha = fields[-1] if len(fields) == len(OBS_COLUMNS) else ""
            if sha in seen:
                continue
            seen.add(sha)
            if not any(s.startswith(sha) for s in logged):  # a prefix: a line cut short
                found.add(sha[:20])
    return found
