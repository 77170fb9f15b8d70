"""The working store: append-only, columnar, every part traceable to the file it came from.

Layout of a data directory:
    parts/             one Parquet file per ingest (parts.py), never changed once written
    ingest_log.csv     one line per ingested file: its sha256, name, time, rows, raw copy,
                       and the part it became with that part's sha256 (the commit point)
    raw/               each ingested file copied unchanged, named by its sha256
    dataset.yaml       optional: description, `synthetic: true` for sample data, and the
                       catalog the figures were checked against
    observations.csv   a legacy store (one CSV file, store_check.py); read as it is, and
                       migrated into a part on the first write, the old file kept beside it
                       as observations.csv.migrated-<time>

Writers take the store's lock, so two `kpi ingest` never interleave. An ingest writes its
raw copy and its part first and commits by appending one line to the log: a crash before
that line leaves files the next writer removes, never a half-read store. Every read checks
each part it uses against the log (sha256 and rows); `kpi store check` (rebuild.py)
compares the whole store with what a rebuild from raw/ and the log gives.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from filelock import FileLock

from ..common.errors import KpiError, Problem, ValidationFailed
from ..common.files import write_whole
from .parts import by_unit, distinct, empty_frame, part_rows, read_parts, sha256_of, write_part
from .store_check import read_checked
from .tidy import OBS_COLUMNS, at_vintage

OBSERVATIONS = "observations.csv"
PARTS = "parts"
LOG = "ingest_log.csv"
LOG_COLUMNS = ["file_sha256", "file_name", "ingested_at", "rows", "raw_copy", "part",
               "part_sha256", "kind"]
MIGRATION = "migration"  # the log's kind of a legacy observations.csv turned into a part



@dataclass
class DataSource:
    """Where data is read from, and whether it is the synthetic sample."""

    path: Path
    origin: str  # "given", "store" or "sample"

    @property
    def meta(self) -> dict:
        return read_meta(self.path)

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic"))

    @property
    def catalog(self) -> Path | None:
        """The catalog this data directory was built with (dataset.yaml), if any: its path
        relative to the store when that exists (store and catalog moved together), else
        the absolute path recorded beside it (the store alone was moved)."""
        meta = self.meta
        given, absolute = meta.get("catalog"), meta.get("catalog_absolute")
        if not given and not absolute:
            return None
        relative = (self.path / str(given)).resolve() if given else None
        if relative is not None and relative.is_file():
            return relative
        if absolute and Path(str(absolute)).is_file():
            return Path(str(absolute))
        return relative or Path(str(absolute))

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


def read_meta(root: Path) -> dict:
    """dataset.yaml as a mapping ({} when there is none); anything else is a clear error."""
    meta_file = Path(root) / "dataset.yaml"
    if not meta_file.is_file():
        return {}
    try:
        meta = yaml.safe_load(meta_file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise KpiError(f"dataset.yaml cannot be read ({str(exc).splitlines()[0][:120]})",
                       file=str(meta_file), fix="correct it or delete it (it only describes "
                       "the data and names its catalog)") from None
    except OSError as exc:
        raise _os_error(exc, Path(root), "read") from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise KpiError(f"dataset.yaml is not a list of 'key: value' lines (it holds a "
                       f"{type(meta).__name__})", file=str(meta_file),
                       fix="write it as e.g. 'description: …' and 'catalog: PATH', or delete it")
    return meta


def has_data(root: Path) -> bool:
    """Whether a data directory holds a store (either format)."""
    return (Path(root) / OBSERVATIONS).is_file() or bool(_part_entries(read_log(root)))


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
        if not for_writing and not has_data(path):
            raise KpiError(f"no data in {path} (neither {PARTS}/ with {LOG} nor "
                           f"{OBSERVATIONS})",
                           fix="ingest files into it with 'kpi ingest FILE --data DIR' "
                               "or pass another --data")
        return DataSource(path, "given")
    if for_writing or has_data(DEFAULT_STORE):
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
    """Record in dataset.yaml which catalog a store holds figures for: relative to the
    store (found again when both move together) and absolute (when only the store moves)."""
    meta = read_meta(root)
    target = Path(catalog_path).resolve()
    meta["catalog"] = os.path.relpath(target, Path(root).resolve())
    meta["catalog_absolute"] = str(target)
    Path(root).mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    write_atomically(Path(root) / "dataset.yaml", lambda fh: fh.write(text))


class Store:
    """Append-only store of observations in one data directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.lock = FileLock(str(self.root / ".lock"), timeout=600)

    @property
    def observations_path(self) -> Path:
        """The legacy CSV file (a store before its first write in the columnar format)."""
        return self.root / OBSERVATIONS

    @property
    def columnar(self) -> bool:
        return bool(_part_entries(read_log(self.root)))

    def parts(self) -> list[tuple[int, dict]]:
        """(log line, log entry) of each committed part, in the order of ingest."""
        return _part_entries(read_log(self.root))

    def read(self, vintage: str | None = None, latest: bool = True,
             known_ids: set[str] | None = None, known_units: set[str] | None = None,
             years: tuple[int, int] | None = None, indicators: set[str] | None = None,
             units: set[str] | None = None, categorical: bool = False) -> pd.DataFrame:
        """All observations (latest=False), or those known at `vintage` (latest report each).

        `years`, `indicators` and `units` narrow what is read (in the files, for parts).
        Text columns are strings, or categoricals with `categorical` (the engine's fast
        path for millions of rows).
        Everything read is verified first (each part against the log, each line of a
        legacy file): a damaged store raises StoreDamaged, never a shortened frame.
        """
        cutoff = vintage_cutoff(vintage)
        try:
            if self.columnar:  # the latest reports are chosen as the parts are read
                frame, problems = self._read_parts(cutoff, years, indicators, units,
                                                   known_ids, known_units, latest)
            elif self.observations_path.is_file():
                frame, problems = read_checked(self.observations_path, known_ids, known_units)
                frame = _narrow(frame, years, indicators, units)
                if latest and not problems:
                    frame = at_vintage(frame, cutoff)
                elif cutoff is not None and not problems:  # every report known by then
                    frame = frame[pd.to_datetime(frame["reported_at"], format="mixed",
                                                 utc=True).dt.tz_localize(None) <= cutoff]
            else:
                frame, problems = empty_frame(), []
        except OSError as exc:
            raise _os_error(exc, self.root, "read") from None
        if problems:
            raise StoreDamaged(self.root, problems)
        text = [c for c in OBS_COLUMNS if c != "value"]
        return frame.astype(dict.fromkeys(text, "category" if categorical else str))

    def _read_parts(self, cutoff, years, indicators, units, known_ids, known_units,
                    latest) -> tuple[pd.DataFrame, list[Problem]]:
        problems = self.verify_parts()
        if problems:
            raise StoreDamaged(self.root, problems)
        unknown = self.unknown_values(known_ids, known_units)
        if unknown:
            return empty_frame(), unknown
        paths = [self.root / PARTS / str(e["part"]) for _, e in self.parts()]
        return read_parts(paths, cutoff, years, indicators, units, latest=latest), []

    def unknown_values(self, known_ids: set[str] | None,
                       known_units: set[str] | None) -> list[Problem]:
        """Parts were checked when written: only another catalog's ids or units remain to
        be found (from the parts' dictionaries, whatever a read narrows to)."""
        paths = [self.root / PARTS / str(e["part"]) for _, e in self.parts()]
        problems = []
        for column, known, what in (
                ("indicator_id", known_ids, "an indicator the catalog does not know"),
                ("unit_code", known_units, "a unit the registry does not know")):
            if known is not None:
                problems += [Problem(what, column=column, value=value,
                                     file=str(self.root / PARTS))
                             for value in sorted(distinct(paths, column) - set(known))]
        return problems

    def verify_parts(self) -> list[Problem]:
        """Every committed part is there, with the sha256 and rows the log recorded."""
        problems = []
        for line, entry in self.parts():
            path = self.root / PARTS / str(entry["part"])
            where = {"file": str(self.root / LOG), "row": line, "value": entry["part"]}
            if not path.is_file():
                problems.append(Problem("the part this line records is missing", **where,
                                        fix="'kpi store rebuild' makes it again from raw/"))
            elif sha256_of(path) != entry["part_sha256"]:
                problems.append(Problem("the part does not match its sha256 in the log "
                                        "(changed or damaged)", **where))
            elif str(part_rows(path)) != str(entry["rows"]):
                problems.append(Problem("the part's rows differ from the log's", **where))
        return problems

    def ingested_hashes(self) -> set[str]:
        """sha256 of every file already in the store (an ingest of it again adds nothing)."""
        log = read_log(self.root)
        hashes = set(log.loc[log["kind"] != MIGRATION, "file_sha256"])
        if not self.columnar and self.observations_path.is_file():
            hashes |= set(self.read(latest=False)["file_sha256"].astype(str))
        return hashes - {""}

    def append(self, rows: pd.DataFrame, source_file: Path, sha256: str,
               ingested_at: str | None = None) -> int:
        """Copy the raw file, write its part, then commit with one log line.

        Returns the number of rows added (0 when this file was ingested before). Callers
        hold `self.lock`. A kill before the log line leaves files `recover` removes (the
        store reads as it was); a write that fails (disk full, read-only folder) removes
        what it wrote and raises KpiError with the store unchanged.
        """
        written: list[Path] = []
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.recover()
            self.migrate()
            if sha256 in self.ingested_hashes():
                return 0
            raw_copy = self._raw_copy(source_file, sha256, source_file.name, written)
            one = pd.Categorical.from_codes(np.zeros(len(rows), dtype=np.int8), [sha256])
            part, part_sha, n = self._write_part(by_unit(rows.assign(file_sha256=one)),
                                                 sha256, written)
            self._log([sha256, source_file.name, _stamp(ingested_at), n, raw_copy.name,
                       part.name, part_sha, "ingest"])
        except OSError as exc:
            for path in written:
                path.unlink(missing_ok=True)
            raise _os_error(exc, self.root, "write") from None
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        return n

    def _raw_copy(self, source: Path, sha256: str, name: str, written: list[Path]) -> Path:
        raw_dir = self.root / "raw"
        raw_dir.mkdir(exist_ok=True)
        copy = raw_dir / f"{sha256[:16]}_{_safe_name(name)}"
        if copy.is_file() and sha256_of(copy) == sha256:
            return copy  # kept from an earlier attempt (or the legacy store)
        with open(source, "rb") as src:
            write_atomically(copy, lambda fh: shutil.copyfileobj(src, fh), binary=True,
                             mode_from=self.root / LOG)
        written.append(copy)
        return copy

    def _write_part(self, rows: pd.DataFrame, sha256: str,
                    written: list[Path]) -> tuple[Path, str, int]:
        folder = self.root / PARTS
        folder.mkdir(exist_ok=True)
        part = folder / f"{len(self.parts()):06d}-{sha256[:16]}.parquet"
        tmp = part.with_name(part.name + ".tmp")
        written.append(tmp)
        part_sha, n = write_part(rows[OBS_COLUMNS], tmp)
        _copy_mode(self.root / LOG, tmp)
        os.replace(tmp, part)
        written.append(part)
        return part, part_sha, n

    def migrate(self) -> bool:
        """Turn a legacy observations.csv into the first part (callers hold the lock).

        The file is read (and verified) as it is, copied into raw/ as the source of its
        part, committed with a `migration` log line, then renamed to
        observations.csv.migrated-<time> beside the store: nothing is lost, and a rebuild
        makes the same part from that raw copy. Returns whether it migrated.
        """
        obs = self.observations_path
        log = read_log(self.root)
        done = log[log["kind"] == MIGRATION]
        if not obs.is_file():
            return False
        if not done.empty:  # migrated, killed before the rename: finish it
            if sha256_of(obs) == done.iloc[-1]["file_sha256"]:
                os.replace(obs, _migrated_name(obs))
            return False
        if _part_entries(log):
            return False  # a columnar store: a stray CSV is not read (store check says so)
        frame, problems = read_checked(obs)
        if problems:
            raise StoreDamaged(self.root, problems)
        sha = sha256_of(obs)
        written: list[Path] = []
        try:
            raw_copy = self._raw_copy(obs, sha, OBSERVATIONS, written)
            part, part_sha, n = self._write_part(frame, sha, written)
            entry = [sha, OBSERVATIONS, _stamp(None), n, raw_copy.name, part.name, part_sha,
                     MIGRATION]
            rows = [[str(r.get(c, "")) for c in LOG_COLUMNS] for r in log.to_dict("records")]
            write_atomically(self.root / LOG, lambda fh: csv.writer(
                fh, lineterminator="\n").writerows([LOG_COLUMNS, *rows, entry]))
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        os.replace(obs, _migrated_name(obs))
        return True

    def recover(self) -> list[str]:
        """Finish or undo what a killed writer left (callers hold the lock): a log line cut
        short is removed, temporary files and parts no log line commits are deleted; in a
        legacy store, a committed file's raw copy is renamed into place and its log line
        written. Returns the hashes whose ingest was completed."""
        _drop_torn_log_line(self.root / LOG)
        for folder in (self.root, self.root / "raw", self.root / PARTS):
            for stale in folder.glob("*.tmp") if folder.is_dir() else []:
                if folder.name != "raw" or self.columnar or not self.observations_path.is_file():
                    stale.unlink(missing_ok=True)
        for part in self.unlogged_parts():
            if self.left_by_a_writer(part):
                part.unlink(missing_ok=True)
        if self.columnar or not self.observations_path.is_file():
            return []
        return self._recover_legacy()

    def unlogged_parts(self) -> list[Path]:
        committed = {str(e["part"]) for _, e in self.parts()}
        folder = self.root / PARTS
        return sorted(p for p in folder.glob("*.parquet") if p.name not in committed) \
            if folder.is_dir() else []

    def left_by_a_writer(self, part: Path) -> bool:
        """Whether a part no log line commits is what a killed writer left: the next
        part of an ingest, a rebuild's part, or one a rebuild replaced (kept in its
        damaged-* copy). Any other is evidence of a lost log line: kept, and named by
        `kpi store check`."""
        return (part.name.startswith(f"{len(self.parts()):06d}-") or "-r" in part.name
                or any(self.root.glob(f"damaged-*/{PARTS}/{part.name}")))

    def _recover_legacy(self) -> list[str]:
        """A legacy store's kill between its commit (observations.csv replaced) and its log
        line: the raw copy is still `.tmp` and the line missing."""
        raw_dir = self.root / "raw"
        committed = self.ingested_hashes()
        prefixes = {sha[:16] for sha in committed}
        for tmp in raw_dir.glob("*.tmp") if raw_dir.is_dir() else []:
            final = tmp.with_name(tmp.name.removesuffix(".tmp"))
            if tmp.name[:16] in prefixes and not final.exists():
                os.replace(tmp, final)
            else:
                tmp.unlink(missing_ok=True)
        frame = self.read(latest=False)
        logged = set(read_log(self.root)["file_sha256"])
        repaired = []
        for sha, group in frame.groupby("file_sha256", sort=False, observed=True):
            sha = str(sha)
            if sha in logged or len(sha) != 64:
                continue  # logged, or not from an ingest (the sample's rows)
            copies = sorted(raw_dir.glob(f"{sha[:16]}_*"))
            if not copies:
                continue
            copy = copies[0]
            when = datetime.fromtimestamp(copy.stat().st_mtime, UTC)
            self._log([sha, copy.name.split("_", 1)[1], when.isoformat(timespec="seconds"),
                       len(group), copy.name, "", "", "ingest"])
            repaired.append(sha)
        return repaired

    def _log(self, fields: list[object]) -> None:
        """Append one line to the log (the commit point of an ingest), fsynced."""
        log = self.root / LOG
        if log.is_file() and _log_header(log) != LOG_COLUMNS:
            _upgrade_log(log)
        new = not log.is_file()
        with open(log, "a", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            if new:
                writer.writerow(LOG_COLUMNS)
            writer.writerow(fields)
            fh.flush()
            os.fsync(fh.fileno())
        if new:
            _copy_mode(self.root, log, folder=True)


class StoreDamaged(ValidationFailed):
    """The store does not read back as kpi wrote it: named, with the way to recover."""

    def __init__(self, root: Path, problems: list[Problem]) -> None:
        n = len(problems)
        head = (f"the store {root} is damaged ({n} problem{'s' if n != 1 else ''}); nothing "
                "was read from it\n  fix: 'kpi store check --data DIR' lists every problem; "
                "'kpi store rebuild --data DIR' rebuilds the store from the raw copies "
                "in raw/ and ingest_log.csv (the damaged files are kept beside it)")
        super().__init__(problems, head=head)


def vintage_cutoff(vintage: str | pd.Timestamp | None) -> pd.Timestamp | None:
    """The last instant a vintage covers (end of that day for a date), naive UTC."""
    if vintage is None:
        return None
    cutoff = pd.Timestamp(vintage)
    if cutoff.tzinfo is not None:
        cutoff = cutoff.tz_convert("UTC").tz_localize(None)
    if cutoff == cutoff.normalize():
        cutoff = cutoff + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return cutoff


def read_log(root: Path) -> pd.DataFrame:
    """The ingest log with every column (empty frame when there is none); a legacy log
    gets the part columns empty."""
    log = Path(root) / LOG
    if not log.is_file():
        return pd.DataFrame(columns=LOG_COLUMNS)
    try:
        frame = pd.read_csv(log, dtype=str, keep_default_na=False, encoding="utf-8",
                            on_bad_lines="skip")
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=LOG_COLUMNS)
    except OSError as exc:
        raise _os_error(exc, Path(root), "read") from None
    for column in LOG_COLUMNS:
        if column not in frame:
            frame[column] = ""
    return frame


