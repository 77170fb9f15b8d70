"""The report pipeline: our `kpi backfill` against the naive way a user would script it.

Naive: for each month and notebook, the `papermill` CLI, then
`jupyter nbconvert --to html --no-input`. Ours: `kpi backfill --jobs 2` (papermill's
Python API in threads, IPC kernels, in-process HTML export, cached backtests).
Both run the same two notebooks for the same 12 months, in the same run. Also a single
`kpi run` against a trivial one-cell notebook under the papermill CLI (kernel start-up
is the floor).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
NOTEBOOKS = ("monthly_report", "data_quality")
TRIVIAL = ROOT / "tests" / "fixtures" / "notebooks" / "trivial.ipynb"


def _timed(cmd: list[str], **kw) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kw)
    return time.perf_counter() - start


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
        ours = _timed([str(BIN / "kpi"), "backfill", "--from", MONTHS[0], "--to", MONTHS[-1],
                       "--jobs", "2", "--quiet", "--out", str(tmp / "ours")], env=env)
        report(f"report: 12-month backfill, {len(NOTEBOOKS)} notebooks a month")
        report(f"  ours  kpi backfill --jobs 2: {ours:6.1f} s ({ours / 12:.1f} s/month)")
        theirs = naive(tmp / "naive", MONTHS, {**env, "KPI_CACHE": str(tmp / "cache-naive")})
        report(f"  naive papermill CLI + nbconvert: {theirs:6.1f} s ({theirs / 12:.1f} s/month)")
        report(f"  ratio ours/naive: {ours / theirs:.2f} (goal <= 0.5: "
               f"{'met' if ours / theirs <= 0.5 else 'NOT met'})")
        singles = [_timed([str(BIN / "kpi"), "run", "--as-of", "2025-09", "--out",
                           str(tmp / "single")], env=env) for _ in range(3)]
        trivial = [_timed([str(BIN / "papermill"), "-k", "python3", "--no-progress-bar",
                           str(TRIVIAL), str(tmp / "trivial.ipynb")], env=env) for _ in range(3)]
        one, floor = min(singles), min(trivial)
        report(f"  single kpi run (warm cache, best of 3): {one:.1f} s; trivial one-cell notebook "
               f"under the papermill CLI: {floor:.1f} s; ratio {one / floor:.2f} (goal <= 1.5: "
               f"{'met' if one / floor <= 1.5 else 'NOT met'})")
        shutil.rmtree(tmp, ignore_errors=True)
