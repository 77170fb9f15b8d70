"""Soak test: random kills across `kpi ingest` and `kpi run`; the store and the published
reports must always equal a before or an after state (issue #14).

Each round starts a real `kpi` process, kills it at a random moment (SIGKILL mostly,
SIGTERM sometimes), lets the next writer or run do its start-of-work recovery, and checks:
- ingest: the store reads back cleanly and holds exactly the rows before, or those plus
  the whole file; `kpi store check` passes (every raw copy and log line present);
- run: the month's folder is absent (nothing published yet) or a complete report equal to
  what the data gives; index.html links only to folders that exist; no work folder,
  half-swapped folder or half-written index is left behind once the next run has been
  (its sweep and its index: a lock left by the killed run is broken at once).

Half the run kills are aimed at publishing (the month's two renames and the index, a few
ms of several seconds that random times rarely hit): the soak waits until the run holds
the month's or the index's lock, then kills within 5 ms.

Runs use a one-cell notebook (kernel start-up, snapshot, export, publishing are real; the
report's computation is not what is tested here). `python benchmarks/run.py soak`, or
`python benchmarks/soak.py [KILLS]` (default 200, half ingest, half run).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KILLS = int(os.environ.get("SOAK_KILLS", "200"))
NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [],
         "execution_count": None,
         "source": "as_of = None\ndata_dir = None\ncatalog = None\nunit = None\n"
                   "lang = 'vi'\nvintage = None\nexport_dir = None"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "import pathlib\nrows = pathlib.Path(data_dir, 'observations.csv')"
                   ".read_text(encoding='utf-8').count('\\n') - 1\n"
                   "pathlib.Path(export_dir, 'summary.csv').write_text("
                   "f'id,status,label,color\\nT{rows},on_track,x,#000\\n')"},
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}
RUN = ("import sys, pathlib; import kpi_lib.common.paths as p; "
       "p.NOTEBOOKS_DIR = pathlib.Path(sys.argv[1]); import kpi_lib.runner.monthly as r; "
       "r.PUBLISHED = ('monthly_report',); from kpi_lib.cli import main; "
       "sys.exit(main(['run', '--as-of', '2025-09', '--data', sys.argv[2], '--out', sys.argv[3]]))")


def _timed(cmd: list[str]) -> float:
    """How long the command takes when not killed: kills are spread over all of it."""
    start = time.perf_counter()
    subprocess.run(cmd, check=False, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def _kill_at_random(cmd: list[str], longest: float, rng: random.Random,
                    publishing=None, aimed: float = 0.0) -> str:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=ROOT)
    if publishing is not None and rng.random() < aimed:
        # Aimed at publishing (a few ms of several seconds, which random times rarely
        # hit): wait until it begins (the month's or the index's lock taken), then kill
        # within the next 5 ms.
        deadline = time.perf_counter() + 1.5 * longest
        while proc.poll() is None and not publishing(proc.pid) and time.perf_counter() < deadline:
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.005))
    else:
        # start-up (imports) is the first ~quarter of a command and writes nothing: most
        # kills fall after it, some after the end (a finished command is the "after" state)
        time.sleep(rng.uniform(0.25, 1.0) * longest)
    sig = signal.SIGKILL if rng.random() < 0.7 else signal.SIGTERM
    if proc.poll() is None:
        proc.send_signal(sig)
    proc.wait()
    return "finished" if proc.returncode in (0, 1) else sig.name


def soak_ingest(kills: int, work: Path, rng: random.Random, report) -> tuple[int, int, int]:
    from kpi_lib.inputs.rebuild import check_store
    from kpi_lib.inputs.store import Store, sha256_of
    from kpi_lib.plan.catalog import load_catalog

    catalog = load_catalog()
    store = Store(work / "store")
    seed = work / "seed.csv"
    seed.write_text("indicator_id,period,value,reported_at\nT10,2024-01,1,2024-02-05\n",
                    encoding="utf-8")
    subprocess.run([sys.executable, "-m", "kpi_lib.cli", "ingest", str(seed), "--data",
                    str(store.root)], check=True, capture_output=True, cwd=ROOT)
    calib = work / "calibrate.csv"
    calib.write_text("indicator_id,period,value,reported_at\nT10,2024-02,1,2024-03-05\n",
                     encoding="utf-8")
    longest = 1.1 * _timed([sys.executable, "-m", "kpi_lib.cli", "ingest", str(calib),
                            "--data", str(store.root)])
    bad = 0
    after_states = 0
    cut = 0
    for i in range(kills):
        # a new file each round: 30 rows of one indicator for one past year
        year, ind = 2011 + i % 14, ("T10", "T19a", "T19b", "T19c")[i // 14 % 4]
        path = work / f"f{i}.csv"
        path.write_text("indicator_id,period,value,reported_at\n" + "".join(
            f"{ind},{year}-{m:02d},{i + m},{year + 1}-01-{(i % 27) + 1:02d}\n"
            for m in range(1, 13)), encoding="utf-8")
        before = store.read(latest=False)
        how = _kill_at_random([sys.executable, "-m", "kpi_lib.cli", "ingest", str(path),
                               "--data", str(store.root)], longest, rng)
        cut += how != "finished"
        with store.lock:
            store.recover()  # what the next writer does first
        now = store.read(latest=False)
        added = now.iloc[len(before):]
        same = now.iloc[:len(before)].reset_index(drop=True).equals(before.reset_index(
            drop=True))
        whole = len(added) == 0 or (len(added) == 12
                                    and set(added["file_sha256"]) == {sha256_of(path)})
        checked = check_store(store.root, catalog)
        ok = same and whole and checked.ok
        after_states += len(added) > 0
        if not ok:
            bad += 1
            report(f"  ingest round {i} ({how}): NOT a before/after state "
                   f"({len(before)} -> {len(now)} rows; check: {checked.problems[:2]})")
    return bad, after_states, cut


def _locked(out: Path, pid: int | None = None) -> bool:
    """The month's or the index's lock is held (by process `pid`, if given): a flufl lock
    file names its holder's claim, `<lock>|<host>|<pid>|<random>`."""
    for name in (".lock-2025-09", ".lock-index"):
        try:
            holder = (out / name).read_text(encoding="utf-8")
        except OSError:
            continue
        if pid is None or f"|{pid}|" in holder:
            return True
    return False


