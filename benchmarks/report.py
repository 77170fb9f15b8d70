"""The report pipeline: our `kpi run` / `kpi backfill` against the naive way a user would
script it, all measured in this run.

Naive: for each month and notebook, the `papermill` CLI, then
`jupyter nbconvert --to html --no-input`. Ours: `kpi backfill --jobs 2` (warm kernels, one
per job, reset between notebooks; one assessment per report; in-process HTML export
overlapped with the next notebook; cached backtests). Both run the same three published
notebooks for the same months (all nine of the sample's year). Also a single `kpi run`, warm kernels and
`--fresh-kernels` (the way before), against a trivial one-cell notebook under the papermill
CLI (kernel start-up is the floor).

Goals (issue 16): single run <= 1.5x the floor; backfill <= 0.3x naive.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from memory import PeakMemory

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Every month of the sample year with figures (January to September 2025); the issue's
# "12-month backfill" cannot be run on it: months after the latest figures are refused.
MONTHS = [f"2025-{m:02d}" for m in range(1, 10)]
NOTEBOOKS = ("monthly_report", "data_quality", "track_record")  # what `kpi run` publishes
TRIVIAL = ROOT / "tests" / "fixtures" / "notebooks" / "trivial.ipynb"


def _timed(cmd: list[str], **kw) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kw)
    return time.perf_counter() - start


def _goal(value: float, goal: float, better: str = "<=") -> str:
    met = value <= goal if better == "<=" else value >= goal
    return f"goal {better} {goal:g}: {'met' if met else 'NOT met'}"


def naive(out: Path, months: list[str], env: dict) -> float:
    sample = str(ROOT / "data" / "sample")
    start = time.perf_counter()
    for month in months:
        folder = out / month
        folder.mkdir(parents=True, exist_ok=True)
        for nb in NOTEBOOKS:
            target = folder / f"{nb}.ipynb"
            subprocess.run([str(BIN / "papermill"), "-k", "python3", "--no-progress-bar",
                            str(ROOT / "notebooks" / f"{nb}.ipynb"), str(target),
                            "-p", "as_of", month, "-p", "data_dir", sample],
                           check=True, capture_output=True, cwd=ROOT / "notebooks", env=env)
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                            str(target)], check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def run(report) -> None:
    env = {**os.environ, "KPI_DATA": str(ROOT / "data" / "sample")}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # Both start with an empty cache of backtests and model fits (its own each).
        env["KPI_CACHE"] = str(tmp / "cache-ours")
        memory = PeakMemory()
        load = os.getloadavg()[0]
        start = time.perf_counter()
        done = memory.run([str(BIN / "kpi"), "backfill", "--from", MONTHS[0], "--to",
                           MONTHS[-1], "--jobs", "2", "--quiet", "--out", str(tmp / "ours")],
                          env=env)
        ours = time.perf_counter() - start
        if done.returncode:
            raise SystemExit(f"kpi backfill failed:\n{done.stderr[-3000:]}")
        report(f"report: {len(MONTHS)}-month backfill ({MONTHS[0]}..{MONTHS[-1]}), "
               f"{len(NOTEBOOKS)} notebooks a month (the machine is shared: load averages "
               "at the start of each measure)")
        report(f"  ours  kpi backfill --jobs 2: {ours:6.1f} s ({ours / len(MONTHS):.1f} s/month; "
               f"load {load:.1f})")
        report(f"  {memory.line()}")
        load = os.getloadavg()[0]
        theirs = naive(tmp / "naive", MONTHS, {**env, "KPI_CACHE": str(tmp / "cache-naive")})
        report(f"  naive papermill CLI + nbconvert: {theirs:6.1f} s "
               f"({theirs / len(MONTHS):.1f} s/month; load {load:.1f})")
        report(f"  ratio ours/naive: {ours / theirs:.2f} ({_goal(ours / theirs, 0.3)})")

        single = [str(BIN / "kpi"), "run", "--as-of", "2025-09", "--out", str(tmp / "single")]
        load = os.getloadavg()[0]
        warm = [_timed(single, env=env) for _ in range(3)]
        fresh = [_timed([*single, "--fresh-kernels"], env=env) for _ in range(2)]
        trivial = [_timed([str(BIN / "papermill"), "-k", "python3", "--no-progress-bar",
                           str(TRIVIAL), str(tmp / "trivial.ipynb")], env=env) for _ in range(3)]
        one, old, floor = min(warm), min(fresh), min(trivial)
        report(f"  single kpi run (warm cache, best of 3): {one:.1f} s; the old way "
               f"(--fresh-kernels, best of 2): {old:.1f} s; trivial one-cell notebook under "
               f"the papermill CLI (best of 3): {floor:.1f} s (load {load:.1f})")
        report(f"  ratio single run / floor: {one / floor:.2f} ({_goal(one / floor, 1.5)}); "
               f"old way / floor: {old / floor:.2f}")
        shutil.rmtree(tmp, ignore_errors=True)