def _part_entries(log: pd.DataFrame) -> list[tuple[int, dict]]:
    return [(n, e) for n, e in enumerate(log.to_dict("records"), start=2) if e.get("part")]


def _log_header(log: Path) -> list[str]:
    with open(log, encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh), [])


def _upgrade_log(log: Path) -> None:
    """A legacy log gets the part columns (empty) before its first columnar line."""
    frame = read_log(log.parent)
    text = io.StringIO()
    frame[LOG_COLUMNS].to_csv(text, index=False, lineterminator="\n")
    write_atomically(log, lambda fh: fh.write(text.getvalue()))


def _drop_torn_log_line(log: Path) -> None:
    """A log whose last line has no line end was cut mid-write: that line never committed."""
    if not log.is_file() or log.stat().st_size == 0:
        return
    data = log.read_bytes()
    if data.endswith(b"\n"):
        return
    keep = data[:data.rfind(b"\n") + 1]
    write_atomically(log, lambda fh: fh.write(keep), binary=True)


def _migrated_name(obs: Path) -> Path:
    return obs.with_name(f"{OBSERVATIONS}.migrated-{datetime.now(UTC):%Y%m%d-%H%M%S}")


def _stamp(ingested_at: str | None) -> str:
    when = datetime.fromisoformat(ingested_at) if ingested_at else datetime.now(UTC)
    return when.isoformat(timespec="seconds")


