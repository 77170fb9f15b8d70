"""One run reads one snapshot of a data directory.

A monthly run reads the store several times (the assessment, the data-quality view, the
provenance list of files and checksums). Were an ingest to land between those reads, a
report's numbers would come from the old data while its provenance named the new file.
So a run first copies the data directory's small text files, under the store's lock, into
its work folder and reads only that copy. observations.csv is replaced, never edited in
place, so a hard link to it is already a frozen copy (and costs nothing); the files that
are appended to (the log, overrides) and the analyst's own prose (report_text/*.md, which
the Word and HTML reports quote) are copied.

The copy is deleted after the run, so a path inside it must never reach a reader:
`original_path` names the file in the data folder the user gave instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import yaml
from filelock import Timeout

from ..common.dates import now_vn
from .overrides import FILE as OVERRIDES
from .store import LOG, OBSERVATIONS, PARTS, DataSource, Store

SNAPSHOT = "_data"
META = "dataset.yaml"
REPORT_TEXT = "report_text"  # the analyst's <YYYY-MM>.md files (outputs/analyst_text.py)


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
            # shown as is in the report's provenance: as a Vietnamese reader writes a time
            "snapshot_at": now_vn().strftime("%d/%m/%Y %H:%M:%S (UTC+7)")}
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
    texts = sorted((src / REPORT_TEXT).glob("*.md")) if (src / REPORT_TEXT).is_dir() else []
    if texts:
        (dest / REPORT_TEXT).mkdir(exist_ok=True)
        for text in texts:
            shutil.copyfile(text, dest / REPORT_TEXT / text.name)


def original_path(source: DataSource, path: Path) -> Path:
    """`path` inside a run's snapshot of `source` -> the same file in the data folder it is
    a copy of (what a reader is told to edit); any other path unchanged."""
    origin = source.meta.get("snapshot_of")
    if not origin:
        return Path(path)
    try:
        return Path(origin) / Path(path).relative_to(source.path)
    except ValueError:
        return Path(path)
