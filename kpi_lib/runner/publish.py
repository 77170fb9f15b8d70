"""Publishing a month into reports/ so that no kill, no second run and no second host can
lose a published report or leave the index behind.

- A run works in `.tmp-<month>-<pid>-<thread>` with an `.owner` file (host, pid). At start,
  a run sweeps into `_failed/` only work folders whose owner is on this host and dead:
  another host's live run is never touched (its pid means nothing here).
- Publishing is two renames (the old folder aside, the new one in), done under a lock per
  month and with SIGINT/SIGTERM held back, so a signal cannot fall between them. A SIGKILL
  can: the next run of any month (under that month's lock) finds the month missing with
  its `.old-` folder aside, and publishes the complete new folder (marked `.complete`) or
  puts the old one back: the month is always its before or after state.
- The locks are flufl.lock's: NFS-safe (hard links, not fcntl), with a lifetime after which
  a lock left by a killed process is broken, so they work across processes and hosts on a
  shared disk. index.html is rebuilt under its own lock from what is on disk, so two
  months published at once both end up in it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from flufl.lock import Lock, LockState, NotLockedError, TimeOutError

from ..common.errors import KpiError

OWNER = ".owner"
COMPLETE = ".complete"
LOCK_LIFETIME = timedelta(minutes=5)  # a swap or an index takes seconds; then it is stale
LOCK_TIMEOUT = timedelta(minutes=10)


def host() -> str:
    return socket.gethostname()


def lang_folder(out: Path, lang: str) -> Path:
    """Where reports in `lang` are published: the Vietnamese ones (to be issued) in `out`,
    English ones beside them in `out/en/` with their own index, so an English run never
    replaces a Vietnamese report or the index's title."""
    return out if lang == "vi" else out / lang


def aside(out: Path, kind: str, name: str) -> Path:
    """`.tmp-<name>.<pid>.<thread>` (a work folder) or `.old-…` (a report set aside): a
    dot never occurs in a report's name, so the name and the owner's pid read back exactly
    (review-2025-06 is not review-2025 of pid 06)."""
    return out / f".{kind}-{name}.{os.getpid()}.{threading.get_ident()}"


_LEGACY_REVIEW = re.compile(r"^(review-\d{4}-\d{2}(?:-en)?)-(\d+)$")


def parse_aside(folder: Path) -> tuple[str, int | None]:
    """(name, pid) of a `.tmp-`/`.old-` folder; also of the dash-joined names of older
    versions (`.old-2025-06-<pid>-<thread>`, `.old-review-2025-06-<pid>`)."""
    stem = folder.name[len(".old-"):]
    if "." in stem:
        name, pid, _ = (stem.rsplit(".", 2) + ["", ""])[:3]
    elif legacy := _LEGACY_REVIEW.match(stem):
        name, pid = legacy.groups()
    else:
        name, pid, _ = (stem.rsplit("-", 2) + ["", ""])[:3]
    return name, int(pid) if pid.isdigit() else None


def work_folder(out: Path, name: str) -> Path:
    """A fresh work folder for one run of `name`, marked with its owner (host and pid)."""
    tmp = aside(out, "tmp", name)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    (tmp / OWNER).write_text(json.dumps({"host": host(), "pid": os.getpid(),
                                         "started": datetime.now().isoformat()}),
                             encoding="utf-8")
    return tmp


