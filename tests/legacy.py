"""A store in the legacy CSV format (observations.csv), made as kpi wrote it before parts:
the tests of what is read, checked, migrated and rebuilt from such a store use it."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime
from pathlib import Path

from kpi_lib.inputs.ingest import check_file
from kpi_lib.inputs.parts import sha256_of
from kpi_lib.inputs.tidy import OBS_COLUMNS

LEGACY_LOG = ["file_sha256", "file_name", "ingested_at", "rows", "raw_copy"]


def legacy_store(root: Path, files: list[Path], catalog) -> Path:
    """Ingest `files` into `root` the way the CSV store did (one file, a five-column log)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "raw").mkdir(exist_ok=True)
    obs, log = root / "observations.csv", root / "ingest_log.csv"
    for path in files:
        stamp = datetime.now(UTC).replace(microsecond=0, tzinfo=None).isoformat()
        result = check_file(path, catalog, ingested_at=stamp)
        assert result.ok, result.problems.summary()
        sha = sha256_of(path)
        copy = root / "raw" / f"{sha[:16]}_{path.name}"
        shutil.copyfile(path, copy)
        new = not obs.is_file()
        with open(obs, "a", encoding="utf-8", newline="") as fh:
            if new:
                fh.write(",".join(OBS_COLUMNS) + "\n")
            result.rows.assign(file_sha256=sha)[OBS_COLUMNS].to_csv(
                fh, header=False, index=False, lineterminator="\n")
        new = not log.is_file()
        with open(log, "a", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            if new:
                writer.writerow(LEGACY_LOG)
            writer.writerow([sha, path.name, f"{stamp}+00:00", len(result.rows), copy.name])
    return root
