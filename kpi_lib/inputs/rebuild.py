"""`kpi store check` and `kpi store rebuild`: find damage in a store, and recover from it.

The store keeps every ingested file unchanged in raw/ and one line per file in
ingest_log.csv, so observations.csv can always be rebuilt: each raw copy is read again
in the order it was ingested, with its original ingest time as the default report date.
The damaged file is kept beside the new one, never deleted.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ..common.errors import KpiError, Problem, ValidationFailed
from ..plan.catalog import Catalog
from .ingest import catalog_units, check_file
from .store import LOG, OBSERVATIONS, Store, _write_atomically, read_log, sha256_of
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
    """Every line of observations.csv, every log line and raw copy, and that they agree."""
    root = Path(root)
    report = CheckReport()
    obs_path = root / OBSERVATIONS
    if not obs_path.is_file():
        report.problems.append(Problem(f"no {OBSERVATIONS} in {root}", file=str(root)))
        return report
    ids = set(catalog.ids()) if catalog else None
    units = set(catalog_units(catalog)) if catalog else None
    frame, problems = read_checked(obs_path, ids, units)
    report.problems += problems
    report.rows = len(frame)
    if not ends_cleanly(obs_path):
        report.notes.append(f"{OBSERVATIONS} does not end with a line end: its last line may "
                            "have been cut short (compare with 'kpi store rebuild')")
    log = read_log(root)
    report.files = len(log)
    for n, entry in enumerate(log.to_dict("records"), start=2):
        copy = root / "raw" / str(entry.get("raw_copy") or "")
        where = {"file": str(root / LOG), "row": n}
        if not entry.get("raw_copy") or not copy.is_file():
            report.problems.append(Problem("the raw copy of this file is missing",
                                           value=entry.get("raw_copy"), **where))
        elif sha256_of(copy) != entry.get("file_sha256"):
            report.problems.append(Problem("the raw copy does not match its sha256",
                                           value=entry.get("raw_copy"), **where))
    if not problems and not frame.empty:
        logged = set(log["file_sha256"])
        stored = {s for s in frame["file_sha256"] if len(s) == 64}  # not the sample's label
        for sha in sorted(stored - logged):
            report.notes.append(f"file {sha[:12]}… is in the store but not in the log (an "
                                "ingest stopped after its commit); the next ingest adds the "
                                "log line")
        for sha in sorted(logged - stored):
            report.problems.append(Problem(f"file {sha[:12]}… is in the log but none of its "
                                           "figures is in the store", file=str(obs_path)))
    return report


def rebuild_store(root: Path, catalog: Catalog) -> tuple[Path | None, int, int]:
    """Rebuild observations.csv from raw/ and the log, under the store's lock.

    Returns (where the old file was kept, files read, rows written). Refuses (KpiError,
    nothing changed) when a raw copy is missing, altered, or no longer passes the checks.
    """
    root = Path(root)
    store = Store(root)
    log = read_log(root)
    if log.empty:
        raise KpiError(f"no {LOG} in {root}: there is nothing to rebuild from",
                       fix="restore the store folder from a backup")
    unlogged = _unlogged_sources(root / OBSERVATIONS, set(log["file_sha256"]))
    if unlogged:
        raise KpiError(f"the store holds figures that came from no logged file "
                       f"({', '.join(sorted(unlogged)[:3])}); a rebuild would drop them",
                       file=str(root / OBSERVATIONS),
                       fix="restore observations.csv from a backup, or ingest into a fresh "
                           "store")
    with store.lock:
        frames, problems = [], []
        with tempfile.TemporaryDirectory(prefix="kpi-rebuild-") as work:
            for n, entry in enumerate(log.to_dict("records"), start=2):
                copy = root / "raw" / str(entry.get("raw_copy") or "")
                where = {"file": str(root / LOG), "row": n}
                if not entry.get("raw_copy") or not copy.is_file() \
                        or sha256_of(copy) != entry["file_sha256"]:
                    problems.append(Problem("raw copy missing or altered", **where,
                                            value=entry.get("raw_copy"),
                                            fix="restore raw/ from a backup"))
                    continue
                named = Path(work) / str(n) / str(entry["file_name"])
                named.parent.mkdir()
                shutil.copyfile(copy, named)  # the original name: it is the rows' source
                when = _when(entry.get("ingested_at"))
                result = check_file(named, catalog, today=when.date(),
                                    ingested_at=when.replace(tzinfo=None).isoformat())
                if not result.ok:
                    problems += result.problems.errors
                    continue
                frames.append(result.rows.assign(file_sha256=entry["file_sha256"]))
        if problems:
            raise ValidationFailed(problems, head="the store cannot be rebuilt; nothing was "
                                   "changed")
        rows = pd.concat(frames, ignore_index=True)[OBS_COLUMNS] if frames else \
            pd.DataFrame(columns=OBS_COLUMNS)
        obs = root / OBSERVATIONS
        kept = None
        if obs.exists():
            kept = obs.with_name(f"{OBSERVATIONS}.damaged-"
                                 f"{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}")
            shutil.copy2(obs, kept)
        _write_atomically(obs, lambda fh: rows.to_csv(fh, index=False, lineterminator="\n"))
    return kept, len(frames), len(rows)


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
