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
    """Write `path` whole through `write(fh)` (binary), or leave it as it was.

    `locked`: the caller holds the lock that guards `path`, so any other temporary file of
    it was left by a writer killed mid-write, and is removed."""
    path = Path(path)
    if locked:
        for left in path.parent.glob(f".{path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                left.unlink()
    try:
        old = path.stat()
    except FileNotFoundError:
        old = None
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if old is not None:
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
            with contextlib.suppress(PermissionError):  # only root may give a file away
                os.chown(tmp, old.st_uid, old.st_gid)
        else:  # a new file: the mode a plain open() would give, not mkstemp's 0600
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        if exc.errno in DISK_ERRORS:
            raise cannot_write(exc, path.parent, f"{path.name} is as it was") from None
        raise
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


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


def replace_text(path: Path, text: str, locked: bool = False) -> None:
    """`replace_file` for UTF-8 text."""
    replace_file(path, lambda fh: fh.write(text.encode("utf-8")), locked)
