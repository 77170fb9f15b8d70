"""The working store: human-readable, append-only CSV under a data directory.

Layout of a data directory:
    observations.csv   every figure ever ingested (tidy model, see tidy.py); never rewritten
                       except by appending, and always replaced atomically
    ingest_log.csv     one line per ingested file: sha256, name, time, rows
    raw/               each ingested file copied unchanged, named by its sha256
    dataset.yaml       optional: description, and `synthetic: true` for sample data

Writers take a file lock, so two `kpi ingest` processes never interleave. The
observations file is the single commit point: a crash before it is replaced leaves the
store exactly as it was.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml
from filelock import FileLock

from ..common.errors import KpiError
from .tidy import OBS_COLUMNS, at_vintage, empty_observations

OBSERVATIONS = "observations.csv"
LOG = "ingest_log.csv"
LOG_COLUMNS = ["file_sha256", "file_name", "ingested_at", "rows", "raw_copy"]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class DataSource:
    """Where data is read from, and whether it is the synthetic sample."""

    path: Path
    origin: str  # "given", "store" or "sample"

    @property
    def meta(self) -> dict:
        meta_file = self.path / "dataset.yaml"
        if meta_file.is_file():
            return yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}
        return {}

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic"))

    @property
    def catalog(self) -> Path | None:
        """The catalog this data directory was built with (dataset.yaml `catalog:`), if any."""
        given = self.meta.get("catalog")
        return (self.path / given).resolve() if given else None

    def describe(self) -> str:
        label = {"given": "data directory", "store": "working store",
                 "sample": "shipped sample (synthetic)"}[self.origin]
        return f"{label}: {self.path}"


def resolve_data_dir(data: str | Path | None, for_writing: bool = False) -> DataSource:
    """--data DIR if given (or the KPI_DATA environment variable); else the working store
    when it exists; else the shipped sample.

    Writers (ingest) never fall back to the sample: they create the working store.
    """
    from ..common.paths import DEFAULT_STORE, SAMPLE_DIR

    if not data and not for_writing:
        data = os.environ.get("KPI_DATA") or None
    if data:
        path = Path(data).expanduser().resolve()
        if not for_writing and not (path / OBSERVATIONS).is_file():
            raise KpiError(f"no data in {path} ({OBSERVATIONS} is missing)",
                           fix="ingest files into it with 'kpi ingest FILE --data DIR' "
                               "or pass another --data")
        return DataSource(path, "given")
    if for_writing or (DEFAULT_STORE / OBSERVATIONS).is_file():
        return DataSource(DEFAULT_STORE, "store")
    if not (SAMPLE_DIR / OBSERVATIONS).is_file():
        raise KpiError(f"no working store and no sample data in {SAMPLE_DIR}",
                       fix="run 'make sample' (python -m kpi_lib.inputs.sample) or pass --data DIR")
    return DataSource(SAMPLE_DIR, "sample")


def remembered_catalog(data: str | Path | None) -> Path | None:
    """The catalog the data directory `data` (or the default one) was built with, or None.

    Lets every command find the right catalog without --catalog once a store exists.
    """
    if data:  # a new store may hold no figures yet, only the catalog it is for
        return DataSource(Path(data).expanduser().resolve(), "given").catalog
    try:
        return resolve_data_dir(data).catalog
    except KpiError:
        return None


def remember_catalog(root: Path, catalog_path: Path) -> None:
    """Record in dataset.yaml which catalog a store holds figures for (relative path)."""
    meta_file = root / "dataset.yaml"
    meta = (yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}) \
        if meta_file.is_file() else {}
    meta["catalog"] = os.path.relpath(Path(catalog_path).resolve(), root.resolve())
    root.mkdir(parents=True, exist_ok=True)
    tmp = meta_file.with_name(f".dataset-{os.getpid()}.yaml.tmp")
    tmp.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    os.replace(tmp, meta_file)  # readers never see half a file


class Store:
    """Append-only store of observations in one data directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.lock = FileLock(str(self.root / ".lock"), timeout=600)

    @property
    def observations_path(self) -> Path:
        return self.root / OBSERVATIONS

    def read(self, vintage: str | None = None, latest: bool = True) -> pd.DataFrame:
        """All observations (latest=False), or those known at `vintage` (latest report each)."""
        if not self.observations_path.is_file():
            return empty_observations()
        frame = pd.read_csv(self.observations_path, dtype=str, keep_default_na=False,
                            encoding="utf-8")
        missing = set(OBS_COLUMNS) - set(frame.columns)
        if missing:
            raise KpiError(f"store file lacks columns {sorted(missing)}",
                           file=str(self.observations_path),
                           fix="restore the file from backup; the store is written only by kpi")
        frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
        return at_vintage(frame, vintage) if latest else frame

    def ingested_hashes(self) -> set[str]:
        if not self.observations_path.is_file():
            return set()
        col = pd.read_csv(self.observations_path, usecols=["file_sha256"], dtype=str)
        return set(col["file_sha256"].dropna())

    def append(self, rows: pd.DataFrame, source_file: Path, sha256: str) -> int:
        """Copy the raw file, then atomically publish the old rows plus the new ones.

        Returns the number of rows added (0 when this file was ingested before).
        Callers hold `self.lock`.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        if sha256 in self.ingested_hashes():
            return 0
        raw_dir = self.root / "raw"
        raw_dir.mkdir(exist_ok=True)
        for stale in [*self.root.glob("*.tmp"), *raw_dir.glob("*.tmp")]:
            stale.unlink(missing_ok=True)  # left by an ingest that was interrupted
        raw_copy = raw_dir / f"{sha256[:16]}_{_safe_name(source_file.name)}"
        raw_tmp = raw_copy.with_name(raw_copy.name + ".tmp")
        shutil.copyfile(source_file, raw_tmp)
        rows = rows.assign(file_sha256=sha256)[OBS_COLUMNS]
        old = self.observations_path
        with tempfile.NamedTemporaryFile("w", dir=self.root, suffix=".tmp", delete=False,
                                         encoding="utf-8", newline="") as tmp:
            if old.is_file():
                with open(old, encoding="utf-8", newline="") as src:
                    shutil.copyfileobj(src, tmp)
            else:
                tmp.write(",".join(OBS_COLUMNS) + "\n")
            rows.to_csv(tmp, header=False, index=False, lineterminator="\n")
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, old)  # the commit point: before it, nothing has changed
        os.replace(raw_tmp, raw_copy)
        self._log(sha256, source_file.name, len(rows), raw_copy.name)
        return len(rows)

    def _log(self, sha256: str, name: str, n: int, raw_copy: str) -> None:
        log = self.root / LOG
        new = not log.is_file()
        with open(log, "a", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(LOG_COLUMNS)
            writer.writerow([sha256, name, datetime.now(UTC).isoformat(timespec="seconds"),
                             n, raw_copy])


def _safe_name(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return keep.lstrip(".")[:120] or "file"
