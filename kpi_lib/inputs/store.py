"""The working store: human-readable, append-only CSV under a data directory.

Layout of a data directory:
    observations.csv   every figure ever ingested (tidy model, see tidy.py); never rewritten
                       except by appending, and always replaced atomically
    ingest_log.csv     one line per ingested file: sha256, name, time, rows
    raw/               each ingested file copied unchanged, named by its sha256
    dataset.yaml       optional: description, and `synthetic: true` for sample data

Writers take a file lock, so two `kpi ingest` processes never interleave. The
observations file is the single commit point: a crash before it is replaced leaves the
store exactly as it was. Every read verifies every line (store_check.py); `kpi store
rebuild` (rebuild.py) rebuilds the file from raw/ and the log.
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

from ..common.errors import KpiError, Problem, ValidationFailed
from .store_check import ends_cleanly, read_checked
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

    def describe(self, lang: str = "en") -> str:
        """Where the figures came from, in the reader's language (reports say it in vi)."""
        meta = self.meta
        origin, path = meta.get("snapshot_origin", self.origin), meta.get("snapshot_of")
        labels = {"en": {"given": "data directory", "store": "working store",
                         "sample": "shipped sample (synthetic)", "snapshot": "snapshot"},
                  "vi": {"given": "thư mục số liệu", "store": "kho số liệu đang dùng",
                         "sample": "số liệu mẫu giả lập kèm theo", "snapshot": "bản chụp lúc"}}
        words = labels["vi" if lang == "vi" else "en"]
        if path:  # a run's frozen copy (snapshot.py): name what it is a copy of
            return f"{words[origin]}: {path} ({words['snapshot']} {meta.get('snapshot_at', '')})"
        return f"{words[origin]}: {self.path}"


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

    def read(self, vintage: str | None = None, latest: bool = True,
             known_ids: set[str] | None = None,
             known_units: set[str] | None = None) -> pd.DataFrame:
        """All observations (latest=False), or those known at `vintage` (latest report each).

        Every line is verified first: a damaged store raises StoreDamaged naming the lines,
        never a silently shortened frame.
        """
        if not self.observations_path.is_file():
            return empty_observations()
        frame, problems = read_checked(self.observations_path, known_ids, known_units)
        if problems:
            raise StoreDamaged(self.root, problems)
        return at_vintage(frame, vintage) if latest else frame

    def ingested_hashes(self) -> set[str]:
        if not self.observations_path.is_file():
            return set()
        return set(self.read(latest=False)["file_sha256"]) - {""}

    def append(self, rows: pd.DataFrame, source_file: Path, sha256: str,
               ingested_at: str | None = None) -> int:
        """Copy the raw file, then atomically publish the old rows plus the new ones, then log.

        Returns the number of rows added (0 when this file was ingested before).
        Callers hold `self.lock`. A kill at any point leaves a state `recover` completes:
        before the commit, the store is as it was (a stray `.tmp` is removed); after it, the
        raw copy is still `.tmp` and the log line missing, and the next writer renames the
        one and writes the other. A write that fails (disk full, read-only folder) removes
        its temporary files and raises KpiError; the store is unchanged.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.recover()
            if sha256 in self.ingested_hashes():
                return 0
            raw_dir = self.root / "raw"
            raw_dir.mkdir(exist_ok=True)
            raw_copy = raw_dir / f"{sha256[:16]}_{_safe_name(source_file.name)}"
            raw_tmp = raw_copy.with_name(raw_copy.name + ".tmp")
            try:
                with open(raw_tmp, "wb") as fh:
                    _copy_file(source_file, fh)
                    fh.flush()
                    os.fsync(fh.fileno())
                rows = rows.assign(file_sha256=sha256)[OBS_COLUMNS]
                old = self.observations_path

                def write(fh) -> None:
                    if old.is_file():
                        with open(old, encoding="utf-8", newline="") as src:
                            shutil.copyfileobj(src, fh)
                        if not ends_cleanly(old):
                            fh.write("\n")  # a hand-edited file without a final line end
                    else:
                        fh.write(",".join(OBS_COLUMNS) + "\n")
                    rows.to_csv(fh, header=False, index=False, lineterminator="\n")

                _write_atomically(old, write)  # the commit point: before it, nothing changed
            except BaseException:
                raw_tmp.unlink(missing_ok=True)
                raise
            os.replace(raw_tmp, raw_copy)
            self._log(sha256, source_file.name, len(rows), raw_copy.name,
                      datetime.fromisoformat(ingested_at) if ingested_at else None)
        except OSError as exc:
            raise KpiError(f"cannot write to the store {self.root} ({exc.strerror or exc})",
                           fix="free disk space or make the folder writable, then ingest "
                               "again; the store is unchanged") from None
        return len(rows)

    def recover(self) -> list[str]:
        """Finish or undo what a killed writer left (callers hold the lock): temporary files
        of an uncommitted ingest are removed; a committed file's raw copy is renamed into
        place and its log line written. Returns the hashes whose ingest was completed."""
        raw_dir = self.root / "raw"
        for stale in self.root.glob("*.tmp"):
            stale.unlink(missing_ok=True)
        committed = self.ingested_hashes()
        prefixes = {sha[:16] for sha in committed}
        for tmp in raw_dir.glob("*.tmp") if raw_dir.is_dir() else []:
            final = tmp.with_name(tmp.name.removesuffix(".tmp"))
            if tmp.name[:16] in prefixes and not final.exists():
                os.replace(tmp, final)
            else:
                tmp.unlink(missing_ok=True)
        return self.repair_log()

    def repair_log(self) -> list[str]:
        """Add the log line of any committed file that lacks one (a kill between the commit
        and the log). Returns the file hashes repaired."""
        if not self.observations_path.is_file():
            return []
        frame = self.read(latest=False)
        logged = set(read_log(self.root)["file_sha256"])
        repaired = []
        for sha, group in frame[frame["file_sha256"] != ""].groupby("file_sha256", sort=False):
            if sha in logged:
                continue
            copies = sorted((self.root / "raw").glob(f"{sha[:16]}_*"))
            if len(sha) != 64 or not copies:
                continue  # not from an ingest (the sample's rows), or nothing to name
            copy = copies[0]
            when = datetime.fromtimestamp(copy.stat().st_mtime, UTC)
            self._log(sha, copy.name.split("_", 1)[1], len(group), copy.name, when)
            repaired.append(sha)
        return repaired

    def _log(self, sha256: str, name: str, n: int, raw_copy: str,
             when: datetime | None = None) -> None:
        log = self.root / LOG
        new = not log.is_file()
        with open(log, "a", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            if new:
                writer.writerow(LOG_COLUMNS)
            writer.writerow([sha256, name, (when or datetime.now(UTC)).isoformat(
                timespec="seconds"), n, raw_copy])
            fh.flush()
            os.fsync(fh.fileno())


class StoreDamaged(ValidationFailed):
    """The store file does not read back as kpi wrote it: named, with the way to recover."""

    def __init__(self, root: Path, problems: list[Problem]) -> None:
        n = len(problems)
        head = (f"the store {root} is damaged ({n} problem{'s' if n != 1 else ''}); nothing "
                "was read from it\n  fix: 'kpi store check --data DIR' lists every problem; "
                "'kpi store rebuild --data DIR' rebuilds observations.csv from the raw copies "
                "in raw/ and ingest_log.csv (the damaged file is kept beside it)")
        super().__init__(problems, head=head)


def read_log(root: Path) -> pd.DataFrame:
    """The ingest log (empty frame with its columns when there is none)."""
    log = Path(root) / LOG
    if not log.is_file():
        return pd.DataFrame(columns=LOG_COLUMNS)
    return pd.read_csv(log, dtype=str, keep_default_na=False, encoding="utf-8",
                       on_bad_lines="skip")


def _copy_file(source: Path, fh) -> None:
    with open(source, "rb") as src:
        shutil.copyfileobj(src, fh)


def _write_atomically(target: Path, write, binary: bool = False) -> None:
    """Write a temporary file beside `target`, fsync it, rename it over `target`. On any
    failure the temporary file is removed and `target` is as it was."""
    mode = "wb" if binary else "w"
    kwargs = {} if binary else {"encoding": "utf-8", "newline": ""}
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _safe_name(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return keep.lstrip(".")[:120] or "file"
