"""Writing a file so that a full disk, a read-only folder or a kill leaves it whole.

The new content goes to a temporary file beside it, is flushed to disk, takes the mode
(and, where allowed, the owner) of the file it replaces — a group-writable file shared by an
office stays group-writable — and replaces it in one rename. Whatever fails, the temporary
file is removed and the old file is as it was; the error names the folder and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .errors import KpiError

# Errors that mean "this folder cannot take the file now", not a bug.
DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


def cannot_write(exc: OSError, folder: Path | str, kept: str = "nothing was changed") -> KpiError:
    """The user's error for a write that failed in `folder` (full, read-only, not ours)."""
    why = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
           errno.EROFS: "the folder is on a read-only file system"}.get(
               exc.errno or 0, exc.strerror or str(exc))
    return KpiError(f"cannot write in {folder}: {why}; {kept}",
                    fix="free space or make the folder writable, then run the command again")


def replace_file(path: Path, write: Callable[[IO[bytes]], None], locked: bool = False) -> None:
    """Write `path` whole through `write(fh)` (binary), or leave it as it was; a full or
    read-only folder is the user's error (`cannot_write`).

    `locked`: the caller holds the lock that guards `path`, so any other temporary file of
    it was left by a writer killed mid-write, and is removed."""
    path = Path(path)
    if locked:
        for left in path.parent.glob(f".{path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                left.unlink()
    try:
        write_whole(path, write)
    except OSError as exc:
        if exc.errno in DISK_ERRORS:
            raise cannot_write(exc, path.parent, f"{path.name} is as it was") from None
        raise


def write_whole(path: Path, write: Callable[[IO], None], text: bool = False,
                mode_from: Path | None = None) -> None:
    """The mechanism: a temporary file beside `path`, fsynced, given the mode (and, where
    allowed, the owner) of the file it replaces — for a new file, `mode_from`'s bits (a
    folder's without its search bits) or what a plain open() would give, never mkstemp's
    0600 — then one rename. On any failure the temporary file is removed and the OSError
    raised as it came. `text`: `write` gets a UTF-8 text handle (no newline translation)."""
    try:
        old = path.stat()
    except FileNotFoundError:
        old = None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with (os.fdopen(fd, "w", encoding="utf-8", newline="") if text
              else os.fdopen(fd, "wb")) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if old is not None:
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
            with contextlib.suppress(PermissionError):  # only root may give a file away
                os.chown(tmp, old.st_uid, old.st_gid)
        elif mode_from is not None and mode_from.exists():
            bits = stat.S_IMODE(mode_from.stat().st_mode)
            os.chmod(tmp, bits & 0o666 if mode_from.is_dir() else bits)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """This process's umask, read without setting it (os.umask would change it for every
    thread for a moment)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def read_memo(path: Path) -> dict:
    """A memo an earlier run saved with `write_whole` + pickle, or {} when it is missing,
    cut or not a mapping: a cache only ever costs time, never a failure."""
    import pickle

    try:
        with open(path, "rb") as fh:
            saved = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        return {}
    return saved if isinstance(saved, dict) else {}


def replace_text(path: Path, text: str, locked: bool = False) -> None:
    """`replace_file` for UTF-8 text."""
    replace_file(path, lambda fh: fh.write(text.encode("utf-8")), locked)