def _narrow(frame: pd.DataFrame, years, indicators, units) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if years is not None:
        year = pd.to_numeric(frame["period"].astype(str).str.slice(0, 4), errors="coerce")
        keep &= year.between(*years)
    if indicators is not None:
        keep &= frame["indicator_id"].isin(indicators)
    if units is not None:
        keep &= frame["unit_code"].isin(units)
    return frame if keep.all() else frame[keep].reset_index(drop=True)


def _os_error(exc: OSError, root: Path, doing: str) -> KpiError:
    """A store that cannot be read or written: say why and what to do, no traceback."""
    if isinstance(exc, PermissionError):
        return KpiError(f"permission denied to {doing} the store {root} "
                        f"({exc.filename or ''})", file=str(exc.filename or root),
                        fix="ask the store's owner to make the folder and its files "
                            "group-writable (chmod -R g+rwX), or use your own --data; "
                            "nothing was changed")
    return KpiError(f"cannot {doing} the store {root} ({exc.strerror or exc})",
                    fix="free disk space or make the folder writable, then try again; the "
                        "store is unchanged")


def _copy_mode(source: Path, target: Path, folder: bool = False) -> None:
    """Give `target` the permission bits of `source` (a file of the store, or the store's
    folder without its search bits), so a shared store stays shared after every write."""
    try:
        mode = source.stat().st_mode & 0o777
    except OSError:
        return
    if folder:
        mode &= 0o666
    try:
        os.chmod(target, mode)
    except OSError:
        pass  # not ours to change (another user's file): it keeps what it had


def write_atomically(target: Path, write, binary: bool = False,
                     mode_from: Path | None = None) -> None:
    """`common.files.write_whole` for the store: a new file takes `mode_from`'s permission
    bits, or the store folder's, so a shared store stays shared; errors stay OSErrors (the
    store's callers name what they were doing, `_os_error`)."""
    write_whole(target, write, text=not binary, mode_from=mode_from or target.parent)


def _safe_name(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return keep.lstrip(".")[:120] or "file"
