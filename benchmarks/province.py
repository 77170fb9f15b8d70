"""A province-sized run: ~100 communes, one report per commune plus the roll-up.

SYNTHETIC: the sample's district series are re-labelled as a province (PROVINCE) and the
commune-collected indicators (land certificates, road accidents, health insurance through
insured people and population) are split over N communes (BENCH_COMMUNES, default 100).
Timed end to end: `kpi backfill --units members --jobs 2` for one month, i.e. N commune
reports + the roll-up report, each three notebooks and HTML/Excel export, in warm kernels.
Baseline in the same run: the same command the old way (`--fresh-kernels`, a kernel per
notebook) for the roll-up and the first K communes (BENCH_BASELINE_COMMUNES, default 30);
goal (issue 16): >= 3x its reports per minute. Peak memory per kernel (worker) printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from memory import PeakMemory

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MONTH = "2025-09"


def build(folder: Path, n: int) -> tuple[Path, Path]:
    """Write a registry, a catalog pointing at it, and a data folder; return both paths."""
    sys.path.insert(0, str(ROOT))
    from kpi_lib.inputs.sample import generate
    from kpi_lib.inputs.tidy import OBS_COLUMNS, add_period_columns, at_vintage, ytd_table

    rng = np.random.default_rng(7)
    codes = [f"C{i:03d}" for i in range(1, n + 1)]
    rows = ["code,name_vi,name_en,level,parent,valid_from,valid_to,note",
            "PROVINCE,Tỉnh mẫu (giả lập),Synthetic province,area,,,,"]
    rows += [f"{c},Xã mẫu {c[1:]},Commune {c[1:]},commune,PROVINCE,,," for c in codes]
    (folder / "units.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    doc = yaml.safe_load((ROOT / "data" / "catalog" / "binh_son_2025.yaml").read_text("utf-8"))
    doc["catalog"].update({"default_unit": "PROVINCE", "units_file": str(folder / "units.csv")})
    doc["catalog"].pop("crosswalk_file")
    doc["catalog"].pop("campaign_file", None)  # relative to the shipped catalog: not here
    catalog = folder / "catalog.yaml"
    catalog.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")

    base = at_vintage(generate(communes=False)).assign(unit_code="PROVINCE")
    split = ["T21", "T19a", "T16"]
    out = [base[~base["indicator_id"].isin(split)]]
    sizes = rng.dirichlet(np.full(n, 5.0))
    for iid in ("T21", "T19a"):
        part = base[base["indicator_id"] == iid]
        _, monthly = ytd_table(part)
        reported = add_period_columns(part).groupby("period")["reported_at"].max()
        recs = []
        for (_, _, year), amounts in monthly.iterrows():
            for month, amount in amounts.dropna().items():
                period = f"{year}-{month:02d}"
                for code, v in zip(codes, rng.multinomial(round(amount), sizes), strict=True):
                    recs.append((iid, code, period, float(v), "month", reported[period]))
        out.append(pd.DataFrame(recs, columns=OBS_COLUMNS[:6]))
    rate = add_period_columns(base[base["indicator_id"] == "T16"])
    pop = 12_000 * sizes / sizes.mean()
    recs = []
    for r in rate.itertuples():
        ins = pop * np.clip(r.value + rng.normal(0, 1.5, n), 50, 100) / 100
        for code, p, i in zip(codes, pop, ins, strict=True):
            recs += [("P_POP", code, r.period, round(p), "level", r.reported_at),
                     ("P_INSURED", code, r.period, round(i), "level", r.reported_at)]
    out.append(pd.DataFrame(recs, columns=OBS_COLUMNS[:6]))
    frame = pd.concat(out, ignore_index=True)
    frame["source"] = frame["source"].fillna("số liệu mẫu giả lập")
    frame["file_sha256"] = "bench"
    data = folder / "data"
    data.mkdir()
    frame[OBS_COLUMNS].to_csv(data / "observations.csv", index=False)
    (data / "dataset.yaml").write_text("synthetic: true\n", encoding="utf-8")
    return catalog, data


def _batch(units: str, common: list[str], out: Path, env: dict, fresh: bool
           ) -> tuple[float, int, PeakMemory, str]:
    """One `kpi backfill` of the month for `units`; (seconds, reports, memory, summary)."""
    memory = PeakMemory()
    start = time.perf_counter()
    done = memory.run([str(BIN / "kpi"), "backfill", "--from", MONTH, "--to", MONTH,
                       "--units", units, "--jobs", "2", "--quiet", *common, "--out", str(out),
                       *(["--fresh-kernels"] if fresh else [])], env=env)
    total = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"the province backfill failed:\n{done.stderr[-3000:]}")
    reports = sum(1 for p in out.iterdir() if (p / "summary.csv").is_file())
    return total, reports, memory, done.stdout.strip().splitlines()[-2]


def run(report) -> None:
    n = int(os.environ.get("BENCH_COMMUNES", "100"))
    # The old way (a fresh kernel per notebook) on the first K communes: its rate per
    # report is what "today" means in the goal; K < N keeps `make bench` shorter.
    k = min(n, int(os.environ.get("BENCH_BASELINE_COMMUNES", "30")))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        catalog, data = build(tmp, n)
        env = {**os.environ, "KPI_CACHE": str(tmp / "cache")}
        common = ["--catalog", str(catalog), "--data", str(data)]
        start = time.perf_counter()
        subprocess.run([str(BIN / "kpi"), "run", "--as-of", MONTH, *common, "--out",
                        str(tmp / "single")], check=True, capture_output=True, env=env)
        single = time.perf_counter() - start
        subset = ",".join(["PROVINCE"] + [f"C{i:03d}" for i in range(1, k + 1)])
        # each batch with its own empty cache of backtests and fits
        old, old_reports, old_memory, _ = _batch(subset, common, tmp / "old",
                                                 {**env, "KPI_CACHE": str(tmp / "cache-old")},
                                                 fresh=True)
        total, reports, memory, summary = _batch("members", common, tmp / "all",
                                                 {**env, "KPI_CACHE": str(tmp / "cache-ours")},
                                                 fresh=False)
        old_rate, rate = 60 * old_reports / old, 60 * reports / total
        report(f"province: {n} communes + the roll-up, {MONTH}, 3 notebooks each, --jobs 2 "
               f"(load average {os.getloadavg()[0]:.1f}: the machine is shared)")
        report(f"  reports published:          {reports} (expected {n + 1})")
        report(f"  ours (warm kernels):        {total:6.1f} s -> {rate:.1f} reports per minute, "
               f"{total / reports:.2f} s per report")
        report(f"  old way (--fresh-kernels), {old_reports} reports: {old:6.1f} s -> "
               f"{old_rate:.1f} reports per minute, {old / old_reports:.2f} s per report")
        report(f"  ratio reports per minute ours/old: {rate / old_rate:.2f} (goal >= 3: "
               f"{'met' if rate / old_rate >= 3 else 'NOT met'})")
        report(f"  baseline, one kpi run alone: {single:6.2f} s (cold cache); "
               f"per report / single: {total / reports / single:.2f}")
        report(f"  ours: {memory.line()}")
        report(f"  old way: {old_memory.line()}")
        report(f"  ({summary})")