def _publishing(out: Path) -> bool:
    """A run was cut while publishing: a lock left held, a month set aside, or a work
    folder marked complete but not yet moved in."""
    return _locked(out) or any(out.glob(".old-*")) or any(out.glob(".tmp-*/.complete"))


def soak_run(kills: int, work: Path, rng: random.Random, report) -> tuple[int, int, int]:
    from kpi_lib.common.paths import SAMPLE_DIR
    from kpi_lib.runner.monthly import build_index
    from kpi_lib.runner.publish import sweep_stale

    data, out, nbs = work / "data", work / "reports", work / "notebooks"
    shutil.copytree(SAMPLE_DIR, data)
    nbs.mkdir()
    (nbs / "monthly_report.ipynb").write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    rows = (data / "observations.csv").read_text(encoding="utf-8").count("\n") - 1
    expected = f"id,status,label,color\nT{rows},on_track,x,#000\n"
    out.mkdir()
    longest = 1.1 * _timed([sys.executable, "-c", RUN, str(nbs), str(data),
                            str(work / "calibrate")])
    bad = 0
    published = 0
    cut = 0
    publishing = 0
    waited = 0.0
    for i in range(kills):
        how = _kill_at_random([sys.executable, "-c", RUN, str(nbs), str(data), str(out)], longest,
                              rng, lambda pid: _locked(out, pid), aimed=0.5)
        cut += how != "finished"
        publishing += how != "finished" and _publishing(out)
        started = time.perf_counter()
        sweep_stale(out)  # what the next run does first, and last (a lock left is broken)
        build_index(out)
        waited = max(waited, time.perf_counter() - started)
        month = out / "2025-09"
        problems = []
        if month.exists():
            published += 1
            files = sorted(p.name for p in month.iterdir())
            if files != ["monthly_report.html", "monthly_report.ipynb", "summary.csv"]:
                problems.append(f"files {files}")
            elif (month / "summary.csv").read_text(encoding="utf-8") != expected:
                problems.append("summary.csv differs")
        elif published:
            problems.append("the published month vanished")
        index = out / "index.html"
        if index.exists():
            for href in re.findall(r'href="([^"#]+)/', index.read_text(encoding="utf-8")):
                if not (out / href).is_dir():
                    problems.append(f"index links to missing {href}")
        left = [p.name for p in out.iterdir() if p.name.startswith((".tmp-", ".old-"))
                or p.name.endswith(".tmp")]
        if left:
            problems.append(f"left behind: {left}")
        if problems:
            bad += 1
            report(f"  run round {i} ({how}): {'; '.join(problems)}")
    report(f"soak: {publishing} runs cut while publishing (a lock, a month set aside or a "
           f"complete work folder left); the longest recovery took {waited:.1f} s")
    return bad, published, cut


def run(report, kills: int = KILLS) -> None:
    rng = random.Random(14)
    n_ingest = kills // 2
    with tempfile.TemporaryDirectory(prefix="kpi-soak-") as tmp:
        work = Path(tmp)
        (work / "i").mkdir()
        (work / "r").mkdir()
        start = time.perf_counter()
        bad_i, after_i, cut_i = soak_ingest(n_ingest, work / "i", rng, report)
        mid = time.perf_counter()
        bad_r, pub, cut_r = soak_run(kills - n_ingest, work / "r", rng, report)
        end = time.perf_counter()
    report(f"soak: {n_ingest} ingests signalled at random, {cut_i} cut before they ended; "
           f"{after_i} ended in the after state; {bad_i} not before/after "
           f"({mid - start:.0f} s)")
    report(f"soak: {kills - n_ingest} runs signalled at random, {cut_r} cut before they ended; "
           f"month published after {pub} of them; {bad_r} not before/after "
           f"({end - mid:.0f} s)")


if __name__ == "__main__":
    run(print, int(sys.argv[1]) if len(sys.argv) > 1 else KILLS)