def owner(folder: Path) -> tuple[str | None, int | None]:
    """(host, pid) of a work folder; for folders of older versions, the pid in the name."""
    try:
        data = json.loads((folder / OWNER).read_text(encoding="utf-8"))
        return str(data["host"]), int(data["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, parse_aside(folder)[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(folder: Path) -> bool:
    """A work folder whose run is gone: owned by this host (or by nobody said) and dead."""
    where, pid = owner(folder)
    if pid is None or (where is not None and where != host()):
        return False
    return pid != os.getpid() and not alive(pid)


@contextmanager
def locked(out: Path, what: str) -> Iterator[None]:
    """An NFS-safe lock on `what` in the reports folder (a month's name, or "index")."""
    lock = Lock(str(out / f".lock-{what}"), lifetime=LOCK_LIFETIME)
    _expire_if_dead(lock, out, what)
    try:
        lock.lock(timeout=LOCK_TIMEOUT)
    except TimeOutError:
        raise KpiError(f"another run has held the lock on {what} in {out} for "
                       f"{LOCK_TIMEOUT}", fix="wait for it to finish, then run again") from None
    try:
        yield
    finally:
        if lock.is_locked:
            lock.unlock(unconditionally=True)


def _expire_if_dead(lock: Lock, out: Path, what: str) -> None:
    """A lock left by a process of this host that is no longer running (killed between two
    renames) is broken now, not after its lifetime: it is marked expired, and flufl.lock's
    own breaking takes it at the first try. Another host's lock is left to its lifetime
    (its pid means nothing here)."""
    if lock.state is not LockState.stale:
        return
    try:
        holder = lock.details[1]
        os.utime(lock.lockfile, (0, 0))  # expiration = mtime: long past
    except (NotLockedError, OSError):
        return  # released meanwhile
    print(f"note: the lock on {what} in {out} was left by process {holder} of this host, "
          "which is no longer running; it is broken", file=sys.stderr)


@contextmanager
def signals_held() -> Iterator[None]:
    """Defer SIGINT and SIGTERM for the few lines that must not be cut: they are recorded
    and raised again when the block ends. Python runs signal handlers in the main thread
    whichever thread the signal reaches, so this works only there; elsewhere (backfill
    threads) `swap_into_place` repairs a cut swap itself."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    sigs = (signal.SIGINT, signal.SIGTERM)
    old = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in sigs}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(caught):
            signal.raise_signal(sig)


def keep_failed(tmp: Path, out: Path, name: str) -> Path:
    failed = out / "_failed" / f"{name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    failed.parent.mkdir(parents=True, exist_ok=True)
    if tmp.exists():
        os.replace(tmp, failed)
    return failed


def swap_into_place(tmp: Path, target: Path) -> None:
    """Publish `tmp` as `target`: two renames under the month's lock, signals held, so a
    reader sees the old or the new folder and a kill between them is repaired."""
    out = target.parent
    with locked(out, target.name), signals_held():
        (tmp / COMPLETE).write_text("", encoding="utf-8")
        _repair(out, target.name)
        old = aside(out, "old", target.name)
        try:
            if target.exists():
                os.replace(target, old)
            os.replace(tmp, target)
        except BaseException:  # cut between the renames: finish (after) or undo (before)
            if not target.exists():
                os.replace(tmp if tmp.exists() else old, target)
            raise
        (target / COMPLETE).unlink(missing_ok=True)
        (target / OWNER).unlink(missing_ok=True)
    shutil.rmtree(old, ignore_errors=True)


def _repair(out: Path, name: str) -> None:
    """Finish a publication of `name` cut between its two renames (callers hold its lock)."""
    olds = sorted(p for p in out.glob(".old-*") if parse_aside(p)[0] == name)
    target = out / name
    if not target.exists() and olds:
        ready = [p for p in out.glob(".tmp-*") if parse_aside(p)[0] == name
                 and (p / COMPLETE).is_file() and is_stale(p)]
        if ready:  # the new report was complete: the "after" state
            os.replace(max(ready, key=lambda p: p.stat().st_mtime), target)
            (target / COMPLETE).unlink(missing_ok=True)
            (target / OWNER).unlink(missing_ok=True)
        else:  # the "before" state
            os.replace(olds[-1], target)
            olds = olds[:-1]
    for path in olds:
        shutil.rmtree(path, ignore_errors=True)


def sweep_stale(out: Path) -> list[str]:
    """Repair months cut between renames, then move work folders of dead runs on this host
    to _failed/. Returns the months repaired."""
    repaired = []
    for name in sorted({parse_aside(p)[0] for p in out.glob(".old-*")}):
        with locked(out, name):
            missing = not (out / name).exists()
            _repair(out, name)
            if missing and (out / name).exists():
                repaired.append(name)
    for path in out.glob(".tmp-*"):
        if path.is_dir() and is_stale(path):
            keep_failed(path, out, parse_aside(path)[0] + "-killed")
    return repaired


WARNINGS_LOG = "warnings.log"


def keep_stderr_apart(nb, folder: Path, name: str) -> None:
    """Take what cells wrote to stderr (engine warnings, with server paths) out of a
    notebook about to become a page, and append it to `folder`/warnings.log: a reader
    never sees it, the analyst still can."""
    kept = []
    for n, cell in enumerate(nb.cells):
        outputs = cell.get("outputs") or []
        errs = [o for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
        if errs:
            cell["outputs"] = [o for o in outputs if o not in errs]
            kept += [f"[{name}, cell {n}] {o.get('text', '')}".rstrip() for o in errs]
    if kept:
        with open(folder / WARNINGS_LOG, "a", encoding="utf-8") as fh:
            fh.write("\n".join(kept) + "\n")
