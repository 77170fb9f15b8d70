"""One run reads one snapshot of a data directory.

A monthly run reads the store several times (the assessment, the data-quality view, the
provenance list of files and checksums). Were an ingest to land between those reads, a
report's numbers would come from the old data while its provenance named the new file.
So a run first copies the data directory's small text files, under the store's lock, into
its work folder and reads only that copy. observations.csv is replaced, never edited in
place, so a hard link to it is already a frozen copy (and costs nothing); the files that
are appended to (the log, overrides) are copied.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import yaml
from filelock import Timeout

from .overrides import FILE as OVERRIDES
from .store import LOG, OBSERVATIONS, PARTS, DataSource, Store

SNAPSHOT = "_data"
META = "dataset.yaml"


def take_snapshot(source: DataSource, dest: Path) -> Path:
    """Copy `source`'s data files into `dest` (consistently) and return `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    lock = contextlib.nullcontext()
    from ..common.paths import SAMPLE_DIR

    shipped = source.path.resolve() == SAMPLE_DIR.resolve()
    if source.origin != "sample" and not shipped and os.access(source.path, os.W_OK):
        lock = Store(source.path).lock  # never write a lock file into the shipped sample
    try:
        with lock:
            _copy(source.path, dest)
    except Timeout:
        _copy(source.path, dest)  # a stuck writer: the files are replaced atomically anyway
    meta = {**source.meta, "snapshot_of": str(source.path), "snapshot_origin": source.origin,
            "snapshot_at": datetime.now(UTC).isoformat(timespec="seconds")}
    (dest / META).write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return dest


def _copy(src: Path, dest: Path) -> None:
    """Parts and a legacy observations.csv are never changed in place: hard links are
    frozen copies (a Dask worker then reads the very parts of the store)."""
    parts = [f"{PARTS}/{entry['part']}" for _, entry in Store(src).parts()]
    frozen = ([OBSERVATIONS] if (src / OBSERVATIONS).is_file() else []) + parts
    if parts:
        (dest / PARTS).mkdir(exist_ok=True)
    for name in frozen:
        try:
            os.link(src / name, dest / name)
        except OSError:  # another file system, or links not allowed
            shutil.copyfile(src / name, dest / name)
    for name in (LOG, OVERRIDES):
        if (src / name).is_file():
            shutil.copyfile(src / name, dest / name)
